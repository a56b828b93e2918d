//! The scene sections of the structural rules: attention edges, neurogenesis, pruning with
//! regrowth and structural plasticity (MSP), with their defaults.

use serde::{Deserialize, Serialize};

use super::{excitatory, yes};
use crate::growth::msp::GrowthCurve;
use crate::sim::{Quantity, Receptor};

/// Long-range attention edges (ALGORITHMS.md §12 as the app uses it): embeddings from recent
/// activity, one EGT attention head over candidate pairs from a locality-sensitive hash, the top-k
/// far-apart pairs become edges that carry current, strengthen with use and decay when unused.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttentionSpec {
    /// Populations whose neurons take part.
    pub populations: Vec<String>,
    /// Time between updates.
    #[serde(default = "hundred_ms")]
    pub interval: Quantity,
    /// Width of an activity bin of the embeddings.
    #[serde(default = "five_ms")]
    pub bin: Quantity,
    /// Bins per embedding (its dimension is one less: the bin being filled is left out).
    #[serde(default = "twenty_one")]
    pub bins: u32,
    /// Pairs closer than this never get an edge.
    pub min_distance: Quantity,
    /// Pairs selected per update.
    pub top_k: u32,
    /// Scale of the activity correlation in the attention logits.
    #[serde(default = "four")]
    pub sharpness: f64,
    /// Current (pA, or nS for conductance-based targets) at attention × strength = 1.
    pub weight: Quantity,
    /// Strength gained when re-selected (and a new edge's strength).
    #[serde(default = "three_tenths")]
    pub reinforce: f64,
    /// Fraction of strength lost at an update without selection.
    #[serde(default = "one_fifth")]
    pub decay: f64,
    /// Edges weaker than this are removed.
    #[serde(default = "five_hundredths")]
    pub min_strength: f64,
    /// Hash tables of the candidate index.
    #[serde(default = "four_u")]
    pub tables: u32,
    /// Hyperplanes per hash table.
    #[serde(default = "eight_u")]
    pub bits: u32,
    /// Most neighbours compared per bucket and table.
    #[serde(default = "thirty_two")]
    pub bucket_cap: u32,
    /// Random partners sampled for each softmax denominator.
    #[serde(default = "sixteen")]
    pub samples: u32,
    /// Logit at which the attention gate is half open (sharpness × correlation).
    #[serde(default = "two")]
    pub gate_threshold: f64,
    /// Steepness of the gate.
    #[serde(default = "four")]
    pub gate_gain: f64,
}

fn two() -> f64 {
    2.0
}

fn five_ms() -> Quantity {
    Quantity::new(5.0, crate::sim::Dim::Time)
}
fn twenty_one() -> u32 {
    21
}
fn four() -> f64 {
    4.0
}
fn three_tenths() -> f64 {
    0.3
}
fn one_fifth() -> f64 {
    0.2
}
fn five_hundredths() -> f64 {
    0.05
}
fn four_u() -> u32 {
    4
}
fn eight_u() -> u32 {
    8
}
fn thirty_two() -> u32 {
    32
}
fn sixteen() -> u32 {
    16
}

/// Neurogenesis by replication (Neural Developmental Programs, ALGORITHMS.md §10): each neuron's
/// growth signal goes up by one per spike and decays with `signal_tau`; every `interval` the
/// neurons whose signal reached `threshold` divide (the strongest first, up to `max_size` neurons
/// in the population). A child sits `offset` from its parent, starts from its state, inherits
/// its synapses with weights × max(0, 1 + `weight_jitter` · N(0, 1)), and shares its signal.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NeurogenesisSpec {
    /// Time between division rounds.
    #[serde(default = "hundred_ms")]
    pub interval: Quantity,
    /// Time constant of the growth signal.
    #[serde(default = "one_second")]
    pub signal_tau: Quantity,
    /// Signal (spikes within about `signal_tau`) at which a neuron divides.
    pub threshold: f64,
    /// The most neurons the population may reach.
    pub max_size: u32,
    /// Distance of a child from its parent.
    #[serde(default = "fifteen_um")]
    pub offset: Quantity,
    /// Relative standard deviation of the inherited weights.
    #[serde(default = "one_tenth")]
    pub weight_jitter: f64,
    /// Whether a child also receives its parent's Poisson and current inputs.
    #[serde(default = "yes")]
    pub inherit_inputs: bool,
}

fn one_second() -> Quantity {
    Quantity::new(1000.0, crate::sim::Dim::Time)
}

fn fifteen_um() -> Quantity {
    Quantity::new(15.0, crate::sim::Dim::Length)
}

fn one_tenth() -> f64 {
    0.1
}

