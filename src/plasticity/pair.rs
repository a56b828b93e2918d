//! Pair-based STDP with traces (ALGORITHMS.md §2): additive or multiplicative weight dependence,
//! all-to-all or nearest-spike pairing. A presynaptic spike depresses each of its synapses by the
//! postsynaptic trace, a postsynaptic spike potentiates by the presynaptic trace.

use serde::{Deserialize, Serialize};

use super::schema::{TAU_MINUS, TAU_PLUS, W_MAX};
use crate::sim::Network;
use crate::sim::params::{Curve, ParamSpec, tunable};
use crate::sim::rule::{Arriving, Outgoing, Scope, SynapticRule, Tick};
use crate::sim::trace::{DecaySet, Trace};
use crate::sim::{Dim, NeuronId, Quantity};

/// How spikes pair up: every earlier spike counts (traces add up) or only the nearest (traces
/// are reset to 1).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Pairing {
    /// Every pair of spikes contributes.
    #[default]
    AllToAll,
    /// Only the nearest preceding spike contributes.
    Nearest,
}

impl Pairing {
    /// Whether traces are reset to 1 instead of incremented.
    pub fn nearest(self) -> bool {
        self == Pairing::Nearest
    }
}

pub(super) fn default_w_max() -> Quantity {
    Quantity::new(1.0, Dim::Dimensionless)
}

/// Pair-based STDP. One pair with lag Δt = t_post − t_pre changes the weight by
/// `w_max·a_plus·e^{−Δt/τ+}` (Δt > 0) or `−w_max·a_minus·e^{Δt/τ−}` (Δt < 0), times the weight
/// dependence `(1 − w/w_max)^mu_plus` / `(w/w_max)^mu_minus` (0: additive, 1: multiplicative).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PairStdp {
    /// Presynaptic trace time constant.
    #[serde(with = "crate::sim::units::time")]
    pub tau_plus: f64,
    /// Postsynaptic trace time constant.
    #[serde(with = "crate::sim::units::time")]
    pub tau_minus: f64,
    /// Potentiation per pair, as a fraction of `w_max`.
    pub a_plus: f64,
    /// Depression per pair, as a fraction of `w_max`.
    pub a_minus: f64,
    /// Weight dependence of potentiation (0 additive, 1 multiplicative).
    pub mu_plus: f64,
    /// Weight dependence of depression (0 additive, 1 multiplicative).
    pub mu_minus: f64,
    /// Upper weight bound, in the projection's weight unit.
    pub w_max: Quantity,
    /// Spike pairing scheme.
    pub pairing: Pairing,
    /// Whether weights are clipped to [0, w_max].
    pub clip: bool,
}

impl Default for PairStdp {
    /// Song, Miller & Abbott (2000) as in Brian2's examples/synapses/STDP.py.
    fn default() -> Self {
        Self {
            tau_plus: 20.0,
            tau_minus: 20.0,
            a_plus: 0.01,
            a_minus: 0.0105,
            mu_plus: 0.0,
            mu_minus: 0.0,
            w_max: default_w_max(),
            pairing: Pairing::AllToAll,
            clip: true,
        }
    }
}

const PAIR_SCHEMA: &[ParamSpec] = &[
    TAU_PLUS,
    TAU_MINUS,
    ParamSpec::new("a_plus", Dim::Dimensionless, 0.0, 1.0, 0.01, "potentiation per pair (fraction of w_max)"),
    ParamSpec::new("a_minus", Dim::Dimensionless, 0.0, 1.0, 0.0105, "depression per pair (fraction of w_max)"),
    ParamSpec::new(
        "mu_plus",
        Dim::Dimensionless,
        0.0,
        2.0,
        0.0,
        "weight dependence of potentiation (0 additive, 1 multiplicative)",
    ),
    ParamSpec::new("mu_minus", Dim::Dimensionless, 0.0, 2.0, 0.0, "weight dependence of depression"),
    W_MAX,
];

impl PairStdp {
    /// Δw for a single pair with lag `dt_ms` = t_post − t_pre at weight `w` (no bounds): the
    /// curve the UI draws.
    pub fn window(&self, dt_ms: f64, w: f64) -> f64 {
        let w_max = self.w_max.value;
        let u = w / w_max;
        let plus = w_max * self.a_plus * weight_dependence(1.0 - u, self.mu_plus);
        let minus = w_max * self.a_minus * weight_dependence(u, self.mu_minus);
        exponential_window(dt_ms, plus, minus, self.tau_plus, self.tau_minus)
    }

    /// The weight after a presynaptic spike meets postsynaptic trace `y` (`w_max` in engine units).
    #[inline]
    pub fn depressed(&self, w: f64, y: f64, w_max: f64) -> f64 {
        let dw = w_max * self.a_minus * weight_dependence(w / w_max, self.mu_minus) * y;
        self.bound(w - dw, w_max)
    }

    /// The weight after a postsynaptic spike meets presynaptic trace `x`.
    #[inline]
    pub fn potentiated(&self, w: f64, x: f64, w_max: f64) -> f64 {
        let dw = w_max * self.a_plus * weight_dependence(1.0 - w / w_max, self.mu_plus) * x;
        self.bound(w + dw, w_max)
    }

    #[inline]
    fn bound(&self, w: f64, w_max: f64) -> f64 {
        if self.clip { w.clamp(0.0, w_max) } else { w }
    }
}

