//! What the simulator scripts (`nest_script`, `pynn_script`) share: the list of what a network
//! holds that the target tool cannot take, the docstring header naming it, and number lists.

use std::fmt::Write;

use crate::engine::Simulation;
use crate::sim::{Input, NeuronModel, Neurons, SynapseKind, beta_drive};

/// What `sim` holds that a simulator script does not express (`gaps` says why couplings cannot
/// go; `None` when they can), each a line for the header and the command's output.
pub(super) fn not_expressed(sim: &Simulation, gaps: Option<&str>) -> Vec<String> {
    let net = &sim.network;
    let mut out: Vec<String> = sim
        .synaptic
        .iter()
        .map(|b| format!("plasticity {} on {}: weights stay as exported", b.params().name(), b.label()))
        .collect();
    out.extend(sim.structural.iter().map(|r| format!("{}: the structure stays as exported", r.name())));
    if !sim.intrinsic.is_empty() {
        out.push("intrinsic plasticity: thresholds stay as exported".into());
    }
    if net.inputs.iter().any(|i| matches!(i, Input::Reward(_))) {
        out.push("reward pulses (no plasticity to modulate)".into());
    }
    if let Some(gaps) = gaps
        && !net.gap_junctions.partner.is_empty()
    {
        out.push(format!("{} gap junctions ({gaps})", net.gap_junctions.partner.len() / 2));
    }
    // NEST's iaf_psc_* cannot set their synaptic currents (and PyNN's NEST backend neither): they
    // start at 0. Conductances are set (see the scripts).
    let n = &net.neurons;
    let current_held = (0..net.num_neurons())
        .filter(|&i| {
            let current = net.populations[n.population[i].index()].model.synapse_kind() == SynapseKind::Current;
            current && [n.syn_ex[i], n.syn_in[i], n.psc_ex[i], n.psc_in[i]].iter().any(|x| *x != 0.0)
        })
        .count();
    if current_held > 0 {
        out.push(format!("the synaptic currents {current_held} neurons hold now (they start at 0)"));
    }
    out
}

/// The conductances (nS) neurons `ids` of a conductance-based population of `model` hold now,
/// under NEST's names (`g_ex`, `g_in`, and for rising conductances `dg_ex`, `dg_in` in nS/ms); empty
/// where all are 0 or the model has none.
pub(super) fn conductance_state(model: &NeuronModel, n: &Neurons, ids: &[usize]) -> Vec<(&'static str, Vec<f64>)> {
    let NeuronModel::LifConductance(p) = model else { return Vec::new() };
    let of = |col: &[f64], factor: f64| ids.iter().map(|&i| col[i] * factor).collect::<Vec<f64>>();
    let state = if p.has_rise() {
        vec![
            ("g_ex", of(&n.psc_ex, 1.0)),
            ("dg_ex", of(&n.syn_ex, if p.tau_rise_ex > 0.0 { beta_drive(p.tau_rise_ex, p.tau_syn_ex) } else { 0.0 })),
            ("g_in", of(&n.psc_in, 1.0)),
            ("dg_in", of(&n.syn_in, if p.tau_rise_in > 0.0 { beta_drive(p.tau_rise_in, p.tau_syn_in) } else { 0.0 })),
        ]
    } else {
        vec![("g_ex", of(&n.syn_ex, 1.0)), ("g_in", of(&n.syn_in, 1.0))]
    };
    state.into_iter().filter(|(_, v)| v.iter().any(|x| *x != 0.0)).collect()
}

/// The script's docstring: what it is, how to run it, and what it leaves out.
pub(super) fn header(s: &mut String, sim: &Simulation, label: &str, tool: &str, run: &str, left_out: &[String]) {
    let net = &sim.network;
    let _ = writeln!(s, "#!/usr/bin/env python3");
    let _ = writeln!(s, "\"\"\"{label}: written by `neuroplast export` for {tool}.");
    let _ = writeln!(s, "{} neurons, {} synapses, dt {} ms.", net.num_neurons(), net.num_synapses(), net.dt_ms());
    let _ = writeln!(s, "Run: python3 THIS.py {run}");
    if left_out.is_empty() {
        let _ = writeln!(s, "Everything in the network is expressed.");
    } else {
        let _ = writeln!(s, "Not expressed in {tool}:");
        for l in left_out {
            let _ = writeln!(s, "  - {l}");
        }
    }
    let _ = writeln!(s, "\"\"\"\n");
}

/// `values` as a bracketed, comma-separated Python list.
pub(super) fn list<T: std::fmt::Display>(values: impl IntoIterator<Item = T>) -> String {
    let mut s = String::from("[");
    for (k, v) in values.into_iter().enumerate() {
        if k > 0 {
            s.push(',');
        }
        let _ = write!(s, "{v}");
    }
    s.push(']');
    s
}
