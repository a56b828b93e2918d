//! The CTM's neurons in 3D: D spheres on a slowly turning shell, coloured and lit by their
//! post-activation at the shown tick, joined by ribbons between synchronisation pairs (output pairs
//! warm, action pairs cool) whose brightness is the pair's |synchronisation|. Drawn with the
//! network view's neuron and synapse shaders.

use bevy::asset::AssetEventSystems;
use bevy::camera::visibility::NoFrustumCulling;
use bevy::prelude::*;
use bevy::render::storage::ShaderBuffer;

use super::CtmState;
use crate::app::view::{
    GpuEdge, GpuEdgeLook, GpuNeuron, GpuNeuronLook, GpuNeuronParams, GpuSynapseParams, NeuronMaterial, SynapseMaterial,
    ViewMaterialsPlugin, bytes, quad_mesh, storage,
};

/// The clock the neuron shader ages "spikes" by: one step per millisecond, at step `NOW`. The most
/// active neurons are drawn as if they had just spiked.
const NOW: u32 = 1000;

/// Where the neuron shell sits and how big it is.
const CENTER: Vec3 = Vec3::new(2.25, 0.1, 0.0);
const SHELL: f32 = 1.35;
const RADIUS: f32 = 0.055;

/// The neuron view of the CTM.
pub struct CtmNeuronsPlugin;

impl Plugin for CtmNeuronsPlugin {
    fn build(&self, app: &mut App) {
        app.add_plugins(ViewMaterialsPlugin)
            .add_systems(Startup, setup)
            .add_systems(PostUpdate, refresh.before(AssetEventSystems));
    }
}

#[derive(Resource)]
struct NeuronHandles {
    statics: Handle<ShaderBuffer>,
    last_spike: Handle<ShaderBuffer>,
    looks: Handle<ShaderBuffer>,
    weights: Handle<ShaderBuffer>,
    neuron_material: Handle<NeuronMaterial>,
    shown: u64,
    /// Unit directions on the shell (Fibonacci lattice).
    directions: Vec<Vec3>,
}

/// Each pair as (i, j, kind): output pairs kind 0 (warm), action pairs kind 1 (cool).
fn pairs(state: &CtmState) -> Vec<GpuEdge> {
    let edge = |kind: u32| move |&(i, j): &(usize, usize)| GpuEdge { pre: i as u32, post: j as u32, kind, plastic: 1 };
    let out = state.model.out_pairs().iter().map(edge(0));
    let act = state.model.action_pairs().iter().map(edge(1));
    out.chain(act).collect()
}

fn setup(
    mut commands: Commands,
    state: Res<CtmState>,
    mut meshes: ResMut<Assets<Mesh>>,
    mut buffers: ResMut<Assets<ShaderBuffer>>,
    mut neuron_materials: ResMut<Assets<NeuronMaterial>>,
    mut synapse_materials: ResMut<Assets<SynapseMaterial>>,
) {
    let d = state.model.config().d_model;
    let golden = std::f32::consts::PI * (3.0 - 5f32.sqrt());
    let directions: Vec<Vec3> = (0..d)
        .map(|i| {
            let y = 1.0 - 2.0 * (i as f32 + 0.5) / d as f32;
            let r = (1.0 - y * y).sqrt();
            let a = golden * i as f32;
            Vec3::new(r * a.cos(), y, r * a.sin())
        })
        .collect();
    let pairs = pairs(&state);
    let statics = storage(&mut buffers, bytes(&vec![GpuNeuron::default(); d]));
    let last_spike = storage(&mut buffers, bytes(&vec![u32::MAX; d]));
    let looks = storage(&mut buffers, bytes(&vec![GpuNeuronLook { voltage: 0.5, opacity: 1.0 }; d]));
    let pair_buf = storage(&mut buffers, bytes(&pairs));
    let weights = storage(&mut buffers, bytes(&vec![GpuEdgeLook { weight: 0.0, opacity: 1.0 }; pairs.len()]));
    let neuron_material = neuron_materials.add(NeuronMaterial {
        params: GpuNeuronParams {
            glow_tau_ms: 10.0,
            radius_scale: 1.0,
            color_mode: 1,
            base_intensity: 0.7,
            selected: u32::MAX,
            now_step: NOW,
            dt_ms: 1.0,
            ..default()
        },
        neurons: statics.clone(),
        last_spike: last_spike.clone(),
        looks: looks.clone(),
    });
    let synapse_material = synapse_materials.add(SynapseMaterial {
        params: GpuSynapseParams {
            width: RADIUS * 0.25,
            pulse_ms: 1.0,
            show_pulses: 0,
            intensity: 0.9,
            now_step: NOW,
            dt_ms: 1.0,
            // No filters: every pair, whatever its weight.
            kinds: u32::MAX,
            weight_hi: f32::MAX,
            ..default()
        },
        neurons: statics.clone(),
        last_spike: last_spike.clone(),
        edges: pair_buf,
        looks: weights.clone(),
    });
    commands.spawn((
        Name::new("ctm neurons"),
        Mesh3d(meshes.add(quad_mesh(d, false))),
        MeshMaterial3d(neuron_material.clone()),
        NoFrustumCulling,
    ));
    commands.spawn((
        Name::new("ctm synchronisation pairs"),
        Mesh3d(meshes.add(quad_mesh(pairs.len(), true))),
        MeshMaterial3d(synapse_material),
        NoFrustumCulling,
    ));
    commands.insert_resource(NeuronHandles {
        statics,
        last_spike,
        looks,
        weights,
        neuron_material,
        shown: u64::MAX,
        directions,
    });
}

