//! The merge pass behind every structural edit: a new CSR from the old one less the dead slots,
//! with new synapses appended to their presynaptic rows. Blocks of rows are merged in parallel;
//! each block writes only its own ranges of the output, so the result never depends on the number
//! of threads.

use rayon::prelude::*;

use super::Synapses;
use crate::sim::blocks::split_at_offsets;
use crate::sim::edit::{NO_PROJECTION, NewSynapse};
use crate::sim::ids::NeuronId;

/// Presynaptic rows per parallel task.
const ROWS_PER_BLOCK: usize = 2048;

/// The merged table and where everything went.
pub(super) struct Merged {
    /// The new synapse table (its id column filled).
    pub synapses: Synapses,
    /// The new slot of each old slot (`u32::MAX` for the removed ones).
    pub old_to_new: Vec<u32>,
    /// The slot of each added synapse, in `add`'s order.
    pub added_slot: Vec<u32>,
}

/// Merges `old` (with an id column) less the slots marked in `dead`, plus `add` (appended to their
/// rows in `add`'s order, taking ids `first_id + k`), into a new table over `n` neurons.
pub(super) fn merge(old: &Synapses, dead: &[bool], add: &[NewSynapse], first_id: u32, n: usize) -> Merged {
    let with_delay = !old.delay.is_empty() || add.iter().any(|a| a.delay_steps > 0);
    let with_projection = !old.projection.is_empty() || add.iter().any(|a| a.projection != NO_PROJECTION);
    // The added synapses by presynaptic neuron (stable: a row's new synapses keep their order).
    let mut order: Vec<u32> = (0..add.len() as u32).collect();
    order.sort_by_key(|&k| add[k as usize].pre);
    let mut row_start = vec![0u64; n + 1];
    row_start[1..].par_iter_mut().with_min_len(ROWS_PER_BLOCK).enumerate().for_each(|(i, c)| {
        *c = old.row(NeuronId(i as u32)).filter(|&s| !dead[s]).count() as u64;
    });
    for a in add {
        row_start[a.pre.index() + 1] += 1;
    }
    for i in 1..=n {
        row_start[i] += row_start[i - 1];
    }
    let total = row_start[n] as usize;
    let mut new = Synapses {
        row_start,
        target: vec![0; total],
        weight: vec![0.0; total],
        delay: vec![0; if with_delay { total } else { 0 }],
        projection: vec![0; if with_projection { total } else { 0 }],
        id: vec![0; total],
    };
    let mut old_to_new = vec![u32::MAX; old.len()];
    // Block boundaries in rows, in new slots and in old slots.
    let blocks: Vec<usize> = (0..n.div_ceil(ROWS_PER_BLOCK)).map(|b| b * ROWS_PER_BLOCK).chain([n]).collect();
    let new_at: Vec<usize> = blocks.iter().map(|&r| new.row_start[r] as usize).collect();
    let old_at: Vec<usize> = blocks.iter().map(|&r| old.row_start[r] as usize).collect();
    let at_or_zero = |present: bool| if present { new_at.clone() } else { vec![0; new_at.len()] };
    let (delay_at, projection_at) = (at_or_zero(with_delay), at_or_zero(with_projection));
    let parts = split_at_offsets(&mut new.target, &new_at)
        .into_iter()
        .zip(split_at_offsets(&mut new.weight, &new_at))
        .zip(split_at_offsets(&mut new.delay, &delay_at))
        .zip(split_at_offsets(&mut new.projection, &projection_at))
        .zip(split_at_offsets(&mut new.id, &new_at))
        .zip(split_at_offsets(&mut old_to_new, &old_at))
        .enumerate()
        .map(|(b, (((((target, weight), delay), projection), id), o2n))| Block {
            rows: blocks[b]..blocks[b + 1],
            new_start: new_at[b],
            old_start: old_at[b],
            target,
            weight,
            delay,
            projection,
            id,
            old_to_new: o2n,
        })
        .collect::<Vec<_>>();
    let new_row_start = &new.row_start;
    let placed: Vec<Vec<(u32, u32)>> = parts
        .into_par_iter()
        .map(|mut block| {
            let first = order.partition_point(|&k| add[k as usize].pre.index() < block.rows.start);
            let last = order.partition_point(|&k| add[k as usize].pre.index() < block.rows.end);
            block.fill(old, dead, add, &order[first..last], first_id, new_row_start)
        })
        .collect();
    let mut added_slot = vec![0u32; add.len()];
    for (k, slot) in placed.into_iter().flatten() {
        added_slot[k as usize] = slot;
    }
    Merged { synapses: new, old_to_new, added_slot }
}

/// One block of rows and its own ranges of the output columns.
struct Block<'a> {
    rows: std::ops::Range<usize>,
    new_start: usize,
    old_start: usize,
    target: &'a mut [u32],
    weight: &'a mut [f32],
    delay: &'a mut [u16],
    projection: &'a mut [u16],
    id: &'a mut [u32],
    old_to_new: &'a mut [u32],
}

impl Block<'_> {
    /// Copies the block's surviving synapses and appends its added ones (`order`: indices into
    /// `add`, by row); returns (index into `add`, slot) for each added synapse.
    fn fill(
        &mut self,
        old: &Synapses,
        dead: &[bool],
        add: &[NewSynapse],
        order: &[u32],
        first_id: u32,
        row_start: &[u64],
    ) -> Vec<(u32, u32)> {
        let (with_delay, with_projection) = (!self.delay.is_empty(), !self.projection.is_empty());
        let mut placed = Vec::with_capacity(order.len());
        let mut k = 0;
        for i in self.rows.clone() {
            let mut at = row_start[i] as usize - self.new_start;
            for s in old.row(NeuronId(i as u32)).filter(|&s| !dead[s]) {
                self.old_to_new[s - self.old_start] = (at + self.new_start) as u32;
                self.target[at] = old.target[s];
                self.weight[at] = old.weight[s];
                if with_delay {
                    self.delay[at] = old.delay_steps(s);
                }
                if with_projection {
                    self.projection[at] = old.projection.get(s).copied().unwrap_or(NO_PROJECTION);
                }
                self.id[at] = old.id[s];
                at += 1;
            }
            while k < order.len() && add[order[k] as usize].pre.index() == i {
                let a = &add[order[k] as usize];
                self.target[at] = (a.post.0 << 1) | a.receptor.index();
                self.weight[at] = a.weight;
                if with_delay {
                    self.delay[at] = a.delay_steps;
                }
                if with_projection {
                    self.projection[at] = a.projection;
                }
                self.id[at] = first_id + order[k];
                placed.push((order[k], (at + self.new_start) as u32));
                at += 1;
                k += 1;
            }
        }
        placed
    }
}
