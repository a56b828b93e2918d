//! Rate-based learning rules (ALGORITHMS.md §4, §5.2b): Oja's rule and its subspace form, BCM with
//! a sliding threshold, and Triesch's intrinsic plasticity for sigmoid units. Pure functions of
//! rates, used on rate estimates of spiking neurons and in the rule tests.

/// Oja's rule for one output: y = w·x, w ← w + η y (x − y w). Returns y.
pub fn oja_step(w: &mut [f64], x: &[f64], eta: f64) -> f64 {
    let y: f64 = w.iter().zip(x).map(|(a, b)| a * b).sum();
    for (wi, xi) in w.iter_mut().zip(x) {
        *wi += eta * y * (xi - y * *wi);
    }
    y
}

/// Oja's subspace rule for k outputs (rows of `h`, each of length n): y = H x, x̂ = Hᵀ y,
/// H ← H + η y (x − x̂)ᵀ.
pub fn oja_subspace_step(h: &mut [Vec<f64>], x: &[f64], eta: f64) {
    let y: Vec<f64> = h.iter().map(|row| row.iter().zip(x).map(|(a, b)| a * b).sum()).collect();
    let mut x_hat = vec![0.0; x.len()];
    for (row, yk) in h.iter().zip(&y) {
        for (xh, r) in x_hat.iter_mut().zip(row) {
            *xh += yk * r;
        }
    }
    for (row, yk) in h.iter_mut().zip(&y) {
        for ((r, xi), xh) in row.iter_mut().zip(x).zip(&x_hat) {
            *r += eta * yk * (xi - xh);
        }
    }
}

/// BCM (Dayan & Abbott 2001, ch. 8): v = [w·u]₊, τ_w dw/dt = v u (v − θ) with w ≥ 0,
/// τ_θ dθ/dt = v² − θ (θ must be faster than w).
#[derive(Clone, Debug, PartialEq)]
pub struct Bcm {
    /// Weight time constant (steps of the caller's clock).
    pub tau_w: f64,
    /// Threshold time constant.
    pub tau_theta: f64,
    /// The sliding threshold.
    pub theta: f64,
}

impl Bcm {
    /// One Euler step of length `dt`; returns the output rate v.
    pub fn step(&mut self, w: &mut [f64], u: &[f64], dt: f64) -> f64 {
        let v = w.iter().zip(u).map(|(a, b)| a * b).sum::<f64>().max(0.0);
        for (wi, ui) in w.iter_mut().zip(u) {
            *wi = (*wi + dt / self.tau_w * v * ui * (v - self.theta)).max(0.0);
        }
        self.theta += dt / self.tau_theta * (v * v - self.theta);
        v
    }

    /// The BCM plasticity curve φ(v) = v (v − θ) that the UI draws beside the sliders.
    pub fn phi(&self, v: f64) -> f64 {
        v * (v - self.theta)
    }
}

/// Intrinsic plasticity of a sigmoid unit y = 1/(1 + e^{−(a x + b)}) toward an exponential output
/// distribution with mean `mu` (Triesch 2005).
#[derive(Clone, Debug, PartialEq)]
pub struct TrieschIp {
    /// Learning rate.
    pub eta: f64,
    /// Target mean output.
    pub mu: f64,
    /// Gain.
    pub a: f64,
    /// Bias.
    pub b: f64,
}

impl TrieschIp {
    /// The output for input `x`, then one learning step; returns the output.
    pub fn step(&mut self, x: f64) -> f64 {
        let y = 1.0 / (1.0 + (-(self.a * x + self.b)).exp());
        let db = self.eta * (1.0 - (2.0 + 1.0 / self.mu) * y + y * y / self.mu);
        self.a += self.eta / self.a + db * x;
        self.b += db;
        y
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::rng::{CounterRng, stream};

    #[test]
    fn oja_finds_the_principal_eigenvector() {
        // C = [[3, 1], [1, 2]]: v1 = ±(0.8507, 0.5257); x = L z with L the Cholesky factor of C.
        let (l11, l21) = (3f64.sqrt(), 1.0 / 3f64.sqrt());
        let l22 = (2.0 - l21 * l21).sqrt();
        for seed in 1..=3 {
            let mut w = [0.3, -0.2];
            // η = 0.002: the stationary spread of the direction is about 0.05 rad (0.075 at 0.005,
            // close to the 0.99 bound for an unlucky stretch of draws).
            for t in 0..40_000u64 {
                let mut r = CounterRng::new(seed, t, 0, stream::TEST + 11);
                let (z1, z2) = (r.normal(), r.normal());
                oja_step(&mut w, &[l11 * z1, l21 * z1 + l22 * z2], 0.002);
            }
            let norm = (w[0] * w[0] + w[1] * w[1]).sqrt();
            let cos = (w[0] * 0.850651 + w[1] * 0.525731).abs() / norm;
            assert!(cos >= 0.99, "seed {seed}: |cos| = {cos}");
            assert!((norm - 1.0).abs() <= 0.02, "seed {seed}: |w| = {norm}");
        }
    }

    #[test]
    fn bcm_becomes_selective() {
        let (u1, u2) = ([1.0, 0.2], [0.2, 1.0]);
        let mut w = [0.5, 0.5];
        let mut bcm = Bcm { tau_w: 500.0, tau_theta: 50.0, theta: 0.0 };
        let steps = 200_000u64;
        let (mut r1, mut r2, mut n) = (0.0, 0.0, 0.0);
        for t in 0..steps {
            let u = if CounterRng::new(2, t, 0, stream::TEST + 12).uniform() < 0.5 { u1 } else { u2 };
            bcm.step(&mut w, &u, 1.0);
            if t >= steps * 4 / 5 {
                let rate = |p: [f64; 2]| (w[0] * p[0] + w[1] * p[1]).max(0.0);
                r1 += rate(u1);
                r2 += rate(u2);
                n += 1.0;
            }
        }
        let (pref, other) = if r1 > r2 { (r1 / n, r2 / n) } else { (r2 / n, r1 / n) };
        let selectivity = 1.0 - other / pref;
        assert!(selectivity >= 0.75, "selectivity {selectivity}");
        assert!((pref / 1.864 - 1.0).abs() < 0.10, "r_pref {pref}");
        assert!(bcm.phi(bcm.theta) == 0.0 && bcm.phi(2.0 * bcm.theta) > 0.0);
    }

    #[test]
    fn triesch_reaches_an_exponential_output() {
        let mut ip = TrieschIp { eta: 0.001, mu: 0.1, a: 1.0, b: 0.0 };
        let steps = 400_000u64;
        let (mut s, mut s2, mut n) = (0.0, 0.0, 0.0);
        for t in 0..steps {
            let x = CounterRng::new(4, t, 0, stream::TEST + 13).normal();
            let y = ip.step(x);
            if t >= steps / 2 {
                s += y;
                s2 += y * y;
                n += 1.0;
            }
        }
        let mean = s / n;
        let sd = (s2 / n - mean * mean).sqrt();
        assert!((mean - 0.1).abs() <= 0.015, "mean {mean}");
        assert!((sd / mean - 1.0).abs() <= 0.2, "std/mean {}", sd / mean);
    }
}
