//! The network: neurons as struct-of-arrays, synapses in CSR order by presynaptic neuron, the
//! delay ring, gap junctions and inputs, and the step that advances them all by `dt`.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::ids::{NeuronId, PopulationId, SynapseId};
use super::inputs::{Input, Receptor};
use super::models::{Kernel, NeuronModel, NeuronSlices, ParamError};
use super::report::StepReport;
use super::rng::{CounterRng, stream};

/// Neurons per parallel work item. Chunk boundaries never depend on the thread count, and spikes
/// are gathered in chunk order, so results are identical for any number of threads.
pub const CHUNK: usize = 4096;

/// Below this many neurons in a population the step stays on the calling thread: a rayon
/// fork/join costs a few microseconds, more than updating a few thousand neurons.
pub const PARALLEL_MIN_NEURONS: usize = 4 * CHUNK;

/// A named group of neurons sharing one model.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Population {
    /// Name used by scenes and the UI.
    pub name: String,
    /// Model and parameters.
    pub model: NeuronModel,
    /// Constants precomputed from `model` for the network's `dt`.
    pub kernel: Kernel,
    /// Number of neurons that belong to it.
    pub size: u32,
}

/// A contiguous run of neuron ids belonging to one population.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Segment {
    /// First neuron id.
    pub start: u32,
    /// One past the last neuron id.
    pub end: u32,
    /// Owning population.
    pub population: PopulationId,
}

/// Per-neuron state columns, indexed by `NeuronId`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Neurons {
    /// Membrane potential (mV).
    pub v: Vec<f64>,
    /// Excitatory synaptic current (pA) or conductance (nS).
    pub syn_ex: Vec<f64>,
    /// Inhibitory synaptic current (pA) or conductance (nS).
    pub syn_in: Vec<f64>,
    /// Adaptation (Izhikevich u, AdEx w).
    pub adapt: Vec<f64>,
    /// Remaining refractory steps.
    pub refractory: Vec<u32>,
    /// Grid index (time / dt) of the last spike; `u64::MAX` if it never spiked.
    pub last_spike: Vec<u64>,
    /// Owning population.
    pub population: Vec<PopulationId>,
    /// Position in space (µm), for layouts, distance rules and the 3D view.
    pub position: Vec<[f32; 3]>,
    /// Current injected by `Current` inputs (pA), refreshed when one starts or stops.
    pub i_inj: Vec<f64>,
}

/// Synapses in CSR order by presynaptic neuron: the outgoing synapses of neuron `i` occupy
/// `row_start[i]..row_start[i + 1]`. Several synapses may join the same pair (multapses).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Synapses {
    /// Row offsets, one per neuron plus one.
    pub row_start: Vec<u64>,
    /// Postsynaptic neuron shifted left by one, with the receptor (0 exc., 1 inh.) in the low bit:
    /// the index into the interleaved per-neuron input.
    pub target: Vec<u32>,
    /// Weight in the target's synaptic unit (pA for currents, nS for conductances).
    pub weight: Vec<f32>,
    /// Delay in steps; empty when every delay is 0 (saves 2 bytes a synapse).
    pub delay: Vec<u16>,
}

impl Synapses {
    /// Number of synapses.
    pub fn len(&self) -> usize {
        self.target.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.target.is_empty()
    }

    /// The postsynaptic neuron of synapse slot `s`.
    #[inline(always)]
    pub fn post(&self, s: usize) -> NeuronId {
        NeuronId(self.target[s] >> 1)
    }

    /// The receptor of synapse slot `s`.
    #[inline(always)]
    pub fn receptor(&self, s: usize) -> Receptor {
        if self.target[s] & 1 == 0 { Receptor::Excitatory } else { Receptor::Inhibitory }
    }

    /// The delay of synapse slot `s` in steps.
    #[inline(always)]
    pub fn delay_steps(&self, s: usize) -> u16 {
        if self.delay.is_empty() { 0 } else { self.delay[s] }
    }

    /// The presynaptic neuron of synapse slot `s` (binary search over the row offsets).
    pub fn pre(&self, s: usize) -> NeuronId {
        let row = self.row_start.partition_point(|&r| r <= s as u64) - 1;
        NeuronId(row as u32)
    }

