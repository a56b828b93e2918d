//! Neural Developmental Programs (Najarro, Sudhakaran & Risi 2023): a graph grows by node
//! replication. A replicating node i adds a node j connected to i's closed neighbourhood
//! N(i) ∪ {i} (taken at the start of the cycle), whose embedding is the mean of theirs.
//!
//! [`Neurogenesis`] applies the growth step to a spiking population inside `Network::step`
//! (ALGORITHMS.md §10, "for the spiking app"): each neuron's growth signal is an activity trace
//! (+1 per spike, decaying with `signal_tau`); every `interval_steps` the neurons whose signal has
//! reached `threshold` divide, the strongest first while the population is below `max_size`. The
//! parents are chosen from the state at the start of the round (as NDP takes neighbourhoods at the
//! start of a cycle); a child sits `offset` µm from its parent in a random direction, starts from
//! the parent's membrane state, and inherits a copy of every synapse of its parent (outgoing and
//! incoming; the parent's autapse becomes a pair parent ↔ child, NDP's link to N(i) ∪ {i}) with
//! each weight multiplied by max(0, 1 + jitter · N(0, 1)); the signal is split equally between
//! parent and child. All draws are counter-based, keyed by the step and the parent, and the round
//! runs on one thread, so growth is bit-identical for any thread count.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::plasticity::trace::{Decay, Trace};
use crate::sim::rng::{CounterRng, stream};
use crate::sim::{NeuronId, PopulationId, Segment};

/// An undirected growing graph with one embedding vector per node.
#[derive(Clone, Debug, PartialEq)]
pub struct NdpGraph {
    /// Neighbours of each node (a self-loop is the node in its own set).
    pub adjacency: Vec<BTreeSet<u32>>,
    /// Embedding of each node.
    pub embeddings: Vec<Vec<f64>>,
}

impl NdpGraph {
    /// One node with a self-loop and embedding `h0`.
    pub fn seed(h0: Vec<f64>) -> Self {
        Self { adjacency: vec![BTreeSet::from([0])], embeddings: vec![h0] }
    }

    /// Number of nodes.
    pub fn nodes(&self) -> usize {
        self.adjacency.len()
    }

    /// Number of undirected edges, a self-loop counting once.
    pub fn edges(&self) -> usize {
        let loops = self.adjacency.iter().enumerate().filter(|(i, n)| n.contains(&(*i as u32))).count();
        let links: usize = self.adjacency.iter().map(|n| n.len()).sum::<usize>() - loops;
        loops + links / 2
    }

    /// The closed neighbourhood N(i) ∪ {i}.
    pub fn closed_neighbourhood(&self, i: usize) -> BTreeSet<u32> {
        let mut n = self.adjacency[i].clone();
        n.insert(i as u32);
        n
    }

    /// One growth cycle: every node for which `replicate(i, h_i)` is true adds a child. Returns
    /// (child, parent) pairs in the order they were added.
    pub fn grow(&mut self, mut replicate: impl FnMut(usize, &[f64]) -> bool) -> Vec<(u32, u32)> {
        let count = self.nodes();
        let plans: Vec<(usize, BTreeSet<u32>)> = (0..count)
            .filter(|&i| replicate(i, &self.embeddings[i]))
            .map(|i| (i, self.closed_neighbourhood(i)))
            .collect();
        let mut born = Vec::with_capacity(plans.len());
        for (parent, hood) in plans {
            let child = self.nodes() as u32;
            let d = self.embeddings[parent].len();
            let mut h = vec![0.0; d];
            for &k in &hood {
                for (a, b) in h.iter_mut().zip(&self.embeddings[k as usize]) {
                    *a += b / hood.len() as f64;
                }
            }
            self.adjacency.push(hood.clone());
            for &k in &hood {
                self.adjacency[k as usize].insert(child);
            }
            self.embeddings.push(h);
            born.push((child, parent as u32));
        }
        born
    }

    /// Message passing: h ← transform(Wᵀ h) with W the adjacency weighted by `weight(u, v)`.
    pub fn propagate(&mut self, weight: impl Fn(u32, u32) -> f64, transform: impl Fn(&[f64]) -> Vec<f64>) {
        let next: Vec<Vec<f64>> = (0..self.nodes())
            .map(|v| {
                let mut h = vec![0.0; self.embeddings[v].len()];
                for &u in &self.adjacency[v] {
                    let w = weight(u, v as u32);
                    for (a, b) in h.iter_mut().zip(&self.embeddings[u as usize]) {
                        *a += w * b;
                    }
                }
                transform(&h)
            })
            .collect();
        self.embeddings = next;
    }
}

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
    /// The growth signal per neuron.
    signal: Trace,
    #[serde(skip)]
    decay: Decay,
}

impl Neurogenesis {
    /// A rule with zero signals for `neurons` neurons.
    #[allow(clippy::too_many_arguments)]
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
            signal: Trace::new(neurons),
            decay: Decay::default(),
        }
    }

    /// Covers `n` neurons (new ones start with no signal).
    pub fn resize(&mut self, n: usize) {
        self.signal.resize(n);
    }

    /// Whether a round is due at `step`.
    pub fn due(&self, step: u64) -> bool {
        step > 0 && step.is_multiple_of(self.interval_steps)
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
    pub fn after_step(&mut self, spikes: &[NeuronId], population: &[PopulationId], grid: u64) {
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
    pub fn plan(&mut self, segments: &[Segment], size: u32, step: u64) -> Vec<u32> {
        self.ensure_decay();
        let room = self.max_size.saturating_sub(size) as usize;
        if room == 0 {
            return Vec::new();
        }
        let (signal, decay) = (&self.signal, &self.decay);
        let mut ready: Vec<(f64, u32)> = segments
            .iter()
            .filter(|s| s.population == self.population)
            .flat_map(|s| s.start..s.end)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn always_replicate_sequence() {
        let mut g = NdpGraph::seed(vec![1.0]);
        let mut seen = vec![(g.nodes(), g.edges())];
        for _ in 0..5 {
            g.grow(|_, _| true);
            seen.push((g.nodes(), g.edges()));
        }
        assert_eq!(seen, vec![(1, 1), (2, 2), (4, 6), (8, 20), (16, 66), (32, 212)]);
    }

    #[test]
    fn newborn_embedding_is_the_mean_of_the_parents_closed_neighbourhood() {
        let mut g = NdpGraph::seed(vec![1.0, 0.0]);
        g.grow(|_, _| true);
        g.embeddings[1] = vec![3.0, 6.0];
        let born = g.grow(|i, _| i == 1);
        assert_eq!(born, vec![(2, 1)]);
        // N(1) ∪ {1} = {0, 1}: mean of (1, 0) and (3, 6).
        assert_eq!(g.embeddings[2], vec![2.0, 3.0]);
    }

    #[test]
    fn never_replicate_and_identity_propagation_change_nothing() {
        let mut g = NdpGraph::seed(vec![0.5]);
        for _ in 0..3 {
            g.grow(|_, _| true);
        }
        let before = g.clone();
        assert!(g.grow(|_, _| false).is_empty());
        assert_eq!(g, before);
        // W = I (only self weights count) and an identity transform.
        let mut with_loops = before.clone();
        for (i, n) in with_loops.adjacency.iter_mut().enumerate() {
            n.insert(i as u32);
        }
        let reference = with_loops.clone();
        with_loops.propagate(|u, v| if u == v { 1.0 } else { 0.0 }, |h| h.to_vec());
        assert_eq!(with_loops, reference);
    }
}
