//! Astrocyte-modulated STDP (NALSM, Ivanov & Michmizos 2021; ALGORITHMS.md §8): potentiation at a
//! fixed rate η₊, depression scaled by a global astrocyte signal A(t) that follows the difference
//! between the liquid's and the input's spike counts, driving a liquid toward the edge of chaos.

use serde::{Deserialize, Serialize};

use super::params::{ParamSpec, tunable};
use crate::sim::{Dim, Quantity};

/// The astrocyte: τ_A dA/dt = w_A (L − I) + b_A − A, with L and I the liquid's and the input's
/// spike counts per millisecond. Stepped per millisecond it is NALSM's discrete update.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Astrocyte {
    /// Coupling to the count difference.
    pub w_a: f64,
    /// Bias (NALSM: η₊).
    pub b_a: f64,
    /// Time constant (ms).
    pub tau_ms: f64,
    /// The signal A.
    pub a: f64,
}

impl Astrocyte {
    /// Advances by `dt_ms` given this step's liquid and input spike counts.
    pub fn step(&mut self, liquid_spikes: usize, input_spikes: usize, dt_ms: f64) {
        let drive = self.w_a * (liquid_spikes as f64 - input_spikes as f64) / dt_ms;
        self.a += dt_ms / self.tau_ms * (drive + self.b_a - self.a);
    }

    /// The fixed point for constant counts per millisecond.
    pub fn fixed_point(&self, liquid_per_ms: f64, input_per_ms: f64) -> f64 {
        self.w_a * (liquid_per_ms - input_per_ms) + self.b_a
    }
}

/// NALSM's STDP with astrocyte-scaled depression. For an excitatory (or input) presynaptic
/// neuron j and postsynaptic i: dw = η₊ x_j s_i − A x_i s_j; for an inhibitory one the roles of
/// the two terms swap: dw = −A x_j s_i + η₊ x_i s_j. Traces jump by `trace_step` per spike and
/// decay with `tau_trace`; weights stay in [w_min, w_max].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AstroStdp {
    /// Potentiation rate η₊ (weight units per unit trace).
    pub eta_plus: f64,
    /// Trace time constant.
    #[serde(with = "crate::sim::units::time")]
    pub tau_trace: f64,
    /// Trace increment per spike.
    pub trace_step: f64,
    /// Astrocyte coupling w_A.
    pub w_a: f64,
    /// Astrocyte bias b_A (and A at the start).
    pub b_a: f64,
    /// Astrocyte time constant.
    #[serde(with = "crate::sim::units::time")]
    pub tau_astro: f64,
    /// Lower weight bound (projection weight unit).
    pub w_min: Quantity,
    /// Upper weight bound (projection weight unit).
    pub w_max: Quantity,
}

impl Default for AstroStdp {
    /// NALSM's 1000-neuron defaults, excitatory bounds [0, 3].
    fn default() -> Self {
        Self {
            eta_plus: 0.15,
            tau_trace: 10.0,
            trace_step: 0.1,
            w_a: 0.015,
            b_a: 0.15,
            tau_astro: 100.0,
            w_min: Quantity::new(0.0, Dim::Dimensionless),
            w_max: Quantity::new(3.0, Dim::Dimensionless),
        }
    }
}

impl AstroStdp {
    /// Weight change when the postsynaptic neuron spikes and meets presynaptic trace `x_pre`.
    pub fn on_post(&self, inhibitory_pre: bool, x_pre: f64, a: f64) -> f64 {
        if inhibitory_pre { -a * x_pre } else { self.eta_plus * x_pre }
    }

    /// Weight change when the presynaptic neuron spikes and meets postsynaptic trace `x_post`.
    pub fn on_pre(&self, inhibitory_pre: bool, x_post: f64, a: f64) -> f64 {
        if inhibitory_pre { self.eta_plus * x_post } else { -a * x_post }
    }
}

const ASTRO_SCHEMA: &[ParamSpec] = &[
    ParamSpec::new("eta_plus", Dim::Dimensionless, 0.0, 1e6, 0.15, "potentiation rate (weight units)"),
    ParamSpec::new("tau_trace", Dim::Time, 0.1, 1000.0, 10.0, "trace time constant"),
    ParamSpec::new("trace_step", Dim::Dimensionless, 0.0, 10.0, 0.1, "trace increment per spike"),
    ParamSpec::new("w_a", Dim::Dimensionless, 0.0, 1e6, 0.015, "astrocyte coupling (weight units per spike/ms)"),
    ParamSpec::new("b_a", Dim::Dimensionless, 0.0, 1e6, 0.15, "astrocyte bias (weight units)"),
    ParamSpec::new("tau_astro", Dim::Time, 1.0, 100_000.0, 100.0, "astrocyte time constant"),
    ParamSpec::new("w_min", Dim::Dimensionless, -1e12, 1e12, 0.0, "lower weight bound"),
    ParamSpec::new("w_max", Dim::Dimensionless, -1e12, 1e12, 3.0, "upper weight bound"),
];

/// AstroStdp's bounds must be ordered.
fn bounds_ordered(r: &AstroStdp) -> Result<(), crate::sim::ParamError> {
    if r.w_min.value > r.w_max.value {
        return Err(crate::sim::ParamError {
            model: "AstroStdp",
            param: "w_min",
            reason: "must not exceed w_max".into(),
        });
    }
    Ok(())
}

tunable!(
    AstroStdp,
    "AstroStdp",
    ASTRO_SCHEMA,
    [eta_plus, tau_trace, trace_step, w_a, b_a, tau_astro, w_min, w_max],
    related = bounds_ordered
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn astrocyte_relaxes_to_its_fixed_point() {
        // w_A = 0.015, L = 50, I = 30 per 1-ms step, b_A = 0.15: A* = 0.45; after 100 steps from
        // 0.15, A = 0.45 − 0.30 · 0.99^100 = 0.3402.
        let mut astro = Astrocyte { w_a: 0.015, b_a: 0.15, tau_ms: 100.0, a: 0.15 };
        assert!((astro.fixed_point(50.0, 30.0) - 0.45).abs() < 1e-12);
        for _ in 0..100 {
            astro.step(50, 30, 1.0);
        }
        let want = 0.45 - 0.30 * 0.99f64.powi(100);
        assert!((astro.a - want).abs() < 1e-12, "{}", astro.a);
        assert!((astro.a - 0.3402).abs() < 1e-4);
        // The same process at dt = 0.1 ms (5 and 3 spikes per step) reaches the same fixed point.
        let mut fine = Astrocyte { w_a: 0.015, b_a: 0.15, tau_ms: 100.0, a: 0.15 };
        for _ in 0..100_000 {
            fine.step(5, 3, 0.1);
        }
        assert!((fine.a - 0.45).abs() < 1e-9);
    }

    #[test]
    fn stdp_sign_table() {
        let r = AstroStdp::default();
        let (x, a) = (0.2, 0.3);
        // Excitatory pre: pre-then-post potentiates by η₊ x; post-then-pre depresses by A x.
        assert!((r.on_post(false, x, a) - 0.15 * 0.2).abs() < 1e-15);
        assert!((r.on_pre(false, x, a) + 0.3 * 0.2).abs() < 1e-15);
        // Inhibitory pre (the mirror): pre-then-post depresses by A x; post-then-pre potentiates.
        assert!((r.on_post(true, x, a) + 0.3 * 0.2).abs() < 1e-15);
        assert!((r.on_pre(true, x, a) - 0.15 * 0.2).abs() < 1e-15);
    }
}
