//! The classical Hopfield network (Hopfield 1982): binary units ±1, Hebbian outer-product weights
//! W = (1/N) Σ_μ ξ^μ ξ^μᵀ with W_ii = 0, asynchronous updates s_i ← sign(Σ_j W_ij s_j) (sign(0) =
//! +1) in a random order each sweep, energy E = −½ sᵀ W s. No N × N matrix is held: the field is
//! h_i = (1/N)(Σ_μ ξ_i^μ m_μ − P s_i) with the overlaps m_μ = ξ^μ · s kept up to date at every
//! flip, in integers, so a sweep costs N · P and the energy is exact.

use crate::sim::rng::{CounterRng, stream};

/// Stored patterns of ±1 units, unit-major (unit i's values over the patterns are contiguous).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Hopfield {
    n: usize,
    p: usize,
    /// `xi[i * p + mu]`: unit i of pattern mu.
    xi: Vec<i8>,
}

/// What a recall did.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Recall {
    /// Sweeps done (the last one changed nothing, unless the limit was reached).
    pub sweeps: usize,
    /// Units flipped in all.
    pub flips: usize,
    /// Whether a sweep changed nothing (a fixed point).
    pub converged: bool,
}

/// Buffers a recall reuses: the overlaps and the update order.
#[derive(Clone, Debug, Default)]
pub struct Scratch {
    overlaps: Vec<i32>,
    order: Vec<u32>,
}

impl Hopfield {
    /// A network of `n` units storing `patterns` (each `n` values of ±1); a pattern of the wrong
    /// length or a value other than ±1 is an error naming it.
    pub fn new(n: usize, patterns: &[Vec<i8>]) -> Result<Self, String> {
        if n == 0 || n > i32::MAX as usize / 2 {
            return Err(format!("a Hopfield network has 1 to {} units, not {n}", i32::MAX / 2));
        }
        if patterns.len() > n * 10 {
            return Err(format!(
                "{} patterns for {n} units: beyond 10 per unit nothing is retrievable",
                patterns.len()
            ));
        }
        let p = patterns.len();
        let mut xi = vec![0i8; n * p];
        for (mu, pat) in patterns.iter().enumerate() {
            if pat.len() != n {
                return Err(format!("pattern {mu} has {} values, the network {n} units", pat.len()));
            }
            if let Some(i) = pat.iter().position(|&v| v != 1 && v != -1) {
                return Err(format!("pattern {mu}, unit {i}: {} is not +1 or -1", pat[i]));
            }
            for (i, &v) in pat.iter().enumerate() {
                xi[i * p + mu] = v;
            }
        }
        Ok(Self { n, p, xi })
    }

    /// Units.
    pub fn units(&self) -> usize {
        self.n
    }

    /// Patterns stored.
    pub fn patterns(&self) -> usize {
        self.p
    }

    /// The load α = P / N.
    pub fn load(&self) -> f64 {
        self.p as f64 / self.n as f64
    }

    fn check(&self, state: &[i8]) {
        assert_eq!(state.len(), self.n, "a state has one value per unit");
    }

    /// m_μ = ξ^μ · s for every pattern, into `out`.
    fn overlaps_into(&self, state: &[i8], out: &mut Vec<i32>) {
        out.clear();
        out.resize(self.p, 0);
        for (i, &s) in state.iter().enumerate() {
            let row = &self.xi[i * self.p..(i + 1) * self.p];
            for (m, &x) in out.iter_mut().zip(row) {
                *m += i32::from(x) * i32::from(s);
            }
        }
    }

    /// The overlap of `state` with pattern `mu`: (1/N) ξ^μ · s, in −1..1.
    pub fn overlap(&self, mu: usize, state: &[i8]) -> f64 {
        self.check(state);
        let m: i64 = (0..self.n).map(|i| i64::from(self.xi[i * self.p + mu]) * i64::from(state[i])).sum();
        m as f64 / self.n as f64
    }

    /// The energy E = −½ Σ_{i≠j} W_ij s_i s_j = −(1/2N) Σ_μ (m_μ² − N).
    pub fn energy(&self, state: &[i8]) -> f64 {
        self.check(state);
        let mut m = Vec::new();
        self.overlaps_into(state, &mut m);
        energy_of(&m, self.n)
    }

