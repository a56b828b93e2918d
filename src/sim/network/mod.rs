//! The network: neurons as struct-of-arrays, synapses in CSR order by presynaptic neuron, the
//! delay ring, gap junctions and inputs, and the step that advances them all by `dt`.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::columns::{ColumnPointers, NeuronValues, Neurons};
use super::ids::{NeuronId, PopulationId, SynapseId};
use super::inputs::{Input, Receptor};
use super::models::{Kernel, NeuronModel, NeuronSlices, ParamError};
use super::report::{StepReport, StructuralEvent};
use super::rng::{CounterRng, stream};

mod csr_merge;
mod structure;
mod synapse_index;

pub use structure::SynapseView;
use synapse_index::SynapseIndex;

/// Neurons per parallel work item. Chunk boundaries never depend on the thread count, and spikes
/// are gathered in chunk order, so results are identical for any number of threads.
pub const CHUNK: usize = 4096;

/// Below this many neurons the step stays on the calling thread: a rayon fork/join costs
/// microseconds, more than updating a few thousand neurons. For the fork/join to be cheap, step
/// from inside the pool (`ThreadPool::install`), as the CLI does.
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

/// The neuron ids of population `pop` in `segments`, in id order.
pub fn members(segments: &[Segment], pop: PopulationId) -> impl Iterator<Item = u32> + '_ {
    segments.iter().filter(move |s| s.population == pop).flat_map(|s| s.start..s.end)
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
    /// Index of the projection each synapse belongs to; empty when no projection is plastic (the
    /// learning rules need it, plain simulation does not).
    #[serde(default)]
    pub projection: Vec<u16>,
    /// The stable id of each slot; empty while ids and slots coincide (no structural edit yet).
    #[serde(default)]
    pub id: Vec<u32>,
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

    /// The stable id of the synapse in slot `s`.
    #[inline(always)]
    pub fn id_at(&self, s: usize) -> SynapseId {
        SynapseId(if self.id.is_empty() { s as u32 } else { self.id[s] })
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
    /// Live synapse ids → CSR slots; empty while ids and slots coincide. Rebuilt from the id column
    /// on load, so snapshots do not carry it.
    #[serde(skip)]
    synapse_index: SynapseIndex,
    /// The id the next new synapse gets.
    next_synapse_id: u32,
    /// Whether the neuron update adds `neurons.theta` to the thresholds (intrinsic plasticity).
    #[serde(default)]
    theta_active: bool,
    /// Slots in the delay ring (a power of two above the largest delay; 1 and no ring when every
    /// delay is 0).
    ring_len: usize,
    /// Delayed synaptic input waiting for delivery: `ring_len` slots of interleaved (exc, inh) per
    /// neuron; empty when every delay is 0.
    inbox: Vec<f32>,
    /// Structural events from edits made between steps, handed to the next step's report.
    #[serde(skip)]
    pending_events: Vec<StructuralEvent>,
    #[serde(skip)]
    scratch: Scratch,
}

/// One parallel work item: up to [`CHUNK`] neurons of one segment.
#[derive(Clone, Copy, Debug)]
struct Work {
    start: usize,
    end: usize,
    population: usize,
}

