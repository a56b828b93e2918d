//! The per-step kernels: constants precomputed from a model for one `dt`, and the update loops
//! that advance a run of neurons and find its spikes.

use serde::{Deserialize, Serialize};

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

/// One conductance of [`Kernel::LifConductanceBeta`] over a step. Spikes add their weight to a
/// rise variable x (`syn_*`), the conductance g lives in `psc_*`: x' = −x/τ_rise,
/// g' = −g/τ_decay + c·x, with c such that one spike of weight w peaks at g = w. A channel without
/// a rise time passes x straight into g (`instant` = 1), as [`Kernel::LifConductance`] does.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct BetaChannel {
    /// The part of x the conductance takes at once: 1 without a rise time, else 0.
    pub instant: f64,
    /// How far towards the step's end the conductance the membrane sees is taken: 0.5 with a rise
    /// time (the mean of both ends, trapezoidal, 5 % → 0.3 % from NEST's V at 1 ms), 0 without (the
    /// start, as [`Kernel::LifConductance`]).
    pub toward_end: f64,
    /// e^{−dt/τ_rise} (0 without a rise time).
    pub p_rise: f64,
    /// e^{−dt/τ_decay}.
    pub p_decay: f64,
    /// What x adds to g over a step (exact for the linear system).
    pub p_rise_to_g: f64,
}

/// c in g' = −g/τd + c·x for a beta conductance of rise `tau_rise` (> 0) and decay `tau_decay`:
/// what the rise variable x (in weight units) drives, so that a jump of x by w peaks at g = w
/// (NEST iaf_cond_beta's `dg` = c·x).
pub fn beta_drive(tau_rise: f64, tau_decay: f64) -> f64 {
    if ((tau_decay - tau_rise) / tau_decay).abs() < 1e-6 {
        return std::f64::consts::E / tau_decay;
    }
    let t_peak = tau_decay * tau_rise * (tau_decay / tau_rise).ln() / (tau_decay - tau_rise);
    let peak = (-t_peak / tau_decay).exp() - (-t_peak / tau_rise).exp();
    (1.0 / tau_rise - 1.0 / tau_decay) / peak
}

