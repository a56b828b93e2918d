//! A recording driving a network: each step's recorded spikes are imposed on the network
//! ([`Network::impose_step`]) instead of computed, so everything that reads the engine's spike
//! columns and step reports (the view, the raster, the rates, synchrony, videos) shows the
//! recording as it shows a live run. Spikes come from a [`SpikeSource`]: a [`Recording`] read
//! whole, or a [`super::spike_index::SpikeIndex`] that reads a large file by time block.

use std::path::PathBuf;

use super::recording::Recording;
use super::spike_index::SpikeIndex;
pub use super::spike_source::SpikeSource;
pub use crate::sim::grid_index;
use crate::sim::{Network, StepReport};

/// How a replay is asked for: the spike files and how to play them.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ReplayRequest {
    /// The spike files (NEST ascii, SONATA, NWB, CSV), merged.
    pub files: Vec<PathBuf>,
    /// Jump back to the start at the end.
    pub looping: bool,
    /// Follow files a running job is still writing, from the newest time.
    pub follow: bool,
}

/// Biological time replayed before the time jumped to, so the neurons that spiked just before
/// glow and their last inter-spike interval is known (ms): three times the longest glow decay
/// the view offers (100 ms, then at 5 %); at 10 Hz, 80 % of neurons have their last two spikes in
/// it, and the rest gain them as the replay plays on.
pub const SEEK_LOOKBACK_MS: f64 = 300.0;

/// The source of `files` for `net`: a SONATA spike file sorted by time is streamed
/// ([`SpikeIndex`]); anything else is read whole, merged and checked against the network
/// ([`Recording`]). Errors name the file and what is wrong.
pub fn open_source(files: &[PathBuf], net: &Network) -> Result<Box<dyn SpikeSource>, String> {
    if let [one] = files
        && SpikeIndex::can_stream(one)
    {
        return Ok(Box::new(SpikeIndex::open(one, net).map_err(|e| e.to_string())?));
    }
    let rec = Recording::read(files, net).map_err(|e| e.to_string())?;
    rec.check_against(net)
        .map_err(|m| format!("{}: {m}", files.first().map(|f| f.display().to_string()).unwrap_or_default()))?;
    Ok(Box::new(rec))
}

/// What one replayed step found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Replayed {
    /// A step of the recording was imposed.
    Step,
    /// The step is past the recording's last spike (and it is not looped): nothing was done.
    Ended,
    /// The step is past the last spike read so far of files still being written: nothing was
    /// done; later steps look again.
    Waiting,
}

/// A recording replayed into a network, step by step, with jumps anywhere in it.
pub struct ReplayFeed {
    source: Box<dyn SpikeSource>,
    /// Whether the end of the recording jumps back to its start.
    pub looping: bool,
    /// Whether the files are re-read for what a running job appended (NEST flushes at each `Run`).
    pub following: bool,
    window: Vec<(u64, u32)>,
    window_from: u64,
    window_to: u64,
    step_ids: Vec<u32>,
    samples: Vec<(u64, u32, f32)>,
    last_refresh: Option<std::time::Instant>,
}

/// Wall time between two looks at files being followed.
const REFRESH_EVERY: std::time::Duration = std::time::Duration::from_millis(250);

/// Grid indices read from the source at a time while playing (a window, so a file is read in
/// blocks, not per step).
const WINDOW_STEPS: u64 = 256;

impl ReplayFeed {
    /// A feed of `source`, at its start.
    pub fn new(source: Box<dyn SpikeSource>) -> Self {
        Self {
            source,
            looping: false,
            following: false,
            window: Vec::new(),
            window_from: 0,
            window_to: 0,
            step_ids: Vec::new(),
            samples: Vec::new(),
            last_refresh: None,
        }
    }

    /// Where the spikes come from.
    pub fn source(&self) -> &dyn SpikeSource {
        self.source.as_ref()
    }

    /// Spikes in the recording (read so far, when followed).
    pub fn spike_count(&self) -> u64 {
        self.source.spike_count()
    }

    /// The time of the recording's last spike (ms).
    pub fn end_ms(&self) -> f64 {
        self.source.end_ms()
    }

    /// What the reader noticed (cut files, uneven ends).
    pub fn notes(&self) -> Vec<String> {
        self.source.notes()
    }

    /// Bytes of spikes held in memory: the source's and the read-ahead window's.
    pub fn resident_bytes(&self) -> usize {
        self.source.resident_bytes() + self.window.capacity() * size_of::<(u64, u32)>()
    }

