//! Instanced rendering of the network with our own WGSL: one draw for all neurons (impostor quads
//! whose glow decays from the last spike), one for all synapses (ribbons coloured by sign and
//! weight, with a pulse after each presynaptic spike). The GPU-facing arrays are filled here from
//! the network's columns; the shaders do the rest.

use bevy::asset::{RenderAssetUsages, uuid_handle};
use bevy::camera::visibility::NoFrustumCulling;
use bevy::light::NotShadowCaster;
use bevy::mesh::{Indices, MeshVertexBufferLayoutRef, PrimitiveTopology};
use bevy::pbr::{MaterialPipeline, MaterialPipelineKey};
use bevy::prelude::*;
use bevy::render::render_resource::{AsBindGroup, RenderPipelineDescriptor, ShaderType, SpecializedMeshPipelineError};
use bevy::render::storage::ShaderBuffer;
use bevy::shader::ShaderRef;

use super::history::History;
use super::palette;
use super::sim::{AttentionEdge, EdgeKind, FadeIn, FadeOut, Neuron, Post, Pre, Selection, Sim, Synapse};
use crate::engine::Simulation;
use crate::growth::attention::{AttentionEdge as Edge, AttentionEdges};
use crate::sim::Network;

/// The neuron shader, embedded so the app runs from any directory.
pub const NEURON_SHADER: Handle<Shader> = uuid_handle!("5d1c1b84-5f0e-4c53-9a57-2b8f0f7e9a11");
/// The synapse shader.
pub const SYNAPSE_SHADER: Handle<Shader> = uuid_handle!("9b2f7e3a-0c44-4f38-8d8e-61f1d8a4c2b7");
/// WGSL source of the neuron shader.
pub const NEURON_WGSL: &str = include_str!("../../shaders/neuron.wgsl");
/// WGSL source of the synapse shader.
pub const SYNAPSE_WGSL: &str = include_str!("../../shaders/synapse.wgsl");

/// What the view shows and how (the display panel edits this).
#[derive(Resource, Clone, Debug, PartialEq)]
pub struct ViewSettings {
    /// Colour neurons by membrane potential instead of population.
    pub color_by_voltage: bool,
    /// Draw synapses.
    pub show_synapses: bool,
    /// Draw a pulse along a synapse after its presynaptic neuron fires.
    pub show_pulses: bool,
    /// Most synapses drawn; beyond it an evenly spaced sample is drawn (with a note on screen).
    pub max_synapses: usize,
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
}

impl Default for ViewSettings {
    fn default() -> Self {
        Self {
            color_by_voltage: false,
            show_synapses: true,
            show_pulses: true,
            max_synapses: 8_000,
            glow_tau_ms: 12.0,
            radius_scale: 1.0,
            synapse_intensity: 0.12,
            pulse_ms: 15.0,
            sync_gain: 1.0,
        }
    }
}

/// Uniform parameters of the neuron shader (layout mirrors `NeuronParams` in neuron.wgsl).
#[derive(ShaderType, Clone, Copy, Debug, Default)]
pub struct NeuronParams {
    /// Glow decay (ms).
    pub glow_tau_ms: f32,
    /// Size multiplier.
    pub radius_scale: f32,
    /// 0 population colour, 1 voltage.
    pub color_mode: u32,
    /// Synchrony halo strength.
    pub sync_gain: f32,
    /// Brightness of a resting neuron.
    pub base_intensity: f32,
    /// Picked neuron (u32::MAX: none).
    pub selected: u32,
    /// Padding.
    pub pad0: f32,
    /// Padding.
    pub pad1: f32,
    /// Order parameter R of populations 0..15, four per vector.
    pub sync: [Vec4; 4],
}

/// Uniform parameters of the synapse shader.
#[derive(ShaderType, Clone, Copy, Debug, Default)]
pub struct SynapseParams {
    /// Ribbon width (world units) at full weight.
    pub width: f32,
    /// Pulse travel time (ms).
    pub pulse_ms: f32,
    /// 1: draw pulses.
    pub show_pulses: u32,
    /// Brightness.
    pub intensity: f32,
}

