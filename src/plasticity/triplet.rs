//! Triplet STDP (Pfister & Gerstner 2006; ALGORITHMS.md §3).

use serde::{Deserialize, Serialize};

use super::pair::{Pairing, default_w_max, exponential_window, window_curve};
use crate::sim::Network;
use crate::sim::params::{Curve, ParamSpec, tunable};
use crate::sim::rule::{Arriving, Outgoing, Scope, SynapticRule, Tick};
use crate::sim::trace::{DecaySet, Trace};
use crate::sim::{Dim, NeuronId, Quantity};

/// Triplet STDP (Pfister & Gerstner 2006). Two presynaptic traces r1 (τ+), r2 (τx) and two
/// postsynaptic traces o1 (τ−), o2 (τy): a pre spike depresses by `w_max·o1·(A2− + A3−·r2)`, a post
/// spike potentiates by `w_max·r1·(A2+ + A3+·o2)`, each reading the other trace of its own side
/// before that side's increment.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TripletStdp {
    /// r1 time constant.
    #[serde(with = "crate::sim::units::time")]
    pub tau_plus: f64,
    /// o1 time constant.
    #[serde(with = "crate::sim::units::time")]
    pub tau_minus: f64,
    /// r2 time constant.
    #[serde(with = "crate::sim::units::time")]
    pub tau_x: f64,
    /// o2 time constant.
    #[serde(with = "crate::sim::units::time")]
    pub tau_y: f64,
    /// Pair potentiation amplitude.
    pub a2_plus: f64,
    /// Triplet potentiation amplitude.
    pub a3_plus: f64,
    /// Pair depression amplitude.
    pub a2_minus: f64,
    /// Triplet depression amplitude.
    pub a3_minus: f64,
    /// Weight scale and upper bound, in the projection's weight unit.
    pub w_max: Quantity,
    /// Spike pairing scheme.
    pub pairing: Pairing,
    /// Whether weights are clipped to [0, w_max].
    pub clip: bool,
}

impl Default for TripletStdp {
    /// Visual cortex, all-to-all, full model (Pfister & Gerstner 2006, Table 3; NEST's defaults).
    fn default() -> Self {
        Self {
            tau_plus: 16.8,
            tau_minus: 33.7,
            tau_x: 101.0,
            tau_y: 125.0,
            a2_plus: 5e-10,
            a3_plus: 6.2e-3,
            a2_minus: 7e-3,
            a3_minus: 2.3e-4,
            w_max: default_w_max(),
            pairing: Pairing::AllToAll,
            clip: true,
        }
    }
}

impl TripletStdp {
    /// Visual cortex, all-to-all, minimal model.
    pub fn visual_cortex_minimal() -> Self {
        Self { a2_plus: 0.0, a3_plus: 6.5e-3, a2_minus: 7.1e-3, a3_minus: 0.0, tau_y: 114.0, ..Self::default() }
    }

    /// Visual cortex, nearest-spike, minimal model.
    pub fn visual_cortex_nearest() -> Self {
        Self {
            a2_plus: 0.0,
            a3_plus: 5e-2,
            a2_minus: 8e-3,
            a3_minus: 0.0,
            tau_y: 40.0,
            pairing: Pairing::Nearest,
            ..Self::default()
        }
    }

    /// Hippocampal culture, all-to-all, minimal model (Pfister & Gerstner 2006, Table 4).
    pub fn hippocampal_minimal() -> Self {
        Self {
            a2_plus: 4.6e-3,
            a3_plus: 9.1e-3,
            a2_minus: 3e-3,
            a3_minus: 0.0,
            tau_x: 946.0,
            tau_y: 27.0,
            ..Self::default()
        }
    }

    /// The weight after a presynaptic spike meets o1 and (before its own increment) r2.
    #[inline]
    pub fn depressed(&self, w: f64, o1: f64, r2: f64, w_max: f64) -> f64 {
        self.bound(w - w_max * o1 * (self.a2_minus + self.a3_minus * r2), w_max)
    }

    /// The weight after a postsynaptic spike meets r1 and (before its own increment) o2.
    #[inline]
    pub fn potentiated(&self, w: f64, r1: f64, o2: f64, w_max: f64) -> f64 {
        self.bound(w + w_max * r1 * (self.a2_plus + self.a3_plus * o2), w_max)
    }

    #[inline]
    fn bound(&self, w: f64, w_max: f64) -> f64 {
        if self.clip { w.clamp(0.0, w_max) } else { w }
    }
}

