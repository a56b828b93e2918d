//! Long-range attention edges: neurons that are far apart but fire together find each other.
//!
//! Each neuron's embedding is its recent activity: spike counts in `bins` consecutive bins, centred
//! and normalised, so the dot product of two embeddings is the correlation of their recent spike
//! trains. Every `interval_steps` one attention head in the EGT form (ALGORITHMS.md §12, with
//! W_Q = W_K = I and no layer norm: nothing here is trained) scores pairs farther apart than
//! `min_distance`: Ĥ_ij = clip(sharpness · q_i·k_j, −5, 5) + e_ij, where the edge channel e_ij is
//! the running Ĥ of an existing edge, A_ij = softmax_j(Ĥ_ij) ⊙ σ(G_ij) with the gate
//! G_ij = gate_gain (Ĥ_ij − gate_threshold) (a softmax row sums to 1 even when no partner is
//! correlated; the gate closes on those). The `top_k` pairs of largest A
//! become edges j → i that carry current `weight · strength · A_ij` when j fires; an edge that is
//! selected again strengthens, one that is not decays and is removed below `min_strength`.
//!
//! Sub-quadratic: no N × N matrix is formed. Candidate pairs come from a locality-sensitive index
//! (SimHash: `tables` tables of `bits` random hyperplanes; correlated embeddings share a bucket with
//! high probability, uncorrelated ones rarely), at most `bucket_cap` neighbours per bucket and
//! table, and each neuron passes at most its 8 best pairs on to the global top-k, so the cost per
//! update is O(N · tables · (bits · bins + bucket_cap · bins) + N log N).
//! The softmax denominator adds the pairs outside the candidate set as a Monte-Carlo estimate from
//! `samples` random partners (keyed by the counter-based RNG), so A keeps its meaning without the
//! full row.

use std::collections::HashMap;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::sim::edit::Edits;
use crate::sim::network::Network;
use crate::sim::params::{ParamSpec, Tunable, tunable};
use crate::sim::report::StructuralEvent;
use crate::sim::rng::{CounterRng, stream};
use crate::sim::rule::{Activity, StructuralRule};
use crate::sim::{Dim, NeuronId, ParamError, PopulationId};

/// Query rows (or neurons) per parallel task: fixed, so results never depend on the thread count.
const ROWS_PER_TASK: usize = 1024;

/// An attention edge from `from` (the attended, value side) to `to` (the query side).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct AttentionEdge {
    /// Stable id (never reused).
    pub id: u32,
    /// The neuron whose spikes the edge carries.
    pub from: u32,
    /// The neuron that receives the current.
    pub to: u32,
    /// The attention A_ij at its last selection.
    pub attention: f64,
    /// Strength in (0, 1]: grows when re-selected, decays otherwise.
    pub strength: f64,
    /// Edge channel: the running content logit of the pair, added to its Ĥ as the edge bias.
    pub channel: f64,
}

/// Parameters of the attention edges.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AttentionParams {
    /// Populations whose neurons take part.
    pub populations: Vec<PopulationId>,
    /// Steps between updates.
    pub interval_steps: u64,
    /// Steps per embedding bin.
    pub bin_steps: u64,
    /// Bins per embedding (its dimension).
    pub bins: usize,
    /// Pairs closer than this (µm) never get an edge.
    pub min_distance: f32,
    /// Pairs selected per update.
    pub top_k: usize,
    /// Scale of the correlation in the logits.
    pub sharpness: f64,
    /// Current (pA or nS) delivered at attention × strength = 1.
    pub weight: f32,
    /// Strength gained when re-selected: s ← s + η (1 − s); also a new edge's strength.
    pub reinforce: f64,
    /// Fraction of strength lost at an update without selection.
    pub decay: f64,
    /// Edges weaker than this are removed.
    pub min_strength: f64,
    /// SimHash tables.
    pub tables: usize,
    /// Hyperplanes per table.
    pub bits: usize,
    /// Most neighbours compared per bucket and table.
    pub bucket_cap: usize,
    /// Random partners sampled for the softmax denominator.
    pub samples: usize,
    /// Logit Ĥ at which the gate is half open.
    pub gate_threshold: f64,
    /// Steepness of the gate.
    pub gate_gain: f64,
}

