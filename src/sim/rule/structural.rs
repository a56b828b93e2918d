//! Structural rules: at their intervals they read the network and return a batch of [`Edits`]
//! (neurons to add, synapses to remove and to insert, events of their own); every step they follow
//! the activity. The composite that owns the rules applies each batch and tells every rule what
//! changed.

use std::fmt::Debug;

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::Activity;
use crate::sim::edit::Edits;
use crate::sim::ids::{NeuronId, PopulationId};
use crate::sim::network::Network;

/// A rule that changes the network's structure (neurons and synapses) while it runs.
pub trait StructuralRule: Clone + Debug + PartialEq + Serialize + DeserializeOwned + Send + Sync {
    /// Short name, for timings and logs ("structural plasticity", "pruning", ...).
    fn name(&self) -> &'static str;

    /// Checks a decoded rule against the network it was saved with (parameters in range, state
    /// lengths, indices, finite values): a file must not be trusted.
    fn check_decoded(&self, net: &Network) -> Result<(), String>;

    /// Whether a round is due at the start of `step`.
    fn due(&self, step: u64) -> bool;

    /// One round at the start of the network's current step: reads `net` and writes the edits it
    /// wants into `edits` (empty on entry).
    fn plan(&mut self, net: &Network, edits: &mut Edits);

    /// After each step: follows the activity (traces, counts).
    fn after_step(&mut self, _activity: &Activity) {}

    /// Current carried by the rule's own edges from this step's spikes, added to the targets'
    /// excitatory synaptic variable (like synapses without delay).
    fn transmit(&mut self, _spikes: &[NeuronId], _syn_ex: &mut [f64]) {}

    /// The network gained neurons: `population_of` has one entry per neuron.
    fn neurons_added(&mut self, _population_of: &[PopulationId]) {}
}
