//! Neurogenesis by replication in a spiking population (NDP, ALGORITHMS.md §10, "for the spiking
//! app"): each neuron's growth signal is an activity trace (+1 per spike, decaying with
//! `signal_tau`); every `interval_steps` the neurons whose signal has reached `threshold` divide,
//! the strongest first while the population is below `max_size`. The parents are chosen from the
//! state at the start of the round (as NDP takes neighbourhoods at the start of a cycle); a child
//! sits `offset` µm from its parent in a random direction, starts from the parent's membrane state,
//! and inherits a copy of every synapse of its parent (outgoing and incoming; the parent's autapse
//! becomes a pair parent ↔ child, NDP's link to N(i) ∪ {i}) with each weight multiplied by
//! max(0, 1 + jitter · N(0, 1)); the signal is split equally between parent and child. All draws
//! are counter-based, keyed by the step and the parent, and the round runs on one thread, so growth
//! is bit-identical for any thread count.

use serde::{Deserialize, Serialize};

use crate::sim::edit::{Birth, Edits, NO_PROJECTION, NewSynapse};
use crate::sim::network::{Network, Synapses, members};
use crate::sim::params::{Curve, ParamSpec, tunable};
use crate::sim::rng::{CounterRng, stream};
use crate::sim::rule::{Activity, RuleCurve, StructuralRule, tunable_hooks};
use crate::sim::trace::{Decay, Trace};
use crate::sim::{Dim, NeuronId, PopulationId, Segment};

/// Neurogenesis by replication in one population of a spiking network.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Neurogenesis {
    /// The population whose neurons divide.
    pub population: PopulationId,
    /// Steps between division rounds.
    pub interval_steps: u64,
    /// Time constant of the growth signal (steps).
    pub signal_tau_steps: f64,
    /// Signal (in spikes) at which a neuron divides.
    pub threshold: f64,
    /// The most neurons the population may have.
    pub max_size: u32,
    /// Distance of a child from its parent (µm).
    pub offset: f32,
    /// Standard deviation of the relative perturbation of inherited weights.
    pub weight_jitter: f64,
    /// Whether a child also receives its parent's external inputs (Poisson and current).
    pub inherit_inputs: bool,
    /// Projections whose synapses a child does not inherit (those of structural plasticity, which
    /// grows the child's own).
    #[serde(default)]
    pub not_inherited: Vec<u16>,
    /// The growth signal per neuron.
    signal: Trace,
    #[serde(skip)]
    decay: Decay,
}

impl Neurogenesis {
    /// A rule with zero signals for `neurons` neurons.
    pub fn new(
        population: PopulationId,
        interval_steps: u64,
        signal_tau_steps: f64,
        threshold: f64,
        max_size: u32,
        offset: f32,
        weight_jitter: f64,
        inherit_inputs: bool,
        neurons: usize,
    ) -> Self {
        Self {
            population,
            interval_steps: interval_steps.max(1),
            signal_tau_steps,
            threshold,
            max_size,
            offset,
            weight_jitter,
            inherit_inputs,
            not_inherited: Vec::new(),
            signal: Trace::new(neurons),
            decay: Decay::default(),
        }
    }

    /// Covers `n` neurons (new ones start with no signal).
    pub fn resize(&mut self, n: usize) {
        self.signal.resize(n);
    }

    /// Builds the decay table when the time constant changed (or after a load).
    fn ensure_decay(&mut self) {
        if self.decay.tau_steps() != self.signal_tau_steps {
            self.decay = Decay::new(self.signal_tau_steps);
        }
    }

    /// The growth signal of neuron `i` at grid time `grid`.
    pub fn signal(&self, i: usize, grid: u64) -> f64 {
        self.signal.at_tau(i, grid, self.signal_tau_steps)
    }

    /// After a step: the spikes (at grid time `grid`) of the population's neurons raise their
    /// signals by one.
    pub fn record_spikes(&mut self, spikes: &[NeuronId], population: &[PopulationId], grid: u64) {
        self.ensure_decay();
        for &id in spikes {
            if population[id.index()] == self.population {
                self.signal.bump(id.index(), grid, &self.decay, false);
            }
        }
    }