/// Long-range attention edges over a network's neurons, with their state.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AttentionEdges {
    /// Parameters.
    pub params: AttentionParams,
    /// Whether each neuron takes part.
    member: Vec<bool>,
    /// Spike counts per (neuron, bin), a ring over bins.
    counts: Vec<u16>,
    /// The bin being filled.
    bin: usize,
    /// The edges.
    edges: Vec<AttentionEdge>,
    /// The next edge id.
    next_id: u32,
    /// Edge indices by `from` neuron (rebuilt after updates and loads).
    #[serde(skip)]
    out_start: Vec<u32>,
    #[serde(skip)]
    out: Vec<u32>,
}

impl AttentionEdges {
    /// No edges yet, for neurons whose populations are `population_of`.
    pub fn new(params: AttentionParams, population_of: &[PopulationId]) -> Self {
        let mut a = Self {
            params,
            member: Vec::new(),
            counts: Vec::new(),
            bin: 0,
            edges: Vec::new(),
            next_id: 0,
            out_start: Vec::new(),
            out: Vec::new(),
        };
        a.resize(population_of);
        a
    }

    /// Covers every neuron of `population_of`.
    pub fn resize(&mut self, population_of: &[PopulationId]) {
        self.member = population_of.iter().map(|p| self.params.populations.contains(p)).collect();
        self.counts.resize(population_of.len() * self.params.bins, 0);
        self.out_start.clear();
    }

    /// The current edges.
    pub fn edges(&self) -> &[AttentionEdge] {
        &self.edges
    }

    fn index(&mut self) {
        let n = self.member.len();
        let mut start = vec![0u32; n + 1];
        for e in &self.edges {
            start[e.from as usize + 1] += 1;
        }
        for i in 1..=n {
            start[i] += start[i - 1];
        }
        let mut fill = start.clone();
        let mut out = vec![0u32; self.edges.len()];
        for (k, e) in self.edges.iter().enumerate() {
            out[fill[e.from as usize] as usize] = k as u32;
            fill[e.from as usize] += 1;
        }
        self.out_start = start;
        self.out = out;
    }

    /// Delivers the current of the edges leaving this step's spiking neurons into `syn_ex`.
    pub fn deliver(&mut self, spikes: &[NeuronId], syn_ex: &mut [f64]) {
        if self.edges.is_empty() {
            return;
        }
        if self.out_start.len() != self.member.len() + 1 {
            self.index();
        }
        let w = self.params.weight as f64;
        for &j in spikes {
            let (a, b) = (self.out_start[j.index()] as usize, self.out_start[j.index() + 1] as usize);
            for &k in &self.out[a..b] {
                let e = &self.edges[k as usize];
                syn_ex[e.to as usize] += w * e.strength * e.attention;
            }
        }
    }

    /// After the step that ends at grid index `grid`: counts the spikes into the current bin and
    /// moves to the next bin at its boundary.
    pub fn record_spikes(&mut self, spikes: &[NeuronId], grid: u64) {
        let bins = self.params.bins;
        for &id in spikes {
            if self.member[id.index()] {
                let c = &mut self.counts[id.index() * bins + self.bin];
                *c = c.saturating_add(1);
            }
        }
        if grid.is_multiple_of(self.params.bin_steps) {
            self.bin = (self.bin + 1) % bins;
            for i in 0..self.member.len() {
                self.counts[i * bins + self.bin] = 0;
            }
        }
    }

