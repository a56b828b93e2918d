//! The numerical building blocks of the forward pass: dense layers, dot products, layer norm,
//! 3×3 convolutions, and reading a route from logits.

use super::maze::N_CLASSES;

/// A LayerNorm's affine parameters (weight, bias).
pub(super) type NormAffine = (Vec<f32>, Vec<f32>);

/// A 3×3, stride-1, zero-padded convolution with bias (weights `[out][in][3][3]`).
#[derive(Clone, Debug)]
pub(super) struct Conv {
    pub(super) w: Vec<f32>,
    pub(super) b: Vec<f32>,
    pub(super) cin: usize,
    pub(super) cout: usize,
}

/// `out = W x + b` for a row-major `W` (out × in).
#[inline]
pub(super) fn linear(w: &[f32], b: &[f32], x: &[f32], out: &mut [f32]) {
    let n = x.len();
    for (o, (row, bias)) in out.iter_mut().zip(w.chunks_exact(n).zip(b)) {
        *o = bias + dot(row, x);
    }
}

#[inline]
pub(super) fn dot(a: &[f32], b: &[f32]) -> f32 {
    // Eight partial sums: vectorises and keeps rounding close to a pairwise sum.
    let mut acc = [0.0f32; 8];
    let (ca, cb) = (a.chunks_exact(8), b.chunks_exact(8));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for i in 0..8 {
            acc[i] += x[i] * y[i];
        }
    }
    let mut s = (acc[0] + acc[4]) + (acc[1] + acc[5]) + (acc[2] + acc[6]) + (acc[3] + acc[7]);
    for (x, y) in ra.iter().zip(rb) {
        s += x * y;
    }
    s
}

#[inline]
pub(super) fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + (-x).exp())
}

pub(super) fn layer_norm(x: &mut [f32], w: &[f32], b: &[f32], eps: f32) {
    let n = x.len() as f64;
    let mean = x.iter().map(|&v| v as f64).sum::<f64>() / n;
    let var = x.iter().map(|&v| (v as f64 - mean).powi(2)).sum::<f64>() / n;
    let inv = 1.0 / (var + eps as f64).sqrt();
    for ((v, w), b) in x.iter_mut().zip(w).zip(b) {
        *v = ((*v as f64 - mean) * inv) as f32 * w + b;
    }
}

/// `x`, or LayerNorm(x) written into `scratch` when `ln` is set.
pub(super) fn normed<'a>(ln: &Option<NormAffine>, x: &'a [f32], scratch: &'a mut [f32], eps: f32) -> &'a [f32] {
    match ln {
        None => x,
        Some((w, b)) => {
            let s = &mut scratch[..x.len()];
            s.copy_from_slice(x);
            layer_norm(s, w, b, eps);
            s
        }
    }
}

pub(super) fn argmax_route(logits: &[f32], out: &mut [u8]) {
    for (o, y) in out.iter_mut().zip(logits.chunks_exact(N_CLASSES)) {
        let mut best = 0;
        for cls in 1..N_CLASSES {
            if y[cls] > y[best] {
                best = cls;
            }
        }
        *o = best as u8;
    }
}

/// Gathers the zero-padded 3×3 neighbourhood of (y, x) over all input channels, `[ci][ky][kx]`.
#[inline]
pub(super) fn gather_patch(input: &[f32], cin: usize, p: usize, y: usize, x: usize, patch: &mut [f32]) {
    for ci in 0..cin {
        let plane = &input[ci * p * p..(ci + 1) * p * p];
        for ky in 0..3 {
            for kx in 0..3 {
                let (yy, xx) = (y + ky, x + kx); // one more than the source pixel (padding)
                patch[ci * 9 + ky * 3 + kx] =
                    if yy >= 1 && xx >= 1 && yy - 1 < p && xx - 1 < p { plane[(yy - 1) * p + xx - 1] } else { 0.0 };
            }
        }
    }
}

/// ReLU(conv) at one pixel, every output channel: `out[co]`.
#[inline]
pub(super) fn conv_at(conv: &Conv, patch: &[f32], mut write: impl FnMut(usize, f32)) {
    let n = conv.cin * 9;
    for co in 0..conv.cout {
        write(co, (conv.b[co] + dot(&conv.w[co * n..(co + 1) * n], patch)).max(0.0));
    }
}

pub(super) fn conv_full(conv: &Conv, p: usize, input: &[f32], out: &mut [f32], patch: &mut [f32]) {
    let plane = p * p;
    let patch = &mut patch[..conv.cin * 9];
    for y in 0..p {
        for x in 0..p {
            gather_patch(input, conv.cin, p, y, x, patch);
            conv_at(conv, patch, |co, v| out[co * plane + y * p + x] = v);
        }
    }
}
