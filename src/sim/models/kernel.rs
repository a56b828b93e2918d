//! The per-step kernels: constants precomputed from a model for one `dt`, and the update loops
//! that advance a run of neurons and find its spikes.

use serde::{Deserialize, Serialize};

use super::conductance::{BetaChannel, Leak};
use crate::sim::columns::StateSlices;
use crate::sim::rng::{CounterRng, stream};

/// Per-population constants precomputed for one `dt`; what the step loop reads.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[expect(missing_docs, reason = "the fields are the propagator constants named as in ALGORITHMS.md §1")]
pub enum Kernel {
    /// See [`super::LifCurrent`].
    LifCurrent {
        p22: f64,
        p21_ex: f64,
        p21_in: f64,
        p20: f64,
        p11_ex: f64,
        p11_in: f64,
        e_l: f64,
        v_th: f64,
        v_reset: f64,
        i_e: f64,
        ref_steps: u32,
    },
    /// See [`super::PscShape::Alpha`].
    LifAlpha {
        p22: f64,
        p20: f64,
        p11_ex: f64,
        p11_in: f64,
        p21_ex: f64,
        p21_in: f64,
        p31_ex: f64,
        p31_in: f64,
        p32_ex: f64,
        p32_in: f64,
        e_l: f64,
        v_th: f64,
        v_reset: f64,
        i_e: f64,
        ref_steps: u32,
    },
    /// See [`super::LifConductance`].
    LifConductance {
        dt_over_c: f64,
        g_l: f64,
        e_l: f64,
        e_ex: f64,
        e_in: f64,
        v_th: f64,
        v_reset: f64,
        i_e: f64,
        p11_ex: f64,
        p11_in: f64,
        ref_steps: u32,
    },
    /// See [`super::Izhikevich`].
    Izhikevich { a: f64, b: f64, c: f64, d: f64, v_peak: f64, dt: f64, i_e: f64, p11_ex: f64, p11_in: f64 },
    /// See [`super::AdEx`].
    AdEx {
        dt_over_c: f64,
        g_l: f64,
        e_l: f64,
        v_t: f64,
        delta_t: f64,
        a: f64,
        dt_over_tau_w: f64,
        b: f64,
        v_reset: f64,
        v_peak: f64,
        i_e: f64,
        ref_steps: u32,
        p11_ex: f64,
        p11_in: f64,
    },
    /// See [`super::NeuronModel::PoissonSource`].
    PoissonSource { p_spike: f64, ln_q: f64 },
    /// See [`super::Izhikevich2007`] (last, so snapshots written before it keep their variant
    /// numbers).
    Izhikevich2007 {
        /// dt / C.
        dt_over_c: f64,
        /// Quadratic gain (nS/mV).
        k: f64,
        /// Resting potential.
        v_r: f64,
        /// Threshold potential.
        v_t: f64,
        /// Cut-off.
        v_peak: f64,
        /// a · dt.
        a_dt: f64,
        /// Recovery sensitivity (nS).
        b: f64,
        /// Reset potential.
        c: f64,
        /// Reset increment of u (pA).
        d: f64,
        /// Bias current (pA).
        i_e: f64,
        /// Excitatory current decay per step.
        p11_ex: f64,
        /// Inhibitory current decay per step.
        p11_in: f64,
    },
    /// See [`super::LifConductance`] with a rise time on either conductance.
    LifConductanceBeta {
        dt_over_c: f64,
        g_l: f64,
        e_l: f64,
        e_ex: f64,
        e_in: f64,
        v_th: f64,
        v_reset: f64,
        i_e: f64,
        ref_steps: u32,
        ex: BetaChannel,
        inh: BetaChannel,
    },
}

/// Mutable views of one contiguous run of neurons, all of one population, and their inputs.
pub struct NeuronSlices<'a> {
    /// The columns the update changes.
    pub state: StateSlices<'a>,
    /// Injected current from inputs and gap junctions this step (pA); `None` when it is zero.
    pub i_ext: Option<&'a [f64]>,
    /// Per-neuron threshold offsets from intrinsic plasticity (mV); `None` when none is active.
    pub theta: Option<&'a [f64]>,
    /// Delayed synaptic input arriving now, interleaved (excitatory, inhibitory) per neuron;
    /// cleared here. `None` when the network has no delayed synapses.
    pub inbox: Option<&'a mut [f32]>,
}

/// Per-neuron external current: a slice, or nothing at all (so the common case reads no memory).
trait External: Copy {
    fn at(self, i: usize) -> f64;
}

impl External for &[f64] {
    #[inline(always)]
    fn at(self, i: usize) -> f64 {
        self[i]
    }
}

