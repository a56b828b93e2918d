//! Neuron models: parameters in the engine's units (ms, mV, pA, pF, nS, Hz), their validation, and
//! the per-step kernels precomputed from them for a given `dt`.
//!
//! Integrators (ALGORITHMS.md §1): LIF current-based is integrated exactly with the
//! Rotter–Diesmann propagators; LIF conductance-based with the exponential-Euler step (exact for
//! the conductances frozen over the step, which then decay exactly); Izhikevich with the 2003
//! scheme (two half steps for v, one step for u with the new v); AdEx with forward Euler, as the
//! Brian2 reference examples do. Every model updates then checks its threshold and stamps the
//! spike at the end of the step (the NEST convention).

use serde::{Deserialize, Serialize};

use super::rng::{CounterRng, stream};

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

fn check(model: &'static str, param: &'static str, value: f64, ok: bool, want: &str) -> Result<(), ParamError> {
    if !value.is_finite() {
        return Err(ParamError { model, param, reason: format!("{value} is not a finite number") });
    }
    if !ok {
        return Err(ParamError { model, param, reason: format!("{value} is out of range: must be {want}") });
    }
    Ok(())
}

fn positive(model: &'static str, param: &'static str, v: f64) -> Result<(), ParamError> {
    check(model, param, v, v > 0.0, "> 0")
}

fn non_negative(model: &'static str, param: &'static str, v: f64) -> Result<(), ParamError> {
    check(model, param, v, v >= 0.0, ">= 0")
}

fn finite(model: &'static str, param: &'static str, v: f64) -> Result<(), ParamError> {
    check(model, param, v, true, "finite")
}

/// Leaky integrate-and-fire with current-based synapses: exponential (NEST `iaf_psc_exp`, Brian2
/// CUBA) or alpha-shaped (NEST `iaf_psc_alpha`), chosen by `psc`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LifCurrent {
    /// Membrane capacitance (pF).
    #[serde(with = "super::units::capacitance")]
    pub c_m: f64,
    /// Membrane time constant (ms).
    #[serde(with = "super::units::time")]
    pub tau_m: f64,
    /// Resting potential (mV).
    #[serde(with = "super::units::voltage")]
    pub e_l: f64,
    /// Spike threshold (mV).
    #[serde(with = "super::units::voltage")]
    pub v_th: f64,
    /// Reset potential (mV).
    #[serde(with = "super::units::voltage")]
    pub v_reset: f64,
    /// Absolute refractory period (ms), during which V is clamped to `v_reset`.
    #[serde(with = "super::units::time")]
    pub t_ref: f64,
    /// Excitatory synaptic current time constant (ms).
    #[serde(with = "super::units::time")]
    pub tau_syn_ex: f64,
    /// Inhibitory synaptic current time constant (ms).
    #[serde(with = "super::units::time")]
    pub tau_syn_in: f64,
    /// Constant bias current (pA).
    #[serde(with = "super::units::current")]
    pub i_e: f64,
    /// Shape of the synaptic currents.
    pub psc: PscShape,
}

/// The time course of a current-based synapse's current after one spike of weight w.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum PscShape {
    /// I(t) = w e^{−t/τ_syn} (NEST `iaf_psc_exp`).
    #[default]
    Exponential,
    /// I(t) = w (e/τ_syn) t e^{−t/τ_syn}, peaking at w after τ_syn (NEST `iaf_psc_alpha`).
    Alpha,
}

impl Default for LifCurrent {
    /// NEST 3.10 `iaf_psc_exp` defaults (identical for `iaf_psc_alpha`).
    fn default() -> Self {
        Self {
            c_m: 250.0,
            tau_m: 10.0,
            e_l: -70.0,
            v_th: -55.0,
            v_reset: -70.0,
            t_ref: 2.0,
            tau_syn_ex: 2.0,
            tau_syn_in: 2.0,
            i_e: 0.0,
            psc: PscShape::Exponential,
        }
    }
}

