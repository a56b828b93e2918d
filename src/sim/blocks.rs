//! Disjoint mutable pieces of a column, one per parallel block, so blocks write their own ranges
//! without locks and the result never depends on the thread count.

/// Cuts `v` at the offsets `at` (ascending, `at[0]` = 0, the last one `v.len()`): one piece per
/// pair of neighbouring offsets.
pub(crate) fn split_at_offsets<'a, T>(mut v: &'a mut [T], at: &[usize]) -> Vec<&'a mut [T]> {
    let mut pieces = Vec::with_capacity(at.len().saturating_sub(1));
    for w in at.windows(2) {
        let (head, tail) = std::mem::take(&mut v).split_at_mut(w[1] - w[0]);
        pieces.push(head);
        v = tail;
    }
    pieces
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pieces_follow_the_offsets() {
        let mut v = [0, 1, 2, 3, 4, 5];
        let pieces = split_at_offsets(&mut v, &[0, 2, 2, 6]);
        assert_eq!(pieces.iter().map(|p| p.to_vec()).collect::<Vec<_>>(), vec![vec![0, 1], vec![], vec![2, 3, 4, 5]]);
    }
}
