//! Stable identifiers for neurons, synapses and populations.

use serde::{Deserialize, Serialize};

/// A neuron's stable id: its index in the neuron columns, never reused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct NeuronId(pub u32);

/// A synapse's stable id: its position in creation order, never reused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct SynapseId(pub u32);

/// A population's index in the network's population table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct PopulationId(pub u16);

impl NeuronId {
    /// The id as a column index.
    #[inline(always)]
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

impl SynapseId {
    /// The id as an index.
    #[inline(always)]
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

impl PopulationId {
    /// The id as a table index.
    #[inline(always)]
    pub fn index(self) -> usize {
        self.0 as usize
    }
}
