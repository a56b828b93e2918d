// What the network shaders share: the buffer structs (mirrored by the `Gpu*` structs of
// src/app/view/gpu.rs, whose sizes and offsets a test holds against this file), the edge kinds,
// and the spike clock: the GPU gets each neuron's last-spike step, never an age, and works the age
// out against the current step.

#define_import_path neuroplast::common

// One neuron's place and colour, written when the network's structure changes.
struct GpuNeuron {
    pos_radius: vec4<f32>, // xyz position, radius
    color: vec4<f32>,      // rgb population colour, population index
};

// A drawn edge: its two neurons, its kind (EDGE_*), and 1 when a learning rule changes its weight.
struct GpuEdge {
    pre: u32,
    post: u32,
    kind: u32,
    plastic: u32,
};

// How a drawn edge looks this frame: its weight mapped to 0..1 and its opacity (0: an empty slot).
struct GpuEdgeLook {
    weight: f32,
    opacity: f32,
};

// How a neuron looks this frame besides its spikes: membrane potential mapped to 0..1 (when
// colouring by voltage) and opacity (fading in after its birth).
struct GpuNeuronLook {
    voltage: f32,
    opacity: f32,
};

const EDGE_EXCITATORY: u32 = 0u;
const EDGE_INHIBITORY: u32 = 1u;
const EDGE_ATTENTION: u32 = 2u;

// Whether population `pop` is switched off in the view's mask (bit p: hidden; populations past 31
// are always shown).
fn population_hidden(mask: u32, pop: u32) -> bool {
    return pop < 32u && ((mask >> pop) & 1u) == 1u;
}

// A last-spike step of a neuron that never spiked.
const NEVER: u32 = 0xffffffffu;

// Milliseconds since the spike at step `last`, at step `now` with time step `dt_ms`; negative
// for a neuron that never spiked.
fn spike_age_ms(last: u32, now: u32, dt_ms: f32) -> f32 {
    if (last == NEVER || last > now) {
        return -1.0;
    }
    return f32(now - last) * dt_ms;
}
