//! Astrocyte-modulated STDP (NALSM, Ivanov & Michmizos 2021; ALGORITHMS.md §8): potentiation at a
//! fixed rate η₊, depression scaled by a global astrocyte signal A(t) that follows the difference
//! between the liquid's and the input's spike counts, driving a liquid toward the edge of chaos.

use serde::{Deserialize, Serialize};

use super::pair::{PairTraces, window_curve};
use crate::sim::Network;
use crate::sim::params::{Curve, ParamSpec, tunable};
use crate::sim::rule::{Activity, Arriving, Outgoing, ProjectionSynapses, Scope, SynapticRule, Tick};
use crate::sim::{Dim, NeuronId, PopulationId, Quantity};

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
    pub fn post_change(&self, inhibitory_pre: bool, x_pre: f64, a: f64) -> f64 {
        if inhibitory_pre { -a * x_pre } else { self.eta_plus * x_pre }
    }

    /// Weight change when the presynaptic neuron spikes and meets postsynaptic trace `x_post`.
    pub fn pre_change(&self, inhibitory_pre: bool, x_post: f64, a: f64) -> f64 {
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
    ParamSpec::new("w_max", Dim::Weight, -1e12, 1e12, 3.0, "upper weight bound"),
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

/// AstroStdp's variables: pre and post traces (both τ_trace), the astrocyte signal A, and the
/// populations it counts: the liquid (targets of every astrocyte-modulated projection) and its
/// input (their sources outside the liquid).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AstroTraces {
    /// Pre and post traces.
    pub traces: PairTraces,
    /// The astrocyte signal A.
    pub astro: f64,
    /// Populations whose spikes count as the liquid's.
    pub liquid: Vec<PopulationId>,
    /// Populations whose spikes count as the input's.
    pub input: Vec<PopulationId>,
}

impl SynapticRule for AstroStdp {
    type State = AstroTraces;

    fn check_state(&self, st: &AstroTraces, net: &Network, _scope: &Scope) -> Result<(), String> {
        st.traces.check(net.num_neurons(), net.step_count())?;
        if !st.astro.is_finite() {
            return Err(format!("astrocyte signal {} is not finite", st.astro));
        }
        match st.liquid.iter().chain(&st.input).all(|p| p.index() < net.populations.len()) {
            true => Ok(()),
            false => Err("a liquid or input population does not exist".into()),
        }
    }

    /// A starts at b_A; the liquid and its input come from every astrocyte-modulated projection.
    fn new_state(&self, neurons: usize, peers: &[Scope]) -> AstroTraces {
        let mut liquid: Vec<PopulationId> = peers.iter().map(|p| p.target).collect();
        liquid.sort_unstable();
        liquid.dedup();
        let mut input: Vec<PopulationId> = peers.iter().map(|p| p.source).filter(|p| !liquid.contains(p)).collect();
        input.sort_unstable();
        input.dedup();
        AstroTraces { traces: PairTraces::new(neurons), astro: self.b_a, liquid, input }
    }

    fn begin_step(&self, st: &mut AstroTraces, dt_ms: f64) {
        st.traces.refresh(self.tau_trace, self.tau_trace, dt_ms);
    }

    fn on_pre(&self, st: &mut AstroTraces, pre: NeuronId, out: &mut Outgoing<'_>, t: &Tick) {
        let (f, a) = (t.weight_factor, st.astro);
        let (lo, hi) = (self.w_min.value * f, self.w_max.value * f);
        let traces = &mut st.traces;
        out.for_each(|s| {
            let dw = f * self.pre_change(s.inhibitory, self.trace_step * traces.y(s.post, t.grid), a);
            *s.weight = (*s.weight as f64 + dw).clamp(lo, hi) as f32;
        });
        traces.bump_pre(pre.index(), t.grid, false);
    }

    fn on_post(&self, st: &mut AstroTraces, post: NeuronId, arriving: &mut Arriving<'_>, t: &Tick) {
        let (f, a) = (t.weight_factor, st.astro);
        let (lo, hi) = (self.w_min.value * f, self.w_max.value * f);
        let traces = &mut st.traces;
        arriving.for_each(|s| {
            let dw = f * self.post_change(s.inhibitory, self.trace_step * traces.x(s.pre, t.grid), a);
            *s.weight = (*s.weight as f64 + dw).clamp(lo, hi) as f32;
        });
        traces.bump_post(post.index(), t.grid, false);
    }

    /// The astrocyte follows this step's liquid and input spike counts.
    fn every_step(&self, st: &mut AstroTraces, _syn: &mut ProjectionSynapses<'_>, t: &Tick, a: &Activity) {
        let count = |pops: &[PopulationId]| a.spikes.iter().filter(|s| pops.contains(&a.population[s.index()])).count();
        let mut astro = Astrocyte { w_a: self.w_a, b_a: self.b_a, tau_ms: self.tau_astro, a: st.astro };
        astro.step(count(&st.liquid), count(&st.input), t.dt_ms);
        st.astro = astro.a;
    }

    fn resize_neurons(&self, st: &mut AstroTraces, n: usize) {
        st.traces.resize(n);
    }

    fn w_max(&self) -> Option<Quantity> {
        Some(self.w_max)
    }

    fn w_min(&self) -> Option<Quantity> {
        Some(self.w_min)
    }

    /// Δw(Δt) of an excitatory synapse at A = b_A.
    fn curve(&self, n: usize) -> Curve {
        let f = |t: f64| {
            let x = self.trace_step * (-t.abs() / self.tau_trace).exp();
            if t > 0.0 {
                self.post_change(false, x, self.b_a)
            } else if t < 0.0 {
                self.pre_change(false, x, self.b_a)
            } else {
                0.0
            }
        };
        window_curve("Δt = t_post − t_pre (ms), excitatory, A = b_A", "Δw", n, f)
    }
}

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
        assert!((r.post_change(false, x, a) - 0.15 * 0.2).abs() < 1e-15);
        assert!((r.pre_change(false, x, a) + 0.3 * 0.2).abs() < 1e-15);
        // Inhibitory pre (the mirror): pre-then-post depresses by A x; post-then-pre potentiates.
        assert!((r.post_change(true, x, a) + 0.3 * 0.2).abs() < 1e-15);
        assert!((r.pre_change(true, x, a) - 0.15 * 0.2).abs() < 1e-15);
    }
}