/// Buffers reused by every step; rebuilt on load, never saved.
#[derive(Clone, Debug, Default)]
struct Scratch {
    /// The neuron update's work items, in id order (chunk boundaries never depend on threads).
    work: Vec<Work>,
    /// Spikes found by each work item.
    chunk_spikes: Vec<Vec<u32>>,
    /// Whether any neuron receives a nonzero external current this step.
    ext_active: bool,
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

/// The id index of a synapse id column (empty while ids are slots); refuses an id used twice.
fn index_of(id_column: &[u32]) -> Result<SynapseIndex, NetworkError> {
    if id_column.is_empty() {
        return Ok(SynapseIndex::default());
    }
    SynapseIndex::build(id_column).map_err(|id| NetworkError::Invalid(format!("synapse id {id} is used twice")))
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
            synapse_index: SynapseIndex::default(),
            next_synapse_id: 0,
            theta_active: false,
            ring_len: 1,
            inbox: Vec::new(),
            pending_events: Vec::new(),
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

    /// The stable id of the synapse in CSR slot `slot`. Slots and ids coincide until the first
    /// structural edit; from then on an id map keeps every id attached to its synapse.
    pub fn synapse_id(&self, slot: usize) -> SynapseId {
        self.synapses.id_at(slot)
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
        for ((p, v), syn) in positions.into_iter().zip(v0).zip(syn0) {
            nn.push(NeuronValues::at_rest(pid, p, v, syn, model.initial_adaptation(v)));
        }
        let end = start + n;
        self.segments.push(Segment { start: start as u32, end: end as u32, population: pid });
        let kernel = model.kernel(self.dt_ms);
        self.populations.push(Population { name: name.to_string(), model, kernel, size: n as u32 });
        // Extend the synapse rows (the new neurons have none yet).
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
        let optional_ok = |len: usize| len == 0 || len == s.target.len();
        if s.weight.len() != s.target.len() || !optional_ok(s.delay.len()) || !optional_ok(s.projection.len()) {
            return Err(NetworkError::Invalid("synapse columns differ in length".into()));
        }
        if let Some(&t) = s.target.iter().find(|&&t| (t >> 1) as usize >= n) {
            return Err(NetworkError::NoSuchNeuron(t >> 1, n));
        }
        if let Some(w) = s.weight.iter().find(|w| !w.is_finite()) {
            return Err(NetworkError::Invalid(format!("synaptic weight {w} is not finite")));
        }
        if !optional_ok(s.id.len()) {
            return Err(NetworkError::Invalid("synapse id column differs in length".into()));
        }
        // Built before anything changes, so a refused table leaves the network as it was.
        self.synapse_index = index_of(&s.id)?;
        self.next_synapse_id = s.id.iter().copied().max().map_or(s.len() as u32, |m| m + 1);
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
            Input::Reward(r) => (!(r.events.is_sorted_by_key(|e| e.0) && r.events.iter().all(|e| e.1.is_finite())))
                .then(|| NetworkError::Invalid("reward events must be sorted and finite".into())),
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
        let redraw = matches!(model, NeuronModel::PoissonSource { .. });
        p.model = model;
        if redraw {
            // Pending spikes were drawn at the old rate; a Poisson process is memoryless, so
            // drawing afresh from the next step is exact.
            for i in members(&self.segments, pop) {
                self.neurons.adapt[i as usize] = super::models::POISSON_UNDRAWN;
            }
        }
        Ok(())
    }

    /// Looks a population up by name.
    pub fn population_by_name(&self, name: &str) -> Option<PopulationId> {
        self.populations.iter().position(|p| p.name == name).map(|i| PopulationId(i as u16))
    }

    /// The neuron ids of a population, in id order.
    pub fn population_neurons(&self, pop: PopulationId) -> impl Iterator<Item = u32> + '_ {
        members(&self.segments, pop)
    }

    /// Rebuilds what a decoded snapshot does not carry (the synapse id index); fails if the id
    /// column names an id twice.
    pub fn reindex(&mut self) -> Result<(), NetworkError> {
        self.synapse_index = index_of(&self.synapses.id)?;
        Ok(())
    }

