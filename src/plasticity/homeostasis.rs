//! Homeostasis (ALGORITHMS.md §5): multiplicative synaptic scaling toward a target rate, and
//! intrinsic plasticity by threshold adaptation.

use serde::{Deserialize, Serialize};

use super::params::{ParamSpec, Tunable, tunable};
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
    ParamSpec { name: "target_rate", unit: Dim::Rate, min: 0.01, max: 500.0, default: 5.0, doc: "target firing rate" },
    ParamSpec {
        name: "tau_rate",
        unit: Dim::Time,
        min: 1.0,
        max: 100_000.0,
        default: 1000.0,
        doc: "rate-estimate time constant",
    },
    ParamSpec {
        name: "tau_scale",
        unit: Dim::Time,
        min: 1000.0,
        max: 1_000_000.0,
        default: 10_000.0,
        doc: "scaling time constant",
    },
    ParamSpec { name: "interval", unit: Dim::Time, min: 0.01, max: 1000.0, default: 1.0, doc: "rescaling interval" },
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
    ParamSpec {
        name: "eta",
        unit: Dim::Voltage,
        min: 0.0,
        max: 10.0,
        default: 0.05,
        doc: "threshold change per spike",
    },
    ParamSpec { name: "target_rate", unit: Dim::Rate, min: 0.0, max: 500.0, default: 5.0, doc: "target firing rate" },
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