    /// Whether the files can be followed while a job writes them.
    pub fn can_follow(&self) -> bool {
        self.source.can_grow()
    }

    /// Reads what followed files gained (at most every 250 ms of wall time); whether any spike
    /// came.
    pub fn refresh(&mut self) -> Result<bool, String> {
        if self.last_refresh.is_some_and(|t| t.elapsed() < REFRESH_EVERY) {
            return Ok(false);
        }
        self.last_refresh = Some(std::time::Instant::now());
        let grew = self.source.refresh()?;
        if grew {
            (self.window_from, self.window_to) = (0, 0);
        }
        Ok(grew)
    }

    /// Imposes the recording's next step on `net` (filling `report`); past the end, jumps back to
    /// the start when looping, waits for more when following, else returns [`Replayed::Ended`]
    /// and leaves the network as it is.
    pub fn step(&mut self, net: &mut Network, report: &mut StepReport) -> Result<Replayed, String> {
        let dt = net.dt_ms();
        let past_end = |feed: &Self, net: &Network| (net.step_count() as f64) * dt >= feed.end_ms();
        if past_end(self, net) {
            if self.following {
                self.refresh()?;
                if past_end(self, net) {
                    return Ok(Replayed::Waiting);
                }
            } else if !self.looping || self.end_ms() <= 0.0 {
                return Ok(Replayed::Ended);
            } else {
                self.seek(net, 0.0)?;
            }
        }
        let g = net.step_count() + 1;
        if g < self.window_from || g >= self.window_to {
            self.window.clear();
            self.source.read_grid(g, g + WINDOW_STEPS, dt, &mut self.window)?;
            (self.window_from, self.window_to) = (g, g + WINDOW_STEPS);
        }
        let a = self.window.partition_point(|&(at, _)| at < g);
        let b = a + self.window[a..].partition_point(|&(at, _)| at <= g);
        self.step_ids.clear();
        self.step_ids.extend(self.window[a..b].iter().map(|&(_, n)| n));
        // Files sorted by time are mostly sorted by id within a step too.
        if !self.step_ids.is_sorted() {
            self.step_ids.sort_unstable();
        }
        self.step_ids.dedup();
        net.impose_step(&self.step_ids, report);
        if let Some(v) = self.source.voltages() {
            self.samples.clear();
            v.read_grid(g, g + 1, dt, &mut self.samples);
            set_potentials(net, &self.samples);
        }
        Ok(Replayed::Step)
    }

    /// Jumps to `t_ms` (clamped to the recording): the clock is set to the step there, and the
    /// last [`SEEK_LOOKBACK_MS`] before it are imposed, so the network's spike times are those of
    /// the recording at that moment.
    pub fn seek(&mut self, net: &mut Network, t_ms: f64) -> Result<(), String> {
        let dt = net.dt_ms();
        let t = if t_ms.is_finite() { t_ms.clamp(0.0, self.end_ms().max(0.0)) } else { 0.0 };
        let step = (t / dt).round() as u64;
        let from = step.saturating_sub((SEEK_LOOKBACK_MS / dt).round() as u64).max(1);
        self.window.clear();
        self.source.read_grid(from, step + 1, dt, &mut self.window)?;
        net.restart_clock_at(step);
        let nn = &mut net.neurons;
        for &(g, n) in &self.window {
            if let Some(last) = nn.last_spike.get_mut(n as usize)
                && *last != g
            {
                nn.prev_spike[n as usize] = *last;
                *last = g;
            }
        }
        if let Some(v) = self.source.voltages() {
            self.samples.clear();
            v.read_grid(from, step + 1, dt, &mut self.samples);
            set_potentials(net, &self.samples);
        }
        self.window.clear();
        (self.window_from, self.window_to) = (0, 0);
        Ok(())
    }

    /// Whether the recording holds membrane potentials.
    pub fn has_voltages(&self) -> bool {
        self.source.voltages().is_some()
    }

    /// Whether neuron `n`'s membrane potential was recorded.
    pub fn records_voltage(&self, n: u32) -> bool {
        self.source.voltages().is_some_and(|v| v.records(n))
    }