/// Leaky integrate-and-fire with exponentially decaying conductances (NEST `iaf_cond_exp`, COBA).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LifConductance {
    /// Membrane capacitance (pF).
    #[serde(with = "super::units::capacitance")]
    pub c_m: f64,
    /// Leak conductance (nS).
    #[serde(with = "super::units::conductance")]
    pub g_l: f64,
    /// Leak reversal potential (mV).
    #[serde(with = "super::units::voltage")]
    pub e_l: f64,
    /// Spike threshold (mV).
    #[serde(with = "super::units::voltage")]
    pub v_th: f64,
    /// Reset potential (mV).
    #[serde(with = "super::units::voltage")]
    pub v_reset: f64,
    /// Absolute refractory period (ms).
    #[serde(with = "super::units::time")]
    pub t_ref: f64,
    /// Excitatory reversal potential (mV).
    #[serde(with = "super::units::voltage")]
    pub e_ex: f64,
    /// Inhibitory reversal potential (mV).
    #[serde(with = "super::units::voltage")]
    pub e_in: f64,
    /// Excitatory conductance time constant (ms).
    #[serde(with = "super::units::time")]
    pub tau_syn_ex: f64,
    /// Inhibitory conductance time constant (ms).
    #[serde(with = "super::units::time")]
    pub tau_syn_in: f64,
    /// Constant bias current (pA).
    #[serde(with = "super::units::current")]
    pub i_e: f64,
}

impl Default for LifConductance {
    /// NEST 3.10 `iaf_cond_exp` defaults.
    fn default() -> Self {
        Self {
            c_m: 250.0,
            g_l: 16.6667,
            e_l: -70.0,
            v_th: -55.0,
            v_reset: -60.0,
            t_ref: 2.0,
            e_ex: 0.0,
            e_in: -85.0,
            tau_syn_ex: 0.2,
            tau_syn_in: 2.0,
            i_e: 0.0,
        }
    }
}

/// Izhikevich (2003) quadratic model; `v` in mV, `u` and currents in the model's own units.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Izhikevich {
    /// Recovery time scale (1/ms).
    pub a: f64,
    /// Recovery sensitivity to v.
    pub b: f64,
    /// Reset value of v (mV).
    pub c: f64,
    /// Reset increment of u.
    pub d: f64,
    /// Spike cut-off (mV).
    pub v_peak: f64,
    /// Excitatory synaptic current time constant (ms).
    #[serde(with = "super::units::time")]
    pub tau_syn_ex: f64,
    /// Inhibitory synaptic current time constant (ms).
    #[serde(with = "super::units::time")]
    pub tau_syn_in: f64,
    /// Constant bias current.
    pub i_e: f64,
}

impl Default for Izhikevich {
    /// Regular spiking (Izhikevich 2003, Fig. 2).
    fn default() -> Self {
        Self { a: 0.02, b: 0.2, c: -65.0, d: 8.0, v_peak: 30.0, tau_syn_ex: 5.0, tau_syn_in: 5.0, i_e: 0.0 }
    }
}

/// Adaptive exponential integrate-and-fire (Brette & Gerstner 2005) with exponential currents.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AdEx {
    /// Membrane capacitance (pF).
    #[serde(with = "super::units::capacitance")]
    pub c_m: f64,
    /// Leak conductance (nS).
    #[serde(with = "super::units::conductance")]
    pub g_l: f64,
    /// Leak reversal potential (mV).
    #[serde(with = "super::units::voltage")]
    pub e_l: f64,
    /// Exponential threshold (mV).
    #[serde(with = "super::units::voltage")]
    pub v_t: f64,
    /// Slope factor (mV).
    #[serde(with = "super::units::voltage")]
    pub delta_t: f64,
    /// Subthreshold adaptation (nS).
    #[serde(with = "super::units::conductance")]
    pub a: f64,
    /// Adaptation time constant (ms).
    #[serde(with = "super::units::time")]
    pub tau_w: f64,
    /// Spike-triggered adaptation increment (pA).
    #[serde(with = "super::units::current")]
    pub b: f64,
    /// Reset potential (mV).
    #[serde(with = "super::units::voltage")]
    pub v_reset: f64,
    /// Spike detection threshold V_cut (mV).
    #[serde(with = "super::units::voltage")]
    pub v_peak: f64,
    /// Absolute refractory period (ms).
    #[serde(with = "super::units::time")]
    pub t_ref: f64,
    /// Excitatory synaptic current time constant (ms).
    #[serde(with = "super::units::time")]
    pub tau_syn_ex: f64,
    /// Inhibitory synaptic current time constant (ms).
    #[serde(with = "super::units::time")]
    pub tau_syn_in: f64,
    /// Constant bias current (pA).
    #[serde(with = "super::units::current")]
    pub i_e: f64,
}

