//! Long-range attention edges: neurons that are far apart but fire together find each other.
//!
//! Each neuron's embedding is its recent activity: spike counts in `bins` consecutive bins, centred
//! and normalised, so the dot product of two embeddings is the correlation of their recent spike
//! trains. Every `interval_steps` one attention head in the EGT form (ALGORITHMS.md §12, with
//! W_Q = W_K = I and no layer norm: nothing here is trained) scores pairs farther apart than
//! `min_distance`: Ĥ_ij = clip(sharpness · q_i·k_j, −5, 5) + e_ij, where the edge channel e_ij is
//! the running Ĥ of an existing edge, and A_ij = softmax_j(Ĥ_ij). The `top_k` pairs of largest A
//! become edges j → i that carry current `weight · strength · A_ij` when j fires; an edge that is
//! selected again strengthens, one that is not decays and is removed below `min_strength`.
//!
//! Sub-quadratic: no N × N matrix is formed. Candidate pairs come from a locality-sensitive index
//! (SimHash: `tables` tables of `bits` random hyperplanes; correlated embeddings share a bucket with
//! high probability, uncorrelated ones rarely), at most `bucket_cap` neighbours per bucket and
//! table, so the cost per update is O(N · tables · (bits · bins + bucket_cap · bins) + N log N).
//! The softmax denominator adds the pairs outside the candidate set as a Monte-Carlo estimate from
//! `samples` random partners (keyed by the counter-based RNG), so A keeps its meaning without the
//! full row.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::sim::report::StructuralEvent;
use crate::sim::rng::{CounterRng, stream};
use crate::sim::{NeuronId, PopulationId};

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
    /// Edge channel: the running logit Ĥ of the pair.
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

    /// Whether an update is due at `step`.
    pub fn due(&self, step: u64) -> bool {
        step > 0 && step.is_multiple_of(self.params.interval_steps)
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
    pub fn after_step(&mut self, spikes: &[NeuronId], grid: u64) {
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
        let logit = |a: usize, b: usize| {
            let channel = existing.get(&(ids[a], ids[b])).map_or(0.0, |&k| self.edges[k].channel);
            (p.sharpness * dot(a, b)).clamp(-5.0, 5.0) + channel
        };
        // 2. Candidates: pairs sharing a SimHash bucket in some table, at most `bucket_cap`
        //    neighbours apart in the bucket's sorted order.
        let mut pairs: Vec<(u32, u32)> = Vec::new();
        let mut sig: Vec<(u64, u32)> = Vec::with_capacity(m);
        for t in 0..p.tables {
            let planes: Vec<f64> = (0..p.bits * d)
                .map(|c| CounterRng::new(seed, t as u64, c as u64, stream::ATTENTION).normal())
                .collect();
            sig.clear();
            for a in 0..m {
                let mut s = 0u64;
                for b in 0..p.bits {
                    let h: f64 = planes[b * d..(b + 1) * d].iter().zip(x(a)).map(|(u, v)| u * v).sum();
                    s |= u64::from(h > 0.0) << b;
                }
                sig.push((s, a as u32));
            }
            sig.sort_unstable();
            for (k, &(s, a)) in sig.iter().enumerate() {
                for &(s2, b) in sig[k + 1..].iter().take(p.bucket_cap).take_while(|e| e.0 == s) {
                    debug_assert_eq!(s, s2);
                    if far(a as usize, b as usize) {
                        pairs.push((a, b));
                        pairs.push((b, a));
                    }
                }
            }
        }
        // Existing edges stay candidates, so they can be re-selected.
        let slot_of: HashMap<u32, u32> = ids.iter().enumerate().map(|(a, &i)| (i, a as u32)).collect();
        for e in &self.edges {
            if let (Some(&a), Some(&b)) = (slot_of.get(&e.to), slot_of.get(&e.from)) {
                pairs.push((a, b));
            }
        }
        pairs.sort_unstable();
        pairs.dedup();
        // 3. Attention per query row: softmax over the candidates plus a sampled estimate of the
        //    rest of the row.
        let mut scored: Vec<(f64, f64, u32, u32)> = Vec::with_capacity(pairs.len());
        let mut k = 0;
        while k < pairs.len() {
            let a = pairs[k].0 as usize;
            let end = k + pairs[k..].iter().take_while(|q| q.0 as usize == a).count();
            let logits: Vec<f64> = pairs[k..end].iter().map(|q| logit(a, q.1 as usize)).collect();
            let mut rng = CounterRng::new(seed, step, ids[a] as u64, stream::ATTENTION + 1);
            let mut rest = 0.0;
            if m > 1 && p.samples > 0 {
                for _ in 0..p.samples {
                    let b = rng.below(m as u64) as usize;
                    rest += (p.sharpness * dot(a, b)).clamp(-5.0, 5.0).exp();
                }
                rest *= (m - 1).saturating_sub(end - k) as f64 / p.samples as f64;
            }
            let z: f64 = logits.iter().map(|h| h.exp()).sum::<f64>() + rest;
            for (q, h) in pairs[k..end].iter().zip(&logits) {
                scored.push((h.exp() / z, *h, ids[a], ids[q.1 as usize]));
            }
            k = end;
        }
        // 4. The top-k pairs by attention (ties by ids) are selected.
        scored.sort_by(|u, v| v.0.total_cmp(&u.0).then((u.2, u.3).cmp(&(v.2, v.3))));
        scored.truncate(p.top_k);
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
