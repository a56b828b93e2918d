//! Small-world coefficients against seeded degree-preserving null models, as networkx defines them:
//! σ = (C / C_r) / (L / L_r) with C the transitivity (Humphries & Gurney 2008), and
//! ω = L_r / L − C / C_l with C the average clustering (Telesford et al. 2011). C_r and L_r come
//! from random references (Maslov–Sneppen double-edge swaps), C_l from lattice references (swaps
//! kept only when they bring edges nearer the diagonal of a ring), every swap kept connected.
//! Measured on the largest connected component of the undirected graph (multapses and both
//! directions merged, self-loops dropped).

use super::Undirected;
use super::local::common;
use crate::sim::rng::CounterRng;

/// How hard to try: networkx's `sigma(niter=100, nrand=10)` and `omega(niter=5, nrand=10)`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SmallWorldEffort {
    /// Rewirings per edge for σ's random references.
    pub niter_sigma: u32,
    /// Rewirings per edge for ω's lattice references (its random ones get twice as many).
    pub niter_omega: u32,
    /// Reference graphs of each kind.
    pub nrand: u32,
    /// Seed of the swaps.
    pub seed: u64,
}

impl Default for SmallWorldEffort {
    fn default() -> Self {
        Self { niter_sigma: 100, niter_omega: 5, nrand: 10, seed: 1 }
    }
}

/// The coefficients and what they are made of.
#[derive(Clone, Copy, Debug, Default, PartialEq, serde::Serialize)]
pub struct SmallWorld {
    /// σ (> 1: small-world); `None` when the random references have no triangle (C_r = 0).
    pub sigma: Option<f64>,
    /// ω (−1 lattice-like, 0 small-world, 1 random-like).
    pub omega: f64,
    /// Nodes of the largest connected component measured.
    pub nodes: usize,
    /// Its undirected edges.
    pub edges: usize,
    /// Its transitivity.
    pub transitivity: f64,
    /// Its average clustering.
    pub clustering: f64,
    /// Its characteristic path length (hops).
    pub path_length: f64,
    /// Mean transitivity of σ's random references.
    pub random_transitivity: f64,
    /// Mean path length of σ's random references.
    pub random_path_length: f64,
    /// Mean path length of ω's random references.
    pub omega_random_path_length: f64,
    /// Largest average clustering of ω's lattice references (and the graph's own).
    pub lattice_clustering: f64,
}

/// A simple undirected graph that can be rewired: sorted neighbour lists.
#[derive(Clone, Debug)]
struct Rewirable {
    adj: Vec<Vec<u32>>,
    /// Every edge end (node repeated by degree): a uniform pick is a degree-weighted node.
    ends: Vec<u32>,
    edges: usize,
}

impl Rewirable {
    fn has(&self, a: u32, b: u32) -> bool {
        self.adj[a as usize].binary_search(&b).is_ok()
    }

    fn add(&mut self, a: u32, b: u32) {
        for (x, y) in [(a, b), (b, a)] {
            let row = &mut self.adj[x as usize];
            if let Err(at) = row.binary_search(&y) {
                row.insert(at, y);
            }
        }
    }

    fn remove(&mut self, a: u32, b: u32) {
        for (x, y) in [(a, b), (b, a)] {
            let row = &mut self.adj[x as usize];
            if let Ok(at) = row.binary_search(&y) {
                row.remove(at);
            }
        }
    }

    /// Whether `a` and `b` are connected (a breadth-first search from `a`, stopping at `b`).
    fn connected(&self, a: u32, b: u32, seen: &mut Vec<bool>, queue: &mut Vec<u32>) -> bool {
        seen.clear();
        seen.resize(self.adj.len(), false);
        queue.clear();
        queue.push(a);
        seen[a as usize] = true;
        let mut head = 0;
        while head < queue.len() {
            let v = queue[head];
            head += 1;
            for &w in &self.adj[v as usize] {
                if w == b {
                    return true;
                }
                if !seen[w as usize] {
                    seen[w as usize] = true;
                    queue.push(w);
                }
            }
        }
        false
    }

    /// networkx's `random_reference` (`lattice: false`) or `lattice_reference` (`true`):
    /// `niter × edges` rounds of up to ⌊2 edges / (n − 1)⌋ tries at a double-edge swap
    /// (a–b, c–d) → (a–d, c–b) that keeps the graph simple and connected; the lattice's swaps
    /// only when the ring distances satisfy networkx's test D(a,b) + D(c,d) ≥ D(a,c) + D(b,d).
    fn rewired(&self, niter: u32, lattice: bool, rng: &mut CounterRng) -> Self {
        let mut g = self.clone();
        let n = g.adj.len();
        let rounds = niter as usize * g.edges;
        let tries = (2 * g.edges) / (n - 1).max(1);
        let ring = |x: u32, y: u32| {
            let d = x.abs_diff(y) as usize;
            d.min(n - d)
        };
        let (mut seen, mut queue) = (Vec::new(), Vec::new());
        let pick = |rng: &mut CounterRng, len: usize| ((rng.uniform() * len as f64) as usize).min(len - 1);
        for _ in 0..rounds {
            for _ in 0..tries.max(1) {
                let a = g.ends[pick(rng, g.ends.len())];
                let c = g.ends[pick(rng, g.ends.len())];
                if a == c {
                    continue;
                }
                let b = g.adj[a as usize][pick(rng, g.adj[a as usize].len())];
                let d = g.adj[c as usize][pick(rng, g.adj[c as usize].len())];
                if b == c || b == d || d == a {
                    continue;
                }
                if g.has(a, d) || g.has(c, b) {
                    continue;
                }
                if lattice && ring(a, b) + ring(c, d) < ring(a, c) + ring(b, d) {
                    continue;
                }
                g.add(a, d);
                g.add(c, b);
                g.remove(a, b);
                g.remove(c, d);
                if g.connected(a, b, &mut seen, &mut queue) {
                    break;
                }
                g.remove(a, d);
                g.remove(c, b);
                g.add(a, b);
                g.add(c, d);
            }
        }
        g
    }

