//! The neuron models' parameters, in the engine's units, with their defaults.

use serde::{Deserialize, Serialize};

/// Leaky integrate-and-fire with current-based synapses: exponential (NEST `iaf_psc_exp`, Brian2
/// CUBA) or alpha-shaped (NEST `iaf_psc_alpha`), chosen by `psc`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LifCurrent {
    /// Membrane capacitance (pF).
    #[serde(with = "crate::sim::units::capacitance")]
    pub c_m: f64,
    /// Membrane time constant (ms).
    #[serde(with = "crate::sim::units::time")]
    pub tau_m: f64,
    /// Resting potential (mV).
    #[serde(with = "crate::sim::units::voltage")]
    pub e_l: f64,
    /// Spike threshold (mV).
    #[serde(with = "crate::sim::units::voltage")]
    pub v_th: f64,
    /// Reset potential (mV).
    #[serde(with = "crate::sim::units::voltage")]
    pub v_reset: f64,
    /// Absolute refractory period (ms), during which V is clamped to `v_reset`.
    #[serde(with = "crate::sim::units::time")]
    pub t_ref: f64,
    /// Excitatory synaptic current time constant (ms).
    #[serde(with = "crate::sim::units::time")]
    pub tau_syn_ex: f64,
    /// Inhibitory synaptic current time constant (ms).
    #[serde(with = "crate::sim::units::time")]
    pub tau_syn_in: f64,
    /// Constant bias current (pA).
    #[serde(with = "crate::sim::units::current")]
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

/// Leaky integrate-and-fire with conductance synapses: exponentially decaying (NEST `iaf_cond_exp`,
/// COBA) or, with rise times, beta-shaped (NEST `iaf_cond_beta`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LifConductance {
    /// Membrane capacitance (pF).
    #[serde(with = "crate::sim::units::capacitance")]
    pub c_m: f64,
    /// Leak conductance (nS).
    #[serde(with = "crate::sim::units::conductance")]
    pub g_l: f64,
    /// Leak reversal potential (mV).
    #[serde(with = "crate::sim::units::voltage")]
    pub e_l: f64,
    /// Spike threshold (mV).
    #[serde(with = "crate::sim::units::voltage")]
    pub v_th: f64,
    /// Reset potential (mV).
    #[serde(with = "crate::sim::units::voltage")]
    pub v_reset: f64,
    /// Absolute refractory period (ms).
    #[serde(with = "crate::sim::units::time")]
    pub t_ref: f64,
    /// Excitatory reversal potential (mV).
    #[serde(with = "crate::sim::units::voltage")]
    pub e_ex: f64,
    /// Inhibitory reversal potential (mV).
    #[serde(with = "crate::sim::units::voltage")]
    pub e_in: f64,
    /// Excitatory conductance time constant (ms).
    #[serde(with = "crate::sim::units::time")]
    pub tau_syn_ex: f64,
    /// Inhibitory conductance time constant (ms).
    #[serde(with = "crate::sim::units::time")]
    pub tau_syn_in: f64,
    /// Constant bias current (pA).
    #[serde(with = "crate::sim::units::current")]
    pub i_e: f64,
    /// Excitatory conductance rise time (ms); 0 jumps at once and decays with `tau_syn_ex`, above
    /// 0 the conductance is a beta function peaking at the weight (NEST `iaf_cond_beta`, NeuroML
    /// `expTwoSynapse`).
    #[serde(with = "crate::sim::units::time")]
    pub tau_rise_ex: f64,
    /// Inhibitory conductance rise time (ms); as `tau_rise_ex`.
    #[serde(with = "crate::sim::units::time")]
    pub tau_rise_in: f64,
}

