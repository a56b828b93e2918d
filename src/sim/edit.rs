//! Structural edits: what a structural rule asks of the network (neurons to add, synapses to remove
//! and to insert, events of its own), and what applying them changed, so that rules keeping state
//! per synapse slot or per neuron can follow.

use super::ids::{NeuronId, PopulationId};
use super::inputs::Receptor;
use super::report::StructuralEvent;

/// The projection index of synapses that belong to no projection.
pub const NO_PROJECTION: u16 = u16::MAX;

/// A synapse to insert.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct NewSynapse {
    /// Presynaptic neuron.
    pub pre: NeuronId,
    /// Postsynaptic neuron.
    pub post: NeuronId,
    /// Synaptic channel.
    pub receptor: Receptor,
    /// Weight in the target's synaptic unit (pA or nS).
    pub weight: f32,
    /// Delay in steps.
    pub delay_steps: u16,
    /// Projection (or structural synapse model) it belongs to; [`NO_PROJECTION`] for none.
    pub projection: u16,
}

/// A neuron to add to a population.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Birth {
    /// Its position (µm).
    pub position: [f32; 3],
    /// The neuron it divided from, if any.
    pub parent: Option<NeuronId>,
    /// Whether it starts from its parent's state (membrane potential, adaptation, threshold
    /// offset) instead of the model's resting state.
    pub from_parent: bool,
    /// Whether it also receives its parent's external inputs (Poisson and injected current).
    pub joins_inputs: bool,
}

/// One batch of structural edits, applied in this order: births (the new neurons take the next
/// ids, in order), removals, insertions (appended to their presynaptic rows, taking the next
/// synapse ids), then `events` are reported as they are. Reused from round to round.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Edits {
    /// The population the births join.
    pub population: Option<PopulationId>,
    /// Neurons to add to `population`.
    pub births: Vec<Birth>,
    /// CSR slots of the synapses to remove (each at most once).
    pub remove: Vec<u32>,
    /// Synapses to insert (they may name the neurons born in this batch).
    pub add: Vec<NewSynapse>,
    /// Structural events of the rule's own (attention edges, which are not CSR synapses).
    pub events: Vec<StructuralEvent>,
}

impl Edits {
    /// Empties the batch, keeping its buffers.
    pub fn clear(&mut self) {
        self.population = None;
        self.births.clear();
        self.remove.clear();
        self.add.clear();
        self.events.clear();
    }

    /// Whether the batch changes nothing and reports nothing.
    pub fn is_empty(&self) -> bool {
        self.births.is_empty() && self.remove.is_empty() && self.add.is_empty() && self.events.is_empty()
    }
}

/// What applying a batch of edits changed.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Applied {
    /// Neurons added (their ids are the last ones).
    pub neurons_added: usize,
    /// The new CSR slot of each old slot (`u32::MAX` for removed synapses), when the synapse table
    /// was rebuilt.
    pub renumbered: Option<Vec<u32>>,
}