    /// Asynchronous updates of `state`, sweep after sweep (each in a fresh random order from
    /// `seed`), until a sweep flips nothing or `max_sweeps` are done; `on_flip` sees the energy
    /// after every flip. Allocates nothing once `scratch` has grown to the network.
    pub fn recall(
        &self,
        state: &mut [i8],
        max_sweeps: usize,
        seed: u64,
        scratch: &mut Scratch,
        mut on_flip: impl FnMut(f64),
    ) -> Recall {
        self.check(state);
        let (n, p) = (self.n, self.p);
        self.overlaps_into(state, &mut scratch.overlaps);
        let m = &mut scratch.overlaps;
        scratch.order.clear();
        scratch.order.extend(0..n as u32);
        let mut out = Recall::default();
        // Σ_μ m_μ², kept as flips change m, for the energy.
        let mut sum_sq: i64 = m.iter().map(|&v| i64::from(v) * i64::from(v)).sum();
        while out.sweeps < max_sweeps {
            let mut rng = CounterRng::new(seed, out.sweeps as u64, 0, stream::HOPFIELD_ORDER);
            for k in (1..n).rev() {
                let j = (rng.next_u64() % (k as u64 + 1)) as usize;
                scratch.order.swap(k, j);
            }
            out.sweeps += 1;
            let mut flipped = 0;
            for &i in &scratch.order {
                let i = i as usize;
                let row = &self.xi[i * p..(i + 1) * p];
                let s = i32::from(state[i]);
                let field: i64 = row.iter().zip(m.iter()).map(|(&x, &mv)| i64::from(x) * i64::from(mv)).sum::<i64>()
                    - p as i64 * i64::from(s);
                let new: i32 = if field >= 0 { 1 } else { -1 };
                if new != s {
                    state[i] = new as i8;
                    for (mv, &x) in m.iter_mut().zip(row) {
                        let before = i64::from(*mv);
                        *mv += 2 * i32::from(x) * new;
                        sum_sq += i64::from(*mv) * i64::from(*mv) - before * before;
                    }
                    flipped += 1;
                    on_flip(-(sum_sq as f64 - (p * n) as f64) / (2.0 * n as f64));
                }
            }
            out.flips += flipped;
            if flipped == 0 {
                out.converged = true;
                break;
            }
        }
        out
    }
}

/// −(1/2N) Σ_μ (m_μ² − N).
fn energy_of(m: &[i32], n: usize) -> f64 {
    let sum: f64 = m.iter().map(|&v| f64::from(v) * f64::from(v) - n as f64).sum();
    -sum / (2.0 * n as f64)
}

/// `count` random ±1 patterns of `n` units from `seed` (stream `stream_id`).
pub fn random_patterns(n: usize, count: usize, seed: u64, stream_id: u64) -> Vec<Vec<i8>> {
    (0..count)
        .map(|mu| {
            let mut rng = CounterRng::new(seed, mu as u64, 0, stream_id);
            (0..n).map(|_| if rng.uniform() < 0.5 { 1 } else { -1 }).collect()
        })
        .collect()
}

/// `pattern` with `flips` distinct units, chosen from `seed`, flipped (a noisy cue).
pub fn with_flips(pattern: &[i8], flips: usize, seed: u64) -> Vec<i8> {
    let mut cue = pattern.to_vec();
    let mut idx: Vec<usize> = (0..pattern.len()).collect();
    let mut rng = CounterRng::new(seed, 0, 1, stream::TEST + 77);
    for k in 0..flips.min(pattern.len()) {
        let j = k + (rng.next_u64() % (pattern.len() - k) as u64) as usize;
        idx.swap(k, j);
        cue[idx[k]] = -cue[idx[k]];
    }
    cue
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The field computed from the overlaps is the one from the weight matrix; the energy from the
    /// overlaps is −½ sᵀWs; both on a network small enough to build W.
    #[test]
    fn fields_and_energy_match_the_weight_matrix() {
        let n = 40;
        let pats = random_patterns(n, 5, 3, stream::TEST + 1);
        let net = Hopfield::new(n, &pats).unwrap();
        let w = |i: usize, j: usize| {
            if i == j { 0.0 } else { pats.iter().map(|p| f64::from(p[i]) * f64::from(p[j])).sum::<f64>() / n as f64 }
        };
        let s = with_flips(&pats[0], 9, 4);
        let e: f64 = -(0..n)
            .flat_map(|i| (0..n).map(move |j| (i, j)))
            .map(|(i, j)| w(i, j) * f64::from(s[i]) * f64::from(s[j]))
            .sum::<f64>()
            / 2.0;
        assert!((net.energy(&s) - e).abs() < 1e-9, "{} vs {e}", net.energy(&s));
    }
}
