//! Where replayed spikes come from: the [`SpikeSource`] trait, which a recording read whole
//! ([`Recording`]) and a streamed SONATA file ([`super::spike_index::SpikeIndex`]) implement.

use super::recording::Recording;
use super::recording_voltage::Voltages;
use crate::sim::grid_index;

/// Where replayed spikes come from: the spikes of a range of grid indices, in time order.
pub trait SpikeSource: Send + Sync {
    /// The time of the last spike known (ms; 0 when there is none).
    fn end_ms(&self) -> f64;

    /// Appends the spikes with grid index (see [`grid_index`]) in `from..to` on a grid of `dt_ms`,
    /// as `(grid index, neuron)`, in time order.
    fn read_grid(&self, from: u64, to: u64, dt_ms: f64, out: &mut Vec<(u64, u32)>) -> Result<(), String>;

    /// What the reader noticed and the user should know (a file cut mid-row, files ending at
    /// different times).
    fn notes(&self) -> Vec<String>;

    /// Reads what files still being written gained since the last call; returns whether
    /// anything was added. Sources that cannot grow return `Ok(false)`.
    fn refresh(&mut self) -> Result<bool, String> {
        Ok(false)
    }

    /// Whether the source reads files a running job may still append to.
    fn can_grow(&self) -> bool {
        false
    }

    /// The spikes held in memory (an estimate of the bytes, for the memory figures).
    fn resident_bytes(&self) -> usize;

    /// Spikes in the recording (read so far, for followed files).
    fn spike_count(&self) -> u64;

    /// Recorded membrane potentials, when the recording has some.
    fn voltages(&self) -> Option<&Voltages> {
        None
    }
}

impl SpikeSource for Recording {
    fn end_ms(&self) -> f64 {
        let spikes = self.times_ms.last().copied().unwrap_or(0.0);
        spikes.max(self.voltages.times_ms.last().copied().unwrap_or(0.0))
    }

    fn read_grid(&self, from: u64, to: u64, dt_ms: f64, out: &mut Vec<(u64, u32)>) -> Result<(), String> {
        let a = self.times_ms.partition_point(|&t| grid_index(t, dt_ms) < from);
        let b = a + self.times_ms[a..].partition_point(|&t| grid_index(t, dt_ms) < to);
        out.extend(self.times_ms[a..b].iter().zip(&self.neurons[a..b]).map(|(&t, &n)| (grid_index(t, dt_ms), n)));
        Ok(())
    }

    fn notes(&self) -> Vec<String> {
        self.notes.clone()
    }

    fn refresh(&mut self) -> Result<bool, String> {
        self.follow().map_err(|e| e.to_string())
    }

    fn can_grow(&self) -> bool {
        self.can_follow()
    }

    fn resident_bytes(&self) -> usize {
        self.neurons.len() * 4 + self.times_ms.len() * 8
    }

    fn spike_count(&self) -> u64 {
        self.neurons.len() as u64
    }

    fn voltages(&self) -> Option<&Voltages> {
        (!self.voltages.is_empty()).then_some(&self.voltages)
    }
}
