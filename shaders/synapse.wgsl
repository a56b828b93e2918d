// Synapses as camera-facing ribbons, one draw for all of them (or for a sample when there are
// more than the frame budget allows). Each ribbon's vertices carry (t along the edge, side, slot)
// in the position attribute; endpoints come from the neuron buffer, the edge and its kind from a
// slot buffer written when the edge appears, weight and opacity from one written while they change. Excitatory
// synapses are warm, inhibitory cool, attention edges violet; brightness and width follow the
// weight; a pulse runs from pre to post after each presynaptic spike.

#import bevy_pbr::mesh_view_bindings::view
#import neuroplast::common::{GpuNeuron, GpuEdge, GpuEdgeLook, EDGE_INHIBITORY, EDGE_ATTENTION, spike_age_ms, population_hidden}

struct GpuSynapseParams {
    width: f32,
    pulse_ms: f32,      // biological ms a pulse takes to cross an edge
    show_pulses: u32,
    intensity: f32,
    now_step: u32,      // the step the simulation has reached
    dt_ms: f32,         // its time step
    ego: u32,           // the neuron whose synapses alone are drawn (0xffffffff: none)
    hidden_pops: u32,   // bit p: synapses from or to population p are not drawn
    kinds: u32,         // bit k: edges of kind k (EDGE_*) are drawn
    weight_lo: f32,     // drawn weights, as a fraction of their projection's reference
    weight_hi: f32,
    highlight: u32,     // 1: every edge of this draw is a highlighted path (bright, one colour)
};

@group(#{MATERIAL_BIND_GROUP}) @binding(0) var<uniform> params: GpuSynapseParams;
@group(#{MATERIAL_BIND_GROUP}) @binding(1) var<storage, read> neurons: array<GpuNeuron>;
@group(#{MATERIAL_BIND_GROUP}) @binding(2) var<storage, read> last_spike: array<u32>;
// Static synapses (plastic 0) are drawn dimmer than those a learning rule changes.
@group(#{MATERIAL_BIND_GROUP}) @binding(3) var<storage, read> edges: array<GpuEdge>;
@group(#{MATERIAL_BIND_GROUP}) @binding(4) var<storage, read> looks: array<GpuEdgeLook>;

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
    let p = edges[i];
    let w = looks[i];
    let a = neurons[p.pre].pos_radius.xyz;
    let b = neurons[p.post].pos_radius.xyz;
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
    // The filters: populations switched off, kinds not shown, weights outside the range.
    let filtered = population_hidden(params.hidden_pops, u32(neurons[p.pre].color.w))
        || population_hidden(params.hidden_pops, u32(neurons[p.post].color.w))
        || ((params.kinds >> p.kind) & 1u) == 0u
        || w.weight < params.weight_lo || w.weight > params.weight_hi;
    if (((p.kind == EDGE_ATTENTION) != arc_mesh) || filtered) {
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
    let width = params.width * (0.35 + 0.65 * w.weight);
    var out: VertexOut;
    out.clip = view.clip_from_world * vec4<f32>(pos + side * sign(v.position.y) * width, 1.0);
    out.t = t;
    if (p.kind == EDGE_INHIBITORY) {
        out.color = vec3<f32>(0.25, 0.45, 1.0) * 0.6;
    } else if (p.kind == EDGE_ATTENTION) {
        out.color = vec3<f32>(0.8, 0.4, 1.0);
    } else {
        out.color = vec3<f32>(1.0, 0.55, 0.25);
    }
    // The picked neuron's inputs cyan, its outputs orange, whatever their sign.
    if (params.ego != 0xffffffffu && p.kind != EDGE_ATTENTION) {
        if (p.post == params.ego) {
            out.color = vec3<f32>(0.2, 0.9, 1.0);
        } else if (p.pre == params.ego) {
            out.color = vec3<f32>(1.0, 0.5, 0.1);
        }
    }
    if (params.highlight == 1u) {
        out.color = vec3<f32>(1.0, 0.92, 0.25);
    }
    let age = spike_age_ms(last_spike[p.pre], params.now_step, params.dt_ms);
    out.pulse_at = -10.0;
    if (params.show_pulses == 1u && age >= 0.0 && age < params.pulse_ms) {
        out.pulse_at = age / params.pulse_ms;
    }
    out.strength = w.opacity * (0.04 + 0.96 * w.weight * w.weight) * select(0.3, 1.0, p.plastic == 1u);
    if (p.kind == EDGE_ATTENTION) {
        // Attention edges are few and matter: brighter, and linear in their strength.
        out.strength = w.opacity * (0.3 + 0.7 * w.weight) * 2.5;
    }
    if (params.highlight == 1u) {
        out.strength = w.opacity * 1.2;
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