const TRIPLET_SCHEMA: &[ParamSpec] = &[
    ParamSpec::new("tau_plus", Dim::Time, 0.1, 1000.0, 16.8, "r1 time constant"),
    ParamSpec::new("tau_minus", Dim::Time, 0.1, 1000.0, 33.7, "o1 time constant"),
    ParamSpec::new("tau_x", Dim::Time, 0.1, 5000.0, 101.0, "r2 time constant"),
    ParamSpec::new("tau_y", Dim::Time, 0.1, 5000.0, 125.0, "o2 time constant"),
    ParamSpec::new("a2_plus", Dim::Dimensionless, 0.0, 1.0, 5e-10, "pair potentiation"),
    ParamSpec::new("a3_plus", Dim::Dimensionless, 0.0, 1.0, 6.2e-3, "triplet potentiation"),
    ParamSpec::new("a2_minus", Dim::Dimensionless, 0.0, 1.0, 7e-3, "pair depression"),
    ParamSpec::new("a3_minus", Dim::Dimensionless, 0.0, 1.0, 2.3e-4, "triplet depression"),
    ParamSpec::new("w_max", Dim::Weight, 1e-12, 1e12, 1.0, "weight scale and bound"),
];

tunable!(
    TripletStdp,
    "TripletStdp",
    TRIPLET_SCHEMA,
    [tau_plus, tau_minus, tau_x, tau_y, a2_plus, a3_plus, a2_minus, a3_minus, w_max]
);

/// Triplet STDP's variables: presynaptic traces r1 (τ+), r2 (τx), postsynaptic o1 (τ−), o2 (τy).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TripletTraces {
    /// r1 and r2 per neuron.
    pub pre: [Trace; 2],
    /// o1 and o2 per neuron.
    pub post: [Trace; 2],
    #[serde(skip)]
    decay: DecaySet,
}

impl SynapticRule for TripletStdp {
    type State = TripletTraces;

    fn check_state(&self, st: &TripletTraces, net: &Network, _scope: &Scope) -> Result<(), String> {
        st.pre.iter().chain(&st.post).try_for_each(|t| t.check(net.num_neurons(), net.step_count()))
    }

    fn new_state(&self, neurons: usize, _peers: &[Scope]) -> TripletTraces {
        let two = || [Trace::new(neurons), Trace::new(neurons)];
        TripletTraces { pre: two(), post: two(), decay: DecaySet::default() }
    }

    fn begin_step(&self, st: &mut TripletTraces, dt_ms: f64) {
        st.decay.refresh(&[self.tau_plus, self.tau_minus, self.tau_x, self.tau_y], dt_ms);
    }

    fn on_pre(&self, st: &mut TripletTraces, pre: NeuronId, out: &mut Outgoing<'_>, t: &Tick) {
        let (w_max, d, i) = (self.w_max.value * t.weight_factor, st.decay.tables(), pre.index());
        let r2 = st.pre[1].at(i, t.grid, &d[2]);
        out.for_each(|s| {
            let o1 = st.post[0].at(s.post, t.grid, &d[1]);
            *s.weight = self.depressed(*s.weight as f64, o1, r2, w_max) as f32;
        });
        let nearest = self.pairing.nearest();
        st.pre[0].bump(i, t.grid, &d[0], nearest);
        st.pre[1].bump(i, t.grid, &d[2], nearest);
    }

    fn on_post(&self, st: &mut TripletTraces, post: NeuronId, arriving: &mut Arriving<'_>, t: &Tick) {
        let (w_max, d, j) = (self.w_max.value * t.weight_factor, st.decay.tables(), post.index());
        let o2 = st.post[1].at(j, t.grid, &d[3]);
        arriving.for_each(|s| {
            let r1 = st.pre[0].at(s.pre, t.grid, &d[0]);
            *s.weight = self.potentiated(*s.weight as f64, r1, o2, w_max) as f32;
        });
        let nearest = self.pairing.nearest();
        st.post[0].bump(j, t.grid, &d[1], nearest);
        st.post[1].bump(j, t.grid, &d[3], nearest);
    }

    fn resize_neurons(&self, st: &mut TripletTraces, n: usize) {
        st.pre.iter_mut().chain(st.post.iter_mut()).for_each(|t| t.resize(n));
    }

    fn w_max(&self) -> Option<Quantity> {
        Some(self.w_max)
    }

    /// The window of an isolated pair (no triplet term).
    fn curve(&self, n: usize) -> Curve {
        let (plus, minus) = (self.w_max.value * self.a2_plus, self.w_max.value * self.a2_minus);
        let f = |t: f64| exponential_window(t, plus, minus, self.tau_plus, self.tau_minus);
        window_curve("Δt = t_post − t_pre (ms), isolated pair", "Δw", n, f)
    }
}
