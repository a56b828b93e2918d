//! The synapse table (CSR by presynaptic neuron, stable ids once edited) and the gap junctions.

use serde::{Deserialize, Serialize};

use crate::sim::ids::{NeuronId, SynapseId};
use crate::sim::inputs::Receptor;

/// Synapses in CSR order by presynaptic neuron: the outgoing synapses of neuron `i` occupy
/// `row_start[i]..row_start[i + 1]`. Several synapses may join the same pair (multapses).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Synapses {
    /// Row offsets, one per neuron plus one.
    pub row_start: Vec<u64>,
    /// Postsynaptic neuron shifted left by one, with the receptor (0 exc., 1 inh.) in the low bit:
    /// the index into the interleaved per-neuron input.
    pub target: Vec<u32>,
    /// Weight in the target's synaptic unit (pA for currents, nS for conductances).
    pub weight: Vec<f32>,
    /// Delay in steps; empty when every delay is 0 (saves 2 bytes a synapse).
    pub delay: Vec<u16>,
    /// Index of the projection each synapse belongs to; empty when no projection is plastic (the
    /// learning rules need it, plain simulation does not).
    #[serde(default)]
    pub projection: Vec<u16>,
    /// The stable id of each slot; empty while ids and slots coincide (no structural edit yet).
    #[serde(default)]
    pub id: Vec<u32>,
}

impl Synapses {
    /// Number of synapses.
    pub fn len(&self) -> usize {
        self.target.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.target.is_empty()
    }

    /// The postsynaptic neuron of synapse slot `s`.
    #[inline(always)]
    pub fn post(&self, s: usize) -> NeuronId {
        NeuronId(self.target[s] >> 1)
    }

    /// The receptor of synapse slot `s`.
    #[inline(always)]
    pub fn receptor(&self, s: usize) -> Receptor {
        if self.target[s] & 1 == 0 { Receptor::Excitatory } else { Receptor::Inhibitory }
    }

    /// The delay of synapse slot `s` in steps.
    #[inline(always)]
    pub fn delay_steps(&self, s: usize) -> u16 {
        if self.delay.is_empty() { 0 } else { self.delay[s] }
    }

    /// The presynaptic neuron of synapse slot `s` (binary search over the row offsets).
    pub fn pre(&self, s: usize) -> NeuronId {
        let row = self.row_start.partition_point(|&r| r <= s as u64) - 1;
        NeuronId(row as u32)
    }

    /// The slots of the outgoing synapses of `pre`.
    pub fn row(&self, pre: NeuronId) -> std::ops::Range<usize> {
        self.row_start[pre.index()] as usize..self.row_start[pre.index() + 1] as usize
    }

    /// The stable id of the synapse in slot `s`.
    #[inline(always)]
    pub fn id_at(&self, s: usize) -> SynapseId {
        SynapseId(if self.id.is_empty() { s as u32 } else { self.id[s] })
    }
}

/// Electrical couplings, stored symmetrically in CSR order: I_i = Σ_j g_ij (V_j − V_i).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct GapJunctions {
    /// Row offsets, one per neuron plus one (empty when there are no couplings).
    pub row_start: Vec<u64>,
    /// Coupled neuron.
    pub partner: Vec<u32>,
    /// Coupling conductance (nS).
    pub g_ns: Vec<f32>,
}
