//! Exponentially decaying spike traces, updated only when read or bumped (event-driven): no
//! per-step cost for neurons that are silent.

use serde::{Deserialize, Serialize};

/// One trace variable per neuron: its value at its last update and when that was.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Trace {
    value: Vec<f64>,
    last_step: Vec<u64>,
}

impl Trace {
    /// A trace of zeros for `n` neurons.
    pub fn new(n: usize) -> Self {
        Self { value: vec![0.0; n], last_step: vec![0; n] }
    }

    /// Number of neurons covered.
    pub fn len(&self) -> usize {
        self.value.len()
    }

    /// Whether it covers no neuron.
    pub fn is_empty(&self) -> bool {
        self.value.is_empty()
    }

    /// The value of neuron `i` at step `step`, decayed with time constant `tau_steps` (steps).
    #[inline]
    pub fn at(&self, i: usize, step: u64, tau_steps: f64) -> f64 {
        let v = self.value[i];
        if v == 0.0 {
            return 0.0;
        }
        v * (-((step - self.last_step[i]) as f64) / tau_steps).exp()
    }

    /// Adds 1 (all-to-all) or sets to 1 (nearest-spike) at `step`.
    #[inline]
    pub fn bump(&mut self, i: usize, step: u64, tau_steps: f64, nearest: bool) {
        self.value[i] = if nearest { 1.0 } else { self.at(i, step, tau_steps) + 1.0 };
        self.last_step[i] = step;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decays_exponentially_and_accumulates() {
        let mut t = Trace::new(2);
        t.bump(0, 100, 200.0, false);
        assert!((t.at(0, 300, 200.0) - (-1.0f64).exp()).abs() < 1e-15);
        t.bump(0, 300, 200.0, false);
        assert!((t.at(0, 300, 200.0) - (1.0 + (-1.0f64).exp())).abs() < 1e-15);
        t.bump(0, 300, 200.0, true);
        assert_eq!(t.at(0, 300, 200.0), 1.0);
        assert_eq!(t.at(1, 1000, 200.0), 0.0);
    }
}