    /// The update at `step`: embeddings, candidate pairs from the hash tables, attention, and the
    /// edges that form, strengthen, decay or go (events pushed to `events`).
    pub fn update(&mut self, positions: &[[f32; 3]], seed: u64, step: u64, events: &mut Vec<StructuralEvent>) {
        let p = self.params.clone();
        let (bins, n) = (p.bins, self.member.len());
        // 1. Embeddings: the completed bins in time order (the bin being filled is left out),
        //    centred and normalised; silent or constant neurons have none.
        let mut ids: Vec<u32> = Vec::new();
        let mut emb: Vec<f64> = Vec::new();
        let mut row = vec![0.0; bins - 1];
        for i in (0..n).filter(|&i| self.member[i]) {
            for (k, r) in row.iter_mut().enumerate() {
                *r = self.counts[i * bins + (self.bin + 1 + k) % bins] as f64;
            }
            let mean = row.iter().sum::<f64>() / row.len() as f64;
            let norm = row.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>().sqrt();
            if norm > 0.0 {
                ids.push(i as u32);
                emb.extend(row.iter().map(|x| (x - mean) / norm));
            }
        }
        let d = bins - 1;
        let m = ids.len();
        let x = |a: usize| &emb[a * d..(a + 1) * d];
        let dot = |a: usize, b: usize| x(a).iter().zip(x(b)).map(|(u, v)| u * v).sum::<f64>();
        let far = |a: usize, b: usize| {
            let (pa, pb) = (positions[ids[a] as usize], positions[ids[b] as usize]);
            let d2: f32 = (0..3).map(|c| (pa[c] - pb[c]) * (pa[c] - pb[c])).sum();
            d2 >= p.min_distance * p.min_distance
        };
        let existing: HashMap<(u32, u32), usize> =
            self.edges.iter().enumerate().map(|(k, e)| ((e.to, e.from), k)).collect();
        // 2. The hash tables: each neuron's signature per table, neurons sorted by signature.
        let mut sorted: Vec<Vec<(u64, u32)>> = Vec::with_capacity(p.tables);
        let mut pos: Vec<Vec<u32>> = Vec::with_capacity(p.tables);
        for t in 0..p.tables {
            let planes: Vec<f64> = (0..p.bits * d)
                .map(|c| CounterRng::new(seed, t as u64, c as u64, stream::ATTENTION).normal())
                .collect();
            let mut sig: Vec<(u64, u32)> = (0..m)
                .into_par_iter()
                .with_min_len(ROWS_PER_TASK)
                .map(|a| {
                    let mut s = 0u64;
                    for b in 0..p.bits {
                        let h: f64 = planes[b * d..(b + 1) * d].iter().zip(x(a)).map(|(u, v)| u * v).sum();
                        s |= u64::from(h > 0.0) << b;
                    }
                    (s, a as u32)
                })
                .collect();
            sig.par_sort_unstable();
            let mut at = vec![0u32; m];
            for (k, &(_, a)) in sig.iter().enumerate() {
                at[a as usize] = k as u32;
            }
            sorted.push(sig);
            pos.push(at);
        }
        // Existing edges by receiving neuron, so they stay candidates and can be re-selected.
        let mut slot_of = vec![u32::MAX; n];
        for (a, &i) in ids.iter().enumerate() {
            slot_of[i as usize] = a as u32;
        }
        let mut partners: Vec<Vec<(u32, f64)>> = vec![Vec::new(); m];
        for e in &self.edges {
            let (a, b) = (slot_of[e.to as usize], slot_of[e.from as usize]);
            if a != u32::MAX && b != u32::MAX {
                partners[a as usize].push((b, e.channel));
            }
        }
        // 3. Per query neuron: candidates from its buckets (at most `bucket_cap` neighbours in
        //    each table's sorted order), attention over them with the rest of the row estimated
        //    from sampled partners; its best few go on to the global selection. Rows are
        //    independent, so fixed blocks of them run in parallel and are joined in row order:
        //    the result does not depend on the thread count.
        let per_row = p.top_k.clamp(1, 8);
        let half = p.bucket_cap.div_ceil(2);
        let score_rows = |rows: std::ops::Range<usize>| -> Vec<(f64, f64, u32, u32)> {
            let mut scored = Vec::new();
            let (mut cand, mut row_scores): (Vec<u32>, Vec<(f64, f64, u32)>) = (Vec::new(), Vec::new());
            for a in rows {
                cand.clear();
                for t in 0..p.tables {
                    let (list, k) = (&sorted[t], pos[t][a] as usize);
                    let s = list[k].0;
                    let lo = k.saturating_sub(half);
                    let hi = (k + half + 1).min(m);
                    cand.extend(list[lo..hi].iter().filter(|e| e.0 == s && e.1 as usize != a).map(|e| e.1));
                }
                cand.extend(partners[a].iter().map(|e| e.0));
                cand.sort_unstable();
                cand.dedup();
                cand.retain(|&b| far(a, b as usize));
                if cand.is_empty() {
                    continue;
                }
                row_scores.clear();
                row_scores.extend(cand.iter().map(|&b| {
                    // Ĥ = content logit + edge bias (the channel of an existing edge).
                    let content = (p.sharpness * dot(a, b as usize)).clamp(-5.0, 5.0);
                    let channel = partners[a].iter().find(|e| e.0 == b).map_or(0.0, |e| e.1);
                    ((content + channel).exp(), content, b)
                }));
                // The rest of the row (far partners outside the candidates), from sampled partners.
                let mut rng = CounterRng::new(seed, step, ids[a] as u64, stream::ATTENTION + 1);
                let mut rest = 0.0;
                let (mut sum, mut far_n) = (0.0, 0usize);
                for _ in 0..p.samples {
                    let b = rng.below(m as u64) as usize;
                    if b != a && far(a, b) {
                        sum += (p.sharpness * dot(a, b)).clamp(-5.0, 5.0).exp();
                        far_n += 1;
                    }
                }
                if far_n > 0 {
                    let eligible = (m - 1) as f64 * far_n as f64 / p.samples as f64;
                    rest = (eligible - cand.len() as f64).max(0.0) * sum / far_n as f64;
                }
                let z: f64 = row_scores.iter().map(|r| r.0).sum::<f64>() + rest;
                // Gated attention A ⊙ σ(G), the gate G = gain (content logit − threshold) closing
                // on pairs whose activity is not correlated now (a softmax row sums to 1 even when
                // no partner is). The edge channel then follows the content logit (bounded by the
                // clip).
                for r in row_scores.iter_mut() {
                    r.0 = r.0 / z / (1.0 + (-p.gate_gain * (r.1 - p.gate_threshold)).exp());
                }
                // The row's best `per_row` (by attention, ties by partner): a selection, then a
                // sort of those only.
                let by_attention = |u: &(f64, f64, u32), v: &(f64, f64, u32)| v.0.total_cmp(&u.0).then(u.2.cmp(&v.2));
                let keep = per_row.min(row_scores.len());
                if keep < row_scores.len() {
                    row_scores.select_nth_unstable_by(keep - 1, by_attention);
                }
                row_scores[..keep].sort_by(by_attention);
                for &(g, h, b) in &row_scores[..keep] {
                    scored.push((g, h, ids[a], ids[b as usize]));
                }
            }
            scored
        };
        let blocks: Vec<Vec<(f64, f64, u32, u32)>> = (0..m.div_ceil(ROWS_PER_TASK))
            .into_par_iter()
            .map(|k| score_rows(k * ROWS_PER_TASK..((k + 1) * ROWS_PER_TASK).min(m)))
            .collect();
        let mut scored: Vec<(f64, f64, u32, u32)> = blocks.concat();
        // 4. The top-k pairs by attention (ties by ids) are selected.
        let order =
            |u: &(f64, f64, u32, u32), v: &(f64, f64, u32, u32)| v.0.total_cmp(&u.0).then((u.2, u.3).cmp(&(v.2, v.3)));
        if scored.len() > p.top_k && p.top_k > 0 {
            scored.select_nth_unstable_by(p.top_k - 1, order);
        }
        scored.truncate(p.top_k);
        scored.sort_by(order);
        let mut selected = vec![false; self.edges.len()];
        for &(att, h, to, from) in &scored {
            match existing.get(&(to, from)) {
                Some(&e) => {
                    selected[e] = true;
                    let edge = &mut self.edges[e];
                    edge.strength += p.reinforce * (1.0 - edge.strength);
                    edge.attention = att;
                    edge.channel += p.reinforce * (h - edge.channel);
                }
                None => {
                    let id = self.next_id;
                    self.next_id += 1;
                    self.edges.push(AttentionEdge { id, from, to, attention: att, strength: p.reinforce, channel: h });
                    selected.push(true);
                    events.push(StructuralEvent::AttentionEdgeFormed { id, a: NeuronId(to), b: NeuronId(from) });
                }
            }
        }
        // 5. Edges not selected decay; the weakest go.
        let mut keep = selected.iter();
        let mut gone = Vec::new();
        self.edges.retain_mut(|e| {
            if *keep.next().expect("one flag per edge") {
                return true;
            }
            e.strength *= 1.0 - p.decay;
            let alive = e.strength >= p.min_strength;
            if !alive {
                gone.push(e.id);
            }
            alive
        });
        events.extend(gone.into_iter().map(|id| StructuralEvent::AttentionEdgeDecayed { id }));
        self.index();
    }
}

