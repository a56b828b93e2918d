//! Edge-augmented graph-transformer attention (EGT, Hussain et al. 2022), one head, without the
//! projections and layer norms: Ĥ = clip(QKᵀ/√d_k, −5, 5) + E, A = softmax_j(Ĥ) ⊙ σ(G), out = A V.
//! The app's long-range attention edges score neuron pairs with this.

/// The result of one head: the logits Ĥ, the gated attention A, and A V.
#[derive(Clone, Debug, PartialEq)]
pub struct Attention {
    /// Pre-softmax logits with the edge bias (also the edge-channel update).
    pub logits: Vec<Vec<f64>>,
    /// Gated attention weights.
    pub weights: Vec<Vec<f64>>,
    /// Attention output, one row per node.
    pub output: Vec<Vec<f64>>,
}

/// One attention head over N nodes. `mask[i][j]` false removes the pair (A = 0 exactly).
pub fn egt_head(
    q: &[Vec<f64>],
    k: &[Vec<f64>],
    v: &[Vec<f64>],
    e: &[Vec<f64>],
    g: &[Vec<f64>],
    mask: Option<&[Vec<bool>]>,
) -> Attention {
    let n = q.len();
    let dk = q.first().map_or(1, Vec::len) as f64;
    let allowed = |i: usize, j: usize| mask.is_none_or(|m| m[i][j]);
    let logits: Vec<Vec<f64>> = (0..n)
        .map(|i| {
            (0..n)
                .map(|j| {
                    let dot: f64 = q[i].iter().zip(&k[j]).map(|(a, b)| a * b).sum();
                    (dot / dk.sqrt()).clamp(-5.0, 5.0) + e[i][j]
                })
                .collect()
        })
        .collect();
    let weights: Vec<Vec<f64>> = (0..n)
        .map(|i| {
            let m = (0..n).filter(|&j| allowed(i, j)).map(|j| logits[i][j]).fold(f64::NEG_INFINITY, f64::max);
            let ex: Vec<f64> = (0..n).map(|j| if allowed(i, j) { (logits[i][j] - m).exp() } else { 0.0 }).collect();
            let z: f64 = ex.iter().sum();
            (0..n).map(|j| if allowed(i, j) { ex[j] / z / (1.0 + (-g[i][j]).exp()) } else { 0.0 }).collect()
        })
        .collect();
    let dv = v.first().map_or(0, Vec::len);
    let output =
        weights.iter().map(|row| (0..dv).map(|c| row.iter().zip(v).map(|(a, vj)| a * vj[c]).sum()).collect()).collect();
    Attention { logits, weights, output }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: &[Vec<f64>], b: &[[f64; 3]]) -> bool {
        a.iter().zip(b).all(|(r, s)| r.iter().zip(s).all(|(x, y)| (x - y).abs() < 1e-6))
    }

    #[test]
    #[expect(clippy::approx_constant, reason = "ALGORITHMS.md's reference values, rounded to 6 digits")]
    fn worked_example() {
        let q = vec![vec![1.0, 0.0], vec![0.0, 1.0], vec![1.0, 1.0]];
        let v = vec![vec![1.0, 0.0], vec![0.0, 1.0], vec![0.5, 0.5]];
        let e = vec![vec![0.0, 1.0, 0.0], vec![0.0, 0.0, 0.0], vec![0.0, -1.0, 0.0]];
        let g = vec![vec![2.0, 0.0, -2.0], vec![0.0, 0.0, 0.0], vec![1.0, 1.0, 1.0]];
        let a = egt_head(&q, &q, &v, &e, &g, None);
        assert!(close(
            &a.logits,
            &[[0.707107, 1.0, 0.707107], [0.0, 0.707107, 0.707107], [0.707107, -0.292893, 1.414214]]
        ));
        assert!(close(
            &a.weights,
            &[[0.263688, 0.200626, 0.035686], [0.098888, 0.200556, 0.200556], [0.215271, 0.079194, 0.436594]]
        ));
        let out: Vec<[f64; 3]> = a.output.iter().map(|r| [r[0], r[1], 0.0]).collect();
        let want = [[0.281531, 0.218469, 0.0], [0.199166, 0.300834, 0.0], [0.433568, 0.297491, 0.0]];
        assert!(out.iter().zip(&want).all(|(r, s)| r.iter().zip(s).all(|(x, y)| (x - y).abs() < 1e-6)), "{out:?}");
    }

    #[test]
    fn limits_masks_and_row_sums() {
        let q = vec![vec![0.3, -0.2], vec![1.0, 0.5], vec![-0.7, 0.1]];
        let zeros = vec![vec![0.0; 3]; 3];
        let open = vec![vec![50.0; 3]; 3]; // σ(50) = 1 to double precision
        let plain = egt_head(&q, &q, &q, &zeros, &open, None);
        for row in &plain.weights {
            assert!((row.iter().sum::<f64>() - 1.0).abs() < 1e-12, "softmax rows sum to 1");
        }
        let mask = vec![vec![true, false, true], vec![true, true, true], vec![false, true, true]];
        let masked = egt_head(&q, &q, &q, &zeros, &zeros, Some(&mask));
        assert_eq!((masked.weights[0][1], masked.weights[2][0]), (0.0, 0.0));
        for row in &masked.weights {
            assert!(row.iter().sum::<f64>() <= 1.0 + 1e-12, "gated rows sum to <= 1");
        }
    }
}
