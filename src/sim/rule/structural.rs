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
use crate::sim::models::ParamError;
use crate::sim::network::Network;
use crate::sim::params::{Curve, ParamSpec};

/// A structural rule's curve for the UI: the curve, where the network is on it now, and a level to
/// draw across it (a threshold).
#[derive(Clone, Debug, PartialEq)]
pub struct RuleCurve {
    /// The curve.
    pub curve: Curve,
    /// Points marking the present (drawn as dots).
    pub now: Vec<[f64; 2]>,
    /// A horizontal level and its name.
    pub level: Option<(f64, &'static str)>,
}

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

    /// What the rule acts on, for a heading ("neurogenesis in E").
    fn label(&self, _net: &Network) -> String {
        self.name().to_string()
    }

    /// The parameters a user may change while it runs (name, unit, range, default), for sliders.
    fn schema(&self) -> &'static [ParamSpec] {
        &[]
    }

    /// The value of a parameter of [`StructuralRule::schema`].
    fn get(&self, _name: &str) -> Option<f64> {
        None
    }

    /// Changes a parameter after checking it against its spec; on error nothing changes.
    fn set(&mut self, name: &str, _value: f64) -> Result<(), ParamError> {
        Err(ParamError { model: self.name(), param: "?", reason: format!("{} has no parameter `{name}`", self.name()) })
    }

    /// The rule's curve with the present marked (GraNet's density schedule, NDP's growth signal).
    fn curve(&self, _net: &Network) -> Option<RuleCurve> {
        None
    }
}

/// Implements the parameter hooks of [`StructuralRule`] through the rule's [`Tunable`] impl.
///
/// [`Tunable`]: crate::sim::params::Tunable
macro_rules! tunable_hooks {
    () => {
        fn schema(&self) -> &'static [$crate::sim::params::ParamSpec] {
            <Self as $crate::sim::params::Tunable>::schema()
        }
        fn get(&self, name: &str) -> Option<f64> {
            <Self as $crate::sim::params::Tunable>::get(self, name)
        }
        fn set(&mut self, name: &str, value: f64) -> Result<(), $crate::sim::ParamError> {
            <Self as $crate::sim::params::Tunable>::set(self, name, value)
        }
    };
}
pub(crate) use tunable_hooks;
