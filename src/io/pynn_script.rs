//! A network as a PyNN script (PyNN 0.12+, any backend: `--simulator nest`, `neuron`, `brian2`,
//! or `mock` to check it builds): populations with their cell types, parameters in PyNN's units
//! (nF, nA, µS; currents signed, conductances as magnitudes with their receptor) and current
//! potentials, every synapse through a `FromListConnector` per pair of
//! populations and receptor, the inputs as PyNN sources, and every spike written back as
//! `time_ms,neuron` with our neuron ids (the CSV `neuroplast run --spikes` writes). What PyNN
//! cannot take from the network is listed in the header and returned.

use std::collections::BTreeMap;
use std::fmt::Write;

use super::script::{conductance_state, header, list, not_expressed};
use crate::engine::Simulation;
use crate::sim::{Input, NeuronModel, PopulationId, PscShape};

/// The script, and what it leaves out.
pub struct PynnScript {
    /// The Python text.
    pub text: String,
    /// What the network has that the script does not express.
    pub left_out: Vec<String>,
}

/// PyNN's cell type with its parameters, and whether it takes conductances.
fn cell_type(model: &NeuronModel) -> Result<(String, bool), String> {
    Ok(match model {
        NeuronModel::LifCurrent(p) => (
            format!(
                "sim.{}(cm={}, tau_m={}, v_rest={}, v_thresh={}, v_reset={}, tau_refrac={}, tau_syn_E={}, tau_syn_I={}, i_offset={})",
                if p.psc == PscShape::Alpha { "IF_curr_alpha" } else { "IF_curr_exp" },
                p.c_m * 1e-3,
                p.tau_m,
                p.e_l,
                p.v_th,
                p.v_reset,
                p.t_ref,
                p.tau_syn_ex,
                p.tau_syn_in,
                p.i_e * 1e-3
            ),
            false,
        ),
        NeuronModel::LifConductance(p) if p.has_rise() => {
            return Err("LifConductance with rise times has no PyNN standard cell type (IF_cond_exp jumps; NEST's \
                 iaf_cond_beta takes it: export --to nest)"
                .into());
        }
        NeuronModel::LifConductance(p) => (
            format!(
                "sim.IF_cond_exp(cm={}, tau_m={}, v_rest={}, v_thresh={}, v_reset={}, tau_refrac={}, e_rev_E={}, e_rev_I={}, tau_syn_E={}, tau_syn_I={}, i_offset={})",
                p.c_m * 1e-3,
                p.c_m / p.g_l,
                p.e_l,
                p.v_th,
                p.v_reset,
                p.t_ref,
                p.e_ex,
                p.e_in,
                p.tau_syn_ex,
                p.tau_syn_in,
                p.i_e * 1e-3
            ),
            true,
        ),
        NeuronModel::PoissonSource { rate } => (format!("sim.SpikeSourcePoisson(rate={rate})"), false),
        other => {
            return Err(format!(
                "{} has no PyNN standard cell type here (LifCurrent, LifConductance and PoissonSource export)",
                other.name()
            ));
        }
    })
}

/// A numpy array literal.
fn array<T: std::fmt::Display>(values: impl IntoIterator<Item = T>) -> String {
    format!("np.array({})", list(values))
}

