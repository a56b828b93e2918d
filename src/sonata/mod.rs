//! SONATA circuits (the Allen Institute's and Blue Brain's format, read by NEST, NEURON, Arbor and
//! BMTK), read into the engine's flat arrays and written from a network, through `hdf5-pure` (no
//! system HDF5 library). Reading streams the edge files in windows, so a circuit is never held
//! twice; every error names the file and the dataset, row, line or field.

pub mod config;
mod edges;
pub mod h5;
mod nodes;
mod placement;
pub mod table;
pub mod templates;
mod write;

use std::ops::Range;
use std::path::Path;

pub use config::{CircuitConfig, EdgeKind};
pub use write::{WriteReport, write_circuit};

use crate::files::FileError;
use crate::sim::{NeuronModel, Synapses};

/// One Neuroplast population of a circuit: the nodes of one node type in one node population.
#[derive(Clone, Debug, PartialEq)]
pub struct CircuitPopulation {
    /// Its name: the type's `pop_name` when unique, else the node population's (with the type id
    /// when that holds several).
    pub name: String,
    /// The SONATA node population it comes from.
    pub node_population: String,
    /// Its node type id.
    pub type_id: u64,
    /// Its neuron model.
    pub model: NeuronModel,
    /// The starting potential the parameters set (`V_m`), if any.
    pub v_init: Option<f64>,
    /// Each neuron's `x`, `y`, `z` (µm), when the nodes have them.
    pub positions: Option<Vec<[f32; 3]>>,
    /// Number of neurons.
    pub size: u32,
    /// Where it was read from (for messages).
    pub origin: String,
}

/// A SONATA node population: each node's Neuroplast id, and the populations it became.
#[derive(Clone, Debug, PartialEq)]
pub struct NodePopulation {
    /// Its name.
    pub name: String,
    /// Row → Neuroplast neuron id.
    pub ids: Vec<u32>,
    /// How the edges name its nodes.
    pub node_ids: NodeIds,
    /// The indices of its populations in [`Circuit::populations`].
    pub populations: Range<usize>,
}

/// How edges name a population's nodes: by row (SONATA 1 and later, libsonata), or by the values
/// of its `node_id` column where they are not the rows (PyNN's export and older BMTK files write
/// global ids there and in the edges).
#[derive(Clone, Debug, PartialEq)]
pub enum NodeIds {
    /// The row.
    Rows,
    /// `node_id` is the row plus this.
    Offset(u64),
    /// `node_id` → row.
    Listed(std::collections::HashMap<u64, u32>),
}

impl NodeIds {
    /// The row of the node the edges call `v`.
    #[inline]
    pub fn row(&self, v: u64) -> Option<u64> {
        match self {
            NodeIds::Rows => Some(v),
            NodeIds::Offset(first) => v.checked_sub(*first),
            NodeIds::Listed(m) => m.get(&v).map(|&r| r as u64),
        }
    }
}

/// A circuit read: its populations in Neuroplast id order, their synapses and couplings.
#[derive(Clone, Debug)]
pub struct Circuit {
    /// The config read.
    pub config: CircuitConfig,
    /// The populations, neurons numbered from 0 in this order.
    pub populations: Vec<CircuitPopulation>,
    /// The node populations and their ids.
    pub node_populations: Vec<NodePopulation>,
    /// The chemical synapses, CSR over the circuit's neurons.
    pub synapses: Synapses,
    /// Electrical couplings `(i, j, g_nS)`.
    pub couplings: Vec<(u32, u32, f32)>,
    /// What was read but is not used (columns, virtual nodes' inputs, synapse dynamics).
    pub notes: Vec<String>,
}

impl Circuit {
    /// Reads the circuit a circuit or simulation config describes, with delays in steps of `dt_ms`.
    pub fn read(path: &Path, dt_ms: f64) -> Result<Self, FileError> {
        Self::read_config(CircuitConfig::read(path)?, dt_ms)
    }

    /// Reads the circuit of a config already read.
    pub fn read_config(config: CircuitConfig, dt_ms: f64) -> Result<Self, FileError> {
        let mut notes = Vec::new();
        let (populations, node_populations) = nodes::read_nodes(&config, &mut notes)?;
        let wired = edges::read_edges(&config, &populations, &node_populations, dt_ms, &mut notes)?;
        Ok(Self { config, populations, node_populations, synapses: wired.synapses, couplings: wired.couplings, notes })
    }

    /// Number of neurons.
    pub fn num_neurons(&self) -> usize {
        self.populations.iter().map(|p| p.size as usize).sum()
    }
}

/// What a circuit holds, from its datasets' shapes alone (for the memory estimate).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct CircuitSizes {
    /// Nodes.
    pub nodes: u64,
    /// Chemical edges.
    pub synapses: u64,
    /// Electrical edges.
    pub couplings: u64,
}

/// The sizes of the circuit at `path`, reading only its configs and dataset shapes.
pub fn circuit_sizes(path: &Path) -> Result<CircuitSizes, FileError> {
    let config = CircuitConfig::read(path)?;
    let mut sizes = CircuitSizes::default();
    let mut notes = Vec::new();
    for nf in &config.nodes {
        let h5 = h5::H5::open(&nf.h5, &mut notes)?;
        for pop in h5.members("/nodes")?.groups {
            sizes.nodes += h5.column(&format!("/nodes/{pop}/node_type_id"))?.len;
        }
    }
    for ef in &config.edges {
        let h5 = h5::H5::open(&ef.h5, &mut notes)?;
        for pop in h5.members("/edges")?.groups {
            let n = h5.column(&format!("/edges/{pop}/source_node_id"))?.len;
            match ef.kinds.iter().find(|(k, _)| *k == pop).map_or(EdgeKind::Chemical, |k| k.1) {
                EdgeKind::Chemical => sizes.synapses += n,
                EdgeKind::Electrical => sizes.couplings += n,
            }
        }
    }
    Ok(sizes)
}
