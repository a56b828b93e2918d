//! Oja's rule and BCM on the rate estimates of spiking neurons, per projection (ALGORITHMS.md §4):
//! rates are spike traces of time constant `tau_rate`, normalised by `rate_ref`; weights, normalised
//! by `w_ref`, are updated every `interval` from the rates of their two neurons.

use serde::{Deserialize, Serialize};

use super::pair::PairTraces;
use super::schema::{INTERVAL, TAU_RATE};
use crate::sim::Network;
use crate::sim::network::Synapses;
use crate::sim::params::{Curve, ParamSpec, tunable};
use crate::sim::rule::{Activity, Arriving, Incoming, Outgoing, ProjectionSynapses, Scope, SynapticRule, Tick};
use crate::sim::{Dim, NeuronId, Quantity};

/// Oja's rule on the rate estimates of spiking neurons, per projection: with x̂ = r_pre/r_ref,
/// ŷ = r_post/r_ref and ŵ = w/w_ref, dŵ/dt = η ŷ (x̂ − ŷ ŵ). Rates are spike traces of time
/// constant `tau_rate`; weights are updated every `interval`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OjaRule {
    /// Learning rate η.
    #[serde(with = "crate::sim::units::rate")]
    pub eta: f64,
    /// Rate-estimate time constant.
    #[serde(with = "crate::sim::units::time")]
    pub tau_rate: f64,
    /// Rate that counts as 1.
    #[serde(with = "crate::sim::units::rate")]
    pub rate_ref: f64,
    /// Weight that counts as 1 (projection weight unit).
    pub w_ref: Quantity,
    /// Update interval.
    #[serde(with = "crate::sim::units::time")]
    pub interval: f64,
}

impl Default for OjaRule {
    fn default() -> Self {
        Self {
            eta: 0.1,
            tau_rate: 1000.0,
            rate_ref: 10.0,
            w_ref: Quantity::new(1.0, Dim::Dimensionless),
            interval: 1.0,
        }
    }
}

/// BCM on rate estimates, per projection: dŵ/dt = η x̂ ŷ (ŷ − θ), ŵ ≥ 0, τ_θ dθ/dt = ŷ² − θ per
/// postsynaptic neuron (normalised as in [`OjaRule`]).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BcmRule {
    /// Learning rate η.
    #[serde(with = "crate::sim::units::rate")]
    pub eta: f64,
    /// Rate-estimate time constant.
    #[serde(with = "crate::sim::units::time")]
    pub tau_rate: f64,
    /// Sliding-threshold time constant (must be faster than learning).
    #[serde(with = "crate::sim::units::time")]
    pub tau_theta: f64,
    /// Rate that counts as 1.
    #[serde(with = "crate::sim::units::rate")]
    pub rate_ref: f64,
    /// Weight that counts as 1 (projection weight unit).
    pub w_ref: Quantity,
    /// Update interval.
    #[serde(with = "crate::sim::units::time")]
    pub interval: f64,
}

impl Default for BcmRule {
    fn default() -> Self {
        Self {
            eta: 0.1,
            tau_rate: 1000.0,
            tau_theta: 5000.0,
            rate_ref: 10.0,
            w_ref: Quantity::new(1.0, Dim::Dimensionless),
            interval: 1.0,
        }
    }
}

const OJA_SCHEMA: &[ParamSpec] = &[
    ParamSpec::new("eta", Dim::Rate, 0.0, 1000.0, 0.1, "learning rate"),
    TAU_RATE,
    ParamSpec::new("rate_ref", Dim::Rate, 0.01, 1000.0, 10.0, "rate that counts as 1"),
    ParamSpec::new("w_ref", Dim::Dimensionless, 1e-12, 1e12, 1.0, "weight that counts as 1"),
    INTERVAL,
];

