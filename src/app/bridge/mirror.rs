//! Entities follow the network: all of them when a simulation is installed, then one structural
//! change at a time from [`StructureChanged`] messages; fades advance and faded-out entities go.

use bevy::prelude::*;

use super::components::{
    AttentionEdge, Born, EdgeKind, FadeIn, FadeOut, IdMap, Neuron, OnScreen, Post, Pre, StructureChanged, Synapse,
};
use crate::engine::Simulation;
use crate::growth::attention::AttentionEdges;
use crate::sim::{NeuronId, StructuralEvent};

/// Despawns the entities of the previous network and spawns one per neuron, per synapse on screen
/// and per attention edge of `engine`, filling the [`IdMap`].
pub(super) fn respawn_entities(world: &mut World, engine: &Simulation) {
    let old = std::mem::take(&mut *world.resource_mut::<IdMap>());
    for e in old.neurons.into_iter().chain(old.synapses.into_values()).chain(old.attention.into_values()) {
        if let Ok(entity) = world.get_entity_mut(e) {
            entity.despawn();
        }
    }
    let net = &engine.network;
    let synapses = on_screen(engine, *world.resource::<OnScreen>());
    let edges: Vec<(AttentionEdge, Pre, Post, EdgeKind)> = engine
        .structural_rule::<AttentionEdges>()
        .map(|a| {
            a.edges()
                .iter()
                .map(|e| (AttentionEdge(e.id), Pre(NeuronId(e.from)), Post(NeuronId(e.to)), EdgeKind::ATTENTION))
                .collect()
        })
        .unwrap_or_default();
    let synapse_ids: Vec<_> = synapses.iter().map(|b| b.0.0).collect();
    let edge_ids: Vec<u32> = edges.iter().map(|b| b.0.0).collect();
    let neurons: Vec<Entity> = world.spawn_batch((0..net.num_neurons() as u32).map(|i| Neuron(NeuronId(i)))).collect();
    let synapse_entities: Vec<Entity> = world.spawn_batch(synapses).collect();
    let edge_entities: Vec<Entity> = world.spawn_batch(edges).collect();
    let mut ids = world.resource_mut::<IdMap>();
    ids.neurons = neurons;
    ids.synapses = synapse_ids.into_iter().zip(synapse_entities).collect();
    ids.attention = edge_ids.into_iter().zip(edge_entities).collect();
}

/// The synapses `screen` shows, as the components of their entities.
fn on_screen(engine: &Simulation, screen: OnScreen) -> Vec<(Synapse, Pre, Post, EdgeKind)> {
    let syn = &engine.network.synapses;
    let mut synapses = Vec::new();
    // With an ego neuron its inputs are in every row, so every row is looked at either way.
    for pre in 0..engine.network.num_neurons() as u32 {
        let pre = NeuronId(pre);
        for s in syn.row(pre) {
            let (id, post) = (syn.id_at(s), syn.post(s));
            if screen.shows_edge(id, pre, post) {
                synapses.push((Synapse(id), Pre(pre), Post(post), EdgeKind::of(syn.receptor(s))));
            }
        }
    }
    synapses
}

/// Shows only the synapses into and out of `ego` (or, with `None`, the sample again): the
/// synapse entities respawn; neurons and attention edges stay.
pub(super) fn change_ego(world: &mut World, ego: Option<NeuronId>) {
    if world.resource::<OnScreen>().ego == ego {
        return;
    }
    world.resource_mut::<OnScreen>().ego = ego;
    world.resource_scope(|world, sim: Mut<super::Sim>| {
        let old = std::mem::take(&mut world.resource_mut::<IdMap>().synapses);
        for e in old.into_values() {
            if let Ok(entity) = world.get_entity_mut(e) {
                entity.despawn();
            }
        }
        let synapses = on_screen(&sim.engine, *world.resource::<OnScreen>());
        let ids: Vec<_> = synapses.iter().map(|b| b.0.0).collect();
        let entities: Vec<Entity> = world.spawn_batch(synapses).collect();
        world.resource_mut::<IdMap>().synapses = ids.into_iter().zip(entities).collect();
    });
}

/// Draws at most `budget` synapses: the sample on screen is chosen again and its entities respawn.
pub(super) fn change_budget(world: &mut World, budget: usize) {
    let total = world.get_resource::<super::Sim>().map_or(0, |s| s.network().num_synapses());
    let mut screen = world.resource_mut::<OnScreen>();
    let stride = OnScreen::stride_for(budget, total);
    let same = screen.stride == stride;
    screen.budget = budget;
    screen.stride = stride;
    if !same {
        world.resource_scope(|world, sim: Mut<super::Sim>| respawn_entities(world, &sim.engine));
    }
}

/// Mirrors structural changes into entities: a new neuron (with its birth), a synapse on screen or
/// an attention edge is spawned fading in; a pruned synapse or a decayed edge fades out and is then
/// despawned (the view draws it until then).
pub fn mirror_structure(
    mut commands: Commands,
    mut changes: MessageReader<StructureChanged>,
    mut ids: ResMut<IdMap>,
    screen: Res<OnScreen>,
) {
    for c in changes.read() {
        match c.event {
            StructuralEvent::NeuronBorn { id, parent } => {
                debug_assert_eq!(id.index(), ids.neurons.len(), "neuron ids are dense");
                let born = Born { time_ms: c.time_ms, parent };
                ids.neurons.push(commands.spawn((Neuron(id), born, FadeIn(0.0))).id());
            }
            StructuralEvent::SynapseFormed { id, pre, post, kind } => {
                if screen.shows_edge(id, pre, post) {
                    let e = commands.spawn((Synapse(id), Pre(pre), Post(post), EdgeKind::of(kind), FadeIn(0.0))).id();
                    ids.synapses.insert(id, e);
                }
            }
            StructuralEvent::SynapsePruned { id } => {
                if let Some(e) = ids.synapses.remove(&id) {
                    commands.entity(e).remove::<FadeIn>().insert(FadeOut(0.0));
                }
            }
            StructuralEvent::AttentionEdgeFormed { id, a, b } => {
                // `a` receives, `b` is the neuron whose spikes the edge carries.
                let e = commands.spawn((AttentionEdge(id), Pre(b), Post(a), EdgeKind::ATTENTION, FadeIn(0.0))).id();
                ids.attention.insert(id, e);
            }
            StructuralEvent::AttentionEdgeDecayed { id } => {
                if let Some(e) = ids.attention.remove(&id) {
                    commands.entity(e).remove::<FadeIn>().insert(FadeOut(0.0));
                }
            }
        }
    }
}

/// Advances fade-ins and fade-outs by the tick's time (virtual, so a recording's fades follow its
/// frames); a faded-out entity is despawned.
pub fn advance_fades(
    mut commands: Commands,
    time: Res<Time>,
    mut fading_in: Query<(Entity, &mut FadeIn)>,
    mut fading_out: Query<(Entity, &mut FadeOut)>,
) {
    let d = time.delta_secs() / super::FADE_SECONDS;
    for (e, mut f) in &mut fading_in {
        f.0 += d;
        if f.0 >= 1.0 {
            commands.entity(e).remove::<FadeIn>();
        }
    }
    for (e, mut f) in &mut fading_out {
        f.0 += d;
        if f.0 >= 1.0 {
            commands.entity(e).despawn();
        }
    }
}
