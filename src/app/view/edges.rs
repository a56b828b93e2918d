//! The synapse draws' slots: each synapse and attention-edge entity on screen gets a slot in the
//! edge buffers when it appears and gives it back when it is despawned (after fading out), so a
//! structural change writes a few slots, never the whole table. Each frame the slots' looks
//! (weight, opacity) are filled from the engine and the entities' fades.

use std::collections::{BTreeSet, HashMap};

use bevy::ecs::entity::EntityHashMap;
use bevy::prelude::*;

use super::gpu::{GpuEdge, GpuEdgeLook};
use crate::app::bridge::{AttentionEdge, EdgeKind, FadeIn, FadeOut, Post, Pre, Synapse};
use crate::engine::Simulation;
use crate::growth::attention::AttentionEdges;
use crate::sim::SynapseId;

/// What a slot holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Held {
    /// Nothing (opacity 0).
    Free,
    /// A synapse, by id; its CSR slot as of the last structural change (`u32::MAX`: gone).
    Synapse(SynapseId, u32),
    /// An attention edge, by id.
    Attention(u32),
}

/// The edge slots and their CPU-side contents.
#[derive(Debug, Default)]
pub struct EdgeSlots {
    /// Slot of each edge entity.
    of: EntityHashMap<u32>,
    /// What each slot holds.
    held: Vec<Held>,
    /// Free slots, reused before the table grows.
    free: Vec<u32>,
    /// Per slot: the edge (uploaded when a slot changes).
    pub edges: Vec<GpuEdge>,
    /// Per slot: weight and opacity (uploaded each frame something changes).
    pub looks: Vec<GpuEdgeLook>,
    /// Per slot: 1 / the reference weight that maps to full brightness.
    scale: Vec<f32>,
    /// Slots holding attention edges (drawn as arcs).
    pub arcs: BTreeSet<u32>,
    /// Slots whose edge changed since the last upload.
    pub dirty: Vec<u32>,
    /// Whether the table grew (all of it, and the meshes, go up again).
    pub grew: bool,
    /// Whether the set of attention slots changed (the arc mesh is rebuilt).
    pub arcs_changed: bool,
    /// Reference weight per (projection, receptor): a rule's bound, else the largest |w| seen.
    reference: HashMap<(u16, u32), f32>,
    /// Whether a drawn synapse is plastic (its weight may change every step).
    plastic: bool,
    /// Slots taken or given back since the last frame (their looks go up with the frame's).
    pending_looks: Vec<u32>,
    /// Slots whose look changed this frame (written in place unless [`Self::looks_all`]).
    pub looks_changed: Vec<u32>,
    /// Whether so many looks changed that the whole buffer goes up.
    pub looks_all: bool,
}

impl EdgeSlots {
    /// Empties the table for a new network and measures its reference weights.
    pub fn reset(&mut self, engine: &Simulation) {
        *self = Self { grew: true, ..Self::default() };
        let syn = &engine.network.synapses;
        let total = syn.len();
        for s in (0..total).step_by((total / 200_000).max(1)) {
            let key = (syn.projection.get(s).copied().unwrap_or(0), syn.target[s] & 1);
            let e = self.reference.entry(key).or_insert(0.0);
            *e = e.max(syn.weight[s].abs());
        }
        for b in &engine.synaptic {
            if let Some(w) = b.w_bound_engine() {
                for r in 0..2 {
                    self.reference.insert((b.scope().projection, r), w.abs() as f32);
                }
            }
        }
    }

    /// Slots in the table (at least one, so buffers are never empty).
    pub fn capacity(&self) -> usize {
        self.held.len().max(1)
    }

    /// Gives `entity` a slot for `edge`.
    fn take(&mut self, entity: Entity, held: Held, edge: GpuEdge, scale: f32, weight: f32) {
        let k = match self.free.pop() {
            Some(k) => k,
            None => {
                // Grow by doubling: every slot past the end is free.
                let old = self.held.len();
                let new = (old * 2).max(64);
                self.held.resize(new, Held::Free);
                self.edges.resize(new, GpuEdge::default());
                self.looks.resize(new, GpuEdgeLook::default());
                self.scale.resize(new, 1.0);
                self.free.extend((old as u32 + 1..new as u32).rev());
                self.grew = true;
                old as u32
            }
        };
        let i = k as usize;
        self.of.insert(entity, k);
        self.held[i] = held;
        self.edges[i] = edge;
        self.scale[i] = scale;
        self.looks[i] = GpuEdgeLook { weight, opacity: 1.0 };
        self.pending_looks.push(k);
        if edge.kind == EdgeKind::ATTENTION.0 {
            self.arcs.insert(k);
            self.arcs_changed = true;
        }
        self.dirty.push(k);
    }

    /// Frees the slot of a despawned entity.
    fn give_back(&mut self, entity: Entity) {
        if let Some(k) = self.of.remove(&entity) {
            let i = k as usize;
            self.held[i] = Held::Free;
            self.edges[i] = GpuEdge::default();
            self.looks[i] = GpuEdgeLook::default();
            self.arcs_changed |= self.arcs.remove(&k);
            self.free.push(k);
            self.pending_looks.push(k);
            self.dirty.push(k);
        }
    }

