//! The scene file format (RON), version 1. Every dimensional value carries its unit
//! ("20 ms", "-65 mV"); unknown fields are refused so typos never pass silently.

mod growth;

use serde::{Deserialize, Serialize};

pub use growth::{
    AttentionSpec, CalciumSpec, GrowingPopulationSpec, NeurogenesisSpec, PruningSpec, StructuralSpec,
    StructuralSynapseSpec, SynapticElementSpec,
};

use crate::engine::{IntrinsicRule, PlasticityRule};
use crate::sim::{Dim, NeuronModel, Quantity, Receptor};

/// The scene format version this build reads and writes.
pub const SCENE_VERSION: u32 = 1;

/// A whole scene: populations, projections between them, couplings, inputs, time step and seed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename = "Scene", deny_unknown_fields)]
pub struct SceneFile {
    /// Format version; must equal [`SCENE_VERSION`].
    pub version: u32,
    /// Short title.
    #[serde(default)]
    pub name: String,
    /// What the scene shows.
    #[serde(default)]
    pub description: String,
    /// Integration time step.
    pub dt: Quantity,
    /// Seed of every random draw (layouts, connectivity, initial state, inputs).
    #[serde(default)]
    pub seed: u64,
    /// Neuron populations.
    pub populations: Vec<PopulationSpec>,
    /// Chemical synapses between populations.
    #[serde(default)]
    pub projections: Vec<ProjectionSpec>,
    /// Electrical couplings between populations.
    #[serde(default)]
    pub gap_junctions: Vec<GapJunctionSpec>,
    /// External drive.
    #[serde(default)]
    pub inputs: Vec<InputSpec>,
    /// Activity-dependent structural plasticity (synapses form and retract to reach target
    /// calcium levels).
    #[serde(default)]
    pub structural_plasticity: Option<StructuralSpec>,
    /// Long-range attention edges between far-apart neurons that fire together.
    #[serde(default)]
    pub attention_edges: Option<AttentionSpec>,
    /// A camera flight for demos and recordings (the app follows it until the user moves the
    /// camera).
    #[serde(default)]
    pub camera: Option<CameraPath>,
    /// Where the app draws each neuron (a layout saved from it: force-directed, circular, layers),
    /// one per neuron the scene builds, in id order. Display only: the network's positions, and
    /// the wiring and rules that depend on distance, stay the populations' layouts.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub display_positions: Vec<(f32, f32, f32)>,
    /// A SONATA circuit whose populations come before the scene's own (which may project onto
    /// them, drive them and attach growth to them), with its synapses and couplings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sonata: Option<SonataSpec>,
    /// Spikes recorded elsewhere that the app replays into this scene's network when it opens it
    /// (a scene and recording pair, as "Save replay…" writes it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recording: Option<RecordingSpec>,
}

/// A recording replayed into a scene's network.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordingSpec {
    /// The spike files (NEST ascii, SONATA, NWB, CSV), relative to the scene file's folder.
    pub spikes: Vec<String>,
    /// Whether the end jumps back to the start.
    #[serde(default)]
    pub looping: bool,
    /// The time the replay opens at.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<Quantity>,
}

/// A SONATA circuit in a scene.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SonataSpec {
    /// Its circuit config or simulation config (JSON), relative to the scene file's folder.
    pub config: String,
}

/// Camera keyframes on the biological-time axis; between two keys the view eases from one to the
/// next, before the first and after the last it holds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CameraPath {
    /// The keys, in increasing time.
    pub keyframes: Vec<CameraKey>,
}

/// One camera keyframe.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CameraKey {
    /// Biological time of the key.
    pub at: Quantity,
    /// Rotation about the vertical axis (degrees).
    #[serde(default = "default_yaw")]
    pub yaw: f64,
    /// Elevation (degrees, −85 to 85).
    #[serde(default = "default_pitch")]
    pub pitch: f64,
    /// Distance as a multiple of the distance that shows the whole network (1 = all of it).
    #[serde(default = "one")]
    pub zoom: f64,
    /// Neuron to look at (its index); the network's centre when absent.
    #[serde(default)]
    pub focus: Option<u32>,
}