const BCM_SCHEMA: &[ParamSpec] = &[
    ParamSpec::new("eta", Dim::Rate, 0.0, 1000.0, 0.1, "learning rate"),
    TAU_RATE,
    ParamSpec::new("tau_theta", Dim::Time, 1.0, 1_000_000.0, 5000.0, "sliding-threshold time constant"),
    ParamSpec::new("rate_ref", Dim::Rate, 0.01, 1000.0, 10.0, "rate that counts as 1"),
    ParamSpec::new("w_ref", Dim::Dimensionless, 1e-12, 1e12, 1.0, "weight that counts as 1"),
    INTERVAL,
];

tunable!(OjaRule, "Oja", OJA_SCHEMA, [eta, tau_rate, rate_ref, w_ref, interval]);

tunable!(BcmRule, "Bcm", BCM_SCHEMA, [eta, tau_rate, tau_theta, rate_ref, w_ref, interval]);

/// Rate traces of both sides (τ_rate) and, for BCM, each postsynaptic neuron's sliding threshold.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RateTraces {
    /// Spike traces of the presynaptic and postsynaptic neurons.
    pub traces: PairTraces,
    /// BCM's threshold θ per neuron (empty for Oja).
    pub theta: Vec<f64>,
}

impl RateTraces {
    /// BCM's sliding threshold of postsynaptic neuron `j` (0 where none is kept).
    pub fn threshold(&self, j: usize) -> f64 {
        self.theta.get(j).copied().unwrap_or(0.0)
    }
}

/// What the two rules share: rate estimates bumped by spikes, and a periodic pass over every
/// postsynaptic neuron's synapses with its normalised rate ŷ and each presynaptic one's x̂.
trait RateRule {
    /// (η, τ_rate, rate_ref, w_ref, interval).
    fn common(&self) -> (f64, f64, f64, Quantity, f64);
    /// Before the weights of `j` change at a pass `span_ms` long: updates its state from ŷ.
    fn before_post(&self, _st: &mut RateTraces, _j: usize, _y: f64, _span_ms: f64) {}
    /// The new normalised weight from ŵ, x̂, ŷ and the neuron's state.
    fn weight(&self, st: &RateTraces, j: usize, w: f64, x: f64, y: f64, step_s: f64) -> f64;
}

impl RateRule for OjaRule {
    fn common(&self) -> (f64, f64, f64, Quantity, f64) {
        (self.eta, self.tau_rate, self.rate_ref, self.w_ref, self.interval)
    }

    fn weight(&self, _st: &RateTraces, _j: usize, w: f64, x: f64, y: f64, step_s: f64) -> f64 {
        w + self.eta * step_s * y * (x - y * w)
    }
}

impl RateRule for BcmRule {
    fn common(&self) -> (f64, f64, f64, Quantity, f64) {
        (self.eta, self.tau_rate, self.rate_ref, self.w_ref, self.interval)
    }

    fn before_post(&self, st: &mut RateTraces, j: usize, y: f64, span_ms: f64) {
        st.theta[j] += span_ms / self.tau_theta * (y * y - st.theta[j]);
    }

    fn weight(&self, st: &RateTraces, j: usize, w: f64, x: f64, y: f64, step_s: f64) -> f64 {
        (w + self.eta * step_s * x * y * (y - st.theta[j])).max(0.0)
    }
}

/// The periodic pass of a rate rule.
fn rate_pass(rule: &impl RateRule, st: &mut RateTraces, syn: &mut ProjectionSynapses<'_>, t: &Tick) {
    let (_, tau_rate, rate_ref, w_ref, interval) = rule.common();
    let every = (interval / t.dt_ms).round().max(1.0) as u64;
    if !t.grid.is_multiple_of(every) {
        return;
    }
    let w_max = w_ref.value * t.weight_factor;
    // Normalised rates: trace / τ is spikes per ms; × 1000 / r_ref.
    let norm = 1000.0 / tau_rate / rate_ref;
    let span_ms = every as f64 * t.dt_ms;
    let incoming = syn.incoming();
    for j in 0..incoming.neurons() {
        let arriving = incoming.of(j);
        if arriving.is_empty() {
            continue;
        }
        let y = st.traces.y(j, t.grid) * norm;
        rule.before_post(st, j, y, span_ms);
        for &(s, pre) in arriving {
            let x = st.traces.x(pre as usize, t.grid) * norm;
            let w = syn.weight(s);
            *w = (rule.weight(st, j, *w as f64 / w_max, x, y, span_ms * 1e-3) * w_max) as f32;
        }
    }
}

