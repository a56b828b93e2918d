//! Pruning with neuroregeneration (GraNet, Liu et al. 2021): a cubic density schedule, a cosine
//! death rate, and prune/regrow rounds that keep the number of active synapses fixed.

/// The target density at pruning step `k` between `k0` and `kf`:
/// d_final + (d_init − d_final)(1 − (k − k0)/(kf − k0))³.
pub fn density(k: f64, k0: f64, kf: f64, d_init: f64, d_final: f64) -> f64 {
    let x = ((k - k0) / (kf - k0)).clamp(0.0, 1.0);
    d_final + (d_init - d_final) * (1.0 - x).powi(3)
}

/// The death rate at time `t` of `total`: r_min + (r0 − r_min)(1 + cos(π t / T))/2.
pub fn death_rate(t: f64, total: f64, r0: f64, r_min: f64) -> f64 {
    r_min + (r0 - r_min) * (1.0 + (std::f64::consts::PI * t / total).cos()) / 2.0
}

/// One prune/regrow round over `active` positions: removes ceil(rate · nnz) active weights of
/// smallest |w| and activates as many inactive positions (just-pruned ones included) of largest
/// `score` (ties to the lower index), new weights starting at 0. Returns (removed, regrown).
pub fn prune_and_regrow(
    weights: &mut [f64],
    active: &mut [bool],
    score: &[f64],
    rate: f64,
) -> (Vec<usize>, Vec<usize>) {
    let nnz = active.iter().filter(|&&a| a).count();
    let k = ((rate * nnz as f64).ceil() as usize).min(nnz);
    let mut live: Vec<usize> = (0..weights.len()).filter(|&i| active[i]).collect();
    live.sort_by(|&a, &b| weights[a].abs().total_cmp(&weights[b].abs()).then(a.cmp(&b)));
    let removed: Vec<usize> = live[..k].to_vec();
    for &i in &removed {
        active[i] = false;
        weights[i] = 0.0;
    }
    let mut dead: Vec<usize> = (0..weights.len()).filter(|&i| !active[i]).collect();
    dead.sort_by(|&a, &b| score[b].abs().total_cmp(&score[a].abs()).then(a.cmp(&b)));
    let regrown: Vec<usize> = dead[..k.min(dead.len())].to_vec();
    for &i in &regrown {
        active[i] = true;
        weights[i] = 0.0;
    }
    (removed, regrown)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cubic_schedule_table() {
        let half = [0.5, 0.3916, 0.3048, 0.2372, 0.1864, 0.15, 0.1256, 0.1108, 0.1032, 0.1004];
        let full = [1.0, 0.7561, 0.5608, 0.4087, 0.2944, 0.2125, 0.1576, 0.1243, 0.1072, 0.1009];
        for k in 0..10 {
            assert!((density(k as f64, 0.0, 10.0, 0.5, 0.1) - half[k]).abs() < 5e-5, "k {k}");
            assert!((density(k as f64, 0.0, 10.0, 1.0, 0.1) - full[k]).abs() < 5e-5, "k {k}");
        }
    }

    #[test]
    fn cosine_death_rate() {
        let want = [0.5, 0.42751, 0.2525, 0.07749, 0.005];
        for (q, w) in want.iter().enumerate() {
            assert!((death_rate(q as f64 * 25.0, 100.0, 0.5, 0.005) - w).abs() < 1e-5);
        }
    }

    #[test]
    fn a_round_conserves_nnz_and_picks_by_magnitude_and_score() {
        let mut w: Vec<f64> = (0..20)
            .map(|i| if i % 10 < 7 { (i as f64 + 1.0) * if i % 2 == 0 { 1.0 } else { -1.0 } } else { 0.0 })
            .collect();
        let mut active: Vec<bool> = (0..20).map(|i| i % 10 < 7).collect();
        let score: Vec<f64> = (0..20).map(|i| ((i * 7) % 20) as f64).collect();
        assert_eq!(active.iter().filter(|&&a| a).count(), 14);
        let before = w.clone();
        let (removed, regrown) = prune_and_regrow(&mut w, &mut active, &score, 0.5);
        assert_eq!((removed.len(), regrown.len()), (7, 7));
        assert_eq!(active.iter().filter(|&&a| a).count(), 14);
        // The 7 smallest |w| among the active: 1..7 by magnitude are indices 0..6.
        assert_eq!(removed, vec![0, 1, 2, 3, 4, 5, 6]);
        let mut by_score: Vec<usize> = (0..20).filter(|&i| !(10..17).contains(&i)).collect();
        by_score.sort_by(|&a, &b| score[b].total_cmp(&score[a]).then(a.cmp(&b)));
        assert_eq!(regrown, by_score[..7].to_vec());
        assert!(regrown.iter().all(|&i| w[i] == 0.0));
        assert!((10..17).all(|i| w[i] == before[i]));
    }
}
