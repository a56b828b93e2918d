//! Structural edits: stable synapse ids over a CSR that changes, synapse insertion and removal,
//! neuron addition, and the structural-plasticity update inside the step.
//!
//! Edits are applied in batches by one merge pass over the CSR (kept rows are copied in order,
//! new synapses appended at the end of their presynaptic row), and an id map (id → slot) is
//! rewritten in the same pass. The step's propagation loop therefore stays exactly the static
//! one: no tombstone test per synapse, no per-row length indirection, and a network that never
//! changes pays nothing (its id column stays empty: slots are ids). Structural rules act at
//! intervals of many steps and change a small fraction of the synapses, so an O(synapses) pass per
//! batch costs far less than a per-synapse check on every spike would.

use super::{Network, NetworkError, Segment, Synapses};
use crate::sim::ids::{NeuronId, PopulationId, SynapseId};
use crate::sim::inputs::Receptor;
use crate::sim::models::SynapseKind;
use crate::sim::report::{StepReport, StructuralEvent};

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
        match self.synapse_slot.get(id.index()) {
            Some(&s) if s != u32::MAX => Some(s as usize),
            _ => None,
        }
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
            nn.v.push(v);
            nn.syn_ex.push(0.0);
            nn.syn_in.push(0.0);
            nn.psc_ex.push(0.0);
            nn.psc_in.push(0.0);
            nn.adapt.push(model.initial_adaptation(v));
            nn.refractory.push(0);
            nn.last_spike.push(u64::MAX);
            nn.population.push(pop);
            nn.position.push(position);
            nn.i_inj.push(0.0);
            nn.theta.push(0.0);
            self.pending_events.push(StructuralEvent::NeuronBorn { id: NeuronId(id), parent });
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
        let n = self.num_neurons();
        let s_old = self.synapses.len();
        if self.synapses.id.is_empty() {
            self.synapses.id = (0..s_old as u32).collect();
            self.synapse_slot = self.synapses.id.clone();
            self.next_synapse_id = s_old as u32;
        }
        let old = &self.synapses;
        let mut dead = vec![false; s_old];
        for &s in remove {
            dead[s as usize] = true;
        }
        let with_delay = !old.delay.is_empty() || add.iter().any(|a| a.delay_steps > 0);
        let with_projection = !old.projection.is_empty() || add.iter().any(|a| a.projection != NO_PROJECTION);
        let mut row_start = vec![0u64; n + 1];
        for i in 0..n {
            row_start[i + 1] = old.row(NeuronId(i as u32)).filter(|&s| !dead[s]).count() as u64;
        }
        for a in add {
            row_start[a.pre.index() + 1] += 1;
        }
        for i in 1..=n {
            row_start[i] += row_start[i - 1];
        }
        let total = row_start[n] as usize;
        let mut order: Vec<u32> = (0..add.len() as u32).collect();
        order.sort_by_key(|&k| add[k as usize].pre); // stable: a row's new synapses keep their order
        let first_id = self.next_synapse_id;
        let mut new = Synapses {
            row_start,
            target: Vec::with_capacity(total),
            weight: Vec::with_capacity(total),
            delay: Vec::with_capacity(if with_delay { total } else { 0 }),
            projection: Vec::with_capacity(if with_projection { total } else { 0 }),
            id: Vec::with_capacity(total),
        };
        let mut old_to_new = vec![u32::MAX; s_old];
        let mut k = 0;
        for i in 0..n {
            for s in old.row(NeuronId(i as u32)).filter(|&s| !dead[s]) {
                old_to_new[s] = new.target.len() as u32;
                new.target.push(old.target[s]);
                new.weight.push(old.weight[s]);
                if with_delay {
                    new.delay.push(old.delay_steps(s));
                }
                if with_projection {
                    new.projection.push(old.projection.get(s).copied().unwrap_or(NO_PROJECTION));
                }
                new.id.push(old.id[s]);
            }
            while k < order.len() && add[order[k] as usize].pre.index() == i {
                let a = &add[order[k] as usize];
                new.target.push((a.post.0 << 1) | a.receptor.index());
                new.weight.push(a.weight);
                if with_delay {
                    new.delay.push(a.delay_steps);
                }
                if with_projection {
                    new.projection.push(a.projection);
                }
                new.id.push(first_id + order[k]);
                k += 1;
            }
        }
        for &s in remove {
            if std::mem::take(&mut dead[s as usize]) {
                let id = old.id[s as usize];
                self.synapse_slot[id as usize] = u32::MAX;
                events.push(StructuralEvent::SynapsePruned { id: SynapseId(id) });
            }
        }
        self.synapse_slot.resize(first_id as usize + add.len(), u32::MAX);
        for (slot, &id) in new.id.iter().enumerate() {
            self.synapse_slot[id as usize] = slot as u32;
        }
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
    }
}
