// Synapses as camera-facing ribbons, one draw for all of them (or for a sample when there are
// more than the frame budget allows). Each ribbon's vertices carry (t along the edge, side,
// synapse index) in the position attribute; endpoints come from the neuron buffer, the pair and
// kind from a structure buffer, weight and opacity from a buffer written every frame. Excitatory
// synapses are warm, inhibitory cool, attention edges violet; brightness and width follow the
// weight; a pulse runs from pre to post after each presynaptic spike.

#import bevy_pbr::mesh_view_bindings::view

struct SynapseParams {
    width: f32,
    pulse_ms: f32,      // biological ms a pulse takes to cross an edge
    show_pulses: u32,
    intensity: f32,
};

struct NeuronStatic {
    pos_radius: vec4<f32>,
    color: vec4<f32>,
};

@group(#{MATERIAL_BIND_GROUP}) @binding(0) var<uniform> params: SynapseParams;
@group(#{MATERIAL_BIND_GROUP}) @binding(1) var<storage, read> neurons: array<NeuronStatic>;
@group(#{MATERIAL_BIND_GROUP}) @binding(2) var<storage, read> neuron_dynamics: array<vec4<f32>>;
// x: presynaptic neuron, y: postsynaptic neuron, z: kind (0 excitatory, 1 inhibitory, 2 attention),
// w: 1 when a plasticity rule acts on it (static synapses are drawn dimmer)
@group(#{MATERIAL_BIND_GROUP}) @binding(3) var<storage, read> pairs: array<vec4<u32>>;
// x: weight mapped to 0..1, y: opacity
@group(#{MATERIAL_BIND_GROUP}) @binding(4) var<storage, read> weights: array<vec2<f32>>;

struct Vertex {
    @location(0) position: vec3<f32>,
};

struct VertexOut {
    @builtin(position) clip: vec4<f32>,
    @location(0) t: f32,
    @location(1) color: vec3<f32>,
    @location(2) pulse_at: f32,
    @location(3) strength: f32,
};

@vertex
fn vertex(v: Vertex) -> VertexOut {
    let i = u32(v.position.z);
    let p = pairs[i];
    let w = weights[i];
    let a = neurons[p.x].pos_radius.xyz;
    let b = neurons[p.y].pos_radius.xyz;
    let t = v.position.x;
    var pos = mix(a, b, t);
    var dir = b - a;
    if (dot(dir, dir) < 1e-12) {
        dir = vec3<f32>(1e-3, 0.0, 0.0);
    }
    // Attention edges are arcs, drawn by a second mesh of segmented ribbons whose side coordinate
    // is ±2; in the straight ribbons (side ±1) they collapse to nothing. The arc is lifted off the
    // chord by a quarter of its length at the middle, on the side of world up.
    let arc_mesh = abs(v.position.y) > 1.5;
    if ((p.z == 2u) != arc_mesh) {
        var hidden: VertexOut;
        hidden.clip = vec4<f32>(0.0, 0.0, 2.0, 1.0);
        hidden.t = 0.0;
        hidden.color = vec3<f32>(0.0);
        hidden.pulse_at = -10.0;
        hidden.strength = 0.0;
        return hidden;
    }
    if (arc_mesh) {
        var up = cross(cross(dir, vec3<f32>(0.0, 1.0, 0.0)), dir);
        if (dot(up, up) < 1e-12) {
            up = vec3<f32>(1.0, 0.0, 0.0);
        }
        let lift = 0.25 * length(b - a) * 4.0 * t * (1.0 - t);
        pos = pos + normalize(up) * lift;
        // The arc's tangent, for the ribbon's width direction.
        dir = dir + normalize(up) * 0.25 * length(b - a) * 4.0 * (1.0 - 2.0 * t);
    }
    let to_eye = view.world_position - pos;
    var side = cross(dir, to_eye);
    let len = length(side);
    if (len > 1e-12) {
        side = side / len;
    }
    let width = params.width * (0.35 + 0.65 * w.x);
    var out: VertexOut;
    out.clip = view.clip_from_world * vec4<f32>(pos + side * sign(v.position.y) * width, 1.0);
    out.t = t;
    if (p.z == 1u) {
        out.color = vec3<f32>(0.25, 0.45, 1.0) * 0.6;
    } else if (p.z == 2u) {
        out.color = vec3<f32>(0.8, 0.4, 1.0);
    } else {
        out.color = vec3<f32>(1.0, 0.55, 0.25);
    }
    let age = neuron_dynamics[p.x].x;
    out.pulse_at = -10.0;
    if (params.show_pulses == 1u && age >= 0.0 && age < params.pulse_ms) {
        out.pulse_at = age / params.pulse_ms;
    }
    out.strength = w.y * (0.04 + 0.96 * w.x * w.x) * select(0.3, 1.0, p.w == 1u);
    if (p.z == 2u) {
        // Attention edges are few and matter: brighter, and linear in their strength.
        out.strength = w.y * (0.3 + 0.7 * w.x) * 2.5;
    }
    return out;
}

@fragment
fn fragment(in: VertexOut) -> @location(0) vec4<f32> {
    let dp = (in.t - in.pulse_at) * 12.0;
    let pulse = exp(-dp * dp);
    let rgb = in.color * params.intensity * in.strength + vec3<f32>(1.0, 0.95, 0.85) * pulse * 0.8 * in.strength;
    // AlphaMode::Add is premultiplied blending (src + (1 - src.a) dst): alpha 0 makes it additive.
    return vec4<f32>(rgb, 0.0);
}
