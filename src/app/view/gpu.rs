//! The GPU side of the network view: the shaders (sharing `shaders/common.wgsl` through an import),
//! the `Gpu*` structs that mirror their buffers and uniforms (tests/shaders.rs holds their sizes and
//! offsets against naga's reading of the WGSL), the instanced materials (neurons, synapses, level-of-detail bins), and byte ranges written
//! into GPU buffers in place, so a frame uploads only what changed.

use bevy::asset::{AssetId, RenderAssetUsages, uuid_handle};
use bevy::mesh::MeshVertexBufferLayoutRef;
use bevy::pbr::{MaterialPipeline, MaterialPipelineKey};
use bevy::prelude::*;
use bevy::render::render_asset::RenderAssets;
use bevy::render::render_resource::{AsBindGroup, RenderPipelineDescriptor, ShaderType, SpecializedMeshPipelineError};
use bevy::render::renderer::RenderQueue;
use bevy::render::storage::{GpuShaderBuffer, ShaderBuffer};
use bevy::render::{Extract, ExtractSchedule, Render, RenderApp, RenderSystems};
use bevy::shader::ShaderRef;
use bytemuck::{Pod, Zeroable};

/// The shared WGSL module (`#import neuroplast::common::...`), embedded.
pub const COMMON_SHADER: Handle<Shader> = uuid_handle!("24f2adbe-43c9-4d84-9138-23251f2e15f2");
/// The neuron shader, embedded so the app runs from any directory.
pub const NEURON_SHADER: Handle<Shader> = uuid_handle!("5d1c1b84-5f0e-4c53-9a57-2b8f0f7e9a11");
/// The synapse shader.
pub const SYNAPSE_SHADER: Handle<Shader> = uuid_handle!("9b2f7e3a-0c44-4f38-8d8e-61f1d8a4c2b7");
/// WGSL source of the shared module.
pub const COMMON_WGSL: &str = include_str!("../../../shaders/common.wgsl");
/// WGSL source of the neuron shader.
pub const NEURON_WGSL: &str = include_str!("../../../shaders/neuron.wgsl");
/// WGSL source of the synapse shader.
pub const SYNAPSE_WGSL: &str = include_str!("../../../shaders/synapse.wgsl");
/// The level-of-detail shader (bins of neurons, far from a large network).
pub const LOD_SHADER: Handle<Shader> = uuid_handle!("c3a7d0e2-8b1f-4e6a-9d2c-5f4b3a2e1d0c");
/// WGSL source of the level-of-detail shader.
pub const LOD_WGSL: &str = include_str!("../../../shaders/lod.wgsl");

/// The last-spike step of a neuron that never spiked (`NEVER` in common.wgsl).
pub const NEVER: u32 = u32::MAX;

/// One neuron's place and colour (`GpuNeuron` in common.wgsl).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Pod, Zeroable)]
pub struct GpuNeuron {
    /// Position (µm) and radius (world units).
    pub pos_radius: [f32; 4],
    /// Linear RGB colour and the population index.
    pub color: [f32; 4],
}

/// A drawn edge (`GpuEdge` in common.wgsl).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Pod, Zeroable)]
pub struct GpuEdge {
    /// Presynaptic neuron.
    pub pre: u32,
    /// Postsynaptic neuron.
    pub post: u32,
    /// `EdgeKind` value (`EDGE_*`).
    pub kind: u32,
    /// 1 when a learning rule changes its weight.
    pub plastic: u32,
}

/// How a drawn edge looks this frame (`GpuEdgeLook` in common.wgsl).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Pod, Zeroable)]
pub struct GpuEdgeLook {
    /// Weight mapped to 0..1.
    pub weight: f32,
    /// Opacity (0: an empty slot).
    pub opacity: f32,
}

/// How a neuron looks besides its spikes (`GpuNeuronLook` in common.wgsl).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Pod, Zeroable)]
pub struct GpuNeuronLook {
    /// Membrane potential mapped to 0..1.
    pub voltage: f32,
    /// Opacity.
    pub opacity: f32,
}

/// Uniforms of the neuron shader (`GpuNeuronParams` in neuron.wgsl).
#[repr(C)]
#[derive(ShaderType, Clone, Copy, Debug, Default, PartialEq, Pod, Zeroable)]
pub struct GpuNeuronParams {
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
    /// The step the simulation has reached (spike times are steps).
    pub now_step: u32,
    /// The time step (ms).
    pub dt_ms: f32,
    /// Bit p: population p is switched off (not drawn, not picked).
    pub hidden_pops: u32,
    /// Padding to 16 bytes.
    pub pad_a: u32,
    /// Padding.
    pub pad_b: u32,
    /// Padding.
    pub pad_c: u32,
    /// Order parameter R of populations 0..15, four per vector.
    pub sync: [Vec4; 4],
}

