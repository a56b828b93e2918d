//! Layouts of the synapse graph for the view: a force-directed layout (Fruchterman–Reingold
//! forces, repulsion by a Barnes–Hut octree, both halves parallel with rayon, vectors in glam), a
//! circular one and population layers. Positions are µm-like world coordinates, centred on 0.

mod octree;

use glam::Vec3;
use rayon::prelude::*;

use super::graph::Undirected;
use crate::sim::Network;
use octree::Octree;

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

/// Each population a square grid in its own layer, the first on top, the layers as far apart as
/// half the widest grid.
pub fn population_layers(net: &Network, spacing: f32) -> Vec<[f32; 3]> {
    let mut out = vec![[0.0; 3]; net.num_neurons()];
    let pops = net.populations.len();
    let members: Vec<Vec<u32>> =
        (0..pops).map(|p| net.population_neurons(crate::sim::PopulationId(p as u16)).collect()).collect();
    let side_of = |ids: &Vec<u32>| (ids.len() as f32).sqrt().ceil().max(1.0) as usize;
    let widest = members.iter().map(side_of).max().unwrap_or(1) as f32;
    let gap = spacing * widest.max(4.0) * 0.5;
    for (p, ids) in members.iter().enumerate() {
        let side = side_of(ids);
        let y = ((pops as f32 - 1.0) / 2.0 - p as f32) * gap;
        let half = (side as f32 - 1.0) / 2.0;
        for (k, &i) in ids.iter().enumerate() {
            let (gx, gz) = ((k % side) as f32, (k / side) as f32);
            out[i as usize] = [(gx - half) * spacing, y, (gz - half) * spacing];
        }
    }
    out
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
    /// Gravity: each node is pulled to the centre as along an edge of this weight, so nodes without
    /// synapses (which only feel repulsion) stay near the rest instead of drifting away.
    pub gravity: f32,
    /// Iterations done.
    pub iterations: u32,
    /// This iteration's move of each node (kept to spare an allocation per iteration).
    force: Vec<Vec3>,
}

impl ForceLayout {
    /// Starts from `start` (the scene's positions, say) with edges of ideal length `k`.
    pub fn new(start: &[[f32; 3]], k: f32) -> Self {
        let positions: Vec<Vec3> = start.iter().map(|p| Vec3::from_array(*p)).collect();
        Self {
            temperature: 10.0 * k,
            positions,
            k: k.max(1e-3),
            theta: 1.2,
            gravity: 0.2,
            iterations: 0,
            force: Vec::new(),
        }
    }

    /// One iteration over the undirected graph `g`: repulsion through the octree, attraction
    /// d²/k along each edge and to the centre (gravity), the displacement capped by the temperature, which then cools by 5 %
    /// (to a floor of k/20, so the layout keeps settling as the graph changes).
    pub fn step(&mut self, g: &Undirected) {
        let n = self.positions.len().min(g.nodes());
        if n == 0 {
            return;
        }
        let (k, k2, theta, t, gravity) = (self.k, self.k * self.k, self.theta, self.temperature, self.gravity);
        let tree = Octree::build(&self.positions[..n]);
        self.force.resize(n, Vec3::ZERO);
        tree.repulsion(k2, theta, &mut self.force);
        let pos = &self.positions;
        // Each node's move is its own: the same for any thread count.
        self.force.par_iter_mut().enumerate().for_each(|(i, f)| {
            let p = pos[i];
            let nbrs = g.neighbours(i);
            let (mut ax, mut ay, mut az) = ([0.0f32; 8], [0.0f32; 8], [0.0f32; 8]);
            let mut chunks = nbrs.chunks_exact(8);
            for c in &mut chunks {
                let (mut dx, mut dy, mut dz) = ([0.0f32; 8], [0.0f32; 8], [0.0f32; 8]);
                for l in 0..8 {
                    let q = pos[c[l] as usize];
                    dx[l] = q.x - p.x;
                    dy[l] = q.y - p.y;
                    dz[l] = q.z - p.z;
                }
                for l in 0..8 {
                    let s = (dx[l] * dx[l] + dy[l] * dy[l] + dz[l] * dz[l]).sqrt();
                    ax[l] += dx[l] * s;
                    ay[l] += dy[l] * s;
                    az[l] += dz[l] * s;
                }
            }
            let mut a = Vec3::new(ax.iter().sum(), ay.iter().sum(), az.iter().sum());
            for &j in chunks.remainder() {
                let d = pos[j as usize] - p;
                a += d * d.length();
            }
            // The centre is 0: the layout is re-centred after every iteration.
            *f += (a - p * (gravity * p.length())) / k;
            let len = f.length();
            if len > t {
                *f *= t / len;
            }
        });
        for (p, m) in self.positions.iter_mut().zip(&self.force) {
            *p += *m;
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