/// Material of the single neuron draw.
#[derive(Asset, TypePath, AsBindGroup, Clone, Debug)]
pub struct NeuronMaterial {
    /// Shader parameters.
    #[uniform(0)]
    pub params: NeuronParams,
    /// Per neuron: position + radius, colour + population.
    #[storage(1, read_only)]
    pub statics: Handle<ShaderBuffer>,
    /// Per neuron: spike age, voltage, opacity.
    #[storage(2, read_only)]
    pub dynamics: Handle<ShaderBuffer>,
}

/// Material of the single synapse draw.
#[derive(Asset, TypePath, AsBindGroup, Clone, Debug)]
pub struct SynapseMaterial {
    /// Shader parameters.
    #[uniform(0)]
    pub params: SynapseParams,
    /// The neuron statics (shared with the neuron material).
    #[storage(1, read_only)]
    pub neurons: Handle<ShaderBuffer>,
    /// The neuron dynamics (shared with the neuron material).
    #[storage(2, read_only)]
    pub neuron_dynamics: Handle<ShaderBuffer>,
    /// Per drawn synapse: pre, post, kind.
    #[storage(3, read_only)]
    pub pairs: Handle<ShaderBuffer>,
    /// Per drawn synapse: weight 0..1, opacity.
    #[storage(4, read_only)]
    pub weights: Handle<ShaderBuffer>,
}

fn position_only_layout(
    descriptor: &mut RenderPipelineDescriptor,
    layout: &MeshVertexBufferLayoutRef,
) -> Result<(), SpecializedMeshPipelineError> {
    let vertex_layout = layout.0.get_layout(&[Mesh::ATTRIBUTE_POSITION.at_shader_location(0)])?;
    descriptor.vertex.buffers = vec![vertex_layout];
    descriptor.primitive.cull_mode = None;
    Ok(())
}

/// The one way our instanced materials draw: additive light from our own vertex and fragment
/// stages over a position-only mesh, no prepass, no shadows.
macro_rules! additive_instanced_material {
    ($material:ty, $shader:expr) => {
        impl Material for $material {
            fn vertex_shader() -> ShaderRef {
                ShaderRef::Handle($shader)
            }
            fn fragment_shader() -> ShaderRef {
                ShaderRef::Handle($shader)
            }
            fn alpha_mode(&self) -> AlphaMode {
                AlphaMode::Add
            }
            fn enable_prepass() -> bool {
                false
            }
            fn enable_shadows() -> bool {
                false
            }
            fn specialize(
                _pipeline: &MaterialPipeline,
                descriptor: &mut RenderPipelineDescriptor,
                layout: &MeshVertexBufferLayoutRef,
                _key: MaterialPipelineKey<Self>,
            ) -> Result<(), SpecializedMeshPipelineError> {
                position_only_layout(descriptor, layout)
            }
        }
    };
}

additive_instanced_material!(NeuronMaterial, NEURON_SHADER);
additive_instanced_material!(SynapseMaterial, SYNAPSE_SHADER);

/// The CPU side of the GPU buffers: rebuilt when the structure changes, refreshed every frame.
#[derive(Resource, Default)]
pub struct ViewBuffers {
    /// Per neuron: position + radius, colour + population.
    pub neuron_statics: Vec<[f32; 8]>,
    /// Per neuron: spike age (ms, −1 never), voltage 0..1, opacity, unused.
    pub neuron_dynamics: Vec<[f32; 4]>,
    /// Synapse slots drawn (all, or an evenly spaced sample).
    pub drawn: Vec<u32>,
    /// Per drawn synapse: pre, post, kind (0 excitatory, 1 inhibitory), plastic (0/1).
    pub pairs: Vec<[u32; 4]>,
    /// Per drawn synapse: 1 / reference weight.
    pub weight_scale: Vec<f32>,
    /// Per drawn synapse: weight 0..1, opacity.
    pub weights: Vec<[f32; 2]>,
    /// Drawn index of each synapse slot (u32::MAX: not drawn).
    pub slot_to_drawn: Vec<u32>,
    /// Ids of the attention edges drawn after the synapses, in the network's order.
    pub attention_ids: Vec<u32>,
    /// Entities fading out (pruned synapses, decayed edges) drawn last, until they are despawned.
    pub ghosts: Vec<Entity>,
    /// Per population: voltage range (low, 1 / span).
    pub voltage_map: Vec<(f64, f64)>,
    /// Population colours (linear RGB).
    pub colors: Vec<[f32; 3]>,
    /// Total synapses in the network when built.
    pub total_synapses: usize,
    /// Typical neuron radius (world units).
    pub radius: f32,
}