impl CameraPath {
    /// The two keys around biological time `t_ms` and the eased fraction (smoothstep) between
    /// them; before the first key and after the last the fraction is 0 or 1 on that key. `None`
    /// without keys.
    pub fn around(&self, t_ms: f64) -> Option<(&CameraKey, &CameraKey, f64)> {
        let time = |k: &CameraKey| k.at.expect(Dim::Time).unwrap_or(0.0);
        let first = self.keyframes.first()?;
        let next = self.keyframes.iter().position(|k| time(k) > t_ms);
        Some(match next {
            None => {
                let last = self.keyframes.last().expect("not empty");
                (last, last, 1.0)
            }
            Some(0) => (first, first, 0.0),
            Some(j) => {
                let (a, b) = (&self.keyframes[j - 1], &self.keyframes[j]);
                let u = ((t_ms - time(a)) / (time(b) - time(a)).max(1e-12)).clamp(0.0, 1.0);
                (a, b, u * u * (3.0 - 2.0 * u))
            }
        })
    }
}

fn default_yaw() -> f64 {
    28.6
}
fn default_pitch() -> f64 {
    20.0
}
fn one() -> f64 {
    1.0
}

/// A population: a name, a size, a model, where its neurons sit and how they start.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PopulationSpec {
    /// Unique name, referenced by projections and inputs.
    pub name: String,
    /// Number of neurons.
    pub size: u32,
    /// Neuron model with its parameters (omitted parameters take the model's defaults).
    pub model: NeuronModel,
    /// Placement in space.
    #[serde(default)]
    pub layout: Layout,
    /// Initial state.
    #[serde(default)]
    pub init: InitSpec,
    /// Intrinsic plasticity of its neurons.
    #[serde(default)]
    pub intrinsic: Option<IntrinsicRule>,
    /// Neurogenesis: its neurons divide when their activity is high enough.
    #[serde(default)]
    pub neurogenesis: Option<NeurogenesisSpec>,
    /// The neurons' own names (an imported connectome's `AVAL`, `ASHR`, …), one per neuron, or none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub neuron_names: Vec<String>,
}

/// Where a population's neurons are placed (coordinates in µm).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Layout {
    /// Uniformly at random in an axis-aligned box.
    Box {
        /// Centre of the box.
        center: (f32, f32, f32),
        /// Edge lengths.
        size: (f32, f32, f32),
    },
    /// Uniformly at random inside a ball.
    Sphere {
        /// Centre.
        center: (f32, f32, f32),
        /// Radius.
        radius: f32,
    },
    /// On a cubic grid filled row by row, `spacing` apart, centred on `center`.
    Grid {
        /// Centre of the grid.
        center: (f32, f32, f32),
        /// Distance between neighbours.
        spacing: f32,
    },
    /// Explicit positions, one per neuron.
    Positions(Vec<(f32, f32, f32)>),
}

impl Default for Layout {
    fn default() -> Self {
        Layout::Box { center: (0.0, 0.0, 0.0), size: (1000.0, 1000.0, 1000.0) }
    }
}

/// A distribution of values, each with a unit: `Constant("1.62 mV")`,
/// `Uniform(low: "-60 mV", high: "-50 mV")`, `Normal(mean: "4 nS", sd: "1.5 nS")`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Dist {
    /// Always the same value.
    Constant(Quantity),
    /// Uniform on [low, high).
    Uniform {
        /// Lower bound.
        low: Quantity,
        /// Upper bound.
        high: Quantity,
    },
    /// Gaussian.
    Normal {
        /// Mean.
        mean: Quantity,
        /// Standard deviation.
        sd: Quantity,
    },
}

/// Initial state of a population's neurons (omitted: the model's resting state).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InitSpec {
    /// Membrane potential.
    #[serde(default)]
    pub v: Option<Dist>,
    /// Excitatory synaptic current (pA) or conductance (nS); with a rise time, the rise variable
    /// (nS) that spikes increment.
    #[serde(default)]
    pub syn_ex: Option<Dist>,
    /// Inhibitory synaptic current (pA) or conductance (nS); as `syn_ex`.
    #[serde(default)]
    pub syn_in: Option<Dist>,
}

