//! Associative memories (issue 19): the classical Hopfield network and the modern dense one,
//! against the reference figures in docs/REFERENCES.md (Hopfield networks).

use neuroplast::memory::hopfield::{Scratch, random_patterns, with_flips};
use neuroplast::memory::{DenseHopfield, Hopfield};

/// Mean final overlap with the cued pattern, and the fraction recalled exactly, over `trials`
/// networks of `n` units storing `p` random patterns, each cued with pattern 0 with 10 % of its
/// units flipped (at most 20 sweeps).
fn recall_curve_point(n: usize, p: usize, trials: u64) -> (f64, f64) {
    let (mut overlap, mut exact) = (0.0, 0);
    let mut scratch = Scratch::default();
    for t in 0..trials {
        let pats = random_patterns(n, p, 100 + t, 1 << 41);
        let net = Hopfield::new(n, &pats).unwrap();
        let mut s = with_flips(&pats[0], n / 10, t);
        net.recall(&mut s, 20, t, &mut scratch, |_| {});
        let m = net.overlap(0, &s);
        overlap += m;
        exact += usize::from(m == 1.0);
    }
    (overlap / trials as f64, exact as f64 / trials as f64)
}

/// N = 100, 50 trials per load, 10 % of pattern 0's bits flipped, at most 20 sweeps: the mean
/// final overlap within 0.05 of the reference (docs/REFERENCES.md: 1.000, 0.998, 0.948, 0.804,
/// 0.480 at P = 5, 10, 14, 20, 30); P = 5 always recalled exactly, P = 30 below 0.7.
#[test]
fn classical_recall_at_n_100_follows_the_reference_curve() {
    for (p, reference) in [(5, 1.000), (10, 0.998), (14, 0.948), (20, 0.804), (30, 0.480)] {
        let (overlap, exact) = recall_curve_point(100, p, 50);
        assert!((overlap - reference).abs() < 0.05, "P = {p}: mean overlap {overlap:.3} vs {reference}");
        if p == 5 {
            assert_eq!(exact, 1.0, "P = 5 is always recalled exactly");
        }
        if p == 30 {
            assert!(overlap < 0.7, "P = 30 is past capacity: {overlap:.3}");
        }
    }
}

/// N = 1000 across the load α = P/N: retrieval holds (overlap ≥ 0.99) up to α = 0.10, is going
/// at α = 0.138 (Amit, Gutfreund & Sompolinsky 1985: α_c ≈ 0.138, m ≈ 0.967 there for N → ∞;
/// smeared at N = 1000) and collapses beyond (α = 0.20: below 0.6).
#[test]
fn classical_recall_collapses_near_the_critical_load() {
    let at = |alpha: f64| recall_curve_point(1000, (alpha * 1000.0).round() as usize, 10).0;
    let (low, mid, crit, high) = (at(0.05), at(0.10), at(0.138), at(0.20));
    assert!(low >= 0.99 && mid >= 0.99, "α 0.05: {low:.4}, α 0.10: {mid:.4}");
    assert!(crit > 0.8 && crit < 0.99, "α 0.138: {crit:.4}");
    assert!(high < 0.6, "α 0.20: {high:.4}");
}

/// The energy never increases: at every flip of every asynchronous sweep, at a load past
/// capacity (many flips), and each flip's energy is the recomputed one.
#[test]
fn the_energy_never_increases_under_asynchronous_updates() {
    let pats = random_patterns(100, 30, 9, 1 << 41);
    let net = Hopfield::new(100, &pats).unwrap();
    let mut s = with_flips(&pats[2], 30, 5);
    let mut energies = vec![net.energy(&s)];
    let r = net.recall(&mut s, 50, 1, &mut Scratch::default(), |e| energies.push(e));
    assert!(r.flips > 10, "{r:?}");
    assert!(energies.windows(2).all(|w| w[1] <= w[0] + 1e-12), "{energies:?}");
    assert!((energies.last().unwrap() - net.energy(&s)).abs() < 1e-9);
    assert!(r.converged, "a fixed point is reached: {r:?}");
}

fn cosine(a: &[f32], b: &[f32]) -> f64 {
    let dot: f64 = a.iter().zip(b).map(|(x, y)| f64::from(*x) * f64::from(*y)).sum();
    let na: f64 = a.iter().map(|x| f64::from(*x).powi(2)).sum::<f64>().sqrt();
    let nb: f64 = b.iter().map(|x| f64::from(*x).powi(2)).sum::<f64>().sqrt();
    dot / (na * nb)
}

fn as_f32(p: &[i8]) -> Vec<f32> {
    p.iter().map(|&v| f32::from(v)).collect()
}

