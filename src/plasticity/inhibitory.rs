//! Inhibitory STDP that balances excitation (Vogels, Sprekeler, Zenke, Clopath & Gerstner,
//! Science 2011): on an inhibitory synapse, a presynaptic spike changes the weight by
//! `η (y − α)` and a postsynaptic spike by `η x`, with x, y the pre- and postsynaptic traces
//! (τ_STDP, +1 per spike) and α = 2 ρ₀ τ_STDP. Near-coincident spikes strengthen inhibition,
//! lone presynaptic spikes weaken it, and the postsynaptic rate settles at the target ρ₀.
//!
//! Weights move between 0 and `w_max`, in the direction of `w_max`'s sign: a current-based target
//! writes inhibition as negative currents (`w_max: "-500 pA"`), a conductance-based one as positive
//! conductances (`w_max: "50 nS"`). The added rule of docs/ARCHITECTURE.md, "Adding a rule".

use serde::{Deserialize, Serialize};

use super::pair::{PairTraces, window_curve};
use crate::sim::Network;
use crate::sim::params::{Curve, ParamSpec, tunable};
use crate::sim::rule::{Arriving, Outgoing, Scope, SynapticRule, Tick};
use crate::sim::{Dim, NeuronId, Quantity};

/// Vogels–Sprekeler inhibitory STDP.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct InhibitoryStdp {
    /// Trace time constant τ_STDP.
    #[serde(with = "crate::sim::units::time")]
    pub tau: f64,
    /// Learning rate η, as a fraction of `w_max` per unit trace.
    pub eta: f64,
    /// Target postsynaptic rate ρ₀ (sets the depression per lone presynaptic spike, α = 2 ρ₀ τ).
    #[serde(with = "crate::sim::units::rate")]
    pub target_rate: f64,
    /// Weight bound, in the projection's weight unit; its sign is the direction of inhibition.
    pub w_max: Quantity,
}

impl Default for InhibitoryStdp {
    /// The paper's τ = 20 ms, η = 0.01 (here a fraction of `w_max`) and ρ₀ = 3 Hz.
    fn default() -> Self {
        Self { tau: 20.0, eta: 0.01, target_rate: 3.0, w_max: Quantity::new(1.0, Dim::Dimensionless) }
    }
}

const INHIBITORY_SCHEMA: &[ParamSpec] = &[
    ParamSpec::new("tau", Dim::Time, 0.1, 1000.0, 20.0, "trace time constant"),
    ParamSpec::new("eta", Dim::Dimensionless, 0.0, 1.0, 0.01, "learning rate (fraction of w_max)"),
    ParamSpec::new("target_rate", Dim::Rate, 0.0, 500.0, 3.0, "target postsynaptic rate"),
    ParamSpec::new("w_max", Dim::Weight, -1e12, 1e12, 1.0, "weight bound (sign: direction of inhibition)"),
];

tunable!(InhibitoryStdp, "InhibitoryStdp", INHIBITORY_SCHEMA, [tau, eta, target_rate, w_max]);

impl InhibitoryStdp {
    /// α = 2 ρ₀ τ: the trace a lone presynaptic spike must meet for no change.
    pub fn alpha(&self) -> f64 {
        2.0 * self.target_rate * 1e-3 * self.tau
    }

    /// `w + w_max η δ`, kept between 0 and `w_max` (engine units).
    #[inline]
    fn moved(&self, w: f32, delta: f64, w_max: f64) -> f32 {
        let (lo, hi) = if w_max < 0.0 { (w_max, 0.0) } else { (0.0, w_max) };
        (w as f64 + w_max * self.eta * delta).clamp(lo, hi) as f32
    }
}

impl SynapticRule for InhibitoryStdp {
    type State = PairTraces;

    fn check_state(&self, st: &PairTraces, net: &Network, _scope: &Scope) -> Result<(), String> {
        st.check(net.num_neurons(), net.step_count())
    }

    fn new_state(&self, neurons: usize, _peers: &[Scope]) -> PairTraces {
        PairTraces::new(neurons)
    }

    fn begin_step(&self, st: &mut PairTraces, dt_ms: f64) {
        st.refresh(self.tau, self.tau, dt_ms);
    }

    fn on_pre(&self, st: &mut PairTraces, pre: NeuronId, out: &mut Outgoing<'_>, t: &Tick) {
        let (w_max, alpha) = (self.w_max.value * t.weight_factor, self.alpha());
        out.for_each(|s| *s.weight = self.moved(*s.weight, st.y(s.post, t.grid) - alpha, w_max));
        st.bump_pre(pre.index(), t.grid, false);
    }

    fn on_post(&self, st: &mut PairTraces, post: NeuronId, arriving: &mut Arriving<'_>, t: &Tick) {
        let w_max = self.w_max.value * t.weight_factor;
        arriving.for_each(|s| *s.weight = self.moved(*s.weight, st.x(s.pre, t.grid), w_max));
        st.bump_post(post.index(), t.grid, false);
    }

    fn resize_neurons(&self, st: &mut PairTraces, n: usize) {
        st.resize(n);
    }

    fn w_max(&self) -> Option<Quantity> {
        Some(self.w_max)
    }

    /// The symmetric window of one pair, without the −α of the presynaptic spike.
    fn curve(&self, n: usize) -> Curve {
        let f = |t: f64| self.w_max.value * self.eta * (-t.abs() / self.tau).exp();
        window_curve("Δt = t_post − t_pre (ms), one pair", "Δw (−η α per lone pre spike)", n, f)
    }
}
