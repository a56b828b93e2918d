//! Pruning with neuroregeneration (GraNet, Liu et al. 2021): a cubic density schedule, a cosine
//! death rate, and prune/regrow rounds that keep the number of active synapses fixed.
//!
//! [`Pruning`] applies them to one projection of a spiking network as a structural rule: every
//! interval between `start` and `end` it prunes the smallest |w| down to the scheduled density,
//! then removes a cosine-annealed fraction more and regrows as many synapses where the activity
//! correlation proxy x_i·y_j (presynaptic trace × postsynaptic trace, ALGORITHMS.md §11's local
//! "gradient") is largest among the unconnected pairs. The candidates are never enumerated densely:
//! the score is a rank-one product, so its top-k pairs come out of a heap over the two trace lists
//! sorted in descending order (O((N + k) log N) per round instead of O(N_pre · N_post)).

use std::collections::BinaryHeap;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::sim::blocks::split_at_offsets;
use crate::sim::edit::{Edits, NewSynapse};
use crate::sim::network::{Network, members};
use crate::sim::params::{Curve, ParamSpec, tunable};
use crate::sim::rule::{Activity, RuleCurve, StructuralRule, tunable_hooks};
use crate::sim::trace::{Decay, Trace};
use crate::sim::{Dim, NeuronId, ParamError, PopulationId, Receptor, Segment, Synapses};

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

/// GraNet pruning and regrowth on one projection.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Pruning {
    /// The projection's index (the value its synapses carry in `Synapses::projection`).
    pub projection: u16,
    /// Presynaptic population.
    pub source: PopulationId,
    /// Postsynaptic population.
    pub target: PopulationId,
    /// Steps between rounds.
    pub interval_steps: u64,
    /// First round (step).
    pub start_step: u64,
    /// Last round (step); the density reaches `final_density` there.
    pub end_step: u64,
    /// Density (synapses / (|source| · |target|)) at the end.
    pub final_density: f64,
    /// Death rate r0 at the start (fraction of the synapses replaced per round).
    pub death_rate: f64,
    /// Death rate r_min at the end.
    pub death_rate_min: f64,
    /// Weight of a regrown synapse (engine units).
    pub regrow_weight: f32,
    /// Delay of a regrown synapse (steps).
    pub delay_steps: u16,
    /// Receptor of the projection.
    pub receptor: Receptor,
    /// Time constant of the activity traces (steps).
    pub trace_tau_steps: f64,
    /// Density at the first round (measured then); NaN before.
    initial_density: f64,
    /// Activity trace per neuron.
    trace: Trace,
    #[serde(skip)]
    decay: Decay,
}

impl Pruning {
    /// A rule with empty traces for `neurons` neurons.
    pub fn new(
        projection: u16,
        source: PopulationId,
        target: PopulationId,
        interval_steps: u64,
        start_step: u64,
        end_step: u64,
        final_density: f64,
        death_rate: (f64, f64),
        regrow: (f32, u16, Receptor),
        trace_tau_steps: f64,
        neurons: usize,
    ) -> Self {
        Self {
            projection,
            source,
            target,
            interval_steps: interval_steps.max(1),
            start_step,
            end_step: end_step.max(start_step),
            final_density,
            death_rate: death_rate.0,
            death_rate_min: death_rate.1,
            regrow_weight: regrow.0,
            delay_steps: regrow.1,
            receptor: regrow.2,
            trace_tau_steps,
            initial_density: f64::NAN,
            trace: Trace::new(neurons),
            decay: Decay::default(),
        }
    }

    /// Covers `n` neurons.
    pub fn resize(&mut self, n: usize) {
        self.trace.resize(n);
    }

    /// The density scheduled for a round at `step` (needs the initial density, known from the
    /// first round on).
    pub fn scheduled_density(&self, step: u64) -> f64 {
        density(step as f64, self.start_step as f64, self.end_step as f64, self.initial_density, self.final_density)
    }