impl ViewBuffers {
    /// Rebuilds the structure-dependent arrays (positions, colours, the synapse sample).
    pub fn rebuild(&mut self, engine: &Simulation, max_synapses: usize) {
        let net = &engine.network;
        let roles = palette::roles(net);
        self.colors = palette::population_colors(&roles);
        self.voltage_map = net
            .populations
            .iter()
            .map(|p| {
                let (lo, hi) = palette::voltage_range(&p.model);
                (lo, 1.0 / (hi - lo).max(1e-9))
            })
            .collect();
        let n = net.num_neurons();
        self.radius = typical_radius(net);
        self.neuron_statics = (0..n)
            .map(|i| {
                let p = net.neurons.position[i];
                let pop = net.neurons.population[i].index();
                let c = self.colors[pop];
                [p[0], p[1], p[2], self.radius, c[0], c[1], c[2], pop as f32]
            })
            .collect();
        self.neuron_dynamics = vec![[-1.0, 0.0, 1.0, 0.0]; n];
        let syn = &net.synapses;
        let total = syn.len();
        self.total_synapses = total;
        let stride = total.div_ceil(max_synapses.max(1)).max(1);
        self.drawn = (0..total as u32).step_by(stride).collect();
        // Reference weight: per projection when projections are recorded, else per receptor.
        let mut reference = std::collections::HashMap::<(u16, u32), f32>::new();
        for s in (0..total).step_by((total / 200_000).max(1)) {
            let key = (syn.projection.get(s).copied().unwrap_or(0), syn.target[s] & 1);
            let e = reference.entry(key).or_insert(0.0);
            *e = e.max(syn.weight[s].abs());
        }
        for b in &engine.synaptic {
            if let Some(w) = b.w_max_engine() {
                for r in 0..2 {
                    reference.insert((b.scope().projection, r), w as f32);
                }
            }
        }
        let plastic_projections: Vec<u16> = engine.synaptic.iter().map(|b| b.scope().projection).collect();
        self.slot_to_drawn = vec![u32::MAX; total];
        self.pairs = Vec::with_capacity(self.drawn.len());
        self.weight_scale = Vec::with_capacity(self.drawn.len());
        for (k, &s) in self.drawn.iter().enumerate() {
            let s = s as usize;
            self.slot_to_drawn[s] = k as u32;
            let kind = syn.target[s] & 1;
            let plastic = syn.projection.get(s).is_some_and(|p| plastic_projections.contains(p));
            self.pairs.push([syn.pre(s).0, syn.post(s).0, kind, plastic as u32]);
            let key = (syn.projection.get(s).copied().unwrap_or(0), kind);
            let w_ref = reference.get(&key).copied().unwrap_or(1.0).max(1e-12);
            self.weight_scale.push(1.0 / w_ref);
        }
        // Long-range attention edges after the synapses.
        self.attention_ids.clear();
        for e in attention_edges(engine) {
            self.attention_ids.push(e.id);
            self.pairs.push([e.from, e.to, 2, 1]);
            self.weight_scale.push(1.0);
        }
        self.ghosts.clear();
        self.weights = vec![[0.0, 1.0]; self.pairs.len()];
    }

