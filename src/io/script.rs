//! What the simulator scripts (`nest_script`, `pynn_script`) share: the list of what a network
//! holds that the target tool cannot take, the docstring header naming it, and number lists.

use std::fmt::Write;

use crate::engine::Simulation;
use crate::sim::Input;

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
    out
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
