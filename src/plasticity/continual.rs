//! Continual learning (ALGORITHMS.md §6–7): Synaptic Intelligence (Zenke, Poole & Ganguli 2017)
//! and Hebbian orthogonal projection onto lateral subspaces (HLOP, Xiao et al. 2024).

use serde::{Deserialize, Serialize};

use crate::sim::rng::CounterRng;

/// Synaptic Intelligence: a per-parameter importance Ω from the path integral of the task loss,
/// and the quadratic penalty c Σ Ω_k (θ̃_k − θ_k)² that protects what earlier tasks needed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SynapticIntelligence {
    /// Penalty strength c.
    pub c: f64,
    /// Damping ξ of the importance normalisation.
    pub xi: f64,
    /// Running path integral ω of the current task.
    pub omega: Vec<f64>,
    /// Consolidated importance Ω.
    pub importance: Vec<f64>,
    /// Parameters at the end of the previous task (θ̃).
    pub anchor: Vec<f64>,
}

impl SynapticIntelligence {
    /// Starts with parameters `theta0`, strength `c` and damping `xi`.
    pub fn new(theta0: &[f64], c: f64, xi: f64) -> Self {
        Self { c, xi, omega: vec![0.0; theta0.len()], importance: vec![0.0; theta0.len()], anchor: theta0.to_vec() }
    }

    /// Adds one optimiser step: `grad` of the unregularised task loss, `delta` the change applied.
    pub fn accumulate(&mut self, grad: &[f64], delta: &[f64]) {
        for ((w, g), d) in self.omega.iter_mut().zip(grad).zip(delta) {
            *w -= g * d;
        }
    }

    /// Ends a task at parameters `theta`: Ω ← max(0, Ω + ω / (Δ² + ξ)), θ̃ ← θ, ω ← 0.
    pub fn consolidate(&mut self, theta: &[f64]) {
        let parts = self.importance.iter_mut().zip(self.anchor.iter_mut()).zip(self.omega.iter_mut());
        for (((imp, anchor), omega), &t) in parts.zip(theta) {
            let delta = t - *anchor;
            *imp = (*imp + *omega / (delta * delta + self.xi)).max(0.0);
            *anchor = t;
            *omega = 0.0;
        }
    }

    /// The penalty c Σ Ω (θ − θ̃)².
    pub fn penalty(&self, theta: &[f64]) -> f64 {
        self.c
            * theta.iter().zip(&self.anchor).zip(&self.importance).map(|((t, a), o)| o * (t - a).powi(2)).sum::<f64>()
    }

    /// Adds the penalty's gradient 2 c Ω (θ − θ̃) to `grad`.
    pub fn add_penalty_gradient(&self, theta: &[f64], grad: &mut [f64]) {
        for k in 0..theta.len() {
            grad[k] += 2.0 * self.c * self.importance[k] * (theta[k] - self.anchor[k]);
        }
    }
}

/// HLOP: k lateral subspace neurons with weights H (rows of length n) learnt by Oja's subspace
/// rule from presynaptic activity; updates of the main weights use the input's component
/// orthogonal to the consolidated subspace, so old tasks' inputs are not interfered with.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Hlop {
    /// Subspace weights, one row per lateral neuron.
    pub h: Vec<Vec<f64>>,
    /// Momentum buffer of the Hebbian update.
    pub momentum: Vec<Vec<f64>>,
    /// Learning rate of the Hebbian update.
    pub lr: f64,
    /// Momentum coefficient (0.9 in HLOP-SNN; 0 disables it).
    pub beta: f64,
    /// Rows below this index belong to consolidated tasks and are frozen.
    pub frozen: usize,
}

impl Hlop {
    /// A subspace with initial rows `h0`.
    pub fn new(h0: Vec<Vec<f64>>, lr: f64, beta: f64) -> Self {
        let momentum = h0.iter().map(|r| vec![0.0; r.len()]).collect();
        Self { h: h0, momentum, lr, beta, frozen: 0 }
    }

    /// y = H x.
    pub fn responses(&self, x: &[f64]) -> Vec<f64> {
        self.h.iter().map(|row| row.iter().zip(x).map(|(a, b)| a * b).sum()).collect()
    }

