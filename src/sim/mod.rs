//! The simulation engine's bottom layer: neuron models, the network, inputs, the step,
//! randomness, traces, structural edits and the contracts rules implement. It imports nothing of
//! the layers above it (a test checks): rules live in `plasticity` and `growth` and are attached
//! to a network by `engine::Simulation`. No Bevy, no I/O.

pub(crate) mod blocks;
pub mod columns;
pub mod edit;
pub mod ids;
pub mod inputs;
pub mod models;
pub mod network;
pub mod params;
pub mod report;
pub mod rng;
pub mod rule;
pub mod trace;
pub mod units;

pub use columns::{NeuronValues, Neurons, StateSlices};
pub use edit::{Applied, Birth, Edits, NO_PROJECTION, NewSynapse};
pub use ids::{NeuronId, PopulationId, SynapseId};
pub use inputs::{CurrentInput, Input, PoissonInput, Receptor, RewardInput, SpikeListInput};
pub use models::{
    AdEx, Izhikevich, Izhikevich2007, Kernel, LifConductance, LifCurrent, NeuronModel, ParamError, PscShape,
    SynapseKind, beta_drive,
};
pub use network::{GapJunctions, Network, NetworkError, Population, Segment, SynapseView, Synapses};
pub use params::{Curve, ParamSpec, Tunable};
pub use report::{SpikeLog, StepReport, StructuralEvent, grid_index};
pub use rule::{Activity, NeuronRule, Scope, StructuralRule, SynapticRule};
pub use units::{Dim, Quantity};
