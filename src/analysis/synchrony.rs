//! Synchrony and spike-train measures (ALGORITHMS.md §13): the Kuramoto order parameter from
//! phases or from spike times, Golomb's χ, the population Fano factor, the van Rossum distance
//! (both normalisations) and SPIKE-synchronisation.

/// Kuramoto order parameter R = |(1/N) Σ e^{iφ}| of a set of phases (0 for an empty set).
pub fn order_parameter(phases: &[f64]) -> f64 {
    if phases.is_empty() {
        return 0.0;
    }
    let (c, s) = phases.iter().fold((0.0, 0.0), |(c, s), p| (c + p.cos(), s + p.sin()));
    (c * c + s * s).sqrt() / phases.len() as f64
}

/// A neuron's phase now (grid index `now`), extrapolated from its last inter-spike interval
/// (`prev` to `last`, grid indices): 2π × the elapsed fraction of that interval, capped at one
/// cycle; `None` before two spikes or when it has been silent for more than two intervals. What a
/// live synchrony estimate can know without the next spike.
pub fn live_phase(prev: u64, last: u64, now: u64) -> Option<f64> {
    if last == u64::MAX || prev == u64::MAX || last <= prev || now < last {
        return None;
    }
    let (isi, elapsed) = ((last - prev) as f64, (now - last) as f64);
    (elapsed <= 2.0 * isi).then(|| std::f64::consts::TAU * (elapsed / isi).min(1.0))
}

/// The phase of a sorted spike train at time `t`, interpolated linearly between spikes
/// (2π per interval); `None` before the first and from the last spike on.
pub fn spike_phase(train: &[f64], t: f64) -> Option<f64> {
    let k = train.partition_point(|&s| s <= t);
    if k == 0 || k >= train.len() {
        return None;
    }
    let (a, b) = (train[k - 1], train[k]);
    Some(std::f64::consts::TAU * ((t - a) / (b - a) + (k - 1) as f64))
}

/// R(t) from spike times: the order parameter over the neurons whose phase is defined at `t`
/// (`None` when none is).
pub fn kuramoto_from_spikes(trains: &[Vec<f64>], t: f64) -> Option<f64> {
    let phases: Vec<f64> = trains.iter().filter_map(|tr| spike_phase(tr, t)).collect();
    (!phases.is_empty()).then(|| order_parameter(&phases))
}

/// Golomb's synchrony measure χ from per-neuron traces sampled at common times:
/// χ² = Var_t(mean_i V_i) / mean_i Var_t(V_i).
pub fn golomb_chi(traces: &[Vec<f64>]) -> f64 {
    let n = traces.len();
    let t = traces.first().map_or(0, Vec::len);
    if n == 0 || t < 2 {
        return f64::NAN;
    }
    let var = |x: &mut dyn Iterator<Item = f64>| {
        let (mut s, mut s2, mut k) = (0.0, 0.0, 0.0);
        for v in x {
            s += v;
            s2 += v * v;
            k += 1.0;
        }
        let m = s / k;
        s2 / k - m * m
    };
    let mean_var = traces.iter().map(|tr| var(&mut tr.iter().copied())).sum::<f64>() / n as f64;
    let pop_var = var(&mut (0..t).map(|k| traces.iter().map(|tr| tr[k]).sum::<f64>() / n as f64));
    (pop_var / mean_var).sqrt()
}

/// Population Fano factor: variance over mean of the population spike count in bins of `bin_ms`
/// over [`from_ms`, `to_ms`).
pub fn population_fano(spike_times_ms: &[f64], from_ms: f64, to_ms: f64, bin_ms: f64) -> f64 {
    let bins = ((to_ms - from_ms) / bin_ms).floor() as usize;
    if bins == 0 {
        return f64::NAN;
    }
    let mut counts = vec![0.0f64; bins];
    for &t in spike_times_ms {
        if t >= from_ms {
            let b = ((t - from_ms) / bin_ms) as usize;
            if b < bins {
                counts[b] += 1.0;
            }
        }
    }
    let mean = counts.iter().sum::<f64>() / bins as f64;
    let var = counts.iter().map(|c| (c - mean).powi(2)).sum::<f64>() / bins as f64;
    var / mean
}

