//! Exponentially decaying spike traces, updated only when read or bumped (event-driven): no
//! per-step cost for neurons that are silent.

use serde::{Deserialize, Serialize};

/// Decay factors e^{-k/τ} for k steps, tabulated over the first 20 τ (computed by the same
/// expression, so results are bit-identical to calling `exp` every time).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Decay {
    tau_steps: f64,
    table: Vec<f64>,
}

impl Decay {
    /// The table for time constant `tau_steps` (in steps).
    pub fn new(tau_steps: f64) -> Self {
        let len = (20.0 * tau_steps).ceil().clamp(1.0, 65536.0) as usize;
        Self { tau_steps, table: (0..len).map(|k| Self::exact(k as u64, tau_steps)).collect() }
    }

    #[inline(always)]
    fn exact(k: u64, tau_steps: f64) -> f64 {
        (-(k as f64) / tau_steps).exp()
    }

    /// The time constant it was built for.
    pub fn tau_steps(&self) -> f64 {
        self.tau_steps
    }

    /// e^{-k/τ}.
    #[inline(always)]
    pub fn factor(&self, k: u64) -> f64 {
        match self.table.get(k as usize) {
            Some(&f) => f,
            None => Self::exact(k, self.tau_steps),
        }
    }
}

/// Decay tables for a list of time constants given in ms, rebuilt only when a time constant or
/// the step changes (a rule's parameters can be edited while it runs).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DecaySet {
    tables: Vec<Decay>,
}

impl DecaySet {
    /// The tables for `taus_ms` at step `dt_ms`, in the order given.
    pub fn refresh(&mut self, taus_ms: &[f64], dt_ms: f64) -> &[Decay] {
        let stale = self.tables.len() != taus_ms.len()
            || self.tables.iter().zip(taus_ms).any(|(d, t)| d.tau_steps() != t / dt_ms);
        if stale {
            self.tables = taus_ms.iter().map(|t| Decay::new(t / dt_ms)).collect();
        }
        &self.tables
    }

    /// The tables as last refreshed.
    pub fn tables(&self) -> &[Decay] {
        &self.tables
    }
}

/// One trace variable per neuron: its value at its last update and when that was (kept side by
/// side, so a read touches one cache line).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Trace {
    state: Vec<(f64, u64)>,
}

impl Trace {
    /// A trace of zeros for `n` neurons.
    pub fn new(n: usize) -> Self {
        Self { state: vec![(0.0, 0); n] }
    }

    /// Number of neurons covered.
    pub fn len(&self) -> usize {
        self.state.len()
    }

    /// Whether it covers no neuron.
    pub fn is_empty(&self) -> bool {
        self.state.is_empty()
    }

    /// Checks a decoded trace: one finite value per neuron of `n`, none updated after `now`.
    pub fn check(&self, n: usize, now: u64) -> Result<(), String> {
        if self.state.len() != n {
            return Err(format!("a trace holds {} values for {n} neurons", self.state.len()));
        }
        match self.state.iter().position(|&(v, last)| !v.is_finite() || last > now) {
            Some(k) => Err(format!("trace of neuron {k}: {:?} at step {now}", self.state[k])),
            None => Ok(()),
        }
    }

    /// Covers `n` neurons (new ones start at zero).
    pub fn resize(&mut self, n: usize) {
        self.state.resize(n, (0.0, 0));
    }

    /// The value of neuron `i` at step `step`, decayed by `decay`.
    #[inline]
    pub fn at(&self, i: usize, step: u64, decay: &Decay) -> f64 {
        let (v, last) = self.state[i];
        if v == 0.0 {
            return 0.0;
        }
        v * decay.factor(step - last)
    }

    /// The value of neuron `i` at step `step` for time constant `tau_steps`, without a table (the
    /// same numbers as [`Trace::at`]).
    pub fn at_tau(&self, i: usize, step: u64, tau_steps: f64) -> f64 {
        let (v, last) = self.state[i];
        if v == 0.0 {
            return 0.0;
        }
        v * Decay::exact(step - last, tau_steps)
    }

    /// Sets neuron `i`'s value to `value` at `step`.
    #[inline]
    pub fn set(&mut self, i: usize, step: u64, value: f64) {
        self.state[i] = (value, step);
    }

    /// Adds 1 (all-to-all) or sets to 1 (nearest-spike) at `step`.
    #[inline]
    pub fn bump(&mut self, i: usize, step: u64, decay: &Decay, nearest: bool) {
        self.state[i] = (if nearest { 1.0 } else { self.at(i, step, decay) + 1.0 }, step);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decays_exponentially_and_accumulates() {
        let d = Decay::new(200.0);
        let mut t = Trace::new(2);
        t.bump(0, 100, &d, false);
        assert!((t.at(0, 300, &d) - (-1.0f64).exp()).abs() < 1e-15);
        t.bump(0, 300, &d, false);
        assert!((t.at(0, 300, &d) - (1.0 + (-1.0f64).exp())).abs() < 1e-15);
        t.bump(0, 300, &d, true);
        assert_eq!(t.at(0, 300, &d), 1.0);
        assert_eq!(t.at(1, 1000, &d), 0.0);
        // Inside and beyond the table: the same numbers as calling exp.
        for k in [0u64, 1, 1999, 3999, 4000, 4001, 100_000] {
            assert_eq!(d.factor(k), (-(k as f64) / 200.0).exp(), "k = {k}");
        }
    }
}
