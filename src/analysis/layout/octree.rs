//! The Barnes–Hut octree the force layout's repulsion walks. Bodies are sorted along a Morton
//! (Z-order) curve, so every cell holds a contiguous run of them; the tree is walked once per
//! *group* of nearby bodies (a cell of at most [`GROUP`] bodies), collecting the cells far enough
//! from the whole group to be taken whole and the bodies too near to be, and every body of the
//! group then sums that one list — in 8 lanes, so the compiler vectorises it.

use glam::Vec3;
use rayon::prelude::*;

/// Most bodies in a leaf.
const LEAF: usize = 8;
/// Most bodies sharing one walk of the tree.
const GROUP: usize = 32;
/// Bits per axis of the Morton code (21 × 3 = 63).
const BITS: u32 = 21;
/// Lanes of the interaction sums.
const LANES: usize = 8;

/// A cell: the centre of mass and mass of its bodies, the cube's half size, its run of bodies
/// (in Morton order) and its children (a run of cells; none for a leaf).
#[derive(Clone, Copy, Debug)]
struct Cell {
    com: Vec3,
    mass: f32,
    half: f32,
    start: u32,
    end: u32,
    first_child: u32,
    children: u8,
}

/// A Barnes–Hut octree over points.
pub(super) struct Octree {
    /// Body ids in Morton order.
    order: Vec<u32>,
    /// Their positions, in that order.
    sorted: Vec<Vec3>,
    cells: Vec<Cell>,
    /// The groups: cells of at most `GROUP` bodies whose parents hold more, in Morton order.
    groups: Vec<u32>,
}

/// Spreads the low 21 bits of `v` to every third bit.
fn spread(v: u64) -> u64 {
    let mut x = v & 0x1f_ffff;
    x = (x | x << 32) & 0x1f00000000ffff;
    x = (x | x << 16) & 0x1f0000ff0000ff;
    x = (x | x << 8) & 0x100f00f00f00f00f;
    x = (x | x << 4) & 0x10c30c30c30c30c3;
    (x | x << 2) & 0x1249249249249249
}

impl Octree {
    /// Builds the tree over `points` (sorted in parallel; the cells in one pass over the runs).
    pub(super) fn build(points: &[Vec3]) -> Self {
        let (lo, hi) = points
            .par_iter()
            .fold(|| (Vec3::splat(f32::MAX), Vec3::splat(f32::MIN)), |(lo, hi), p| (lo.min(*p), hi.max(*p)))
            .reduce(|| (Vec3::splat(f32::MAX), Vec3::splat(f32::MIN)), |a, b| (a.0.min(b.0), a.1.max(b.1)));
        let half = ((hi - lo).max_element() * 0.5).max(1e-3) * 1.001;
        let centre = (lo + hi) * 0.5;
        let origin = centre - Vec3::splat(half);
        let scale = (1u64 << BITS) as f32 / (2.0 * half);
        let top = ((1u64 << BITS) - 1) as f32;
        let mut keyed: Vec<(u64, u32)> = points
            .par_iter()
            .enumerate()
            .map(|(i, p)| {
                let q = ((*p - origin) * scale).clamp(Vec3::ZERO, Vec3::splat(top));
                let code = spread(q.x as u64) | spread(q.y as u64) << 1 | spread(q.z as u64) << 2;
                (code, i as u32)
            })
            .collect();
        keyed.par_sort_unstable();
        let order: Vec<u32> = keyed.iter().map(|&(_, i)| i).collect();
        let sorted: Vec<Vec3> = order.iter().map(|&i| points[i as usize]).collect();
        let codes: Vec<u64> = keyed.into_iter().map(|(c, _)| c).collect();
        let mut tree = Self { order, sorted, cells: Vec::new(), groups: Vec::new() };
        if points.is_empty() {
            return tree;
        }
        tree.cells.push(Cell {
            com: Vec3::ZERO,
            mass: 0.0,
            half,
            start: 0,
            end: points.len() as u32,
            first_child: 0,
            children: 0,
        });
        tree.split(0, 0, &codes);
        tree.collect_groups(0);
        tree
    }

