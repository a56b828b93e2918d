//! A network as a standalone PyNEST script (NEST 3): the same neurons with their parameters and
//! initial potentials, every synapse as explicit connection arrays (weights in pA or nS, delays
//! in NEST's convention: ours + one step), the inputs as NEST generators, and every spike recorded
//! through NEST's ascii backend. Creation, connection and recording are rank-agnostic, so the
//! script runs unchanged under `mpirun -np N python scene_nest.py`. What NEST cannot express from
//! the network (plasticity and growth rules, gap junctions on these models, reward pulses) is
//! listed in the script's header and returned, never dropped silently.

use std::collections::BTreeMap;
use std::fmt::Write;

use super::script::{conductance_state, header, list, not_expressed};
use crate::engine::Simulation;
use crate::sim::{Input, NeuronModel};

/// The script, and what it leaves out.
pub struct NestScript {
    /// The Python text.
    pub text: String,
    /// What the network has that the script does not express.
    pub left_out: Vec<String>,
}

/// NEST's model and parameter dictionary for one of ours; `None` for a source (parrot neurons).
fn nest_model(model: &NeuronModel) -> Result<(&'static str, Option<String>), String> {
    if let NeuronModel::PoissonSource { .. } = model {
        return Ok(("parrot_neuron", None));
    }
    let Some((name, params)) = crate::sonata::templates::nest_model(model) else {
        return Err(format!(
            "{} has no exact NEST counterpart here (LifCurrent, LifConductance, AdEx and PoissonSource export)",
            model.name()
        ));
    };
    let dict: Vec<String> = params.iter().map(|(k, v)| format!("\"{k}\": {v}")).collect();
    Ok((name, Some(format!("{{{}}}", dict.join(", ")))))
}