/// What a user may change while attention edges run.
const ATTENTION_SCHEMA: &[ParamSpec] = &[
    ParamSpec::new("weight", Dim::Weight, -1e6, 1e6, 20.0, "current at attention x strength 1 (the target's unit)"),
    ParamSpec::new("min_distance", Dim::Length, 0.0, 1e9, 0.0, "pairs closer than this never get an edge"),
    ParamSpec::new("sharpness", Dim::Dimensionless, 0.0, 1e3, 4.0, "scale of the correlation in the logits"),
    ParamSpec::new("reinforce", Dim::Dimensionless, 0.0, 1.0, 0.3, "strength gained when re-selected"),
    ParamSpec::new("decay", Dim::Dimensionless, 0.0, 1.0, 0.2, "strength lost at an update without selection"),
    ParamSpec::new("min_strength", Dim::Dimensionless, 0.0, 1.0, 0.05, "edges weaker than this are removed"),
    ParamSpec::new("gate_threshold", Dim::Dimensionless, -1e3, 1e3, 2.0, "logit at which the gate is half open"),
    ParamSpec::new("gate_gain", Dim::Dimensionless, 0.0, 1e3, 4.0, "steepness of the gate"),
];

tunable!(
    AttentionParams,
    "attention edges",
    ATTENTION_SCHEMA,
    [weight, min_distance, sharpness, reinforce, decay, min_strength, gate_threshold, gate_gain]
);

