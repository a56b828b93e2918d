//! Spike-timing-dependent plasticity with traces (ALGORITHMS.md §2–3): the pair rule (additive or
//! multiplicative weight dependence, all-to-all or nearest-spike pairing) and the triplet rule of
//! Pfister & Gerstner (2006).

use serde::{Deserialize, Serialize};

use super::params::{INTERVAL, ParamSpec, TAU_MINUS, TAU_PLUS, W_MAX, tunable};
use crate::sim::{Dim, Quantity};

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

fn default_w_max() -> Quantity {
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
    pub fn on_pre(&self, w: f64, y: f64, w_max: f64) -> f64 {
        let dw = w_max * self.a_minus * weight_dependence(w / w_max, self.mu_minus) * y;
        self.bound(w - dw, w_max)
    }

    /// The weight after a postsynaptic spike meets presynaptic trace `x`.
    #[inline]
    pub fn on_post(&self, w: f64, x: f64, w_max: f64) -> f64 {
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
fn weight_dependence(base: f64, mu: f64) -> f64 {
    if mu == 0.0 { 1.0 } else { base.max(0.0).powf(mu) }
}

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
    pub fn on_pre(&self, w: f64, o1: f64, r2: f64, w_max: f64) -> f64 {
        self.bound(w - w_max * o1 * (self.a2_minus + self.a3_minus * r2), w_max)
    }

    /// The weight after a postsynaptic spike meets r1 and (before its own increment) o2.
    #[inline]
    pub fn on_post(&self, w: f64, r1: f64, o2: f64, w_max: f64) -> f64 {
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
    ParamSpec::new("w_max", Dim::Dimensionless, 1e-12, 1e12, 1.0, "weight scale and bound"),
];

/// Reward-modulated STDP with an eligibility trace (Izhikevich 2007): pair-STDP changes go into a
/// per-synapse eligibility `c` (decaying with τ_c) instead of the weight; a dopamine signal `d`
/// (raised by reward events, decaying with τ_d) turns eligibility into weight change,
/// dw/dt = learning_rate · c · d, applied every `interval`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RewardStdp {
    /// Presynaptic trace time constant.
    #[serde(with = "crate::sim::units::time")]
    pub tau_plus: f64,
    /// Postsynaptic trace time constant.
    #[serde(with = "crate::sim::units::time")]
    pub tau_minus: f64,
    /// Eligibility per causal pair, as a fraction of `w_max`.
    pub a_plus: f64,
    /// Eligibility per anti-causal pair, as a fraction of `w_max`.
    pub a_minus: f64,
    /// Eligibility time constant.
    #[serde(with = "crate::sim::units::time")]
    pub tau_eligibility: f64,
    /// Dopamine time constant.
    #[serde(with = "crate::sim::units::time")]
    pub tau_dopamine: f64,
    /// Weight change per unit eligibility and dopamine, per second.
    #[serde(with = "crate::sim::units::rate")]
    pub learning_rate: f64,
    /// How often eligibility is turned into weight.
    #[serde(with = "crate::sim::units::time")]
    pub interval: f64,
    /// Upper weight bound, in the projection's weight unit.
    pub w_max: Quantity,
}

impl Default for RewardStdp {
    fn default() -> Self {
        Self {
            tau_plus: 20.0,
            tau_minus: 20.0,
            a_plus: 0.01,
            a_minus: 0.0105,
            tau_eligibility: 1000.0,
            tau_dopamine: 200.0,
            learning_rate: 10.0,
            interval: 1.0,
            w_max: default_w_max(),
        }
    }
}

const REWARD_SCHEMA: &[ParamSpec] = &[
    TAU_PLUS,
    TAU_MINUS,
    ParamSpec::new("a_plus", Dim::Dimensionless, 0.0, 1.0, 0.01, "eligibility per causal pair"),
    ParamSpec::new("a_minus", Dim::Dimensionless, 0.0, 1.0, 0.0105, "eligibility per anti-causal pair"),
    ParamSpec::new("tau_eligibility", Dim::Time, 1.0, 100_000.0, 1000.0, "eligibility time constant"),
    ParamSpec::new("tau_dopamine", Dim::Time, 1.0, 100_000.0, 200.0, "dopamine time constant"),
    ParamSpec::new("learning_rate", Dim::Rate, 0.0, 10_000.0, 10.0, "weight change per eligibility and dopamine"),
    INTERVAL,
    W_MAX,
];

tunable!(PairStdp, "PairStdp", PAIR_SCHEMA, [tau_plus, tau_minus, a_plus, a_minus, mu_plus, mu_minus, w_max]);

tunable!(
    TripletStdp,
    "TripletStdp",
    TRIPLET_SCHEMA,
    [tau_plus, tau_minus, tau_x, tau_y, a2_plus, a3_plus, a2_minus, a3_minus, w_max]
);

tunable!(
    RewardStdp,
    "RewardStdp",
    REWARD_SCHEMA,
    [tau_plus, tau_minus, a_plus, a_minus, tau_eligibility, tau_dopamine, learning_rate, interval, w_max]
);