    /// Builds the decay table when the time constant changed (or after a load).
    fn ensure_decay(&mut self) {
        if self.decay.tau_steps() != self.trace_tau_steps {
            self.decay = Decay::new(self.trace_tau_steps);
        }
    }

    /// After a step: the spikes (at grid time `grid`) of the source and target neurons bump their
    /// traces.
    pub fn record_spikes(&mut self, spikes: &[NeuronId], population: &[PopulationId], grid: u64) {
        self.ensure_decay();
        let (source, target) = (self.source, self.target);
        for &id in spikes {
            let p = population[id.index()];
            if p == source || p == target {
                self.trace.bump(id.index(), grid, &self.decay, false);
            }
        }
    }

    /// One round at `step`: the slots to remove and the synapses to add. `segments` give the two
    /// populations' neurons.
    pub fn plan_round(&mut self, syn: &Synapses, segments: &[Segment], step: u64) -> (Vec<u32>, Vec<NewSynapse>) {
        self.ensure_decay();
        let proj = self.projection;
        let of = |p: PopulationId| -> Vec<u32> { members(segments, p).collect() };
        let (sources, targets) = (of(self.source), of(self.target));
        let capacity = (sources.len() * targets.len()) as f64;
        // This projection's synapses as keys |w| then slot: |w| is finite and not negative, so its
        // bits order like its value, and one u64 comparison orders by |w| with ties by slot.
        // Blocks of slots in parallel: a count, then each block fills its own range, in slot order.
        const BLOCK: usize = 1 << 16;
        let mine = |b: usize| {
            let range = b * BLOCK..((b + 1) * BLOCK).min(syn.projection.len());
            (range.start, &syn.projection[range.clone()], &syn.weight[range])
        };
        let blocks = syn.projection.len().div_ceil(BLOCK);
        let counts: Vec<usize> =
            (0..blocks).into_par_iter().map(|b| mine(b).1.iter().filter(|&&p| p == proj).count()).collect();
        let offsets: Vec<usize> = std::iter::once(0)
            .chain(counts.iter().scan(0, |sum, &c| {
                *sum += c;
                Some(*sum)
            }))
            .collect();
        let mut live = vec![0u64; offsets[blocks]];
        split_at_offsets(&mut live, &offsets).into_par_iter().enumerate().for_each(|(b, out)| {
            let (lo, projection, weight) = mine(b);
            let mut k = 0;
            for (s, (&p, &w)) in projection.iter().zip(weight).enumerate() {
                if p == proj {
                    out[k] = (u64::from(w.abs().to_bits()) << 32) | (lo + s) as u64;
                    k += 1;
                }
            }
        });
        if self.initial_density.is_nan() {
            self.initial_density = live.len() as f64 / capacity.max(1.0);
        }
        let target_nnz = ((self.scheduled_density(step) * capacity).round() as usize).min(live.len());
        let pruned = live.len() - target_nnz;
        let t = (step - self.start_step) as f64;
        let span = (self.end_step - self.start_step).max(1) as f64;
        let rate = death_rate(t, span, self.death_rate, self.death_rate_min);
        let replaced = ((rate * target_nnz as f64).ceil() as usize).min(target_nnz);
        let remove: Vec<u32> = smallest(live, pruned + replaced).iter().map(|&key| key as u32).collect();
        // The connected pairs that stay, by presynaptic neuron (rows touched by the search only).
        let mut gone = vec![false; syn.len()];
        for &s in &remove {
            gone[s as usize] = true;
        }
        let mut rows: Vec<Option<Vec<u32>>> = vec![None; syn.row_start.len() - 1];
        let mut connected = |pre: u32, post: u32| -> bool {
            let row = rows[pre as usize].get_or_insert_with(|| {
                let mut r: Vec<u32> = syn
                    .row(NeuronId(pre))
                    .filter(|&s| !gone[s] && syn.projection.get(s) == Some(&proj))
                    .map(|s| syn.post(s).0)
                    .collect();
                r.sort_unstable();
                r
            });
            row.binary_search(&post).is_ok()
        };
        // Regrowth: the `replaced` unconnected pairs of largest x_pre · y_post, found by a heap
        // over both lists sorted by trace (descending; ties by id).
        let (trace, decay) = (&self.trace, &self.decay);
        let by_trace = |ids: Vec<u32>| -> Vec<(f64, u32)> {
            let mut v: Vec<(f64, u32)> = ids.into_iter().map(|i| (trace.at(i as usize, step, decay), i)).collect();
            v.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
            v
        };
        let (xs, ys) = (by_trace(sources), by_trace(targets));
        let mut add = Vec::with_capacity(replaced);
        let mut heap = BinaryHeap::new();
        if !xs.is_empty() && !ys.is_empty() {
            heap.push(Candidate { score: xs[0].0 * ys[0].0, a: 0, b: 0 });
        }
        while add.len() < replaced {
            let Some(Candidate { a, b, .. }) = heap.pop() else { break };
            // Enumerates every (a, b) once: right along the row, and down from the first column.
            if b + 1 < ys.len() {
                heap.push(Candidate { score: xs[a].0 * ys[b + 1].0, a, b: b + 1 });
            }
            if b == 0 && a + 1 < xs.len() {
                heap.push(Candidate { score: xs[a + 1].0 * ys[0].0, a: a + 1, b: 0 });
            }
            let (pre, post) = (xs[a].1, ys[b].1);
            if pre == post || connected(pre, post) {
                continue;
            }
            add.push(NewSynapse {
                pre: NeuronId(pre),
                post: NeuronId(post),
                receptor: self.receptor,
                weight: self.regrow_weight,
                delay_steps: self.delay_steps,
                projection: proj,
            });
        }
        (remove, add)
    }
}