    /// Appends edges that are fading out of the network (no longer in it) so they can be drawn
    /// until their fade ends: each is (entity, pre, post, kind).
    pub fn append_ghosts(&mut self, ghosts: impl IntoIterator<Item = (Entity, u32, u32, u32)>) {
        for (e, pre, post, kind) in ghosts {
            self.ghosts.push(e);
            self.pairs.push([pre, post, kind, 1]);
            self.weight_scale.push(1.0);
            self.weights.push([0.6, 1.0]);
        }
    }

    /// Refreshes the per-frame arrays from the network: spike ages, voltages, weights.
    pub fn refresh(&mut self, engine: &Simulation) {
        let net = &engine.network;
        let now = net.time_ms();
        let dt = net.dt_ms();
        let nn = &net.neurons;
        for (i, d) in self.neuron_dynamics.iter_mut().enumerate() {
            let last = nn.last_spike[i];
            d[0] = if last == u64::MAX { -1.0 } else { (now - last as f64 * dt) as f32 };
            let (lo, inv) = self.voltage_map[nn.population[i].index()];
            d[1] = ((nn.v[i] - lo) * inv) as f32;
            d[2] = 1.0;
        }
        let w = &net.synapses.weight;
        for ((out, &s), &scale) in self.weights.iter_mut().zip(&self.drawn).zip(&self.weight_scale) {
            // A slot beyond the network (structure changed, rebuild pending) is hidden.
            *out = w.get(s as usize).map_or([0.0, 0.0], |w| [(w.abs() * scale).min(1.0), 1.0]);
        }
        // Attention edges: brightness is the edge's strength (the edge list only changes with
        // structural events, which rebuild these arrays first).
        let edges = attention_edges(engine);
        let first = self.drawn.len();
        for (k, &id) in self.attention_ids.iter().enumerate() {
            let out = &mut self.weights[first + k];
            match edges.get(k).filter(|e| e.id == id) {
                Some(e) => *out = [e.strength as f32, 1.0],
                None => out[1] = 0.0,
            }
        }
    }

    /// Indices of the drawn items that are attention edges (live or fading), drawn as arcs.
    pub fn arc_items(&self) -> Vec<u32> {
        self.pairs.iter().enumerate().filter(|(_, p)| p[2] == 2).map(|(k, _)| k as u32).collect()
    }

    /// Index in the drawn arrays of attention edge `id`, if drawn.
    pub fn attention_index(&self, id: u32) -> Option<usize> {
        self.attention_ids.iter().position(|&a| a == id).map(|k| self.drawn.len() + k)
    }

    /// Index in the drawn arrays of ghost `k`.
    pub fn ghost_index(&self, k: usize) -> usize {
        self.drawn.len() + self.attention_ids.len() + k
    }
}

/// The simulation's long-range attention edges (none without the rule).
fn attention_edges(engine: &Simulation) -> &[Edge] {
    engine.structural_rule::<AttentionEdges>().map_or(&[][..], |a| a.edges())
}

/// A neuron radius from the volume per neuron (a quarter of the typical spacing).
fn typical_radius(net: &Network) -> f32 {
    let n = net.num_neurons();
    if n == 0 {
        return 1.0;
    }
    let (mut lo, mut hi) = ([f32::MAX; 3], [f32::MIN; 3]);
    for p in &net.neurons.position {
        for k in 0..3 {
            lo[k] = lo[k].min(p[k]);
            hi[k] = hi[k].max(p[k]);
        }
    }
    let extent: Vec<f32> = (0..3).map(|k| (hi[k] - lo[k]).max(0.0)).collect();
    let largest = extent.iter().copied().fold(0.0f32, f32::max).max(1.0);
    // Treat flat layouts as slabs one spacing thick.
    let spacing_guess = largest / (n as f32).cbrt();
    let volume: f32 = extent.iter().map(|e| e.max(spacing_guess)).product();
    (0.12 * (volume / n as f32).cbrt()).max(1e-3)
}