/// GraNet on a projection (ALGORITHMS.md §11): every `interval` from `start` to `end`, magnitude
/// pruning to the cubic density schedule (from the initial density to `final_density`), then a
/// cosine-annealed fraction (`death_rate` → `death_rate_min`) of the weakest synapses is replaced
/// by new ones between the most co-active unconnected pairs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PruningSpec {
    /// Time between rounds.
    #[serde(default = "hundred_ms")]
    pub interval: Quantity,
    /// First round.
    #[serde(default = "zero_time")]
    pub start: Quantity,
    /// Last round, where the density reaches `final_density`.
    pub end: Quantity,
    /// Synapses / (source size × target size) at the end.
    pub final_density: f64,
    /// Fraction replaced per round at the start (GraNet's r0).
    #[serde(default = "death_rate")]
    pub death_rate: f64,
    /// Fraction replaced per round at the end (r_min).
    #[serde(default = "death_rate_min")]
    pub death_rate_min: f64,
    /// Weight of a regrown synapse, in the unit of `weight` (0 if omitted, as in GraNet).
    #[serde(default)]
    pub regrow_weight: Option<Quantity>,
    /// Time constant of the activity traces whose product scores candidate pairs.
    #[serde(default = "twenty_ms")]
    pub trace_tau: Quantity,
}

fn hundred_ms() -> Quantity {
    Quantity::new(100.0, crate::sim::Dim::Time)
}

fn twenty_ms() -> Quantity {
    Quantity::new(20.0, crate::sim::Dim::Time)
}

fn death_rate() -> f64 {
    0.5
}

fn death_rate_min() -> f64 {
    0.005
}

/// Activity-dependent structural plasticity (MSP, Butz & van Ooyen 2013 as in NEST; ALGORITHMS.md
/// §9): populations grow synaptic elements along growth curves of their calcium, and vacant
/// elements pair into synapses.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StructuralSpec {
    /// Time between structural updates (NEST's `structural_plasticity_update_interval`).
    pub update_interval: Quantity,
    /// The populations that take part, with their calcium and elements.
    pub populations: Vec<GrowingPopulationSpec>,
    /// The kinds of synapse that form, each between a presynaptic and a postsynaptic element.
    pub synapses: Vec<StructuralSynapseSpec>,
}

/// One population's calcium trace and synaptic elements.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GrowingPopulationSpec {
    /// The population's name.
    pub population: String,
    /// Its calcium trace (NEST's defaults if omitted).
    #[serde(default)]
    pub calcium: CalciumSpec,
    /// The elements its neurons grow.
    pub elements: Vec<SynapticElementSpec>,
}

/// dCa/dt = −Ca/τ + β Σ δ(t − t_spike).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CalciumSpec {
    /// Time constant τ_Ca.
    #[serde(default = "calcium_tau")]
    pub tau: Quantity,
    /// Increment per spike β_Ca.
    #[serde(default = "calcium_beta")]
    pub beta: f64,
}

impl Default for CalciumSpec {
    fn default() -> Self {
        Self { tau: calcium_tau(), beta: calcium_beta() }
    }
}

fn calcium_tau() -> Quantity {
    Quantity::new(10_000.0, crate::sim::Dim::Time)
}

fn calcium_beta() -> f64 {
    0.001
}

fn tau_vacant() -> f64 {
    0.1
}

/// A kind of synaptic element (`Axon_ex`, `Den_ex`, ...) with its growth curve.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SynapticElementSpec {
    /// Element name, referenced by `synapses`.
    pub name: String,
    /// Growth curve: `Gaussian(eta: 0.0, eps: 0.05)`, `Linear(eps: 0.7)`, `Sigmoid(eps: 0.7, psi: 0.1)`.
    pub curve: GrowthCurve,
    /// Growth rate ν in elements per unit time, as a rate ("0.1 Hz" is NEST's 0.0001 per ms).
    pub growth_rate: Quantity,
    /// Fraction of the vacant elements lost at each update (NEST's `tau_vacant`).
    #[serde(default = "tau_vacant")]
    pub tau_vacant: f64,
}

/// A synapse kind formed by structural plasticity.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StructuralSynapseSpec {
    /// Label for the UI.
    #[serde(default)]
    pub name: String,
    /// Presynaptic (axonal) element.
    pub pre_element: String,
    /// Postsynaptic (dendritic) element.
    pub post_element: String,
    /// Weight of each new synapse: a current (pA) or a conductance (nS), matching the targets.
    pub weight: Quantity,
    /// Transmission delay.
    #[serde(default = "zero_time")]
    pub delay: Quantity,
    /// Synaptic channel.
    #[serde(default = "excitatory")]
    pub receptor: Receptor,
}

fn zero_time() -> Quantity {
    Quantity::new(0.0, crate::sim::Dim::Time)
}
