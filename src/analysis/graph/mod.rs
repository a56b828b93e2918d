//! Graph measures of the live network over petgraph: chemical synapses as a directed, weighted
//! graph in which the synapses joining one ordered pair of neurons (multapses) are one edge whose
//! weight is the sum of their |w| (engine units: pA, nS or the model's own) and which counts them.
//!
//! What each measure means, and which networkx function it equals, is said where it is computed;
//! `tools/compare_networkx.py` holds them to networkx on committed fixtures.

mod communities;
mod cores;
mod local;
mod measures;
mod paths;
mod small_world;
mod view;

use petgraph::Directed;
use petgraph::csr::Csr;
use petgraph::unionfind::UnionFind;
use serde::Serialize;

use crate::sim::{Network, NeuronId, Synapses};

pub use communities::{louvain, modularity};
pub use cores::{core_numbers, rich_club};
pub use local::{TRIAD_NAMES, average_clustering, clustering, transitivity, triad_census};
pub use measures::{Effort, GraphMeasures, NodeValues, Spread};
pub use paths::{PathSummary, betweenness, hop_distances_from, path_summary, shortest_synapse_path};
pub use small_world::{SmallWorld, SmallWorldEffort, small_world};

/// One edge of the graph: the synapses from one neuron onto another.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct PairEdge {
    /// Sum of the synapses' |weight|.
    pub weight: f64,
    /// How many synapses join the pair.
    pub synapses: u32,
}

/// The out-edges' CSR: petgraph's, node index = neuron id.
pub type OutEdges = Csr<(), PairEdge, Directed, u32>;

/// The network's chemical synapses as a directed graph: out-edges in petgraph's CSR, in-edges in a
/// CSR of our own beside it (petgraph's has none), both sorted by neighbour.
pub struct SynapseGraph {
    /// Out-edges (node index = neuron id).
    pub out: OutEdges,
    in_start: Vec<usize>,
    in_from: Vec<u32>,
    in_weight: Vec<f64>,
}

impl SynapseGraph {
    /// The graph of `net`'s chemical synapses as they are now.
    pub fn of(net: &Network) -> Self {
        Self::from_synapses(&net.synapses, net.num_neurons())
    }

    /// The graph of a synapse table over `n` neurons (the app measures a copy off its frame).
    pub fn from_synapses(syn: &Synapses, n: usize) -> Self {
        let mut edges: Vec<(u32, u32, PairEdge)> = Vec::with_capacity(syn.len());
        let mut row: Vec<(u32, f64)> = Vec::new();
        for pre in 0..n as u32 {
            row.clear();
            row.extend(syn.row(NeuronId(pre)).map(|k| (syn.post(k).0, f64::from(syn.weight[k]).abs())));
            row.sort_unstable_by_key(|e| e.0);
            for &(post, w) in &row {
                match edges.last_mut() {
                    Some(last) if last.0 == pre && last.1 == post => {
                        last.2.weight += w;
                        last.2.synapses += 1;
                    }
                    _ => edges.push((pre, post, PairEdge { weight: w, synapses: 1 })),
                }
            }
        }
        Self::from_edges(n, &edges)
    }

    /// A graph of `n` nodes from edges sorted by (source, target), each pair once.
    pub fn from_edges(n: usize, edges: &[(u32, u32, PairEdge)]) -> Self {
        let mut out: OutEdges = Csr::from_sorted_edges(edges).expect("edges are sorted by source and target");
        while out.node_count() < n {
            out.add_node(());
        }
        let mut in_start = vec![0usize; n + 1];
        for e in edges {
            in_start[e.1 as usize + 1] += 1;
        }
        for i in 0..n {
            in_start[i + 1] += in_start[i];
        }
        let mut fill = in_start.clone();
        let (mut in_from, mut in_weight) = (vec![0u32; edges.len()], vec![0.0f64; edges.len()]);
        for e in edges {
            let at = fill[e.1 as usize];
            (in_from[at], in_weight[at]) = (e.0, e.2.weight);
            fill[e.1 as usize] += 1;
        }
        Self { out, in_start, in_from, in_weight }
    }

    /// Number of nodes.
    pub fn nodes(&self) -> usize {
        self.out.node_count()
    }

    /// Number of edges (connected ordered pairs).
    pub fn edges(&self) -> usize {
        self.out.edge_count()
    }

    /// The neurons `i` projects onto, sorted.
    pub fn successors(&self, i: usize) -> &[u32] {
        self.out.neighbors_slice(i as u32)
    }

    /// The edges leaving `i`, in the order of [`SynapseGraph::successors`].
    pub fn out_edges(&self, i: usize) -> &[PairEdge] {
        self.out.edges_slice(i as u32)
    }

    /// The neurons projecting onto `i`, sorted.
    pub fn predecessors(&self, i: usize) -> &[u32] {
        &self.in_from[self.in_start[i]..self.in_start[i + 1]]
    }

    /// The weights of the edges arriving at `i`, in the order of [`SynapseGraph::predecessors`].
    pub fn in_weights(&self, i: usize) -> &[f64] {
        &self.in_weight[self.in_start[i]..self.in_start[i + 1]]
    }

    /// Whether `a` projects onto `b`.
    pub fn has_edge(&self, a: usize, b: u32) -> bool {
        self.successors(a).binary_search(&b).is_ok()
    }