/// Handles of the two instanced draws.
#[derive(Resource)]
pub struct ViewHandles {
    /// Neuron material.
    pub neuron_material: Handle<NeuronMaterial>,
    /// Synapse material.
    pub synapse_material: Handle<SynapseMaterial>,
    /// Neuron statics buffer.
    pub neuron_statics: Handle<ShaderBuffer>,
    /// Neuron dynamics buffer.
    pub neuron_dynamics: Handle<ShaderBuffer>,
    /// Synapse pair buffer.
    pub pairs: Handle<ShaderBuffer>,
    /// Synapse weight buffer.
    pub weights: Handle<ShaderBuffer>,
    /// The neuron draw entity.
    pub neuron_entity: Entity,
    /// The synapse draw entity.
    pub synapse_entity: Entity,
    /// The entity drawing attention edges as arcs.
    pub arc_entity: Entity,
    /// Structure version the buffers were built for.
    pub built_version: u64,
    /// `max_synapses` they were built with.
    pub built_max_synapses: usize,
}

/// Renders the network (needs the render plugins).
pub struct NetworkViewPlugin;

impl Plugin for NetworkViewPlugin {
    fn build(&self, app: &mut App) {
        app.add_plugins(ViewMaterialsPlugin)
            .init_resource::<ViewSettings>()
            .add_systems(PreStartup, apply_view_options)
            .init_resource::<ViewBuffers>()
            .add_systems(Startup, setup_view)
            .add_systems(PostUpdate, (rebuild_view, refresh_view).chain());
    }
}

/// The neuron and synapse shaders and materials (also used by the CTM scene's neuron view).
pub struct ViewMaterialsPlugin;

impl Plugin for ViewMaterialsPlugin {
    fn build(&self, app: &mut App) {
        {
            let mut shaders = app.world_mut().resource_mut::<Assets<Shader>>();
            let _ = shaders.insert(NEURON_SHADER.id(), Shader::from_wgsl(NEURON_WGSL, "shaders/neuron.wgsl"));
            let _ = shaders.insert(SYNAPSE_SHADER.id(), Shader::from_wgsl(SYNAPSE_WGSL, "shaders/synapse.wgsl"));
        }
        app.add_plugins((MaterialPlugin::<NeuronMaterial>::default(), MaterialPlugin::<SynapseMaterial>::default()));
    }
}

/// Applies the command line's display options.
fn apply_view_options(options: Option<Res<super::AppOptions>>, mut settings: ResMut<ViewSettings>) {
    if let Some(n) = options.and_then(|o| o.max_synapses) {
        settings.max_synapses = n;
    }
}

/// The bytes of a GPU buffer (at least 16: wgpu refuses empty storage buffers).
pub fn bytes<T: bytemuck::Pod>(v: &[T]) -> Vec<u8> {
    let b: &[u8] = bytemuck::cast_slice(v);
    if b.is_empty() { vec![0u8; 16] } else { b.to_vec() }
}

/// A storage buffer asset holding `data`.
pub fn storage(buffers: &mut Assets<ShaderBuffer>, data: Vec<u8>) -> Handle<ShaderBuffer> {
    buffers.add(ShaderBuffer::new(&data, RenderAssetUsages::RENDER_WORLD))
}

/// A mesh of `count` quads whose vertices carry (x, y, index): corners ±1 when `ribbon` is
/// false; (t ∈ {0, 1}, side ±1) when true.
pub fn quad_mesh(count: usize, ribbon: bool) -> Mesh {
    let count = count.max(1);
    let mut positions = Vec::with_capacity(count * 4);
    let mut indices = Vec::with_capacity(count * 6);
    let corners: [[f32; 2]; 4] = if ribbon {
        [[0.0, -1.0], [1.0, -1.0], [1.0, 1.0], [0.0, 1.0]]
    } else {
        [[-1.0, -1.0], [1.0, -1.0], [1.0, 1.0], [-1.0, 1.0]]
    };
    for i in 0..count {
        let base = (i * 4) as u32;
        for c in corners {
            positions.push([c[0], c[1], i as f32]);
        }
        indices.extend_from_slice(&[base, base + 1, base + 2, base, base + 2, base + 3]);
    }
    Mesh::new(PrimitiveTopology::TriangleList, RenderAssetUsages::RENDER_WORLD)
        .with_inserted_attribute(Mesh::ATTRIBUTE_POSITION, positions)
        .with_inserted_indices(Indices::U32(indices))
}

