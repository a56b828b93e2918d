//! The id → CSR slot index of live synapses: ids sorted ascending beside their slots, so memory
//! follows the synapses alive now (8 bytes each), not every id ever handed out.
//!
//! Ids are handed out in increasing order and never reused, so a structural round keeps the index
//! sorted by dropping the removed ids, renumbering the survivors' slots and appending the new ids
//! at the end: one linear pass, no sort. Lookups are a binary search.

/// Sorted live synapse ids and their CSR slots.
#[derive(Clone, Debug, Default, PartialEq)]
pub(super) struct SynapseIndex {
    /// Live ids, ascending.
    ids: Vec<u32>,
    /// `slots[k]` is the CSR slot of `ids[k]`.
    slots: Vec<u32>,
}

impl SynapseIndex {
    /// Builds the index of an id column (`ids[slot]` is the id in that slot); `Err(id)` names an
    /// id used twice.
    pub(super) fn build(id_column: &[u32]) -> Result<Self, u32> {
        let mut pairs: Vec<(u32, u32)> = id_column.iter().enumerate().map(|(slot, &id)| (id, slot as u32)).collect();
        pairs.sort_unstable();
        if let Some(w) = pairs.windows(2).find(|w| w[0].0 == w[1].0) {
            return Err(w[0].0);
        }
        Ok(Self { ids: pairs.iter().map(|p| p.0).collect(), slots: pairs.iter().map(|p| p.1).collect() })
    }

    /// The index of a column whose ids equal their slots (`0..len`).
    pub(super) fn identity(len: usize) -> Self {
        Self { ids: (0..len as u32).collect(), slots: (0..len as u32).collect() }
    }

    /// How many live ids it holds.
    pub(super) fn len(&self) -> usize {
        self.ids.len()
    }

    /// The slot of `id`, if that synapse is alive.
    pub(super) fn get(&self, id: u32) -> Option<usize> {
        self.ids.binary_search(&id).ok().map(|k| self.slots[k] as usize)
    }

    /// Applies a structural round: each survivor's slot `s` becomes `old_to_new[s]` (`u32::MAX`
    /// drops it), then `added` (ids above every id held, ascending, with their slots) is appended.
    pub(super) fn renumber(&mut self, old_to_new: &[u32], added: impl IntoIterator<Item = (u32, u32)>) {
        let mut kept = 0;
        for k in 0..self.ids.len() {
            let slot = old_to_new[self.slots[k] as usize];
            if slot != u32::MAX {
                self.ids[kept] = self.ids[k];
                self.slots[kept] = slot;
                kept += 1;
            }
        }
        self.ids.truncate(kept);
        self.slots.truncate(kept);
        for (id, slot) in added {
            debug_assert!(self.ids.last().is_none_or(|&last| id > last), "ids must be appended in increasing order");
            self.ids.push(id);
            self.slots.push(slot);
        }
    }

    /// Heap bytes held (capacity, not length).
    #[cfg(test)]
    fn heap_bytes(&self) -> usize {
        (self.ids.capacity() + self.slots.capacity()) * size_of::<u32>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn build_sorts_by_id_and_refuses_duplicates() {
        let index = SynapseIndex::build(&[7, 2, 9, 4]).unwrap();
        assert_eq!(index.get(7), Some(0));
        assert_eq!(index.get(2), Some(1));
        assert_eq!(index.get(9), Some(2));
        assert_eq!(index.get(4), Some(3));
        assert_eq!(index.get(3), None);
        assert_eq!(SynapseIndex::build(&[1, 5, 1]), Err(1));
    }

    #[test]
    fn renumber_drops_removed_moves_survivors_and_appends_new() {
        // Column [10, 11, 12, 13]; slot 1 (id 11) removed, the others shift, ids 14 and 15 join.
        let mut index = SynapseIndex::build(&[10, 11, 12, 13]).unwrap();
        index.renumber(&[0, u32::MAX, 2, 1], [(14, 3), (15, 4)]);
        assert_eq!(index.get(11), None);
        assert_eq!(index.get(10), Some(0));
        assert_eq!(index.get(13), Some(1));
        assert_eq!(index.get(12), Some(2));
        assert_eq!(index.get(14), Some(3));
        assert_eq!(index.get(15), Some(4));
        assert_eq!(index, SynapseIndex::build(&[10, 13, 12, 14, 15]).unwrap());
    }

    #[test]
    fn memory_follows_live_ids_not_ids_ever_formed() {
        // 100 live synapses, the oldest replaced 100,000 times: 100,100 ids handed out, 100 held.
        let mut index = SynapseIndex::identity(100);
        let mut next = 100u32;
        let mut keep_all_but_first = vec![u32::MAX; 100];
        for (s, t) in keep_all_but_first.iter_mut().enumerate().skip(1) {
            *t = s as u32 - 1;
        }
        for _ in 0..100_000 {
            index.renumber(&keep_all_but_first, [(next, 99)]);
            next += 1;
        }
        assert_eq!(index.len(), 100);
        assert_eq!(index.get(next - 100), Some(0));
        assert_eq!(index.get(next - 101), None);
        assert!(index.heap_bytes() <= 2 * 8 * 100, "{} bytes for 100 live ids", index.heap_bytes());
    }
}