    /// Rebuilds the delay ring and the step's scratch buffers after a structural change or a load.
    /// Pending synaptic input survives.
    pub fn prepare(&mut self) {
        let n = self.num_neurons();
        let max_delay = self.synapses.delay.iter().copied().max().unwrap_or(0) as usize;
        let ring_len = (max_delay + 1).next_power_of_two();
        let inbox_len = if ring_len > 1 { ring_len * 2 * n } else { 0 };
        if ring_len != self.ring_len || self.inbox.len() != inbox_len {
            let mut inbox = vec![0f32; inbox_len];
            let old_n = self.inbox.len() / (2 * self.ring_len);
            // Keep what is already scheduled, slot by absolute step: from the slot the next step
            // reads first (the end of the previous step) onwards. Ring lengths are powers of two,
            // so wrapping arithmetic keeps the slot of step 0's "previous step" right too.
            for k in 0..self.ring_len.min(ring_len) * usize::from(old_n > 0 && inbox_len > 0) {
                let abs = self.step.wrapping_sub(1).wrapping_add(k as u64);
                let (src, dst) = ((abs as usize) & (self.ring_len - 1), (abs as usize) & (ring_len - 1));
                let m = 2 * old_n.min(n);
                inbox[dst * 2 * n..dst * 2 * n + m].copy_from_slice(&self.inbox[src * 2 * old_n..src * 2 * old_n + m]);
            }
            self.inbox = inbox;
            self.ring_len = ring_len;
        }
        self.scratch.work = self
            .segments
            .iter()
            .flat_map(|s| {
                (s.start as usize..s.end as usize).step_by(CHUNK).map(move |a| Work {
                    start: a,
                    end: (a + CHUNK).min(s.end as usize),
                    population: s.population.index(),
                })
            })
            .collect();
        self.scratch.chunk_spikes = self.scratch.work.iter().map(|w| Vec::with_capacity(w.end - w.start)).collect();
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

    /// Whether the step's buffers must be rebuilt (after a load) before the next step.
    pub fn needs_prepare(&self) -> bool {
        self.scratch.chunk_spikes.is_empty() && !self.segments.is_empty()
    }

    /// Advances the network by one `dt`: injected and gap currents, neuron update (parallel over
    /// chunks for large populations), spike gathering, propagation through the delay ring, and
    /// input spikes. Fills `report` (its structural events are left to the caller, see
    /// [`Network::step`]); allocates nothing once the network is prepared.
    pub fn step(&mut self, report: &mut StepReport) {
        report.events.clear();
        report.events.append(&mut self.pending_events);
        self.advance(report);
    }

    /// Moves the structural events of edits made since the last step into `events`.
    pub fn take_pending_events(&mut self, events: &mut Vec<StructuralEvent>) {
        events.append(&mut self.pending_events);
    }

    /// [`Network::step`] without touching `report.events`: for a caller that reports structural
    /// events of its own in the same step.
    pub fn advance(&mut self, report: &mut StepReport) {
        if self.needs_prepare() {
            self.prepare();
        }
        let step = self.step;
        report.rewards.clear();
        let n = self.num_neurons();

        // 1. Injected current (event-driven: only when an input starts or stops) and gap junctions.
        if !self.scratch.i_ext_valid || self.current_changes_now() {
            self.refresh_injected_current();
            self.scratch.i_ext.copy_from_slice(&self.neurons.i_inj);
            self.scratch.i_ext_valid = true;
            self.scratch.ext_active = self.scratch.gap_each_step || self.neurons.i_inj.iter().any(|&x| x != 0.0);
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

        // 2. Neuron update over work items (in parallel for large networks); input delivered at
        //    the end of the previous step is read (and cleared) from its ring slot.
        let slot_prev = ((step + self.ring_len as u64 - 1) as usize) & (self.ring_len - 1);
        let inbox = (self.ring_len > 1).then(|| &mut self.inbox[slot_prev * 2 * n..(slot_prev + 1) * 2 * n]);
        let columns = ColumnPointers::of(&mut self.neurons, inbox);
        let i_ext = self.scratch.ext_active.then_some(&self.scratch.i_ext[..]);
        let theta = self.theta_active.then_some(&self.neurons.theta[..]);
        let (populations, seed) = (&self.populations, self.seed);
        let body = |(w, buf): (&Work, &mut Vec<u32>)| {
            buf.clear();
            // SAFETY: work items cover disjoint index ranges inside 0..n (built by `prepare`), so
            // each call gets exclusive access to its part of every column.
            let (state, inbox) = unsafe { columns.slices(w.start, w.end) };
            let (i_ext, theta) = (i_ext.map(|x| &x[w.start..w.end]), theta.map(|x| &x[w.start..w.end]));
            let slices = NeuronSlices { state, i_ext, theta, inbox };
            populations[w.population].kernel.update(slices, w.start as u32, seed, step, buf);
        };
        let work = &self.scratch.work;
        let bufs = &mut self.scratch.chunk_spikes;
        if rayon::current_num_threads() > 1 && n >= PARALLEL_MIN_NEURONS {
            work.par_iter().zip(bufs.par_iter_mut()).for_each(body);
        } else {
            work.iter().zip(bufs.iter_mut()).for_each(body);
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

        // 4. Event-driven propagation. A delay of d steps lands at the end of step + d: d = 0 goes
        //    straight into the targets' synaptic variables (before the next update), longer delays
        //    wait in the ring slot that the update of step + d + 1 reads.
        let mask = self.ring_len - 1;
        let syn = &self.synapses;
        let (syn_ex, syn_in) = (&mut self.neurons.syn_ex, &mut self.neurons.syn_in);
        // The target word is (post << 1) | receptor; rows of one projection share the receptor, so
        // the branch is well predicted.
        let mut deliver = |t: u32, w: f64| {
            let post = (t >> 1) as usize;
            if t & 1 == 0 { syn_ex[post] += w } else { syn_in[post] += w }
        };
        for id in &report.spikes {
            let r = syn.row(*id);
            if syn.delay.is_empty() {
                for (t, w) in syn.target[r.clone()].iter().zip(&syn.weight[r]) {
                    deliver(*t, *w as f64);
                }
            } else {
                for s in r {
                    let d = syn.delay[s] as usize;
                    if d == 0 {
                        deliver(syn.target[s], syn.weight[s] as f64);
                    } else {
                        let slot = (step as usize + d) & mask;
                        self.inbox[slot * 2 * n + syn.target[s] as usize] += syn.weight[s];
                    }
                }
            }
        }

        // 5. External spikes arrive at the end of this step.
        for (k, input) in self.inputs.iter_mut().enumerate() {
            match input {
                Input::Poisson(p) => {
                    let r = p.receptor.index();
                    for &t in &p.targets {
                        let mut rng = CounterRng::new(self.seed, step, t as u64, stream::POISSON_INPUT + k as u64);
                        let count = rng.poisson(p.lambda);
                        if count > 0 {
                            deliver((t << 1) | r, count as f64 * p.weight as f64);
                        }
                    }
                }
                Input::SpikeList(s) => {
                    let r = s.receptor.index();
                    while s.cursor < s.events.len() && s.events[s.cursor].0 <= step {
                        let (at, t) = s.events[s.cursor];
                        if at == step {
                            deliver((t << 1) | r, s.weight as f64);
                        }
                        s.cursor += 1;
                    }
                }
                Input::Reward(rw) => {
                    while rw.cursor < rw.events.len() && rw.events[rw.cursor].0 <= step {
                        let (at, amount) = rw.events[rw.cursor];
                        if at == step {
                            report.rewards.push(amount);
                        }
                        rw.cursor += 1;
                    }
                }
                Input::Current(_) => {}
            }
        }

        self.step += 1;
    }

    /// Makes the neuron update add the threshold offsets (`neurons.theta`) of intrinsic
    /// plasticity to each model's threshold; off until a rule writes them.
    pub fn use_threshold_offsets(&mut self) {
        self.theta_active = true;
    }

    /// Runs `steps` steps, calling `on_step` after each with its report.
    pub fn run(&mut self, steps: u64, report: &mut StepReport, mut on_step: impl FnMut(&StepReport)) {
        for _ in 0..steps {
            self.step(report);
            on_step(report);
        }
    }
}