/// Writes the script for `sim` (its current state is where PyNN starts).
pub fn pynn_script(sim: &Simulation, label: &str) -> Result<PynnScript, String> {
    let net = &sim.network;
    let dt = net.dt_ms();
    let left_out = not_expressed(sim, Some("no PyNN standard model"));
    // Each neuron's population and index within it.
    let mut local = vec![(0usize, 0usize); net.num_neurons()];
    let mut members: Vec<Vec<u32>> = Vec::new();
    for p in 0..net.populations.len() {
        let ids: Vec<u32> = net.population_neurons(PopulationId(p as u16)).collect();
        for (k, &i) in ids.iter().enumerate() {
            local[i as usize] = (p, k);
        }
        members.push(ids);
    }
    let mut s = String::new();
    let run = "[--simulator nest|neuron|brian2|mock] [--duration-ms 1000] [--seed S] [--spikes spikes.csv]";
    header(&mut s, sim, label, "PyNN", run, &left_out);
    let _ = writeln!(s, "import argparse\nimport importlib\n\nimport numpy as np\n");
    let _ = writeln!(s, "ap = argparse.ArgumentParser()");
    let _ = writeln!(s, "ap.add_argument(\"--simulator\", default=\"nest\")");
    let _ = writeln!(s, "ap.add_argument(\"--duration-ms\", type=float, default=1000.0)");
    let _ = writeln!(s, "ap.add_argument(\"--spikes\", default=\"spikes.csv\")");
    let _ = writeln!(s, "ap.add_argument(\"--seed\", type=int, default={})", net.seed());
    let _ = writeln!(s, "a = ap.parse_args()");
    let _ = writeln!(s, "sim = importlib.import_module(\"pyNN.\" + a.simulator)");
    let _ = writeln!(s, "extra = {{\"rng_seed\": a.seed}} if a.simulator == \"nest\" else {{}}");
    let _ = writeln!(s, "sim.setup(timestep={dt}, min_delay={dt}, **extra)\n");
    let _ = writeln!(s, "def gsyn(us):");
    let _ = writeln!(
        s,
        "    \"\"\"Initial conductances in uS. PyNN 0.13's NEST backend sets initial values without its uS -> nS\n    scale (pyNN/nest/populations.py, _set_initial_value_array), so it is given nS.\"\"\""
    );
    let _ = writeln!(s, "    return us * 1e3 if a.simulator == \"nest\" else us\n");
    let _ = writeln!(s, "# Populations; ids[p][k] is the Neuroplast id of neuron k of population p.");
    let _ = writeln!(s, "pops, ids = [], []");
    let mut conductance = Vec::new();
    for (p, pop) in net.populations.iter().enumerate() {
        let (cell, g) = cell_type(&pop.model).map_err(|e| format!("population {}: {e}", pop.name))?;
        conductance.push(g);
        let ids = &members[p];
        if matches!(pop.model, NeuronModel::PoissonSource { .. }) {
            let _ = writeln!(s, "pops.append(sim.Population({}, {cell}, label={:?}))", ids.len(), pop.name);
        } else {
            let v = ids.iter().map(|&i| net.neurons.v[i as usize]);
            // PyNN names the conductances gsyn_exc, gsyn_inh, in µS.
            let mut initial = format!("\"v\": {}", array(v));
            let members: Vec<usize> = ids.iter().map(|&i| i as usize).collect();
            for (name, values) in conductance_state(&pop.model, &net.neurons, &members) {
                let pynn = if name == "g_ex" { "gsyn_exc" } else { "gsyn_inh" };
                let _ = write!(initial, ", \"{pynn}\": gsyn({})", array(values.iter().map(|g| g * 1e-3)));
            }
            let _ = writeln!(
                s,
                "pops.append(sim.Population({}, {cell}, initial_values={{{initial}}}, label={:?}))",
                ids.len(),
                pop.name
            );
        }
        let _ = writeln!(s, "ids.append({})", array(ids.iter()));
    }
    // Synapses per (source, target, receptor). PyNN takes conductances as magnitudes (the receptor
    // gives the sign) and currents signed, inhibitory ones negative.
    let syn = &net.synapses;
    let mut groups: BTreeMap<(usize, usize, bool), Vec<(usize, usize, f64, f64)>> = BTreeMap::new();
    for pre in 0..net.num_neurons() as u32 {
        for k in syn.row(crate::sim::NeuronId(pre)) {
            let post = syn.post(k).index();
            let ((ps, i), (pt, j)) = (local[pre as usize], local[post]);
            let inhibitory = syn.target[k] & 1 == 1;
            let w = f64::from(syn.weight[k]) * 1e-3;
            let w = if conductance[pt] { w.abs() } else { w };
            let d = (f64::from(syn.delay_steps(k)) + 1.0) * dt;
            groups.entry((ps, pt, inhibitory)).or_default().push((i, j, w, d));
        }
    }
    let _ = writeln!(s, "\n# Synapses (weights in nA or uS; delay = ours + one step, as in NEST).");
    for ((ps, pt, inhibitory), list) in groups {
        let column = |f: fn(&(usize, usize, f64, f64)) -> String| array(list.iter().map(f));
        let _ = writeln!(
            s,
            "sim.Projection(pops[{ps}], pops[{pt}], sim.FromListConnector(np.column_stack([{}, {}, {}, {}]), column_names=[\"weight\", \"delay\"]), sim.StaticSynapse(), receptor_type={:?})",
            column(|c| c.0.to_string()),
            column(|c| c.1.to_string()),
            column(|c| c.2.to_string()),
            column(|c| c.3.to_string()),
            if inhibitory { "inhibitory" } else { "excitatory" }
        );
    }
    let _ = writeln!(s, "\n# Inputs.");
    let now = net.step_count();
    let view = |targets: &[u32]| {
        let (p, _) = local[targets[0] as usize];
        let ks: Vec<usize> = targets.iter().map(|&t| local[t as usize].1).collect();
        (p, format!("pops[{p}][{}]", array(ks)))
    };
    for input in &net.inputs {
        match input {
            Input::Poisson(p) if !p.targets.is_empty() => {
                let (pop, v) = view(&p.targets);
                let w = if conductance[pop] { f64::from(p.weight).abs() * 1e-3 } else { f64::from(p.weight) * 1e-3 };
                let receptor = if p.receptor.index() == 1 { "inhibitory" } else { "excitatory" };
                let _ = writeln!(
                    s,
                    "sim.Projection(sim.Population({}, sim.SpikeSourcePoisson(rate={})), {v}, sim.OneToOneConnector(), sim.StaticSynapse(weight={w}, delay={dt}), receptor_type={receptor:?})",
                    p.targets.len(),
                    p.lambda / (dt * 1e-3)
                );
            }
            Input::Current(c) if !c.targets.is_empty() => {
                let (_, v) = view(&c.targets);
                let start = c.start_step.saturating_sub(now) as f64 * dt;
                let stop = c.stop_step.map_or("1e12".to_string(), |t| (t.saturating_sub(now) as f64 * dt).to_string());
                let _ = writeln!(
                    s,
                    "sim.DCSource(amplitude={}, start={start}, stop={stop}).inject_into({v})",
                    c.amplitude_pa * 1e-3
                );
            }
            Input::SpikeList(l) => {
                for &(step, t) in &l.events[l.cursor..] {
                    let (p, k) = local[t as usize];
                    let w = if conductance[p] { f64::from(l.weight).abs() * 1e-3 } else { f64::from(l.weight) * 1e-3 };
                    let receptor = if l.receptor.index() == 1 { "inhibitory" } else { "excitatory" };
                    let time = (step.saturating_sub(now) as f64 + 1.0) * dt;
                    let _ = writeln!(
                        s,
                        "sim.Projection(sim.Population(1, sim.SpikeSourceArray(spike_times=[{time}])), pops[{p}][[{k}]], sim.AllToAllConnector(), sim.StaticSynapse(weight={w}, delay={dt}), receptor_type={receptor:?})"
                    );
                }
            }
            _ => {}
        }
    }
    let _ = writeln!(s, "\nfor pop in pops:\n    pop.record(\"spikes\")");
    let _ = writeln!(s, "sim.run(a.duration_ms)");
    let _ = writeln!(s, "rows = []");
    let _ = writeln!(s, "for pop, id_of in zip(pops, ids):");
    let _ = writeln!(s, "    for k, train in enumerate(pop.get_data(\"spikes\").segments[0].spiketrains):");
    let _ = writeln!(s, "        rows.extend((float(t), int(id_of[k])) for t in train.magnitude)");
    let _ = writeln!(s, "with open(a.spikes, \"w\") as f:\n    f.write(\"time_ms,neuron\\n\")");
    let _ = writeln!(s, "    for t, n in sorted(rows):\n        f.write(f\"{{t:.4f}},{{n}}\\n\")");
    let _ = writeln!(s, "sim.end()");
    Ok(PynnScript { text: s, left_out })
}