/// van Rossum (2001) distance with an exponential kernel of time constant `tau_ms`, in van
/// Rossum's normalisation D² = (1/τ)∫(f − g)² dt (one spike against none: √½), by the closed form.
pub fn van_rossum_distance(a: &[f64], b: &[f64], tau_ms: f64) -> f64 {
    let k = |x: &[f64], y: &[f64]| {
        x.iter().map(|p| y.iter().map(|q| (-(p - q).abs() / tau_ms).exp()).sum::<f64>()).sum::<f64>()
    };
    (0.5 * (k(a, a) + k(b, b)) - k(a, b)).max(0.0).sqrt()
}

/// The van Rossum distance in Elephant's normalisation D² = (2/τ)∫(f − g)² dt (= √2 × van Rossum's).
pub fn van_rossum_distance_elephant(a: &[f64], b: &[f64], tau_ms: f64) -> f64 {
    std::f64::consts::SQRT_2 * van_rossum_distance(a, b, tau_ms)
}

/// SPIKE-synchronisation of two sorted trains on [`t_start`, `t_end`] (Kreuz et al. 2015, as
/// PySpike's `spike_sync`): the fraction of all spikes whose nearest spike in the other train is
/// closer than half the smallest of the four neighbouring intervals (interval edges count as
/// neighbours). Two empty trains are perfectly synchronous.
pub fn spike_sync(a: &[f64], b: &[f64], t_start: f64, t_end: f64) -> f64 {
    let total = a.len() + b.len();
    if total == 0 {
        return 1.0;
    }
    let isis = |tr: &[f64], i: usize| {
        let before = tr[i] - if i == 0 { t_start } else { tr[i - 1] };
        let after = if i + 1 == tr.len() { t_end } else { tr[i + 1] } - tr[i];
        before.min(after)
    };
    let coincident = |x: &[f64], y: &[f64]| {
        (0..x.len())
            .filter(|&i| {
                let k = y.partition_point(|&t| t < x[i]);
                let nearest = [k.checked_sub(1), (k < y.len()).then_some(k)]
                    .into_iter()
                    .flatten()
                    .min_by(|&p, &q| (y[p] - x[i]).abs().total_cmp(&(y[q] - x[i]).abs()));
                nearest.is_some_and(|j| (y[j] - x[i]).abs() < 0.5 * isis(x, i).min(isis(y, j)))
            })
            .count()
    };
    (coincident(a, b) + coincident(b, a)) as f64 / total as f64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::rng::{CounterRng, stream};
    use std::f64::consts::{PI, TAU};

    #[test]
    fn order_parameter_limits() {
        assert!((order_parameter(&[0.3; 50]) - 1.0).abs() < 1e-12);
        let anti: Vec<f64> = (0..100).map(|k| if k % 2 == 0 { 0.2 } else { 0.2 + PI }).collect();
        assert!(order_parameter(&anti) < 1e-12);
        // Independent uniform phases: E[R] -> sqrt(pi / 4N) (Rayleigh), 2000 draws.
        for n in [10usize, 100, 1000] {
            let mean: f64 = (0..2000u64)
                .map(|d| {
                    let mut r = CounterRng::new(9, d, n as u64, stream::TEST);
                    let ph: Vec<f64> = (0..n).map(|_| TAU * r.uniform()).collect();
                    order_parameter(&ph)
                })
                .sum::<f64>()
                / 2000.0;
            let want = (PI / (4.0 * n as f64)).sqrt();
            assert!((mean / want - 1.0).abs() < 0.05, "N = {n}: {mean} vs {want}");
        }
    }

    #[test]
    fn kuramoto_from_spike_trains() {
        let train = |offset: f64| (0..41).map(|k| offset + 25.0 * k as f64).collect::<Vec<f64>>();
        let same: Vec<Vec<f64>> = (0..4).map(|_| train(0.0)).collect();
        let spread: Vec<Vec<f64>> = (0..4).map(|k| train(25.0 * k as f64 / 4.0)).collect();
        let times: Vec<f64> = (0..800).map(|k| 100.0 + k as f64).collect();
        let mean_same = times.iter().map(|&t| kuramoto_from_spikes(&same, t).unwrap()).sum::<f64>() / 800.0;
        assert!((mean_same - 1.0).abs() < 1e-12);
        for &t in &times {
            assert!(kuramoto_from_spikes(&spread, t).unwrap() < 1e-12, "t = {t}");
        }
        assert_eq!(kuramoto_from_spikes(&same, -5.0), None);
    }

    #[test]
    fn golomb_chi_closed_forms() {
        let samples = 20_000;
        let noise = |n: usize, c: f64, seed: u64| -> Vec<Vec<f64>> {
            let shared: Vec<f64> =
                (0..samples).map(|t| CounterRng::new(seed, t as u64, 0, stream::TEST + 77).normal()).collect();
            (0..n)
                .map(|i| {
                    (0..samples)
                        .map(|t| {
                            c.sqrt() * shared[t]
                                + (1.0 - c).sqrt()
                                    * CounterRng::new(seed, t as u64, i as u64 + 1, stream::TEST + 78).normal()
                        })
                        .collect()
                })
                .collect()
        };
        let same = vec![noise(1, 0.0, 1)[0].clone(); 10];
        assert!((golomb_chi(&same) - 1.0).abs() < 1e-9);
        for n in [10usize, 100] {
            let chi = golomb_chi(&noise(n, 0.0, 2));
            let want = 1.0 / (n as f64).sqrt();
            assert!((chi / want - 1.0).abs() < 0.05, "N = {n}: {chi} vs {want}");
        }
        let chi = golomb_chi(&noise(100, 0.5, 3));
        assert!((chi - (0.5f64 + 0.5 / 100.0).sqrt()).abs() < 0.02, "{chi}");
    }

    #[test]
    fn population_fano_independent_and_copied() {
        // 100 independent 10-Hz Poisson trains over 100 s in 100-ms bins -> 1; one train copied
        // to all 100 neurons -> 100.
        let train = |seed: u64| {
            let mut t = 0.0;
            let mut out = Vec::new();
            let mut r = CounterRng::new(seed, 0, 0, stream::TEST + 5);
            loop {
                t += -r.uniform_open0().ln() * 100.0;
                if t >= 100_000.0 {
                    break out;
                }
                out.push(t);
            }
        };
        let independent: Vec<f64> = (0..100).flat_map(train).collect();
        let f = population_fano(&independent, 0.0, 100_000.0, 100.0);
        assert!((0.85..1.15).contains(&f), "{f}");
        let one = train(1000);
        let copied: Vec<f64> = (0..100).flat_map(|_| one.iter().copied()).collect();
        let f = population_fano(&copied, 0.0, 100_000.0, 100.0);
        assert!((85.0..115.0).contains(&f), "{f}");
    }

    #[test]
    fn van_rossum_closed_forms() {
        assert!((van_rossum_distance(&[50.0], &[], 10.0) - 0.5f64.sqrt()).abs() < 1e-12);
        assert!((van_rossum_distance_elephant(&[50.0], &[], 10.0) - 1.0).abs() < 1e-12);
        assert!((van_rossum_distance(&[50.0], &[60.0], 10.0) - 0.795060).abs() < 1e-6);
        assert!((van_rossum_distance_elephant(&[50.0], &[60.0], 10.0) - 1.124385).abs() < 1e-6);
        assert_eq!(van_rossum_distance(&[1.0, 5.0, 9.0], &[1.0, 5.0, 9.0], 10.0), 0.0);
    }

    #[test]
    fn spike_sync_matches_pyspike() {
        let a = [100.0, 200.0, 300.0, 400.0, 500.0];
        assert_eq!(spike_sync(&a, &a, 0.0, 600.0), 1.0);
        assert!((spike_sync(&a, &[100.0, 260.0, 300.0, 460.0, 500.0], 0.0, 600.0) - 0.6).abs() < 1e-12);
        assert_eq!(spike_sync(&a, &[105.0, 210.0, 290.0, 430.0, 500.0], 0.0, 600.0), 1.0);
        assert_eq!(spike_sync(&a, &[150.0, 250.0, 350.0, 450.0, 550.0], 0.0, 600.0), 0.0);
    }
}
