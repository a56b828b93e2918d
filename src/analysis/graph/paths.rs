//! Shortest paths: hop counts by breadth-first search, weighted lengths by petgraph's Dijkstra,
//! and betweenness (Brandes).

use std::collections::VecDeque;

use serde::Serialize;

use super::SynapseGraph;
use crate::sim::NeuronId;

/// Hop distance from `source` to every node (`u32::MAX` where unreachable), into `dist`.
pub fn hop_distances_from(g: &SynapseGraph, source: usize, dist: &mut Vec<u32>) {
    dist.clear();
    dist.resize(g.nodes(), u32::MAX);
    let mut queue = VecDeque::from([source as u32]);
    dist[source] = 0;
    while let Some(v) = queue.pop_front() {
        let d = dist[v as usize] + 1;
        for &w in g.successors(v as usize) {
            if dist[w as usize] == u32::MAX {
                dist[w as usize] = d;
                queue.push_back(w);
            }
        }
    }
}

/// The fewest-hop path of synapses from `from` to `to` over the network's own rows (directed,
/// chemical synapses; of parallel synapses the first in the row): the synapse slots in order, empty
/// when `from == to`, `None` when `to` cannot be reached or either is not a neuron.
pub fn shortest_synapse_path(net: &crate::sim::Network, from: NeuronId, to: NeuronId) -> Option<Vec<usize>> {
    let n = net.num_neurons();
    if from.index() >= n || to.index() >= n {
        return None;
    }
    let syn = &net.synapses;
    // The slot each neuron was first reached through (usize::MAX: not reached).
    let mut via = vec![usize::MAX; n];
    let mut seen = vec![false; n];
    seen[from.index()] = true;
    let mut queue = VecDeque::from([from]);
    'search: while let Some(v) = queue.pop_front() {
        for s in syn.row(v) {
            let w = syn.post(s);
            if !seen[w.index()] {
                seen[w.index()] = true;
                via[w.index()] = s;
                if w == to {
                    break 'search;
                }
                queue.push_back(w);
            }
        }
    }
    if !seen[to.index()] {
        return None;
    }
    let mut path = Vec::new();
    let mut at = to;
    while at != from {
        let s = via[at.index()];
        path.push(s);
        at = syn.pre(s);
    }
    path.reverse();
    Some(path)
}

/// Path lengths within the largest strongly connected component, where every node reaches every
/// other: the mean over ordered pairs of hops (networkx `average_shortest_path_length` of that
/// subgraph) and of weighted length with 1/weight as an edge's length (a strong synapse is a short
/// path), and the diameter in hops. Outside it paths are undefined for some pairs, so they are not
/// averaged: `component` says how many nodes the figures cover.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct PathSummary {
    /// Nodes of the largest strongly connected component.
    pub component: usize,
    /// Sources the means are taken over (all of the component, or a seeded sample).
    pub sources: usize,
    /// Mean hops between ordered pairs (the characteristic path length).
    pub mean_hops: f64,
    /// Mean weighted length, 1/weight per edge.
    pub mean_weighted: f64,
    /// Largest hop distance found (the diameter when every source is used).
    pub diameter: u32,
}

/// [`PathSummary`] of the component `scc` (sorted ascending or not), from at most `max_sources`
/// of its nodes (evenly spaced through it, so the choice is deterministic).
pub fn path_summary(g: &SynapseGraph, scc: &[u32], max_sources: usize) -> PathSummary {
    let c = scc.len();
    if c < 2 {
        return PathSummary { component: c, ..PathSummary::default() };
    }
    let mut inside = vec![false; g.nodes()];
    for &v in scc {
        inside[v as usize] = true;
    }
    let take = max_sources.clamp(1, c);
    let sources: Vec<u32> = (0..take).map(|k| scc[k * c / take]).collect();
    let (mut hops, mut weighted, mut diameter) = (0u64, 0.0f64, 0u32);
    let mut dist = Vec::new();
    for &s in &sources {
        hop_distances_from(g, s as usize, &mut dist);
        for &v in scc {
            hops += u64::from(dist[v as usize]);
            diameter = diameter.max(dist[v as usize]);
        }
        let lengths = petgraph::algo::dijkstra(&g.out, s, None, |e| 1.0 / e.weight().weight);
        weighted += lengths.iter().filter(|(v, _)| inside[**v as usize]).map(|(_, d)| *d).sum::<f64>();
    }
    let pairs = (sources.len() * (c - 1)) as f64;
    PathSummary {
        component: c,
        sources: sources.len(),
        mean_hops: hops as f64 / pairs,
        mean_weighted: weighted / pairs,
        diameter,
    }
}

/// Betweenness centrality of every node on unweighted directed shortest paths (Brandes 2001),
/// normalised by (n − 1)(n − 2) as networkx `betweenness_centrality` does; from every source, or
/// from `sources` evenly spaced ones with the sum scaled by n / sources (networkx's `k`).
pub fn betweenness(g: &SynapseGraph, sources: Option<usize>) -> Vec<f64> {
    let n = g.nodes();
    let mut bc = vec![0.0f64; n];
    if n < 3 {
        return bc;
    }
    let k = sources.unwrap_or(n).clamp(1, n);
    let (mut sigma, mut dist, mut delta) = (vec![0.0f64; n], vec![-1i64; n], vec![0.0f64; n]);
    let mut order: Vec<u32> = Vec::with_capacity(n);
    let mut queue = VecDeque::new();
    for s in (0..k).map(|j| j * n / k) {
        sigma.fill(0.0);
        dist.fill(-1);
        delta.fill(0.0);
        order.clear();
        sigma[s] = 1.0;
        dist[s] = 0;
        queue.push_back(s as u32);
        while let Some(v) = queue.pop_front() {
            order.push(v);
            for &w in g.successors(v as usize) {
                let w = w as usize;
                if dist[w] < 0 {
                    dist[w] = dist[v as usize] + 1;
                    queue.push_back(w as u32);
                }
                if dist[w] == dist[v as usize] + 1 {
                    sigma[w] += sigma[v as usize];
                }
            }
        }
        for &w in order.iter().rev() {
            let w = w as usize;
            for &v in g.predecessors(w) {
                let v = v as usize;
                if dist[v] >= 0 && dist[v] + 1 == dist[w] {
                    delta[v] += sigma[v] / sigma[w] * (1.0 + delta[w]);
                }
            }
            if w != s {
                bc[w] += delta[w];
            }
        }
    }
    let scale = 1.0 / ((n - 1) as f64 * (n - 2) as f64) * n as f64 / k as f64;
    bc.iter_mut().for_each(|b| *b *= scale);
    bc
}
