//! The modern, dense Hopfield network (Ramsauer et al. 2020, "Hopfield Networks is All You
//! Need"): stored patterns X = [x_1 … x_M] of dimension d and a state ξ; one update is
//! ξ ← X softmax(β Xᵀ ξ), with the energy E(ξ) = −lse(β, Xᵀξ) + ½ ξᵀξ + (1/β) ln M + ½ max_i |x_i|²
//! (lse(β, z) = (1/β) ln Σ_i exp(β z_i)), which the update never increases. Large β retrieves one
//! pattern, β → 0 gives the mean of all, in between metastable averages.

use rayon::prelude::*;

/// Stored patterns, pattern-major (pattern k's d values are contiguous).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DenseHopfield {
    d: usize,
    m: usize,
    x: Vec<f32>,
    /// ½ max_i |x_i|², a constant of the energy.
    half_max_sq: f64,
}

/// Patterns at and above this count are scored in parallel.
const PARALLEL_PATTERNS: usize = 2048;

impl DenseHopfield {
    /// A memory of `patterns`, each of dimension `d` with finite values; a pattern of the wrong
    /// length or a value that is not finite is an error naming it.
    pub fn new(d: usize, patterns: &[Vec<f32>]) -> Result<Self, String> {
        if d == 0 {
            return Err("patterns have at least one dimension".into());
        }
        let mut x = Vec::with_capacity(d * patterns.len());
        let mut max_sq = 0.0f64;
        for (k, p) in patterns.iter().enumerate() {
            if p.len() != d {
                return Err(format!("pattern {k} has {} values, the memory {d} dimensions", p.len()));
            }
            if let Some(i) = p.iter().position(|v| !v.is_finite()) {
                return Err(format!("pattern {k}, value {i}: {} is not a finite number", p[i]));
            }
            max_sq = max_sq.max(p.iter().map(|&v| f64::from(v) * f64::from(v)).sum());
            x.extend_from_slice(p);
        }
        Ok(Self { d, m: patterns.len(), x, half_max_sq: max_sq / 2.0 })
    }

    /// Dimension of the patterns.
    pub fn dim(&self) -> usize {
        self.d
    }

    /// Patterns stored.
    pub fn patterns(&self) -> usize {
        self.m
    }

    fn check(&self, beta: f64, xi: &[f32]) -> Result<(), String> {
        if !(beta.is_finite() && beta > 0.0) {
            return Err(format!("beta {beta} must be a finite number > 0"));
        }
        if xi.len() != self.d {
            return Err(format!("the state has {} values, the memory {} dimensions", xi.len(), self.d));
        }
        if self.m == 0 {
            return Err("the memory stores no pattern".into());
        }
        Ok(())
    }

    /// β Xᵀ ξ into `scores` (one per pattern).
    fn scores(&self, beta: f64, xi: &[f32], scores: &mut Vec<f32>) {
        scores.clear();
        scores.resize(self.m, 0.0);
        let d = self.d;
        let score = |(k, s): (usize, &mut f32)| {
            *s = (dot(&self.x[k * d..(k + 1) * d], xi) as f64 * beta) as f32;
        };
        if self.m >= PARALLEL_PATTERNS {
            scores.par_iter_mut().enumerate().for_each(score);
        } else {
            scores.iter_mut().enumerate().for_each(score);
        }
    }

    /// One update: `out` = X softmax(β Xᵀ ξ); `weights` keeps the softmax (one per pattern).
    /// Returns the largest softmax weight. Errors for β ≤ 0 or not finite, a state of the wrong
    /// size, or no pattern.
    pub fn update(&self, beta: f64, xi: &[f32], out: &mut Vec<f32>, weights: &mut Vec<f32>) -> Result<f32, String> {
        self.check(beta, xi)?;
        self.scores(beta, xi, weights);
        let top = weights.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let mut total = 0.0f64;
        for w in weights.iter_mut() {
            *w = (*w - top).exp();
            total += f64::from(*w);
        }
        let inv = (1.0 / total) as f32;
        weights.iter_mut().for_each(|w| *w *= inv);
        out.clear();
        out.resize(self.d, 0.0);
        let d = self.d;
        // out += w_k x_k over a range of patterns.
        let accumulate = |from: usize, ws: &[f32], acc: &mut [f32]| {
            for (k, &w) in ws.iter().enumerate() {
                if w > 1e-12 {
                    let row = &self.x[(from + k) * d..(from + k + 1) * d];
                    acc.iter_mut().zip(row).for_each(|(o, &v)| *o += w * v);
                }
            }
        };
        if self.m >= PARALLEL_PATTERNS {
            let chunk = self.m.div_ceil(rayon::current_num_threads().max(1));
            let parts: Vec<Vec<f32>> = weights
                .par_chunks(chunk)
                .enumerate()
                .map(|(c, ws)| {
                    let mut part = vec![0.0f32; d];
                    accumulate(c * chunk, ws, &mut part);
                    part
                })
                .collect();
            for part in &parts {
                out.iter_mut().zip(part).for_each(|(o, &v)| *o += v);
            }
        } else {
            accumulate(0, weights, out);
        }
        Ok(weights.iter().copied().fold(0.0, f32::max))
    }

    /// The energy E(ξ) at inverse temperature β.
    pub fn energy(&self, beta: f64, xi: &[f32]) -> Result<f64, String> {
        self.check(beta, xi)?;
        let mut z = Vec::new();
        self.scores(beta, xi, &mut z);
        let top = z.iter().copied().fold(f32::NEG_INFINITY, f32::max) as f64;
        let lse = (top + z.iter().map(|&v| (f64::from(v) - top).exp()).sum::<f64>().ln()) / beta;
        let half_sq: f64 = xi.iter().map(|&v| f64::from(v) * f64::from(v)).sum::<f64>() / 2.0;
        Ok(-lse + half_sq + (self.m as f64).ln() / beta + self.half_max_sq)
    }
}

/// a · b, summed in 8 lanes (so the compiler vectorises it).
fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut lanes = [0.0f32; 8];
    let (ca, cb) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail: f32 = ca.remainder().iter().zip(cb.remainder()).map(|(x, y)| x * y).sum();
    for (x, y) in ca.zip(cb) {
        for l in 0..8 {
            lanes[l] += x[l] * y[l];
        }
    }
    lanes.iter().sum::<f32>() + tail
}