/// Turns the shell every frame; writes activations and synchronisation when the tick changes.
fn refresh(
    time: Res<Time>,
    state: Res<CtmState>,
    mut handles: ResMut<NeuronHandles>,
    mut buffers: ResMut<Assets<ShaderBuffer>>,
    mut materials: ResMut<Assets<NeuronMaterial>>,
) {
    let turn = Quat::from_rotation_y(time.elapsed_secs() * 0.15);
    let statics: Vec<GpuNeuron> = handles
        .directions
        .iter()
        .map(|&u| {
            let p = CENTER + turn * u * SHELL;
            GpuNeuron { pos_radius: [p.x, p.y, p.z, RADIUS], color: [1.0, 0.6, 0.3, 0.0] }
        })
        .collect();
    if let Some(mut b) = buffers.get_mut(&handles.statics) {
        b.data = Some(bytes(&statics));
    }
    if handles.shown == state.version || state.run.ticks == 0 {
        return;
    }
    handles.shown = state.version;
    let tick = state.tick.min(state.run.ticks - 1);
    let z = state.run.post_at(tick);
    let zmax = z.iter().fold(1e-6f32, |m, v| m.max(v.abs()));
    // Voltage colour from the post-activation; the most active neurons glow (spike age 0, up to
    // 30 ms for the least active).
    let last: Vec<u32> = z.iter().map(|&v| NOW - ((1.0 - v.abs() / zmax) * 30.0).round() as u32).collect();
    let looks: Vec<GpuNeuronLook> =
        z.iter().map(|&v| GpuNeuronLook { voltage: 0.5 + 0.5 * v / zmax, opacity: 1.0 }).collect();
    let (so, sa) = (state.run.sync_out_at(tick), state.run.sync_action_at(tick));
    let norm = |v: &[f32]| v.iter().fold(1e-6f32, |m, x| m.max(x.abs()));
    let (no, na) = (norm(so), norm(sa));
    let look = |w: f32| GpuEdgeLook { weight: w, opacity: 1.0 };
    let weights: Vec<GpuEdgeLook> =
        so.iter().map(|s| look(s.abs() / no)).chain(sa.iter().map(|s| look(s.abs() / na))).collect();
    for (h, data) in
        [(&handles.last_spike, bytes(&last)), (&handles.looks, bytes(&looks)), (&handles.weights, bytes(&weights))]
    {
        if let Some(mut b) = buffers.get_mut(h) {
            b.data = Some(data);
        }
    }
    if let Some(mut m) = materials.get_mut(&handles.neuron_material) {
        m.params.selected = state.picked.first().map_or(u32::MAX, |&n| n as u32);
    }
}
