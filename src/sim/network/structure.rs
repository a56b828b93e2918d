//! Structural edits: stable synapse ids over a CSR that changes, synapse insertion and removal,
//! neuron addition, and the structural updates inside the step (MSP, GraNet, neurogenesis).
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
use crate::growth::ndp::Neurogenesis;
use crate::sim::ids::{NeuronId, PopulationId, SynapseId};
use crate::sim::inputs::{Input, Receptor};
use crate::sim::models::{NeuronModel, SynapseKind};
use crate::sim::report::{StepReport, StructuralEvent};
use crate::sim::rng::CounterRng;

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

    /// Inserts synapses (multapses allowed) and returns their ids, in order. Effective from the
    /// next step; `SynapseFormed` events appear in the next step's report.
    pub fn add_synapses(&mut self, new: &[NewSynapse]) -> Result<Vec<SynapseId>, NetworkError> {
        let n = self.num_neurons();
        for a in new {
            for k in [a.pre, a.post] {
                if k.index() >= n {
                    return Err(NetworkError::NoSuchNeuron(k.0, n));
                }
            }
            if !a.weight.is_finite() {
                return Err(NetworkError::Invalid(format!("synaptic weight {} is not finite", a.weight)));
            }
            let pop = &self.populations[self.neurons.population[a.post.index()].index()];
            if pop.model.synapse_kind() == SynapseKind::None {
                return Err(NetworkError::Invalid(format!("a {} neuron cannot receive synapses", pop.model.name())));
            }
        }
        let first = self.next_synapse_id().0;
        if (first as u64) + new.len() as u64 >= u32::MAX as u64 {
            return Err(NetworkError::Invalid("synapse ids exhausted (2^32 synapses created)".into()));
        }
        let mut events = std::mem::take(&mut self.pending_events);
        self.restructure(&[], new, &mut events);
        self.pending_events = events;
        Ok((0..new.len() as u32).map(|k| SynapseId(first + k)).collect())
    }

    /// Removes synapses by id; effective from the next step, with `SynapsePruned` events in the
    /// next step's report. Unknown or already removed ids are refused (nothing changes).
    pub fn remove_synapses(&mut self, ids: &[SynapseId]) -> Result<(), NetworkError> {
        let mut slots = Vec::with_capacity(ids.len());
        for &id in ids {
            let s = self
                .synapse_slot(id)
                .ok_or_else(|| NetworkError::Invalid(format!("synapse {} does not exist", id.0)))?;
            slots.push(s as u32);
        }
        let mut events = std::mem::take(&mut self.pending_events);
        self.restructure(&slots, &[], &mut events);
        self.pending_events = events;
        Ok(())
    }

    /// Adds neurons to population `pop` at `positions`, each with an optional parent (the neuron
    /// it divided from), in the model's resting state and without synapses; returns their ids.
    /// `NeuronBorn` events appear in the next step's report.
    pub fn add_neurons(
        &mut self,
        pop: PopulationId,
        born: &[([f32; 3], Option<NeuronId>)],
    ) -> Result<std::ops::Range<u32>, NetworkError> {
        let mut events = std::mem::take(&mut self.pending_events);
        let r = self.push_neurons(pop, born, &mut events);
        self.pending_events = events;
        r
    }

    /// [`Network::add_neurons`] with the `NeuronBorn` events pushed to `events`.
    fn push_neurons(
        &mut self,
        pop: PopulationId,
        born: &[([f32; 3], Option<NeuronId>)],
        events: &mut Vec<StructuralEvent>,
    ) -> Result<std::ops::Range<u32>, NetworkError> {
        let start = self.num_neurons();
        let model = match self.populations.get(pop.index()) {
            Some(p) => p.model.clone(),
            None => return Err(NetworkError::Invalid(format!("population {} does not exist", pop.0))),
        };
        if start + born.len() >= (1 << 31) {
            return Err(NetworkError::Invalid("more than 2^31 neurons".into()));
        }
        if let Some(p) = born.iter().filter_map(|b| b.1).find(|p| p.index() >= start) {
            return Err(NetworkError::NoSuchNeuron(p.0, start));
        }
        let v = model.resting_v();
        let nn = &mut self.neurons;
        for &(position, parent) in born {
            let id = nn.v.len() as u32;
            nn.push(pop, position, v, (0.0, 0.0), model.initial_adaptation(v));
            events.push(StructuralEvent::NeuronBorn { id: NeuronId(id), parent });
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
        self.resize_neuron_state(end);
        self.prepare();
        Ok(start as u32..end as u32)
    }

    /// Neurogenesis rounds due at this step (NDP replication, ALGORITHMS.md §10): the neurons
    /// whose growth signal reached the threshold divide; each child is placed near its parent,
    /// starts from its membrane state, joins its external inputs (if the rule says so) and
    /// inherits a perturbed copy of its synapses (those of structural plasticity excepted: MSP
    /// grows the child's own). Events: the births, then the inherited synapses.
    pub(super) fn divide_neurons(&mut self, report: &mut StepReport) {
        let step = self.step;
        for k in 0..self.neurogenesis.len() {
            if !self.neurogenesis[k].due(step) {
                continue;
            }
            let pop = self.neurogenesis[k].population;
            let size = self.populations[pop.index()].size;
            let parents = self.neurogenesis[k].plan(&self.segments, size, step);
            if parents.is_empty() {
                continue;
            }
            let rule = &self.neurogenesis[k];
            let mut rngs: Vec<CounterRng> = parents.iter().map(|&p| Neurogenesis::rng(self.seed, step, p)).collect();
            let born: Vec<([f32; 3], Option<NeuronId>)> = parents
                .iter()
                .zip(&mut rngs)
                .map(|(&p, rng)| (rule.child_position(self.neurons.position[p as usize], rng), Some(NeuronId(p))))
                .collect();
            let first = match self.push_neurons(pop, &born, &mut report.events) {
                Ok(r) => r.start,
                Err(_) => continue, // over 2^31 neurons: no division
            };
            // The child starts where its parent is (membrane, adaptation, intrinsic threshold).
            let poisson = matches!(self.populations[pop.index()].model, NeuronModel::PoissonSource { .. });
            let nn = &mut self.neurons;
            for (c, &p) in (first..).zip(&parents) {
                let (c, p) = (c as usize, p as usize);
                nn.v[c] = nn.v[p];
                nn.theta[c] = nn.theta[p];
                if !poisson {
                    nn.adapt[c] = nn.adapt[p];
                }
                self.neurogenesis[k].inherit_signal(p as u32, c as u32, step);
            }
            // The child of each parent (u32::MAX for other neurons).
            let mut child_of = vec![u32::MAX; self.num_neurons()];
            for (c, &p) in (first..).zip(&parents) {
                child_of[p as usize] = c;
            }
            let add = self.inherited_synapses(k, &parents, &child_of, &mut rngs);
            if !add.is_empty() {
                self.restructure(&[], &add, &mut report.events);
            }
            if self.neurogenesis[k].inherit_inputs {
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
        }
    }

    /// The synapses the children of `parents` (children in `child_of`) inherit, in the order of the
    /// parents: each parent's outgoing synapses (by slot), then its incoming ones (by slot), with
    /// weights perturbed by draws from the parent's stream.
    fn inherited_synapses(
        &self,
        rule: usize,
        parents: &[u32],
        child_of: &[u32],
        rngs: &mut [CounterRng],
    ) -> Vec<NewSynapse> {
        let syn = &self.synapses;
        let skip: Vec<u16> =
            self.msp.as_ref().map_or(Vec::new(), |m| m.synapse_models.iter().map(|s| s.projection).collect());
        let inherited = |s: usize| skip.is_empty() || !syn.projection.get(s).is_some_and(|p| skip.contains(p));
        // Incoming synapses of the parents: (parent's rank, pre, slot), in slot order.
        let mut rank = vec![u32::MAX; child_of.len()];
        for (r, &p) in parents.iter().enumerate() {
            rank[p as usize] = r as u32;
        }
        let mut incoming: Vec<(u32, u32, u32)> = Vec::new();
        for pre in 0..rank.len().min(syn.row_start.len() - 1) {
            for s in syn.row(NeuronId(pre as u32)) {
                let r = rank[syn.post(s).index()];
                if r != u32::MAX && inherited(s) {
                    incoming.push((r, pre as u32, s as u32));
                }
            }
        }
        incoming.sort_by_key(|e| e.0); // stable: slot order within a parent
        let g = &self.neurogenesis[rule];
        let copy = |pre: u32, post: u32, s: usize, rng: &mut CounterRng| NewSynapse {
            pre: NeuronId(pre),
            post: NeuronId(post),
            receptor: syn.receptor(s),
            weight: g.perturb(syn.weight[s], rng),
            delay_steps: syn.delay_steps(s),
            projection: syn.projection.get(s).copied().unwrap_or(NO_PROJECTION),
        };
        let mut add = Vec::new();
        let mut next_in = 0;
        for (r, &p) in parents.iter().enumerate() {
            let (c, rng) = (child_of[p as usize], &mut rngs[r]);
            for s in syn.row(NeuronId(p)).filter(|&s| inherited(s)) {
                add.push(copy(c, syn.post(s).0, s, rng));
            }
            while next_in < incoming.len() && incoming[next_in].0 == r as u32 {
                let (_, pre, s) = incoming[next_in];
                add.push(copy(pre, c, s as usize, rng));
                next_in += 1;
            }
        }
        add
    }

    /// Extends the per-neuron state of learning and growth rules to `n` neurons.
    pub(super) fn resize_neuron_state(&mut self, n: usize) {
        for b in &mut self.plasticity {
            b.resize_neurons(n);
        }
        if let Some(m) = &mut self.msp {
            m.resize(&self.neurons.population);
        }
        for p in &mut self.pruning {
            p.resize(n);
        }
        for g in &mut self.neurogenesis {
            g.resize(n);
        }
        if let Some(a) = &mut self.attention {
            a.resize(&self.neurons.population);
        }
    }

    /// GraNet's rounds due at this step, one batch of edits per pruned projection.
    pub(super) fn prune_and_regrow(&mut self, report: &mut StepReport) {
        for k in 0..self.pruning.len() {
            if !self.pruning[k].due(self.step) {
                continue;
            }
            let (remove, add) = self.pruning[k].plan(&self.synapses, &self.segments, self.step);
            if !remove.is_empty() || !add.is_empty() {
                self.restructure(&remove, &add, &mut report.events);
            }
        }
    }

    /// Structural plasticity's update (at its interval, at the start of a step): synaptic elements
    /// are brought up to now, retracted elements delete synapses, vacant ones pair into new ones.
    pub(super) fn update_structure(&mut self, report: &mut StepReport) {
        let Some(msp) = self.msp.as_mut() else { return };
        let (remove, add) = msp.plan(&self.synapses, self.seed, self.step);
        if !remove.is_empty() || !add.is_empty() {
            self.restructure(&remove, &add, &mut report.events);
        }
    }

    /// Applies one batch of edits in a single merge pass: the synapses in slots `remove` go, `add`
    /// are appended to their presynaptic rows in order and get the next ids. Rules' per-synapse
    /// state follows its synapses. Pushes one event per change (removals first).
    fn restructure(&mut self, remove: &[u32], add: &[NewSynapse], events: &mut Vec<StructuralEvent>) {
        let t0 = std::time::Instant::now();
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
            if std::mem::take(&mut dead[s as usize]) {
                events.push(StructuralEvent::SynapsePruned { id: SynapseId(old.id[s as usize]) });
            }
        }
        self.synapse_index.renumber(&old_to_new, (first_id..).zip(added_slot));
        debug_assert_eq!(self.synapse_index.len(), new.len(), "every live synapse is indexed");
        for (k, a) in add.iter().enumerate() {
            let id = SynapseId(first_id + k as u32);
            events.push(StructuralEvent::SynapseFormed { id, pre: a.pre, post: a.post, kind: a.receptor });
        }
        self.next_synapse_id = first_id + add.len() as u32;
        for b in &mut self.plasticity {
            b.remap_slots(&old_to_new, &new);
        }
        self.synapses = new;
        self.prepare();
        self.scratch.structural_ns.rewire += t0.elapsed().as_nanos() as u64;
    }
}