    /// The undirected simple graph beneath: neighbours of each node (either direction, no self),
    /// sorted, with the summed weight of both directions.
    pub fn undirected(&self) -> Undirected {
        let n = self.nodes();
        let mut start = vec![0usize; n + 1];
        let mut nbr = Vec::with_capacity(2 * self.edges());
        let mut weight = Vec::with_capacity(2 * self.edges());
        for i in 0..n {
            // Both lists are sorted: merge them, summing a pair's two directions below.
            let (out_n, out_w) = (self.successors(i), self.out_edges(i));
            let (in_n, in_w) = (self.predecessors(i), self.in_weights(i));
            let (mut a, mut b) = (0, 0);
            let merged = std::iter::from_fn(|| {
                let take_out = match (out_n.get(a), in_n.get(b)) {
                    (Some(&x), Some(&y)) => x <= y,
                    (Some(_), None) => true,
                    (None, Some(_)) => false,
                    (None, None) => return None,
                };
                if take_out {
                    a += 1;
                    Some((out_n[a - 1], out_w[a - 1].weight))
                } else {
                    b += 1;
                    Some((in_n[b - 1], in_w[b - 1]))
                }
            });
            let before = nbr.len();
            for (j, w) in merged {
                if j as usize == i {
                    continue;
                }
                if nbr.len() > before && *nbr.last().expect("one pushed") == j {
                    *weight.last_mut().expect("one pushed") += w;
                } else {
                    nbr.push(j);
                    weight.push(w);
                }
            }
            start[i + 1] = nbr.len();
        }
        Undirected { start, nbr, weight }
    }
}

/// An undirected simple graph in CSR form (each edge stored from both ends).
pub struct Undirected {
    start: Vec<usize>,
    nbr: Vec<u32>,
    weight: Vec<f64>,
}

impl Undirected {
    /// Number of nodes.
    pub fn nodes(&self) -> usize {
        self.start.len() - 1
    }

    /// Number of edges.
    pub fn edges(&self) -> usize {
        self.nbr.len() / 2
    }

    /// The neighbours of `i`, sorted.
    pub fn neighbours(&self, i: usize) -> &[u32] {
        &self.nbr[self.start[i]..self.start[i + 1]]
    }

    /// The weights of `i`'s edges, in the order of [`Undirected::neighbours`].
    pub fn weights(&self, i: usize) -> &[f64] {
        &self.weight[self.start[i]..self.start[i + 1]]
    }

    /// The number of neighbours of `i`.
    pub fn degree(&self, i: usize) -> usize {
        self.start[i + 1] - self.start[i]
    }
}

/// Sizes of the weakly connected components, largest first (petgraph's union-find).
pub fn weak_components(g: &SynapseGraph) -> Vec<usize> {
    let n = g.nodes();
    let mut uf = UnionFind::<u32>::new(n);
    for i in 0..n {
        for &j in g.successors(i) {
            uf.union(i as u32, j);
        }
    }
    let mut size = vec![0usize; n];
    for i in 0..n {
        size[uf.find(i as u32) as usize] += 1;
    }
    let mut sizes: Vec<usize> = size.into_iter().filter(|&s| s > 0).collect();
    sizes.sort_unstable_by(|a, b| b.cmp(a));
    sizes
}

/// The strongly connected components (petgraph's Kosaraju, iterative: its Tarjan recurses and
/// overflows the stack on a 100,000-neuron network), each a list of nodes, largest first.
pub fn strong_components(g: &SynapseGraph) -> Vec<Vec<u32>> {
    let mut sccs: Vec<Vec<u32>> = petgraph::algo::kosaraju_scc(g);
    sccs.sort_by(|a, b| b.len().cmp(&a.len()).then(a.iter().min().cmp(&b.iter().min())));
    sccs
}

/// Fraction of edges whose reverse is also an edge, self-loops not counted as reciprocated
/// (networkx `overall_reciprocity`).
pub fn reciprocity(g: &SynapseGraph) -> f64 {
    if g.edges() == 0 {
        return 0.0;
    }
    // i → j is reciprocated when j is also among i's predecessors: one merge of two sorted lists.
    let mut both = 0usize;
    for i in 0..g.nodes() {
        let (out, inn) = (g.successors(i), g.predecessors(i));
        let (mut a, mut b) = (0, 0);
        while a < out.len() && b < inn.len() {
            match out[a].cmp(&inn[b]) {
                std::cmp::Ordering::Less => a += 1,
                std::cmp::Ordering::Greater => b += 1,
                std::cmp::Ordering::Equal => {
                    both += usize::from(out[a] as usize != i);
                    a += 1;
                    b += 1;
                }
            }
        }
    }
    both as f64 / g.edges() as f64
}

/// Edges over ordered pairs, n (n − 1) (networkx `density` of a directed graph).
pub fn density(g: &SynapseGraph) -> f64 {
    let n = g.nodes() as f64;
    if n < 2.0 { 0.0 } else { g.edges() as f64 / (n * (n - 1.0)) }
}

/// Per node: (in-degree, out-degree, in-strength, out-strength) in edges and summed |w|.
pub fn degrees(g: &SynapseGraph) -> Degrees {
    let n = g.nodes();
    let mut d = Degrees {
        in_degree: vec![0; n],
        out_degree: vec![0; n],
        in_strength: vec![0.0; n],
        out_strength: vec![0.0; n],
    };
    for i in 0..n {
        d.out_degree[i] = g.successors(i).len() as u32;
        for (&j, e) in g.successors(i).iter().zip(g.out_edges(i)) {
            d.in_degree[j as usize] += 1;
            d.in_strength[j as usize] += e.weight;
            d.out_strength[i] += e.weight;
        }
    }
    d
}

/// Degrees and strengths of every node.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Degrees {
    /// Edges arriving (presynaptic partners).
    pub in_degree: Vec<u32>,
    /// Edges leaving (postsynaptic partners).
    pub out_degree: Vec<u32>,
    /// Summed |w| arriving.
    pub in_strength: Vec<f64>,
    /// Summed |w| leaving.
    pub out_strength: Vec<f64>,
}
