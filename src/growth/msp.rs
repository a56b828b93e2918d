//! The Model of Structural Plasticity (Butz & van Ooyen 2013) as NEST implements it: a calcium
//! trace per neuron, synaptic elements that grow or retract with it along a growth curve, and the
//! pairing of vacant axonal and dendritic elements into new synapses.

use serde::{Deserialize, Serialize};

use crate::sim::rng::CounterRng;

/// How the number of synaptic elements follows calcium.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum GrowthCurve {
    /// dz/dt = ν (1 − Ca/ε), integrated exactly between updates.
    Linear {
        /// Target calcium ε.
        eps: f64,
    },
    /// dz/dt = ν (2 exp(−((Ca − ξ)/ζ)²) − 1), ξ = (η + ε)/2, ζ = (ε − η)/(2 √ln 2): zero at η and ε.
    Gaussian {
        /// Lower zero η.
        eta: f64,
        /// Upper zero ε (the target).
        eps: f64,
    },
    /// dz/dt = ν (2 / (1 + exp((Ca − ε)/ψ)) − 1).
    Sigmoid {
        /// Target ε.
        eps: f64,
        /// Width ψ.
        psi: f64,
    },
}

impl GrowthCurve {
    /// (dz/dt)/ν at calcium `ca`.
    pub fn rate(&self, ca: f64) -> f64 {
        match *self {
            GrowthCurve::Linear { eps } => 1.0 - ca / eps,
            GrowthCurve::Gaussian { eta, eps } => {
                let xi = (eta + eps) / 2.0;
                let zeta = (eps - eta) / (2.0 * std::f64::consts::LN_2.sqrt());
                2.0 * (-((ca - xi) / zeta).powi(2)).exp() - 1.0
            }
            GrowthCurve::Sigmoid { eps, psi } => 2.0 / (1.0 + ((ca - eps) / psi).exp()) - 1.0,
        }
    }

    /// The element count after `dt_ms` at growth rate `nu` (per ms), calcium going from `ca0` to
    /// `ca1` (τ_Ca `tau_ca`): exact for the linear curve, forward Euler otherwise; never below 0.
    pub fn advance(&self, z: f64, nu: f64, ca0: f64, ca1: f64, tau_ca: f64, dt_ms: f64) -> f64 {
        let dz = match *self {
            // ∫ (1 − Ca/ε) dt with dCa/dt = −Ca/τ between spikes: ∫ Ca dt = τ (Ca0 − Ca1).
            GrowthCurve::Linear { eps } => nu * (dt_ms - tau_ca * (ca0 - ca1) / eps),
            _ => nu * self.rate(ca0) * dt_ms,
        };
        (z + dz).max(0.0)
    }
}

/// The calcium trace: dCa/dt = −Ca/τ_Ca + β_Ca Σ δ(t − t_k).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Calcium {
    /// Time constant (ms).
    pub tau_ms: f64,
    /// Increment per spike.
    pub beta: f64,
}

impl Calcium {
    /// NEST's defaults: τ 10 s, β 0.001.
    pub fn nest() -> Self {
        Self { tau_ms: 10_000.0, beta: 0.001 }
    }

    /// Calcium after `dt_ms` of silence.
    pub fn decay(&self, ca: f64, dt_ms: f64) -> f64 {
        ca * (-dt_ms / self.tau_ms).exp()
    }

    /// The steady state for a firing rate (Hz): β τ r.
    pub fn steady_state(&self, rate_hz: f64) -> f64 {
        self.beta * self.tau_ms * rate_hz * 1e-3
    }
}

/// Pairs vacant axonal elements with vacant dendritic ones (one entry per free element, as lists
/// of neuron ids): the longer list is shuffled with counter-based draws and truncated to the
/// shorter, giving one new synapse (pre, post) per pair.
pub fn pair_vacant(axons: &[u32], dendrites: &[u32], seed: u64, round: u64) -> Vec<(u32, u32)> {
    let (mut long, short, axons_long) = if axons.len() >= dendrites.len() {
        (axons.to_vec(), dendrites, true)
    } else {
        (dendrites.to_vec(), axons, false)
    };
    for i in (1..long.len()).rev() {
        let j = CounterRng::new(seed, round, i as u64, 41).below(i as u64 + 1) as usize;
        long.swap(i, j);
    }
    long.truncate(short.len());
    long.iter().zip(short).map(|(&l, &s)| if axons_long { (l, s) } else { (s, l) }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gaussian_curve_values() {
        let g = GrowthCurve::Gaussian { eta: 0.0, eps: 0.05 };
        let want = [(0.0, 0.0), (0.0125, 0.681793), (0.025, 1.0), (0.05, 0.0), (0.1, -0.996094), (0.2, -1.0)];
        for (ca, r) in want {
            assert!((g.rate(ca) - r).abs() < 1e-6, "Ca {ca}: {} vs {r}", g.rate(ca));
        }
    }

    #[test]
    fn linear_exact_update_equals_fine_euler() {
        let (curve, cal) = (GrowthCurve::Linear { eps: 0.7 }, Calcium::nest());
        let (ca0, span, nu) = (0.9, 100.0, 1e-3);
        let exact = curve.advance(2.0, nu, ca0, cal.decay(ca0, span), cal.tau_ms, span);
        let (mut z, mut ca, h) = (2.0, ca0, span / 1e5);
        for _ in 0..100_000 {
            let next = cal.decay(ca, h);
            z += nu * (1.0 - 0.5 * (ca + next) / 0.7) * h;
            ca = next;
        }
        assert!((exact - z).abs() < 1e-6, "{exact} vs {z}");
    }

    #[test]
    fn calcium_after_one_spike_and_ten_seconds() {
        let cal = Calcium::nest();
        assert!((cal.decay(cal.beta, 10_000.0) - 0.001 * (-1.0f64).exp()).abs() < 1e-15);
        assert!((cal.steady_state(5.0) - 0.05).abs() < 1e-12);
    }

    #[test]
    fn pairing_makes_min_of_the_two_counts_and_uses_every_short_side_element() {
        let axons = [0, 0, 1, 2, 2, 2, 5];
        let dendrites = [3, 4, 4];
        let pairs = pair_vacant(&axons, &dendrites, 1, 0);
        assert_eq!(pairs.len(), 3);
        let mut posts: Vec<u32> = pairs.iter().map(|p| p.1).collect();
        posts.sort();
        assert_eq!(posts, vec![3, 4, 4]);
        assert!(pairs.iter().all(|(a, _)| axons.contains(a)));
        // Deterministic for a seed and round, different for another round.
        assert_eq!(pair_vacant(&axons, &dendrites, 1, 0), pairs);
        let other: Vec<_> = (1..20).map(|r| pair_vacant(&axons, &dendrites, 1, r)).collect();
        assert!(other.iter().any(|p| *p != pairs));
    }
}
