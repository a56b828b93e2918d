//! The neuron draw's buffers: positions and colours (rebuilt when the network is installed or
//! grows), last-spike steps (only the neurons that spiked are written, from the engine's own
//! column), and voltage and opacity (written only while shown: all of them when colouring by
//! voltage, else just the neurons fading in).

use bevy::prelude::*;
use bevy::render::storage::ShaderBuffer;

use super::ViewSettings;
use super::gpu::{GpuNeuron, GpuNeuronLook, GpuWrites, NEVER, bytes, replace};
use crate::app::bridge::{FadeIn, Neuron, SpikedSinceDrawn};
use crate::app::palette;
use crate::sim::Network;

/// What the neuron draw needs on the CPU between structural changes.
#[derive(Debug, Default)]
pub struct NeuronBuffers {
    /// Neurons drawn.
    pub count: usize,
    /// Population colours (linear RGB).
    pub colors: Vec<[f32; 3]>,
    /// Per population: voltage range (low, 1 / span).
    pub voltage_map: Vec<(f64, f64)>,
    /// Typical neuron radius (world units).
    pub radius: f32,
    /// Each neuron's look (voltage, opacity), uploaded whole only when colouring by voltage.
    looks: Vec<GpuNeuronLook>,
    /// Neurons whose opacity was below 1 last frame (they get a last write at 1).
    fading: Vec<u32>,
    /// Whether voltages were shown last frame.
    voltage_shown: bool,
    /// Counts rebuilds, so colours written over the statics know when they were replaced.
    pub generation: u64,
}

/// The engine's last-spike grid index as the GPU's u32 step ([`NEVER`] for none).
fn step_u32(last: u64) -> u32 {
    if last == u64::MAX { NEVER } else { last.min(NEVER as u64 - 1) as u32 }
}

impl NeuronBuffers {
    /// Everything anew for `net`, its neurons drawn at `positions`: returns the new statics,
    /// last-spike and look buffers' bytes.
    pub fn rebuild(&mut self, net: &Network, positions: &[[f32; 3]]) -> [Vec<u8>; 3] {
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
        self.count = net.num_neurons();
        self.radius = typical_radius(net);
        self.generation += 1;
        let statics = self.statics(net, positions, |_| None);
        let last: Vec<u32> = net.neurons.last_spike.iter().map(|&s| step_u32(s)).collect();
        self.looks = vec![GpuNeuronLook { voltage: 0.0, opacity: 1.0 }; self.count];
        self.fading.clear();
        self.voltage_shown = false;
        [statics, bytes(&last), bytes(&self.looks)]
    }

    /// The statics buffer's bytes: each neuron's position (from `positions`, the layout shown,
    /// else its own), radius and colour (`color_of`, else its population's) with its population
    /// index.
    pub fn statics(
        &self,
        net: &Network,
        positions: &[[f32; 3]],
        color_of: impl Fn(usize) -> Option<[f32; 3]>,
    ) -> Vec<u8> {
        self.statics_sized(net, positions, color_of, |_| 1.0)
    }

    /// [`NeuronBuffers::statics`] with each neuron's radius scaled by `size_of`.
    pub fn statics_sized(
        &self,
        net: &Network,
        positions: &[[f32; 3]],
        color_of: impl Fn(usize) -> Option<[f32; 3]>,
        size_of: impl Fn(usize) -> f32,
    ) -> Vec<u8> {
        let statics: Vec<GpuNeuron> = (0..self.count.min(net.num_neurons()))
            .map(|i| {
                let p = positions.get(i).copied().unwrap_or(net.neurons.position[i]);
                let pop = net.neurons.population[i].index();
                let c = color_of(i).unwrap_or(self.colors[pop]);
                let r = self.radius * size_of(i);
                GpuNeuron { pos_radius: [p[0], p[1], p[2], r], color: [c[0], c[1], c[2], pop as f32] }
            })
            .collect();
        bytes(&statics)
    }

