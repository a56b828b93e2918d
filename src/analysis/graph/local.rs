//! Local structure: directed clustering, transitivity and the triad census.

use rayon::prelude::*;

use super::{SynapseGraph, Undirected};

/// Size of the intersection of two sorted lists.
pub(super) fn common(a: &[u32], b: &[u32]) -> usize {
    let (mut i, mut j, mut n) = (0, 0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                n += 1;
                i += 1;
                j += 1;
            }
        }
    }
    n
}

/// `list` without `x`: the list itself when `x` is not in it (no self-loop, the common case), else
/// a copy without it (sorted lists stay sorted).
fn without(list: &[u32], x: u32) -> std::borrow::Cow<'_, [u32]> {
    if list.binary_search(&x).is_err() {
        return std::borrow::Cow::Borrowed(list);
    }
    std::borrow::Cow::Owned(list.iter().copied().filter(|&y| y != x).collect())
}

/// Directed clustering of every node (Fagiolo 2007, unweighted; networkx `clustering` of a
/// DiGraph): the directed triangles through i over 2 [d_tot (d_tot − 1) − 2 d↔], self-loops
/// ignored.
pub fn clustering(g: &SynapseGraph) -> Vec<f64> {
    let n = g.nodes();
    let mut out = vec![0.0; n];
    // Each node's value is its own: in parallel, the same numbers for any thread count.
    out.par_iter_mut().enumerate().for_each(|(i, c)| {
        let me = i as u32;
        let (ip, is) = (without(g.predecessors(i), me), without(g.successors(i), me));
        let mut triangles = 0usize;
        for &j in ip.iter().chain(is.iter()) {
            let (jp, js) = (without(g.predecessors(j as usize), j), without(g.successors(j as usize), j));
            triangles += common(&ip, &jp) + common(&ip, &js) + common(&is, &jp) + common(&is, &js);
        }
        let total = (ip.len() + is.len()) as f64;
        let both = common(&ip, &is) as f64;
        let pairs = total * (total - 1.0) - 2.0 * both;
        *c = if triangles == 0 { 0.0 } else { triangles as f64 / (2.0 * pairs) };
    });
    out
}

/// The mean of [`clustering`] over all nodes, zeros included (networkx `average_clustering`).
pub fn average_clustering(g: &SynapseGraph) -> f64 {
    mean(&clustering(g))
}

/// The mean of per-node values (0 for none).
pub(super) fn mean(values: &[f64]) -> f64 {
    if values.is_empty() { 0.0 } else { values.iter().sum::<f64>() / values.len() as f64 }
}

/// Transitivity of the undirected simple graph beneath: 3 × triangles over connected triples
/// (networkx `transitivity` of the undirected graph).
pub fn transitivity(u: &Undirected) -> f64 {
    // Integer counts per node, summed: the same for any thread count.
    let (triangles, triples) = (0..u.nodes())
        .into_par_iter()
        .map(|i| {
            let ni = u.neighbours(i);
            let d = ni.len();
            let t: usize = ni.iter().map(|&j| common(ni, u.neighbours(j as usize))).sum();
            (t, d * d.saturating_sub(1))
        })
        .reduce(|| (0, 0), |a, b| (a.0 + b.0, a.1 + b.1));
    // Each triangle is counted twice from each of its three corners; each triple twice.
    if triples == 0 { 0.0 } else { triangles as f64 / triples as f64 }
}

/// The sixteen triad types in MAN notation, in the order [`triad_census`] counts them.
pub const TRIAD_NAMES: [&str; 16] = [
    "003", "012", "102", "021D", "021U", "021C", "111D", "111U", "030T", "030C", "201", "120D", "120U", "120C", "210",
    "300",
];

