//! Cores and the rich club.

use super::{SynapseGraph, Undirected};

/// The core number of every node: the largest k such that it belongs to a subgraph in which every
/// node has total degree (in + out, self-loops ignored) at least k (Batagelj & Zaversnik 2003, as
/// networkx `core_number` of a DiGraph).
pub fn core_numbers(g: &SynapseGraph) -> Vec<u32> {
    let n = g.nodes();
    let neighbours =
        |v: usize| g.predecessors(v).iter().chain(g.successors(v)).copied().filter(move |&u| u as usize != v);
    let mut degree: Vec<usize> = (0..n).map(|v| neighbours(v).count()).collect();
    let max = degree.iter().copied().max().unwrap_or(0);
    // Bucket sort by degree: `order` holds the nodes by degree, `at` each node's place in it and
    // `bin` where each degree's run starts.
    let mut bin = vec![0usize; max + 2];
    for &d in &degree {
        bin[d + 1] += 1;
    }
    for d in 0..=max {
        bin[d + 1] += bin[d];
    }
    let mut next = bin.clone();
    let (mut order, mut at) = (vec![0usize; n], vec![0usize; n]);
    for v in 0..n {
        at[v] = next[degree[v]];
        order[at[v]] = v;
        next[degree[v]] += 1;
    }
    for k in 0..n {
        let v = order[k];
        debug_assert!(at[v] == k);
        for u in neighbours(v) {
            let u = u as usize;
            if degree[u] > degree[v] {
                // Move u to the front of its degree's run, then shrink its degree by one.
                let du = degree[u];
                let first = bin[du];
                let w = order[first];
                if u != w {
                    order.swap(at[u], first);
                    at[w] = at[u];
                    at[u] = first;
                }
                bin[du] = first + 1;
                degree[u] -= 1;
            }
        }
    }
    degree.into_iter().map(|d| d as u32).collect()
}

/// The rich-club coefficient φ(k) = 2 E_k / (N_k (N_k − 1)) of the undirected simple graph for
/// k = 0, 1, … while at least two nodes have degree above k: N_k those nodes, E_k the edges among
/// them (unnormalised, as networkx `rich_club_coefficient(normalized=False)`).
pub fn rich_club(u: &Undirected) -> Vec<f64> {
    let n = u.nodes();
    let degree: Vec<usize> = (0..n).map(|i| u.degree(i)).collect();
    let max = degree.iter().copied().max().unwrap_or(0);
    // Nodes of each degree, and edges by the smaller degree of their ends.
    let (mut nodes_of, mut edges_of) = (vec![0usize; max + 1], vec![0usize; max + 1]);
    for i in 0..n {
        nodes_of[degree[i]] += 1;
        for &j in u.neighbours(i) {
            if (j as usize) > i {
                edges_of[degree[i].min(degree[j as usize])] += 1;
            }
        }
    }
    if u.edges() == 0 {
        return Vec::new();
    }
    let (mut above_nodes, mut above_edges) = (n, u.edges());
    let mut phi = Vec::new();
    for k in 0..=max {
        above_nodes -= nodes_of[k];
        above_edges -= edges_of[k];
        if above_nodes < 2 {
            break;
        }
        phi.push(2.0 * above_edges as f64 / (above_nodes as f64 * (above_nodes as f64 - 1.0)));
    }
    phi
}
