//! External drive: injected currents, Poisson inputs, spike lists and reward pulses, each aimed at
//! a population or listed neurons of one.

use std::ops::Range;

use super::values::input_weight;
use super::{Result, population_index};
use crate::scene::error::Problem;
use crate::scene::format::{InputSpec, SceneFile};
use crate::sim::{CurrentInput, Dim, Input, Network, NeuronModel, PoissonInput, Quantity, RewardInput, SpikeListInput};

/// Adds the scene's inputs to `net`, whose populations occupy `ranges`.
pub(super) fn add_inputs(scene: &SceneFile, net: &mut Network, ranges: &[Range<u32>], dt: f64) -> Result<()> {
    for (i, input) in scene.inputs.iter().enumerate() {
        let path = format!("inputs[{i}]");
        let select = |target: &str, neurons: &Option<Vec<u32>>| -> Result<(usize, Vec<u32>)> {
            let p = population_index(scene, target, format!("{path}.target"))?;
            let r = ranges[p].clone();
            let ids = match neurons {
                None => r.collect(),
                Some(list) => {
                    if let Some(bad) = list.iter().find(|&&k| k >= r.end - r.start) {
                        return Err(Problem::at(
                            format!("{path}.neurons"),
                            format!("index {bad} is outside population `{target}` ({} neurons)", r.end - r.start),
                        ));
                    }
                    list.iter().map(|k| r.start + k).collect()
                }
            };
            Ok((p, ids))
        };
        let steps_of = |q: &Quantity, field: &str| -> Result<u64> {
            let t = q.expect(Dim::Time).map_err(|m| Problem::at(format!("{path}.{field}"), m))?;
            if !(t.is_finite() && t >= 0.0) {
                return Err(Problem::at(format!("{path}.{field}"), format!("must be a time >= 0, got {t} ms")));
            }
            Ok((t / dt).round() as u64)
        };
        let built = match input {
            InputSpec::Current { target, neurons, amplitude, start, stop } => {
                let (p, targets) = select(target, neurons)?;
                let model = &scene.populations[p].model;
                if model.synapse_kind() == crate::sim::SynapseKind::None {
                    return Err(Problem::at(format!("{path}.target"), super::membrane_less(model)));
                }
                let amp = match (&scene.populations[p].model, amplitude.dim) {
                    (NeuronModel::Izhikevich(_), Dim::Dimensionless) => Ok(amplitude.value),
                    _ => amplitude.expect(Dim::Current),
                }
                .map_err(|m| Problem::at(format!("{path}.amplitude"), m))?;
                if !amp.is_finite() {
                    return Err(Problem::at(format!("{path}.amplitude"), format!("{amp} is not a finite number")));
                }
                let start_step = start.as_ref().map(|q| steps_of(q, "start")).transpose()?.unwrap_or(0);
                let stop_step = stop.as_ref().map(|q| steps_of(q, "stop")).transpose()?;
                if stop_step.is_some_and(|s| s < start_step) {
                    return Err(Problem::at(format!("{path}.stop"), "stops before it starts"));
                }
                Input::Current(CurrentInput { targets, amplitude_pa: amp, start_step, stop_step })
            }
            InputSpec::Poisson { target, neurons, sources, rate, weight, receptor } => {
                let (p, targets) = select(target, neurons)?;
                let rate_hz = rate.expect(Dim::Rate).map_err(|m| Problem::at(format!("{path}.rate"), m))?;
                if !(rate_hz.is_finite() && rate_hz >= 0.0) {
                    return Err(Problem::at(format!("{path}.rate"), format!("must be a rate >= 0, got {rate_hz} Hz")));
                }
                let w = input_weight(&scene.populations[p].model, weight)
                    .map_err(|m| Problem::at(format!("{path}.weight"), m))?;
                Input::Poisson(PoissonInput {
                    targets,
                    lambda: *sources as f64 * rate_hz * dt * 1e-3,
                    weight: w,
                    receptor: *receptor,
                })
            }
            InputSpec::Reward { times, amount } => {
                if !amount.is_finite() {
                    return Err(Problem::at(format!("{path}.amount"), format!("{amount} is not a finite number")));
                }
                let mut events = Vec::with_capacity(times.len());
                for (k, t) in times.iter().enumerate() {
                    events.push((steps_of(t, &format!("times[{k}]"))?, *amount));
                }
                events.sort_by_key(|e| e.0);
                Input::Reward(RewardInput { events, cursor: 0 })
            }
            InputSpec::SpikeTimes { target, spikes, weight, receptor } => {
                let (p, ids) = select(target, &None)?;
                let w = input_weight(&scene.populations[p].model, weight)
                    .map_err(|m| Problem::at(format!("{path}.weight"), m))?;
                let mut events = Vec::with_capacity(spikes.len());
                for (k, (idx, t)) in spikes.iter().enumerate() {
                    let id = *ids.get(*idx as usize).ok_or_else(|| {
                        Problem::at(
                            format!("{path}.spikes[{k}]"),
                            format!("index {idx} is outside population `{target}`"),
                        )
                    })?;
                    // A spike at time t enters the synaptic variables at t: the end of step t/dt − 1.
                    let step = steps_of(t, &format!("spikes[{k}]"))?.max(1) - 1;
                    events.push((step, id));
                }
                events.sort_by_key(|e| e.0);
                Input::SpikeList(SpikeListInput { events, weight: w, receptor: *receptor, cursor: 0 })
            }
        };
        net.add_input(built).map_err(|e| Problem::at(&path, e.to_string()))?;
    }
    Ok(())
}
