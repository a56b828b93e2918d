//! Connectivity: each projection's rule for drawing a presynaptic neuron's targets, and the
//! synapse table generated from them in parallel blocks of presynaptic neurons, every draw keyed
//! by the counter-based generator so the table never depends on the thread count.

use rayon::prelude::*;

use super::progress::BuildProgress;
use super::values::sample;
use crate::scene::format::{Connectivity, Dist};
use crate::sim::rng::{CounterRng, stream};
use crate::sim::{Receptor, Synapses};

/// Source neurons handled per parallel work item when generating synapses.
const BUILD_CHUNK: usize = 1024;

/// One projection ready for generation.
pub(super) struct Plan {
    /// The projection's index (its random streams and its value in the projection column).
    pub(super) index: u64,
    /// Presynaptic neuron ids.
    pub(super) source: std::ops::Range<u32>,
    /// First id of the target population.
    pub(super) target_start: u32,
    /// Which targets each presynaptic neuron gets.
    pub(super) rule: RowRule,
    /// Weights, in the written unit.
    pub(super) weight: Dist,
    /// Engine units per written unit.
    pub(super) factor: f64,
    /// Delays (ms).
    pub(super) delay: Dist,
    /// Receptor of every synapse.
    pub(super) receptor: Receptor,
}

/// Generates every projection's synapses in CSR order: a counting pass and a filling pass, both
/// parallel over source neurons, regenerating each row from the same counter-based draws so the
/// peak memory is the final arrays and the result does not depend on the thread count.
pub(super) fn generate_synapses(
    plans: &[Plan],
    n: usize,
    seed: u64,
    dt: f64,
    with_projection: bool,
    progress: &BuildProgress,
) -> Synapses {
    let mut counts = vec![0u64; n + 1];
    counts[1..].par_chunks_mut(BUILD_CHUNK).enumerate().for_each_init(Vec::new, |buf, (c, out)| {
        for (k, slot) in out.iter_mut().enumerate() {
            let pre = (c * BUILD_CHUNK + k) as u32;
            *slot = plans
                .iter()
                .filter(|p| p.source.contains(&pre))
                .map(|p| {
                    p.rule.targets(pre, buf);
                    buf.len() as u64
                })
                .sum();
        }
        progress.add(out.len() as u64);
    });
    for i in 1..=n {
        counts[i] += counts[i - 1];
    }
    let total = counts[n] as usize;
    let with_delays = plans.iter().any(|p| !matches!(p.delay, Dist::Constant(q) if (q.value / dt).round() == 0.0));
    let mut target = vec![0u32; total];
    let mut weight = vec![0f32; total];
    let mut delay = if with_delays { vec![0u16; total] } else { Vec::new() };
    let mut projection = if with_projection { vec![0u16; total] } else { Vec::new() };

    // Split the columns into one disjoint piece per chunk of source neurons.
    let mut pieces = Vec::new();
    let (mut t_rest, mut w_rest, mut d_rest, mut p_rest) =
        (&mut target[..], &mut weight[..], &mut delay[..], &mut projection[..]);
    for c in 0..n.div_ceil(BUILD_CHUNK) {
        let (a, b) = (c * BUILD_CHUNK, ((c + 1) * BUILD_CHUNK).min(n));
        let len = (counts[b] - counts[a]) as usize;
        let (t, tr) = std::mem::take(&mut t_rest).split_at_mut(len);
        let (w, wr) = std::mem::take(&mut w_rest).split_at_mut(len);
        let dl = if with_delays { len } else { 0 };
        let (d, dr) = std::mem::take(&mut d_rest).split_at_mut(dl);
        let (pj, pr) = std::mem::take(&mut p_rest).split_at_mut(if with_projection { len } else { 0 });
        (t_rest, w_rest, d_rest, p_rest) = (tr, wr, dr, pr);
        pieces.push((a..b, t, w, d, pj));
    }
    pieces.into_par_iter().for_each_init(Vec::new, |buf, (range, t, w, d, pj)| {
        progress.add(range.len() as u64);
        let mut at = 0;
        for pre in range {
            let pre = pre as u32;
            for p in plans.iter().filter(|p| p.source.contains(&pre)) {
                p.rule.targets(pre, buf);
                for (k, &local) in buf.iter().enumerate() {
                    t[at] = ((p.target_start + local) << 1) | p.receptor.index();
                    let mut rng = CounterRng::new(seed, pre as u64, k as u64, stream::WEIGHT + p.index);
                    w[at] = (p.factor * sample(&p.weight, &mut rng)) as f32;
                    if with_projection {
                        pj[at] = p.index as u16;
                    }
                    if with_delays {
                        let mut rng = CounterRng::new(seed, pre as u64, k as u64, stream::DELAY + p.index);
                        d[at] = (sample(&p.delay, &mut rng) / dt).round().clamp(0.0, u16::MAX as f64) as u16;
                    }
                    at += 1;
                }
            }
        }
    });
    Synapses { row_start: counts, target, weight, delay, projection, id: Vec::new() }
}