    /// One Hebbian/anti-Hebbian update from a batch: dH = (1/B) Σ y (x − Hᵀ y)ᵀ, clamped to
    /// [−10, 10], through momentum, applied to the rows that are not frozen.
    pub fn update(&mut self, batch: &[Vec<f64>]) {
        let (k, n) = (self.h.len(), self.h.first().map_or(0, Vec::len));
        debug_assert!(self.frozen <= k);
        let mut dh = vec![vec![0.0; n]; k];
        for x in batch {
            let y = self.responses(x);
            let mut x_hat = vec![0.0; n];
            for (row, yk) in self.h.iter().zip(&y) {
                for (xh, r) in x_hat.iter_mut().zip(row) {
                    *xh += yk * r;
                }
            }
            for (drow, yk) in dh.iter_mut().zip(&y) {
                for ((d, xi), xh) in drow.iter_mut().zip(x).zip(&x_hat) {
                    *d += yk * (xi - xh);
                }
            }
        }
        let b = batch.len().max(1) as f64;
        let rows = self.h.iter_mut().zip(self.momentum.iter_mut()).zip(&dh).skip(self.frozen);
        for ((row, mom), drow) in rows {
            for ((w, m), d) in row.iter_mut().zip(mom.iter_mut()).zip(drow) {
                let g = (d / b).clamp(-10.0, 10.0);
                *m = if self.beta > 0.0 { self.beta * *m + (1.0 - self.beta) * g } else { g };
                *w += self.lr * *m;
            }
        }
    }

    /// x⊥ = x − Hᵀ (H x): the part of `x` outside the learnt subspace.
    pub fn project_out(&self, x: &[f64]) -> Vec<f64> {
        let y = self.responses(x);
        let mut out = x.to_vec();
        for (row, yk) in self.h.iter().zip(&y) {
            for (o, r) in out.iter_mut().zip(row) {
                *o -= yk * r;
            }
        }
        out
    }

    /// Freezes the current rows (end of a task) and appends `extra` new rows for the next one.
    pub fn consolidate(&mut self, extra: Vec<Vec<f64>>) {
        self.frozen = self.h.len();
        for row in extra {
            self.momentum.push(vec![0.0; row.len()]);
            self.h.push(row);
        }
    }
}