    /// The slots of the outgoing synapses of `pre`.
    pub fn row(&self, pre: NeuronId) -> std::ops::Range<usize> {
        self.row_start[pre.index()] as usize..self.row_start[pre.index() + 1] as usize
    }
}

/// Electrical couplings, stored symmetrically in CSR order: I_i = Σ_j g_ij (V_j − V_i).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct GapJunctions {
    /// Row offsets, one per neuron plus one (empty when there are no couplings).
    pub row_start: Vec<u64>,
    /// Coupled neuron.
    pub partner: Vec<u32>,
    /// Coupling conductance (nS).
    pub g_ns: Vec<f32>,
}

/// A spiking network and everything needed to advance it deterministically.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Network {
    dt_ms: f64,
    seed: u64,
    step: u64,
    /// Population table.
    pub populations: Vec<Population>,
    /// Contiguous runs of neuron ids by population, in id order.
    pub segments: Vec<Segment>,
    /// Neuron state.
    pub neurons: Neurons,
    /// Chemical synapses.
    pub synapses: Synapses,
    /// Electrical couplings.
    pub gap_junctions: GapJunctions,
    /// External drive.
    pub inputs: Vec<Input>,
    /// Slots in the delay ring (a power of two above the largest delay).
    ring_len: usize,
    /// Synaptic input waiting for delivery: `ring_len` slots of interleaved (exc, inh) per neuron.
    inbox: Vec<f32>,
    #[serde(skip)]
    scratch: Scratch,
}

/// Buffers reused by every step; rebuilt on load, never saved.
#[derive(Clone, Debug, Default)]
struct Scratch {
    /// Spikes found by each chunk of each segment.
    chunk_spikes: Vec<Vec<u32>>,
    /// Current from inputs plus gap junctions for this step (pA).
    i_ext: Vec<f64>,
    /// Whether `i_ext` must be rebuilt every step (gap junctions present).
    gap_each_step: bool,
    /// Whether `i_ext` reflects the inputs active at the current step.
    i_ext_valid: bool,
}

impl PartialEq for Scratch {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

/// Errors from building or editing a network.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum NetworkError {
    /// A model parameter is invalid.
    #[error(transparent)]
    Param(#[from] ParamError),
    /// A neuron id does not exist.
    #[error("neuron {0} does not exist (the network has {1})")]
    NoSuchNeuron(u32, usize),
    /// A structural inconsistency.
    #[error("{0}")]
    Invalid(String),
}

impl Network {
    /// An empty network with time step `dt_ms` and random seed `seed`.
    pub fn new(dt_ms: f64, seed: u64) -> Result<Self, NetworkError> {
        if !(dt_ms.is_finite() && dt_ms > 0.0) {
            return Err(NetworkError::Invalid(format!("dt must be a positive number of ms, got {dt_ms}")));
        }
        Ok(Self {
            dt_ms,
            seed,
            step: 0,
            populations: Vec::new(),
            segments: Vec::new(),
            neurons: Neurons::default(),
            synapses: Synapses { row_start: vec![0], ..Default::default() },
            gap_junctions: GapJunctions::default(),
            inputs: Vec::new(),
            ring_len: 1,
            inbox: Vec::new(),
            scratch: Scratch::default(),
        })
    }

    /// Time step (ms).
    pub fn dt_ms(&self) -> f64 {
        self.dt_ms
    }

    /// The seed every random draw is keyed by.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// Steps taken so far.
    pub fn step_count(&self) -> u64 {
        self.step
    }

    /// Biological time reached (ms).
    pub fn time_ms(&self) -> f64 {
        self.step as f64 * self.dt_ms
    }

    /// Number of neurons.
    pub fn num_neurons(&self) -> usize {
        self.neurons.v.len()
    }

    /// Number of chemical synapses.
    pub fn num_synapses(&self) -> usize {
        self.synapses.len()
    }

