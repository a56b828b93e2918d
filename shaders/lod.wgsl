// Level of detail: far from a large network, its neurons are drawn as bins (a cell of space and
// one population each), one camera-facing glow per bin, as bright as its neurons' mean spike
// glow (worked out on the CPU from the engine's last-spike column, once per frame).

#import bevy_pbr::mesh_view_bindings::view
#import neuroplast::common::{GpuNeuron, population_hidden}

struct GpuLodParams {
    gain: f32,           // brightness per unit of mean glow
    base_intensity: f32, // brightness of a bin at rest
    hidden_pops: u32,    // bit p: population p is switched off
    radius_scale: f32,   // the neuron-size slider, applied to bins too
};

@group(#{MATERIAL_BIND_GROUP}) @binding(0) var<uniform> params: GpuLodParams;
@group(#{MATERIAL_BIND_GROUP}) @binding(1) var<storage, read> bins: array<GpuNeuron>;
@group(#{MATERIAL_BIND_GROUP}) @binding(2) var<storage, read> activity: array<f32>;

struct Vertex {
    @location(0) position: vec3<f32>,
};

struct VertexOut {
    @builtin(position) clip: vec4<f32>,
    @location(0) corner: vec2<f32>,
    @location(1) color: vec3<f32>,
    @location(2) glow: f32,
};

@vertex
fn vertex(v: Vertex) -> VertexOut {
    let i = u32(v.position.z);
    let b = bins[i];
    var out: VertexOut;
    if (population_hidden(params.hidden_pops, u32(b.color.w)) || b.pos_radius.w <= 0.0) {
        out.clip = vec4<f32>(0.0, 0.0, 2.0, 1.0);
        out.corner = vec2<f32>(0.0);
        out.color = vec3<f32>(0.0);
        out.glow = 0.0;
        return out;
    }
    let right = view.world_from_view[0].xyz;
    let up = view.world_from_view[1].xyz;
    let r = b.pos_radius.w * params.radius_scale;
    let world = b.pos_radius.xyz + (right * v.position.x + up * v.position.y) * r;
    out.clip = view.clip_from_world * vec4<f32>(world, 1.0);
    out.corner = v.position.xy;
    out.color = b.color.rgb;
    out.glow = min(activity[i] * params.gain, 1.5);
    return out;
}

@fragment
fn fragment(in: VertexOut) -> @location(0) vec4<f32> {
    let d2 = dot(in.corner, in.corner);
    if (d2 >= 1.0) {
        discard;
    }
    // A soft disc that reaches 0 at the quad's edge (no square outlines where bins overlap).
    let w = 1.0 - d2;
    let soft = w * w * exp(-d2 * 1.5);
    var rgb = in.color * params.base_intensity * soft;
    rgb += (vec3<f32>(1.0, 0.97, 0.9) * 0.5 * exp(-d2 * 6.0) + in.color * soft) * in.glow;
    if (max(rgb.r, max(rgb.g, rgb.b)) < 0.002) {
        discard;
    }
    return vec4<f32>(rgb, 0.0);
}
