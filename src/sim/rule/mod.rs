//! The contracts rules implement, and the driver that calls them. The network knows no rule: a
//! composite above it (`engine::Simulation`) owns the network and its rules and calls, every step,
//! the hooks of each rule in a fixed order (documented again on `engine::Simulation::step`):
//!
//! 1. [`StructuralRule::plan`] of every structural rule due at the step, each batch of edits
//!    applied before the next rule plans, then [`SynapticRule::rebuilt`] and
//!    [`StructuralRule::neurons_added`] for every rule;
//! 2. the network's own step (inputs, neuron update, spikes, propagation);
//! 3. [`StructuralRule::transmit`] (current carried by edges outside the synapse table);
//! 4. [`SynapticRule::on_pre`], [`SynapticRule::on_post`], [`SynapticRule::every_step`] of each
//!    learning rule, one rule after the other;
//! 5. [`NeuronRule::after_step`] of each intrinsic rule;
//! 6. [`StructuralRule::after_step`] of each structural rule.

mod structural;
mod synaptic;

pub(crate) use structural::tunable_hooks;
pub use structural::{RuleCurve, StructuralRule};
pub use synaptic::{Arriving, Incoming, Outgoing, Plastic, ProjectionSynapses, Scope, Synapse, SynapticRule, Tick};

use super::ids::{NeuronId, PopulationId};
use super::network::Segment;
use super::params::Tunable;

/// One step's activity as rules see it, after propagation.
#[derive(Clone, Copy, Debug)]
pub struct Activity<'a> {
    /// The step just taken (0-based).
    pub step: u64,
    /// The spikes' time in steps (`step + 1`: the end of the step).
    pub grid: u64,
    /// The time step (ms).
    pub dt_ms: f64,
    /// The seed every random draw is keyed by.
    pub seed: u64,
    /// The neurons that spiked, in ascending id order.
    pub spikes: &'a [NeuronId],
    /// Each neuron's population.
    pub population: &'a [PopulationId],
    /// Contiguous runs of neuron ids by population.
    pub segments: &'a [Segment],
}

impl Activity<'_> {
    /// The spikes of neurons of population `pop`, in id order.
    pub fn spikes_of(&self, pop: PopulationId) -> impl Iterator<Item = NeuronId> + '_ {
        self.spikes.iter().copied().filter(move |i| self.population[i.index()] == pop)
    }

    /// The ids of the neurons of population `pop`.
    pub fn members(&self, pop: PopulationId) -> impl Iterator<Item = usize> + '_ {
        super::network::members(self.segments, pop).map(|i| i as usize)
    }
}

/// An intrinsic-plasticity rule: changes per-neuron excitability (the threshold offset column)
/// of one population from its spikes.
pub trait NeuronRule: Tunable {
    /// After a step: updates `theta` (mV, one entry per neuron of the network) for the neurons of
    /// `population`.
    fn after_step(&self, population: PopulationId, theta: &mut [f64], activity: &Activity);
}