impl LifConductance {
    /// Whether either conductance has a rise time (a beta function rather than a jump).
    pub fn has_rise(&self) -> bool {
        self.tau_rise_ex > 0.0 || self.tau_rise_in > 0.0
    }
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
            tau_rise_ex: 0.0,
            tau_rise_in: 0.0,
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
    #[serde(with = "crate::sim::units::time")]
    pub tau_syn_ex: f64,
    /// Inhibitory synaptic current time constant (ms).
    #[serde(with = "crate::sim::units::time")]
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

/// Izhikevich's (2007) quadratic model in physical units (NeuroML's `izhikevich2007Cell`):
/// C dv/dt = k (v − v_r)(v − v_t) − u + I, du/dt = a (b (v − v_r) − u); at v ≥ v_peak, v ← c and
/// u ← u + d. Synaptic currents are exponential.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Izhikevich2007 {
    /// Membrane capacitance (pF).
    #[serde(with = "crate::sim::units::capacitance")]
    pub c_m: f64,
    /// Gain of the quadratic term (nS/mV).
    pub k: f64,
    /// Resting potential (mV).
    #[serde(with = "crate::sim::units::voltage")]
    pub v_r: f64,
    /// Instantaneous threshold potential (mV).
    #[serde(with = "crate::sim::units::voltage")]
    pub v_t: f64,
    /// Spike cut-off (mV).
    #[serde(with = "crate::sim::units::voltage")]
    pub v_peak: f64,
    /// Recovery rate (1/ms).
    pub a: f64,
    /// Recovery sensitivity to v (nS).
    #[serde(with = "crate::sim::units::conductance")]
    pub b: f64,
    /// Reset potential (mV).
    #[serde(with = "crate::sim::units::voltage")]
    pub c: f64,
    /// Reset increment of u (pA).
    #[serde(with = "crate::sim::units::current")]
    pub d: f64,
    /// Excitatory synaptic current time constant (ms).
    #[serde(with = "crate::sim::units::time")]
    pub tau_syn_ex: f64,
    /// Inhibitory synaptic current time constant (ms).
    #[serde(with = "crate::sim::units::time")]
    pub tau_syn_in: f64,
    /// Constant bias current (pA).
    #[serde(with = "crate::sim::units::current")]
    pub i_e: f64,
}

impl Default for Izhikevich2007 {
    /// The regular-spiking cortical cell of Izhikevich (2007), §8.2.
    fn default() -> Self {
        Self {
            c_m: 100.0,
            k: 0.7,
            v_r: -60.0,
            v_t: -40.0,
            v_peak: 35.0,
            a: 0.03,
            b: -2.0,
            c: -50.0,
            d: 100.0,
            tau_syn_ex: 5.0,
            tau_syn_in: 5.0,
            i_e: 0.0,
        }
    }
}

/// Adaptive exponential integrate-and-fire (Brette & Gerstner 2005) with exponential currents.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AdEx {
    /// Membrane capacitance (pF).
    #[serde(with = "crate::sim::units::capacitance")]
    pub c_m: f64,
    /// Leak conductance (nS).
    #[serde(with = "crate::sim::units::conductance")]
    pub g_l: f64,
    /// Leak reversal potential (mV).
    #[serde(with = "crate::sim::units::voltage")]
    pub e_l: f64,
    /// Exponential threshold (mV).
    #[serde(with = "crate::sim::units::voltage")]
    pub v_t: f64,
    /// Slope factor (mV).
    #[serde(with = "crate::sim::units::voltage")]
    pub delta_t: f64,
    /// Subthreshold adaptation (nS).
    #[serde(with = "crate::sim::units::conductance")]
    pub a: f64,
    /// Adaptation time constant (ms).
    #[serde(with = "crate::sim::units::time")]
    pub tau_w: f64,
    /// Spike-triggered adaptation increment (pA).
    #[serde(with = "crate::sim::units::current")]
    pub b: f64,
    /// Reset potential (mV).
    #[serde(with = "crate::sim::units::voltage")]
    pub v_reset: f64,
    /// Spike detection threshold V_cut (mV).
    #[serde(with = "crate::sim::units::voltage")]
    pub v_peak: f64,
    /// Absolute refractory period (ms).
    #[serde(with = "crate::sim::units::time")]
    pub t_ref: f64,
    /// Excitatory synaptic current time constant (ms).
    #[serde(with = "crate::sim::units::time")]
    pub tau_syn_ex: f64,
    /// Inhibitory synaptic current time constant (ms).
    #[serde(with = "crate::sim::units::time")]
    pub tau_syn_in: f64,
    /// Constant bias current (pA).
    #[serde(with = "crate::sim::units::current")]
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
