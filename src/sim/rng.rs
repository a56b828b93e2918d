//! Counter-based randomness: every draw is a pure function of (seed, step, id, stream, k).
//!
//! There is no generator state to carry, share between threads or save: a snapshot only needs the
//! seed and the step counter, and any thread may draw for any neuron in any order with the same
//! result. The mixer is SplitMix64's finaliser, applied to each word of the key in turn.

/// Streams keep independent uses of randomness apart (layouts, connectivity, inputs, ...).
pub mod stream {
    /// Initial state distributions (membrane potential, currents).
    pub const INIT: u64 = 1;
    /// Neuron positions from a population layout.
    pub const LAYOUT: u64 = 2;
    /// Connectivity: which synapses exist (the projection index is added to this).
    pub const CONNECT: u64 = 1 << 20;
    /// Synaptic weights drawn from a distribution (the projection index is added).
    pub const WEIGHT: u64 = 2 << 20;
    /// Synaptic delays drawn from a distribution (the projection index is added).
    pub const DELAY: u64 = 3 << 20;
    /// Poisson source neurons (per step, per neuron).
    pub const POISSON_SOURCE: u64 = 4 << 20;
    /// Aggregated Poisson inputs (the input index is added).
    pub const POISSON_INPUT: u64 = 5 << 20;
    /// Structural plasticity (MSP): deletions and pairings, plus the synapse model's index.
    pub const MSP: u64 = 6 << 20;
    /// Attention edges: hash-table hyperplanes and softmax samples.
    pub const ATTENTION: u64 = 7 << 20;
    /// Neurogenesis: a child's direction from its parent and its inherited weights.
    pub const NEUROGENESIS: u64 = 8 << 20;
    /// The continual-learning experiment: initial weights of the digit classifier.
    pub const DIGITS_INIT: u64 = 31;
    /// The continual-learning experiment: the order training samples are shown in.
    pub const DIGITS_ORDER: u64 = 32;
    /// HLOP: fresh random rows orthogonal to the subspace already learned.
    pub const HLOP_ROWS: u64 = 33;
    /// Maze generation for the CTM.
    pub const MAZE: u64 = 0xC7A0_0000;
    /// The order a Hopfield network's units are updated in, sweep by sweep.
    pub const HOPFIELD_ORDER: u64 = 34;
    /// Unit tests' own draws (a test's index is added), apart from every stream above.
    pub const TEST: u64 = 1 << 40;
}

/// Fisher–Yates shuffle of `items`, the swap partner of position `i` drawn from the key
/// (`seed`, `round`, `i`, `stream`): the order is a pure function of the key.
pub fn shuffle<T>(items: &mut [T], seed: u64, round: u64, stream: u64) {
    for i in (1..items.len()).rev() {
        let j = CounterRng::new(seed, round, i as u64, stream).below(i as u64 + 1) as usize;
        items.swap(i, j);
    }
}

/// SplitMix64's output function: a bijective, well-avalanching 64-bit mixer.
#[inline(always)]
pub fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

const GOLDEN: u64 = 0x9e37_79b9_7f4a_7c15;

/// A short-lived generator for the draws keyed by (seed, step, id, stream); the `k`-th draw is
/// `mix64(key + k·φ)`, so the sequence is a pure function of the key and the draw's position.
#[derive(Clone, Copy, Debug)]
pub struct CounterRng {
    key: u64,
    counter: u64,
}

impl CounterRng {
    /// The generator for one (seed, step, id, stream) key.
    #[inline(always)]
    pub fn new(seed: u64, step: u64, id: u64, stream: u64) -> Self {
        let mut key = mix64(seed ^ GOLDEN);
        key = mix64(key ^ step.wrapping_mul(GOLDEN));
        key = mix64(key ^ id.wrapping_add(0x632b_e59b_d9b4_e019));
        key = mix64(key ^ stream.wrapping_mul(0xd6e8_feb8_6659_fd93));
        Self { key, counter: 0 }
    }

    /// A key for (seed, step, stream), from which [`CounterRng::uniform_at`] draws one number per
    /// id with a single mix: the fast path for per-neuron, per-step draws.
    #[inline(always)]
    pub fn step_key(seed: u64, step: u64, stream: u64) -> u64 {
        Self::new(seed, step, 0, stream).key
    }