#[derive(Clone, Copy)]
struct NoExternal;

impl External for NoExternal {
    #[inline(always)]
    fn at(self, _: usize) -> f64 {
        0.0
    }
}

/// Where delayed input comes from: a ring slot, or nowhere (no delayed synapses).
trait Delayed {
    /// Takes (and clears) neuron `i`'s pending (excitatory, inhibitory) input.
    fn take(&mut self, i: usize) -> (f64, f64);
}

impl Delayed for &mut [f32] {
    #[inline(always)]
    fn take(&mut self, i: usize) -> (f64, f64) {
        let (e, h) = (self[2 * i] as f64, self[2 * i + 1] as f64);
        self[2 * i] = 0.0;
        self[2 * i + 1] = 0.0;
        (e, h)
    }
}

struct NoDelayed;

impl Delayed for NoDelayed {
    #[inline(always)]
    fn take(&mut self, _: usize) -> (f64, f64) {
        (0.0, 0.0)
    }
}

impl Kernel {
    /// Advances `s` by one step and appends the ids of the neurons that spiked to `spikes`
    /// (`first` is the id of the first neuron in `s`). `spikes` must have room for all of them.
    /// Input that arrived at the end of the previous step is delivered first, in the same pass.
    pub fn update(&self, s: NeuronSlices<'_>, first: u32, seed: u64, step: u64, spikes: &mut Vec<u32>) {
        debug_assert!(spikes.capacity() - spikes.len() >= s.state.v.len());
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU supports AVX2 (checked just above).
            return unsafe { self.update_avx2(s, first, seed, step, spikes) };
        }
        self.update_any_cpu(s, first, seed, step, spikes);
    }

    /// [`Kernel::update`] compiled for AVX2 (4 doubles a vector) where the CPU has it. Without
    /// FMA contraction the arithmetic is the same IEEE operations, so results are bit-identical to
    /// the portable build.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn update_avx2(&self, s: NeuronSlices<'_>, first: u32, seed: u64, step: u64, spikes: &mut Vec<u32>) {
        self.update_any_cpu(s, first, seed, step, spikes);
    }

    #[inline(always)]
    fn update_any_cpu(&self, s: NeuronSlices<'_>, first: u32, seed: u64, step: u64, spikes: &mut Vec<u32>) {
        let NeuronSlices { state, i_ext, theta, inbox } = s;
        match (i_ext, inbox) {
            (Some(ext), Some(inbox)) => self.update_with(state, theta, ext, inbox, first, seed, step, spikes),
            (Some(ext), None) => self.update_with(state, theta, ext, NoDelayed, first, seed, step, spikes),
            (None, Some(inbox)) => self.update_with(state, theta, NoExternal, inbox, first, seed, step, spikes),
            (None, None) => self.update_with(state, theta, NoExternal, NoDelayed, first, seed, step, spikes),
        }
    }

    #[inline(always)]
    fn update_with<E: External, D: Delayed>(
        &self,
        cols: StateSlices<'_>,
        theta: Option<&[f64]>,
        ext: E,
        mut inbox: D,
        first: u32,
        seed: u64,
        step: u64,
        spikes: &mut Vec<u32>,
    ) {
        let n = cols.v.len();
        let (v, syn_ex, syn_in, adapt, refractory) =
            (cols.v, &mut cols.syn_ex[..n], &mut cols.syn_in[..n], &mut cols.adapt[..n], &mut cols.refractory[..n]);
        match *self {
            Kernel::LifCurrent { p22, p21_ex, p21_in, p20, p11_ex, p11_in, e_l, v_th, v_reset, i_e, ref_steps } => {
                // Branch-free integration pass, then a threshold pass (spikes are rare).
                for i in 0..n {
                    let (de, dh) = inbox.take(i);
                    let (ex, inh) = (syn_ex[i] + de, syn_in[i] + dh);
                    let r = refractory[i];
                    let free = e_l + p22 * (v[i] - e_l) + p21_ex * ex + p21_in * inh + p20 * (i_e + ext.at(i));
                    // While refractory, V is held at v_reset (where the spike put it). Selecting
                    // between two computed values keeps the store unconditional: a conditional
                    // store would vectorise into a masked store, which is microcoded on AMD.
                    v[i] = if r == 0 { free } else { v_reset };
                    refractory[i] = r.saturating_sub(1);
                    syn_ex[i] = ex * p11_ex;
                    syn_in[i] = inh * p11_in;
                }
                threshold(v, refractory, theta, v_th, v_reset, ref_steps, first, spikes);
            }
            Kernel::LifAlpha {
                p22,
                p20,
                p11_ex,
                p11_in,
                p21_ex,
                p21_in,
                p31_ex,
                p31_in,
                p32_ex,
                p32_in,
                e_l,
                v_th,
                v_reset,
                i_e,
                ref_steps,
            } => {
                let (psc_ex, psc_in) = (&mut cols.psc_ex[..n], &mut cols.psc_in[..n]);
                // NEST iaf_psc_alpha's order: V from the state at the start of the step, then the
                // two-variable current, then the derivative term decays.
                for i in 0..n {
                    let (de, dh) = inbox.take(i);
                    let (xe, xh) = (syn_ex[i] + de, syn_in[i] + dh);
                    let (ie, ih) = (psc_ex[i], psc_in[i]);
                    let r = refractory[i];
                    let free = e_l
                        + p22 * (v[i] - e_l)
                        + p31_ex * xe
                        + p32_ex * ie
                        + p31_in * xh
                        + p32_in * ih
                        + p20 * (i_e + ext.at(i));
                    v[i] = if r == 0 { free } else { v_reset };
                    refractory[i] = r.saturating_sub(1);
                    psc_ex[i] = p21_ex * xe + p11_ex * ie;
                    psc_in[i] = p21_in * xh + p11_in * ih;
                    syn_ex[i] = xe * p11_ex;
                    syn_in[i] = xh * p11_in;
                }
                threshold(v, refractory, theta, v_th, v_reset, ref_steps, first, spikes);
            }
            Kernel::LifConductance {
                dt_over_c,
                g_l,
                e_l,
                e_ex,
                e_in,
                v_th,
                v_reset,
                i_e,
                p11_ex,
                p11_in,
                ref_steps,
            } => {
                let leak = Leak { dt_over_c, g_l, e_l, e_ex, e_in, i_e };
                for i in 0..n {
                    let (de, dh) = inbox.take(i);
                    let (ge, gi) = (syn_ex[i] + de, syn_in[i] + dh);
                    let r = refractory[i];
                    let free = leak.step(v[i], ge, gi, ext.at(i));
                    // While refractory, V is held at v_reset (where the spike put it). Selecting
                    // between two computed values keeps the store unconditional: a conditional
                    // store would vectorise into a masked store, which is microcoded on AMD.
                    v[i] = if r == 0 { free } else { v_reset };
                    refractory[i] = r.saturating_sub(1);
                    syn_ex[i] = ge * p11_ex;
                    syn_in[i] = gi * p11_in;
                }
                threshold(v, refractory, theta, v_th, v_reset, ref_steps, first, spikes);
            }
            Kernel::LifConductanceBeta { dt_over_c, g_l, e_l, e_ex, e_in, v_th, v_reset, i_e, ref_steps, ex, inh } => {
                let leak = Leak { dt_over_c, g_l, e_l, e_ex, e_in, i_e };
                let (g_ex, g_in) = (&mut cols.psc_ex[..n], &mut cols.psc_in[..n]);
                for i in 0..n {
                    let (de, dh) = inbox.take(i);
                    let (xe, xh) = (syn_ex[i] + de, syn_in[i] + dh);
                    let (ge, gi) = (g_ex[i] + ex.instant * xe, g_in[i] + inh.instant * xh);
                    let (ge_end, gi_end) =
                        (ge * ex.p_decay + xe * ex.p_rise_to_g, gi * inh.p_decay + xh * inh.p_rise_to_g);
                    let ge_seen = ge + ex.toward_end * (ge_end - ge);
                    let gi_seen = gi + inh.toward_end * (gi_end - gi);
                    let r = refractory[i];
                    let free = leak.step(v[i], ge_seen, gi_seen, ext.at(i));
                    v[i] = if r == 0 { free } else { v_reset };
                    refractory[i] = r.saturating_sub(1);
                    (g_ex[i], g_in[i]) = (ge_end, gi_end);
                    syn_ex[i] = xe * ex.p_rise;
                    syn_in[i] = xh * inh.p_rise;
                }
                threshold(v, refractory, theta, v_th, v_reset, ref_steps, first, spikes);
            }
            Kernel::Izhikevich { a, b, c, d, v_peak, dt, i_e, p11_ex, p11_in } => {
                let q = Quadratic { half: 0.5 * dt, i_e, v_peak, c, d, p11_ex, p11_in };
                let cols = (v, adapt, syn_ex, syn_in);
                q.run(
                    cols,
                    (ext, &mut inbox, theta),
                    (first, spikes),
                    |vi| 0.04 * vi * vi + 5.0 * vi + 140.0,
                    |vi, u| u + dt * a * (b * vi - u),
                );
            }
            Kernel::Izhikevich2007 { dt_over_c, k, v_r, v_t, v_peak, a_dt, b, c, d, i_e, p11_ex, p11_in } => {
                let q = Quadratic { half: 0.5 * dt_over_c, i_e, v_peak, c, d, p11_ex, p11_in };
                let cols = (v, adapt, syn_ex, syn_in);
                q.run(
                    cols,
                    (ext, &mut inbox, theta),
                    (first, spikes),
                    |vi| k * (vi - v_r) * (vi - v_t),
                    |vi, u| u + a_dt * (b * (vi - v_r) - u),
                );
            }
            Kernel::AdEx {
                dt_over_c,
                g_l,
                e_l,
                v_t,
                delta_t,
                a,
                dt_over_tau_w,
                b,
                v_reset,
                v_peak,
                i_e,
                ref_steps,
                p11_ex,
                p11_in,
            } => {
                for i in 0..n {
                    let (de, dh) = inbox.take(i);
                    let (ex, inh) = (syn_ex[i] + de, syn_in[i] + dh);
                    let (vi, w) = (v[i], adapt[i]);
                    let current = i_e + ext.at(i) + ex + inh;
                    let mut v_new = vi;
                    if refractory[i] == 0 {
                        let spike_current = g_l * delta_t * ((vi - v_t) / delta_t).exp();
                        v_new = vi + dt_over_c * (-g_l * (vi - e_l) + spike_current + current - w);
                    } else {
                        refractory[i] -= 1;
                    }
                    let mut w_new = w + dt_over_tau_w * (a * (vi - e_l) - w);
                    syn_ex[i] = ex * p11_ex;
                    syn_in[i] = inh * p11_in;
                    if v_new > v_peak + theta.map_or(0.0, |t| t[i]) {
                        v_new = v_reset;
                        w_new += b;
                        refractory[i] = ref_steps;
                        spikes.push(first + i as u32);
                    }
                    v[i] = v_new;
                    adapt[i] = w_new;
                }
            }
            Kernel::PoissonSource { ln_q, .. } => {
                // Nothing can target a source (the scene refuses it), so there is no input to take.
                // Blocks of 8 are skimmed with a branch-free test: most steps nobody fires.
                let now = step as f64;
                const BLOCK: usize = 8;
                for (b, block) in adapt.chunks_mut(BLOCK).enumerate() {
                    if !block.iter().fold(false, |due, &next| due | (next <= now)) {
                        continue;
                    }
                    for (k, slot) in block.iter_mut().enumerate() {
                        let id = first + (b * BLOCK + k) as u32;
                        let mut next = *slot;
                        if next < 0.0 {
                            // First step (or the rate changed): the gap from now, which may be 0.
                            let mut rng = CounterRng::new(seed, step, id as u64, stream::POISSON_SOURCE + 1);
                            next = now + rng.geometric_skip(ln_q) as f64;
                        }
                        if next <= now {
                            spikes.push(id);
                            let mut rng = CounterRng::new(seed, step, id as u64, stream::POISSON_SOURCE);
                            next = now + 1.0 + rng.geometric_skip(ln_q) as f64;
                        }
                        *slot = next;
                    }
                }
            }
        }
    }
}