/// The triad type (index into [`TRIAD_NAMES`]) of each of the 64 six-bit codes of the arcs among
/// three nodes v, u, w: v→u 1, u→v 2, v→w 4, w→v 8, u→w 16, w→u 32 (Batagelj & Mrvar 2001).
const TRICODES: [u8; 64] = [
    1, 2, 2, 3, 2, 4, 6, 8, 2, 6, 5, 7, 3, 8, 7, 11, 2, 6, 4, 8, 5, 9, 9, 13, 6, 10, 9, 14, 7, 14, 12, 15, 2, 5, 6, 7,
    6, 9, 10, 14, 4, 9, 9, 12, 8, 13, 14, 15, 3, 7, 8, 11, 7, 12, 14, 15, 8, 14, 13, 15, 11, 15, 15, 16,
];

/// The triad census: how many of the n (n−1) (n−2) / 6 node triples are of each of the sixteen
/// types (Batagelj & Mrvar 2001, as networkx `triadic_census`), self-loops ignored.
pub fn triad_census(g: &SynapseGraph) -> [u64; 16] {
    let n = g.nodes();
    let arc = |a: usize, b: u32| a != b as usize && g.has_edge(a, b);
    // Counts per node v, summed: integers, the same for any thread count.
    let mut census = (0..n)
        .into_par_iter()
        .map(|v| {
            let mut census = [0u64; 16];
            let (mut both, mut around): (Vec<u32>, Vec<u32>) = (Vec::new(), Vec::new());
            let vn = neighbourhood(g, v, &mut both);
            for &u in &vn {
                let u = u as usize;
                if u <= v {
                    continue;
                }
                let un = neighbourhood(g, u, &mut both);
                around.clear();
                merge_union(&vn, &un, &mut around);
                around.retain(|&w| w as usize != u && w as usize != v);
                for &w in &around {
                    let w_ = w as usize;
                    let linked_to_v = vn.binary_search(&w).is_ok();
                    if u < w_ || (v < w_ && w_ < u && !linked_to_v) {
                        let code = usize::from(arc(v, u as u32))
                            | usize::from(arc(u, v as u32)) << 1
                            | usize::from(arc(v, w)) << 2
                            | usize::from(arc(w_, v as u32)) << 3
                            | usize::from(arc(u, w)) << 4
                            | usize::from(arc(w_, u as u32)) << 5;
                        census[TRICODES[code] as usize - 1] += 1;
                    }
                }
                let dyad = if arc(v, u as u32) && arc(u, v as u32) { 2 } else { 1 };
                census[dyad] += (n - around.len() - 2) as u64;
            }
            census
        })
        .reduce(
            || [0u64; 16],
            |mut a, b| {
                a.iter_mut().zip(b).for_each(|(x, y)| *x += y);
                a
            },
        );
    let n = n as u64;
    let all = if n < 3 { 0 } else { n * (n - 1) * (n - 2) / 6 };
    census[0] = all - census[1..].iter().sum::<u64>();
    census
}

/// The sorted neighbours of `v` in either direction, without itself (`scratch` reused).
fn neighbourhood(g: &SynapseGraph, v: usize, scratch: &mut Vec<u32>) -> Vec<u32> {
    scratch.clear();
    merge_union(g.successors(v), g.predecessors(v), scratch);
    scratch.retain(|&x| x as usize != v);
    scratch.clone()
}

/// Appends the sorted union of two sorted lists to `out`.
fn merge_union(a: &[u32], b: &[u32], out: &mut Vec<u32>) {
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        let next = match (a.get(i), b.get(j)) {
            (Some(&x), Some(&y)) if x == y => {
                i += 1;
                j += 1;
                x
            }
            (Some(&x), Some(&y)) if x < y => {
                i += 1;
                x
            }
            (Some(_), Some(&y)) => {
                j += 1;
                y
            }
            (Some(&x), None) => {
                i += 1;
                x
            }
            (None, Some(&y)) => {
                j += 1;
                y
            }
            (None, None) => unreachable!(),
        };
        out.push(next);
    }
}
