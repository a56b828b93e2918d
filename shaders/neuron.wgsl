// Neurons as camera-facing impostor quads, one draw for all of them.
// Each quad's vertices carry (corner.x, corner.y, neuron index) in the position attribute; the
// neuron's position, radius and colour come from a buffer written when the structure changes, its
// last-spike step from one whose entries are written only when the neuron spikes, its voltage and
// opacity from one written only when shown. The glow decays exponentially with the spike's age,
// worked out here against the current step; a population's synchrony R(t) adds a halo ring.

#import bevy_pbr::mesh_view_bindings::view
#import neuroplast::common::{GpuNeuron, GpuNeuronLook, spike_age_ms, population_hidden}

struct GpuNeuronParams {
    glow_tau_ms: f32,
    radius_scale: f32,
    color_mode: u32,     // 0: population colour, 1: membrane potential
    sync_gain: f32,
    base_intensity: f32,
    selected: u32,       // index of the picked neuron, 0xffffffff for none
    now_step: u32,       // the step the simulation has reached (spike times are steps)
    dt_ms: f32,          // its time step
    hidden_pops: u32,    // bit p: population p is switched off
    _pad_a: u32,
    _pad_b: u32,
    _pad_c: u32,
    sync: array<vec4<f32>, 4>, // R of populations 0..15
};

@group(#{MATERIAL_BIND_GROUP}) @binding(0) var<uniform> params: GpuNeuronParams;
@group(#{MATERIAL_BIND_GROUP}) @binding(1) var<storage, read> neurons: array<GpuNeuron>;
@group(#{MATERIAL_BIND_GROUP}) @binding(2) var<storage, read> last_spike: array<u32>;
@group(#{MATERIAL_BIND_GROUP}) @binding(3) var<storage, read> looks: array<GpuNeuronLook>;

struct Vertex {
    @location(0) position: vec3<f32>,
};

struct VertexOut {
    @builtin(position) clip: vec4<f32>,
    @location(0) corner: vec2<f32>,
    @location(1) color: vec3<f32>,
    @location(2) glow: f32,
    @location(3) sync: f32,
    @location(4) alpha: f32,
    @location(5) selected: f32,
};

// A glowing neuron's quad spans this many core radii (room for the halo); a resting one's only
// covers its core and rings, so software rasterisers shade few pixels.
const QUAD_SPAN: f32 = 2.6;
const REST_SPAN: f32 = 1.25;

fn voltage_color(x: f32) -> vec3<f32> {
    // dark blue (reset) -> teal -> yellow (threshold)
    let t = clamp(x, 0.0, 1.0);
    return mix(mix(vec3(0.05, 0.1, 0.45), vec3(0.1, 0.7, 0.6), clamp(t * 2.0, 0.0, 1.0)),
               vec3(1.0, 0.9, 0.2), clamp(t * 2.0 - 1.0, 0.0, 1.0));
}

@vertex
fn vertex(v: Vertex) -> VertexOut {
    let i = u32(v.position.z);
    let s = neurons[i];
    let look = looks[i];
    let age = spike_age_ms(last_spike[i], params.now_step, params.dt_ms);
    var glow = 0.0;
    if (age >= 0.0) {
        glow = exp(-age / params.glow_tau_ms);
    }
    let pop = u32(s.color.w);
    if (population_hidden(params.hidden_pops, pop)) {
        var hidden: VertexOut;
        hidden.clip = vec4<f32>(0.0, 0.0, 2.0, 1.0);
        hidden.corner = vec2<f32>(0.0);
        hidden.color = vec3<f32>(0.0);
        hidden.glow = 0.0;
        hidden.sync = 0.0;
        hidden.alpha = 0.0;
        hidden.selected = 0.0;
        return hidden;
    }
    let r_sync = params.sync[min(pop, 15u) / 4u][min(pop, 15u) % 4u];
    let right = view.world_from_view[0].xyz;
    let up = view.world_from_view[1].xyz;
    var span = mix(REST_SPAN, QUAD_SPAN, clamp(glow * 4.0, 0.0, 1.0));
    if (i == params.selected) {
        span = QUAD_SPAN;
    }
    let r = s.pos_radius.w * params.radius_scale * span;
    let world = s.pos_radius.xyz + (right * v.position.x + up * v.position.y) * r;
    var out: VertexOut;
    out.clip = view.clip_from_world * vec4<f32>(world, 1.0);
    out.corner = v.position.xy * span;
    if (params.color_mode == 1u) {
        out.color = voltage_color(look.voltage);
    } else {
        out.color = s.color.rgb;
    }
    out.glow = glow;
    out.sync = r_sync * params.sync_gain;
    out.alpha = look.opacity;
    out.selected = select(0.0, 1.0, i == params.selected);
    return out;
}

@fragment
fn fragment(in: VertexOut) -> @location(0) vec4<f32> {
    let d2 = dot(in.corner, in.corner);
    let d = sqrt(d2);
    var rgb = vec3<f32>(0.0);
    if (d < 1.0) {
        // sphere shading of the core
        let z = sqrt(1.0 - d2);
        rgb += in.color * params.base_intensity * (0.3 + 0.7 * z);
    }
    // spike glow: a white-hot core fading into the population colour
    let halo = exp(-d2 * 0.9);
    rgb += (vec3<f32>(1.0, 0.97, 0.9) * 1.4 * exp(-d2 * 2.5) + in.color * 0.8 * halo) * in.glow;
    // synchrony: a ring just outside the core, as bright as the population is in phase
    let ring = exp(-(d - 1.12) * (d - 1.12) * 150.0);
    rgb += in.color * ring * in.sync * 1.2;
    // selection ring
    let sel = exp(-(d - 2.2) * (d - 2.2) * 30.0);
    rgb += vec3<f32>(1.0, 1.0, 1.0) * sel * in.selected * 1.5;
    if (max(rgb.r, max(rgb.g, rgb.b)) < 0.002) {
        discard;
    }
    // AlphaMode::Add is premultiplied blending (src + (1 - src.a) dst): alpha 0 makes it additive.
    return vec4<f32>(rgb * in.alpha, 0.0);
}