/// A connectivity rule that can list the targets (indices within the target population) of any
/// source neuron on its own.
pub(super) enum RowRule {
    Bernoulli {
        ln_q: f64,
        p: f64,
        skip_self: Option<u32>,
        t_len: u32,
        src_start: u32,
        seed: u64,
        stream: u64,
    },
    Outdegree {
        k: u32,
        skip_self: Option<u32>,
        t_len: u32,
        src_start: u32,
        seed: u64,
        stream: u64,
    },
    All {
        skip_self: Option<u32>,
        t_len: u32,
        src_start: u32,
    },
    OneToOne {
        src_start: u32,
    },
    /// Rows precomputed (for rules defined per target, and explicit pairs): CSR by source index.
    Table {
        row_start: Vec<u64>,
        post: Vec<u32>,
        src_start: u32,
    },
}

impl RowRule {
    pub(super) fn new(
        c: &Connectivity,
        src: std::ops::Range<u32>,
        tgt: std::ops::Range<u32>,
        positions: &[[f32; 3]],
        seed: u64,
        stream: u64,
    ) -> Result<Self, String> {
        let (s_len, t_len) = (src.end - src.start, tgt.end - tgt.start);
        let same = src == tgt;
        // With autapses excluded, the local index of a source in the target population is skipped.
        let skip = |autapses: bool| (!autapses && same).then_some(0u32);
        Ok(match c {
            Connectivity::Bernoulli { p, autapses } => {
                if !(p.is_finite() && (0.0..=1.0).contains(p)) {
                    return Err(format!("p must be a probability in [0, 1], got {p}"));
                }
                RowRule::Bernoulli {
                    ln_q: (-p).ln_1p(),
                    p: *p,
                    skip_self: skip(*autapses),
                    t_len,
                    src_start: src.start,
                    seed,
                    stream,
                }
            }
            Connectivity::FixedOutdegree { k, autapses } => {
                if same && !autapses && t_len < 2 && *k > 0 {
                    return Err("no target other than the source itself".into());
                }
                RowRule::Outdegree { k: *k, skip_self: skip(*autapses), t_len, src_start: src.start, seed, stream }
            }
            Connectivity::AllToAll { autapses } => {
                RowRule::All { skip_self: skip(*autapses), t_len, src_start: src.start }
            }
            Connectivity::OneToOne => {
                if s_len != t_len {
                    return Err(format!("OneToOne needs populations of equal size ({s_len} vs {t_len})"));
                }
                RowRule::OneToOne { src_start: src.start }
            }
            Connectivity::FixedIndegree { k, autapses } => {
                if same && !autapses && s_len < 2 && *k > 0 {
                    return Err("no source other than the target itself".into());
                }
                let mut edges = Vec::with_capacity(t_len as usize * *k as usize);
                for j in 0..t_len {
                    let mut rng = CounterRng::new(seed, j as u64, tgt.start as u64 + j as u64, stream);
                    let mut made = 0;
                    while made < *k {
                        let i = rng.below(s_len as u64) as u32;
                        if same && !autapses && i == j {
                            continue;
                        }
                        edges.push((i, j));
                        made += 1;
                    }
                }
                table(edges, s_len, src.start)
            }
            Connectivity::Gaussian { c, lambda, autapses } => {
                if !(c.is_finite() && (0.0..=1.0).contains(c)) {
                    return Err(format!("c must be a probability in [0, 1], got {c}"));
                }
                if !(lambda.is_finite() && *lambda > 0.0) {
                    return Err(format!("lambda must be a positive length, got {lambda}"));
                }
                let mut edges = Vec::new();
                for i in 0..s_len {
                    let pi = positions[(src.start + i) as usize];
                    let mut rng = CounterRng::new(seed, (src.start + i) as u64, 0, stream);
                    for j in 0..t_len {
                        let pj = positions[(tgt.start + j) as usize];
                        let d2 = (0..3).map(|k| ((pi[k] - pj[k]) as f64).powi(2)).sum::<f64>();
                        let p = c * (-d2 / (*lambda as f64).powi(2)).exp();
                        if rng.uniform() < p && !(same && !autapses && i == j) {
                            edges.push((i, j));
                        }
                    }
                }
                table(edges, s_len, src.start)
            }
            Connectivity::Pairs(list) => {
                if let Some((i, j)) = list.iter().find(|(i, j)| *i >= s_len || *j >= t_len) {
                    return Err(format!("pair ({i}, {j}) is outside the populations ({s_len} and {t_len} neurons)"));
                }
                table(list.clone(), s_len, src.start)
            }
        })
    }

