//! Homeostasis (ALGORITHMS.md §5): multiplicative synaptic scaling toward a target rate, and
//! intrinsic plasticity by threshold adaptation.

use serde::{Deserialize, Serialize};

use super::schema::TAU_RATE;
use crate::sim::Network;
use crate::sim::network::Synapses;
use crate::sim::params::{Curve, ParamSpec, tunable};
use crate::sim::rule::{Activity, Arriving, Incoming, NeuronRule, ProjectionSynapses, Scope, SynapticRule, Tick};
use crate::sim::trace::{DecaySet, Trace};
use crate::sim::{Dim, NeuronId, PopulationId};

/// Multiplicative synaptic scaling (Turrigiano 1998; van Rossum, Bi & Turrigiano 2000): every
/// `interval`, each postsynaptic neuron's incoming weights of the projection are multiplied by
/// `1 + interval/τ_scale · (r_target − r̂)/r_target`, with r̂ its rate estimated by a trace
/// (τ_rate dr̂/dt = −r̂ + Σδ). Weight ratios onto a neuron are preserved.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SynapticScaling {
    /// Target firing rate.
    #[serde(with = "crate::sim::units::rate")]
    pub target_rate: f64,
    /// Time constant of the rate estimate.
    #[serde(with = "crate::sim::units::time")]
    pub tau_rate: f64,
    /// Time constant of scaling.
    #[serde(with = "crate::sim::units::time")]
    pub tau_scale: f64,
    /// How often the weights are rescaled.
    #[serde(with = "crate::sim::units::time")]
    pub interval: f64,
}

impl Default for SynapticScaling {
    fn default() -> Self {
        Self { target_rate: 5.0, tau_rate: 1000.0, tau_scale: 10_000.0, interval: 1.0 }
    }
}

const SCALING_SCHEMA: &[ParamSpec] = &[
    ParamSpec::new("target_rate", Dim::Rate, 0.01, 500.0, 5.0, "target firing rate"),
    TAU_RATE,
    ParamSpec::new("tau_scale", Dim::Time, 1000.0, 1_000_000.0, 10_000.0, "scaling time constant"),
    ParamSpec::new("interval", Dim::Time, 0.01, 1000.0, 1.0, "rescaling interval"),
];

impl SynapticScaling {
    /// The factor applied to a neuron's weights at a rescaling, given its rate estimate (Hz).
    pub fn factor(&self, rate_hz: f64) -> f64 {
        1.0 + self.interval / self.tau_scale * (self.target_rate - rate_hz) / self.target_rate
    }
}

/// Threshold adaptation (SORN-style, Lazar et al. 2009): every step
/// `V_th ← V_th + η (s(t) − r_target·dt)`, so the neuron's mean rate settles at `r_target`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ThresholdAdaptation {
    /// Threshold change per spike.
    #[serde(with = "crate::sim::units::voltage")]
    pub eta: f64,
    /// Target firing rate.
    #[serde(with = "crate::sim::units::rate")]
    pub target_rate: f64,
}

impl Default for ThresholdAdaptation {
    fn default() -> Self {
        Self { eta: 0.05, target_rate: 5.0 }
    }
}

const THRESHOLD_SCHEMA: &[ParamSpec] = &[
    ParamSpec::new("eta", Dim::Voltage, 0.0, 10.0, 0.05, "threshold change per spike"),
    ParamSpec::new("target_rate", Dim::Rate, 0.0, 500.0, 5.0, "target firing rate"),
];

tunable!(SynapticScaling, "SynapticScaling", SCALING_SCHEMA, [target_rate, tau_rate, tau_scale, interval]);

tunable!(ThresholdAdaptation, "ThresholdAdaptation", THRESHOLD_SCHEMA, [eta, target_rate]);

/// Synaptic scaling's variables: each neuron's rate trace and cumulative gain, and the weights it
/// scales (in the projection's by-postsynaptic order), so a weight is always base × gain with one
/// rounding and ratios onto a neuron stay exact however many times it is rescaled.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ScalingState {
    /// Postsynaptic rate trace.
    pub post: Trace,
    /// Cumulative gain per neuron.
    pub gain: Vec<f64>,
    /// Unscaled weight per synapse of the projection.
    pub base: Vec<f32>,
    #[serde(skip)]
    decay: DecaySet,
}

impl SynapticRule for SynapticScaling {
    type State = ScalingState;