/// What a user may change while GraNet runs.
const PRUNING_SCHEMA: &[ParamSpec] = &[
    ParamSpec::new("final_density", Dim::Dimensionless, 0.0, 1.0, 0.1, "density the schedule ends at"),
    ParamSpec::new("death_rate", Dim::Dimensionless, 0.0, 1.0, 0.5, "fraction replaced per round at the start"),
    ParamSpec::new("death_rate_min", Dim::Dimensionless, 0.0, 1.0, 0.005, "fraction replaced per round at the end"),
    ParamSpec::new("regrow_weight", Dim::Weight, -1e6, 1e6, 0.0, "weight of a regrown synapse (the target's unit)"),
];

fn pruning_related(p: &Pruning) -> Result<(), ParamError> {
    if p.death_rate_min > p.death_rate {
        return Err(ParamError {
            model: "GraNet pruning",
            param: "death_rate_min",
            reason: format!("{} is above death_rate {}", p.death_rate_min, p.death_rate),
        });
    }
    Ok(())
}

tunable!(
    Pruning,
    "GraNet pruning",
    PRUNING_SCHEMA,
    [final_density, death_rate, death_rate_min, regrow_weight],
    related = pruning_related
);

impl StructuralRule for Pruning {
    tunable_hooks!();

    fn label(&self, net: &Network) -> String {
        let name = |p: PopulationId| net.populations.get(p.index()).map_or("?", |p| p.name.as_str());
        format!("pruning {} -> {}", name(self.source), name(self.target))
    }

    fn curve(&self, net: &Network) -> Option<RuleCurve> {
        if self.initial_density.is_nan() || self.end_step <= self.start_step {
            return None;
        }
        let dt = net.dt_ms();
        let (k0, kf) = (self.start_step as f64, self.end_step as f64);
        let points = (0..=100)
            .map(|j| {
                let k = k0 + (kf - k0) * j as f64 / 100.0;
                [k * dt, self.scheduled_density(k as u64)]
            })
            .collect();
        let now = net.step_count().clamp(self.start_step, self.end_step);
        Some(RuleCurve {
            curve: Curve { x_label: "t (ms)", y_label: "density (scheduled)", points },
            now: vec![[now as f64 * dt, self.scheduled_density(now)]],
            level: None,
        })
    }

