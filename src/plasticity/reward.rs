//! Reward-modulated STDP with an eligibility trace (Izhikevich 2007; ALGORITHMS.md §6).

use serde::{Deserialize, Serialize};

use super::pair::{PairTraces, default_w_max, exponential_window, window_curve};
use super::schema::{INTERVAL, TAU_MINUS, TAU_PLUS, W_MAX};
use crate::sim::Network;
use crate::sim::network::Synapses;
use crate::sim::params::{Curve, ParamSpec, tunable};
use crate::sim::rule::{Activity, Arriving, Incoming, Outgoing, ProjectionSynapses, Scope, SynapticRule, Tick};
use crate::sim::{Dim, NeuronId, Quantity};

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

tunable!(
    RewardStdp,
    "RewardStdp",
    REWARD_SCHEMA,
    [tau_plus, tau_minus, a_plus, a_minus, tau_eligibility, tau_dopamine, learning_rate, interval, w_max]
);

/// Reward STDP's variables: the pair traces, the eligibility of every synapse slot, dopamine.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Eligibility {
    /// Pre and post traces.
    pub traces: PairTraces,
    /// Eligibility per synapse slot of the network (engine weight units).
    pub eligibility: Vec<f32>,
    /// The dopamine level.
    pub dopamine: f64,
}

impl Eligibility {
    /// The eligibility of synapse slot `s`.
    pub fn of(&self, s: usize) -> f64 {
        self.eligibility.get(s).map_or(0.0, |&c| c as f64)
    }
}

impl SynapticRule for RewardStdp {
    type State = Eligibility;

    fn check_state(&self, st: &Eligibility, net: &Network, _scope: &Scope) -> Result<(), String> {
        st.traces.check(net.num_neurons(), net.step_count())?;
        let len = st.eligibility.len();
        if len != 0 && len != net.synapses.len() {
            return Err(format!("{len} eligibility traces for {} synapses", net.synapses.len()));
        }
        match st.eligibility.iter().all(|c| c.is_finite()) && st.dopamine.is_finite() {
            true => Ok(()),
            false => Err("an eligibility trace or the dopamine level is not finite".into()),
        }
    }

    fn new_state(&self, neurons: usize, _peers: &[Scope]) -> Eligibility {
        Eligibility { traces: PairTraces::new(neurons), eligibility: Vec::new(), dopamine: 0.0 }
    }

    fn begin_step(&self, st: &mut Eligibility, dt_ms: f64) {
        st.traces.refresh(self.tau_plus, self.tau_minus, dt_ms);
    }

    fn on_pre(&self, st: &mut Eligibility, pre: NeuronId, out: &mut Outgoing<'_>, t: &Tick) {
        let w_max = self.w_max.value * t.weight_factor;
        let (traces, c) = (&mut st.traces, &mut st.eligibility);
        out.for_each(|s| c[s.slot] -= (w_max * self.a_minus * traces.y(s.post, t.grid)) as f32);
        traces.bump_pre(pre.index(), t.grid, false);
    }

    fn on_post(&self, st: &mut Eligibility, post: NeuronId, arriving: &mut Arriving<'_>, t: &Tick) {
        let w_max = self.w_max.value * t.weight_factor;
        let (traces, c) = (&mut st.traces, &mut st.eligibility);
        arriving.for_each(|s| c[s.slot] += (w_max * self.a_plus * traces.x(s.pre, t.grid)) as f32);
        traces.bump_post(post.index(), t.grid, false);
    }

    /// Every `interval`, eligibility times dopamine becomes weight; eligibility and dopamine decay.
    fn every_step(&self, st: &mut Eligibility, syn: &mut ProjectionSynapses<'_>, t: &Tick, _a: &Activity) {
        let (w_max, dt) = (self.w_max.value * t.weight_factor, t.dt_ms);
        let every = (self.interval / dt).round().max(1.0) as u64;
        if t.grid.is_multiple_of(every) {
            let span_ms = every as f64 * dt;
            let gain = self.learning_rate * 1e-3 * span_ms * st.dopamine;
            let keep = (-span_ms / self.tau_eligibility).exp() as f32;
            for &(s, _) in syn.incoming().entries() {
                let c = &mut st.eligibility[s as usize];
                if gain != 0.0 && *c != 0.0 {
                    let w = syn.weight(s);
                    *w = (*w as f64 + gain * *c as f64).clamp(0.0, w_max) as f32;
                }
                *c *= keep;
            }
        }
        st.dopamine *= (-dt / self.tau_dopamine).exp();
    }

    fn reward(&self, st: &mut Eligibility, amount: f64) {
        st.dopamine += amount;
    }

    fn resize_neurons(&self, st: &mut Eligibility, n: usize) {
        st.traces.resize(n);
    }

    /// Eligibility follows its synapses to their new slots; new synapses start with none.
    fn rebuilt(
        &self,
        st: &mut Eligibility,
        syn: &Synapses,
        _incoming: &Incoming,
        renumbered: Option<(&[u32], &Incoming)>,
    ) {
        if let Some((old_to_new, _)) = renumbered
            && !st.eligibility.is_empty()
        {
            let mut e = vec![0.0; syn.len()];
            for (old, &new) in old_to_new.iter().enumerate() {
                if new != u32::MAX {
                    e[new as usize] = st.eligibility[old];
                }
            }
            st.eligibility = e;
        }
        if st.eligibility.len() != syn.len() {
            st.eligibility = vec![0.0; syn.len()];
        }
    }

    fn w_max(&self) -> Option<Quantity> {
        Some(self.w_max)
    }

    /// The eligibility window of one pair.
    fn curve(&self, n: usize) -> Curve {
        let (plus, minus) = (self.w_max.value * self.a_plus, self.w_max.value * self.a_minus);
        let f = |t: f64| exponential_window(t, plus, minus, self.tau_plus, self.tau_minus);
        window_curve("Δt = t_post − t_pre (ms)", "Δ eligibility", n, f)
    }
}
