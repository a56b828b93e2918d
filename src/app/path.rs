//! The shortest path between two picked neurons: Ctrl+click (or `--path-to`) a second neuron while
//! one is picked; the fewest-hop chain of synapses between them (`analysis::graph`) is found again
//! when either end or the synapse table changes, listed in the inspector, and drawn bright over the
//! network by a synapse draw of its own (whatever the synapse budget and filters).

use bevy::prelude::*;
use bevy::render::storage::ShaderBuffer;

use super::bridge::{Selection, Sim, SimulationInstalled};
use super::view::{
    GpuEdge, GpuEdgeLook, GpuSynapseParams, SynapseMaterial, ViewBuffers, ViewHandles, bytes, quad_mesh, redraw,
    storage,
};
use crate::analysis::graph::shortest_synapse_path;
use crate::sim::NeuronId;

/// The path asked for and found.
#[derive(Resource, Debug, Default)]
pub struct PathView {
    /// The path's end (its start is the picked neuron).
    pub to: Option<NeuronId>,
    /// The synapse slots along the path, in order (`None`: not asked, or no path).
    pub synapses: Option<Vec<usize>>,
    /// The neurons along it, from the picked one to `to`.
    pub neurons: Vec<u32>,
    /// (from, to, synapses, next synapse id) the path was found for.
    key: Option<(u32, u32, usize, u32)>,
    /// Whether the ends are set but no path joins them.
    pub unreachable: bool,
}

/// The path's draw entity and the neuron buffer it was made over.
#[derive(Resource, Default)]
struct PathDraw {
    entity: Option<Entity>,
    drawn: Option<(Vec<usize>, AssetId<ShaderBuffer>)>,
}

/// Finds and draws the shortest path between the picked neuron and the path's end.
pub struct PathPlugin;

impl Plugin for PathPlugin {
    fn build(&self, app: &mut App) {
        app.init_resource::<PathView>()
            .init_resource::<PathDraw>()
            .add_systems(Startup, path_from_options)
            .add_systems(Update, (find_path, draw_path).chain().run_if(resource_exists::<Sim>));
    }
}

/// `--path-to` sets the first path's end.
fn path_from_options(options: Option<Res<crate::app::AppOptions>>, mut path: ResMut<PathView>) {
    if let Some(to) = options.and_then(|o| o.path_to) {
        path.to = Some(NeuronId(to));
    }
}

/// Finds the path again when an end or the synapse table changed.
fn find_path(
    sim: Res<Sim>,
    selection: Res<Selection>,
    mut installed: MessageReader<SimulationInstalled>,
    mut path: ResMut<PathView>,
    mut first: Local<bool>,
) {
    // A new network keeps the ends asked for at launch only.
    if installed.read().count() > 0 {
        if *first {
            path.to = None;
        }
        *first = true;
        path.key = None;
    }
    let net = sim.network();
    let (Some(from), Some(to)) = (selection.0, path.to) else {
        if path.synapses.is_some() || path.unreachable {
            *path = PathView { to: path.to, ..PathView::default() };
        }
        return;
    };
    let key = (from.0, to.0, net.num_synapses(), net.next_synapse_id().0);
    if path.key == Some(key) {
        return;
    }
    path.key = Some(key);
    path.synapses = shortest_synapse_path(net, from, to);
    path.unreachable = path.synapses.is_none();
    path.neurons = match &path.synapses {
        Some(s) => std::iter::once(from.0).chain(s.iter().map(|&k| net.synapses.post(k).0)).collect(),
        None => Vec::new(),
    };
}

/// Keeps the path's draw in step with the path and the neuron buffer.
fn draw_path(
    mut commands: Commands,
    path: Res<PathView>,
    sim: Res<Sim>,
    cpu: Res<ViewBuffers>,
    handles: Option<Res<ViewHandles>>,
    mut draw: ResMut<PathDraw>,
    mut meshes: ResMut<Assets<Mesh>>,
    mut buffers: ResMut<Assets<ShaderBuffer>>,
    mut materials: ResMut<Assets<SynapseMaterial>>,
) {
    let Some(handles) = handles else { return };
    let want = path.synapses.clone().filter(|s| !s.is_empty());
    let now = want.clone().map(|s| (s, handles.neurons.neurons.id()));
    if draw.drawn == now {
        return;
    }
    draw.drawn = now;
    let Some(slots) = want else {
        if let Some(e) = draw.entity.take() {
            commands.entity(e).despawn();
        }
        return;
    };
    let syn = &sim.network().synapses;
    let edges: Vec<GpuEdge> =
        slots.iter().map(|&s| GpuEdge { pre: syn.pre(s).0, post: syn.post(s).0, kind: 0, plastic: 1 }).collect();
    let looks = vec![GpuEdgeLook { weight: 1.0, opacity: 1.0 }; edges.len()];
    let material = materials.add(SynapseMaterial {
        params: GpuSynapseParams {
            width: cpu.radius() * 0.35,
            pulse_ms: 1.0,
            show_pulses: 0,
            intensity: 1.0,
            now_step: 0,
            dt_ms: 1.0,
            ego: u32::MAX,
            hidden_pops: 0,
            kinds: u32::MAX,
            weight_lo: 0.0,
            weight_hi: f32::MAX,
            highlight: 1,
        },
        neurons: handles.neurons.neurons.clone(),
        last_spike: handles.neurons.last_spike.clone(),
        edges: storage(&mut buffers, bytes(&edges)),
        looks: storage(&mut buffers, bytes(&looks)),
    });
    let mesh = meshes.add(quad_mesh(edges.len(), true));
    draw.entity = Some(redraw(&mut commands, draw.entity, "shortest path", mesh, &material, true));
}