    /// The stable id of the synapse in CSR slot `slot`. Slots and ids coincide until structural
    /// plasticity reorders synapses, which keeps an id map.
    pub fn synapse_id(&self, slot: usize) -> SynapseId {
        SynapseId(slot as u32)
    }

    /// Appends a population of `positions.len()` neurons with initial membrane potentials `v0`
    /// and synaptic variables `syn0` = (exc, inh); returns its id range.
    pub fn add_population(
        &mut self,
        name: &str,
        model: NeuronModel,
        positions: Vec<[f32; 3]>,
        v0: Vec<f64>,
        syn0: Vec<(f64, f64)>,
    ) -> Result<std::ops::Range<u32>, NetworkError> {
        model.validate()?;
        let n = positions.len();
        if v0.len() != n || syn0.len() != n {
            return Err(NetworkError::Invalid("initial state does not match the population size".into()));
        }
        let start = self.num_neurons();
        if start + n >= (1 << 31) {
            return Err(NetworkError::Invalid("more than 2^31 neurons".into()));
        }
        let pid = PopulationId(self.populations.len() as u16);
        let nn = &mut self.neurons;
        for ((p, v), (ex, inh)) in positions.into_iter().zip(v0).zip(syn0) {
            nn.adapt.push(model.initial_adaptation(v));
            nn.v.push(v);
            nn.syn_ex.push(ex);
            nn.syn_in.push(inh);
            nn.refractory.push(0);
            nn.last_spike.push(u64::MAX);
            nn.population.push(pid);
            nn.position.push(p);
            nn.i_inj.push(0.0);
        }
        let end = start + n;
        self.segments.push(Segment { start: start as u32, end: end as u32, population: pid });
        let kernel = model.kernel(self.dt_ms);
        self.populations.push(Population { name: name.to_string(), model, kernel, size: n as u32 });
        // Extend the (still empty) synapse rows.
        let last = *self.synapses.row_start.last().unwrap_or(&0);
        self.synapses.row_start.resize(end + 1, last);
        self.prepare();
        Ok(start as u32..end as u32)
    }

    /// Replaces all chemical synapses (rows must cover every neuron).
    pub fn set_synapses(&mut self, synapses: Synapses) -> Result<(), NetworkError> {
        let n = self.num_neurons();
        let s = &synapses;
        if s.row_start.len() != n + 1 || *s.row_start.last().unwrap_or(&0) as usize != s.target.len() {
            return Err(NetworkError::Invalid("synapse rows do not cover the neurons".into()));
        }
        if s.weight.len() != s.target.len() || !(s.delay.is_empty() || s.delay.len() == s.target.len()) {
            return Err(NetworkError::Invalid("synapse columns differ in length".into()));
        }
        if let Some(&t) = s.target.iter().find(|&&t| (t >> 1) as usize >= n) {
            return Err(NetworkError::NoSuchNeuron(t >> 1, n));
        }
        if let Some(w) = s.weight.iter().find(|w| !w.is_finite()) {
            return Err(NetworkError::Invalid(format!("synaptic weight {w} is not finite")));
        }
        self.synapses = synapses;
        self.prepare();
        Ok(())
    }

    /// Replaces the electrical couplings with the symmetric pairs `(i, j, g_ns)`.
    pub fn set_gap_junctions(&mut self, pairs: &[(u32, u32, f32)]) -> Result<(), NetworkError> {
        let n = self.num_neurons();
        let mut counts = vec![0u64; n + 1];
        for &(i, j, g) in pairs {
            for k in [i, j] {
                if k as usize >= n {
                    return Err(NetworkError::NoSuchNeuron(k, n));
                }
            }
            if !(g.is_finite() && g >= 0.0) {
                return Err(NetworkError::Invalid(format!("gap-junction conductance {g} nS must be >= 0")));
            }
            counts[i as usize + 1] += 1;
            counts[j as usize + 1] += 1;
        }
        for k in 1..=n {
            counts[k] += counts[k - 1];
        }
        let mut fill = counts.clone();
        let mut partner = vec![0u32; 2 * pairs.len()];
        let mut g_ns = vec![0f32; 2 * pairs.len()];
        for &(i, j, g) in pairs {
            for (a, b) in [(i, j), (j, i)] {
                let slot = fill[a as usize] as usize;
                partner[slot] = b;
                g_ns[slot] = g;
                fill[a as usize] += 1;
            }
        }
        self.gap_junctions =
            if pairs.is_empty() { GapJunctions::default() } else { GapJunctions { row_start: counts, partner, g_ns } };
        self.prepare();
        Ok(())
    }