/// Segmented ribbons for the drawn items `items` (the attention edges), drawn as arcs by the
/// synapse shader: vertices carry (t, side ±2, index).
pub fn arc_mesh(items: &[u32]) -> Mesh {
    const SEGMENTS: u32 = 12;
    let count = items.len().max(1);
    let mut positions = Vec::with_capacity(count * (SEGMENTS as usize + 1) * 2);
    let mut indices = Vec::with_capacity(count * SEGMENTS as usize * 6);
    for i in 0..count {
        let base = positions.len() as u32;
        for k in 0..=SEGMENTS {
            let t = k as f32 / SEGMENTS as f32;
            let index = items.get(i).copied().unwrap_or(0) as f32;
            positions.push([t, -2.0, index]);
            positions.push([t, 2.0, index]);
        }
        for k in 0..SEGMENTS {
            let v = base + 2 * k;
            indices.extend_from_slice(&[v, v + 2, v + 3, v, v + 3, v + 1]);
        }
    }
    Mesh::new(PrimitiveTopology::TriangleList, RenderAssetUsages::RENDER_WORLD)
        .with_inserted_attribute(Mesh::ATTRIBUTE_POSITION, positions)
        .with_inserted_indices(Indices::U32(indices))
}

fn setup_view(
    mut commands: Commands,
    sim: Res<Sim>,
    settings: Res<ViewSettings>,
    mut cpu: ResMut<ViewBuffers>,
    mut meshes: ResMut<Assets<Mesh>>,
    mut buffers: ResMut<Assets<ShaderBuffer>>,
    mut neuron_materials: ResMut<Assets<NeuronMaterial>>,
    mut synapse_materials: ResMut<Assets<SynapseMaterial>>,
) {
    cpu.rebuild(&sim.engine, settings.max_synapses);
    cpu.refresh(&sim.engine);
    let neuron_statics = storage(&mut buffers, bytes(&cpu.neuron_statics));
    let neuron_dynamics = storage(&mut buffers, bytes(&cpu.neuron_dynamics));
    let pairs = storage(&mut buffers, bytes(&cpu.pairs));
    let weights = storage(&mut buffers, bytes(&cpu.weights));
    let neuron_material = neuron_materials.add(NeuronMaterial {
        params: NeuronParams::default(),
        statics: neuron_statics.clone(),
        dynamics: neuron_dynamics.clone(),
    });
    let synapse_material = synapse_materials.add(SynapseMaterial {
        params: SynapseParams::default(),
        neurons: neuron_statics.clone(),
        neuron_dynamics: neuron_dynamics.clone(),
        pairs: pairs.clone(),
        weights: weights.clone(),
    });
    let neuron_entity = commands
        .spawn((
            Name::new("neurons"),
            Mesh3d(meshes.add(quad_mesh(cpu.neuron_statics.len(), false))),
            MeshMaterial3d(neuron_material.clone()),
            Transform::IDENTITY,
            NoFrustumCulling,
            NotShadowCaster,
        ))
        .id();
    let synapse_entity = commands
        .spawn((
            Name::new("synapses"),
            Mesh3d(meshes.add(quad_mesh(cpu.pairs.len(), true))),
            MeshMaterial3d(synapse_material.clone()),
            Transform::IDENTITY,
            NoFrustumCulling,
            NotShadowCaster,
            if cpu.pairs.is_empty() { Visibility::Hidden } else { Visibility::Visible },
        ))
        .id();
    let arcs = cpu.arc_items();
    let arc_entity = commands
        .spawn((
            Name::new("attention edges"),
            Mesh3d(meshes.add(arc_mesh(&arcs))),
            MeshMaterial3d(synapse_material.clone()),
            Transform::IDENTITY,
            NoFrustumCulling,
            NotShadowCaster,
            if arcs.is_empty() { Visibility::Hidden } else { Visibility::Visible },
        ))
        .id();
    commands.insert_resource(ViewHandles {
        neuron_material,
        synapse_material,
        neuron_statics,
        neuron_dynamics,
        pairs,
        weights,
        neuron_entity,
        synapse_entity,
        arc_entity,
        built_version: sim.structure_version,
        built_max_synapses: settings.max_synapses,
    });
}