/// `k` rows orthonormal to each other and to `existing` (at most `n − existing.len()`), by
/// Gram–Schmidt on normal draws: the `d`-th candidate draws from the key (`seed`, `d`, rows so far,
/// `stream`), and candidates (nearly) inside the span are skipped.
pub fn orthonormal_rows(existing: &[Vec<f64>], k: usize, n: usize, seed: u64, stream: u64) -> Vec<Vec<f64>> {
    let mut all: Vec<Vec<f64>> = existing.to_vec();
    let mut out = Vec::new();
    let mut draw = 0u64;
    while out.len() < k && all.len() < n {
        let mut r = CounterRng::new(seed, draw, all.len() as u64, stream);
        draw += 1;
        let mut v: Vec<f64> = (0..n).map(|_| r.normal()).collect();
        for u in &all {
            let d: f64 = v.iter().zip(u).map(|(a, b)| a * b).sum();
            v.iter_mut().zip(u).for_each(|(a, b)| *a -= d * b);
        }
        let norm = v.iter().map(|a| a * a).sum::<f64>().sqrt();
        if norm > 1e-6 {
            let row: Vec<f64> = v.iter().map(|a| a / norm).collect();
            all.push(row.clone());
            out.push(row);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::rng::stream;

    /// Plain gradient descent on `loss_grad`, feeding SI; returns the final parameters.
    fn gd(
        theta: &mut [f64],
        si: &mut SynapticIntelligence,
        steps: usize,
        lr: f64,
        task_grad: impl Fn(&[f64]) -> Vec<f64>,
    ) {
        for _ in 0..steps {
            let g = task_grad(theta);
            let mut total = g.clone();
            si.add_penalty_gradient(theta, &mut total);
            let delta: Vec<f64> = total.iter().map(|t| -lr * t).collect();
            for (t, d) in theta.iter_mut().zip(&delta) {
                *t += d;
            }
            si.accumulate(&g, &delta);
        }
    }

    #[test]
    fn si_closed_form_on_a_quadratic() {
        // L = a/2 (w - w*)^2 from error e0: ω = a e0² / (2 − ηa) = 2.5; Ω = 2.5 / (e0² + ξ).
        let (a, eta, e0) = (2.0, 0.1, 1.5);
        let mut theta = [e0];
        let mut si = SynapticIntelligence::new(&theta, 0.0, 1e-3);
        gd(&mut theta, &mut si, 400, eta, |t| vec![a * t[0]]);
        assert!((si.omega[0] - 2.5).abs() < 1e-9, "{}", si.omega[0]);
        si.consolidate(&theta);
        assert!((si.importance[0] - 2.5 / (1.5f64.powi(2) + 1e-3)).abs() < 1e-6);
        assert!((si.importance[0] - 1.110618).abs() < 1e-6);
    }

    #[test]
    fn si_two_tasks_in_two_dimensions() {
        // L_A = (w1 − 1)², L_B = (w1 + w2 − 2)², GD lr 0.05, 400 steps per task, ξ = 1e-3.
        let la = |t: &[f64]| vec![2.0 * (t[0] - 1.0), 0.0];
        let lb = |t: &[f64]| {
            let e = 2.0 * (t[0] + t[1] - 2.0);
            vec![e, e]
        };
        for (c, w1, w2, loss_a) in [(0.0, 1.5, 0.5, 0.25), (0.1, 1.0641, 0.9325, 0.00411), (1.0, 1.0, 1.0, 0.0)] {
            let mut theta = [0.0, 0.0];
            let mut si = SynapticIntelligence::new(&theta, c, 1e-3);
            gd(&mut theta, &mut si, 400, 0.05, la);
            si.consolidate(&theta);
            assert!((si.importance[0] - 1.0516).abs() < 1e-3 && si.importance[1].abs() < 1e-12, "{:?}", si.importance);
            gd(&mut theta, &mut si, 400, 0.05, lb);
            let (a, b) = ((theta[0] - 1.0).powi(2), (theta[0] + theta[1] - 2.0).powi(2));
            assert!((theta[0] - w1).abs() < 1e-3 && (theta[1] - w2).abs() < 1e-3, "c = {c}: {theta:?}");
            assert!((a - loss_a).abs() < 1e-3 && b < 1e-4, "c = {c}: L_A {a}, L_B {b}");
        }
    }

    /// A random orthonormal basis of R^n, rows.
    fn orthonormal(n: usize, seed: u64) -> Vec<Vec<f64>> {
        orthonormal_rows(&[], n, n, seed, stream::TEST + 21)
    }

    #[test]
    fn hlop_learns_the_principal_subspace() {
        // n = 20, eigenvalues (10, 8, 6, 0.5 × 17) in a random basis, k = 3, lr 0.002, no
        // momentum, 4000 batches of 64.
        let n = 20;
        let basis = orthonormal(n, 1);
        let eig: Vec<f64> = (0..n).map(|i| [10.0, 8.0, 6.0].get(i).copied().unwrap_or(0.5)).collect();
        let h0: Vec<Vec<f64>> = orthonormal(n, 2).into_iter().take(3).collect();
        let mut hlop = Hlop::new(h0, 0.002, 0.0);
        let sample = |b: u64, i: u64| -> Vec<f64> {
            let mut r = CounterRng::new(3, b, i, stream::TEST + 22);
            let z: Vec<f64> = eig.iter().map(|l| l.sqrt() * r.normal()).collect();
            (0..n).map(|j| (0..n).map(|k| z[k] * basis[k][j]).sum()).collect()
        };
        for b in 0..4000u64 {
            let batch: Vec<Vec<f64>> = (0..64).map(|i| sample(b, i)).collect();
            hlop.update(&batch);
        }
        let h = &hlop.h;
        let mut ortho = 0.0;
        for a in 0..3 {
            for b in 0..3 {
                let d: f64 = h[a].iter().zip(&h[b]).map(|(x, y)| x * y).sum();
                ortho += (d - if a == b { 1.0 } else { 0.0 }).powi(2);
            }
        }
        assert!(ortho.sqrt() <= 0.01, "||H H^T - I|| = {}", ortho.sqrt());
        let mut proj = 0.0;
        for i in 0..n {
            for j in 0..n {
                let ph: f64 = (0..3).map(|r| h[r][i] * h[r][j]).sum();
                let pt: f64 = (0..3).map(|r| basis[r][i] * basis[r][j]).sum();
                proj += (ph - pt).powi(2);
            }
        }
        assert!(proj.sqrt() <= 0.05, "||P_H - P_top3|| = {}", proj.sqrt());
    }

    #[test]
    fn hlop_projection_removes_interference() {
        let n = 20;
        let h: Vec<Vec<f64>> = orthonormal(n, 5).into_iter().take(3).collect();
        let hlop = Hlop::new(h.clone(), 0.0, 0.0);
        let (mut raw, mut projected) = (0.0, 0.0);
        for t in 0..200u64 {
            let mut r = CounterRng::new(6, t, 0, stream::TEST + 23);
            // An old-task input inside the subspace, a new-task input and error signal anywhere.
            let coef: Vec<f64> = (0..3).map(|_| r.normal()).collect();
            let x_old: Vec<f64> = (0..n).map(|j| (0..3).map(|k| coef[k] * h[k][j]).sum()).collect();
            let x_new: Vec<f64> = (0..n).map(|_| r.normal()).collect();
            let delta: Vec<f64> = (0..5).map(|_| r.normal()).collect();
            let x_perp = hlop.project_out(&x_new);
            // |ΔW x_old| for ΔW = δ xᵀ is |δ| |x · x_old|.
            let dn = delta.iter().map(|d| d * d).sum::<f64>().sqrt();
            raw += dn * x_new.iter().zip(&x_old).map(|(a, b)| a * b).sum::<f64>().abs();
            let p = dn * x_perp.iter().zip(&x_old).map(|(a, b)| a * b).sum::<f64>().abs();
            assert!(p <= 1e-12, "exact projection leaves {p}");
            projected += p;
        }
        assert!(projected / raw <= 0.02);
    }
}