    /// Splits cell `k` (at `level`) into its non-empty octants, recursively, and sets masses and
    /// centres of mass bottom-up.
    fn split(&mut self, k: usize, level: u32, codes: &[u64]) {
        let Cell { start, end, half, .. } = self.cells[k];
        let (s, e) = (start as usize, end as usize);
        if e - s <= LEAF || level >= BITS {
            let sum: Vec3 = self.sorted[s..e].iter().copied().sum();
            self.cells[k].mass = (e - s) as f32;
            self.cells[k].com = sum / (e - s) as f32;
            return;
        }
        let shift = 3 * (BITS - 1 - level);
        let octant = |c: u64| (c >> shift) & 7;
        let first = self.cells.len() as u32;
        let mut at = s;
        for o in 0..8u64 {
            let stop = s + codes[s..e].partition_point(|&c| octant(c) <= o);
            if stop > at {
                self.cells.push(Cell {
                    com: Vec3::ZERO,
                    mass: 0.0,
                    half: half * 0.5,
                    start: at as u32,
                    end: stop as u32,
                    first_child: 0,
                    children: 0,
                });
                at = stop;
            }
        }
        let children = self.cells.len() as u32 - first;
        self.cells[k].first_child = first;
        self.cells[k].children = children as u8;
        let (mut mass, mut moment) = (0.0, Vec3::ZERO);
        for c in first..first + children {
            self.split(c as usize, level + 1, codes);
            let child = self.cells[c as usize];
            mass += child.mass;
            moment += child.com * child.mass;
        }
        self.cells[k].mass = mass;
        self.cells[k].com = moment / mass;
    }

    /// Marks the groups under cell `k`, in Morton order.
    fn collect_groups(&mut self, k: usize) {
        let c = self.cells[k];
        if (c.end - c.start) as usize <= GROUP || c.children == 0 {
            self.groups.push(k as u32);
            return;
        }
        for child in c.first_child..c.first_child + u32::from(c.children) {
            self.collect_groups(child as usize);
        }
    }

    /// The repulsion Σ k² (p − q) / |p − q|² on every body (in the ids' order, into `out`), cells
    /// taken whole when their size over their distance from the group is below `theta`. The same
    /// for any thread count: each body's sum is its own.
    pub(super) fn repulsion(&self, k2: f32, theta: f32, out: &mut [Vec3]) {
        let mut sorted_force = vec![Vec3::ZERO; self.sorted.len()];
        // The groups cover the bodies in order: hand each its own run of the output.
        let mut runs: Vec<(u32, &mut [Vec3])> = Vec::with_capacity(self.groups.len());
        let mut rest = sorted_force.as_mut_slice();
        for &g in &self.groups {
            let c = &self.cells[g as usize];
            let (run, tail) = rest.split_at_mut((c.end - c.start) as usize);
            runs.push((g, run));
            rest = tail;
        }
        let theta2 = theta * theta;
        runs.into_par_iter().for_each_init(Interactions::default, |list, (g, run)| {
            #[cfg(target_arch = "x86_64")]
            if std::arch::is_x86_feature_detected!("avx2") {
                // SAFETY: the CPU supports AVX2 (checked just above).
                return unsafe { self.group_avx2(g, theta2, k2, list, run) };
            }
            self.group(g, theta2, k2, list, run);
        });
        for (rank, f) in sorted_force.into_iter().enumerate() {
            out[self.order[rank] as usize] = f;
        }
    }

    /// [`Octree::group`] compiled for AVX2 (8 floats a vector). The same IEEE operations in the
    /// same order (no FMA contraction): bit-identical to the portable build.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn group_avx2(&self, g: u32, theta2: f32, k2: f32, list: &mut Interactions, run: &mut [Vec3]) {
        self.group(g, theta2, k2, list, run);
    }

    /// The repulsion on each body of group `g`, into `run`.
    #[inline(always)]
    fn group(&self, g: u32, theta2: f32, k2: f32, list: &mut Interactions, run: &mut [Vec3]) {
        let c = self.cells[g as usize];
        let bodies = &self.sorted[c.start as usize..c.end as usize];
        self.interactions(bodies, theta2, list);
        for (p, f) in bodies.iter().zip(run.iter_mut()) {
            *f = list.sum(*p) * k2;
        }
    }

    /// What the bodies of one group interact with: cells far from all of them, bodies of the
    /// leaves too near.
    #[inline(always)]
    fn interactions(&self, bodies: &[Vec3], theta2: f32, list: &mut Interactions) {
        let (mut lo, mut hi) = (Vec3::splat(f32::MAX), Vec3::splat(f32::MIN));
        for p in bodies {
            lo = lo.min(*p);
            hi = hi.max(*p);
        }
        list.clear();
        list.stack.push(0);
        while let Some(k) = list.stack.pop() {
            let c = self.cells[k as usize];
            // Distance from the centre of mass to the group's box (0 inside it).
            let gap = (lo - c.com).max(c.com - hi).max(Vec3::ZERO);
            let size = 2.0 * c.half;
            if size * size < theta2 * gap.length_squared() {
                list.push(c.com, c.mass);
            } else if c.children == 0 {
                for q in &self.sorted[c.start as usize..c.end as usize] {
                    list.push(*q, 1.0);
                }
            } else {
                list.stack.extend(c.first_child..c.first_child + u32::from(c.children));
            }
        }
    }
}

