//! Structural edits: stable synapse ids over a CSR that changes, and batches of [`Edits`]
//! (neuron births, synapse removal and insertion) from structural rules or between steps.
//!
//! Edits are applied in batches by one merge pass over the CSR (kept rows are copied in order,
//! new synapses appended at the end of their presynaptic row; blocks of rows in parallel, see
//! `csr_merge`), and the index of live ids (id → slot, see `synapse_index`) is renumbered after
//! it. The step's propagation loop therefore stays exactly the static one: no tombstone test per
//! synapse, no per-row length indirection, and a network that never changes pays nothing (its id
//! column stays empty: slots are ids). Structural rules act at intervals of many steps and change
//! a small fraction of the synapses, so an O(synapses) pass per batch costs far less than a
//! per-synapse check on every spike would.

use super::csr_merge::{Merged, merge};
use super::{Network, NetworkError, Segment, SynapseIndex};
use crate::sim::columns::NeuronValues;
use crate::sim::edit::{Applied, Birth, Edits, NewSynapse};
use crate::sim::ids::{NeuronId, PopulationId, SynapseId};
use crate::sim::inputs::{Input, Receptor};
use crate::sim::models::{NeuronModel, SynapseKind};
use crate::sim::report::StructuralEvent;

/// One synapse as a viewer sees it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SynapseView {
    /// Stable id.
    pub id: SynapseId,
    /// Presynaptic neuron.
    pub pre: NeuronId,
    /// Postsynaptic neuron.
    pub post: NeuronId,
    /// Synaptic channel.
    pub receptor: Receptor,
    /// Weight (pA or nS).
    pub weight: f32,
    /// Delay in steps.
    pub delay_steps: u16,
}

impl Network {
    /// The CSR slot of synapse `id`, or `None` if it was pruned or never existed.
    pub fn synapse_slot(&self, id: SynapseId) -> Option<usize> {
        if self.synapses.id.is_empty() {
            return (id.index() < self.synapses.len()).then_some(id.index());
        }
        self.synapse_index.get(id.0)
    }

    /// The synapse with stable id `id`, if it exists.
    pub fn synapse(&self, id: SynapseId) -> Option<SynapseView> {
        self.synapse_slot(id).map(|s| self.synapse_at(s, self.synapses.pre(s)))
    }