    /// The round at `step` for a population of `size` neurons (in `segments`): the neurons that
    /// divide, in id order: those whose signal reached the threshold, the strongest first (ties to
    /// the lower id) while there is room below `max_size`. Their signals are halved.
    pub fn choose_parents(&mut self, segments: &[Segment], size: u32, step: u64) -> Vec<u32> {
        self.ensure_decay();
        let room = self.max_size.saturating_sub(size) as usize;
        if room == 0 {
            return Vec::new();
        }
        let (signal, decay) = (&self.signal, &self.decay);
        let mut ready: Vec<(f64, u32)> = members(segments, self.population)
            .map(|i| (signal.at(i as usize, step, decay), i))
            .filter(|&(s, _)| s >= self.threshold)
            .collect();
        ready.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        ready.truncate(room);
        let mut parents: Vec<u32> = ready.iter().map(|r| r.1).collect();
        parents.sort_unstable();
        for &(s, i) in &ready {
            self.signal.set(i as usize, step, 0.5 * s);
        }
        parents
    }

    /// After `child` was born from `parent` at `step`: it starts with the parent's (halved) signal.
    pub fn inherit_signal(&mut self, parent: u32, child: u32, step: u64) {
        let s = self.signal.at(parent as usize, step, &self.decay);
        self.signal.set(child as usize, step, s);
    }

    /// The random stream of the division of `parent` at `step`: first the child's direction (three
    /// normal draws), then one normal draw per inherited synapse, in order.
    pub fn rng(seed: u64, step: u64, parent: u32) -> CounterRng {
        CounterRng::new(seed, step, parent as u64, stream::NEUROGENESIS)
    }

    /// The child's position: `offset` from the parent's in a uniformly random direction.
    pub fn child_position(&self, parent: [f32; 3], rng: &mut CounterRng) -> [f32; 3] {
        let d = [rng.normal(), rng.normal(), rng.normal()];
        let norm = (d[0] * d[0] + d[1] * d[1] + d[2] * d[2]).sqrt();
        let u = if norm > 0.0 { [d[0] / norm, d[1] / norm, d[2] / norm] } else { [1.0, 0.0, 0.0] };
        [0, 1, 2].map(|k| (parent[k] as f64 + self.offset as f64 * u[k]) as f32)
    }

    /// An inherited weight: `w` · max(0, 1 + jitter · z).
    pub fn perturb(&self, w: f32, rng: &mut CounterRng) -> f32 {
        (w as f64 * (1.0 + self.weight_jitter * rng.normal()).max(0.0)) as f32
    }
}

impl Neurogenesis {
    /// The synapses the children of `parents` (children in `child_of`) inherit, in the order of the
    /// parents: each parent's outgoing synapses (by slot), then its incoming ones (by slot), with
    /// weights perturbed by draws from the parent's stream.
    fn inherited_synapses(
        &self,
        syn: &Synapses,
        parents: &[u32],
        child_of: &[u32],
        rngs: &mut [CounterRng],
    ) -> Vec<NewSynapse> {
        let skip = &self.not_inherited;
        let inherited = |s: usize| skip.is_empty() || !syn.projection.get(s).is_some_and(|p| skip.contains(p));
        // Incoming synapses of the parents: (parent's rank, pre, slot), in slot order.
        let n = syn.row_start.len() - 1;
        let mut rank = vec![u32::MAX; n];
        for (r, &p) in parents.iter().enumerate() {
            rank[p as usize] = r as u32;
        }
        let mut incoming: Vec<(u32, u32, u32)> = Vec::new();
        for pre in 0..n {
            for s in syn.row(NeuronId(pre as u32)) {
                let r = rank[syn.post(s).index()];
                if r != u32::MAX && inherited(s) {
                    incoming.push((r, pre as u32, s as u32));
                }
            }
        }
        incoming.sort_by_key(|e| e.0); // stable: slot order within a parent
        let copy = |pre: u32, post: u32, s: usize, rng: &mut CounterRng| NewSynapse {
            pre: NeuronId(pre),
            post: NeuronId(post),
            receptor: syn.receptor(s),
            weight: self.perturb(syn.weight[s], rng),
            delay_steps: syn.delay_steps(s),
            projection: syn.projection.get(s).copied().unwrap_or(NO_PROJECTION),
        };
        let mut add = Vec::new();
        let mut next_in = 0;
        for (r, &p) in parents.iter().enumerate() {
            let (c, rng) = (child_of[p as usize], &mut rngs[r]);
            for s in syn.row(NeuronId(p)).filter(|&s| inherited(s)) {
                add.push(copy(c, syn.post(s).0, s, rng));
            }
            while next_in < incoming.len() && incoming[next_in].0 == r as u32 {
                let (_, pre, s) = incoming[next_in];
                add.push(copy(pre, c, s as usize, rng));
                next_in += 1;
            }
        }
        add
    }
}

