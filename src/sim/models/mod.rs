//! Neuron models: parameters in the engine's units (ms, mV, pA, pF, nS, Hz), their validation, and
//! the per-step kernels precomputed from them for a given `dt`.
//!
//! Integrators (ALGORITHMS.md §1): LIF current-based is integrated exactly with the
//! Rotter–Diesmann propagators; LIF conductance-based with the exponential-Euler step (exact for
//! the conductances frozen over the step, which then decay exactly); Izhikevich with the 2003
//! scheme (two half steps for v, one step for u with the new v); AdEx with forward Euler, as the
//! Brian2 reference examples do. Every model updates then checks its threshold and stamps the
//! spike at the end of the step (the NEST convention).

mod conductance;
mod kernel;
mod params;

use serde::{Deserialize, Serialize};

pub use conductance::{BetaChannel, beta_drive};
pub use kernel::{Kernel, NeuronSlices};
pub use params::{AdEx, Izhikevich, Izhikevich2007, LifConductance, LifCurrent, PscShape};

/// The `adapt` value of a Poisson source whose next spike has not been drawn yet.
pub const POISSON_UNDRAWN: f64 = -1.0;

/// A parameter that failed validation: which one and why.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("parameter `{param}` of {model}: {reason}")]
pub struct ParamError {
    /// The model or rule the parameter belongs to.
    pub model: &'static str,
    /// The parameter's name as written in scene files.
    pub param: &'static str,
    /// What is wrong with its value.
    pub reason: String,
}

/// The largest magnitude of any model parameter in engine units (ms, mV, pA, pF, nS): far beyond
/// physiology, far below what overflows a step.
pub const PARAM_MAGNITUDE: f64 = 1e9;
/// The smallest positive parameter (a time constant or capacitance this small divides a step into
/// overflow).
pub const PARAM_MIN_POSITIVE: f64 = 1e-6;

fn check(model: &'static str, param: &'static str, value: f64, ok: bool, want: &str) -> Result<(), ParamError> {
    if !value.is_finite() {
        return Err(ParamError { model, param, reason: format!("{value} is not a finite number") });
    }
    if value.abs() > PARAM_MAGNITUDE {
        return Err(ParamError {
            model,
            param,
            reason: format!("{value} is out of range: beyond ±{PARAM_MAGNITUDE:e}"),
        });
    }
    if !ok {
        return Err(ParamError { model, param, reason: format!("{value} is out of range: must be {want}") });
    }
    Ok(())
}

fn positive(model: &'static str, param: &'static str, v: f64) -> Result<(), ParamError> {
    check(model, param, v, v >= PARAM_MIN_POSITIVE, "> 0 (at least 1e-6)")
}

fn non_negative(model: &'static str, param: &'static str, v: f64) -> Result<(), ParamError> {
    check(model, param, v, v >= 0.0, ">= 0")
}

/// 0 (the quantity is off) or a positive value of at least [`PARAM_MIN_POSITIVE`].
fn zero_or_positive(model: &'static str, param: &'static str, v: f64) -> Result<(), ParamError> {
    check(model, param, v, v == 0.0 || v >= PARAM_MIN_POSITIVE, "0 (none) or > 0 (at least 1e-6)")
}

fn finite(model: &'static str, param: &'static str, v: f64) -> Result<(), ParamError> {
    check(model, param, v, true, "finite")
}

/// A neuron model with its parameters.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum NeuronModel {
    /// LIF with exponential synaptic currents.
    LifCurrent(LifCurrent),
    /// LIF with exponential synaptic conductances.
    LifConductance(LifConductance),
    /// Izhikevich 2003.
    Izhikevich(Izhikevich),
    /// Adaptive exponential IF.
    AdEx(AdEx),
    /// A source that fires as a Poisson process (a Brian2 `PoissonGroup`, a NEST `poisson_generator`
    /// behind a parrot): at most one spike per step with probability `rate · dt`. Implemented by
    /// drawing each geometric gap to the next spike when the previous one fires (the same process,
    /// at a cost per spike rather than per step); the pending spike step lives in `adapt`.
    PoissonSource {
        /// Firing rate (Hz).
        #[serde(with = "crate::sim::units::rate")]
        rate: f64,
    },
    /// Izhikevich 2007, in physical units (last, so snapshots written before it keep their
    /// variant numbers).
    Izhikevich2007(Izhikevich2007),
}

/// How a synaptic weight acts on its target, fixed by the target's model.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SynapseKind {
    /// A current jump (pA; Izhikevich: model units).
    Current,
    /// A conductance jump (nS).
    Conductance,
    /// The target cannot receive synapses.
    None,
}

