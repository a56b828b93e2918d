//! Placing synapses read in file order into their CSR rows: gathered in batches, grouped by
//! block of presynaptic neurons with one stable counting pass, then written block by block in two
//! parallel halves, so the writes stay in cache instead of jumping across the table.

use crate::sim::Synapses;

/// A synapse read and checked, waiting for its row.
#[derive(Clone, Copy, Default)]
pub(super) struct Pending {
    /// Presynaptic neuron.
    pub pre: u32,
    /// Postsynaptic neuron and receptor, as the table holds them.
    pub target: u32,
    /// Weight (pA or nS).
    pub weight: f32,
    /// Delay (steps).
    pub delay: u16,
}

/// Synapses gathered from windows, then placed in their rows together.
#[derive(Default)]
pub(super) struct Batch {
    /// The synapses gathered.
    pub items: Vec<Pending>,
    scratch: Vec<Pending>,
}

impl Batch {
    /// Puts each synapse at its row's next free slot, visiting them by block of presynaptic
    /// neurons (a stable counting pass, so a row keeps the file's order): the writes then stay in
    /// a block's part of the table instead of jumping across it, which is what reading edges
    /// sorted by target (as BMTK writes them) otherwise costs. The two halves of the neurons are
    /// placed in parallel.
    pub(super) fn place(&mut self, fill: &mut [u64], syn: &mut Synapses, row_start: &[u64]) {
        let n = fill.len();
        let bits = usize::BITS - n.max(2).saturating_sub(1).leading_zeros();
        radix_sort(&mut self.items, &mut self.scratch, bits);
        // The halves meet at a block boundary, where the grouped items divide.
        let mid = (512usize << bits.saturating_sub(10)).min(n);
        let split = self.items.partition_point(|p| (p.pre as usize) < mid);
        let at = row_start[mid] as usize;
        let (fill_lo, fill_hi) = fill.split_at_mut(mid);
        let (t_lo, t_hi) = syn.target.split_at_mut(at);
        let (w_lo, w_hi) = syn.weight.split_at_mut(at);
        let (d_lo, d_hi) = syn.delay.split_at_mut(at);
        let (lo, hi) = self.items.split_at(split);
        rayon::join(
            || place_part(lo, (fill_lo, 0), (t_lo, w_lo, d_lo, 0)),
            || place_part(hi, (fill_hi, mid), (t_hi, w_hi, d_hi, at)),
        );
        self.items.clear();
    }
}

/// Places `items` of neurons from `first` on (their cursors `fill`) into table slices that start
/// at slot `base`.
fn place_part(
    items: &[Pending],
    (fill, first): (&mut [u64], usize),
    (target, weight, delay, base): (&mut [u32], &mut [f32], &mut [u16], usize),
) {
    for p in items {
        let pre = p.pre as usize - first;
        let slot = fill[pre] as usize - base;
        fill[pre] += 1;
        target[slot] = p.target;
        weight[slot] = p.weight;
        delay[slot] = p.delay;
    }
}

/// Groups `items` by blocks of neurons, keeping their order within a block: one stable counting
/// pass on the top 10 of the `bits` a neuron id needs (1,024 blocks, each a few hundred kilobytes
/// of the table, so its writes stay in cache). A row keeps the file's order.
fn radix_sort(items: &mut Vec<Pending>, scratch: &mut Vec<Pending>, bits: u32) {
    let shift = bits.saturating_sub(10);
    scratch.resize(items.len(), Pending::default());
    let mut counts = vec![0usize; 1 << 10];
    for p in items.iter() {
        counts[(p.pre >> shift) as usize & 1023] += 1;
    }
    let mut sum = 0;
    for c in counts.iter_mut() {
        (*c, sum) = (sum, sum + *c);
    }
    for p in items.iter() {
        let d = (p.pre >> shift) as usize & 1023;
        scratch[counts[d]] = *p;
        counts[d] += 1;
    }
    std::mem::swap(items, scratch);
}

#[cfg(test)]
mod tests {
    use super::{Pending, radix_sort};

    #[test]
    fn the_blocks_follow_each_other_and_a_row_keeps_its_file_order() {
        for n in [1u32, 7, 1000, 70_001, 3_000_000] {
            let mut items: Vec<Pending> = (0..5000u32)
                .map(|i| Pending { pre: (i.wrapping_mul(2_654_435_761) >> 7) % n, target: i, weight: 0.0, delay: 0 })
                .collect();
            let bits = u32::BITS - (n.max(2) - 1).leading_zeros();
            radix_sort(&mut items, &mut Vec::new(), bits);
            let block = |p: &Pending| p.pre >> bits.saturating_sub(10);
            for w in items.windows(2) {
                assert!(block(&w[0]) <= block(&w[1]), "n {n}: blocks out of order");
            }
            for (i, a) in items.iter().enumerate() {
                assert!(items[i + 1..].iter().all(|b| b.pre != a.pre || b.target > a.target), "n {n}: a row reordered");
            }
        }
    }
}
