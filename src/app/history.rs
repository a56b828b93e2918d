//! What the plots show, recorded as the network runs: a spike raster window, population rates,
//! live synchrony R(t), weight histograms over time, neuron/synapse counts and the voltage trace
//! of the selected neuron. Everything is bounded; nothing grows with run length.

use std::collections::VecDeque;

use crate::analysis::synchrony::{live_phase, order_parameter};
use crate::analysis::weight_summary;
use crate::engine::Simulation;
use crate::sim::{Network, NeuronId, PopulationId, StepReport};

/// Width of the raster window (biological ms).
pub const RASTER_WINDOW_MS: f64 = 1000.0;
/// Most raster rows shown; larger networks show an evenly spaced sample of neurons.
pub const RASTER_ROWS: usize = 2000;
/// Bin width of the rate and synchrony series (ms).
pub const BIN_MS: f64 = 5.0;
/// Points kept in each time series.
pub const SERIES_LEN: usize = 2000;
/// Interval between weight histograms (ms).
pub const WEIGHT_INTERVAL_MS: f64 = 100.0;
/// Bins of a weight histogram.
pub const WEIGHT_BINS: usize = 32;
/// Columns kept in a weight-histogram-over-time image.
pub const WEIGHT_COLUMNS: usize = 200;
/// Steps of voltage trace kept for the selected neuron.
pub const TRACE_LEN: usize = 10_000;
/// Neurons sampled per population for the synchrony estimate.
const SYNC_SAMPLE: usize = 2048;

/// A time series of (time ms, value) points, bounded.
#[derive(Clone, Debug, Default)]
pub struct Series {
    /// The points, oldest first.
    pub points: VecDeque<[f64; 2]>,
}

impl Series {
    /// Appends a point, dropping the oldest beyond `SERIES_LEN`.
    pub fn push(&mut self, t: f64, v: f64) {
        if self.points.len() == SERIES_LEN {
            self.points.pop_front();
        }
        self.points.push_back([t, v]);
    }

    /// The points as a vector (for plotting).
    pub fn to_vec(&self) -> Vec<[f64; 2]> {
        self.points.iter().copied().collect()
    }

    /// The latest value.
    pub fn last(&self) -> Option<f64> {
        self.points.back().map(|p| p[1])
    }
}

/// Weight histograms of one plastic projection over time.
#[derive(Clone, Debug, Default)]
pub struct WeightHistory {
    /// Upper edge of the histogram range (engine units).
    pub w_hi: f64,
    /// One normalised histogram (fractions) per sample time.
    pub columns: VecDeque<(f64, [f32; WEIGHT_BINS])>,
    /// Mean weight over time.
    pub mean: Series,
}

/// Recorded activity of the running network.
#[derive(Clone, Debug)]
pub struct History {
    /// (time ms, neuron) of recent spikes of sampled neurons.
    pub raster: VecDeque<(f64, u32)>,
    /// Every `raster_stride`-th neuron is in the raster.
    pub raster_stride: u32,
    /// Firing rate (Hz) of each population per bin.
    pub rates: Vec<Series>,
    /// Kuramoto order parameter R of each population per bin (from each neuron's phase within its
    /// last inter-spike interval).
    pub sync: Vec<Series>,
    /// Weight histograms per plastic binding.
    pub weights: Vec<WeightHistory>,
    /// Neuron count over time.
    pub neuron_count: Series,
    /// Synapse count over time.
    pub synapse_count: Series,
    /// Voltage trace (time ms, mV) of the selected neuron.
    pub trace: VecDeque<[f64; 2]>,
    /// Spike times (ms) of the selected neuron over the last [`RASTER_WINDOW_MS`], from the step
    /// reports (a replay fills it from the recording when the neuron is picked or the time jumps).
    pub selected_spikes: VecDeque<f64>,
    /// Whether the selected neuron's voltage is traced (not in a replay, whose network's
    /// potentials are not the recording's).
    pub trace_voltage: bool,
    traced: Option<NeuronId>,
    bin_counts: Vec<u64>,
    bin_end_ms: f64,
    next_weights_ms: f64,
}

impl History {
    /// An empty history sized for `net`.
    pub fn new(engine: &Simulation) -> Self {
        let net = &engine.network;
        let n = net.num_neurons();
        let pops = net.populations.len();
        Self {
            raster: VecDeque::new(),
            raster_stride: n.div_ceil(RASTER_ROWS).max(1) as u32,
            rates: vec![Series::default(); pops],
            sync: vec![Series::default(); pops],
            weights: engine
                .synaptic
                .iter()
                .map(|b| WeightHistory { w_hi: b.w_bound_engine().map_or(0.0, f64::abs), ..Default::default() })
                .collect(),
            neuron_count: Series::default(),
            synapse_count: Series::default(),
            trace: VecDeque::new(),
            selected_spikes: VecDeque::new(),
            trace_voltage: true,
            traced: None,
            bin_counts: vec![0; pops],
            bin_end_ms: net.time_ms() + BIN_MS,
            next_weights_ms: net.time_ms(),
        }
    }