impl NeuronModel {
    /// The model's name as written in scene files.
    pub fn name(&self) -> &'static str {
        match self {
            NeuronModel::LifCurrent(_) => "LifCurrent",
            NeuronModel::LifConductance(_) => "LifConductance",
            NeuronModel::Izhikevich(_) => "Izhikevich",
            NeuronModel::Izhikevich2007(_) => "Izhikevich2007",
            NeuronModel::AdEx(_) => "AdEx",
            NeuronModel::PoissonSource { .. } => "PoissonSource",
        }
    }

    /// What a synapse onto this model changes.
    pub fn synapse_kind(&self) -> SynapseKind {
        match self {
            NeuronModel::LifConductance(_) => SynapseKind::Conductance,
            NeuronModel::PoissonSource { .. } => SynapseKind::None,
            _ => SynapseKind::Current,
        }
    }

    /// The unit of a synaptic weight onto this model: pA for a current, nS for a conductance,
    /// `a.u.` for Izhikevich 2003 (its input is in the model's own units); empty when it takes none.
    pub fn weight_unit(&self) -> &'static str {
        match (self, self.synapse_kind()) {
            (NeuronModel::Izhikevich(_), _) => "a.u.",
            (_, SynapseKind::Current) => "pA",
            (_, SynapseKind::Conductance) => "nS",
            (_, SynapseKind::None) => "",
        }
    }

    /// The resting membrane potential, used as the default initial `v`.
    pub fn resting_v(&self) -> f64 {
        match self {
            NeuronModel::LifCurrent(p) => p.e_l,
            NeuronModel::LifConductance(p) => p.e_l,
            NeuronModel::Izhikevich(p) => p.c,
            NeuronModel::Izhikevich2007(p) => p.v_r,
            NeuronModel::AdEx(p) => p.e_l,
            NeuronModel::PoissonSource { .. } => 0.0,
        }
    }

    /// The initial adaptation variable for a neuron starting at `v` (Izhikevich: u = b v; 2007:
    /// u = b (v − v_r)).
    pub fn initial_adaptation(&self, v: f64) -> f64 {
        match self {
            NeuronModel::Izhikevich(p) => p.b * v,
            NeuronModel::Izhikevich2007(p) => p.b * (v - p.v_r),
            NeuronModel::PoissonSource { .. } => POISSON_UNDRAWN,
            _ => 0.0,
        }
    }

    /// The membrane time constant C/g (ms) for converting voltage-jump weights (mV) into current
    /// jumps (pA): w_pA = w_mV · C_m / tau_m. `None` where the model has no such constant.
    pub fn capacitance_over_tau(&self) -> Option<f64> {
        match self {
            NeuronModel::LifCurrent(p) => Some(p.c_m / p.tau_m),
            NeuronModel::AdEx(p) => Some(p.g_l),
            _ => None,
        }
    }

    /// Checks every parameter: finite, and inside its physical range.
    pub fn validate(&self) -> Result<(), ParamError> {
        match self {
            NeuronModel::LifCurrent(p) => {
                let m = "LifCurrent";
                positive(m, "c_m", p.c_m)?;
                positive(m, "tau_m", p.tau_m)?;
                finite(m, "e_l", p.e_l)?;
                finite(m, "v_th", p.v_th)?;
                check(m, "v_reset", p.v_reset, p.v_reset < p.v_th, "below v_th")?;
                non_negative(m, "t_ref", p.t_ref)?;
                positive(m, "tau_syn_ex", p.tau_syn_ex)?;
                positive(m, "tau_syn_in", p.tau_syn_in)?;
                finite(m, "i_e", p.i_e)
            }
            NeuronModel::LifConductance(p) => {
                let m = "LifConductance";
                positive(m, "c_m", p.c_m)?;
                positive(m, "g_l", p.g_l)?;
                finite(m, "e_l", p.e_l)?;
                finite(m, "v_th", p.v_th)?;
                check(m, "v_reset", p.v_reset, p.v_reset < p.v_th, "below v_th")?;
                non_negative(m, "t_ref", p.t_ref)?;
                finite(m, "e_ex", p.e_ex)?;
                finite(m, "e_in", p.e_in)?;
                positive(m, "tau_syn_ex", p.tau_syn_ex)?;
                positive(m, "tau_syn_in", p.tau_syn_in)?;
                zero_or_positive(m, "tau_rise_ex", p.tau_rise_ex)?;
                zero_or_positive(m, "tau_rise_in", p.tau_rise_in)?;
                finite(m, "i_e", p.i_e)
            }
            NeuronModel::Izhikevich(p) => {
                let m = "Izhikevich";
                positive(m, "a", p.a)?;
                finite(m, "b", p.b)?;
                check(m, "c", p.c, p.c < p.v_peak, "below v_peak")?;
                finite(m, "d", p.d)?;
                finite(m, "v_peak", p.v_peak)?;
                positive(m, "tau_syn_ex", p.tau_syn_ex)?;
                positive(m, "tau_syn_in", p.tau_syn_in)?;
                finite(m, "i_e", p.i_e)
            }
            NeuronModel::Izhikevich2007(p) => {
                let m = "Izhikevich2007";
                positive(m, "c_m", p.c_m)?;
                positive(m, "k", p.k)?;
                finite(m, "v_r", p.v_r)?;
                check(m, "v_t", p.v_t, p.v_t > p.v_r, "above v_r")?;
                check(m, "v_peak", p.v_peak, p.v_peak > p.v_t, "above v_t")?;
                positive(m, "a", p.a)?;
                finite(m, "b", p.b)?;
                check(m, "c", p.c, p.c < p.v_peak, "below v_peak")?;
                finite(m, "d", p.d)?;
                positive(m, "tau_syn_ex", p.tau_syn_ex)?;
                positive(m, "tau_syn_in", p.tau_syn_in)?;
                finite(m, "i_e", p.i_e)
            }
            NeuronModel::AdEx(p) => {
                let m = "AdEx";
                positive(m, "c_m", p.c_m)?;
                positive(m, "g_l", p.g_l)?;
                finite(m, "e_l", p.e_l)?;
                finite(m, "v_t", p.v_t)?;
                positive(m, "delta_t", p.delta_t)?;
                finite(m, "a", p.a)?;
                positive(m, "tau_w", p.tau_w)?;
                finite(m, "b", p.b)?;
                check(m, "v_reset", p.v_reset, p.v_reset < p.v_peak, "below v_peak")?;
                check(m, "v_peak", p.v_peak, p.v_peak > p.v_t, "above v_t")?;
                non_negative(m, "t_ref", p.t_ref)?;
                positive(m, "tau_syn_ex", p.tau_syn_ex)?;
                positive(m, "tau_syn_in", p.tau_syn_in)?;
                finite(m, "i_e", p.i_e)
            }
            NeuronModel::PoissonSource { rate } => non_negative("PoissonSource", "rate", *rate),
        }
    }

    /// The per-step constants for time step `dt` (ms).
    pub fn kernel(&self, dt: f64) -> Kernel {
        let steps = |t_ref: f64| (t_ref / dt).round() as u32;
        match self {
            NeuronModel::LifCurrent(p) if p.psc == PscShape::Alpha => {
                // The synaptic variable that spikes increment holds dI·τ_syn/e (in pA), so that a
                // weight is added unchanged; e/τ_syn is folded into the propagators below.
                let (p11_ex, p11_in) = ((-dt / p.tau_syn_ex).exp(), (-dt / p.tau_syn_in).exp());
                let e = std::f64::consts::E;
                Kernel::LifAlpha {
                    p22: (-dt / p.tau_m).exp(),
                    p20: p.tau_m / p.c_m * (-(-dt / p.tau_m).exp_m1()),
                    p11_ex,
                    p11_in,
                    p21_ex: e / p.tau_syn_ex * dt * p11_ex,
                    p21_in: e / p.tau_syn_in * dt * p11_in,
                    p31_ex: e / p.tau_syn_ex * alpha_to_v(dt, p.tau_m, p.tau_syn_ex, p.c_m),
                    p31_in: e / p.tau_syn_in * alpha_to_v(dt, p.tau_m, p.tau_syn_in, p.c_m),
                    p32_ex: psc_to_v(dt, p.tau_m, p.tau_syn_ex, p.c_m),
                    p32_in: psc_to_v(dt, p.tau_m, p.tau_syn_in, p.c_m),
                    e_l: p.e_l,
                    v_th: p.v_th,
                    v_reset: p.v_reset,
                    i_e: p.i_e,
                    ref_steps: steps(p.t_ref),
                }
            }
            NeuronModel::LifCurrent(p) => {
                let p22 = (-dt / p.tau_m).exp();
                Kernel::LifCurrent {
                    p22,
                    p21_ex: psc_to_v(dt, p.tau_m, p.tau_syn_ex, p.c_m),
                    p21_in: psc_to_v(dt, p.tau_m, p.tau_syn_in, p.c_m),
                    p20: p.tau_m / p.c_m * (-(-dt / p.tau_m).exp_m1()),
                    p11_ex: (-dt / p.tau_syn_ex).exp(),
                    p11_in: (-dt / p.tau_syn_in).exp(),
                    e_l: p.e_l,
                    v_th: p.v_th,
                    v_reset: p.v_reset,
                    i_e: p.i_e,
                    ref_steps: steps(p.t_ref),
                }
            }
            NeuronModel::LifConductance(p) if p.has_rise() => Kernel::LifConductanceBeta {
                dt_over_c: dt / p.c_m,
                g_l: p.g_l,
                e_l: p.e_l,
                e_ex: p.e_ex,
                e_in: p.e_in,
                v_th: p.v_th,
                v_reset: p.v_reset,
                i_e: p.i_e,
                ref_steps: steps(p.t_ref),
                ex: BetaChannel::new(dt, p.tau_rise_ex, p.tau_syn_ex),
                inh: BetaChannel::new(dt, p.tau_rise_in, p.tau_syn_in),
            },
            NeuronModel::LifConductance(p) => Kernel::LifConductance {
                dt_over_c: dt / p.c_m,
                g_l: p.g_l,
                e_l: p.e_l,
                e_ex: p.e_ex,
                e_in: p.e_in,
                v_th: p.v_th,
                v_reset: p.v_reset,
                i_e: p.i_e,
                p11_ex: (-dt / p.tau_syn_ex).exp(),
                p11_in: (-dt / p.tau_syn_in).exp(),
                ref_steps: steps(p.t_ref),
            },
            NeuronModel::Izhikevich(p) => Kernel::Izhikevich {
                a: p.a,
                b: p.b,
                c: p.c,
                d: p.d,
                v_peak: p.v_peak,
                dt,
                i_e: p.i_e,
                p11_ex: (-dt / p.tau_syn_ex).exp(),
                p11_in: (-dt / p.tau_syn_in).exp(),
            },
            NeuronModel::Izhikevich2007(p) => Kernel::Izhikevich2007 {
                dt_over_c: dt / p.c_m,
                k: p.k,
                v_r: p.v_r,
                v_t: p.v_t,
                v_peak: p.v_peak,
                a_dt: p.a * dt,
                b: p.b,
                c: p.c,
                d: p.d,
                i_e: p.i_e,
                p11_ex: (-dt / p.tau_syn_ex).exp(),
                p11_in: (-dt / p.tau_syn_in).exp(),
            },
            NeuronModel::AdEx(p) => Kernel::AdEx {
                dt_over_c: dt / p.c_m,
                g_l: p.g_l,
                e_l: p.e_l,
                v_t: p.v_t,
                delta_t: p.delta_t,
                a: p.a,
                dt_over_tau_w: dt / p.tau_w,
                b: p.b,
                v_reset: p.v_reset,
                v_peak: p.v_peak,
                i_e: p.i_e,
                ref_steps: steps(p.t_ref),
                p11_ex: (-dt / p.tau_syn_ex).exp(),
                p11_in: (-dt / p.tau_syn_in).exp(),
            },
            NeuronModel::PoissonSource { rate } => {
                let p_spike = (rate * dt * 1e-3).min(1.0);
                Kernel::PoissonSource { p_spike, ln_q: (-p_spike).ln_1p() }
            }
        }
    }
}