    /// Adds an external input (targets must exist).
    pub fn add_input(&mut self, input: Input) -> Result<(), NetworkError> {
        let n = self.num_neurons();
        let check = |t: &[u32]| t.iter().find(|&&t| t as usize >= n).map(|&t| NetworkError::NoSuchNeuron(t, n));
        let bad = match &input {
            Input::Current(c) => check(&c.targets).or_else(|| {
                (!c.amplitude_pa.is_finite()).then(|| NetworkError::Invalid("current amplitude is not finite".into()))
            }),
            Input::Poisson(p) => check(&p.targets).or_else(|| {
                (!(p.lambda.is_finite() && p.lambda >= 0.0 && p.weight.is_finite()))
                    .then(|| NetworkError::Invalid("Poisson input rate or weight is not a valid number".into()))
            }),
            Input::SpikeList(s) => {
                let targets: Vec<u32> = s.events.iter().map(|e| e.1).collect();
                check(&targets).or_else(|| {
                    (!s.events.is_sorted_by_key(|e| e.0))
                        .then(|| NetworkError::Invalid("spike list is not sorted by time".into()))
                })
            }
        };
        if let Some(e) = bad {
            return Err(e);
        }
        self.inputs.push(input);
        self.scratch.i_ext_valid = false;
        Ok(())
    }

    /// Replaces the model parameters of population `pop`; takes effect on the next step. The
    /// network is untouched if they are invalid or change the kind of model.
    pub fn set_model(&mut self, pop: PopulationId, model: NeuronModel) -> Result<(), NetworkError> {
        model.validate()?;
        let p = self
            .populations
            .get_mut(pop.index())
            .ok_or_else(|| NetworkError::Invalid(format!("population {} does not exist", pop.0)))?;
        if std::mem::discriminant(&p.model) != std::mem::discriminant(&model) {
            return Err(NetworkError::Invalid(format!(
                "population `{}` is {}, not {}",
                p.name,
                p.model.name(),
                model.name()
            )));
        }
        p.kernel = model.kernel(self.dt_ms);
        p.model = model;
        Ok(())
    }

    /// Looks a population up by name.
    pub fn population_by_name(&self, name: &str) -> Option<PopulationId> {
        self.populations.iter().position(|p| p.name == name).map(|i| PopulationId(i as u16))
    }

    /// The neuron ids of a population.
    pub fn population_neurons(&self, pop: PopulationId) -> impl Iterator<Item = u32> + '_ {
        self.segments.iter().filter(move |s| s.population == pop).flat_map(|s| s.start..s.end)
    }

    /// Rebuilds the delay ring and the step's scratch buffers after a structural change or a load.
    /// Pending synaptic input survives.
    pub fn prepare(&mut self) {
        let n = self.num_neurons();
        let max_delay = self.synapses.delay.iter().copied().max().unwrap_or(0) as usize;
        let ring_len = (max_delay + 1).next_power_of_two();
        if ring_len != self.ring_len || self.inbox.len() != ring_len * 2 * n {
            let mut inbox = vec![0f32; ring_len * 2 * n];
            let old_n = if self.ring_len > 0 { self.inbox.len() / (2 * self.ring_len) } else { 0 };
            // Keep what is already scheduled, slot by absolute step.
            for k in 0..self.ring_len.min(ring_len) {
                let abs = self.step + k as u64;
                let (src, dst) = ((abs as usize) & (self.ring_len - 1), (abs as usize) & (ring_len - 1));
                let m = 2 * old_n.min(n);
                inbox[dst * 2 * n..dst * 2 * n + m].copy_from_slice(&self.inbox[src * 2 * old_n..src * 2 * old_n + m]);
            }
            self.inbox = inbox;
            self.ring_len = ring_len;
        }
        let chunks: usize = self.segments.iter().map(|s| ((s.end - s.start) as usize).div_ceil(CHUNK)).sum();
        self.scratch.chunk_spikes = (0..chunks).map(|_| Vec::with_capacity(CHUNK)).collect();
        self.scratch.i_ext = vec![0.0; n];
        self.scratch.gap_each_step = !self.gap_junctions.partner.is_empty();
        self.scratch.i_ext_valid = false;
    }