    /// Starts tracing a neuron's voltage (clears the old trace).
    pub fn select(&mut self, neuron: Option<NeuronId>) {
        if self.traced != neuron {
            self.trace.clear();
            self.selected_spikes.clear();
            self.traced = neuron;
        }
    }

    /// The neuron whose voltage and spikes are recorded.
    pub fn traced(&self) -> Option<NeuronId> {
        self.traced
    }

    /// Records one step.
    pub fn record_step(&mut self, report: &StepReport, engine: &Simulation, selected: Option<NeuronId>) {
        let net = &engine.network;
        self.select(selected);
        let t = report.time_ms;
        for &id in &report.spikes {
            let i = id.index();
            if id.0 % self.raster_stride == 0 {
                self.raster.push_back((t, id.0));
            }
            let p = net.neurons.population[i].index();
            if let Some(c) = self.bin_counts.get_mut(p) {
                *c += 1;
            }
        }
        while self.raster.front().is_some_and(|&(ts, _)| ts < t - RASTER_WINDOW_MS) {
            self.raster.pop_front();
        }
        if let Some(sel) = self.traced {
            // The report's spikes are in ascending id order.
            if report.spikes.binary_search_by_key(&sel.0, |n| n.0).is_ok() {
                self.selected_spikes.push_back(t);
            }
            while self.selected_spikes.front().is_some_and(|&ts| ts < t - RASTER_WINDOW_MS) {
                self.selected_spikes.pop_front();
            }
        }
        if let Some(sel) = self.traced.filter(|_| self.trace_voltage)
            && let Some(&v) = net.neurons.v.get(sel.index())
        {
            if self.trace.len() == TRACE_LEN {
                self.trace.pop_front();
            }
            self.trace.push_back([t, v]);
        }
        if t >= self.bin_end_ms - 1e-9 {
            self.close_bin(net, report.step + 1, t);
        }
        if t >= self.next_weights_ms {
            self.sample_weights(engine, t);
            self.next_weights_ms = t + WEIGHT_INTERVAL_MS;
        }
    }

    /// Closes a rate and synchrony bin at grid index `now` (time `t`, ms).
    fn close_bin(&mut self, net: &Network, now: u64, t: f64) {
        for (p, seg_pop) in net.populations.iter().enumerate() {
            let size = seg_pop.size.max(1) as f64;
            let rate = self.bin_counts[p] as f64 / size / (BIN_MS / 1000.0);
            self.rates[p].push(t, rate);
            self.bin_counts[p] = 0;
            if let Some(r) = live_synchrony(net, PopulationId(p as u16), now) {
                self.sync[p].push(t, r);
            }
        }
        self.neuron_count.push(t, net.num_neurons() as f64);
        self.synapse_count.push(t, net.num_synapses() as f64);
        self.bin_end_ms = t + BIN_MS;
    }

    fn sample_weights(&mut self, engine: &Simulation, t: f64) {
        let syn = &engine.network.synapses;
        if syn.projection.is_empty() {
            return;
        }
        for (b, hist) in engine.synaptic.iter().zip(self.weights.iter_mut()) {
            let projection = b.scope().projection;
            let stride = (syn.len() / 500_000).max(1);
            if hist.w_hi <= 0.0 {
                // No declared bound: use the largest weight seen (fixed after the first sample).
                hist.w_hi = (0..syn.len())
                    .filter(|&s| syn.projection[s] == projection)
                    .map(|s| syn.weight[s].abs() as f64)
                    .fold(0.0, f64::max)
                    .max(1e-12)
                    * 1.5;
            }
            let sample: Vec<f64> = (0..syn.len())
                .step_by(stride)
                .filter(|&s| syn.projection[s] == projection)
                .map(|s| syn.weight[s].abs() as f64)
                .collect();
            if sample.is_empty() {
                continue;
            }
            let summary = weight_summary(&sample, hist.w_hi, WEIGHT_BINS);
            let mut column = [0f32; WEIGHT_BINS];
            for (c, &n) in column.iter_mut().zip(&summary.histogram) {
                *c = n as f32 / summary.count as f32;
            }
            if hist.columns.len() == WEIGHT_COLUMNS {
                hist.columns.pop_front();
            }
            hist.columns.push_back((t, column));
            hist.mean.push(t, summary.mean_fraction * hist.w_hi);
        }
    }
}

/// Kuramoto R of population `pop` at grid index `now`, over a sample of its neurons: each one's
/// phase extrapolated from its last inter-spike interval (the engine's two spike-time columns);
/// `None` while fewer than 8 neurons have a phase.
fn live_synchrony(net: &Network, pop: PopulationId, now: u64) -> Option<f64> {
    let size = net.populations[pop.index()].size as usize;
    let nn = &net.neurons;
    let phases: Vec<f64> = net
        .population_neurons(pop)
        .step_by(size.div_ceil(SYNC_SAMPLE).max(1))
        .filter_map(|i| live_phase(nn.prev_spike[i as usize], nn.last_spike[i as usize], now))
        .collect();
    (phases.len() >= 8).then(|| order_parameter(&phases))
}