/// The threshold pass of the LIF models: reset, start the refractory period, record the spike.
/// The Izhikevich schemes' constants (2003 and 2007 forms): half a step (over C for the 2007
/// form), the bias, the cut-off, the reset of v and the increment of u, the currents' decay.
struct Quadratic {
    half: f64,
    i_e: f64,
    v_peak: f64,
    c: f64,
    d: f64,
    p11_ex: f64,
    p11_in: f64,
}

impl Quadratic {
    /// Two half steps of v with u held (`dv(v) − u + I`), then u with the new v (`du(v, u)`); at
    /// the cut-off v ← c, u ← u + d. One loop for both forms, each monomorphic through its closures.
    #[inline(always)]
    fn run<E: External, D: Delayed>(
        &self,
        (v, adapt, syn_ex, syn_in): (&mut [f64], &mut [f64], &mut [f64], &mut [f64]),
        (ext, inbox, theta): (E, &mut D, Option<&[f64]>),
        (first, spikes): (u32, &mut Vec<u32>),
        dv: impl Fn(f64) -> f64,
        du: impl Fn(f64, f64) -> f64,
    ) {
        for i in 0..v.len() {
            let (de, dh) = inbox.take(i);
            let (ex, inh) = (syn_ex[i] + de, syn_in[i] + dh);
            let current = self.i_e + ext.at(i) + ex + inh;
            let (mut vi, u) = (v[i], adapt[i]);
            vi += self.half * (dv(vi) - u + current);
            vi += self.half * (dv(vi) - u + current);
            let mut u = du(vi, u);
            syn_ex[i] = ex * self.p11_ex;
            syn_in[i] = inh * self.p11_in;
            if vi >= self.v_peak + theta.map_or(0.0, |t| t[i]) {
                vi = self.c;
                u += self.d;
                spikes.push(first + i as u32);
            }
            v[i] = vi;
            adapt[i] = u;
        }
    }
}

