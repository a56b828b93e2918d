//! Homeostasis (ALGORITHMS.md §5): multiplicative synaptic scaling toward a target rate, and
//! intrinsic plasticity by threshold adaptation.

use serde::{Deserialize, Serialize};

use super::params::{ParamSpec, TAU_RATE, Tunable, tunable};
use crate::sim::{Dim, NeuronId, ParamError, PopulationId, Segment};

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

/// An intrinsic-plasticity rule with its parameters.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum IntrinsicRule {
    /// Threshold adaptation toward a target rate.
    ThresholdAdaptation(ThresholdAdaptation),
}

impl IntrinsicRule {
    /// The rule's name as written in scene files.
    pub fn name(&self) -> &'static str {
        match self {
            IntrinsicRule::ThresholdAdaptation(_) => ThresholdAdaptation::RULE,
        }
    }

    /// Its tunable parameters.
    pub fn schema(&self) -> &'static [ParamSpec] {
        match self {
            IntrinsicRule::ThresholdAdaptation(_) => ThresholdAdaptation::schema(),
        }
    }

    /// A parameter's value.
    pub fn get(&self, name: &str) -> Option<f64> {
        match self {
            IntrinsicRule::ThresholdAdaptation(r) => r.get(name),
        }
    }

    /// Sets a parameter after validating it.
    pub fn set(&mut self, name: &str, value: f64) -> Result<(), ParamError> {
        match self {
            IntrinsicRule::ThresholdAdaptation(r) => r.set(name, value),
        }
    }

    /// Checks every parameter.
    pub fn validate(&self) -> Result<(), ParamError> {
        match self {
            IntrinsicRule::ThresholdAdaptation(r) => r.validate(),
        }
    }
}

/// An intrinsic rule attached to a population.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct IntrinsicBinding {
    /// The population whose neurons adapt.
    pub population: PopulationId,
    /// The rule.
    pub rule: IntrinsicRule,
}

impl IntrinsicBinding {
    /// Updates the threshold offsets after one step with the given spikes.
    pub fn apply(
        &self,
        theta: &mut [f64],
        segments: &[Segment],
        population: &[PopulationId],
        spikes: &[NeuronId],
        dt: f64,
    ) {
        match &self.rule {
            IntrinsicRule::ThresholdAdaptation(r) => {
                let leak = r.eta * r.target_rate * dt * 1e-3;
                for seg in segments.iter().filter(|s| s.population == self.population) {
                    for t in &mut theta[seg.start as usize..seg.end as usize] {
                        *t -= leak;
                    }
                }
                for id in spikes.iter().filter(|id| population[id.index()] == self.population) {
                    theta[id.index()] += r.eta;
                }
            }
        }
    }
}

tunable!(SynapticScaling, "SynapticScaling", SCALING_SCHEMA, [target_rate, tau_rate, tau_scale, interval]);

tunable!(ThresholdAdaptation, "ThresholdAdaptation", THRESHOLD_SCHEMA, [eta, target_rate]);
