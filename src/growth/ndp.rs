//! Neural Developmental Programs (Najarro, Sudhakaran & Risi 2023): a graph grows by node
//! replication. A replicating node i adds a node j connected to i's closed neighbourhood
//! N(i) ∪ {i} (taken at the start of the cycle), whose embedding is the mean of theirs. The
//! spiking form of the same growth step is [`super::neurogenesis::Neurogenesis`].

use std::collections::BTreeSet;

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
        let links: usize = self.adjacency.iter().map(BTreeSet::len).sum::<usize>() - loops;
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
        with_loops.propagate(|u, v| if u == v { 1.0 } else { 0.0 }, <[f64]>::to_vec);
        assert_eq!(with_loops, reference);
    }
}