impl BetaChannel {
    /// The exact one-step propagators for rise time `tau_rise` (0: none) and decay `tau_decay`.
    pub fn new(dt: f64, tau_rise: f64, tau_decay: f64) -> Self {
        let p_decay = (-dt / tau_decay).exp();
        if tau_rise <= 0.0 {
            return Self { instant: 1.0, toward_end: 0.0, p_rise: 0.0, p_decay, p_rise_to_g: 0.0 };
        }
        let p_rise = (-dt / tau_rise).exp();
        let p_rise_to_g = if ((tau_decay - tau_rise) / tau_decay).abs() < 1e-6 {
            // Equal time constants: the alpha function (t/τ) e^{1 − t/τ}, peaking at 1 at t = τ.
            dt / tau_decay * (1.0 - dt / tau_decay).exp()
        } else {
            // g(t) = (e^{−t/τd} − e^{−t/τr}) / peak, the peak at t = τd τr ln(τd/τr) / (τd − τr).
            let t_peak = tau_decay * tau_rise * (tau_decay / tau_rise).ln() / (tau_decay - tau_rise);
            let peak = (-t_peak / tau_decay).exp() - (-t_peak / tau_rise).exp();
            (p_decay - p_rise) / peak
        };
        Self { instant: 0.0, toward_end: 0.5, p_rise, p_decay, p_rise_to_g }
    }
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

/// The membrane of a conductance-based LIF over one step: exponential Euler with the
/// conductances frozen over the step (exact for them).
#[derive(Clone, Copy)]
struct Leak {
    dt_over_c: f64,
    g_l: f64,
    e_l: f64,
    e_ex: f64,
    e_in: f64,
    i_e: f64,
}

impl Leak {
    /// V after one step from `v` under conductances `ge`, `gi` and external current `i_ext`.
    #[inline(always)]
    fn step(&self, v: f64, ge: f64, gi: f64, i_ext: f64) -> f64 {
        let g_tot = self.g_l + ge + gi;
        let v_inf = (self.g_l * self.e_l + ge * self.e_ex + gi * self.e_in + self.i_e + i_ext) / g_tot;
        v_inf + (v - v_inf) * (-g_tot * self.dt_over_c).exp()
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
    use crate::sim::models::{LifConductance, LifCurrent, NeuronModel, PscShape};

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

    /// Runs one conductance-based neuron for `steps` steps from `x` in the rise variables and
    /// returns (g_ex, g_in, V) after each step.
    fn run_conductance(p: &LifConductance, dt: f64, x: (f64, f64), steps: usize) -> Vec<(f64, f64, f64)> {
        let kernel = NeuronModel::LifConductance(p.clone()).kernel(dt);
        let (mut v, mut x_ex, mut x_in, mut g_ex, mut g_in) = ([p.e_l], [x.0], [x.1], [0.0], [0.0]);
        let (mut adapt, mut refr, mut spikes) = ([0.0], [0u32], Vec::with_capacity(1));
        let mut out = Vec::new();
        for k in 1..=steps {
            let state = StateSlices {
                v: &mut v,
                syn_ex: &mut x_ex,
                syn_in: &mut x_in,
                psc_ex: &mut g_ex,
                psc_in: &mut g_in,
                adapt: &mut adapt,
                refractory: &mut refr,
            };
            kernel.update(NeuronSlices { state, i_ext: None, theta: None, inbox: None }, 0, 0, k as u64, &mut spikes);
            out.push(if p.has_rise() { (g_ex[0], g_in[0], v[0]) } else { (x_ex[0], x_in[0], v[0]) });
        }
        out
    }

    /// A beta conductance after one spike of weight w is w (e^{−t/τd} − e^{−t/τr}) / peak, the peak
    /// w at t = τd τr ln(τd/τr) / (τd − τr); with τr = τd the alpha function w (t/τ) e^{1 − t/τ}.
    /// NEST 3.10's iaf_cond_beta (RK45) gives for τr 0.5, τd 3 ms, w 2 nS at dt 0.1 ms:
    /// 0.910738657898138 nS at 0.2 ms, 1.996016824276811 at 1.0 ms, 1.7003398696815737 at 2.0 ms.
    #[test]
    fn beta_conductances_follow_the_closed_form_and_nest() {
        let p = LifConductance {
            tau_rise_ex: 0.5,
            tau_syn_ex: 3.0,
            tau_rise_in: 1.0,
            tau_syn_in: 1.0,
            ..Default::default()
        };
        let out = run_conductance(&p, 0.1, (2.0, 3.0), 200);
        let t_peak = 3.0 * 0.5 * 6f64.ln() / 2.5;
        let peak = (-t_peak / 3.0).exp() - (-t_peak / 0.5).exp();
        let (mut max_ex, mut max_in) = (0f64, 0f64);
        for (k, &(ge, gi, _)) in out.iter().enumerate() {
            let t = (k + 1) as f64 * 0.1;
            let want_ex = 2.0 * ((-t / 3.0).exp() - (-t / 0.5).exp()) / peak;
            let want_in = 3.0 * t * (1.0 - t).exp();
            assert!((ge - want_ex).abs() < 1e-12 && (gi - want_in).abs() < 1e-12, "t {t}: {ge} {gi}");
            (max_ex, max_in) = (max_ex.max(ge), max_in.max(gi));
        }
        // Sampled every 0.1 ms, the maxima sit within a hair of the weights; never above.
        assert!(max_ex <= 2.0 && max_ex > 1.9995 && max_in <= 3.0 + 1e-12 && max_in > 2.9999, "{max_ex} {max_in}");
        for (k, nest) in [(1, 0.910738657898138), (9, 1.996016824276811), (19, 1.7003398696815737)] {
            assert!((out[k].0 - nest).abs() < 1e-6, "step {k}: {} vs NEST {nest}", out[k].0);
        }
        // The membrane under both (trapezoidal conductance over each step) against NEST's V_m:
        // -69.9811308304571 mV at 0.2 ms, -69.73621984398812 at 1.0 ms, -69.40471680909164 at 2.0 ms;
        // the deflection from rest within 2.5 %, 0.5 % and 0.5 %.
        for (k, nest, tol) in
            [(1, -69.9811308304571, 0.025), (9, -69.73621984398812, 0.005), (19, -69.40471680909164, 0.005)]
        {
            let (ours, theirs) = (out[k].2 - p.e_l, nest - p.e_l);
            assert!(((ours - theirs) / theirs).abs() < tol, "step {k}: ΔV {ours} vs NEST {theirs}");
        }
    }

    /// A channel without rise time in a population whose other channel has one jumps and decays
    /// exactly as the exponential kernel does.
    #[test]
    fn a_channel_without_rise_time_is_the_exponential_conductance() {
        let mixed = LifConductance { tau_rise_in: 1.0, ..Default::default() };
        let plain = LifConductance::default();
        let a = run_conductance(&mixed, 0.1, (5.0, 0.0), 50);
        let b = run_conductance(&plain, 0.1, (5.0, 0.0), 50);
        for (k, (x, y)) in a.iter().zip(&b).enumerate() {
            // The exponential kernel keeps the decayed conductance in syn_ex after the step; the
            // beta one keeps it in psc_ex: the same numbers.
            assert!((x.0 - y.0).abs() < 1e-12 && (x.2 - y.2).abs() < 1e-12, "step {k}: {x:?} vs {y:?}");
        }
    }
}