/// What a user may change while neurogenesis runs.
const NEUROGENESIS_SCHEMA: &[ParamSpec] = &[
    ParamSpec::new(
        "threshold",
        Dim::Dimensionless,
        0.01,
        1e6,
        10.0,
        "growth signal (spikes) at which a neuron divides",
    ),
    ParamSpec::new("weight_jitter", Dim::Dimensionless, 0.0, 1.0, 0.1, "relative spread of inherited weights"),
    ParamSpec::new("offset", Dim::Length, 0.0, 1e9, 15.0, "distance of a child from its parent"),
];

tunable!(Neurogenesis, "NDP neurogenesis", NEUROGENESIS_SCHEMA, [threshold, weight_jitter, offset]);

impl StructuralRule for Neurogenesis {
    tunable_hooks!();

    fn label(&self, net: &Network) -> String {
        format!("neurogenesis in {}", net.populations.get(self.population.index()).map_or("?", |p| p.name.as_str()))
    }

    fn curve(&self, net: &Network) -> Option<RuleCurve> {
        // The population's growth signals, largest first, against the threshold.
        let step = net.step_count();
        let mut s: Vec<f64> = members(&net.segments, self.population)
            .filter(|&i| (i as usize) < self.signal.len())
            .map(|i| self.signal.at_tau(i as usize, step, self.signal_tau_steps))
            .collect();
        s.sort_by(|a, b| b.total_cmp(a));
        let points: Vec<[f64; 2]> = s.iter().enumerate().map(|(k, &v)| [k as f64, v]).collect();
        let above = s.iter().filter(|&&v| v >= self.threshold).count();
        Some(RuleCurve {
            curve: Curve { x_label: "neurons, strongest signal first", y_label: "growth signal (spikes)", points },
            now: if above > 0 { vec![[above as f64 - 1.0, s[above - 1]]] } else { Vec::new() },
            level: Some((self.threshold, "threshold")),
        })
    }

    fn name(&self) -> &'static str {
        "neurogenesis"
    }

    fn check_decoded(&self, net: &Network) -> Result<(), String> {
        let ok = self.population.index() < net.populations.len()
            && self.interval_steps >= 1
            && self.signal_tau_steps.is_finite()
            && self.signal_tau_steps > 0.0
            && self.threshold.is_finite()
            && self.threshold > 0.0
            && self.max_size < 1 << 30
            && self.offset.is_finite()
            && self.offset >= 0.0
            && (0.0..=1.0).contains(&self.weight_jitter);
        if !ok {
            return Err("neurogenesis parameters out of range".into());
        }
        // A refused birth batch can leave the signal longer than the network.
        let n = net.num_neurons();
        let mut signal = self.signal.clone();
        if signal.len() < n {
            return Err(format!("the birth signal covers {} of {n} neurons", signal.len()));
        }
        signal.resize(n);
        signal.check(n, net.step_count())
    }

    fn due(&self, step: u64) -> bool {
        step > 0 && step.is_multiple_of(self.interval_steps)
    }

    /// The neurons whose signal reached the threshold divide: each child is placed near its parent,
    /// starts from its state, joins its inputs (if the rule says so) and inherits a perturbed copy
    /// of its synapses. Children take the next neuron ids, in parent order.
    fn plan(&mut self, net: &Network, edits: &mut Edits) {
        let (step, pop) = (net.step_count(), self.population);
        let size = net.populations[pop.index()].size;
        let parents = self.choose_parents(&net.segments, size, step);
        if parents.is_empty() {
            return;
        }
        let mut rngs: Vec<CounterRng> = parents.iter().map(|&p| Neurogenesis::rng(net.seed(), step, p)).collect();
        let first = net.num_neurons() as u32;
        edits.population = Some(pop);
        edits.births = parents
            .iter()
            .zip(&mut rngs)
            .map(|(&p, rng)| Birth {
                position: self.child_position(net.neurons.position[p as usize], rng),
                parent: Some(NeuronId(p)),
                from_parent: true,
                joins_inputs: self.inherit_inputs,
            })
            .collect();
        self.resize(first as usize + parents.len());
        let mut child_of = vec![u32::MAX; first as usize];
        for (c, &p) in (first..).zip(&parents) {
            self.inherit_signal(p, c, step);
            child_of[p as usize] = c;
        }
        edits.add = self.inherited_synapses(&net.synapses, &parents, &child_of, &mut rngs);
    }

    fn after_step(&mut self, a: &Activity) {
        self.record_spikes(a.spikes, a.population, a.grid);
    }

    fn neurons_added(&mut self, population_of: &[PopulationId]) {
        self.resize(population_of.len());
    }
}