/// Uniforms of the synapse shader (`GpuSynapseParams` in synapse.wgsl).
#[repr(C)]
#[derive(ShaderType, Clone, Copy, Debug, Default, PartialEq, Pod, Zeroable)]
pub struct GpuSynapseParams {
    /// Ribbon width (world units) at full weight.
    pub width: f32,
    /// Pulse travel time (ms).
    pub pulse_ms: f32,
    /// 1: draw pulses.
    pub show_pulses: u32,
    /// Brightness.
    pub intensity: f32,
    /// The step the simulation has reached.
    pub now_step: u32,
    /// The time step (ms).
    pub dt_ms: f32,
    /// The neuron whose synapses alone are drawn, inputs and outputs in their own colours
    /// ([`NEVER`]: none).
    pub ego: u32,
    /// Bit p: synapses from or to population p are not drawn.
    pub hidden_pops: u32,
    /// Bit k: edges of kind k (excitatory, inhibitory, attention) are drawn.
    pub kinds: u32,
    /// Lowest weight drawn, as a fraction of the projection's reference weight.
    pub weight_lo: f32,
    /// Highest weight drawn, as that fraction.
    pub weight_hi: f32,
    /// 1: every edge of this draw is a highlighted path (bright, one colour).
    pub highlight: u32,
}

/// Material of the single neuron draw.
#[derive(Asset, TypePath, AsBindGroup, Clone, Debug)]
pub struct NeuronMaterial {
    /// Shader parameters.
    #[uniform(0)]
    pub params: GpuNeuronParams,
    /// Per neuron: [`GpuNeuron`].
    #[storage(1, read_only)]
    pub neurons: Handle<ShaderBuffer>,
    /// Per neuron: last-spike step (`u32`, [`NEVER`]).
    #[storage(2, read_only)]
    pub last_spike: Handle<ShaderBuffer>,
    /// Per neuron: [`GpuNeuronLook`].
    #[storage(3, read_only)]
    pub looks: Handle<ShaderBuffer>,
}

/// Uniforms of the level-of-detail shader (`GpuLodParams` in lod.wgsl).
#[repr(C)]
#[derive(ShaderType, Clone, Copy, Debug, Default, PartialEq, Pod, Zeroable)]
pub struct GpuLodParams {
    /// Brightness per unit of a bin's mean glow.
    pub gain: f32,
    /// Brightness of a bin at rest.
    pub base_intensity: f32,
    /// Bit p: population p is switched off.
    pub hidden_pops: u32,
    /// The neuron-size slider, applied to the bins.
    pub radius_scale: f32,
}

/// Material of the level-of-detail draw: one glow per bin of neurons.
#[derive(Asset, TypePath, AsBindGroup, Clone, Debug)]
pub struct LodMaterial {
    /// Shader parameters.
    #[uniform(0)]
    pub params: GpuLodParams,
    /// Per bin: its centre, radius, colour and population, as a [`GpuNeuron`].
    #[storage(1, read_only)]
    pub bins: Handle<ShaderBuffer>,
    /// Per bin: its neurons' mean spike glow (`f32`).
    #[storage(2, read_only)]
    pub activity: Handle<ShaderBuffer>,
}

/// Material of the synapse draws (straight ribbons and attention arcs).
#[derive(Asset, TypePath, AsBindGroup, Clone, Debug)]
pub struct SynapseMaterial {
    /// Shader parameters.
    #[uniform(0)]
    pub params: GpuSynapseParams,
    /// The neurons (shared with the neuron material).
    #[storage(1, read_only)]
    pub neurons: Handle<ShaderBuffer>,
    /// The neurons' last-spike steps (shared with the neuron material).
    #[storage(2, read_only)]
    pub last_spike: Handle<ShaderBuffer>,
    /// Per slot: [`GpuEdge`].
    #[storage(3, read_only)]
    pub edges: Handle<ShaderBuffer>,
    /// Per slot: [`GpuEdgeLook`].
    #[storage(4, read_only)]
    pub looks: Handle<ShaderBuffer>,
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
additive_instanced_material!(LodMaterial, LOD_SHADER);

/// The neuron and synapse shaders and materials (also used by the CTM scene's neuron view), and
/// the in-place buffer writes.
pub struct ViewMaterialsPlugin;

impl Plugin for ViewMaterialsPlugin {
    fn build(&self, app: &mut App) {
        {
            let mut shaders = app.world_mut().resource_mut::<Assets<Shader>>();
            for (handle, wgsl, path) in [
                (&COMMON_SHADER, COMMON_WGSL, "shaders/common.wgsl"),
                (&NEURON_SHADER, NEURON_WGSL, "shaders/neuron.wgsl"),
                (&SYNAPSE_SHADER, SYNAPSE_WGSL, "shaders/synapse.wgsl"),
                (&LOD_SHADER, LOD_WGSL, "shaders/lod.wgsl"),
            ] {
                let _ = shaders.insert(handle.id(), Shader::from_wgsl(wgsl, path));
            }
        }
        app.add_plugins((
            MaterialPlugin::<NeuronMaterial>::default(),
            MaterialPlugin::<SynapseMaterial>::default(),
            MaterialPlugin::<LodMaterial>::default(),
        ));
    }
}

/// Byte ranges to write into GPU buffers this frame (buffer, offset, bytes), in place of uploading
/// the buffers whole; cleared at the start of every frame.
#[derive(Resource, Clone, Debug, Default)]
pub struct GpuWrites(pub Vec<(AssetId<ShaderBuffer>, u64, Vec<u8>)>);

impl GpuWrites {
    /// Writes `data` at element `index` of the buffer of `T`s behind `buffer`.
    pub fn write<T: Pod>(&mut self, buffer: &Handle<ShaderBuffer>, index: usize, data: &[T]) {
        let offset = (index * size_of::<T>()) as u64;
        self.0.push((buffer.id(), offset, bytemuck::cast_slice(data).to_vec()));
    }

