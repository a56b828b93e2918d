//! Instanced rendering of the network with our own WGSL: one draw for all neurons (impostor quads
//! whose glow decays with the age of their last spike), one for the synapses on screen (ribbons
//! coloured by sign and weight, with a pulse after each presynaptic spike), one for the attention
//! edges (arcs). One source of truth per value: spike times are the engine's own column, written to
//! the GPU only for the neurons that spiked (the shader works the age out); voltages go up only
//! while shown; an edge's slot is written when its entity appears or goes. See [`gpu`] for the
//! buffers and [`edges`] for the slots.

pub mod edges;
pub mod gpu;
pub mod graph_colors;
pub mod lod;
pub mod meshes;
pub mod neurons;

use bevy::camera::visibility::NoFrustumCulling;
use bevy::light::NotShadowCaster;
use bevy::prelude::*;
use bevy::render::storage::ShaderBuffer;
use bytemuck::Zeroable;

use edges::{EdgeEntity, EdgeSlots, Fading};
use gpu::NEVER;
pub use gpu::{
    GpuEdge, GpuEdgeLook, GpuNeuron, GpuNeuronLook, GpuNeuronParams, GpuSynapseParams, GpuWrites, NeuronMaterial,
    SynapseMaterial, ViewMaterialsPlugin, bytes, storage,
};
pub use meshes::{arc_mesh, quad_mesh};
use neurons::{NeuronBuffers, NeuronHandles};

use super::bridge::{FadeIn, FadeOut, Neuron, Pre, Selection, Sim, SimulationInstalled, SpikedSinceDrawn};
use super::history::History;

/// What the view shows and how (the display panel edits this).
#[derive(Resource, Clone, Debug, PartialEq)]
pub struct ViewSettings {
    /// Colour neurons by membrane potential instead of population.
    pub color_by_voltage: bool,
    /// Colour neurons by a graph measure (when not by voltage).
    pub graph_color: crate::app::graph::GraphColor,
    /// Draw synapses.
    pub show_synapses: bool,
    /// Draw only (and all) the picked neuron's synapses: inputs cyan, outputs orange.
    pub ego_only: bool,
    /// Draw a pulse along a synapse after its presynaptic neuron fires.
    pub show_pulses: bool,
    /// Glow decay time constant (biological ms).
    pub glow_tau_ms: f32,
    /// Neuron size multiplier.
    pub radius_scale: f32,
    /// Synapse brightness.
    pub synapse_intensity: f32,
    /// Biological ms a pulse takes to cross a synapse.
    pub pulse_ms: f32,
    /// Strength of the synchrony halo.
    pub sync_gain: f32,
    /// Bit p: population p is switched off (its neurons and their synapses not drawn or picked).
    pub hidden_populations: u32,
    /// Bit k: synapses of kind k (excitatory, inhibitory, attention edges) are drawn.
    pub synapse_kinds: u32,
    /// Synapses drawn: weights from .0 to .1 of their projection's reference weight (0..1).
    pub weight_range: (f32, f32),
    /// Size neurons by their degree (from the newest graph measurement).
    pub size_by_degree: bool,
}

impl ViewSettings {
    /// Whether neurons of population `pop` are drawn.
    pub fn shows_population(&self, pop: usize) -> bool {
        pop >= 32 || (self.hidden_populations >> pop) & 1 == 0
    }
}

impl Default for ViewSettings {
    fn default() -> Self {
        Self {
            color_by_voltage: false,
            graph_color: crate::app::graph::GraphColor::Population,
            show_synapses: true,
            ego_only: false,
            show_pulses: true,
            glow_tau_ms: 12.0,
            radius_scale: 1.0,
            synapse_intensity: 0.12,
            pulse_ms: 15.0,
            sync_gain: 1.0,
            hidden_populations: 0,
            synapse_kinds: 0b111,
            weight_range: (0.0, 1.0),
            size_by_degree: false,
        }
    }
}

/// The CPU side of the draws: what the neuron and edge buffers need between frames.
#[derive(Resource, Default, Debug)]
pub struct ViewBuffers {
    /// The neuron draw's state.
    pub neurons: NeuronBuffers,
    /// The edge slots.
    pub edges: EdgeSlots,
    /// The synapse table the synapses' CSR slots were looked up in: (synapses, next id). It is
    /// renumbered only by a structural edit, which changes one or the other.
    pub seen_table: (usize, u32),
}

impl ViewBuffers {
    /// Typical neuron radius (world units).
    pub fn radius(&self) -> f32 {
        self.neurons.radius
    }
}