/// Eight interactions, as columns: x, y, z and mass.
type Block = [[f32; LANES]; 4];

/// One group's interaction list, in blocks of [`LANES`] (the last padded with massless entries).
#[derive(Default)]
struct Interactions {
    blocks: Vec<Block>,
    /// Entries in the last block.
    filled: usize,
    stack: Vec<u32>,
}

impl Interactions {
    fn clear(&mut self) {
        self.blocks.clear();
        self.filled = LANES;
        self.stack.clear();
    }

    #[inline(always)]
    fn push(&mut self, p: Vec3, m: f32) {
        if self.filled == LANES {
            self.blocks.push([[0.0; LANES]; 4]);
            self.filled = 0;
        }
        let b = self.blocks.last_mut().expect("pushed above");
        let l = self.filled;
        (b[0][l], b[1][l], b[2][l], b[3][l]) = (p.x, p.y, p.z, m);
        self.filled += 1;
    }

    /// Σ m (p − q) / |p − q|² over the list (a body's own entry adds 0: p − q = 0; padding has no
    /// mass).
    #[inline(always)]
    fn sum(&self, p: Vec3) -> Vec3 {
        let (mut fx, mut fy, mut fz) = ([0.0f32; LANES], [0.0f32; LANES], [0.0f32; LANES]);
        for [x, y, z, m] in &self.blocks {
            for l in 0..LANES {
                let (dx, dy, dz) = (p.x - x[l], p.y - y[l], p.z - z[l]);
                let s = m[l] / (dx * dx + dy * dy + dz * dz).max(1e-6);
                fx[l] += dx * s;
                fy[l] += dy * s;
                fz[l] += dz * s;
            }
        }
        Vec3::new(fx.iter().sum(), fy.iter().sum(), fz.iter().sum())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scatter(n: usize, seed: u64) -> Vec<Vec3> {
        let mut x = seed;
        let mut next = || {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (x >> 40) as f32 / (1u64 << 24) as f32 * 100.0
        };
        (0..n).map(|_| Vec3::new(next(), next(), next())).collect()
    }

    fn direct(points: &[Vec3], i: usize, k2: f32) -> Vec3 {
        let p = points[i];
        points
            .iter()
            .enumerate()
            .filter(|&(j, _)| j != i)
            .map(|(_, &q)| {
                let d = p - q;
                d * (k2 / d.length_squared().max(1e-6))
            })
            .sum()
    }

    /// With θ = 0 no cell is taken whole: the tree's repulsion is the direct sum over bodies; at
    /// θ = 0.8 every body's force stays within 10 % of it.
    #[test]
    fn barnes_hut_with_theta_zero_is_the_direct_sum() {
        let points = scatter(2000, 7);
        let tree = Octree::build(&points);
        let (mut exact, mut approx) = (vec![Vec3::ZERO; 2000], vec![Vec3::ZERO; 2000]);
        tree.repulsion(4.0, 0.0, &mut exact);
        tree.repulsion(4.0, 0.8, &mut approx);
        for i in (0..2000).step_by(37) {
            let d = direct(&points, i, 4.0);
            assert!((exact[i] - d).length() <= 1e-3 * d.length().max(1.0), "{i}: {} vs {d}", exact[i]);
            assert!((approx[i] - d).length() <= 0.1 * d.length().max(1.0), "{i}: {} vs {d}", approx[i]);
        }
    }

    /// Every body is in exactly one leaf and one group; masses add up to the body count.
    #[test]
    fn cells_partition_the_bodies() {
        let mut points = scatter(5000, 3);
        // Many bodies on one spot: the depth limit keeps them in one leaf.
        points.extend(std::iter::repeat_n(Vec3::splat(50.0), 100));
        let tree = Octree::build(&points);
        assert_eq!(tree.cells[0].mass, points.len() as f32);
        let mut covered = 0;
        for &g in &tree.groups {
            let c = tree.cells[g as usize];
            assert_eq!(c.start, covered, "groups are contiguous and in order");
            covered = c.end;
        }
        assert_eq!(covered as usize, points.len());
        let mut seen = tree.order.clone();
        seen.sort_unstable();
        assert!(seen.iter().enumerate().all(|(i, &j)| i as u32 == j), "the order is a permutation");
        assert!(Octree::build(&[]).groups.is_empty());
    }
}
