//! The simulation engine: neuron models, the network, inputs, the step, randomness. No Bevy, no I/O.

pub(crate) mod blocks;
pub mod ids;
pub mod inputs;
pub mod models;
pub mod network;
pub mod report;
pub mod rng;
pub mod units;

pub use ids::{NeuronId, PopulationId, SynapseId};
pub use inputs::{CurrentInput, Input, PoissonInput, Receptor, RewardInput, SpikeListInput};
pub use models::{
    AdEx, Izhikevich, Kernel, LifConductance, LifCurrent, NeuronModel, ParamError, PscShape, SynapseKind,
};
pub use network::{
    GapJunctions, Network, NetworkError, NewSynapse, Population, Segment, StructuralTimes, SynapseView, Synapses,
};
pub use report::{SpikeLog, StepReport, StructuralEvent};
pub use units::{Dim, Quantity};
