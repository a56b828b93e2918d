//! Layouts of the synapse graph for the view: a force-directed layout (Fruchterman–Reingold
//! forces, repulsion by a Barnes–Hut octree, both halves parallel with rayon, vectors in glam), a
//! circular one and population layers. Positions are µm-like world coordinates, centred on 0.

use glam::Vec3;
use rayon::prelude::*;

use super::graph::Undirected;
use crate::sim::Network;

/// Neurons on a circle in id order (populations as arcs), of a radius that keeps neighbours
/// `spacing` apart.
pub fn circular(n: usize, spacing: f32) -> Vec<[f32; 3]> {
    let r = (n as f32 * spacing / std::f32::consts::TAU).max(spacing);
    (0..n)
        .map(|i| {
            let a = std::f32::consts::TAU * i as f32 / n.max(1) as f32;
            [r * a.cos(), r * a.sin(), 0.0]
        })
        .collect()
}

/// Each population a square grid in its own layer, stacked along y in population order.
pub fn population_layers(net: &Network, spacing: f32) -> Vec<[f32; 3]> {
    let mut out = vec![[0.0; 3]; net.num_neurons()];
    let pops = net.populations.len();
    for p in 0..pops {
        let ids: Vec<u32> = net.population_neurons(crate::sim::PopulationId(p as u16)).collect();
        let side = (ids.len() as f32).sqrt().ceil().max(1.0) as usize;
        let y = (p as f32 - (pops as f32 - 1.0) / 2.0) * spacing * (side as f32).max(4.0) * 0.5;
        for (k, &i) in ids.iter().enumerate() {
            let (gx, gz) = ((k % side) as f32, (k / side) as f32);
            let half = (side as f32 - 1.0) / 2.0;
            out[i as usize] = [(gx - half) * spacing, y, (gz - half) * spacing];
        }
    }
    out
}

/// An octree node: its centre of mass, mass (nodes inside), the cube's half size and its children
/// (index of the first of 8, or 0 for a leaf).
#[derive(Clone, Copy, Debug)]
struct Cell {
    center: Vec3,
    half: f32,
    mass: f32,
    com: Vec3,
    first_child: u32,
    /// A leaf's single body (u32::MAX: none or several).
    body: u32,
}

/// Barnes–Hut octree over points, in an arena.
struct Octree {
    cells: Vec<Cell>,
}

impl Octree {
    /// Most levels: points closer than the root's size / 2^MAX_DEPTH share a leaf.
    const MAX_DEPTH: u32 = 20;

    fn build(points: &[Vec3]) -> Self {
        let (mut lo, mut hi) = (Vec3::splat(f32::MAX), Vec3::splat(f32::MIN));
        for p in points {
            lo = lo.min(*p);
            hi = hi.max(*p);
        }
        let center = (lo + hi) * 0.5;
        let half = ((hi - lo).max_element() * 0.5).max(1e-3) * 1.001;
        let mut t =
            Octree { cells: vec![Cell { center, half, mass: 0.0, com: Vec3::ZERO, first_child: 0, body: u32::MAX }] };
        for (i, p) in points.iter().enumerate() {
            t.insert(0, i as u32, *p, points, 0);
        }
        t.finish(0);
        t
    }

    fn octant(c: &Cell, p: Vec3) -> usize {
        usize::from(p.x >= c.center.x) | usize::from(p.y >= c.center.y) << 1 | usize::from(p.z >= c.center.z) << 2
    }

    fn split(&mut self, k: usize) {
        let c = self.cells[k];
        let first = self.cells.len() as u32;
        let h = c.half * 0.5;
        for o in 0..8 {
            let off = Vec3::new(
                if o & 1 != 0 { h } else { -h },
                if o & 2 != 0 { h } else { -h },
                if o & 4 != 0 { h } else { -h },
            );
            self.cells.push(Cell {
                center: c.center + off,
                half: h,
                mass: 0.0,
                com: Vec3::ZERO,
                first_child: 0,
                body: u32::MAX,
            });
        }
        self.cells[k].first_child = first;
    }

    fn insert(&mut self, k: usize, i: u32, p: Vec3, points: &[Vec3], depth: u32) {
        let c = self.cells[k];
        // Mass and the sum of positions for now; `finish` divides.
        self.cells[k].mass += 1.0;
        self.cells[k].com += p;
        if c.first_child == 0 {
            if c.mass == 0.0 {
                self.cells[k].body = i;
                return;
            }
            if depth >= Self::MAX_DEPTH {
                self.cells[k].body = u32::MAX;
                return;
            }
            // A leaf with one body becomes a branch: push the old body down.
            let old = c.body;
            self.cells[k].body = u32::MAX;
            self.split(k);
            if old != u32::MAX {
                let q = points[old as usize];
                let child = self.cells[k].first_child as usize + Self::octant(&self.cells[k], q);
                self.insert(child, old, q, points, depth + 1);
            }
        }
        let child = self.cells[k].first_child as usize + Self::octant(&self.cells[k], p);
        self.insert(child, i, p, points, depth + 1);
    }

