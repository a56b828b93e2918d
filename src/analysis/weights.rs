//! Weight distributions of plastic projections.

/// Summary of a projection's weights relative to its bound.
#[derive(Clone, Debug, PartialEq)]
pub struct WeightSummary {
    /// Number of synapses.
    pub count: usize,
    /// Mean of w / w_max.
    pub mean_fraction: f64,
    /// Fraction of synapses with w < 0.1 w_max.
    pub below_10pct: f64,
    /// Fraction of synapses with w > 0.9 w_max.
    pub above_90pct: f64,
    /// Counts in `bins` equal bins over [0, w_max] (values outside go to the end bins).
    pub histogram: Vec<usize>,
}

/// Summarises `weights` against the bound `w_max` with a histogram of `bins` bins.
pub fn weight_summary(weights: &[f64], w_max: f64, bins: usize) -> WeightSummary {
    let mut histogram = vec![0usize; bins.max(1)];
    let (mut sum, mut low, mut high) = (0.0, 0usize, 0usize);
    for &w in weights {
        let u = w / w_max;
        sum += u;
        low += usize::from(u < 0.1);
        high += usize::from(u > 0.9);
        let b = ((u * histogram.len() as f64).floor().max(0.0) as usize).min(histogram.len() - 1);
        histogram[b] += 1;
    }
    let n = weights.len().max(1) as f64;
    WeightSummary {
        count: weights.len(),
        mean_fraction: sum / n,
        below_10pct: low as f64 / n,
        above_90pct: high as f64 / n,
        histogram,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fractions_and_histogram() {
        let w = [0.0, 0.05, 0.5, 0.95, 1.0];
        let s = weight_summary(&w, 1.0, 10);
        assert_eq!(s.count, 5);
        assert!((s.mean_fraction - 0.5).abs() < 1e-12);
        assert!((s.below_10pct - 0.4).abs() < 1e-12);
        assert!((s.above_90pct - 0.4).abs() < 1e-12);
        assert_eq!(s.histogram, vec![2, 0, 0, 0, 0, 1, 0, 0, 0, 2]);
    }
}
