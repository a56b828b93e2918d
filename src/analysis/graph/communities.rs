//! Communities of the undirected weighted graph: Louvain's method (Blondel et al. 2008) and
//! Newman's modularity.

use super::Undirected;

/// Newman's modularity of `community` (one label per node) on the undirected weighted graph:
/// Q = Σ_c [L_c / m − (D_c / 2m)²], L_c the weight inside c, D_c its nodes' summed strength, m the
/// total weight (networkx `community.modularity` with `weight="weight"`). 0 for a graph without
/// edges.
pub fn modularity(u: &Undirected, community: &[u32]) -> f64 {
    let labels = community.iter().copied().max().map_or(0, |m| m as usize + 1);
    let (mut inside, mut strength) = (vec![0.0f64; labels], vec![0.0f64; labels]);
    let mut total = 0.0;
    for i in 0..u.nodes() {
        let ci = community[i] as usize;
        for (&j, &w) in u.neighbours(i).iter().zip(u.weights(i)) {
            strength[ci] += w;
            total += w;
            if community[j as usize] as usize == ci {
                inside[ci] += w;
            }
        }
    }
    // Every edge was seen from both ends.
    let m = total / 2.0;
    if m == 0.0 {
        return 0.0;
    }
    (0..labels).map(|c| inside[c] / 2.0 / m - (strength[c] / (2.0 * m)).powi(2)).sum()
}

/// One level of the Louvain hierarchy: a weighted graph of (super)nodes with self-loops.
struct Level {
    start: Vec<usize>,
    nbr: Vec<u32>,
    weight: Vec<f64>,
    /// Each node's strength, self-loops counted twice.
    strength: Vec<f64>,
}

/// Louvain communities of the undirected weighted graph: local moves that raise modularity, nodes
/// visited in id order, then communities merged into nodes, until nothing moves. Deterministic.
/// Returns one community label per node (0, 1, … in order of first appearance).
pub fn louvain(u: &Undirected) -> Vec<u32> {
    let n = u.nodes();
    let mut level = Level {
        start: u.start.clone(),
        nbr: u.nbr.clone(),
        weight: u.weight.clone(),
        strength: (0..n).map(|i| u.weights(i).iter().sum()).collect(),
    };
    let two_m: f64 = level.strength.iter().sum();
    let mut of_node: Vec<u32> = (0..n as u32).collect();
    if two_m == 0.0 {
        return of_node;
    }
    loop {
        let (community, moved) = local_moves(&level, two_m);
        if !moved {
            break;
        }
        let (labels, count) = relabel(&community);
        for c in &mut of_node {
            *c = labels[*c as usize];
        }
        level = aggregate(&level, &labels, count);
    }
    relabel(&of_node).0
}

/// Moves nodes between communities while modularity rises; returns each node's community and
/// whether any node moved.
fn local_moves(g: &Level, two_m: f64) -> (Vec<u32>, bool) {
    let n = g.strength.len();
    let mut community: Vec<u32> = (0..n as u32).collect();
    let mut total: Vec<f64> = g.strength.clone();
    let mut to = vec![0.0f64; n];
    let mut touched: Vec<u32> = Vec::new();
    let mut moved_any = false;
    loop {
        let mut moved = false;
        for i in 0..n {
            let (ci, ki) = (community[i] as usize, g.strength[i]);
            for k in g.start[i]..g.start[i + 1] {
                let j = g.nbr[k] as usize;
                if j == i {
                    continue;
                }
                let cj = community[j] as usize;
                if to[cj] == 0.0 {
                    touched.push(cj as u32);
                }
                to[cj] += g.weight[k];
            }
            total[ci] -= ki;
            // Gain of joining c, up to a common factor: w(i, c) − tot_c k_i / 2m.
            let gain = |c: usize, to: &[f64]| to[c] - total[c] * ki / two_m;
            let (mut best, mut best_gain) = (ci, gain(ci, &to));
            for &c in &touched {
                let c = c as usize;
                let g = gain(c, &to);
                if g > best_gain + 1e-12 {
                    (best, best_gain) = (c, g);
                }
            }
            total[best] += ki;
            if best != ci {
                community[i] = best as u32;
                moved = true;
            }
            for &c in &touched {
                to[c as usize] = 0.0;
            }
            touched.clear();
        }
        if !moved {
            break;
        }
        moved_any = true;
    }
    (community, moved_any)
}

/// Labels 0, 1, … in order of first appearance, and how many there are.
fn relabel(community: &[u32]) -> (Vec<u32>, usize) {
    let mut map = vec![u32::MAX; community.len().max(1 + community.iter().copied().max().unwrap_or(0) as usize)];
    let mut next = 0u32;
    let labels = community
        .iter()
        .map(|&c| {
            if map[c as usize] == u32::MAX {
                map[c as usize] = next;
                next += 1;
            }
            map[c as usize]
        })
        .collect();
    (labels, next as usize)
}

/// The graph of communities: one node per label, edge weights summed, inner weight as a self-loop.
fn aggregate(g: &Level, labels: &[u32], count: usize) -> Level {
    let mut rows: Vec<Vec<(u32, f64)>> = vec![Vec::new(); count];
    let mut strength = vec![0.0f64; count];
    for i in 0..labels.len() {
        let ci = labels[i] as usize;
        strength[ci] += g.strength[i];
        for k in g.start[i]..g.start[i + 1] {
            rows[ci].push((labels[g.nbr[k] as usize], g.weight[k]));
        }
    }
    let (mut start, mut nbr, mut weight) = (vec![0usize], Vec::new(), Vec::new());
    for row in &mut rows {
        row.sort_unstable_by_key(|e| e.0);
        for &(c, w) in row.iter() {
            if nbr.len() > *start.last().expect("starts at 0") && *nbr.last().expect("one pushed") == c {
                *weight.last_mut().expect("one pushed") += w;
            } else {
                nbr.push(c);
                weight.push(w);
            }
        }
        start.push(nbr.len());
    }
    Level { start, nbr, weight, strength }
}