    fn finish(&mut self, k: usize) {
        if self.cells[k].mass > 0.0 {
            let m = self.cells[k].mass;
            self.cells[k].com /= m;
        }
        let first = self.cells[k].first_child as usize;
        if first != 0 {
            for child in first..first + 8 {
                self.finish(child);
            }
        }
    }

    /// The repulsion on a body at `p` (index `me`): Σ k² (p − q) / |p − q|² over the others, far
    /// cells taken whole when their size over their distance is below `theta`.
    fn repulsion(&self, me: u32, p: Vec3, k2: f32, theta: f32, stack: &mut Vec<u32>) -> Vec3 {
        let mut f = Vec3::ZERO;
        stack.clear();
        stack.push(0);
        while let Some(k) = stack.pop() {
            let c = &self.cells[k as usize];
            if c.mass == 0.0 || (c.first_child == 0 && c.body == me) {
                continue;
            }
            let d = p - c.com;
            let d2 = d.length_squared().max(1e-6);
            if c.first_child == 0 || (2.0 * c.half) * (2.0 * c.half) < theta * theta * d2 {
                f += d * (k2 * c.mass / d2);
            } else {
                stack.extend(c.first_child..c.first_child + 8);
            }
        }
        f
    }
}

/// A force-directed layout in progress.
pub struct ForceLayout {
    /// The positions.
    pub positions: Vec<Vec3>,
    /// Largest displacement per iteration (it cools towards a floor).
    pub temperature: f32,
    /// The ideal edge length k.
    pub k: f32,
    /// Barnes–Hut opening angle.
    pub theta: f32,
    /// Iterations done.
    pub iterations: u32,
}

impl ForceLayout {
    /// Starts from `start` (the scene's positions, say) with edges of ideal length `k`.
    pub fn new(start: &[[f32; 3]], k: f32) -> Self {
        let positions: Vec<Vec3> = start.iter().map(|p| Vec3::from_array(*p)).collect();
        Self { temperature: 10.0 * k, positions, k: k.max(1e-3), theta: 1.2, iterations: 0 }
    }

    /// One iteration over the undirected graph `g`: repulsion through the octree, attraction
    /// d²/k along each edge, the displacement capped by the temperature, which then cools by 5 %
    /// (to a floor of k/20, so the layout keeps settling as the graph changes).
    pub fn step(&mut self, g: &Undirected) {
        let n = self.positions.len().min(g.nodes());
        if n == 0 {
            return;
        }
        let tree = Octree::build(&self.positions[..n]);
        let (k, k2, theta, t) = (self.k, self.k * self.k, self.theta, self.temperature);
        let pos = &self.positions;
        // Each node's move is its own: the same for any thread count.
        let moves: Vec<Vec3> = (0..n)
            .into_par_iter()
            .map_init(Vec::new, |stack, i| {
                let p = pos[i];
                let mut f = tree.repulsion(i as u32, p, k2, theta, stack);
                for &j in g.neighbours(i) {
                    let d = pos[j as usize] - p;
                    f += d * (d.length() / k);
                }
                let len = f.length();
                if len > t { f * (t / len) } else { f }
            })
            .collect();
        for (p, m) in self.positions.iter_mut().zip(moves) {
            *p += m;
        }
        // Keep the picture centred.
        let centre = self.positions.iter().copied().sum::<Vec3>() / n as f32;
        self.positions.iter_mut().for_each(|p| *p -= centre);
        self.temperature = (self.temperature * 0.95).max(k / 20.0);
        self.iterations += 1;
    }

    /// The positions as arrays.
    pub fn to_arrays(&self) -> Vec<[f32; 3]> {
        self.positions.iter().map(Vec3::to_array).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// With θ = 0 no cell is taken whole: the octree's repulsion is the direct sum over bodies.
    #[test]
    fn barnes_hut_with_theta_zero_is_the_direct_sum() {
        let mut x = 7u64;
        let mut next = || {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (x >> 40) as f32 / (1u64 << 24) as f32 * 100.0
        };
        let points: Vec<Vec3> = (0..200).map(|_| Vec3::new(next(), next(), next())).collect();
        let tree = Octree::build(&points);
        let mut stack = Vec::new();
        for (i, &p) in points.iter().enumerate().step_by(17) {
            let direct: Vec3 = points
                .iter()
                .enumerate()
                .filter(|&(j, _)| j != i)
                .map(|(_, &q)| {
                    let d = p - q;
                    d * (4.0 / d.length_squared().max(1e-6))
                })
                .sum();
            let tree_sum = tree.repulsion(i as u32, p, 4.0, 0.0, &mut stack);
            assert!((tree_sum - direct).length() <= 1e-3 * direct.length().max(1.0), "{i}: {tree_sum} vs {direct}");
            // At θ = 0.8 it stays close.
            let approx = tree.repulsion(i as u32, p, 4.0, 0.8, &mut stack);
            assert!((approx - direct).length() <= 0.1 * direct.length().max(1.0), "{i}: {approx} vs {direct}");
        }
    }
}