    /// Transitivity and average clustering (nodes of degree < 2 count 0, as networkx's).
    fn clustering(&self) -> (f64, f64) {
        let (mut triangles, mut triples, mut sum) = (0u64, 0u64, 0.0);
        for row in &self.adj {
            let k = row.len() as u64;
            let mut t = 0u64;
            for &u in row {
                // Common neighbours of v and u, each triangle counted from both of v's edges.
                t += common(row, &self.adj[u as usize]) as u64;
            }
            t /= 2;
            triangles += t;
            triples += k * k.saturating_sub(1) / 2;
            if k >= 2 {
                sum += t as f64 / (k * (k - 1) / 2) as f64;
            }
        }
        let transitivity = if triples == 0 { 0.0 } else { triangles as f64 / triples as f64 };
        (transitivity, sum / self.adj.len().max(1) as f64)
    }

    /// Mean hops over all ordered pairs (the graph is connected).
    fn path_length(&self) -> f64 {
        let n = self.adj.len();
        let (mut dist, mut queue) = (vec![u32::MAX; n], Vec::with_capacity(n));
        let mut total = 0u64;
        for s in 0..n {
            dist.fill(u32::MAX);
            queue.clear();
            dist[s] = 0;
            queue.push(s as u32);
            let mut head = 0;
            while head < queue.len() {
                let v = queue[head] as usize;
                head += 1;
                for &w in &self.adj[v] {
                    if dist[w as usize] == u32::MAX {
                        dist[w as usize] = dist[v] + 1;
                        total += u64::from(dist[v] + 1);
                        queue.push(w);
                    }
                }
            }
        }
        total as f64 / (n * (n - 1)).max(1) as f64
    }
}

/// The largest connected component of `g` (nodes renumbered in id order), without self-loops.
fn largest_component(g: &Undirected) -> Rewirable {
    let n = g.nodes();
    let mut label = vec![u32::MAX; n];
    let mut best = (0usize, 0u32);
    let mut queue = Vec::new();
    for s in 0..n {
        if label[s] != u32::MAX {
            continue;
        }
        label[s] = s as u32;
        queue.clear();
        queue.push(s as u32);
        let mut head = 0;
        while head < queue.len() {
            let v = queue[head] as usize;
            head += 1;
            for &w in g.neighbours(v) {
                if label[w as usize] == u32::MAX {
                    label[w as usize] = s as u32;
                    queue.push(w);
                }
            }
        }
        if queue.len() > best.0 {
            best = (queue.len(), s as u32);
        }
    }
    let mut index = vec![u32::MAX; n];
    let mut k = 0;
    for v in 0..n {
        if label[v] == best.1 {
            index[v] = k;
            k += 1;
        }
    }
    let mut adj = vec![Vec::new(); k as usize];
    for v in 0..n {
        if index[v] == u32::MAX {
            continue;
        }
        let row: &mut Vec<u32> = &mut adj[index[v] as usize];
        row.extend(g.neighbours(v).iter().filter(|&&w| w as usize != v).map(|&w| index[w as usize]));
        row.sort_unstable();
        row.dedup();
    }
    let ends: Vec<u32> = adj.iter().enumerate().flat_map(|(v, row)| std::iter::repeat_n(v as u32, row.len())).collect();
    let edges = ends.len() / 2;
    Rewirable { adj, ends, edges }
}

/// σ and ω of `g`'s largest connected component (`None` below 4 nodes or when it is complete: no
/// swap is possible and the references are the graph itself).
pub fn small_world(g: &Undirected, effort: SmallWorldEffort) -> Option<SmallWorld> {
    let lcc = largest_component(g);
    let n = lcc.adj.len();
    if n < 4 || lcc.edges >= n * (n - 1) / 2 {
        return None;
    }
    let (transitivity, clustering) = lcc.clustering();
    let path_length = lcc.path_length();
    let nrand = effort.nrand.max(1);
    let mut rng = CounterRng::new(effort.seed, 0, 0, 0x5157_0e1d);
    let (mut cr, mut lr) = (0.0, 0.0);
    for _ in 0..nrand {
        let r = lcc.rewired(effort.niter_sigma, false, &mut rng);
        cr += r.clustering().0;
        lr += r.path_length();
    }
    let (cr, lr) = (cr / f64::from(nrand), lr / f64::from(nrand));
    let (mut lr_omega, mut cl) = (0.0, clustering);
    for _ in 0..nrand {
        lr_omega += lcc.rewired(effort.niter_omega * 2, false, &mut rng).path_length();
        cl = cl.max(lcc.rewired(effort.niter_omega, true, &mut rng).clustering().1);
    }
    let lr_omega = lr_omega / f64::from(nrand);
    let ratio = |a: f64, b: f64| if b > 0.0 { a / b } else { 0.0 };
    Some(SmallWorld {
        sigma: (cr > 0.0).then(|| (transitivity / cr) / ratio(path_length, lr)),
        omega: ratio(lr_omega, path_length) - ratio(clustering, cl),
        nodes: n,
        edges: lcc.edges,
        transitivity,
        clustering,
        path_length,
        random_transitivity: cr,
        random_path_length: lr,
        omega_random_path_length: lr_omega,
        lattice_clustering: cl,
    })
}