    fn name(&self) -> &'static str {
        "pruning"
    }

    fn check_decoded(&self, net: &Network) -> Result<(), String> {
        let fraction = |x: f64| (0.0..=1.0).contains(&x);
        let ok = self.source.index() < net.populations.len()
            && self.target.index() < net.populations.len()
            && self.interval_steps >= 1
            && self.end_step >= self.start_step
            && fraction(self.final_density)
            && fraction(self.death_rate)
            && fraction(self.death_rate_min)
            && (self.initial_density.is_nan() || fraction(self.initial_density))
            && self.regrow_weight.is_finite()
            && self.trace_tau_steps.is_finite()
            && self.trace_tau_steps > 0.0;
        if !ok {
            return Err("pruning parameters out of range".into());
        }
        self.trace.check(net.num_neurons(), net.step_count())
    }

    /// Every `interval_steps` from `start_step` to `end_step`.
    fn due(&self, step: u64) -> bool {
        step >= self.start_step && step <= self.end_step && (step - self.start_step).is_multiple_of(self.interval_steps)
    }

    fn plan(&mut self, net: &Network, edits: &mut Edits) {
        let (remove, add) = self.plan_round(&net.synapses, &net.segments, net.step_count());
        (edits.remove, edits.add) = (remove, add);
    }

    fn after_step(&mut self, a: &Activity) {
        self.record_spikes(a.spikes, a.population, a.grid);
    }

    fn neurons_added(&mut self, population_of: &[PopulationId]) {
        self.resize(population_of.len());
    }
}

/// The `k` smallest of `keys` (all distinct), ascending. A deterministic sample of the keys gives
/// a bound just above the k-th smallest, a parallel pass keeps the keys under it, and the
/// selection runs over those only; when the bound falls short, over all of them.
fn smallest(mut keys: Vec<u64>, k: usize) -> Vec<u64> {
    const SAMPLE: usize = 8192;
    const BLOCK: usize = 1 << 16;
    let n = keys.len();
    if k == 0 {
        return Vec::new();
    }
    if k < n / 8 && n >= 8 * SAMPLE {
        let mut sample: Vec<u64> = keys.iter().step_by(n / SAMPLE).copied().collect();
        sample.sort_unstable();
        // The sample's quantile for k, with a margin of 20 % and 16 samples.
        let q = (k as f64 / n as f64 * sample.len() as f64 * 1.2) as usize + 16;
        if q < sample.len() {
            let bound = sample[q];
            let under: Vec<Vec<u64>> = keys
                .par_chunks(BLOCK)
                .map(|block| block.iter().copied().filter(|&key| key <= bound).collect())
                .collect();
            let mut under = under.concat();
            if under.len() >= k {
                keys = std::mem::take(&mut under);
            }
        }
    }
    if k < keys.len() {
        keys.select_nth_unstable(k - 1);
    }
    keys.truncate(k);
    keys.sort_unstable();
    keys
}

/// A candidate pair in the sorted trace lists, ordered by score, then by position (earlier first).
#[derive(PartialEq)]
struct Candidate {
    score: f64,
    a: usize,
    b: usize,
}

impl Eq for Candidate {}

impl PartialOrd for Candidate {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Candidate {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.score.total_cmp(&other.score).then((other.a, other.b).cmp(&(self.a, self.b)))
    }
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
    fn smallest_equals_a_full_sort_for_any_k_and_key_spread() {
        // 200,000 distinct keys: weights from an LCG (few distinct values in the second case, so
        // ties by slot decide), the slot in the low bits as in `plan`.
        for distinct_weights in [u64::MAX, 3] {
            let mut x = 12345u64;
            let keys: Vec<u64> = (0..200_000u64)
                .map(|s| {
                    x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                    (((x >> 33) % distinct_weights) << 32) | s
                })
                .collect();
            let mut sorted = keys.clone();
            sorted.sort_unstable();
            for k in [0, 1, 17, 1_000, 24_999, 25_000, 60_000, 199_999, 200_000] {
                assert_eq!(smallest(keys.clone(), k), sorted[..k], "k = {k}");
            }
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