    /// Voltage of neuron `i` mapped to 0..1 for its population.
    fn voltage(&self, net: &Network, i: usize) -> f32 {
        let (lo, inv) = self.voltage_map[net.neurons.population[i].index()];
        ((net.neurons.v[i] - lo) * inv) as f32
    }
}

/// Handles of the neuron buffers.
#[derive(Debug, Clone)]
pub struct NeuronHandles {
    /// [`GpuNeuron`] per neuron.
    pub neurons: Handle<ShaderBuffer>,
    /// Last-spike step per neuron.
    pub last_spike: Handle<ShaderBuffer>,
    /// [`GpuNeuronLook`] per neuron.
    pub looks: Handle<ShaderBuffer>,
}

impl NeuronHandles {
    /// Uploads rebuilt buffers; returns whether a handle changed (the materials must follow).
    pub fn upload(&mut self, buffers: &mut Assets<ShaderBuffer>, [statics, last, looks]: [Vec<u8>; 3]) -> bool {
        // All three go up: no short-circuit.
        let changed = [
            replace(buffers, &mut self.neurons, statics),
            replace(buffers, &mut self.last_spike, last),
            replace(buffers, &mut self.looks, looks),
        ];
        changed.contains(&true)
    }
}

/// Writes the last-spike steps of the neurons that spiked since the last frame, in runs (nearby
/// ids share one write); past a quarter of the network, or when asked, the whole column.
pub fn write_spikes(
    net: &Network,
    spiked: &mut SpikedSinceDrawn,
    handles: &NeuronHandles,
    buffers: &mut Assets<ShaderBuffer>,
    writes: &mut GpuWrites,
) {
    let last = &net.neurons.last_spike;
    let n = last.len();
    if spiked.all || spiked.ids.len() > n / 4 {
        if let Some(mut b) = buffers.get_mut(&handles.last_spike) {
            b.data = Some(bytes(&last.iter().map(|&s| step_u32(s)).collect::<Vec<u32>>()));
        }
        spiked.all = false;
        spiked.ids.clear();
        return;
    }
    writes.write_runs(&handles.last_spike, &mut spiked.ids, n, |i| step_u32(last[i]));
}

/// Writes the neurons' looks: all of them each frame while colouring by voltage; otherwise only
/// the opacity of the neurons fading in (and a last write when a fade ends).
pub fn write_looks(
    net: &Network,
    cpu: &mut NeuronBuffers,
    settings: &ViewSettings,
    appearing: &Query<(&Neuron, &FadeIn)>,
    handles: &NeuronHandles,
    buffers: &mut Assets<ShaderBuffer>,
    writes: &mut GpuWrites,
) {
    let n = cpu.count.min(net.num_neurons());
    let mut fading: Vec<u32> = Vec::new();
    for (neuron, f) in appearing {
        let i = neuron.0.index();
        if i < n {
            cpu.looks[i].opacity = f.0.clamp(0.0, 1.0);
            fading.push(i as u32);
        }
    }
    // Neurons whose fade ended since the last frame are fully opaque again.
    let ended: Vec<u32> = cpu.fading.iter().copied().filter(|i| !fading.contains(i) && (*i as usize) < n).collect();
    for &i in &ended {
        cpu.looks[i as usize].opacity = 1.0;
    }
    if settings.color_by_voltage {
        for i in 0..n {
            cpu.looks[i].voltage = cpu.voltage(net, i);
        }
        if let Some(mut b) = buffers.get_mut(&handles.looks) {
            b.data = Some(bytes(&cpu.looks));
        }
    } else {
        for &i in fading.iter().chain(&ended) {
            writes.write(&handles.looks, i as usize, &cpu.looks[i as usize..i as usize + 1]);
        }
    }
    cpu.voltage_shown = settings.color_by_voltage;
    cpu.fading = fading;
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