/// Rebuilds the structure buffers and meshes when neurons or synapses were added or removed, or
/// the synapse budget changed.
fn rebuild_view(
    sim: Res<Sim>,
    settings: Res<ViewSettings>,
    mut cpu: ResMut<ViewBuffers>,
    mut handles: ResMut<ViewHandles>,
    mut meshes: ResMut<Assets<Mesh>>,
    mut buffers: ResMut<Assets<ShaderBuffer>>,
    mut neuron_materials: ResMut<Assets<NeuronMaterial>>,
    mut synapse_materials: ResMut<Assets<SynapseMaterial>>,
    mut commands: Commands,
    ghosts: Query<(Entity, &Pre, &Post, &EdgeKind), With<FadeOut>>,
) {
    let same_shape = cpu.neuron_statics.len() == sim.engine.network.num_neurons()
        && cpu.total_synapses == sim.engine.network.num_synapses();
    if handles.built_version == sim.structure_version
        && handles.built_max_synapses == settings.max_synapses
        && same_shape
    {
        return;
    }
    cpu.rebuild(&sim.engine, settings.max_synapses);
    let n = sim.engine.network.num_neurons() as u32;
    cpu.append_ghosts(
        ghosts.iter().filter(|g| g.1.0.0 < n && g.2.0.0 < n).map(|(e, pre, post, kind)| (e, pre.0.0, post.0.0, kind.0)),
    );
    cpu.refresh(&sim.engine);
    // A buffer whose size changes gets a new asset (and the materials the new handles): resizing
    // one in place left bind groups pointing at the old buffer, and the draws read garbage.
    let mut resized = false;
    let handles = &mut *handles;
    for (h, data) in [
        (&mut handles.neuron_statics, bytes(&cpu.neuron_statics)),
        (&mut handles.neuron_dynamics, bytes(&cpu.neuron_dynamics)),
        (&mut handles.pairs, bytes(&cpu.pairs)),
        (&mut handles.weights, bytes(&cpu.weights)),
    ] {
        let same_size = buffers.get(&*h).and_then(|b| b.data.as_ref()).is_some_and(|d| d.len() == data.len());
        if same_size && let Some(mut b) = buffers.get_mut(&*h) {
            b.data = Some(data);
        } else {
            *h = storage(&mut buffers, data);
            resized = true;
        }
    }
    if resized {
        if let Some(mut m) = neuron_materials.get_mut(&handles.neuron_material) {
            m.statics = handles.neuron_statics.clone();
            m.dynamics = handles.neuron_dynamics.clone();
        }
        if let Some(mut m) = synapse_materials.get_mut(&handles.synapse_material) {
            m.neurons = handles.neuron_statics.clone();
            m.neuron_dynamics = handles.neuron_dynamics.clone();
            m.pairs = handles.pairs.clone();
            m.weights = handles.weights.clone();
        }
    }
    commands.entity(handles.neuron_entity).insert(Mesh3d(meshes.add(quad_mesh(cpu.neuron_statics.len(), false))));
    commands.entity(handles.synapse_entity).insert(Mesh3d(meshes.add(quad_mesh(cpu.pairs.len(), true))));
    let arcs = cpu.arc_items();
    let shown = if arcs.is_empty() { Visibility::Hidden } else { Visibility::Visible };
    commands.entity(handles.arc_entity).insert((Mesh3d(meshes.add(arc_mesh(&arcs))), shown));
    handles.built_version = sim.structure_version;
    handles.built_max_synapses = settings.max_synapses;
}