    fn check_state(&self, st: &ScalingState, net: &Network, scope: &Scope) -> Result<(), String> {
        let n = net.num_neurons();
        st.post.check(n, net.step_count())?;
        let slots = net.synapses.projection.iter().filter(|&&p| p == scope.projection).count();
        let shapes = (st.gain.is_empty() && st.base.is_empty()) || (st.gain.len() == n && st.base.len() == slots);
        if !shapes {
            return Err(format!(
                "{} gains and {} base weights for {n} neurons and {slots} synapses",
                st.gain.len(),
                st.base.len()
            ));
        }
        match st.gain.iter().all(|g| g.is_finite()) && st.base.iter().all(|w| w.is_finite()) {
            true => Ok(()),
            false => Err("a gain or base weight is not finite".into()),
        }
    }

    fn new_state(&self, neurons: usize, _peers: &[Scope]) -> ScalingState {
        ScalingState { post: Trace::new(neurons), gain: Vec::new(), base: Vec::new(), decay: DecaySet::default() }
    }

    fn begin_step(&self, st: &mut ScalingState, dt_ms: f64) {
        st.decay.refresh(&[self.tau_rate], dt_ms);
    }

    fn on_post(&self, st: &mut ScalingState, post: NeuronId, _arriving: &mut Arriving<'_>, t: &Tick) {
        st.post.bump(post.index(), t.grid, &st.decay.tables()[0], false);
    }

    /// Every `interval`, each neuron's weights become base × its gain, updated from its rate.
    fn every_step(&self, st: &mut ScalingState, syn: &mut ProjectionSynapses<'_>, t: &Tick, _a: &Activity) {
        let every = (self.interval / t.dt_ms).round().max(1.0) as u64;
        if !t.grid.is_multiple_of(every) {
            return;
        }
        let scaled = SynapticScaling { interval: every as f64 * t.dt_ms, ..self.clone() };
        let incoming = syn.incoming();
        let d = &st.decay.tables()[0];
        for j in 0..incoming.neurons() {
            let range = incoming.range(j);
            if range.is_empty() {
                continue;
            }
            let rate_hz = st.post.at(j, t.grid, d) / self.tau_rate * 1000.0;
            st.gain[j] *= scaled.factor(rate_hz);
            for (&(s, _), &w0) in incoming.entries()[range.clone()].iter().zip(&st.base[range]) {
                *syn.weight(s) = (w0 as f64 * st.gain[j]) as f32;
            }
        }
    }

    fn resize_neurons(&self, st: &mut ScalingState, n: usize) {
        st.post.resize(n);
        if !st.gain.is_empty() {
            st.gain.resize(n, 1.0);
        }
    }

    /// Bases follow their synapses; a new synapse's current weight counts as already scaled.
    fn rebuilt(
        &self,
        st: &mut ScalingState,
        syn: &Synapses,
        incoming: &Incoming,
        renumbered: Option<(&[u32], &Incoming)>,
    ) {
        let base_by_slot = renumbered.filter(|_| !st.base.is_empty()).map(|(old_to_new, old)| {
            let mut b = vec![f32::NAN; syn.len()];
            for (k, &(s, _)) in old.entries().iter().enumerate() {
                let new = old_to_new[s as usize];
                if new != u32::MAX {
                    b[new as usize] = st.base[k];
                }
            }
            b
        });
        if renumbered.is_some() {
            st.base.clear();
        }
        if st.base.len() != incoming.entries().len() {
            st.base = incoming.entries().iter().map(|&(s, _)| syn.weight[s as usize]).collect();
            if st.gain.len() != incoming.neurons() {
                st.gain = vec![1.0; incoming.neurons()];
            }
        }
        if let Some(b) = base_by_slot {
            st.base = incoming
                .entries()
                .iter()
                .map(|&(s, _)| {
                    let gain = st.gain.get((syn.target[s as usize] >> 1) as usize).copied().unwrap_or(1.0);
                    let w = b[s as usize];
                    if w.is_nan() { (syn.weight[s as usize] as f64 / gain) as f32 } else { w }
                })
                .collect();
        }
    }

    /// The factor applied at a rescaling against the postsynaptic rate.
    fn curve(&self, n: usize) -> Curve {
        let points = Curve::span(0.0, 4.0 * self.target_rate, n).map(|q| [q, self.factor(q)]).collect();
        Curve { x_label: "postsynaptic rate (Hz)", y_label: "weight factor per interval", points }
    }
}

impl NeuronRule for ThresholdAdaptation {
    /// Every step each neuron's threshold falls by η r_target dt and rises by η per spike.
    fn after_step(&self, population: PopulationId, theta: &mut [f64], a: &Activity) {
        let leak = self.eta * self.target_rate * a.dt_ms * 1e-3;
        for i in a.members(population) {
            theta[i] -= leak;
        }
        for id in a.spikes_of(population) {
            theta[id.index()] += self.eta;
        }
    }
}