    /// Number of slots holding synapses.
    pub fn synapses(&self) -> usize {
        self.held.iter().filter(|h| matches!(h, Held::Synapse(..))).count()
    }

    /// Whether no slot is held.
    pub fn is_empty(&self) -> bool {
        self.of.is_empty()
    }
}

/// Entities that are drawn as edges.
pub type EdgeEntity =
    (Entity, &'static Pre, &'static Post, &'static EdgeKind, Option<&'static Synapse>, Option<&'static AttentionEdge>);

/// Gives new edge entities their slots and takes back those of despawned ones.
pub fn assign_slots(
    slots: &mut EdgeSlots,
    engine: &Simulation,
    added: &Query<EdgeEntity, Added<Pre>>,
    removed: &mut RemovedComponents<Pre>,
) {
    for entity in removed.read() {
        slots.give_back(entity);
    }
    let syn = &engine.network.synapses;
    let plastic: Vec<u16> = engine.synaptic.iter().map(|b| b.scope().projection).collect();
    for (entity, pre, post, kind, synapse, edge) in added {
        if slots.of.contains_key(&entity) {
            continue;
        }
        let (held, scale, is_plastic, weight) = match (synapse, edge) {
            (Some(s), _) => {
                let csr = engine.network.synapse_slot(s.0);
                let projection = csr.and_then(|c| syn.projection.get(c).copied()).unwrap_or(0);
                let w_ref = slots.reference.get(&(projection, kind.0)).copied().unwrap_or(1.0).max(1e-12);
                let held = Held::Synapse(s.0, csr.map_or(u32::MAX, |c| c as u32));
                let weight = csr.and_then(|c| syn.weight.get(c)).map_or(0.6, |w| (w.abs() / w_ref).min(1.0));
                let is_plastic = csr.is_some() && !syn.projection.is_empty() && plastic.contains(&projection);
                (held, 1.0 / w_ref, is_plastic, weight)
            }
            // Its strength is read with the frame's looks.
            (None, Some(a)) => (Held::Attention(a.0), 1.0, true, 0.6),
            (None, None) => continue,
        };
        // Any learning rule may move any weight it reaches: read them all every frame then.
        slots.plastic |= !engine.synaptic.is_empty() && matches!(held, Held::Synapse(..));
        let edge = GpuEdge { pre: pre.0.0, post: post.0.0, kind: kind.0, plastic: u32::from(is_plastic) };
        slots.take(entity, held, edge, scale, weight);
    }
}

/// Looks the synapses' CSR slots up again after the table was rebuilt (ids stay, slots move).
pub fn follow_renumbering(slots: &mut EdgeSlots, engine: &Simulation) {
    let net = &engine.network;
    let total = net.num_synapses();
    let held = slots.held.iter().filter(|h| matches!(h, Held::Synapse(..))).count();
    if held < total / 64 || net.synapses.id.is_empty() {
        // A sample: one index lookup each.
        for h in &mut slots.held {
            if let Held::Synapse(id, csr) = h {
                *csr = net.synapse_slot(*id).map_or(u32::MAX, |c| c as u32);
            }
        }
        return;
    }
    // Most of the table: one pass over it beats a lookup per synapse.
    let mut slot_of = vec![u32::MAX; net.next_synapse_id().index()];
    for (c, &id) in net.synapses.id.iter().enumerate() {
        if let Some(s) = slot_of.get_mut(id as usize) {
            *s = c as u32;
        }
    }
    for h in &mut slots.held {
        if let Held::Synapse(id, csr) = h {
            *csr = slot_of.get(id.index()).copied().unwrap_or(u32::MAX);
        }
    }
}

/// Entities in the middle of a fade.
pub type Fading = (Entity, Option<&'static FadeIn>, Option<&'static FadeOut>);

/// Fills every slot's look for this frame: a synapse's weight from the engine (scaled to its
/// reference), an attention edge's strength; opacity from the fades of the entities fading (a
/// synapse fading out keeps a middle weight), 1 once a fade-in has ended. Returns whether any
/// look changed since the last frame (the slots are in [`EdgeSlots::looks_changed`]).
pub fn fill_looks(
    slots: &mut EdgeSlots,
    engine: &Simulation,
    fading: &Query<Fading, (With<Pre>, Or<(With<FadeIn>, With<FadeOut>)>)>,
    faded_in: &mut RemovedComponents<FadeIn>,
) -> bool {
    let weight = &engine.network.synapses.weight;
    let changed = &mut slots.looks_changed;
    changed.clear();
    changed.append(&mut slots.pending_looks);
    let mut set = |looks: &mut [GpuEdgeLook], i: usize, w: f32| {
        if w != looks[i].weight {
            looks[i].weight = w;
            changed.push(i as u32);
        }
    };
    // Synapse weights are read each frame only when they can move (a learning rule is at work; a
    // new slot's weight was read when it was taken); attention strengths change every round.
    if slots.plastic {
        for (i, h) in slots.held.iter().enumerate() {
            if let Held::Synapse(_, csr) = *h {
                let w = weight.get(csr as usize).map_or(0.6, |w| (w.abs() * slots.scale[i]).min(1.0));
                set(&mut slots.looks, i, w);
            } else if *h == Held::Free {
                set(&mut slots.looks, i, 0.0);
            }
        }
    }
    if !slots.arcs.is_empty() {
        let edges = engine.structural_rule::<AttentionEdges>().map_or(&[][..], |a| a.edges());
        let strength: HashMap<u32, f32> = edges.iter().map(|e| (e.id, e.strength as f32)).collect();
        for &k in &slots.arcs {
            if let Held::Attention(id) = slots.held[k as usize] {
                set(&mut slots.looks, k as usize, strength.get(&id).copied().unwrap_or(0.6));
            }
        }
    }
    for entity in faded_in.read() {
        if let Some(&k) = slots.of.get(&entity) {
            slots.looks[k as usize].opacity = 1.0;
            slots.looks_changed.push(k);
        }
    }
    for (entity, fade_in, fade_out) in fading {
        if let Some(&k) = slots.of.get(&entity) {
            let look = &mut slots.looks[k as usize];
            look.opacity = match (fade_in, fade_out) {
                (_, Some(o)) => {
                    look.weight = look.weight.max(0.6);
                    (1.0 - o.0).clamp(0.0, 1.0)
                }
                (Some(f), None) => f.0.clamp(0.0, 1.0),
                (None, None) => 1.0,
            };
            slots.looks_changed.push(k);
        }
    }
    slots.looks_all = slots.looks_changed.len() > slots.capacity() / 4;
    !slots.looks_changed.is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scene::Scene;
    use crate::sim::StepReport;

    /// 120 neurons, E->E pruned and regrown every 10 ms.
    const PRUNED: &str = r#"Scene(
        version: 1, name: "pruned", dt: "0.1 ms", seed: 5,
        populations: [(name: "E", size: 120, model: LifCurrent(tau_m: "20 ms"))],
        projections: [
            (name: "EE", source: "E", target: "E", connectivity: Bernoulli(p: 0.1),
             weight: Uniform(low: "0.01 mV", high: "0.3 mV"),
             pruning: (interval: "10 ms", start: "10 ms", end: "400 ms", final_density: 0.05,
                       death_rate: 0.3, death_rate_min: 0.05, regrow_weight: "0.2 mV", trace_tau: "20 ms")),
        ],
        inputs: [Poisson(target: "E", sources: 20, rate: "40 Hz", weight: "2 mV")],
    )"#;

    /// Slots for every `every`-th synapse of `engine`, as `assign_slots` gives them.
    fn slots_for(engine: &Simulation, every: usize) -> (EdgeSlots, Vec<SynapseId>) {
        let mut slots = EdgeSlots::default();
        let net = &engine.network;
        let ids: Vec<SynapseId> = (0..net.num_synapses()).step_by(every).map(|c| net.synapse_id(c)).collect();
        for (k, &id) in ids.iter().enumerate() {
            let csr = net.synapse_slot(id).unwrap() as u32;
            slots.take(
                Entity::from_raw_u32(k as u32 + 1).unwrap(),
                Held::Synapse(id, csr),
                GpuEdge::default(),
                1.0,
                0.5,
            );
        }
        (slots, ids)
    }

    #[test]
    fn slots_follow_their_synapses_through_a_renumbering_both_ways() {
        let mut engine = Scene::parse(PRUNED, "pruned").unwrap().build(None).unwrap();
        // Sampled (a lookup each) and whole-table (one pass) slots, taken before the rounds.
        let (mut sample, sample_ids) = slots_for(&engine, 100);
        let (mut whole, whole_ids) = slots_for(&engine, 1);
        let before = engine.network.num_synapses();
        let mut report = StepReport::with_capacity(engine.network.num_neurons());
        for _ in 0..300 {
            engine.step(&mut report);
        }
        assert_ne!(engine.network.num_synapses(), before, "the rounds pruned");
        for (slots, ids) in [(&mut sample, &sample_ids), (&mut whole, &whole_ids)] {
            follow_renumbering(slots, &engine);
            let mut gone = 0;
            for (h, id) in slots.held.iter().zip(ids) {
                let Held::Synapse(held_id, csr) = *h else { panic!("slot lost its synapse") };
                assert_eq!(held_id, *id);
                match engine.network.synapse_slot(*id) {
                    Some(c) => assert_eq!(csr as usize, c, "synapse {id:?}"),
                    None => {
                        assert_eq!(csr, u32::MAX, "a pruned synapse points nowhere");
                        gone += 1;
                    }
                }
            }
            assert!(gone > 0, "some held synapses were pruned");
        }
    }
}