/// Which pairs of neurons a projection connects.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Connectivity {
    /// Each (pre, post) pair independently with probability `p`.
    Bernoulli {
        /// Connection probability.
        p: f64,
        /// Whether a neuron may connect to itself (source = target only).
        #[serde(default = "yes")]
        autapses: bool,
    },
    /// Each target neuron receives exactly `k` synapses from sources drawn with replacement.
    FixedIndegree {
        /// In-degree.
        k: u32,
        /// Whether a neuron may connect to itself.
        #[serde(default = "yes")]
        autapses: bool,
    },
    /// Each source neuron makes exactly `k` synapses onto targets drawn with replacement.
    FixedOutdegree {
        /// Out-degree.
        k: u32,
        /// Whether a neuron may connect to itself.
        #[serde(default = "yes")]
        autapses: bool,
    },
    /// Every source to every target.
    AllToAll {
        /// Whether a neuron may connect to itself.
        #[serde(default = "yes")]
        autapses: bool,
    },
    /// Source i to target i (equal sizes).
    OneToOne,
    /// Distance-dependent: each pair with probability `c · exp(−(D/λ)²)`, D the distance between
    /// the two neurons (as in NALSM's and Maass's liquids).
    Gaussian {
        /// Probability at distance 0.
        c: f64,
        /// Length scale λ (µm, the layouts' unit).
        lambda: f32,
        /// Whether a neuron may connect to itself.
        #[serde(default = "yes")]
        autapses: bool,
    },
    /// Explicit (source index, target index) pairs within the two populations; repeats make multapses.
    Pairs(Vec<(u32, u32)>),
}

pub(super) fn yes() -> bool {
    true
}

fn zero_delay() -> Dist {
    Dist::Constant(Quantity::new(0.0, Dim::Time))
}

pub(super) fn excitatory() -> Receptor {
    Receptor::Excitatory
}

/// Chemical synapses from one population to another.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProjectionSpec {
    /// Optional label for the UI.
    #[serde(default)]
    pub name: String,
    /// Presynaptic population.
    pub source: String,
    /// Postsynaptic population.
    pub target: String,
    /// Which pairs are connected.
    pub connectivity: Connectivity,
    /// Weight per synapse: a current jump (pA) or voltage jump (mV, converted with the target's
    /// C_m/τ_m) for current-based targets, a conductance jump (nS) for conductance-based ones.
    pub weight: Dist,
    /// Transmission delay (rounded to the time step; 0 means before the next update).
    #[serde(default = "zero_delay")]
    pub delay: Dist,
    /// Synaptic channel.
    #[serde(default = "excitatory")]
    pub receptor: Receptor,
    /// Learning rule acting on these synapses (`w_max` in the same unit as `weight`).
    #[serde(default)]
    pub plasticity: Option<PlasticityRule>,
    /// Pruning with regrowth (GraNet) of these synapses.
    #[serde(default)]
    pub pruning: Option<PruningSpec>,
}

/// Electrical couplings from one population to another.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GapJunctionSpec {
    /// One side.
    pub source: String,
    /// Other side.
    pub target: String,
    /// Which pairs are coupled (self-couplings are dropped).
    pub connectivity: Connectivity,
    /// Coupling conductance.
    pub conductance: Dist,
}

/// An external drive.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum InputSpec {
    /// A current injected into a population (or some of its neurons), constant or in a window.
    Current {
        /// Target population.
        target: String,
        /// Indices within the population (all if omitted).
        #[serde(default)]
        neurons: Option<Vec<u32>>,
        /// Amplitude.
        amplitude: Quantity,
        /// When it starts.
        #[serde(default)]
        start: Option<Quantity>,
        /// When it stops (never if omitted).
        #[serde(default)]
        stop: Option<Quantity>,
    },
    /// `sources` independent Poisson trains at `rate` onto each target neuron.
    Poisson {
        /// Target population.
        target: String,
        /// Indices within the population (all if omitted).
        #[serde(default)]
        neurons: Option<Vec<u32>>,
        /// Number of independent sources per target neuron.
        sources: u32,
        /// Rate of each source.
        rate: Quantity,
        /// Weight of each input spike (units as for projections).
        weight: Quantity,
        /// Synaptic channel.
        #[serde(default = "excitatory")]
        receptor: Receptor,
    },
    /// Reward (dopamine) pulses for reward-modulated plasticity.
    Reward {
        /// When the pulses come.
        times: Vec<Quantity>,
        /// Dopamine added by each pulse.
        amount: f64,
    },
    /// Spikes at listed times: (neuron index within the population, time).
    SpikeTimes {
        /// Target population.
        target: String,
        /// (index, time) pairs.
        spikes: Vec<(u32, Quantity)>,
        /// Weight of each spike (units as for projections).
        weight: Quantity,
        /// Synaptic channel.
        #[serde(default = "excitatory")]
        receptor: Receptor,
    },
}
