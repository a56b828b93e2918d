//! NeuroML2 cells and the neuron model each becomes under the synapses onto it.

use super::{Mode, ReceptorKind};
use crate::sim::{AdEx, Izhikevich2007, LifConductance, LifCurrent, NeuronModel, PscShape};

/// A cell of the file: its leak part (for an `izhikevich2007Cell`: C, v_r, and the cut-off as
/// `v_th`, the reset as `v_reset`) and what kind it is.
#[derive(Clone, Copy)]
pub(super) struct Cell {
    pub c_pf: f64,
    pub g_ns: f64,
    pub e_l: f64,
    pub v_th: f64,
    pub v_reset: f64,
    pub t_ref: f64,
    pub kind: CellKind,
}

/// Which NeuroML cell it is.
#[derive(Clone, Copy)]
pub(super) enum CellKind {
    /// `iafCell`, `iafRefCell`.
    Lif,
    /// `adExIaFCell`.
    AdEx(AdExPart),
    /// `izhikevich2007Cell`.
    Izhikevich2007(IzhPart),
}

/// What an `adExIaFCell` adds to a LIF: VT, delT, a, tauw, b.
#[derive(Clone, Copy)]
pub(super) struct AdExPart {
    pub v_t: f64,
    pub delta_t: f64,
    pub a: f64,
    pub tau_w: f64,
    pub b: f64,
}

/// An `izhikevich2007Cell`'s k (nS/mV), vr, vt, a (1/ms), b (nS), d (pA) and v0.
#[derive(Clone, Copy)]
pub(super) struct IzhPart {
    pub k: f64,
    pub v_r: f64,
    pub v_t: f64,
    pub a: f64,
    pub b: f64,
    pub d: f64,
    pub v0: f64,
}

impl Cell {
    /// Where its neurons start: `v0` for an Izhikevich cell, the leak reversal otherwise.
    pub fn v_init(&self) -> f64 {
        match self.kind {
            CellKind::Izhikevich2007(i) => i.v0,
            _ => self.e_l,
        }
    }
}

/// A number with one of `units` ("0.7nS_per_mV", "0.03 per_ms"), times that unit's factor.
pub(super) fn with_unit(text: &str, units: &[(&str, f64)]) -> Result<f64, String> {
    let t = text.trim();
    for (unit, factor) in units {
        if let Some(number) = t.strip_suffix(unit) {
            let v: f64 = number.trim().parse().map_err(|_| format!("`{text}` is not a number with a unit"))?;
            if v.is_finite() && (v * factor).abs() <= crate::sim::Quantity::MAGNITUDE {
                return Ok(v * factor);
            }
            return Err(format!("`{text}` is out of range"));
        }
    }
    let names: Vec<&str> = units.iter().map(|u| u.0).collect();
    Err(format!("`{text}`: the unit must be one of {}", names.join(", ")))
}

/// The model a cell becomes under synapses of `mode` with excitatory and inhibitory receptors
/// (defaults where none arrives).
pub(super) fn model(
    cell: &Cell,
    mode: Option<Mode>,
    (ex, inh): (Option<ReceptorKind>, Option<ReceptorKind>),
) -> Result<NeuronModel, String> {
    let ex = ex.unwrap_or(ReceptorKind { e_rev: 0.0, tau: 5.0, rise: 0.0 });
    let inh = inh.unwrap_or(ReceptorKind { e_rev: -80.0, tau: 10.0, rise: 0.0 });
    let (tau_ex, tau_in) = (ex.tau, inh.tau);
    let current_only = |what: &str| -> Result<(), String> {
        match mode {
            Some(Mode::Conductance) => Err(format!(
                "an {what} under conductance synapses; Neuroplast's model takes current synapses (expCurrentSynapse)"
            )),
            Some(Mode::Current(PscShape::Alpha)) => Err(format!(
                "an {what} under alpha currents; Neuroplast's model takes exponential ones (expCurrentSynapse)"
            )),
            _ => Ok(()),
        }
    };
    Ok(match cell.kind {
        CellKind::AdEx(x) => {
            current_only("adExIaFCell")?;
            NeuronModel::AdEx(AdEx {
                c_m: cell.c_pf,
                g_l: cell.g_ns,
                e_l: cell.e_l,
                v_t: x.v_t,
                delta_t: x.delta_t,
                a: x.a,
                tau_w: x.tau_w,
                b: x.b,
                v_reset: cell.v_reset,
                v_peak: cell.v_th,
                t_ref: cell.t_ref,
                tau_syn_ex: tau_ex,
                tau_syn_in: tau_in,
                i_e: 0.0,
            })
        }
        CellKind::Izhikevich2007(x) => {
            current_only("izhikevich2007Cell")?;
            NeuronModel::Izhikevich2007(Izhikevich2007 {
                c_m: cell.c_pf,
                k: x.k,
                v_r: x.v_r,
                v_t: x.v_t,
                v_peak: cell.v_th,
                a: x.a,
                b: x.b,
                c: cell.v_reset,
                d: x.d,
                tau_syn_ex: tau_ex,
                tau_syn_in: tau_in,
                i_e: 0.0,
            })
        }
        CellKind::Lif => match mode {
            Some(Mode::Current(psc)) => NeuronModel::LifCurrent(LifCurrent {
                c_m: cell.c_pf,
                tau_m: cell.c_pf / cell.g_ns,
                e_l: cell.e_l,
                v_th: cell.v_th,
                v_reset: cell.v_reset,
                t_ref: cell.t_ref,
                tau_syn_ex: tau_ex,
                tau_syn_in: tau_in,
                i_e: 0.0,
                psc,
            }),
            _ => NeuronModel::LifConductance(LifConductance {
                c_m: cell.c_pf,
                g_l: cell.g_ns,
                e_l: cell.e_l,
                v_th: cell.v_th,
                v_reset: cell.v_reset,
                t_ref: cell.t_ref,
                e_ex: ex.e_rev,
                e_in: inh.e_rev,
                tau_syn_ex: tau_ex,
                tau_syn_in: tau_in,
                i_e: 0.0,
                tau_rise_ex: ex.rise,
                tau_rise_in: inh.rise,
            }),
        },
    })
}