/// Handles of the buffers, materials and draw entities.
#[derive(Resource)]
pub struct ViewHandles {
    /// Neuron material.
    pub neuron_material: Handle<NeuronMaterial>,
    /// Synapse material (straight ribbons and arcs).
    pub synapse_material: Handle<SynapseMaterial>,
    /// The neuron buffers.
    pub neurons: NeuronHandles,
    /// Per slot: [`GpuEdge`].
    pub edges: Handle<ShaderBuffer>,
    /// Per slot: [`GpuEdgeLook`].
    pub edge_looks: Handle<ShaderBuffer>,
    /// The neuron draw entity.
    pub neuron_entity: Entity,
    /// The synapse draw entity.
    pub synapse_entity: Entity,
    /// The entity drawing attention edges as arcs.
    pub arc_entity: Entity,
    /// The synapse draw's mesh (one ribbon per slot).
    pub synapse_mesh: Handle<Mesh>,
}

/// Renders the network (needs the render plugins); [`ViewBuffersPlugin`] is its CPU half.
pub struct NetworkViewPlugin;

impl Plugin for NetworkViewPlugin {
    fn build(&self, app: &mut App) {
        app.add_plugins((ViewMaterialsPlugin, ViewBuffersPlugin));
    }
}

/// The view's CPU work without a renderer (buffers as assets, writes queued): what `bench frame`
/// and headless tests run.
pub struct ViewBuffersPlugin;

impl Plugin for ViewBuffersPlugin {
    fn build(&self, app: &mut App) {
        app.add_plugins(gpu::GpuWritesPlugin)
            .init_resource::<ViewSettings>()
            .init_resource::<ViewBuffers>()
            .init_resource::<lod::Lod>()
            .add_systems(Startup, (setup_view, lod::setup_lod, settings_from_options))
            .add_systems(
                Update,
                (
                    hide_populations_from_options,
                    rebuild_view,
                    graph_colors::write_statics,
                    update_edges,
                    refresh_view,
                    lod::update_lod,
                )
                    .chain()
                    .after(crate::app::graph::GraphSystems)
                    .after(crate::app::layout::LayoutSystems)
                    .run_if(resource_exists::<Sim>),
            );
    }
}

/// `--color-by`, `--synapse-kinds` and `--weight-range` set the first colouring and filters.
fn settings_from_options(options: Option<Res<crate::app::AppOptions>>, mut settings: ResMut<ViewSettings>) {
    if let Some(o) = options {
        settings.graph_color = o.color_by;
        settings.synapse_kinds = o.synapse_kinds;
        settings.weight_range = o.weight_range;
        settings.size_by_degree = o.size_by_degree;
    }
}

/// `--hide-population` switches populations off in the first network (a name it does not have is
/// reported, not fatal).
fn hide_populations_from_options(
    options: Option<Res<crate::app::AppOptions>>,
    sim: Res<Sim>,
    mut installed: MessageReader<SimulationInstalled>,
    mut settings: ResMut<ViewSettings>,
    mut toasts: MessageWriter<crate::app::bridge::Toast>,
    mut done: Local<bool>,
) {
    if *done || installed.read().count() == 0 {
        return;
    }
    *done = true;
    let Some(o) = options else { return };
    let pops = &sim.network().populations;
    for name in &o.hide_populations {
        match pops.iter().position(|p| &p.name == name) {
            Some(p) if p < 32 => settings.hidden_populations |= 1 << p,
            Some(_) => {
                toasts.write(crate::app::bridge::Toast::error(format!(
                    "only the first 32 populations can be hidden, not `{name}`"
                )));
            }
            None => {
                let known: Vec<&str> = pops.iter().map(|p| p.name.as_str()).collect();
                toasts.write(crate::app::bridge::Toast::error(format!(
                    "--hide-population: there is no population `{name}` (populations: {})",
                    known.join(", ")
                )));
            }
        }
    }
}