    /// Recomputes the injected current of every `Current` input active at the current step.
    fn refresh_injected_current(&mut self) {
        let step = self.step;
        self.neurons.i_inj.fill(0.0);
        for input in &self.inputs {
            if let Input::Current(c) = input
                && c.active_at(step)
            {
                for &t in &c.targets {
                    self.neurons.i_inj[t as usize] += c.amplitude_pa;
                }
            }
        }
    }

    /// Whether some current input starts or stops at the current step.
    fn current_changes_now(&self) -> bool {
        let step = self.step;
        self.inputs.iter().any(|i| matches!(i, Input::Current(c) if c.start_step == step || c.stop_step == Some(step)))
    }

    /// Advances the network by one `dt`: injected and gap currents, neuron update (parallel over
    /// chunks for large populations), spike gathering, propagation through the delay ring, and
    /// input spikes. Fills `report`; allocates nothing once the network is prepared.
    pub fn step(&mut self, report: &mut StepReport) {
        if self.scratch.chunk_spikes.is_empty() && !self.segments.is_empty() {
            self.prepare();
        }
        let step = self.step;
        let n = self.num_neurons();

        // 1. Injected current (event-driven: only when an input starts or stops) and gap junctions.
        if !self.scratch.i_ext_valid || self.current_changes_now() {
            self.refresh_injected_current();
            self.scratch.i_ext.copy_from_slice(&self.neurons.i_inj);
            self.scratch.i_ext_valid = true;
        }
        if self.scratch.gap_each_step {
            let gj = &self.gap_junctions;
            let v = &self.neurons.v;
            for (i, out) in self.scratch.i_ext.iter_mut().enumerate() {
                let mut sum = 0.0;
                for k in gj.row_start[i] as usize..gj.row_start[i + 1] as usize {
                    sum += gj.g_ns[k] as f64 * (v[gj.partner[k] as usize] - v[i]);
                }
                *out = self.neurons.i_inj[i] + sum;
            }
        }

        // 2. Neuron update, segment by segment; input delivered at the end of the previous step
        //    is read (and cleared) from its ring slot.
        let slot_prev = ((step + self.ring_len as u64 - 1) as usize) & (self.ring_len - 1);
        let inbox_prev = &mut self.inbox[slot_prev * 2 * n..(slot_prev + 1) * 2 * n];
        let threads = rayon::current_num_threads();
        let mut chunk_offset = 0;
        for seg in &self.segments {
            let (a, b) = (seg.start as usize, seg.end as usize);
            let kernel = &self.populations[seg.population.index()].kernel;
            let nchunks = (b - a).div_ceil(CHUNK);
            let bufs = &mut self.scratch.chunk_spikes[chunk_offset..chunk_offset + nchunks];
            chunk_offset += nchunks;
            let nn = &mut self.neurons;
            let seed = self.seed;
            let run = |c: usize,
                       v: &mut [f64],
                       ex: &mut [f64],
                       inh: &mut [f64],
                       ad: &mut [f64],
                       rf: &mut [u32],
                       ie: &[f64],
                       ib: &mut [f32],
                       buf: &mut Vec<u32>| {
                buf.clear();
                let slices =
                    NeuronSlices { v, syn_ex: ex, syn_in: inh, adapt: ad, refractory: rf, i_ext: ie, inbox: ib };
                kernel.update(slices, (a + c * CHUNK) as u32, seed, step, buf);
            };
            let (v, ex, inh, ad, rf) = (
                &mut nn.v[a..b],
                &mut nn.syn_ex[a..b],
                &mut nn.syn_in[a..b],
                &mut nn.adapt[a..b],
                &mut nn.refractory[a..b],
            );
            let (ie, ib) = (&self.scratch.i_ext[a..b], &mut inbox_prev[2 * a..2 * b]);
            if threads > 1 && b - a >= PARALLEL_MIN_NEURONS {
                v.par_chunks_mut(CHUNK)
                    .zip(ex.par_chunks_mut(CHUNK))
                    .zip(inh.par_chunks_mut(CHUNK))
                    .zip(ad.par_chunks_mut(CHUNK))
                    .zip(rf.par_chunks_mut(CHUNK))
                    .zip(ie.par_chunks(CHUNK))
                    .zip(ib.par_chunks_mut(2 * CHUNK))
                    .zip(bufs.par_iter_mut())
                    .enumerate()
                    .for_each(|(c, (((((((v, ex), inh), ad), rf), ie), ib), buf))| {
                        run(c, v, ex, inh, ad, rf, ie, ib, buf)
                    });
            } else {
                v.chunks_mut(CHUNK)
                    .zip(ex.chunks_mut(CHUNK))
                    .zip(inh.chunks_mut(CHUNK))
                    .zip(ad.chunks_mut(CHUNK))
                    .zip(rf.chunks_mut(CHUNK))
                    .zip(ie.chunks(CHUNK))
                    .zip(ib.chunks_mut(2 * CHUNK))
                    .zip(bufs.iter_mut())
                    .enumerate()
                    .for_each(|(c, (((((((v, ex), inh), ad), rf), ie), ib), buf))| {
                        run(c, v, ex, inh, ad, rf, ie, ib, buf)
                    });
            }
        }

        // 3. Gather spikes in id order.
        report.spikes.clear();
        report.step = step;
        report.time_ms = (step + 1) as f64 * self.dt_ms;
        for buf in &self.scratch.chunk_spikes {
            for &id in buf {
                report.spikes.push(NeuronId(id));
                self.neurons.last_spike[id as usize] = step + 1;
            }
        }

        // 4. Event-driven propagation into the delay ring: a delay of d steps lands at the end of
        //    step + d (d = 0: before the next update).
        let mask = self.ring_len - 1;
        let syn = &self.synapses;
        if syn.delay.is_empty() {
            let base = (step as usize & mask) * 2 * n;
            let slot = &mut self.inbox[base..base + 2 * n];
            for id in &report.spikes {
                let r = syn.row(*id);
                for (t, w) in syn.target[r.clone()].iter().zip(&syn.weight[r]) {
                    slot[*t as usize] += *w;
                }
            }
        } else {
            for id in &report.spikes {
                for s in syn.row(*id) {
                    let slot = (step as usize + syn.delay[s] as usize) & mask;
                    self.inbox[slot * 2 * n + syn.target[s] as usize] += syn.weight[s];
                }
            }
        }

        // 5. External spikes arrive at the end of this step.
        let base = (step as usize & mask) * 2 * n;
        for (k, input) in self.inputs.iter_mut().enumerate() {
            match input {
                Input::Poisson(p) => {
                    let r = p.receptor.index() as usize;
                    for &t in &p.targets {
                        let mut rng = CounterRng::new(self.seed, step, t as u64, stream::POISSON_INPUT + k as u64);
                        let count = rng.poisson(p.lambda);
                        if count > 0 {
                            self.inbox[base + 2 * t as usize + r] += count as f32 * p.weight;
                        }
                    }
                }
                Input::SpikeList(s) => {
                    let r = s.receptor.index() as usize;
                    while s.cursor < s.events.len() && s.events[s.cursor].0 <= step {
                        let (at, t) = s.events[s.cursor];
                        if at == step {
                            self.inbox[base + 2 * t as usize + r] += s.weight;
                        }
                        s.cursor += 1;
                    }
                }
                Input::Current(_) => {}
            }
        }

        self.step += 1;
    }

    /// Runs `steps` steps, calling `on_step` after each with its report.
    pub fn run(&mut self, steps: u64, report: &mut StepReport, mut on_step: impl FnMut(&StepReport)) {
        for _ in 0..steps {
            self.step(report);
            on_step(report);
        }
    }
}