/// The propagator from an exponential synaptic current to the membrane potential over one step:
/// (1/C) ∫₀^h e^{-(h-s)/τm} e^{-s/τs} ds, with its limit h e^{-h/τm}/C when τs = τm.
fn psc_to_v(h: f64, tau_m: f64, tau_s: f64, c_m: f64) -> f64 {
    let rate_diff = 1.0 / tau_m - 1.0 / tau_s;
    if (rate_diff * h).abs() < 1e-12 {
        return h * (-h / tau_m).exp() / c_m;
    }
    // (e^{-h/τs} − e^{-h/τm}) / (1/τm − 1/τs) / C, computed as e^{-h/τm}(e^{h·Δ} − 1)/Δ to keep
    // precision when the two time constants are close.
    (-h / tau_m).exp() * (h * rate_diff).exp_m1() / rate_diff / c_m
}

/// The propagator from the derivative term x of an alpha current (I' = x − I/τs, x' = −x/τs) to
/// the membrane potential over one step: (1/C) ∫₀^h e^{-(h-s)/τm} s e^{-s/τs} ds
/// = e^{-h/τm} h² f(αh) / C with α = 1/τs − 1/τm and f(y) = (1 − e^{-y}(1 + y))/y².
fn alpha_to_v(h: f64, tau_m: f64, tau_s: f64, c_m: f64) -> f64 {
    let y = (1.0 / tau_s - 1.0 / tau_m) * h;
    // Near y = 0 the closed form cancels; its Taylor series is exact to rounding there.
    let f = if y.abs() < 1e-3 {
        0.5 - y / 3.0 + y * y / 8.0 - y * y * y / 30.0
    } else {
        (-(-y).exp_m1() - y * (-y).exp()) / (y * y)
    };
    (-h / tau_m).exp() * h * h * f / c_m
}