    /// Every synapse in CSR order (by presynaptic neuron), with its stable id.
    pub fn synapse_views(&self) -> impl Iterator<Item = SynapseView> + '_ {
        (0..self.num_neurons()).flat_map(move |i| {
            let pre = NeuronId(i as u32);
            self.synapses.row(pre).map(move |s| self.synapse_at(s, pre))
        })
    }

    fn synapse_at(&self, s: usize, pre: NeuronId) -> SynapseView {
        let syn = &self.synapses;
        SynapseView {
            id: syn.id_at(s),
            pre,
            post: syn.post(s),
            receptor: syn.receptor(s),
            weight: syn.weight[s],
            delay_steps: syn.delay_steps(s),
        }
    }

    /// The id the next new synapse will get (ids are handed out in order and never reused).
    pub fn next_synapse_id(&self) -> SynapseId {
        SynapseId(if self.synapses.id.is_empty() { self.synapses.len() as u32 } else { self.next_synapse_id })
    }

    /// Applies a batch of edits between steps: their structural events appear in the next step's
    /// report. Nothing changes if the batch is refused. A network with rules attached is edited
    /// through its `engine::Simulation`, which passes [`Applied`] on to the rules.
    #[must_use = "rules that keep per-slot or per-neuron state must follow what changed"]
    pub fn edit(&mut self, edits: &Edits) -> Result<Applied, NetworkError> {
        let mut events = std::mem::take(&mut self.pending_events);
        let applied = self.apply_edits(edits, &mut events);
        self.pending_events = events;
        applied
    }

    /// Applies a batch of edits (births, then removals and insertions in one merge pass, see
    /// [`Edits`]), pushing one event per change: births, removals, insertions, then the batch's own
    /// events. The batch is checked first: on error nothing changes.
    pub fn apply_edits(&mut self, edits: &Edits, events: &mut Vec<StructuralEvent>) -> Result<Applied, NetworkError> {
        self.check_edits(edits)?;
        let mut applied = Applied::default();
        if let (Some(pop), false) = (edits.population, edits.births.is_empty()) {
            applied.neurons_added = self.push_neurons(pop, &edits.births, events).len();
        }
        if !edits.remove.is_empty() || !edits.add.is_empty() {
            applied.renumbered = Some(self.restructure(&edits.remove, &edits.add, events));
        }
        events.extend_from_slice(&edits.events);
        Ok(applied)
    }

    /// Refuses a batch naming neurons or slots that do not exist (births counted), a non-finite
    /// weight, a synapse onto a neuron that cannot receive one, a slot removed twice, or more ids
    /// than there are.
    fn check_edits(&self, edits: &Edits) -> Result<(), NetworkError> {
        let old = self.num_neurons();
        let n = old + edits.births.len();
        if !edits.births.is_empty() {
            let pop = edits.population.ok_or_else(|| NetworkError::Invalid("births name no population".into()))?;
            if pop.index() >= self.populations.len() {
                return Err(NetworkError::Invalid(format!("population {} does not exist", pop.0)));
            }
            if n >= (1 << 31) {
                return Err(NetworkError::Invalid("more than 2^31 neurons".into()));
            }
            if let Some(p) = edits.births.iter().filter_map(|b| b.parent).find(|p| p.index() >= old) {
                return Err(NetworkError::NoSuchNeuron(p.0, old));
            }
        }
        let population_of = |i: usize| {
            if i < old { self.neurons.population[i] } else { edits.population.expect("births have a population") }
        };
        for a in &edits.add {
            for k in [a.pre, a.post] {
                if k.index() >= n {
                    return Err(NetworkError::NoSuchNeuron(k.0, n));
                }
            }
            if !a.weight.is_finite() {
                return Err(NetworkError::Invalid(format!("synaptic weight {} is not finite", a.weight)));
            }
            let pop = &self.populations[population_of(a.post.index()).index()];
            if pop.model.synapse_kind() == SynapseKind::None {
                return Err(NetworkError::Invalid(format!("a {} neuron cannot receive synapses", pop.model.name())));
            }
        }
        let mut seen = vec![false; if edits.remove.is_empty() { 0 } else { self.synapses.len() }];
        for &s in &edits.remove {
            match seen.get_mut(s as usize) {
                None => return Err(NetworkError::Invalid(format!("synapse slot {s} does not exist"))),
                Some(true) => return Err(NetworkError::Invalid(format!("synapse slot {s} is removed twice"))),
                Some(f) => *f = true,
            }
        }
        let first = self.next_synapse_id().0;
        if (first as u64) + edits.add.len() as u64 >= u32::MAX as u64 {
            return Err(NetworkError::Invalid("synapse ids exhausted (2^32 synapses created)".into()));
        }
        Ok(())
    }

    /// The CSR slots of synapses `ids`, refusing unknown or already removed ones.
    pub fn slots_of(&self, ids: &[SynapseId]) -> Result<Vec<u32>, NetworkError> {
        ids.iter()
            .map(|&id| {
                self.synapse_slot(id)
                    .map(|s| s as u32)
                    .ok_or_else(|| NetworkError::Invalid(format!("synapse {} does not exist", id.0)))
            })
            .collect()
    }

    /// Adds the neurons of `born` to population `pop` and pushes their `NeuronBorn` events: each
    /// in the model's resting state or its parent's, joining its parent's inputs if asked, without
    /// synapses. Returns their ids.
    fn push_neurons(
        &mut self,
        pop: PopulationId,
        born: &[Birth],
        events: &mut Vec<StructuralEvent>,
    ) -> std::ops::Range<u32> {
        let start = self.num_neurons();
        let model = self.populations[pop.index()].model.clone();
        let v = model.resting_v();
        let nn = &mut self.neurons;
        for b in born {
            let id = nn.v.len() as u32;
            nn.push(NeuronValues::at_rest(pop, b.position, v, (0.0, 0.0), model.initial_adaptation(v)));
            events.push(StructuralEvent::NeuronBorn { id: NeuronId(id), parent: b.parent });
        }
        let end = self.num_neurons();
        match self.segments.last_mut() {
            Some(s) if s.population == pop && s.end as usize == start => s.end = end as u32,
            _ => self.segments.push(Segment { start: start as u32, end: end as u32, population: pop }),
        }
        self.populations[pop.index()].size += born.len() as u32;
        let last = *self.synapses.row_start.last().unwrap_or(&0);
        self.synapses.row_start.resize(end + 1, last);
        if !self.gap_junctions.row_start.is_empty() {
            let last = *self.gap_junctions.row_start.last().unwrap_or(&0);
            self.gap_junctions.row_start.resize(end + 1, last);
        }
        // A child of a neuron starts where its parent is (membrane, adaptation, threshold offset);
        // a Poisson source keeps its own pending draw.
        let poisson = matches!(model, NeuronModel::PoissonSource { .. });
        let nn = &mut self.neurons;
        for (c, b) in (start..).zip(born) {
            if let (Some(p), true) = (b.parent, b.from_parent) {
                nn.v[c] = nn.v[p.index()];
                nn.theta[c] = nn.theta[p.index()];
                if !poisson {
                    nn.adapt[c] = nn.adapt[p.index()];
                }
            }
        }
        if born.iter().any(|b| b.joins_inputs && b.parent.is_some()) {
            let mut child_of = vec![u32::MAX; start];
            for (c, b) in (start as u32..).zip(born) {
                if let (Some(p), true) = (b.parent, b.joins_inputs) {
                    child_of[p.index()] = c;
                }
            }
            for input in &mut self.inputs {
                let targets = match input {
                    Input::Poisson(p) => &mut p.targets,
                    Input::Current(c) => &mut c.targets,
                    Input::SpikeList(_) | Input::Reward(_) => continue,
                };
                let children: Vec<u32> =
                    targets.iter().map(|&t| child_of[t as usize]).filter(|&c| c != u32::MAX).collect();
                targets.extend(children);
            }
            self.scratch.i_ext_valid = false;
        }
        self.prepare();
        start as u32..end as u32
    }

    /// Applies removals and insertions in a single merge pass: the synapses in slots `remove` go,
    /// `add` are appended to their presynaptic rows in order and get the next ids. Pushes one event
    /// per change (removals first) and returns each old slot's new slot (`u32::MAX`: removed).
    fn restructure(&mut self, remove: &[u32], add: &[NewSynapse], events: &mut Vec<StructuralEvent>) -> Vec<u32> {
        let n = self.num_neurons();
        let s_old = self.synapses.len();
        if self.synapses.id.is_empty() {
            self.synapses.id = (0..s_old as u32).collect();
            self.synapse_index = SynapseIndex::identity(s_old);
            self.next_synapse_id = s_old as u32;
        }
        let mut dead = vec![false; s_old];
        for &s in remove {
            dead[s as usize] = true;
        }
        let first_id = self.next_synapse_id;
        let Merged { synapses: new, old_to_new, added_slot } = merge(&self.synapses, &dead, add, first_id, n);
        let old = &self.synapses;
        for &s in remove {
            events.push(StructuralEvent::SynapsePruned { id: SynapseId(old.id[s as usize]) });
        }
        self.synapse_index.renumber(&old_to_new, (first_id..).zip(added_slot));
        debug_assert_eq!(self.synapse_index.len(), new.len(), "every live synapse is indexed");
        for (k, a) in add.iter().enumerate() {
            let id = SynapseId(first_id + k as u32);
            events.push(StructuralEvent::SynapseFormed { id, pre: a.pre, post: a.post, kind: a.receptor });
        }
        self.next_synapse_id = first_id + add.len() as u32;
        self.synapses = new;
        self.prepare();
        old_to_new
    }
}
