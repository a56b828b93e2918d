//! What the plots show, recorded as the network runs: a spike raster window, population rates,
//! live synchrony R(t), weight histograms over time, neuron/synapse counts and the voltage trace
//! of the selected neuron. Everything is bounded; nothing grows with run length.

use std::collections::VecDeque;

use crate::engine::Simulation;
use crate::sim::{Network, NeuronId, StepReport};

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
    traced: Option<NeuronId>,
    bin_counts: Vec<u64>,
    bin_end_ms: f64,
    next_weights_ms: f64,
    last_spike: Vec<u64>,
    prev_spike: Vec<u64>,
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
                .map(|b| WeightHistory { w_hi: b.w_max_engine().unwrap_or(0.0), ..Default::default() })
                .collect(),
            neuron_count: Series::default(),
            synapse_count: Series::default(),
            trace: VecDeque::new(),
            traced: None,
            bin_counts: vec![0; pops],
            bin_end_ms: net.time_ms() + BIN_MS,
            next_weights_ms: net.time_ms(),
            last_spike: vec![u64::MAX; n],
            prev_spike: vec![u64::MAX; n],
        }
    }

    /// Starts tracing a neuron's voltage (clears the old trace).
    pub fn select(&mut self, neuron: Option<NeuronId>) {
        if self.traced != neuron {
            self.trace.clear();
            self.traced = neuron;
        }
    }

    /// Records one step.
    pub fn record_step(&mut self, report: &StepReport, engine: &Simulation, selected: Option<NeuronId>) {
        let net = &engine.network;
        self.select(selected);
        let t = report.time_ms;
        let n = net.num_neurons();
        if self.last_spike.len() < n {
            self.last_spike.resize(n, u64::MAX);
            self.prev_spike.resize(n, u64::MAX);
        }
        for &id in &report.spikes {
            let i = id.index();
            if id.0 % self.raster_stride == 0 {
                self.raster.push_back((t, id.0));
            }
            let p = net.neurons.population[i].index();
            if let Some(c) = self.bin_counts.get_mut(p) {
                *c += 1;
            }
            self.prev_spike[i] = self.last_spike[i];
            self.last_spike[i] = report.step;
        }
        while self.raster.front().is_some_and(|&(ts, _)| ts < t - RASTER_WINDOW_MS) {
            self.raster.pop_front();
        }
        if let Some(sel) = self.traced
            && let Some(&v) = net.neurons.v.get(sel.index())
        {
            if self.trace.len() == TRACE_LEN {
                self.trace.pop_front();
            }
            self.trace.push_back([t, v]);
        }
        if t >= self.bin_end_ms - 1e-9 {
            self.close_bin(net, report.step, t);
        }
        if t >= self.next_weights_ms {
            self.sample_weights(engine, t);
            self.next_weights_ms = t + WEIGHT_INTERVAL_MS;
        }
    }

    fn close_bin(&mut self, net: &Network, step: u64, t: f64) {
        let dt = net.dt_ms();
        for (p, seg_pop) in net.populations.iter().enumerate() {
            let size = seg_pop.size.max(1) as f64;
            let rate = self.bin_counts[p] as f64 / size / (BIN_MS / 1000.0);
            self.rates[p].push(t, rate);
            self.bin_counts[p] = 0;
            if let Some(r) = self.order_parameter(net, p, step, dt) {
                self.sync[p].push(t, r);
            }
        }
        self.neuron_count.push(t, net.num_neurons() as f64);
        self.synapse_count.push(t, net.num_synapses() as f64);
        self.bin_end_ms = t + BIN_MS;
    }

    /// Kuramoto R of population `p` now: each sampled neuron's phase is the elapsed fraction of its
    /// last inter-spike interval (neurons silent for more than two intervals are left out).
    fn order_parameter(&self, net: &Network, p: usize, step: u64, _dt: f64) -> Option<f64> {
        let members: Vec<u32> =
            net.segments.iter().filter(|s| s.population.index() == p).flat_map(|s| s.start..s.end).collect();
        let stride = members.len().div_ceil(SYNC_SAMPLE).max(1);
        let (mut c, mut s, mut k) = (0.0f64, 0.0f64, 0u32);
        for &i in members.iter().step_by(stride) {
            let (last, prev) = (self.last_spike[i as usize], self.prev_spike[i as usize]);
            if last == u64::MAX || prev == u64::MAX || last <= prev {
                continue;
            }
            let isi = (last - prev) as f64;
            let elapsed = (step - last) as f64;
            if elapsed > 2.0 * isi {
                continue;
            }
            let phase = std::f64::consts::TAU * (elapsed / isi).min(1.0);
            c += phase.cos();
            s += phase.sin();
            k += 1;
        }
        (k >= 8).then(|| (c * c + s * s).sqrt() / k as f64)
    }

    fn sample_weights(&mut self, engine: &Simulation, t: f64) {
        let syn = &engine.network.synapses;
        if syn.projection.is_empty() {
            return;
        }
        for (b, hist) in engine.synaptic.iter().zip(self.weights.iter_mut()) {
            let projection = b.scope().projection;
            let stride = (syn.len() / 500_000).max(1);
            let mut counts = [0u32; WEIGHT_BINS];
            let (mut sum, mut k) = (0.0f64, 0u64);
            if hist.w_hi <= 0.0 {
                // No declared bound: use the largest weight seen (fixed after the first sample).
                hist.w_hi = (0..syn.len())
                    .filter(|&s| syn.projection[s] == projection)
                    .map(|s| syn.weight[s].abs() as f64)
                    .fold(0.0, f64::max)
                    .max(1e-12)
                    * 1.5;
            }
            for s in (0..syn.len()).step_by(stride) {
                if syn.projection[s] != projection {
                    continue;
                }
                let w = syn.weight[s].abs() as f64;
                let bin = ((w / hist.w_hi) * WEIGHT_BINS as f64).floor().clamp(0.0, (WEIGHT_BINS - 1) as f64) as usize;
                counts[bin] += 1;
                sum += w;
                k += 1;
            }
            if k == 0 {
                continue;
            }
            let mut column = [0f32; WEIGHT_BINS];
            for (c, &n) in column.iter_mut().zip(&counts) {
                *c = n as f32 / k as f32;
            }
            if hist.columns.len() == WEIGHT_COLUMNS {
                hist.columns.pop_front();
            }
            hist.columns.push_back((t, column));
            hist.mean.push(t, sum / k as f64);
        }
    }

    /// The step of neuron `i`'s latest spike (`u64::MAX`: none yet).
    pub fn last_spike_step(&self, i: usize) -> u64 {
        self.last_spike.get(i).copied().unwrap_or(u64::MAX)
    }
}