/// Dense retrieval (Ramsauer et al. 2020), d = 64, M = 100 random ±1 patterns, query = pattern 0
/// with 16 of 64 bits flipped, one update: the energy never increases; β ≥ 0.5 retrieves the
/// pattern (cos ≥ 0.999); β = 1/√d gives a metastable average (no single pattern dominates);
/// β → 0 gives the mean of all patterns.
#[test]
fn dense_retrieval_follows_beta_from_the_mean_to_one_pattern() {
    let pats: Vec<Vec<f32>> = random_patterns(64, 100, 4, 1 << 42).iter().map(|p| as_f32(p)).collect();
    let mem = DenseHopfield::new(64, &pats).unwrap();
    let q: Vec<f32> = as_f32(&with_flips(&random_patterns(64, 100, 4, 1 << 42)[0], 16, 3));
    let (mut out, mut w) = (Vec::new(), Vec::new());
    for beta in [0.125, 0.5, 1.0] {
        let top = mem.update(beta, &q, &mut out, &mut w).unwrap();
        let (before, after) = (mem.energy(beta, &q).unwrap(), mem.energy(beta, &out).unwrap());
        assert!(after <= before + 1e-9, "β {beta}: E {before:.3} -> {after:.3}");
        let c = cosine(&out, &pats[0]);
        if beta >= 0.5 {
            assert!(c >= 0.999 && top > 0.99, "β {beta}: cos {c:.4}, top weight {top:.4}");
        } else {
            assert!(top < 0.9 && c < 0.99, "β {beta}: metastable, top weight {top:.4}, cos {c:.4}");
        }
    }
    mem.update(1e-7, &q, &mut out, &mut w).unwrap();
    let mean: Vec<f32> = (0..64).map(|i| pats.iter().map(|p| p[i]).sum::<f32>() / 100.0).collect();
    assert!(out.iter().zip(&mean).all(|(a, b)| (a - b).abs() < 1e-5), "β → 0 gives the mean");
}

/// At the same N = 100, the classical network is past capacity at 30 patterns, the dense one
/// (β = 1, one update) recalls every bit of each of 20 cues among 1,000 patterns (10 % flipped).
#[test]
fn the_dense_memory_stores_far_more_than_the_classical_one() {
    let (classical, _) = recall_curve_point(100, 30, 20);
    assert!(classical < 0.7, "classical at P = 30: {classical:.3}");
    let pats = random_patterns(100, 1000, 11, 1 << 43);
    let mem = DenseHopfield::new(100, &pats.iter().map(|p| as_f32(p)).collect::<Vec<_>>()).unwrap();
    let (mut out, mut w) = (Vec::new(), Vec::new());
    let mut exact = 0;
    for k in 0..20 {
        let cue = as_f32(&with_flips(&pats[k * 37], 10, k as u64));
        mem.update(1.0, &cue, &mut out, &mut w).unwrap();
        exact += usize::from(out.iter().zip(&pats[k * 37]).all(|(&o, &x)| o.signum() == f32::from(x)));
    }
    assert_eq!(exact, 20, "dense recall at P = 1000, N = 100 (α = 10)");
}

/// Patterns of the wrong size or values, a β ≤ 0 or NaN, a state of the wrong size: errors naming
/// what is wrong, nothing stored.
#[test]
fn bad_patterns_and_parameters_are_refused() {
    let e = Hopfield::new(4, &[vec![1, -1, 1, 1], vec![1, 1]]).unwrap_err();
    assert!(e.contains("pattern 1 has 2 values, the network 4 units"), "{e}");
    let e = Hopfield::new(3, &[vec![1, 0, -1]]).unwrap_err();
    assert!(e.contains("pattern 0, unit 1: 0 is not +1 or -1"), "{e}");
    assert!(Hopfield::new(2, &vec![vec![1, 1]; 21]).unwrap_err().contains("21 patterns for 2 units"));
    assert!(Hopfield::new(0, &[]).is_err());
    let e = DenseHopfield::new(2, &[vec![1.0, f32::NAN]]).unwrap_err();
    assert!(e.contains("pattern 0, value 1: NaN is not a finite number"), "{e}");
    let mem = DenseHopfield::new(2, &[vec![1.0, -1.0]]).unwrap();
    let (mut out, mut w) = (Vec::new(), Vec::new());
    for beta in [0.0, -1.0, f64::NAN, f64::INFINITY] {
        let e = mem.update(beta, &[1.0, 1.0], &mut out, &mut w).unwrap_err();
        assert!(e.contains("must be a finite number > 0"), "{beta}: {e}");
    }
    let e = mem.update(1.0, &[1.0], &mut out, &mut w).unwrap_err();
    assert!(e.contains("the state has 1 values, the memory 2 dimensions"), "{e}");
}
