//! Conductance synapses: the membrane under frozen conductances over a step, and the beta-shaped
//! (rising) conductances of NEST's `iaf_cond_beta` and NeuroML's `expTwoSynapse`.

use serde::{Deserialize, Serialize};

/// The membrane of a conductance-based LIF over one step: exponential Euler with the
/// conductances frozen over the step (exact for them).
#[derive(Clone, Copy)]
pub(super) struct Leak {
    pub dt_over_c: f64,
    pub g_l: f64,
    pub e_l: f64,
    pub e_ex: f64,
    pub e_in: f64,
    pub i_e: f64,
}

impl Leak {
    /// V after one step from `v` under conductances `ge`, `gi` and external current `i_ext`.
    #[inline(always)]
    pub fn step(&self, v: f64, ge: f64, gi: f64, i_ext: f64) -> f64 {
        let g_tot = self.g_l + ge + gi;
        let v_inf = (self.g_l * self.e_l + ge * self.e_ex + gi * self.e_in + self.i_e + i_ext) / g_tot;
        v_inf + (v - v_inf) * (-g_tot * self.dt_over_c).exp()
    }
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

#[cfg(test)]
mod tests {
    use crate::sim::columns::StateSlices;
    use crate::sim::models::NeuronSlices;
    use crate::sim::models::{LifConductance, NeuronModel};

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