/// The view before any network: the draws exist from the first frame, over one zeroed element per
/// buffer (a neuron of radius 0, an edge of opacity 0: no pixel). They must: a camera that rendered
/// nothing for its first frames, and got its first draws later, drew none of them in about half of
/// the launches under pipelined rendering (bevy 0.19.1, GPU-built instance buffers; the pipelines,
/// bind groups and phase items all in place). Drawn from the first frame: 20 of 20 launches drew.
fn setup_view(
    mut commands: Commands,
    mut meshes: ResMut<Assets<Mesh>>,
    mut buffers: ResMut<Assets<ShaderBuffer>>,
    mut neuron_materials: ResMut<Assets<NeuronMaterial>>,
    mut synapse_materials: ResMut<Assets<SynapseMaterial>>,
) {
    let neurons = NeuronHandles {
        neurons: storage(&mut buffers, bytes(&[GpuNeuron::zeroed()])),
        last_spike: storage(&mut buffers, bytes(&[NEVER])),
        looks: storage(&mut buffers, bytes(&[GpuNeuronLook::zeroed()])),
    };
    let edges = storage(&mut buffers, bytes(&[GpuEdge::zeroed()]));
    let edge_looks = storage(&mut buffers, bytes(&[GpuEdgeLook::zeroed()]));
    let neuron_material = neuron_materials.add(NeuronMaterial {
        params: GpuNeuronParams::default(),
        neurons: neurons.neurons.clone(),
        last_spike: neurons.last_spike.clone(),
        looks: neurons.looks.clone(),
    });
    let synapse_material = synapse_materials.add(SynapseMaterial {
        params: GpuSynapseParams::default(),
        neurons: neurons.neurons.clone(),
        last_spike: neurons.last_spike.clone(),
        edges: edges.clone(),
        looks: edge_looks.clone(),
    });
    let neuron_entity = redraw(&mut commands, None, "neurons", meshes.add(quad_mesh(1, false)), &neuron_material, true);
    let synapse_entity =
        redraw(&mut commands, None, "synapses", meshes.add(quad_mesh(1, true)), &synapse_material, true);
    let arc_entity =
        redraw(&mut commands, None, "attention edges", meshes.add(arc_mesh(&[])), &synapse_material, false);
    commands.insert_resource(ViewHandles {
        neuron_material,
        synapse_material,
        neurons,
        edges,
        edge_looks,
        neuron_entity,
        synapse_entity,
        arc_entity,
        synapse_mesh: meshes.add(quad_mesh(1, true)),
    });
}

/// A draw entity with `mesh` and `material`, replacing `old` (despawned): a draw whose mesh or
/// buffers changed is a new entity, specialised and bound afresh (changing them on a live entity
/// sometimes left it undrawn under pipelined rendering).
pub(crate) fn redraw<M: Material>(
    commands: &mut Commands,
    old: Option<Entity>,
    name: &'static str,
    mesh: Handle<Mesh>,
    material: &Handle<M>,
    visible: bool,
) -> Entity {
    if let Some(e) = old {
        commands.entity(e).despawn();
    }
    let visibility = if visible { Visibility::Visible } else { Visibility::Hidden };
    let parts = (Name::new(name), Mesh3d(mesh), MeshMaterial3d(material.clone()), Transform::IDENTITY);
    commands.spawn((parts, NoFrustumCulling, NotShadowCaster, visibility)).id()
}

/// A new neuron material over the current buffer handles (after one was replaced by a buffer of
/// another size), keeping the uniforms; the old one is dropped. The draws using it are respawned.
fn renew_neuron_material(handles: &mut ViewHandles, materials: &mut Assets<NeuronMaterial>) {
    let params = materials.get(&handles.neuron_material).map_or_else(GpuNeuronParams::default, |m| m.params);
    let new = materials.add(NeuronMaterial {
        params,
        neurons: handles.neurons.neurons.clone(),
        last_spike: handles.neurons.last_spike.clone(),
        looks: handles.neurons.looks.clone(),
    });
    materials.remove(&std::mem::replace(&mut handles.neuron_material, new));
}

/// A new synapse material over the current buffer handles, as [`renew_neuron_material`].
fn renew_synapse_material(handles: &mut ViewHandles, materials: &mut Assets<SynapseMaterial>) {
    let params = materials.get(&handles.synapse_material).map_or_else(GpuSynapseParams::default, |m| m.params);
    let new = materials.add(SynapseMaterial {
        params,
        neurons: handles.neurons.neurons.clone(),
        last_spike: handles.neurons.last_spike.clone(),
        edges: handles.edges.clone(),
        looks: handles.edge_looks.clone(),
    });
    materials.remove(&std::mem::replace(&mut handles.synapse_material, new));
}