/// Per-frame refresh: spike ages, voltages, weights, fades, synchrony and settings into the GPU
/// buffers and uniforms.
pub fn refresh_view(
    sim: Res<Sim>,
    settings: Res<ViewSettings>,
    selection: Res<Selection>,
    mut cpu: ResMut<ViewBuffers>,
    handles: Res<ViewHandles>,
    mut buffers: ResMut<Assets<ShaderBuffer>>,
    mut neuron_materials: ResMut<Assets<NeuronMaterial>>,
    mut synapse_materials: ResMut<Assets<SynapseMaterial>>,
    appearing_neurons: Query<(&Neuron, &FadeIn)>,
    appearing_synapses: Query<(&Synapse, &FadeIn)>,
    appearing_edges: Query<(&AttentionEdge, &FadeIn)>,
    fading_out: Query<&FadeOut>,
    mut visibility: Query<&mut Visibility>,
) {
    cpu.refresh(&sim.engine);
    // Neurons only appear (none is ever removed).
    for (n, f) in &appearing_neurons {
        if let Some(d) = cpu.neuron_dynamics.get_mut(n.0.index()) {
            d[2] = fade_alpha(Some(f), None);
        }
    }
    for (s, f) in &appearing_synapses {
        let k = sim.engine.network.synapse_slot(s.0).and_then(|slot| cpu.slot_to_drawn.get(slot).copied());
        if let Some(w) = k.and_then(|k| cpu.weights.get_mut(k as usize)) {
            w[1] = fade_alpha(Some(f), None);
        }
    }
    for (e, f) in &appearing_edges {
        if let Some(k) = cpu.attention_index(e.0) {
            cpu.weights[k][1] = fade_alpha(Some(f), None);
        }
    }
    for k in 0..cpu.ghosts.len() {
        let alpha = fading_out.get(cpu.ghosts[k]).map_or(0.0, |f| fade_alpha(None, Some(f)));
        let i = cpu.ghost_index(k);
        cpu.weights[i][1] = alpha;
    }
    if let Some(mut b) = buffers.get_mut(&handles.neuron_dynamics) {
        b.data = Some(bytes(&cpu.neuron_dynamics));
    }
    if settings.show_synapses
        && let Some(mut b) = buffers.get_mut(&handles.weights)
    {
        b.data = Some(bytes(&cpu.weights));
    }
    if let Some(mut m) = neuron_materials.get_mut(&handles.neuron_material) {
        m.params = neuron_params(&settings, selection.0.map(|n| n.0), &sim.history);
    }
    if let Some(mut m) = synapse_materials.get_mut(&handles.synapse_material) {
        m.params = SynapseParams {
            width: cpu.radius * 0.12,
            pulse_ms: settings.pulse_ms.max(0.1),
            show_pulses: settings.show_pulses as u32,
            intensity: settings.synapse_intensity,
        };
    }
    if let Ok(mut v) = visibility.get_mut(handles.synapse_entity) {
        let want =
            if settings.show_synapses && !cpu.pairs.is_empty() { Visibility::Visible } else { Visibility::Hidden };
        if *v != want {
            *v = want;
        }
    }
}

fn fade_alpha(fade_in: Option<&FadeIn>, fade_out: Option<&FadeOut>) -> f32 {
    match (fade_in, fade_out) {
        (_, Some(o)) => (1.0 - o.0).clamp(0.0, 1.0),
        (Some(i), None) => i.0.clamp(0.0, 1.0),
        (None, None) => 1.0,
    }
}

/// The neuron shader's uniforms from the settings, the selection and the latest synchrony.
pub fn neuron_params(settings: &ViewSettings, selected: Option<u32>, history: &History) -> NeuronParams {
    let mut sync = [Vec4::ZERO; 4];
    for (p, series) in history.sync.iter().enumerate().take(16) {
        sync[p / 4][p % 4] = series.last().unwrap_or(0.0) as f32;
    }
    NeuronParams {
        glow_tau_ms: settings.glow_tau_ms.max(0.1),
        radius_scale: settings.radius_scale,
        color_mode: settings.color_by_voltage as u32,
        sync_gain: settings.sync_gain,
        base_intensity: 0.4,
        selected: selected.unwrap_or(u32::MAX),
        pad0: 0.0,
        pad1: 0.0,
        sync,
    }
}
