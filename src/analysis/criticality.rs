//! The branching factor of a network's spiking (the edge-of-chaos read-out of NALSM,
//! ALGORITHMS.md §8): how many spikes of its targets follow each spike of a neuron, relative to
//! the spikes of its sources that preceded it. About 1 at criticality.

use crate::sim::{NeuronId, SpikeLog, Synapses};

/// Mean branching factor over the neurons in `neurons` (targets and sources restricted to them):
/// for each spike of neuron n at t (ignoring `skip_ms` at both ends of [0, `end_ms`]),
/// σ = #target spikes in [t + 1, t + 1 + `window_ms`) / max(1, #source spikes in [t − `window_ms`, t)),
/// averaged over the spikes of neurons that have at least one target.
pub fn branching_factor(
    log: &SpikeLog,
    syn: &Synapses,
    neurons: std::ops::Range<u32>,
    dt_ms: f64,
    window_ms: f64,
    skip_ms: f64,
    end_ms: f64,
) -> f64 {
    let (a, b) = (neurons.start as usize, neurons.end as usize);
    let inside = |k: usize| k >= a && k < b;
    let mut times: Vec<Vec<f64>> = vec![Vec::new(); b - a];
    for (&n, &g) in log.neurons.iter().zip(&log.grid) {
        if inside(n as usize) {
            times[n as usize - a].push(g as f64 * dt_ms);
        }
    }
    for t in &mut times {
        t.sort_by(f64::total_cmp);
    }
    let mut targets: Vec<Vec<usize>> = vec![Vec::new(); b - a];
    let mut sources: Vec<Vec<usize>> = vec![Vec::new(); b - a];
    for pre in a..b {
        for s in syn.row(NeuronId(pre as u32)) {
            let post = syn.post(s).index();
            if inside(post) {
                targets[pre - a].push(post - a);
                sources[post - a].push(pre - a);
            }
        }
    }
    let count = |list: &[usize], from: f64, to: f64| -> usize {
        list.iter().map(|&k| times[k].partition_point(|&t| t < to) - times[k].partition_point(|&t| t < from)).sum()
    };
    let (mut sum, mut n) = (0.0, 0usize);
    for k in 0..b - a {
        if targets[k].is_empty() {
            continue;
        }
        for &t in &times[k] {
            if t < skip_ms || t > end_ms - skip_ms {
                continue;
            }
            let after = count(&targets[k], t + 1.0, t + 1.0 + window_ms);
            let before = count(&sources[k], t - window_ms, t);
            sum += after as f64 / before.max(1) as f64;
            n += 1;
        }
    }
    if n == 0 { f64::NAN } else { sum / n as f64 }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn csr(n: usize, edges: &[(u32, u32)]) -> Synapses {
        let mut sorted = edges.to_vec();
        sorted.sort();
        let mut row_start = vec![0u64; n + 1];
        for &(p, _) in &sorted {
            row_start[p as usize + 1] += 1;
        }
        for i in 1..=n {
            row_start[i] += row_start[i - 1];
        }
        let target = sorted.iter().map(|e| e.1 << 1).collect::<Vec<_>>();
        let weight = vec![1.0; sorted.len()];
        Synapses { row_start, target, weight, delay: Vec::new(), projection: Vec::new(), id: Vec::new() }
    }

    #[test]
    fn a_ring_wave_is_critical_and_a_binary_tree_doubles() {
        // Ring of 10: a wave going round, each neuron 2 ms after its source.
        let ring: Vec<(u32, u32)> = (0..10).map(|k| (k, (k + 1) % 10)).collect();
        let mut log = SpikeLog::default();
        for k in 0..200u64 {
            log.neurons.push((k % 10) as u32);
            log.grid.push((30 + 2 * k) * 10);
        }
        let sigma = branching_factor(&log, &csr(10, &ring), 0..10, 0.1, 4.0, 25.0, 450.0);
        assert!((sigma - 1.0).abs() < 1e-12, "{sigma}");
        // Binary tree of depth 5: every node fires 2 ms after its parent.
        let tree: Vec<(u32, u32)> = (0..15).flat_map(|p| [(p, 2 * p + 1), (p, 2 * p + 2)]).collect();
        let mut log = SpikeLog::default();
        for node in 0..31u32 {
            let depth = (node + 1).ilog2() as u64;
            log.neurons.push(node);
            log.grid.push((30 + 2 * depth) * 10);
        }
        let sigma = branching_factor(&log, &csr(31, &tree), 0..31, 0.1, 4.0, 25.0, 200.0);
        assert!((sigma - 2.0).abs() < 1e-12, "{sigma}");
    }
}