/// Rebuilds the neuron buffers when a simulation is installed or neurons were born; a new
/// simulation also empties the edge slots (its entities are all new).
fn rebuild_view(
    mut commands: Commands,
    sim: Res<Sim>,
    mut installed: MessageReader<SimulationInstalled>,
    mut cpu: ResMut<ViewBuffers>,
    mut handles: ResMut<ViewHandles>,
    mut meshes: ResMut<Assets<Mesh>>,
    mut buffers: ResMut<Assets<ShaderBuffer>>,
    mut neuron_materials: ResMut<Assets<NeuronMaterial>>,
    mut synapse_materials: ResMut<Assets<SynapseMaterial>>,
    layout: Option<Res<crate::app::layout::ShownLayout>>,
) {
    let new_network = installed.read().count() > 0;
    if new_network {
        cpu.edges.reset(&sim.engine);
    }
    if !new_network && cpu.neurons.count == sim.network().num_neurons() {
        return;
    }
    let positions = crate::app::layout::shown_positions(layout.as_deref(), sim.network());
    let data = cpu.neurons.rebuild(sim.network(), positions);
    if handles.neurons.upload(&mut buffers, data) {
        renew_neuron_material(&mut handles, &mut neuron_materials);
        renew_synapse_material(&mut handles, &mut synapse_materials);
    }
    let mesh = meshes.add(quad_mesh(cpu.neurons.count, false));
    let material = handles.neuron_material.clone();
    handles.neuron_entity = redraw(&mut commands, Some(handles.neuron_entity), "neurons", mesh, &material, true);
    // The edge draws bind the neuron buffers too.
    handles.synapse_mesh = meshes.add(quad_mesh(cpu.edges.capacity(), true));
    respawn_edge_draws(&mut commands, &mut handles, &cpu.edges, &mut meshes);
}

/// New synapse and arc draws over the current edge table (after it grew, or the arcs changed).
fn respawn_edge_draws(
    commands: &mut Commands,
    handles: &mut ViewHandles,
    slots: &EdgeSlots,
    meshes: &mut Assets<Mesh>,
) {
    let material = handles.synapse_material.clone();
    let shown = !slots.is_empty();
    handles.synapse_entity =
        redraw(commands, Some(handles.synapse_entity), "synapses", handles.synapse_mesh.clone(), &material, shown);
    let arcs: Vec<u32> = slots.arcs.iter().copied().collect();
    let mesh = meshes.add(arc_mesh(&arcs));
    handles.arc_entity =
        redraw(commands, Some(handles.arc_entity), "attention edges", mesh, &material, !arcs.is_empty());
}

/// The assets the view's CPU half needs, for an app without the render plugins (benchmarks and
/// headless tests).
pub fn headless_assets(app: &mut App) {
    app.add_plugins(AssetPlugin::default())
        .init_asset::<Mesh>()
        .init_asset::<ShaderBuffer>()
        .init_asset::<NeuronMaterial>()
        .init_asset::<SynapseMaterial>()
        .init_asset::<gpu::LodMaterial>();
}

/// Edge slots follow the entities; after a structural edit of the synapse table the synapses' CSR
/// slots are looked up again; slots that changed are written (all of them, and the meshes, when the table grew).
fn update_edges(
    mut commands: Commands,
    sim: Res<Sim>,
    mut cpu: ResMut<ViewBuffers>,
    mut handles: ResMut<ViewHandles>,
    added: Query<EdgeEntity, Added<Pre>>,
    mut removed: RemovedComponents<Pre>,
    mut meshes: ResMut<Assets<Mesh>>,
    mut buffers: ResMut<Assets<ShaderBuffer>>,
    mut writes: ResMut<GpuWrites>,
    mut synapse_materials: ResMut<Assets<SynapseMaterial>>,
) {
    let cpu = &mut *cpu;
    edges::assign_slots(&mut cpu.edges, &sim.engine, &added, &mut removed);
    let net = sim.network();
    let table = (net.num_synapses(), net.next_synapse_id().0);
    if cpu.seen_table != table {
        edges::follow_renumbering(&mut cpu.edges, &sim.engine);
        cpu.seen_table = table;
    }
    if std::mem::take(&mut cpu.edges.grew) {
        let edges = gpu::replace(&mut buffers, &mut handles.edges, bytes(&cpu.edges.edges));
        let looks = gpu::replace(&mut buffers, &mut handles.edge_looks, bytes(&cpu.edges.looks));
        if edges || looks {
            renew_synapse_material(&mut handles, &mut synapse_materials);
        }
        handles.synapse_mesh = meshes.add(quad_mesh(cpu.edges.capacity(), true));
        cpu.edges.dirty.clear();
        cpu.edges.arcs_changed = false;
        respawn_edge_draws(&mut commands, &mut handles, &cpu.edges, &mut meshes);
    } else {
        for k in cpu.edges.dirty.drain(..) {
            writes.write(&handles.edges, k as usize, &cpu.edges.edges[k as usize..k as usize + 1]);
        }
    }
    if std::mem::take(&mut cpu.edges.arcs_changed) {
        let arcs: Vec<u32> = cpu.edges.arcs.iter().copied().collect();
        let material = handles.synapse_material.clone();
        let mesh = meshes.add(arc_mesh(&arcs));
        let old = Some(handles.arc_entity);
        handles.arc_entity = redraw(&mut commands, old, "attention edges", mesh, &material, !arcs.is_empty());
    }
}