impl StructuralRule for AttentionEdges {
    fn schema(&self) -> &'static [ParamSpec] {
        AttentionParams::schema()
    }

    fn get(&self, name: &str) -> Option<f64> {
        Tunable::get(&self.params, name)
    }

    fn set(&mut self, name: &str, value: f64) -> Result<(), ParamError> {
        Tunable::set(&mut self.params, name, value)
    }

    fn name(&self) -> &'static str {
        "attention edges"
    }

    fn check_decoded(&self, net: &Network) -> Result<(), String> {
        let (p, n) = (&self.params, net.num_neurons());
        let in_range = (3..=1024).contains(&p.bins)
            && (1..=32).contains(&p.bits)
            && (1..=64).contains(&p.tables)
            && (1..=4096).contains(&p.bucket_cap)
            && (1..=4096).contains(&p.samples)
            && (1..=100_000).contains(&p.top_k)
            && p.interval_steps >= 1
            && p.bin_steps >= 1
            && [p.sharpness, p.reinforce, p.decay, p.min_strength, p.gate_threshold, p.gate_gain]
                .iter()
                .all(|x| x.is_finite())
            && p.weight.is_finite()
            && p.min_distance.is_finite()
            && p.populations.iter().all(|q| q.index() < net.populations.len());
        if !in_range {
            return Err("attention parameters out of range".into());
        }
        if self.member.len() != n || self.counts.len() != n * p.bins || self.bin >= p.bins {
            return Err("attention counts do not match the neurons".into());
        }
        let edge_ok = |e: &AttentionEdge| {
            (e.from as usize) < n
                && (e.to as usize) < n
                && e.id < self.next_id
                && e.attention.is_finite()
                && e.channel.is_finite()
                && e.strength > 0.0
                && e.strength <= 1.0
        };
        match self.edges.iter().all(edge_ok) && self.next_id < u32::MAX {
            true => Ok(()),
            false => Err("an attention edge is out of range".into()),
        }
    }

    fn due(&self, step: u64) -> bool {
        step > 0 && step.is_multiple_of(self.params.interval_steps)
    }

    /// Edges form, strengthen and decay; they are the rule's own (not CSR synapses), so the batch
    /// carries only their events.
    fn plan(&mut self, net: &Network, edits: &mut Edits) {
        self.update(&net.neurons.position, net.seed(), net.step_count(), &mut edits.events);
    }

    fn after_step(&mut self, a: &Activity) {
        self.record_spikes(a.spikes, a.grid);
    }

    fn transmit(&mut self, spikes: &[NeuronId], syn_ex: &mut [f64]) {
        self.deliver(spikes, syn_ex);
    }

    fn neurons_added(&mut self, population_of: &[PopulationId]) {
        self.resize(population_of);
    }
}