/// The rules' common hooks, written once for both.
macro_rules! rate_rule_hooks {
    () => {
        type State = RateTraces;

        fn begin_step(&self, st: &mut RateTraces, dt_ms: f64) {
            st.traces.refresh(self.tau_rate, self.tau_rate, dt_ms);
        }

        fn on_pre(&self, st: &mut RateTraces, pre: NeuronId, _out: &mut Outgoing<'_>, t: &Tick) {
            st.traces.bump_pre(pre.index(), t.grid, false);
        }

        fn on_post(&self, st: &mut RateTraces, post: NeuronId, _arriving: &mut Arriving<'_>, t: &Tick) {
            st.traces.bump_post(post.index(), t.grid, false);
        }

        fn every_step(&self, st: &mut RateTraces, syn: &mut ProjectionSynapses<'_>, t: &Tick, _a: &Activity) {
            rate_pass(self, st, syn, t);
        }

        fn w_max(&self) -> Option<Quantity> {
            Some(self.w_ref)
        }

        fn check_state(&self, st: &RateTraces, net: &Network, _scope: &Scope) -> Result<(), String> {
            let n = net.num_neurons();
            st.traces.check(n, net.step_count())?;
            match (st.theta.is_empty() || st.theta.len() == n) && st.theta.iter().all(|t| t.is_finite()) {
                true => Ok(()),
                false => Err(format!("{} thresholds for {n} neurons, or one not finite", st.theta.len())),
            }
        }
    };
}

impl SynapticRule for OjaRule {
    rate_rule_hooks!();

    fn new_state(&self, neurons: usize, _peers: &[Scope]) -> RateTraces {
        RateTraces { traces: PairTraces::new(neurons), theta: Vec::new() }
    }

    fn resize_neurons(&self, st: &mut RateTraces, n: usize) {
        st.traces.resize(n);
    }

    /// dŵ/dt against x̂ at ŷ = ŵ = 1.
    fn curve(&self, n: usize) -> Curve {
        let points = Curve::span(0.0, 3.0, n).map(|x| [x, self.eta * (x - 1.0)]).collect();
        Curve { x_label: "x̂ (pre rate / rate_ref), ŷ = ŵ = 1", y_label: "dŵ/dt (1/s)", points }
    }
}

impl SynapticRule for BcmRule {
    rate_rule_hooks!();

    fn new_state(&self, neurons: usize, _peers: &[Scope]) -> RateTraces {
        RateTraces { traces: PairTraces::new(neurons), theta: Vec::new() }
    }

    fn resize_neurons(&self, st: &mut RateTraces, n: usize) {
        st.traces.resize(n);
        if !st.theta.is_empty() {
            st.theta.resize(n, 0.0);
        }
    }

    fn rebuilt(&self, st: &mut RateTraces, _syn: &Synapses, incoming: &Incoming, _: Option<(&[u32], &Incoming)>) {
        if st.theta.len() != incoming.neurons() {
            st.theta = vec![0.0; incoming.neurons()];
        }
    }

    /// φ(ŷ) at θ = 1.
    fn curve(&self, n: usize) -> Curve {
        let points = Curve::span(0.0, 2.0, n).map(|y| [y, y * (y - 1.0)]).collect();
        Curve { x_label: "ŷ (post rate / rate_ref), θ = 1", y_label: "φ(ŷ) = ŷ (ŷ − θ)", points }
    }
}