/// Per frame: spike steps of the neurons that spiked, neuron looks while shown, edge looks while
/// they change, and the uniforms (the clock the shaders age spikes by, synchrony, settings).
pub fn refresh_view(
    sim: Res<Sim>,
    settings: Res<ViewSettings>,
    selection: Res<Selection>,
    mut cpu: ResMut<ViewBuffers>,
    handles: Res<ViewHandles>,
    mut spiked: ResMut<SpikedSinceDrawn>,
    mut buffers: ResMut<Assets<ShaderBuffer>>,
    mut writes: ResMut<GpuWrites>,
    mut neuron_materials: ResMut<Assets<NeuronMaterial>>,
    mut synapse_materials: ResMut<Assets<SynapseMaterial>>,
    appearing_neurons: Query<(&Neuron, &FadeIn)>,
    fading_edges: Query<Fading, (With<Pre>, Or<(With<FadeIn>, With<FadeOut>)>)>,
    mut faded_in: RemovedComponents<FadeIn>,
    mut visibility: Query<&mut Visibility>,
    screen: Res<super::bridge::OnScreen>,
) {
    let net = sim.network();
    let cpu = &mut *cpu;
    neurons::write_spikes(net, &mut spiked, &handles.neurons, &mut buffers, &mut writes);
    neurons::write_looks(
        net,
        &mut cpu.neurons,
        &settings,
        &appearing_neurons,
        &handles.neurons,
        &mut buffers,
        &mut writes,
    );
    // Looks follow the fades even while synapses are hidden, so showing them again shows them right.
    if edges::fill_looks(&mut cpu.edges, &sim.engine, &fading_edges, &mut faded_in) {
        let slots = &mut cpu.edges;
        if slots.looks_all {
            if let Some(mut b) = buffers.get_mut(&handles.edge_looks) {
                b.data = Some(bytes(&slots.looks));
            }
        } else {
            let looks = &slots.looks;
            writes.write_runs(&handles.edge_looks, &mut slots.looks_changed, looks.len(), |i| looks[i]);
        }
    }
    let clock = (net.step_count().min(u32::MAX as u64 - 1) as u32, net.dt_ms() as f32);
    if let Some(mut m) = neuron_materials.get_mut(&handles.neuron_material) {
        m.params = neuron_params(&settings, selection.0.map(|n| n.0), &sim.history, clock);
    }
    if let Some(mut m) = synapse_materials.get_mut(&handles.synapse_material) {
        m.params = GpuSynapseParams {
            width: cpu.neurons.radius * 0.12,
            pulse_ms: settings.pulse_ms.max(0.1),
            show_pulses: settings.show_pulses as u32,
            intensity: settings.synapse_intensity,
            now_step: clock.0,
            dt_ms: clock.1,
            ego: screen.ego.map_or(NEVER, |n| n.0),
            hidden_pops: settings.hidden_populations,
            kinds: settings.synapse_kinds,
            weight_lo: settings.weight_range.0,
            weight_hi: settings.weight_range.1,
            highlight: 0,
        };
    }
    if let Ok(mut v) = visibility.get_mut(handles.synapse_entity) {
        let want =
            if settings.show_synapses && !cpu.edges.is_empty() { Visibility::Visible } else { Visibility::Hidden };
        if *v != want {
            *v = want;
        }
    }
}

/// The neuron shader's uniforms from the settings, the selection, the latest synchrony and the
/// clock (step reached, time step).
pub fn neuron_params(
    settings: &ViewSettings,
    selected: Option<u32>,
    history: &History,
    (now_step, dt_ms): (u32, f32),
) -> GpuNeuronParams {
    let mut sync = [Vec4::ZERO; 4];
    for (p, series) in history.sync.iter().enumerate().take(16) {
        sync[p / 4][p % 4] = series.last().unwrap_or(0.0) as f32;
    }
    GpuNeuronParams {
        glow_tau_ms: settings.glow_tau_ms.max(0.1),
        radius_scale: settings.radius_scale,
        color_mode: settings.color_by_voltage as u32,
        sync_gain: settings.sync_gain,
        base_intensity: 0.4,
        selected: selected.unwrap_or(u32::MAX),
        now_step,
        dt_ms,
        hidden_pops: settings.hidden_populations,
        pad_a: 0,
        pad_b: 0,
        pad_c: 0,
        sync,
    }
}