    /// The recorded spike times (ms) of `neuron` between `from_ms` and `to_ms`, at most `most`,
    /// read from the source (for the inspector).
    pub fn spikes_of(&self, neuron: u32, from_ms: f64, to_ms: f64, dt_ms: f64, most: usize) -> Vec<f64> {
        let mut buf = Vec::new();
        let (a, b) = (grid_index(from_ms.max(0.0), dt_ms), grid_index(to_ms.max(0.0), dt_ms) + 1);
        if self.source.read_grid(a, b, dt_ms, &mut buf).is_err() {
            return Vec::new();
        }
        buf.iter().filter(|&&(_, n)| n == neuron).map(|&(g, _)| g as f64 * dt_ms).take(most).collect()
    }
}

/// Sets the recorded neurons' potentials from `samples` (in time order: the last one wins).
fn set_potentials(net: &mut Network, samples: &[(u64, u32, f32)]) {
    for &(_, n, mv) in samples {
        if let Some(v) = net.neurons.v.get_mut(n as usize) {
            *v = f64::from(mv);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::{LifCurrent, NeuronModel};

    fn net(n: usize) -> Network {
        let mut net = Network::new(0.1, 1).unwrap();
        let model = NeuronModel::LifCurrent(LifCurrent::default());
        net.add_population("p", model, vec![[0.0; 3]; n], vec![-65.0; n], vec![(0.0, 0.0); n]).unwrap();
        net.prepare();
        net
    }

    fn recording(spikes: &[(f64, u32)]) -> Recording {
        Recording::from_spikes(spikes)
    }

    /// Grid indices follow the engine's stamping: a spike at the end of step s has index s + 1,
    /// times written with rounding (`12.300`) land on their step, off-grid times on the step they
    /// fall in.
    #[test]
    fn times_map_to_the_step_they_end() {
        assert_eq!(grid_index(12.3, 0.1), 123);
        assert_eq!(grid_index(123.0 * 0.1, 0.1), 123);
        assert_eq!(grid_index(12.31, 0.1), 124);
        assert_eq!(grid_index(0.0, 0.1), 1);
    }

    /// Each recorded spike is imposed in its step, once per neuron, in id order; the spike
    /// columns hold it; past the end the feed stops, or starts again when looping.
    #[test]
    fn spikes_are_imposed_in_their_step_and_the_end_stops_or_loops() {
        let mut net = net(5);
        let rec = recording(&[(0.2, 3), (0.2, 1), (0.2, 3), (0.5, 4), (1.0, 0)]);
        let mut feed = ReplayFeed::new(Box::new(rec));
        let mut report = StepReport::default();
        let mut seen = Vec::new();
        while feed.step(&mut net, &mut report).unwrap() == Replayed::Step {
            for s in &report.spikes {
                seen.push((report.step, s.0));
            }
        }
        assert_eq!(seen, [(1, 1), (1, 3), (4, 4), (9, 0)]);
        assert_eq!(net.step_count(), 10);
        assert_eq!((net.neurons.last_spike[3], net.neurons.last_spike[0]), (2, 10));
        assert_eq!(net.neurons.last_spike[2], u64::MAX, "neuron 2 never spiked");
        feed.looping = true;
        assert_eq!(feed.step(&mut net, &mut report).unwrap(), Replayed::Step);
        assert_eq!(net.step_count(), 1, "looping starts again at 0");
    }

    /// A jump sets the clock and leaves every neuron's last two spikes before that time, as if
    /// the recording had been played up to there.
    #[test]
    fn a_jump_leaves_the_spike_times_of_that_moment() {
        let mut played = net(3);
        let spikes: [(f64, u32); 6] = [(1.0, 0), (2.0, 0), (3.0, 0), (2.5, 1), (7.0, 1), (9.0, 2)];
        let mut feed = ReplayFeed::new(Box::new(recording(&spikes)));
        let mut report = StepReport::default();
        for _ in 0..50 {
            feed.step(&mut played, &mut report).unwrap();
        }
        let mut jumped = net(3);
        feed.seek(&mut jumped, 9.0).unwrap();
        feed.seek(&mut jumped, 5.0).unwrap();
        assert_eq!(jumped.step_count(), 50);
        assert_eq!(jumped.neurons.last_spike, played.neurons.last_spike);
        assert_eq!(jumped.neurons.prev_spike, played.neurons.prev_spike);
        assert_eq!(jumped.neurons.last_spike, [30, 25, u64::MAX]);
        assert_eq!(jumped.neurons.prev_spike, [20, u64::MAX, u64::MAX]);
        assert_eq!(feed.spikes_of(0, 0.0, 5.0, 0.1, 10), [1.0, 2.0, 3.0]);
    }
}