/// Writes the script for `sim` (built, possibly run: its current state is what NEST starts from).
pub fn pynest_script(sim: &Simulation, label: &str) -> Result<NestScript, String> {
    let net = &sim.network;
    let dt = net.dt_ms();
    let left_out = not_expressed(sim, Some("NEST couples only its *_gap models"));
    let mut s = String::new();
    header(
        &mut s,
        sim,
        label,
        "NEST",
        "[--duration-ms 1000] [--seed 1] [--out-dir .] [--threads 1] [--record-v N]  (also under mpirun -np N).",
        &left_out,
    );
    let _ = writeln!(s, "import argparse\n\nimport nest\nimport numpy as np\n");
    let _ = writeln!(s, "ap = argparse.ArgumentParser()");
    let _ = writeln!(s, "ap.add_argument(\"--duration-ms\", type=float, default=1000.0)");
    let _ = writeln!(s, "ap.add_argument(\"--seed\", type=int, default={})", net.seed());
    let _ = writeln!(s, "ap.add_argument(\"--out-dir\", default=\".\")");
    let _ = writeln!(s, "ap.add_argument(\"--threads\", type=int, default=1)");
    let _ = writeln!(
        s,
        "ap.add_argument(\"--record-v\", type=int, default=0, help=\"V_m of the first N neurons, every step, to <out-dir>/multimeter-*.dat\")"
    );
    let _ = writeln!(s, "a = ap.parse_args()\n");
    let _ = writeln!(s, "nest.ResetKernel()");
    let _ = writeln!(s, "nest.verbosity = nest.VerbosityLevel.ERROR");
    let _ = writeln!(
        s,
        "nest.SetKernelStatus({{\"resolution\": {dt}, \"rng_seed\": a.seed, \"data_path\": a.out_dir, \"overwrite_files\": True, \"local_num_threads\": a.threads}})\n"
    );
    // Neurons in our id order, so NEST's node id is ours + 1.
    let _ = writeln!(s, "# Neurons, in Neuroplast's id order (NEST id = Neuroplast id + 1).");
    let mut poisson_sources = Vec::new();
    for seg in &net.segments {
        let pop = &net.populations[seg.population.index()];
        let (model, params) = nest_model(&pop.model).map_err(|e| format!("population {}: {e}", pop.name))?;
        let n = seg.end - seg.start;
        match params {
            Some(p) => {
                let _ = writeln!(s, "seg = nest.Create(\"{model}\", {n}, params={p})");
                let v = (seg.start..seg.end).map(|i| net.neurons.v[i as usize]);
                let _ = writeln!(s, "seg.V_m = {}", list(v));
                let ids: Vec<usize> = (seg.start as usize..seg.end as usize).collect();
                for (name, values) in conductance_state(&pop.model, &net.neurons, &ids) {
                    let _ = writeln!(s, "seg.{name} = {}", list(values));
                }
            }
            None => {
                let _ = writeln!(s, "nest.Create(\"{model}\", {n})");
                if let NeuronModel::PoissonSource { rate } = pop.model {
                    poisson_sources.push((seg.start, seg.end, rate));
                }
            }
        }
    }
    let _ = writeln!(s, "neurons = nest.NodeCollection(list(range(1, {} + 1)))\n", net.num_neurons());
    for (a, b, rate) in poisson_sources {
        let _ = writeln!(
            s,
            "nest.Connect(nest.Create(\"poisson_generator\", params={{\"rate\": {rate}}}), neurons[{a}:{b}], \"all_to_all\")"
        );
    }
    // Synapses grouped by delay, with per-synapse weights (a conductance's inhibitory receptor is
    // NEST's negative weight).
    let conductance = |post: usize| {
        matches!(net.populations[net.neurons.population[post].index()].model, NeuronModel::LifConductance(_))
    };
    let syn = &net.synapses;
    let mut groups: BTreeMap<u16, (Vec<u32>, Vec<u32>, Vec<f32>)> = BTreeMap::new();
    for pre in 0..net.num_neurons() as u32 {
        for k in syn.row(crate::sim::NeuronId(pre)) {
            let post = syn.post(k).0;
            let inhibitory = syn.target[k] & 1 == 1;
            let w = syn.weight[k];
            let w = if inhibitory && conductance(post as usize) { -w.abs() } else { w };
            let g = groups.entry(syn.delay_steps(k)).or_default();
            g.0.push(pre + 1);
            g.1.push(post + 1);
            g.2.push(w);
        }
    }
    let _ = writeln!(s, "\n# Synapses, grouped by delay.");
    for (d, (pre, post, w)) in groups {
        let _ = writeln!(
            s,
            "w = np.array({}, dtype=float)\nnest.Connect(np.array({}), np.array({}), \"one_to_one\", syn_spec={{\"weight\": w, \"delay\": np.full(len(w), {})}})",
            list(w),
            list(pre),
            list(post),
            (d as f64 + 1.0) * dt
        );
    }
    let _ = writeln!(s, "\n# Inputs.");
    let now = net.step_count();
    for input in &net.inputs {
        let targets = |t: &[u32]| format!("nest.NodeCollection({})", list(t.iter().map(|i| i + 1)));
        match input {
            Input::Poisson(p) => {
                let rate = p.lambda / (dt * 1e-3);
                let w = if p.receptor.index() == 1 && p.targets.first().is_some_and(|&t| conductance(t as usize)) {
                    -p.weight.abs()
                } else {
                    p.weight
                };
                let _ = writeln!(
                    s,
                    "nest.Connect(nest.Create(\"poisson_generator\", params={{\"rate\": {rate}}}), {}, syn_spec={{\"weight\": {w}, \"delay\": {dt}}})",
                    targets(&p.targets)
                );
            }
            Input::Current(c) => {
                let start = c.start_step.saturating_sub(now) as f64 * dt;
                let stop = c
                    .stop_step
                    .map_or("float(\"inf\")".to_string(), |t| (t.saturating_sub(now) as f64 * dt).to_string());
                let _ = writeln!(
                    s,
                    "nest.Connect(nest.Create(\"dc_generator\", params={{\"amplitude\": {}, \"start\": {start}, \"stop\": {stop}}}), {})",
                    c.amplitude_pa,
                    targets(&c.targets)
                );
            }
            Input::SpikeList(l) => {
                let mut by_target: BTreeMap<u32, Vec<f64>> = BTreeMap::new();
                for &(step, t) in &l.events[l.cursor..] {
                    by_target.entry(t).or_default().push((step.saturating_sub(now) as f64 + 1.0) * dt);
                }
                for (t, times) in by_target {
                    let _ = writeln!(
                        s,
                        "nest.Connect(nest.Create(\"spike_generator\", params={{\"spike_times\": {}}}), neurons[{t}:{}], syn_spec={{\"weight\": {}, \"delay\": {dt}}})",
                        list(times),
                        t + 1,
                        l.weight
                    );
                }
            }
            Input::Reward(_) => {}
        }
    }
    let _ = writeln!(s, "\n# Every spike, to <out-dir>/spikes-*.dat (NEST's ascii backend, one file per rank).");
    let _ = writeln!(
        s,
        "rec = nest.Create(\"spike_recorder\", params={{\"record_to\": \"ascii\", \"label\": \"spikes\"}})"
    );
    let _ = writeln!(s, "nest.Connect(neurons, rec)");
    let _ = writeln!(s, "if a.record_v > 0:");
    let _ = writeln!(
        s,
        "    mm = nest.Create(\"multimeter\", params={{\"record_from\": [\"V_m\"], \"interval\": {dt}, \"record_to\": \"ascii\", \"label\": \"multimeter\"}})"
    );
    let _ = writeln!(s, "    nest.Connect(mm, neurons[:a.record_v])");
    let _ = writeln!(s, "nest.Simulate(a.duration_ms)");
    Ok(NestScript { text: s, left_out })
}
