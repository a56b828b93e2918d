//! `neuroplast bench memory`: the associative memories' cost — one asynchronous sweep of a
//! classical Hopfield network of 10,000 units storing 1,000 patterns, and one dense retrieval over
//! 10,000 stored patterns of dimension 1,000.

use std::time::Instant;

use anyhow::Result;

use neuroplast::memory::hopfield::{Scratch, random_patterns, with_flips};
use neuroplast::memory::{DenseHopfield, Hopfield};
use neuroplast::say;

/// Median and largest of `v` (ms).
fn median_max(v: &mut [f64]) -> (f64, f64) {
    v.sort_by(f64::total_cmp);
    (v[v.len() / 2], v[v.len() - 1])
}

/// Times both memories and prints one line each.
pub fn bench_memory() -> Result<()> {
    let (n, p) = (10_000, 1_000);
    let t = Instant::now();
    let pats = random_patterns(n, p, 1, 1 << 44);
    let net = Hopfield::new(n, &pats).map_err(anyhow::Error::msg)?;
    say!("classical: {n} units, {p} patterns (α = {:.2}), made in {:.2} s", net.load(), t.elapsed().as_secs_f64());
    let mut scratch = Scratch::default();
    let mut sweeps = Vec::new();
    for (k, pattern) in pats.iter().enumerate().take(7) {
        let mut s = with_flips(pattern, n / 10, k as u64);
        let t = Instant::now();
        let r = net.recall(&mut s, 1, k as u64, &mut scratch, |_| {});
        sweeps.push(t.elapsed().as_secs_f64() * 1e3);
        if k == 0 {
            say!("  first sweep from a cue with 10 % flipped: {} flips, overlap {:.3}", r.flips, net.overlap(k, &s));
        }
    }
    let (med, max) = median_max(&mut sweeps);
    say!("  one asynchronous sweep: median {med:.1} ms, max {max:.1} ms (7 sweeps)");
    let (d, m) = (1_000, 10_000);
    let t = Instant::now();
    let raw = random_patterns(d, m, 2, 1 << 45);
    let as_f32 = |p: &[i8]| -> Vec<f32> { p.iter().map(|&v| f32::from(v)).collect() };
    let stored: Vec<Vec<f32>> = raw.iter().map(|p| as_f32(p)).collect();
    let mem = DenseHopfield::new(d, &stored).map_err(anyhow::Error::msg)?;
    say!(
        "dense: {m} patterns of dimension {d}, made in {:.2} s; {} threads",
        t.elapsed().as_secs_f64(),
        rayon::current_num_threads()
    );
    let (mut out, mut w) = (Vec::new(), Vec::new());
    let mut queries = Vec::new();
    let mut recalled = 0;
    for k in 0..50 {
        // A stored pattern with 10 % of its values flipped.
        let target = &raw[k * 197 % m];
        let cue = as_f32(&with_flips(target, d / 10, k as u64));
        let t = Instant::now();
        mem.update(1.0 / (d as f64).sqrt(), &cue, &mut out, &mut w).map_err(anyhow::Error::msg)?;
        queries.push(t.elapsed().as_secs_f64() * 1e3);
        recalled += usize::from(out.iter().zip(target).all(|(&o, &x)| o.signum() == f32::from(x)));
    }
    let (med, max) = median_max(&mut queries);
    say!(
        "  one retrieval (β = 1/√d) from 10 % flipped: median {med:.2} ms, max {max:.2} ms (50 queries, {recalled} recalled every value)"
    );
    Ok(())
}
