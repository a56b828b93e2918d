//! The network: neurons as struct-of-arrays, synapses in CSR order by presynaptic neuron, the
//! delay ring, gap junctions and inputs, and the step that advances them all by `dt`.

use serde::{Deserialize, Serialize};

use super::columns::{NeuronValues, Neurons};
use super::ids::{PopulationId, SynapseId};
use super::inputs::Input;
use super::models::{Kernel, NeuronModel, ParamError};
use super::report::StructuralEvent;

mod csr_merge;
mod step;
mod structure;
mod synapse_index;
mod synapses;
mod validate;

pub use structure::SynapseView;
use synapse_index::SynapseIndex;
pub use synapses::{GapJunctions, Synapses};

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

/// What is wrong with `input` in a network of `n` neurons (targets beyond it, values that are not
/// finite, events out of order, a cursor past its events), if anything.
pub(crate) fn input_problem(input: &Input, n: usize) -> Option<NetworkError> {
    let check = |t: &[u32]| t.iter().find(|&&t| t as usize >= n).map(|&t| NetworkError::NoSuchNeuron(t, n));
    let bad = match input {
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
    bad.or_else(|| {
        let cursor_past = match input {
            Input::SpikeList(s) => s.cursor > s.events.len() || !s.weight.is_finite(),
            Input::Reward(r) => r.cursor > r.events.len(),
            _ => false,
        };
        cursor_past.then(|| NetworkError::Invalid("input cursor or weight out of range".into()))
    })
}

/// What is wrong with a synapse table for `n` neurons (rows that do not cover them or run
/// backwards, columns of other lengths, targets beyond them, weights that are not finite).
pub(crate) fn synapse_problem(s: &Synapses, n: usize) -> Option<NetworkError> {
    let invalid = |m: &str| Some(NetworkError::Invalid(m.into()));
    let rows = &s.row_start;
    if rows.len() != n + 1 || rows[0] != 0 || *rows.last().unwrap_or(&0) as usize != s.target.len() {
        return invalid("synapse rows do not cover the neurons");
    }
    if !rows.is_sorted() {
        return invalid("synapse rows are out of order");
    }
    if s.target.len() >= u32::MAX as usize {
        return invalid("more synapses than 32-bit slots hold");
    }
    let optional_ok = |len: usize| len == 0 || len == s.target.len();
    if s.weight.len() != s.target.len() || !optional_ok(s.delay.len()) || !optional_ok(s.projection.len()) {
        return invalid("synapse columns differ in length");
    }
    if !optional_ok(s.id.len()) {
        return invalid("synapse id column differs in length");
    }
    if let Some(&t) = s.target.iter().find(|&&t| (t >> 1) as usize >= n) {
        return Some(NetworkError::NoSuchNeuron(t >> 1, n));
    }
    if let Some(w) = s.weight.iter().find(|w| !w.is_finite()) {
        return Some(NetworkError::Invalid(format!("synaptic weight {w} is not finite")));
    }
    None
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
        if let Some(e) = synapse_problem(&synapses, self.num_neurons()) {
            return Err(e);
        }
        let s = &synapses;
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
        if let Some(e) = input_problem(&input, self.num_neurons()) {
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

    /// Makes the neuron update add the threshold offsets (`neurons.theta`) of intrinsic
    /// plasticity to each model's threshold; off until a rule writes them.
    pub fn use_threshold_offsets(&mut self) {
        self.theta_active = true;
    }
}
