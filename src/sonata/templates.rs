//! A SONATA node type's `model_template` and `dynamics_params` and the neuron model they name.
//!
//! `nest:` templates are NEST's models with NEST's parameter names and units (pF, ms, mV, pA, nS),
//! accepted where one of ours is the same model: `iaf_psc_exp`, `iaf_psc_alpha`, `iaf_cond_exp`,
//! `iaf_cond_beta`, `aeif_psc_exp` (our AdEx; NEST integrates it with RK45, we with Euler).
//! Our other models travel as `neuroplast:<Model>` with our own field names and units, so a circuit
//! we write reads back as it was.

use serde_json::{Map, Value};

use crate::sim::models::{AdEx, LifConductance, LifCurrent};
use crate::sim::{NeuronModel, PscShape};

/// The prefix of templates that name one of our models with our own parameters.
pub const OWN_PREFIX: &str = "neuroplast:";

/// The NEST templates read and written exactly.
pub const NEST_TEMPLATES: &[&str] = &["iaf_psc_exp", "iaf_psc_alpha", "iaf_cond_exp", "iaf_cond_beta", "aeif_psc_exp"];

/// NEST's parameter names for a current-based LIF, each with its field.
fn lif_current_fields(p: &mut LifCurrent) -> [(&'static str, &mut f64); 9] {
    [
        ("C_m", &mut p.c_m),
        ("tau_m", &mut p.tau_m),
        ("E_L", &mut p.e_l),
        ("V_th", &mut p.v_th),
        ("V_reset", &mut p.v_reset),
        ("t_ref", &mut p.t_ref),
        ("tau_syn_ex", &mut p.tau_syn_ex),
        ("tau_syn_in", &mut p.tau_syn_in),
        ("I_e", &mut p.i_e),
    ]
}

/// NEST `iaf_cond_beta`'s parameter names for a conductance-based LIF with rise times.
fn lif_beta_fields(p: &mut LifConductance) -> [(&'static str, &mut f64); 13] {
    [
        ("C_m", &mut p.c_m),
        ("g_L", &mut p.g_l),
        ("E_L", &mut p.e_l),
        ("V_th", &mut p.v_th),
        ("V_reset", &mut p.v_reset),
        ("t_ref", &mut p.t_ref),
        ("E_ex", &mut p.e_ex),
        ("E_in", &mut p.e_in),
        ("tau_decay_ex", &mut p.tau_syn_ex),
        ("tau_decay_in", &mut p.tau_syn_in),
        ("tau_rise_ex", &mut p.tau_rise_ex),
        ("tau_rise_in", &mut p.tau_rise_in),
        ("I_e", &mut p.i_e),
    ]
}

/// NEST `aeif_psc_exp`'s parameter names for our AdEx (the same equations under exponential
/// current synapses), each with its field.
fn adex_fields(p: &mut AdEx) -> [(&'static str, &mut f64); 14] {
    [
        ("C_m", &mut p.c_m),
        ("g_L", &mut p.g_l),
        ("E_L", &mut p.e_l),
        ("V_th", &mut p.v_t),
        ("Delta_T", &mut p.delta_t),
        ("a", &mut p.a),
        ("tau_w", &mut p.tau_w),
        ("b", &mut p.b),
        ("V_reset", &mut p.v_reset),
        ("V_peak", &mut p.v_peak),
        ("t_ref", &mut p.t_ref),
        ("tau_syn_ex", &mut p.tau_syn_ex),
        ("tau_syn_in", &mut p.tau_syn_in),
        ("I_e", &mut p.i_e),
    ]
}

/// NEST's parameter names for a conductance-based LIF, each with its field.
fn lif_conductance_fields(p: &mut LifConductance) -> [(&'static str, &mut f64); 11] {
    [
        ("C_m", &mut p.c_m),
        ("g_L", &mut p.g_l),
        ("E_L", &mut p.e_l),
        ("V_th", &mut p.v_th),
        ("V_reset", &mut p.v_reset),
        ("t_ref", &mut p.t_ref),
        ("E_ex", &mut p.e_ex),
        ("E_in", &mut p.e_in),
        ("tau_syn_ex", &mut p.tau_syn_ex),
        ("tau_syn_in", &mut p.tau_syn_in),
        ("I_e", &mut p.i_e),
    ]
}

/// NEST's model name and parameters (NEST's names and units) for one of ours, when NEST has the
/// same model; `None` otherwise.
pub fn nest_model(model: &NeuronModel) -> Option<(&'static str, Vec<(&'static str, f64)>)> {
    let read = |fields: &mut [(&'static str, &mut f64)]| fields.iter().map(|(k, v)| (*k, **v)).collect();
    match model {
        NeuronModel::LifCurrent(p) => {
            let name = if p.psc == PscShape::Alpha { "iaf_psc_alpha" } else { "iaf_psc_exp" };
            Some((name, read(&mut lif_current_fields(&mut p.clone()))))
        }
        // NEST's beta synapses all rise: one rising and one jumping conductance has no counterpart.
        NeuronModel::LifConductance(p) if p.tau_rise_ex > 0.0 && p.tau_rise_in > 0.0 => {
            Some(("iaf_cond_beta", read(&mut lif_beta_fields(&mut p.clone()))))
        }
        NeuronModel::LifConductance(p) if p.has_rise() => None,
        NeuronModel::LifConductance(p) => Some(("iaf_cond_exp", read(&mut lif_conductance_fields(&mut p.clone())))),
        NeuronModel::AdEx(p) => Some(("aeif_psc_exp", read(&mut adex_fields(&mut p.clone())))),
        _ => None,
    }
}

/// What a node type becomes: its model and, when the parameters set one, the initial potential.
#[derive(Clone, Debug, PartialEq)]
pub struct NodeModel {
    /// The neuron model.
    pub model: NeuronModel,
    /// `V_m` from the parameters (mV), the neurons' starting potential.
    pub v_init: Option<f64>,
}

/// The model a template names with `params` (the type's `dynamics_params` and per-node
/// overrides); errors say which template or parameter is not understood.
pub fn model_for(template: &str, params: &Map<String, Value>) -> Result<NodeModel, String> {
    if let Some(own) = template.strip_prefix(OWN_PREFIX) {
        let tagged = Value::Object(Map::from_iter([(own.to_string(), Value::Object(params.clone()))]));
        let model: NeuronModel =
            serde_json::from_value(tagged).map_err(|e| format!("model_template `{template}`: {e}"))?;
        return Ok(NodeModel { model, v_init: None });
    }
    if let Some(pynn) = template.strip_prefix("pynn:") {
        return pynn_model(template, pynn, params);
    }
    let Some(nest) = template.strip_prefix("nest:") else {
        return Err(format!(
            "model_template `{template}` is not understood: point neurons read are nest:{}, pynn:{} and \
             {OWN_PREFIX}<Model>",
            NEST_TEMPLATES.join(", nest:"),
            PYNN_TEMPLATES.join(", pynn:")
        ));
    };
    let (model, v_init) = match nest {
        "iaf_psc_exp" | "iaf_psc_alpha" => {
            let mut p = LifCurrent {
                psc: if nest == "iaf_psc_alpha" { PscShape::Alpha } else { PscShape::Exponential },
                ..LifCurrent::default()
            };
            let v = set_fields(template, &mut lif_current_fields(&mut p), params)?;
            (NeuronModel::LifCurrent(p), v)
        }
        "iaf_cond_exp" => {
            let mut p = LifConductance::default();
            let v = set_fields(template, &mut lif_conductance_fields(&mut p), params)?;
            (NeuronModel::LifConductance(p), v)
        }
        "iaf_cond_beta" => {
            // NEST 3.10's iaf_cond_beta defaults: iaf_cond_exp's membrane, rise = decay (alpha
            // functions) of 0.2 ms excitatory and 2 ms inhibitory.
            let mut p = LifConductance { tau_rise_ex: 0.2, tau_rise_in: 2.0, ..LifConductance::default() };
            let v = set_fields(template, &mut lif_beta_fields(&mut p), params)?;
            if p.tau_rise_ex <= 0.0 || p.tau_rise_in <= 0.0 {
                return Err(format!("{template}: tau_rise_ex and tau_rise_in must be above 0"));
            }
            (NeuronModel::LifConductance(p), v)
        }
        "aeif_psc_exp" => {
            // NEST 3.10's aeif_psc_exp defaults: Brette and Gerstner's cell with NEST's reset,
            // cut-off and synaptic time constants.
            let mut p = AdEx { v_reset: -60.0, v_peak: 0.0, tau_syn_ex: 0.2, tau_syn_in: 2.0, ..AdEx::default() };
            let v = set_fields(template, &mut adex_fields(&mut p), params)?;
            (NeuronModel::AdEx(p), v)
        }
        "aeif_cond_exp" | "aeif_cond_alpha" | "aeif_psc_alpha" | "aeif_psc_delta" => {
            return Err(format!(
                "model_template `{template}`: Neuroplast's AdEx takes exponential current synapses (nest:aeif_psc_exp); \
                 under other synapses it is not the same model, so it is not read as one"
            ));
        }
        "izhikevich" => {
            return Err(format!(
                "model_template `{template}`: NEST's izhikevich has delta synapses (the membrane jumps by the \
                 weight) where Neuroplast's Izhikevich filters them with tau_syn; it is not the same model, so it \
                 is not read as one (nest:{} are)",
                NEST_TEMPLATES.join(", nest:")
            ));
        }
        other => {
            return Err(format!(
                "model_template `nest:{other}` has no exact counterpart here (nest:{} do; Neuroplast's own \
                 models are {OWN_PREFIX}Izhikevich, {OWN_PREFIX}AdEx, ...)",
                NEST_TEMPLATES.join(", nest:")
            ));
        }
    };
    Ok(NodeModel { model, v_init })
}

/// The PyNN standard models read, as PyNN's SONATA export writes them (`pynn:IF_curr_exp`, its
/// parameters in the node types table, in PyNN's units: nF, nA, mV, ms).
pub const PYNN_TEMPLATES: &[&str] = &["IF_curr_exp", "IF_curr_alpha", "IF_cond_exp", "SpikeSourcePoisson"];

/// A PyNN standard cell with its parameters (PyNN's defaults for those not given).
fn pynn_model(template: &str, name: &str, params: &Map<String, Value>) -> Result<NodeModel, String> {
    // PyNN 0.13's defaults.
    let mut p: Vec<(&str, f64)> = match name {
        "IF_curr_exp" | "IF_curr_alpha" => vec![
            ("cm", 1.0),
            ("tau_m", 20.0),
            ("tau_refrac", 0.1),
            ("tau_syn_E", 5.0),
            ("tau_syn_I", 5.0),
            ("v_rest", -65.0),
            ("v_reset", -65.0),
            ("v_thresh", -50.0),
            ("i_offset", 0.0),
        ],
        "IF_cond_exp" => vec![
            ("cm", 1.0),
            ("tau_m", 20.0),
            ("tau_refrac", 0.1),
            ("tau_syn_E", 5.0),
            ("tau_syn_I", 5.0),
            ("e_rev_E", 0.0),
            ("e_rev_I", -70.0),
            ("v_rest", -65.0),
            ("v_reset", -65.0),
            ("v_thresh", -50.0),
            ("i_offset", 0.0),
        ],
        "SpikeSourcePoisson" => vec![("rate", 1.0), ("start", 0.0), ("duration", 1e10)],
        other => {
            return Err(format!(
                "model_template `pynn:{other}` is not read (pynn:{} are)",
                PYNN_TEMPLATES.join(", pynn:")
            ));
        }
    };
    let mut fields: Vec<(&'static str, &mut f64)> = p.iter_mut().map(|(k, v)| (*k, v)).collect();
    let v_init = set_fields(template, &mut fields, params)?;
    drop(fields);
    let get = |k: &str| p.iter().find(|(n, _)| *n == k).map_or(0.0, |(_, v)| *v);
    let model = match name {
        "IF_curr_exp" | "IF_curr_alpha" => NeuronModel::LifCurrent(LifCurrent {
            c_m: get("cm") * 1e3,
            tau_m: get("tau_m"),
            e_l: get("v_rest"),
            v_th: get("v_thresh"),
            v_reset: get("v_reset"),
            t_ref: get("tau_refrac"),
            tau_syn_ex: get("tau_syn_E"),
            tau_syn_in: get("tau_syn_I"),
            i_e: get("i_offset") * 1e3,
            psc: if name == "IF_curr_alpha" { PscShape::Alpha } else { PscShape::Exponential },
        }),
        "IF_cond_exp" => NeuronModel::LifConductance(LifConductance {
            c_m: get("cm") * 1e3,
            g_l: get("cm") * 1e3 / get("tau_m"),
            e_l: get("v_rest"),
            v_th: get("v_thresh"),
            v_reset: get("v_reset"),
            t_ref: get("tau_refrac"),
            e_ex: get("e_rev_E"),
            e_in: get("e_rev_I"),
            tau_syn_ex: get("tau_syn_E"),
            tau_syn_in: get("tau_syn_I"),
            i_e: get("i_offset") * 1e3,
            ..LifConductance::default()
        }),
        _ => {
            if get("start") != 0.0 || get("duration") < 1e9 {
                return Err(format!(
                    "{template}: a Poisson source with a start or duration is not read (always on is)"
                ));
            }
            NeuronModel::PoissonSource { rate: get("rate") }
        }
    };
    Ok(NodeModel { model, v_init })
}

/// Sets each named parameter from `params`; `V_m` is the initial potential. A name the model does
/// not have, or a value that is not a finite number, is an error naming it.
fn set_fields(
    template: &str,
    fields: &mut [(&'static str, &mut f64)],
    params: &Map<String, Value>,
) -> Result<Option<f64>, String> {
    let mut v_init = None;
    for (key, value) in params {
        let number = value
            .as_f64()
            .filter(|v| v.is_finite())
            .ok_or_else(|| format!("dynamics_params `{key}`: {value} is not a finite number"))?;
        if key == "V_m" {
            v_init = Some(number);
            continue;
        }
        match fields.iter_mut().find(|(k, _)| k == key) {
            Some((_, field)) => **field = number,
            None => {
                let known: Vec<&str> = fields.iter().map(|(k, _)| *k).collect();
                return Err(format!(
                    "dynamics_params `{key}` is not a parameter of {template} here (known: {}, V_m)",
                    known.join(", ")
                ));
            }
        }
    }
    Ok(v_init)
}

/// The template and parameters a node type of `model` is written with.
pub fn template_for(model: &NeuronModel) -> (String, Map<String, Value>) {
    if let Some((name, params)) = nest_model(model) {
        let map = params.into_iter().map(|(k, v)| (k.to_string(), Value::from(v))).collect();
        return (format!("nest:{name}"), map);
    }
    let tagged = serde_json::to_value(model).expect("a model always serialises");
    let inner = match tagged {
        Value::Object(m) => m.into_iter().next().map(|(_, v)| v),
        _ => None,
    };
    let params = match inner {
        Some(Value::Object(p)) => p,
        _ => Map::new(),
    };
    (format!("{OWN_PREFIX}{}", model.name()), params)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::models::{Izhikevich, Izhikevich2007};

    #[test]
    fn every_model_reads_back_from_the_template_it_is_written_with() {
        let models = [
            NeuronModel::LifCurrent(LifCurrent { tau_m: 20.0, ..LifCurrent::default() }),
            NeuronModel::LifCurrent(LifCurrent { psc: PscShape::Alpha, ..LifCurrent::default() }),
            NeuronModel::LifConductance(LifConductance { g_l: 10.0, ..LifConductance::default() }),
            NeuronModel::LifConductance(LifConductance {
                tau_rise_ex: 0.5,
                tau_rise_in: 1.0,
                ..LifConductance::default()
            }),
            NeuronModel::LifConductance(LifConductance { tau_rise_in: 1.0, ..LifConductance::default() }),
            NeuronModel::Izhikevich(Izhikevich { d: 2.0, ..Izhikevich::default() }),
            NeuronModel::AdEx(AdEx { b: 0.0, ..AdEx::default() }),
            NeuronModel::Izhikevich2007(Izhikevich2007 { k: 1.2, ..Izhikevich2007::default() }),
            NeuronModel::PoissonSource { rate: 12.5 },
        ];
        for m in models {
            let (template, params) = template_for(&m);
            assert_eq!(model_for(&template, &params).unwrap().model, m, "{template}");
        }
    }

    #[test]
    fn nest_names_set_fields_and_unknown_ones_are_refused() {
        let params: Map<String, Value> =
            serde_json::from_str(r#"{"C_m": 239.0, "tau_m": 44.9, "V_th": -43.0, "V_m": -60.0}"#).unwrap();
        let m = model_for("nest:iaf_psc_alpha", &params).unwrap();
        let NeuronModel::LifCurrent(p) = &m.model else { panic!("{m:?}") };
        assert_eq!((p.c_m, p.tau_m, p.v_th, p.psc), (239.0, 44.9, -43.0, PscShape::Alpha));
        assert_eq!(m.v_init, Some(-60.0));
        let bad: Map<String, Value> = serde_json::from_str(r#"{"tau_minus": 20.0}"#).unwrap();
        let e = model_for("nest:iaf_psc_exp", &bad).unwrap_err();
        assert!(e.contains("tau_minus") && e.contains("C_m"), "{e}");
        let e = model_for("nest:aeif_cond_exp", &Map::new()).unwrap_err();
        assert!(e.contains("nest:aeif_psc_exp"), "{e}");
        let adex: Map<String, Value> = serde_json::from_str(r#"{"b": 0.0, "V_th": -52.0}"#).unwrap();
        let NeuronModel::AdEx(p) = model_for("nest:aeif_psc_exp", &adex).unwrap().model else { panic!() };
        assert_eq!((p.b, p.v_t, p.v_peak, p.tau_syn_ex), (0.0, -52.0, 0.0, 0.2), "NEST's names and defaults");
        let e = model_for("nest:izhikevich", &Map::new()).unwrap_err();
        assert!(e.contains("delta synapses"), "{e}");
        let e = model_for("nrn:IntFire1", &Map::new()).unwrap_err();
        assert!(e.contains("nrn:IntFire1"), "{e}");
    }
}
