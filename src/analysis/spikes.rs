//! Firing rates and the coefficient of variation of inter-spike intervals.

use crate::sim::SpikeLog;

/// Summary statistics of a group of neurons over a time window.
#[derive(Clone, Debug, PartialEq)]
pub struct ActivityStats {
    /// Neurons considered.
    pub neurons: usize,
    /// Spikes in the window.
    pub spikes: usize,
    /// Mean firing rate over all considered neurons (Hz).
    pub mean_rate_hz: f64,
    /// Mean CV of the ISIs over neurons with at least 3 spikes in the window (NaN if none).
    pub mean_cv_isi: f64,
    /// Neurons that entered the CV mean.
    pub cv_neurons: usize,
    /// Fraction of neurons with at least one spike in the window.
    pub fraction_active: f64,
}

/// Statistics of neurons `0..neurons` over spikes with times in [`from_ms`, `to_ms`).
pub fn activity_stats(log: &SpikeLog, neurons: usize, dt_ms: f64, from_ms: f64, to_ms: f64) -> ActivityStats {
    let mut trains: Vec<Vec<f64>> = vec![Vec::new(); neurons];
    let mut spikes = 0;
    for (&n, &g) in log.neurons.iter().zip(&log.grid) {
        let t = g as f64 * dt_ms;
        if (n as usize) < neurons && t >= from_ms && t < to_ms {
            trains[n as usize].push(t);
            spikes += 1;
        }
    }
    let duration_s = (to_ms - from_ms) * 1e-3;
    let (mut cv_sum, mut cv_neurons, mut active) = (0.0, 0, 0);
    for train in &mut trains {
        if !train.is_empty() {
            active += 1;
        }
        train.sort_by(f64::total_cmp);
        if let Some(cv) = cv_isi(train) {
            cv_sum += cv;
            cv_neurons += 1;
        }
    }
    ActivityStats {
        neurons,
        spikes,
        mean_rate_hz: if neurons > 0 && duration_s > 0.0 { spikes as f64 / neurons as f64 / duration_s } else { 0.0 },
        mean_cv_isi: if cv_neurons > 0 { cv_sum / cv_neurons as f64 } else { f64::NAN },
        cv_neurons,
        fraction_active: if neurons > 0 { active as f64 / neurons as f64 } else { 0.0 },
    }
}

/// CV (population standard deviation over mean) of the intervals of a sorted spike train with at
/// least 3 spikes.
pub fn cv_isi(times: &[f64]) -> Option<f64> {
    if times.len() < 3 {
        return None;
    }
    let isis: Vec<f64> = times.windows(2).map(|w| w[1] - w[0]).collect();
    let mean = isis.iter().sum::<f64>() / isis.len() as f64;
    let var = isis.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / isis.len() as f64;
    (mean > 0.0).then(|| var.sqrt() / mean)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regular_train_has_zero_cv_and_its_rate() {
        let mut log = SpikeLog::default();
        for k in 1..=10u64 {
            log.neurons.push(0);
            log.grid.push(k * 1000); // every 100 ms at dt = 0.1 ms
        }
        let s = activity_stats(&log, 2, 0.1, 0.0, 1000.0 + 1e-9);
        assert_eq!(s.spikes, 10);
        assert!((s.mean_rate_hz - 5.0).abs() < 1e-6); // 10 spikes over 2 neurons in 1 s
        assert!(s.mean_cv_isi.abs() < 1e-12);
        assert_eq!(s.cv_neurons, 1);
        assert_eq!(s.fraction_active, 0.5);
    }

    #[test]
    fn cv_of_two_alternating_intervals() {
        // ISIs 10, 30, 10, 30: mean 20, sd 10 -> CV 0.5
        let cv = cv_isi(&[0.0, 10.0, 40.0, 50.0, 80.0]).unwrap();
        assert!((cv - 0.5).abs() < 1e-12);
        assert!(cv_isi(&[1.0, 2.0]).is_none());
    }
}