    /// Writes `value(i)` at element `i` of the buffer behind `buffer` for each index in `ids` (below
    /// `len`), indices at most 8 apart sharing one write; empties `ids`.
    pub fn write_runs<T: Pod>(
        &mut self,
        buffer: &Handle<ShaderBuffer>,
        ids: &mut Vec<u32>,
        len: usize,
        value: impl Fn(usize) -> T,
    ) {
        const GAP: u32 = 8;
        ids.sort_unstable();
        ids.dedup();
        let mut k = 0;
        while k < ids.len() {
            let start = ids[k];
            let mut end = start;
            while k + 1 < ids.len() && ids[k + 1] - end <= GAP {
                k += 1;
                end = ids[k];
            }
            k += 1;
            let (a, b) = (start as usize, (end as usize + 1).min(len));
            if a < b {
                let run: Vec<T> = (a..b).map(&value).collect();
                self.write(buffer, a, &run);
            }
        }
        ids.clear();
    }

    /// Bytes to be written this frame.
    pub fn bytes(&self) -> usize {
        self.0.iter().map(|w| w.2.len()).sum()
    }
}

/// Carries [`GpuWrites`] to the render world, which writes them after the frame's buffer uploads.
pub struct GpuWritesPlugin;

impl Plugin for GpuWritesPlugin {
    fn build(&self, app: &mut App) {
        app.init_resource::<GpuWrites>().add_systems(First, |mut w: ResMut<GpuWrites>| w.0.clear());
        if let Some(render) = app.get_sub_app_mut(RenderApp) {
            render
                .init_resource::<GpuWrites>()
                .add_systems(ExtractSchedule, extract_writes)
                .add_systems(Render, apply_writes.in_set(RenderSystems::PrepareResources));
        }
    }
}

fn extract_writes(mut commands: Commands, writes: Extract<Res<GpuWrites>>) {
    commands.insert_resource(writes.clone());
}

fn apply_writes(writes: Res<GpuWrites>, buffers: Res<RenderAssets<GpuShaderBuffer>>, queue: Res<RenderQueue>) {
    for (id, offset, data) in &writes.0 {
        // A buffer not uploaded yet carries every value in its initial data.
        if let Some(gpu) = buffers.get(*id)
            && offset + data.len() as u64 <= gpu.buffer.size()
        {
            queue.write_buffer(&gpu.buffer, *offset, data);
        }
    }
}

/// The bytes of a GPU buffer (at least 16: wgpu refuses empty storage buffers).
pub fn bytes<T: Pod>(v: &[T]) -> Vec<u8> {
    let b: &[u8] = bytemuck::cast_slice(v);
    if b.len() < 16 {
        let mut padded = b.to_vec();
        padded.resize(16, 0);
        padded
    } else {
        b.to_vec()
    }
}

/// A storage buffer asset holding `data` (render world only: the main world keeps no copy, only
/// the size in its descriptor).
pub fn storage(buffers: &mut Assets<ShaderBuffer>, data: Vec<u8>) -> Handle<ShaderBuffer> {
    let mut buffer = ShaderBuffer::new(&data, RenderAssetUsages::RENDER_WORLD);
    buffer.buffer_description.size = data.len() as u64;
    buffers.add(buffer)
}

/// Replaces the contents of the buffer behind `handle` with `data`: in place when the size is the
/// same, else as a new asset (a bind group cannot follow a resized buffer); returns whether the
/// handle changed.
pub fn replace(buffers: &mut Assets<ShaderBuffer>, handle: &mut Handle<ShaderBuffer>, data: Vec<u8>) -> bool {
    let same_size = buffers.get(&*handle).is_some_and(|b| b.buffer_description.size == data.len() as u64);
    if same_size && let Some(mut b) = buffers.get_mut(&*handle) {
        b.data = Some(data);
        false
    } else {
        *handle = storage(buffers, data);
        true
    }
}