/// One isolated pair's change at lag `dt_ms` = t_post − t_pre: `plus·e^{−Δt/τ+}` for Δt > 0,
/// `−minus·e^{Δt/τ−}` for Δt < 0, nothing at Δt = 0. The window every pair-based rule draws.
pub fn exponential_window(dt_ms: f64, plus: f64, minus: f64, tau_plus: f64, tau_minus: f64) -> f64 {
    if dt_ms > 0.0 {
        plus * (-dt_ms / tau_plus).exp()
    } else if dt_ms < 0.0 {
        -minus * (dt_ms / tau_minus).exp()
    } else {
        0.0
    }
}

/// `base^mu`, exactly 1 for the additive rule (mu = 0) and never NaN for a slightly negative base.
#[inline]
pub(super) fn weight_dependence(base: f64, mu: f64) -> f64 {
    if mu == 0.0 { 1.0 } else { base.max(0.0).powf(mu) }
}

tunable!(PairStdp, "PairStdp", PAIR_SCHEMA, [tau_plus, tau_minus, a_plus, a_minus, mu_plus, mu_minus, w_max]);

/// Pair STDP's variables: one presynaptic and one postsynaptic trace per neuron.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PairTraces {
    /// Presynaptic trace x (τ+).
    pub pre: Trace,
    /// Postsynaptic trace y (τ−).
    pub post: Trace,
    #[serde(skip)]
    decay: DecaySet,
}

impl PairTraces {
    /// Zero traces for `neurons` neurons.
    pub fn new(neurons: usize) -> Self {
        Self { pre: Trace::new(neurons), post: Trace::new(neurons), decay: DecaySet::default() }
    }

    /// Refreshes the decay tables for (τ+, τ−) at step `dt_ms`.
    pub fn refresh(&mut self, tau_plus: f64, tau_minus: f64, dt_ms: f64) {
        self.decay.refresh(&[tau_plus, tau_minus], dt_ms);
    }

    /// Covers `n` neurons.
    pub fn resize(&mut self, n: usize) {
        self.pre.resize(n);
        self.post.resize(n);
    }

    /// Checks decoded traces against a network of `n` neurons at step `now`.
    pub fn check(&self, n: usize, now: u64) -> Result<(), String> {
        self.pre.check(n, now)?;
        self.post.check(n, now)
    }

    /// The postsynaptic trace of `j` at `grid`.
    #[inline]
    pub fn y(&self, j: usize, grid: u64) -> f64 {
        self.post.at(j, grid, &self.decay.tables()[1])
    }

    /// The presynaptic trace of `i` at `grid`.
    #[inline]
    pub fn x(&self, i: usize, grid: u64) -> f64 {
        self.pre.at(i, grid, &self.decay.tables()[0])
    }

    /// A presynaptic spike of `i` at `grid` raises its trace.
    #[inline]
    pub fn bump_pre(&mut self, i: usize, grid: u64, nearest: bool) {
        self.pre.bump(i, grid, &self.decay.tables()[0], nearest);
    }

    /// A postsynaptic spike of `j` at `grid` raises its trace.
    #[inline]
    pub fn bump_post(&mut self, j: usize, grid: u64, nearest: bool) {
        self.post.bump(j, grid, &self.decay.tables()[1], nearest);
    }
}

impl SynapticRule for PairStdp {
    type State = PairTraces;

    fn check_state(&self, st: &PairTraces, net: &Network, _scope: &Scope) -> Result<(), String> {
        st.check(net.num_neurons(), net.step_count())
    }

    fn new_state(&self, neurons: usize, _peers: &[Scope]) -> PairTraces {
        PairTraces::new(neurons)
    }

    fn begin_step(&self, st: &mut PairTraces, dt_ms: f64) {
        st.refresh(self.tau_plus, self.tau_minus, dt_ms);
    }

    fn on_pre(&self, st: &mut PairTraces, pre: NeuronId, out: &mut Outgoing<'_>, t: &Tick) {
        let w_max = self.w_max.value * t.weight_factor;
        out.for_each(|s| *s.weight = self.depressed(*s.weight as f64, st.y(s.post, t.grid), w_max) as f32);
        st.bump_pre(pre.index(), t.grid, self.pairing.nearest());
    }

    fn on_post(&self, st: &mut PairTraces, post: NeuronId, arriving: &mut Arriving<'_>, t: &Tick) {
        let w_max = self.w_max.value * t.weight_factor;
        arriving.for_each(|s| *s.weight = self.potentiated(*s.weight as f64, st.x(s.pre, t.grid), w_max) as f32);
        st.bump_post(post.index(), t.grid, self.pairing.nearest());
    }

    fn resize_neurons(&self, st: &mut PairTraces, n: usize) {
        st.resize(n);
    }

    fn w_max(&self) -> Option<Quantity> {
        Some(self.w_max)
    }

    /// Δw(Δt) at w = w_max/2.
    fn curve(&self, n: usize) -> Curve {
        let w = 0.5 * self.w_max.value;
        window_curve("Δt = t_post − t_pre (ms)", "Δw", n, |t| self.window(t, w))
    }
}

/// An STDP window sampled at `n` lags from −100 to 100 ms.
pub(super) fn window_curve(x_label: &'static str, y_label: &'static str, n: usize, f: impl Fn(f64) -> f64) -> Curve {
    Curve { x_label, y_label, points: Curve::span(-100.0, 100.0, n).map(|t| [t, f(t)]).collect() }
}
