//! What one step produced, and a log of spikes kept across steps.

use super::ids::{NeuronId, SynapseId};
use super::inputs::Receptor;

/// A change of the network's structure, reported in the step it happened in so a viewer can
/// animate it. Ids are stable: a pruned synapse's id is never given to another synapse.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum StructuralEvent {
    /// A neuron was added (by neurogenesis: `parent` is the neuron it divided from).
    NeuronBorn {
        /// The new neuron.
        id: NeuronId,
        /// The neuron it came from, if any.
        parent: Option<NeuronId>,
    },
    /// A chemical synapse was created.
    SynapseFormed {
        /// The new synapse.
        id: SynapseId,
        /// Presynaptic neuron.
        pre: NeuronId,
        /// Postsynaptic neuron.
        post: NeuronId,
        /// Its receptor (excitatory or inhibitory).
        kind: Receptor,
    },
    /// A chemical synapse was removed.
    SynapsePruned {
        /// The removed synapse.
        id: SynapseId,
    },
    /// A long-range attention edge was created between two neurons.
    AttentionEdgeFormed {
        /// The edge's id.
        id: u32,
        /// One end.
        a: NeuronId,
        /// The other end.
        b: NeuronId,
    },
    /// An attention edge decayed away.
    AttentionEdgeDecayed {
        /// The edge's id.
        id: u32,
    },
}

/// The reusable per-step output of [`super::Network::step`] (and of the engine's step): cleared, never reallocated, each step.
#[derive(Clone, Debug, Default)]
pub struct StepReport {
    /// The step that was just taken (0-based).
    pub step: u64,
    /// Biological time at the end of the step (ms); the time stamped on its spikes.
    pub time_ms: f64,
    /// Neurons that spiked during the step, in ascending id order.
    pub spikes: Vec<NeuronId>,
    /// Structural changes made during the step (and by edits since the previous step), in order.
    pub events: Vec<StructuralEvent>,
    /// Reward (dopamine) pulses delivered by reward inputs during the step, in order.
    pub rewards: Vec<f64>,
}

impl StepReport {
    /// A report with room for `neurons` spikes, so that filling it never allocates.
    pub fn with_capacity(neurons: usize) -> Self {
        Self { step: 0, time_ms: 0.0, spikes: Vec::with_capacity(neurons), events: Vec::new(), rewards: Vec::new() }
    }
}

/// Every spike of a run as (neuron, grid index) pairs; spike times are `index · dt`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SpikeLog {
    /// Spiking neuron per event.
    pub neurons: Vec<u32>,
    /// Time of each event as a multiple of `dt` (the end of the step it happened in).
    pub grid: Vec<u64>,
}

impl SpikeLog {
    /// Appends the spikes of one step.
    pub fn record(&mut self, report: &StepReport) {
        for &id in &report.spikes {
            self.neurons.push(id.0);
            self.grid.push(report.step + 1);
        }
    }

    /// Number of spikes logged.
    pub fn len(&self) -> usize {
        self.neurons.len()
    }

    /// Whether no spike was logged.
    pub fn is_empty(&self) -> bool {
        self.neurons.is_empty()
    }

    /// Spike times (ms) of one neuron, in order.
    pub fn times_of(&self, neuron: u32, dt_ms: f64) -> Vec<f64> {
        self.neurons.iter().zip(&self.grid).filter(|(n, _)| **n == neuron).map(|(_, g)| *g as f64 * dt_ms).collect()
    }
}

/// The grid index of a spike at `t_ms` on a grid of `dt_ms`: the step `g - 1` whose end `g · dt`
/// it falls at or before, as the engine stamps its own spikes (NEST's times are on that grid; a
/// time off it goes to the step it falls in). Never below 1.
pub fn grid_index(t_ms: f64, dt_ms: f64) -> u64 {
    // `ceil` by hand: without SSE4.1 in the build's target it is a library call, and this runs
    // once per spike read.
    let q = t_ms / dt_ms - 1e-6;
    let whole = q as i64;
    let up = if (whole as f64) < q { whole + 1 } else { whole };
    up.max(1) as u64
}