    /// One uniform draw in [0, 1) for `id` under a [`CounterRng::step_key`] (SplitMix64 with the
    /// key as its seed, at position `id`).
    #[inline(always)]
    pub fn uniform_at(key: u64, id: u64) -> f64 {
        (mix64(key.wrapping_add(id.wrapping_add(1).wrapping_mul(GOLDEN))) >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// The next 64 random bits.
    #[inline(always)]
    pub fn next_u64(&mut self) -> u64 {
        self.counter += 1;
        mix64(self.key.wrapping_add(self.counter.wrapping_mul(GOLDEN)))
    }

    /// A uniform draw in [0, 1) with 53 random bits.
    #[inline(always)]
    pub fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// A uniform draw in (0, 1], safe to take the logarithm of.
    #[inline(always)]
    pub fn uniform_open0(&mut self) -> f64 {
        ((self.next_u64() >> 11) + 1) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// A standard normal draw (Box–Muller, one of the pair).
    pub fn normal(&mut self) -> f64 {
        let u1 = self.uniform_open0();
        let u2 = self.uniform();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }

    /// A uniform integer in [0, n) (Lemire's multiply-shift; the bias is below 2^-32 for n < 2^32).
    #[inline(always)]
    pub fn below(&mut self, n: u64) -> u64 {
        ((self.next_u64() as u128 * n as u128) >> 64) as u64
    }

    /// A Poisson draw with mean `lambda` (inversion for small means, a rounded normal above 200).
    pub fn poisson(&mut self, lambda: f64) -> u32 {
        if lambda <= 0.0 {
            return 0;
        }
        if lambda > 200.0 {
            let x = lambda + lambda.sqrt() * self.normal();
            return x.round().max(0.0) as u32;
        }
        let mut p = (-lambda).exp();
        let mut cdf = p;
        let u = self.uniform();
        let mut k = 0u32;
        while u > cdf {
            k += 1;
            p *= lambda / k as f64;
            cdf += p;
            if p == 0.0 {
                break;
            }
        }
        k
    }

    /// The number of failures before the first success of a Bernoulli(p) sequence, for skipping
    /// through sparse random connectivity in O(synapses) instead of O(candidates).
    #[inline]
    pub fn geometric_skip(&mut self, ln_one_minus_p: f64) -> u64 {
        let u = self.uniform_open0();
        let k = (u.ln() / ln_one_minus_p).floor();
        if k >= u64::MAX as f64 { u64::MAX } else { k as u64 }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_are_pure_functions_of_the_key() {
        let a: Vec<u64> = {
            let mut r = CounterRng::new(7, 100, 3, stream::INIT);
            (0..4).map(|_| r.next_u64()).collect()
        };
        let b: Vec<u64> = {
            let mut r = CounterRng::new(7, 100, 3, stream::INIT);
            (0..4).map(|_| r.next_u64()).collect()
        };
        assert_eq!(a, b);
        let c = CounterRng::new(7, 101, 3, stream::INIT).next_u64();
        let d = CounterRng::new(7, 100, 4, stream::INIT).next_u64();
        let e = CounterRng::new(8, 100, 3, stream::INIT).next_u64();
        let f = CounterRng::new(7, 100, 3, stream::LAYOUT).next_u64();
        for x in [c, d, e, f] {
            assert_ne!(x, a[0]);
        }
    }

    #[test]
    fn uniform_and_normal_moments() {
        let n = 200_000;
        let (mut s, mut s2, mut g, mut g2) = (0.0, 0.0, 0.0, 0.0);
        for i in 0..n {
            let mut r = CounterRng::new(1, 0, i, 0);
            let u = r.uniform();
            assert!((0.0..1.0).contains(&u));
            s += u;
            s2 += u * u;
            let z = r.normal();
            g += z;
            g2 += z * z;
        }
        let n = n as f64;
        assert!((s / n - 0.5).abs() < 0.005);
        assert!((s2 / n - s * s / n / n - 1.0 / 12.0).abs() < 0.002);
        assert!((g / n).abs() < 0.01);
        assert!((g2 / n - 1.0).abs() < 0.01);
    }

    #[test]
    fn poisson_mean_and_variance() {
        for lambda in [0.0015, 0.3, 4.0, 50.0, 500.0] {
            let n = 100_000u64;
            let (mut s, mut s2) = (0.0, 0.0);
            for i in 0..n {
                let k = CounterRng::new(3, i, 0, 9).poisson(lambda) as f64;
                s += k;
                s2 += k * k;
            }
            let mean = s / n as f64;
            let var = s2 / n as f64 - mean * mean;
            let tol = 5.0 * (lambda / n as f64).sqrt() + 1e-4;
            assert!((mean - lambda).abs() < tol, "lambda {lambda}: mean {mean}");
            assert!((var - lambda).abs() < 0.05 * lambda + 1e-3, "lambda {lambda}: var {var}");
        }
    }
}
