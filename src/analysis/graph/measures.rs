//! Every measure of the graph at once, as `neuroplast graph` prints them.

use serde::Serialize;

use super::{
    PathSummary, SynapseGraph, TRIAD_NAMES, betweenness, clustering, core_numbers, degrees, density, louvain,
    modularity, path_summary, reciprocity, rich_club, strong_components, transitivity, triad_census, weak_components,
};

/// Mean, standard deviation and largest value of a per-node quantity.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct Spread {
    /// Mean.
    pub mean: f64,
    /// Population standard deviation.
    pub sd: f64,
    /// Largest value.
    pub max: f64,
}

impl Spread {
    /// The spread of `values` (zeros for none).
    pub fn of(values: impl Iterator<Item = f64> + Clone) -> Self {
        let n = values.clone().count();
        if n == 0 {
            return Self::default();
        }
        let mean = values.clone().sum::<f64>() / n as f64;
        let var = values.clone().map(|v| (v - mean).powi(2)).sum::<f64>() / n as f64;
        Self { mean, sd: var.sqrt(), max: values.fold(f64::MIN, f64::max) }
    }
}

/// How much of the costlier measures to compute on large graphs.
#[derive(Clone, Copy, Debug)]
pub struct Effort {
    /// Path lengths and betweenness from at most this many sources (all below it: exact).
    pub sources: usize,
    /// Clustering, triads and the rich club only up to this many edges (they cost edges × degree).
    pub local_edges: usize,
    /// Whether to take the triad census (the costliest of them; the app leaves it out).
    pub triads: bool,
}

impl Default for Effort {
    /// Exact up to 2,000 sources; local structure up to 2 M edges.
    fn default() -> Self {
        Self { sources: 2_000, local_edges: 2_000_000, triads: true }
    }
}

/// The graph's measures at one moment.
#[derive(Clone, Debug, Default, Serialize)]
pub struct GraphMeasures {
    /// Biological time of the network measured (ms).
    pub time_ms: f64,
    /// Nodes (neurons).
    pub neurons: usize,
    /// Edges: connected ordered pairs.
    pub edges: usize,
    /// Chemical synapses (an edge holds one or more).
    pub synapses: usize,
    /// Edges made of more than one synapse.
    pub multapse_edges: usize,
    /// Edges from a neuron onto itself.
    pub self_loops: usize,
    /// Edges over n (n − 1).
    pub density: f64,
    /// Fraction of edges whose reverse exists.
    pub reciprocity: f64,
    /// In-degree over neurons.
    pub in_degree: Spread,
    /// Out-degree over neurons.
    pub out_degree: Spread,
    /// In-strength (summed |w|) over neurons.
    pub in_strength: Spread,
    /// Weakly connected components.
    pub weak_components: usize,
    /// Neurons in the largest of them.
    pub largest_weak: usize,
    /// Strongly connected components.
    pub strong_components: usize,
    /// Neurons in the largest of them.
    pub largest_strong: usize,
    /// Mean directed clustering (Fagiolo; `None` above the effort's edges).
    pub clustering: Option<f64>,
    /// Transitivity of the undirected graph (`None` above the effort's edges).
    pub transitivity: Option<f64>,
    /// Triad census by MAN name (`None` above the effort's edges).
    pub triads: Option<Vec<(String, u64)>>,
    /// Path lengths within the largest strongly connected component.
    pub paths: PathSummary,
    /// Louvain communities of the undirected weighted graph.
    pub communities: usize,
    /// Their modularity.
    pub modularity: f64,
    /// Largest core number (total degree).
    pub max_core: u32,
    /// Rich-club coefficient φ(k) for k = 0, 1, … (`None` above the effort's edges).
    pub rich_club: Option<Vec<f64>>,
    /// Largest betweenness (normalised).
    pub max_betweenness: f64,
    /// Sources betweenness was computed from.
    pub betweenness_sources: usize,
}

/// The per-neuron values behind [`GraphMeasures`], for colouring neurons by them.
#[derive(Clone, Debug, Default)]
pub struct NodeValues {
    /// Louvain community.
    pub community: Vec<u32>,
    /// Total degree (in + out).
    pub degree: Vec<u32>,
    /// Summed |w| arriving.
    pub in_strength: Vec<f64>,
    /// Directed clustering (empty above the effort's edges).
    pub clustering: Vec<f64>,
    /// Betweenness (normalised; sampled above the effort's sources).
    pub betweenness: Vec<f64>,
}

impl GraphMeasures {
    /// Everything about `g`, the network at `time_ms`, within `effort`.
    pub fn of(g: &SynapseGraph, time_ms: f64, effort: Effort) -> Self {
        Self::with_nodes(g, time_ms, effort).0
    }

    /// [`GraphMeasures::of`] and the per-neuron values it was computed from.
    pub fn with_nodes(g: &SynapseGraph, time_ms: f64, effort: Effort) -> (Self, NodeValues) {
        let n = g.nodes();
        let d = degrees(g);
        let (mut synapses, mut multapse_edges, mut self_loops) = (0usize, 0usize, 0usize);
        for i in 0..n {
            for (&j, e) in g.successors(i).iter().zip(g.out_edges(i)) {
                synapses += e.synapses as usize;
                multapse_edges += usize::from(e.synapses > 1);
                self_loops += usize::from(j as usize == i);
            }
        }
        let weak = weak_components(g);
        let strong = strong_components(g);
        let u = g.undirected();
        let local = g.edges() <= effort.local_edges;
        let community = louvain(&u);
        let sources = effort.sources.min(n);
        let bc = betweenness(g, (sources < n).then_some(sources));
        let per_node_clustering = if local { clustering(g) } else { Vec::new() };
        let measures = Self {
            time_ms,
            neurons: n,
            edges: g.edges(),
            synapses,
            multapse_edges,
            self_loops,
            density: density(g),
            reciprocity: reciprocity(g),
            in_degree: Spread::of(d.in_degree.iter().map(|&x| f64::from(x))),
            out_degree: Spread::of(d.out_degree.iter().map(|&x| f64::from(x))),
            in_strength: Spread::of(d.in_strength.iter().copied()),
            weak_components: weak.len(),
            largest_weak: weak.first().copied().unwrap_or(0),
            strong_components: strong.len(),
            largest_strong: strong.first().map_or(0, Vec::len),
            clustering: local.then(|| super::local::mean(&per_node_clustering)),
            transitivity: local.then(|| transitivity(&u)),
            triads: (local && effort.triads).then(|| {
                let t = triad_census(g);
                TRIAD_NAMES.iter().zip(t).map(|(name, c)| (name.to_string(), c)).collect()
            }),
            paths: strong.first().map_or_else(PathSummary::default, |c| path_summary(g, c, effort.sources)),
            communities: community.iter().copied().max().map_or(0, |m| m as usize + 1),
            modularity: modularity(&u, &community),
            max_core: core_numbers(g).into_iter().max().unwrap_or(0),
            rich_club: local.then(|| rich_club(&u)),
            max_betweenness: bc.iter().copied().fold(0.0, f64::max),
            betweenness_sources: if n < 3 { 0 } else { sources },
        };
        let nodes = NodeValues {
            degree: d.in_degree.iter().zip(&d.out_degree).map(|(a, b)| a + b).collect(),
            in_strength: d.in_strength,
            clustering: per_node_clustering,
            betweenness: bc,
            community,
        };
        (measures, nodes)
    }
}