    /// Writes the targets of source neuron `pre` (a global id) into `out`.
    pub(super) fn targets(&self, pre: u32, out: &mut Vec<u32>) {
        out.clear();
        match self {
            RowRule::Bernoulli { ln_q, p, skip_self, t_len, src_start, seed, stream } => {
                let local = pre - src_start;
                let skip = skip_self.map(|_| local);
                if *p >= 1.0 {
                    out.extend((0..*t_len).filter(|&j| Some(j) != skip));
                    return;
                }
                if *p <= 0.0 {
                    return;
                }
                let mut rng = CounterRng::new(*seed, pre as u64, 0, *stream);
                let mut j = rng.geometric_skip(*ln_q);
                while j < *t_len as u64 {
                    if Some(j as u32) != skip {
                        out.push(j as u32);
                    }
                    j = j.saturating_add(1).saturating_add(rng.geometric_skip(*ln_q));
                }
            }
            RowRule::Outdegree { k, skip_self, t_len, src_start, seed, stream } => {
                let local = pre - src_start;
                let mut rng = CounterRng::new(*seed, pre as u64, 0, *stream);
                while out.len() < *k as usize {
                    let j = rng.below(*t_len as u64) as u32;
                    if skip_self.is_some() && j == local {
                        continue;
                    }
                    out.push(j);
                }
                out.sort_unstable();
            }
            RowRule::All { skip_self, t_len, src_start } => {
                let local = pre - src_start;
                out.extend((0..*t_len).filter(|&j| !(skip_self.is_some() && j == local)));
            }
            RowRule::OneToOne { src_start } => out.push(pre - src_start),
            RowRule::Table { row_start, post, src_start } => {
                let i = (pre - src_start) as usize;
                out.extend_from_slice(&post[row_start[i] as usize..row_start[i + 1] as usize]);
            }
        }
    }
}

fn table(mut edges: Vec<(u32, u32)>, s_len: u32, src_start: u32) -> RowRule {
    edges.sort_unstable();
    let mut row_start = vec![0u64; s_len as usize + 1];
    for &(i, _) in &edges {
        row_start[i as usize + 1] += 1;
    }
    for i in 1..row_start.len() {
        row_start[i] += row_start[i - 1];
    }
    RowRule::Table { row_start, post: edges.into_iter().map(|e| e.1).collect(), src_start }
}