/// Blocks of 8 are tested with a branch-free reduction first (spikes are rare).
#[inline(always)]
fn threshold(
    v: &mut [f64],
    refractory: &mut [u32],
    theta: Option<&[f64]>,
    v_th: f64,
    v_reset: f64,
    ref_steps: u32,
    first: u32,
    spikes: &mut Vec<u32>,
) {
    const BLOCK: usize = 8;
    let mut fire = |i: usize, vi: &mut f64| {
        *vi = v_reset;
        refractory[i] = ref_steps;
        spikes.push(first + i as u32);
    };
    match theta {
        None => {
            for (b, block) in v.chunks_mut(BLOCK).enumerate() {
                if !block.iter().fold(false, |any, &x| any | (x >= v_th)) {
                    continue;
                }
                for (k, vi) in block.iter_mut().enumerate() {
                    if *vi >= v_th {
                        fire(b * BLOCK + k, vi);
                    }
                }
            }
        }
        Some(theta) => {
            for (i, vi) in v.iter_mut().enumerate() {
                if *vi >= v_th + theta[i] {
                    fire(i, vi);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::models::{LifCurrent, NeuronModel, PscShape};

    /// One input spike of weight w into an alpha-synapse LIF neuron at rest (threshold out of reach): the
    /// current is w (e/τs) t e^{−t/τs} (peak w at τs) and the potential follows the closed form
    /// V − E_L = (w e / (τs C)) e^{−t/τm} (1 − e^{−αt}(1 + αt)) / α², α = 1/τs − 1/τm.
    #[test]
    fn alpha_current_and_potential_match_the_closed_form() {
        for (tau_s, dt) in [(2.0, 0.1), (0.5, 0.1), (2.0, 0.01), (10.0, 0.1)] {
            let p = LifCurrent { tau_syn_ex: tau_s, v_th: 1e9, psc: PscShape::Alpha, ..LifCurrent::default() };
            let kernel = NeuronModel::LifCurrent(p.clone()).kernel(dt);
            let w = 585.0;
            let (mut v, mut x, mut x_in, mut i_ex, mut i_in) = ([p.e_l], [w], [0.0], [0.0], [0.0]);
            let (mut adapt, mut refr, mut spikes) = ([0.0], [0u32], Vec::with_capacity(1));
            let alpha = 1.0 / tau_s - 1.0 / p.tau_m;
            let e = std::f64::consts::E;
            let mut worst: f64 = 0.0;
            for k in 1..=(40.0 / dt) as usize {
                let state = StateSlices {
                    v: &mut v,
                    syn_ex: &mut x,
                    syn_in: &mut x_in,
                    psc_ex: &mut i_ex,
                    psc_in: &mut i_in,
                    adapt: &mut adapt,
                    refractory: &mut refr,
                };
                let s = NeuronSlices { state, i_ext: None, theta: None, inbox: None };
                kernel.update(s, 0, 0, k as u64, &mut spikes);
                let t = k as f64 * dt;
                let current = w * e / tau_s * t * (-t / tau_s).exp();
                let g = if alpha == 0.0 {
                    t * t / 2.0
                } else {
                    (1.0 - (-alpha * t).exp() * (1.0 + alpha * t)) / (alpha * alpha)
                };
                let dv = w * e / (tau_s * p.c_m) * (-t / p.tau_m).exp() * g;
                assert!((i_ex[0] - current).abs() <= 1e-9 * w, "τs {tau_s} t {t}: I {} vs {current}", i_ex[0]);
                worst = worst.max(((v[0] - p.e_l) - dv).abs() / dv.abs().max(1e-3));
                if (t - tau_s).abs() < dt / 2.0 {
                    assert!((i_ex[0] - w).abs() < 1e-9 * w, "peak {} at τs", i_ex[0]);
                }
            }
            assert!(worst < 1e-9, "τs {tau_s} dt {dt}: relative error {worst}");
            assert!(spikes.is_empty());
        }
    }
}