impl Default for AdEx {
    /// Brette & Gerstner (2005) regular spiking.
    fn default() -> Self {
        Self {
            c_m: 281.0,
            g_l: 30.0,
            e_l: -70.6,
            v_t: -50.4,
            delta_t: 2.0,
            a: 4.0,
            tau_w: 144.0,
            b: 80.5,
            v_reset: -70.6,
            v_peak: -40.4,
            t_ref: 0.0,
            tau_syn_ex: 5.0,
            tau_syn_in: 5.0,
            i_e: 0.0,
        }
    }
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
        #[serde(with = "super::units::rate")]
        rate: f64,
    },
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

    /// The resting membrane potential, used as the default initial `v`.
    pub fn resting_v(&self) -> f64 {
        match self {
            NeuronModel::LifCurrent(p) => p.e_l,
            NeuronModel::LifConductance(p) => p.e_l,
            NeuronModel::Izhikevich(p) => p.c,
            NeuronModel::AdEx(p) => p.e_l,
            NeuronModel::PoissonSource { .. } => 0.0,
        }
    }

    /// The initial adaptation variable for a neuron starting at `v` (Izhikevich: u = b v).
    pub fn initial_adaptation(&self, v: f64) -> f64 {
        match self {
            NeuronModel::Izhikevich(p) => p.b * v,
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

/// Per-population constants precomputed for one `dt`; what the step loop reads.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[allow(missing_docs)]
pub enum Kernel {
    /// See [`LifCurrent`].
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
    /// See [`PscShape::Alpha`].
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
    /// See [`LifConductance`].
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
    /// See [`Izhikevich`].
    Izhikevich { a: f64, b: f64, c: f64, d: f64, v_peak: f64, dt: f64, i_e: f64, p11_ex: f64, p11_in: f64 },
    /// See [`AdEx`].
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
    /// See [`NeuronModel::PoissonSource`].
    PoissonSource { p_spike: f64, ln_q: f64 },
}

/// Mutable views of one contiguous run of neurons, all of one population.
pub struct NeuronSlices<'a> {
    /// Membrane potential (mV).
    pub v: &'a mut [f64],
    /// Excitatory synaptic current (pA) or conductance (nS).
    pub syn_ex: &'a mut [f64],
    /// Inhibitory synaptic current (pA) or conductance (nS).
    pub syn_in: &'a mut [f64],
    /// Excitatory alpha-shaped current (pA; alpha synapses only, untouched by other models).
    pub psc_ex: &'a mut [f64],
    /// Inhibitory alpha-shaped current (pA; alpha synapses only).
    pub psc_in: &'a mut [f64],
    /// Adaptation variable (Izhikevich u, AdEx w in pA).
    pub adapt: &'a mut [f64],
    /// Remaining refractory steps.
    pub refractory: &'a mut [u32],
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

/// The columns a kernel updates (what `NeuronSlices` holds besides the inputs).
struct Cols<'a> {
    v: &'a mut [f64],
    syn_ex: &'a mut [f64],
    syn_in: &'a mut [f64],
    psc_ex: &'a mut [f64],
    psc_in: &'a mut [f64],
    adapt: &'a mut [f64],
    refractory: &'a mut [u32],
    theta: Option<&'a [f64]>,
}

impl Kernel {
    /// Advances `s` by one step and appends the ids of the neurons that spiked to `spikes`
    /// (`first` is the id of the first neuron in `s`). `spikes` must have room for all of them.
    /// Input that arrived at the end of the previous step is delivered first, in the same pass.
    pub fn update(&self, s: NeuronSlices<'_>, first: u32, seed: u64, step: u64, spikes: &mut Vec<u32>) {
        debug_assert!(spikes.capacity() - spikes.len() >= s.v.len());
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU supports AVX2 (checked just above).
            return unsafe { self.update_avx2(s, first, seed, step, spikes) };
        }
        self.update_any_cpu(s, first, seed, step, spikes)
    }

    /// [`Kernel::update`] compiled for AVX2 (4 doubles a vector) where the CPU has it. Without
    /// FMA contraction the arithmetic is the same IEEE operations, so results are bit-identical to
    /// the portable build.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn update_avx2(&self, s: NeuronSlices<'_>, first: u32, seed: u64, step: u64, spikes: &mut Vec<u32>) {
        self.update_any_cpu(s, first, seed, step, spikes)
    }

    #[inline(always)]
    fn update_any_cpu(&self, s: NeuronSlices<'_>, first: u32, seed: u64, step: u64, spikes: &mut Vec<u32>) {
        let NeuronSlices { v, syn_ex, syn_in, psc_ex, psc_in, adapt, refractory, i_ext, theta, inbox } = s;
        let cols = Cols { v, syn_ex, syn_in, psc_ex, psc_in, adapt, refractory, theta };
        match (i_ext, inbox) {
            (Some(ext), Some(inbox)) => self.update_with(cols, ext, inbox, first, seed, step, spikes),
            (Some(ext), None) => self.update_with(cols, ext, NoDelayed, first, seed, step, spikes),
            (None, Some(inbox)) => self.update_with(cols, NoExternal, inbox, first, seed, step, spikes),
            (None, None) => self.update_with(cols, NoExternal, NoDelayed, first, seed, step, spikes),
        }
    }

    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    fn update_with<E: External, D: Delayed>(
        &self,
        cols: Cols<'_>,
        ext: E,
        mut inbox: D,
        first: u32,
        seed: u64,
        step: u64,
        spikes: &mut Vec<u32>,
    ) {
        let n = cols.v.len();
        let theta = cols.theta;
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
                for i in 0..n {
                    let (de, dh) = inbox.take(i);
                    let (ge, gi) = (syn_ex[i] + de, syn_in[i] + dh);
                    let r = refractory[i];
                    let g_tot = g_l + ge + gi;
                    let v_inf = (g_l * e_l + ge * e_ex + gi * e_in + i_e + ext.at(i)) / g_tot;
                    let free = v_inf + (v[i] - v_inf) * (-g_tot * dt_over_c).exp();
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
            Kernel::Izhikevich { a, b, c, d, v_peak, dt, i_e, p11_ex, p11_in } => {
                let half = 0.5 * dt;
                for i in 0..n {
                    let (de, dh) = inbox.take(i);
                    let (ex, inh) = (syn_ex[i] + de, syn_in[i] + dh);
                    let current = i_e + ext.at(i) + ex + inh;
                    let (mut vi, u) = (v[i], adapt[i]);
                    vi += half * (0.04 * vi * vi + 5.0 * vi + 140.0 - u + current);
                    vi += half * (0.04 * vi * vi + 5.0 * vi + 140.0 - u + current);
                    let mut u = u + dt * a * (b * vi - u);
                    syn_ex[i] = ex * p11_ex;
                    syn_in[i] = inh * p11_in;
                    if vi >= v_peak + theta.map_or(0.0, |t| t[i]) {
                        vi = c;
                        u += d;
                        spikes.push(first + i as u32);
                    }
                    v[i] = vi;
                    adapt[i] = u;
                }
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
/// Blocks of 8 are tested with a branch-free reduction first (spikes are rare).
#[allow(clippy::too_many_arguments)]
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
                let s = NeuronSlices {
                    v: &mut v,
                    syn_ex: &mut x,
                    syn_in: &mut x_in,
                    psc_ex: &mut i_ex,
                    psc_in: &mut i_in,
                    adapt: &mut adapt,
                    refractory: &mut refr,
                    i_ext: None,
                    theta: None,
                    inbox: None,
                };
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
