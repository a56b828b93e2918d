//! External drive: injected currents, aggregated Poisson inputs and spike-time lists.

use serde::{Deserialize, Serialize};

/// Which synaptic channel a spike arrives on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Receptor {
    /// The excitatory current/conductance.
    Excitatory,
    /// The inhibitory current/conductance.
    Inhibitory,
}

impl Receptor {
    /// The channel's index in the interleaved per-neuron input (0 excitatory, 1 inhibitory).
    #[inline(always)]
    pub fn index(self) -> u32 {
        match self {
            Receptor::Excitatory => 0,
            Receptor::Inhibitory => 1,
        }
    }
}

/// A current injected into a set of neurons over a window of steps (constant when unbounded).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CurrentInput {
    /// Target neurons.
    pub targets: Vec<u32>,
    /// Amplitude (pA).
    pub amplitude_pa: f64,
    /// First step at which the current flows.
    pub start_step: u64,
    /// First step at which it no longer flows (`None`: never stops).
    pub stop_step: Option<u64>,
}

impl CurrentInput {
    /// Whether the current flows during step `step`.
    pub fn active_at(&self, step: u64) -> bool {
        step >= self.start_step && self.stop_step.is_none_or(|stop| step < stop)
    }
}

/// `n_sources` independent Poisson spike trains per target neuron, summed into one Poisson count
/// per step (Brian2's `PoissonInput`): cheap, and statistically the same for the target.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PoissonInput {
    /// Target neurons.
    pub targets: Vec<u32>,
    /// Mean number of input spikes per target per step (n_sources · rate · dt).
    pub lambda: f64,
    /// Weight of each input spike, in the target's synaptic unit.
    pub weight: f32,
    /// Channel the spikes arrive on.
    pub receptor: Receptor,
}

/// Spikes injected at given steps into given neurons (sorted by step).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SpikeListInput {
    /// (step, target neuron) pairs sorted by step.
    pub events: Vec<(u64, u32)>,
    /// Weight of each spike, in the target's synaptic unit.
    pub weight: f32,
    /// Channel the spikes arrive on.
    pub receptor: Receptor,
    /// Index of the next event to deliver.
    pub cursor: usize,
}

/// Reward (dopamine) pulses for reward-modulated plasticity, at given steps (sorted).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RewardInput {
    /// (step, amount) pairs sorted by step.
    pub events: Vec<(u64, f64)>,
    /// Index of the next event to deliver.
    pub cursor: usize,
}

/// One external drive of the network.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Input {
    /// Injected current.
    Current(CurrentInput),
    /// Aggregated Poisson spike input.
    Poisson(PoissonInput),
    /// Spikes at listed times.
    SpikeList(SpikeListInput),
    /// Reward pulses.
    Reward(RewardInput),
}
