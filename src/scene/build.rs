//! Turning a parsed scene into a [`Simulation`]: layouts, initial state, connectivity (generated in
//! parallel and deterministically from counter-based draws), gap junctions and inputs.

use rayon::prelude::*;

use super::error::Problem;
use super::format::{
    Connectivity, Dist, InputSpec, Layout, NeurogenesisSpec, SCENE_VERSION, SceneFile, StructuralSpec,
};
use crate::engine::{IntrinsicBinding, Simulation};
use crate::growth::attention::{AttentionEdges, AttentionParams};
use crate::growth::granet::Pruning;
use crate::growth::msp::{Calcium, ElementSpec, Msp, MspPopulation, MspSynapseModel};
use crate::growth::neurogenesis::Neurogenesis;
use crate::sim::rng::{CounterRng, stream};
use crate::sim::rule::Scope;
use crate::sim::{
    CurrentInput, Dim, Input, Network, NeuronModel, PoissonInput, PopulationId, Quantity, Receptor, RewardInput,
    SpikeListInput, SynapseKind, Synapses,
};

/// Source neurons handled per parallel work item when generating synapses.
const BUILD_CHUNK: usize = 1024;

type Result<T> = std::result::Result<T, Problem>;

/// Builds the simulation a scene describes (its network and rules); `seed` overrides the scene's
/// seed.
pub fn build_simulation(scene: &SceneFile, seed: Option<u64>) -> Result<Simulation> {
    if scene.version != SCENE_VERSION {
        return Err(Problem::at(
            "version",
            format!("version {} is not supported (this build reads {SCENE_VERSION})", scene.version),
        ));
    }
    let dt = scene.dt.expect(Dim::Time).map_err(|m| Problem::at("dt", m))?;
    if !(dt.is_finite() && dt > 0.0) {
        return Err(Problem::at("dt", format!("must be a positive time, got {dt} ms")));
    }
    let seed = seed.unwrap_or(scene.seed);
    let mut net = Network::new(dt, seed).map_err(|e| Problem::at("dt", e.to_string()))?;
    if scene.populations.is_empty() {
        return Err(Problem::at("populations", "a scene needs at least one population"));
    }

    let mut ranges = Vec::new();
    let (mut intrinsics, mut divisions) = (Vec::new(), Vec::new());
    for (i, pop) in scene.populations.iter().enumerate() {
        let path = format!("populations[{i}]");
        if scene.populations[..i].iter().any(|p| p.name == pop.name) {
            return Err(Problem::at(format!("{path}.name"), format!("population `{}` is defined twice", pop.name)));
        }
        if pop.size == 0 {
            return Err(Problem::at(format!("{path}.size"), "a population needs at least one neuron"));
        }
        pop.model.validate().map_err(|e| Problem::at(format!("{path}.model.{}", e.param), e.to_string()))?;
        let first = net.num_neurons() as u64;
        let positions = layout_positions(&pop.layout, pop.size, seed, first)
            .map_err(|m| Problem::at(format!("{path}.layout"), m))?;
        let kind = pop.model.synapse_kind();
        let v_dist = pop.init.v.as_ref().map(|d| dist_in(d, &[Dim::Voltage], &format!("{path}.init.v"))).transpose()?;
        let syn_factor = |name: &str, d: &Dist| -> Result<(Dist, f64)> {
            let p = format!("{path}.init.{name}");
            let dim = dist_dim(d, &p)?;
            let f = weight_factor(&pop.model, kind, dim).map_err(|m| Problem::at(&p, m))?;
            Ok((d.clone(), f))
        };
        let ex = pop.init.syn_ex.as_ref().map(|d| syn_factor("syn_ex", d)).transpose()?;
        let inh = pop.init.syn_in.as_ref().map(|d| syn_factor("syn_in", d)).transpose()?;
        let n = pop.size as u64;
        let mut v0 = Vec::with_capacity(n as usize);
        let mut syn0 = Vec::with_capacity(n as usize);
        for id in first..first + n {
            let mut rng = CounterRng::new(seed, 0, id, stream::INIT);
            v0.push(v_dist.as_ref().map_or(pop.model.resting_v(), |d| sample(d, &mut rng)));
            let e = ex.as_ref().map_or(0.0, |(d, f)| f * sample(d, &mut rng));
            let h = inh.as_ref().map_or(0.0, |(d, f)| f * sample(d, &mut rng));
            syn0.push((e, h));
        }
        let r = net
            .add_population(&pop.name, pop.model.clone(), positions, v0, syn0)
            .map_err(|e| Problem::at(&path, e.to_string()))?;
        ranges.push(r);
        if let Some(rule) = &pop.intrinsic {
            rule.validate().map_err(|e| Problem::at(format!("{path}.intrinsic.{}", e.param), e.to_string()))?;
            intrinsics
                .push((path.clone(), IntrinsicBinding { population: PopulationId(i as u16), rule: rule.clone() }));
        }
        if let Some(spec) = &pop.neurogenesis {
            divisions.push(neurogenesis(spec, &path, PopulationId(i as u16), pop.size, dt)?);
        }
    }
    let find = |name: &str, path: String| -> Result<usize> {
        scene.populations.iter().position(|p| p.name == name).ok_or_else(|| {
            let known: Vec<&str> = scene.populations.iter().map(|p| p.name.as_str()).collect();
            Problem::at(path, format!("there is no population `{name}` (populations: {})", known.join(", ")))
        })
    };

    // Projections.
    if scene.projections.len() > u16::MAX as usize {
        return Err(Problem::at("projections", format!("at most {} projections", u16::MAX)));
    }
    let mut plans = Vec::new();
    let mut bindings = Vec::new();
    let mut prunings = Vec::new();
    for (i, proj) in scene.projections.iter().enumerate() {
        let path = format!("projections[{i}]");
        let s = find(&proj.source, format!("{path}.source"))?;
        let t = find(&proj.target, format!("{path}.target"))?;
        let target_model = &scene.populations[t].model;
        let wdim = dist_dim(&proj.weight, &format!("{path}.weight"))?;
        let factor = weight_factor(target_model, target_model.synapse_kind(), wdim)
            .map_err(|m| Problem::at(format!("{path}.weight"), m))?;
        check_dist_finite(&proj.weight, &format!("{path}.weight"))?;
        let delay = dist_in(&proj.delay, &[Dim::Time], &format!("{path}.delay"))?;
        check_non_negative(&delay, &format!("{path}.delay"))?;
        let rule = RowRule::new(
            &proj.connectivity,
            ranges[s].clone(),
            ranges[t].clone(),
            &net.neurons.position,
            seed,
            stream::CONNECT + i as u64,
        )
        .map_err(|m| Problem::at(format!("{path}.connectivity"), m))?;
        let max_delay_steps = max_steps(&delay, dt);
        if max_delay_steps > u16::MAX as f64 {
            return Err(Problem::at(
                format!("{path}.delay"),
                format!("delays above {} steps are not supported", u16::MAX),
            ));
        }
        if let Some(rule) = &proj.plasticity {
            rule.validate().map_err(|e| Problem::at(format!("{path}.plasticity.{}", e.param), e.to_string()))?;
            // A plain number is taken in the target's engine unit (pA or nS).
            let f = match rule.w_max() {
                Some(q) if q.dim != Dim::Dimensionless => {
                    weight_factor(target_model, target_model.synapse_kind(), q.dim)
                        .map_err(|m| Problem::at(format!("{path}.plasticity.w_max"), m))?
                }
                _ => 1.0,
            };
            let label =
                if proj.name.is_empty() { format!("{}->{}", proj.source, proj.target) } else { proj.name.clone() };
            let scope = Scope { projection: i as u16, source: PopulationId(s as u16), target: PopulationId(t as u16) };
            bindings.push((scope, label, f, rule.clone()));
        }
        if let Some(spec) = &proj.pruning {
            prunings.push(pruning(spec, &path, i, (s, t), (wdim, factor), &delay, proj.receptor, dt)?);
        }
        plans.push(Plan {
            index: i as u64,
            source: ranges[s].clone(),
            target_start: ranges[t].start,
            rule,
            weight: proj.weight.clone(),
            factor,
            delay,
            receptor: proj.receptor,
        });
    }
    // Structural synapse kinds are told apart from the scene's projections by their projection
    // index, so the column is kept whenever the network grows.
    let with_projection = !bindings.is_empty() || !prunings.is_empty() || scene.structural_plasticity.is_some();
    net.set_synapses(generate_synapses(&plans, net.num_neurons(), seed, dt, with_projection))
        .map_err(|e| Problem::at("projections", e.to_string()))?;
    let n = net.num_neurons();
    for p in &mut prunings {
        p.resize(n);
    }
    for g in &mut divisions {
        g.resize(n);
    }

    // Gap junctions.
    let mut pairs = Vec::new();
    for (i, gj) in scene.gap_junctions.iter().enumerate() {
        let path = format!("gap_junctions[{i}]");
        let s = find(&gj.source, format!("{path}.source"))?;
        let t = find(&gj.target, format!("{path}.target"))?;
        let g = dist_in(&gj.conductance, &[Dim::Conductance], &format!("{path}.conductance"))?;
        check_non_negative(&g, &format!("{path}.conductance"))?;
        let rule = RowRule::new(
            &gj.connectivity,
            ranges[s].clone(),
            ranges[t].clone(),
            &net.neurons.position,
            seed,
            stream::CONNECT + (1 << 16) + i as u64,
        )
        .map_err(|m| Problem::at(format!("{path}.connectivity"), m))?;
        let mut buf = Vec::new();
        for pre in ranges[s].clone() {
            rule.targets(pre, &mut buf);
            for (k, &local) in buf.iter().enumerate() {
                let post = ranges[t].start + local;
                if post != pre {
                    let mut rng = CounterRng::new(seed, pre as u64, k as u64, stream::WEIGHT + (1 << 16) + i as u64);
                    pairs.push((pre, post, sample(&g, &mut rng).max(0.0) as f32));
                }
            }
        }
    }
    net.set_gap_junctions(&pairs).map_err(|e| Problem::at("gap_junctions", e.to_string()))?;

    let msp = scene.structural_plasticity.as_ref().map(|sp| structural(sp, scene, &net, dt)).transpose()?;
    let attention_edges = scene.attention_edges.as_ref().map(|a| attention(a, scene, &net, dt)).transpose()?;
    if let Some(c) = &scene.camera {
        check_camera(c, net.num_neurons())?;
    }

    // Inputs.
    for (i, input) in scene.inputs.iter().enumerate() {
        let path = format!("inputs[{i}]");
        let select = |target: &str, neurons: &Option<Vec<u32>>| -> Result<(usize, Vec<u32>)> {
            let p = find(target, format!("{path}.target"))?;
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

    // Rules, in the order they run: learning, intrinsic, then structural rounds (structural
    // plasticity, pruning by projection, neurogenesis by population, attention edges).
    let mut sim = Simulation::new(net);
    let first = bindings.first().map(|b| b.0.projection);
    sim.attach_plasticity(bindings)
        .map_err(|e| Problem::at(format!("projections[{}].plasticity", first.unwrap_or(0)), e.to_string()))?;
    for (path, ip) in intrinsics {
        sim.add_intrinsic(ip).map_err(|e| Problem::at(format!("{path}.intrinsic"), e.to_string()))?;
    }
    let structural_projections: Vec<u16> =
        msp.iter().flat_map(|m| m.synapse_models.iter().map(|s| s.projection)).collect();
    if let Some(m) = msp {
        sim.add_structural(m);
    }
    for p in prunings {
        sim.add_structural(p);
    }
    for mut g in divisions {
        g.not_inherited = structural_projections.clone();
        sim.add_structural(g);
    }
    if let Some(a) = attention_edges {
        sim.add_structural(a);
    }
    Ok(sim)
}

/// GraNet pruning of projection `index` (populations `pops`, weights of dimension and factor
/// `weight`) from its scene section.
#[allow(clippy::too_many_arguments)]
fn pruning(
    spec: &super::format::PruningSpec,
    path: &str,
    index: usize,
    pops: (usize, usize),
    weight: (Dim, f64),
    delay: &Dist,
    receptor: Receptor,
    dt: f64,
) -> Result<Pruning> {
    let p = format!("{path}.pruning");
    let time = |q: &Quantity, field: &str| -> Result<f64> {
        let t = q.expect(Dim::Time).map_err(|m| Problem::at(format!("{p}.{field}"), m))?;
        if !(t.is_finite() && t >= 0.0) {
            return Err(Problem::at(format!("{p}.{field}"), format!("must be a time >= 0, got {t} ms")));
        }
        Ok(t)
    };
    let (interval, start, end, tau) = (
        time(&spec.interval, "interval")?,
        time(&spec.start, "start")?,
        time(&spec.end, "end")?,
        time(&spec.trace_tau, "trace_tau")?,
    );
    if interval < dt {
        return Err(Problem::at(format!("{p}.interval"), format!("must be at least one step ({dt} ms)")));
    }
    if end <= start {
        return Err(Problem::at(format!("{p}.end"), format!("must come after start ({start} ms), got {end} ms")));
    }
    if tau <= 0.0 {
        return Err(Problem::at(format!("{p}.trace_tau"), "must be a positive time"));
    }
    let fraction = |v: f64, field: &str| -> Result<f64> {
        if v.is_finite() && (0.0..=1.0).contains(&v) {
            Ok(v)
        } else {
            Err(Problem::at(format!("{p}.{field}"), format!("must be a fraction in [0, 1], got {v}")))
        }
    };
    let d_final = fraction(spec.final_density, "final_density")?;
    let (r0, r_min) = (fraction(spec.death_rate, "death_rate")?, fraction(spec.death_rate_min, "death_rate_min")?);
    if r_min > r0 {
        return Err(Problem::at(
            format!("{p}.death_rate_min"),
            format!("must not exceed death_rate ({r0}), got {r_min}"),
        ));
    }
    let w = match &spec.regrow_weight {
        None => 0.0,
        Some(q) if q.dim == weight.0 && q.value.is_finite() => q.value * weight.1,
        Some(q) => {
            return Err(Problem::at(
                format!("{p}.regrow_weight"),
                format!("must be a finite number in the unit of the projection's weight, got {q}"),
            ));
        }
    };
    let typical_delay = match delay {
        Dist::Constant(q) => q.value,
        Dist::Uniform { low, high } => 0.5 * (low.value + high.value),
        Dist::Normal { mean, .. } => mean.value.max(0.0),
    };
    let steps = |t: f64| (t / dt).round() as u64;
    Ok(Pruning::new(
        index as u16,
        PopulationId(pops.0 as u16),
        PopulationId(pops.1 as u16),
        steps(interval),
        steps(start),
        steps(end),
        d_final,
        (r0, r_min),
        (w as f32, (typical_delay / dt).round().min(u16::MAX as f64) as u16, receptor),
        tau / dt,
        0,
    ))
}

/// Neurogenesis of population `pop` (`size` neurons, scene path `path`) from its scene section.
fn neurogenesis(spec: &NeurogenesisSpec, path: &str, pop: PopulationId, size: u32, dt: f64) -> Result<Neurogenesis> {
    let p = format!("{path}.neurogenesis");
    let time = |q: &Quantity, field: &str| -> Result<f64> {
        let t = q.expect(Dim::Time).map_err(|m| Problem::at(format!("{p}.{field}"), m))?;
        if !(t.is_finite() && t >= dt) {
            return Err(Problem::at(
                format!("{p}.{field}"),
                format!("must be a time of at least one step ({dt} ms), got {t} ms"),
            ));
        }
        Ok(t)
    };
    let (interval, tau) = (time(&spec.interval, "interval")?, time(&spec.signal_tau, "signal_tau")?);
    if !(spec.threshold.is_finite() && spec.threshold > 0.0) {
        return Err(Problem::at(format!("{p}.threshold"), format!("must be a number > 0, got {}", spec.threshold)));
    }
    if spec.max_size < size || spec.max_size >= 1 << 30 {
        return Err(Problem::at(
            format!("{p}.max_size"),
            format!("must be at least the population's size ({size}) and below 2^30, got {}", spec.max_size),
        ));
    }
    let offset = spec.offset.expect(Dim::Length).map_err(|m| Problem::at(format!("{p}.offset"), m))?;
    if !(offset.is_finite() && offset >= 0.0) {
        return Err(Problem::at(format!("{p}.offset"), format!("must be a length >= 0, got {offset} um")));
    }
    if !(spec.weight_jitter.is_finite() && spec.weight_jitter >= 0.0) {
        return Err(Problem::at(
            format!("{p}.weight_jitter"),
            format!("must be a number >= 0, got {}", spec.weight_jitter),
        ));
    }
    Ok(Neurogenesis::new(
        pop,
        (interval / dt).round() as u64,
        tau / dt,
        spec.threshold,
        spec.max_size,
        offset as f32,
        spec.weight_jitter,
        spec.inherit_inputs,
        0,
    ))
}

/// A camera path's keys: times increasing, angles and zoom in range, focus on an existing neuron.
fn check_camera(c: &super::format::CameraPath, neurons: usize) -> Result<()> {
    let mut last = f64::NEG_INFINITY;
    for (i, k) in c.keyframes.iter().enumerate() {
        let p = format!("camera.keyframes[{i}]");
        let at = k.at.expect(Dim::Time).map_err(|m| Problem::at(format!("{p}.at"), m))?;
        if !(at.is_finite() && at >= 0.0 && at > last) {
            return Err(Problem::at(
                format!("{p}.at"),
                format!("must be a time >= 0 after the previous key's, got {at} ms"),
            ));
        }
        last = at;
        let checks = [
            ("yaw", k.yaw.is_finite(), "must be a finite angle in degrees"),
            ("pitch", k.pitch.is_finite() && k.pitch.abs() <= 85.0, "must be between -85 and 85 degrees"),
            ("zoom", k.zoom.is_finite() && k.zoom > 0.0 && k.zoom <= 100.0, "must be in (0, 100]"),
        ];
        for (field, ok, msg) in checks {
            if !ok {
                return Err(Problem::at(format!("{p}.{field}"), msg.to_string()));
            }
        }
        if let Some(n) = k.focus.filter(|&n| n as usize >= neurons) {
            return Err(Problem::at(
                format!("{p}.focus"),
                format!("there is no neuron {n} (the network has {neurons})"),
            ));
        }
    }
    Ok(())
}

/// Attention edges from their scene section.
fn attention(a: &super::format::AttentionSpec, scene: &SceneFile, net: &Network, dt: f64) -> Result<AttentionEdges> {
    let p = "attention_edges";
    let mut populations = Vec::new();
    for (k, name) in a.populations.iter().enumerate() {
        let i =
            scene.populations.iter().position(|q| q.name == *name).ok_or_else(|| {
                Problem::at(format!("{p}.populations[{k}]"), format!("there is no population `{name}`"))
            })?;
        let model = &scene.populations[i].model;
        let f = weight_factor(model, model.synapse_kind(), a.weight.dim)
            .map_err(|m| Problem::at(format!("{p}.weight"), m))?;
        if f != 1.0 {
            return Err(Problem::at(
                format!("{p}.weight"),
                format!("must be a current (pA) or a conductance (nS), got {}", a.weight),
            ));
        }
        populations.push(PopulationId(i as u16));
    }
    if populations.is_empty() {
        return Err(Problem::at(format!("{p}.populations"), "name at least one population"));
    }
    let steps = |q: &Quantity, field: &str| -> Result<u64> {
        let t = q.expect(Dim::Time).map_err(|m| Problem::at(format!("{p}.{field}"), m))?;
        if !(t.is_finite() && t >= dt) {
            return Err(Problem::at(
                format!("{p}.{field}"),
                format!("must be a time of at least one step ({dt} ms), got {t} ms"),
            ));
        }
        Ok((t / dt).round() as u64)
    };
    let (interval_steps, bin_steps) = (steps(&a.interval, "interval")?, steps(&a.bin, "bin")?);
    let min_distance = a.min_distance.expect(Dim::Length).map_err(|m| Problem::at(format!("{p}.min_distance"), m))?;
    let checks: [(&str, f64, bool); 10] = [
        ("gate_threshold", a.gate_threshold, true),
        ("gate_gain", a.gate_gain, a.gate_gain >= 0.0),
        ("min_distance", min_distance, min_distance >= 0.0),
        ("weight", a.weight.value, true),
        ("sharpness", a.sharpness, a.sharpness > 0.0),
        ("reinforce", a.reinforce, a.reinforce > 0.0 && a.reinforce <= 1.0),
        ("decay", a.decay, (0.0..=1.0).contains(&a.decay)),
        ("min_strength", a.min_strength, (0.0..=1.0).contains(&a.min_strength)),
        ("bins", a.bins as f64, (3..=1024).contains(&a.bins)),
        ("bits", a.bits as f64, (1..=32).contains(&a.bits)),
    ];
    for (field, v, ok) in checks {
        if !v.is_finite() || !ok {
            return Err(Problem::at(format!("{p}.{field}"), format!("{v} is out of range")));
        }
    }
    if a.tables == 0 {
        return Err(Problem::at(format!("{p}.tables"), "needs at least one hash table"));
    }
    let params = AttentionParams {
        populations,
        interval_steps,
        bin_steps,
        bins: a.bins as usize,
        min_distance: min_distance as f32,
        top_k: a.top_k as usize,
        sharpness: a.sharpness,
        weight: a.weight.value as f32,
        reinforce: a.reinforce,
        decay: a.decay,
        min_strength: a.min_strength,
        tables: a.tables as usize,
        bits: a.bits as usize,
        bucket_cap: a.bucket_cap as usize,
        samples: a.samples as usize,
        gate_threshold: a.gate_threshold,
        gate_gain: a.gate_gain,
    };
    Ok(AttentionEdges::new(params, &net.neurons.population))
}

/// Structural plasticity from its scene section, every value checked with its field path.
fn structural(sp: &StructuralSpec, scene: &SceneFile, net: &Network, dt: f64) -> Result<Msp> {
    let path = "structural_plasticity";
    let interval =
        sp.update_interval.expect(Dim::Time).map_err(|m| Problem::at(format!("{path}.update_interval"), m))?;
    if !(interval.is_finite() && interval >= dt) {
        return Err(Problem::at(
            format!("{path}.update_interval"),
            format!("must be a time of at least one step ({dt} ms), got {interval} ms"),
        ));
    }
    let mut names: Vec<String> = Vec::new();
    let mut populations = Vec::new();
    for (i, gp) in sp.populations.iter().enumerate() {
        let p = format!("{path}.populations[{i}]");
        let pop = scene.populations.iter().position(|q| q.name == gp.population).ok_or_else(|| {
            Problem::at(format!("{p}.population"), format!("there is no population `{}`", gp.population))
        })?;
        if sp.populations[..i].iter().any(|q| q.population == gp.population) {
            return Err(Problem::at(format!("{p}.population"), format!("`{}` is listed twice", gp.population)));
        }
        let tau = gp.calcium.tau.expect(Dim::Time).map_err(|m| Problem::at(format!("{p}.calcium.tau"), m))?;
        if !(tau.is_finite() && tau > 0.0) {
            return Err(Problem::at(format!("{p}.calcium.tau"), format!("must be a positive time, got {tau} ms")));
        }
        let beta = gp.calcium.beta;
        if !(beta.is_finite() && beta >= 0.0) {
            return Err(Problem::at(format!("{p}.calcium.beta"), format!("must be a number >= 0, got {beta}")));
        }
        let mut elements = Vec::new();
        for (k, el) in gp.elements.iter().enumerate() {
            let q = format!("{p}.elements[{k}]");
            if gp.elements[..k].iter().any(|e| e.name == el.name) {
                return Err(Problem::at(format!("{q}.name"), format!("element `{}` is listed twice", el.name)));
            }
            el.curve.validate().map_err(|(field, m)| Problem::at(format!("{q}.curve.{field}"), m))?;
            let nu = el.growth_rate.expect(Dim::Rate).map_err(|m| Problem::at(format!("{q}.growth_rate"), m))?;
            if !(nu.is_finite() && nu >= 0.0) {
                return Err(Problem::at(format!("{q}.growth_rate"), format!("must be a rate >= 0, got {nu} Hz")));
            }
            if !(el.tau_vacant.is_finite() && (0.0..=1.0).contains(&el.tau_vacant)) {
                return Err(Problem::at(
                    format!("{q}.tau_vacant"),
                    format!("must be a fraction in [0, 1], got {}", el.tau_vacant),
                ));
            }
            let element = match names.iter().position(|n| *n == el.name) {
                Some(e) => e,
                None => {
                    names.push(el.name.clone());
                    names.len() - 1
                }
            };
            elements.push(ElementSpec {
                element: element as u16,
                curve: el.curve,
                growth_rate: nu * 1e-3,
                tau_vacant: el.tau_vacant,
            });
        }
        populations.push(MspPopulation {
            population: PopulationId(pop as u16),
            calcium: Calcium { tau_ms: tau, beta },
            elements,
        });
    }
    if scene.projections.len() + sp.synapses.len() >= u16::MAX as usize {
        return Err(Problem::at(format!("{path}.synapses"), "too many projections and synapse kinds"));
    }
    let mut models = Vec::new();
    for (m, syn) in sp.synapses.iter().enumerate() {
        let p = format!("{path}.synapses[{m}]");
        let element = |name: &str, field: &str| -> Result<u16> {
            names.iter().position(|n| n == name).map(|e| e as u16).ok_or_else(|| {
                Problem::at(
                    format!("{p}.{field}"),
                    format!("no population grows element `{name}` (elements: {})", names.join(", ")),
                )
            })
        };
        let (pre_element, post_element) =
            (element(&syn.pre_element, "pre_element")?, element(&syn.post_element, "post_element")?);
        // Every population with the postsynaptic element must take the weight's unit as is.
        for gp in sp.populations.iter().filter(|gp| gp.elements.iter().any(|e| e.name == syn.post_element)) {
            let model = &scene.populations.iter().find(|q| q.name == gp.population).expect("checked above").model;
            let f = weight_factor(model, model.synapse_kind(), syn.weight.dim)
                .map_err(|m| Problem::at(format!("{p}.weight"), m))?;
            if f != 1.0 {
                return Err(Problem::at(
                    format!("{p}.weight"),
                    format!("structural synapses take a current (pA) or a conductance (nS), got {}", syn.weight),
                ));
            }
        }
        if !syn.weight.value.is_finite() {
            return Err(Problem::at(format!("{p}.weight"), format!("{} is not a finite number", syn.weight)));
        }
        let delay = syn.delay.expect(Dim::Time).map_err(|m| Problem::at(format!("{p}.delay"), m))?;
        let steps = (delay / dt).round();
        if !(delay.is_finite() && delay >= 0.0 && steps <= u16::MAX as f64) {
            return Err(Problem::at(
                format!("{p}.delay"),
                format!("must be a time >= 0 of at most {} steps, got {delay} ms", u16::MAX),
            ));
        }
        let name =
            if syn.name.is_empty() { format!("{}->{}", syn.pre_element, syn.post_element) } else { syn.name.clone() };
        models.push(MspSynapseModel {
            name,
            pre_element,
            post_element,
            weight: syn.weight.value as f32,
            delay_steps: steps as u16,
            receptor: syn.receptor,
            projection: (scene.projections.len() + m) as u16,
        });
    }
    let interval_steps = (interval / dt).round() as u64;
    Ok(Msp::new(interval_steps, names, populations, models, &net.neurons.population))
}

/// One projection ready for generation.
struct Plan {
    index: u64,
    source: std::ops::Range<u32>,
    target_start: u32,
    rule: RowRule,
    weight: Dist,
    factor: f64,
    delay: Dist,
    receptor: Receptor,
}

/// Generates every projection's synapses in CSR order: a counting pass and a filling pass, both
/// parallel over source neurons, regenerating each row from the same counter-based draws so the
/// peak memory is the final arrays and the result does not depend on the thread count.
fn generate_synapses(plans: &[Plan], n: usize, seed: u64, dt: f64, with_projection: bool) -> Synapses {
    let mut counts = vec![0u64; n + 1];
    counts[1..].par_chunks_mut(BUILD_CHUNK).enumerate().for_each_init(Vec::new, |buf, (c, out)| {
        for (k, slot) in out.iter_mut().enumerate() {
            let pre = (c * BUILD_CHUNK + k) as u32;
            *slot = plans
                .iter()
                .filter(|p| p.source.contains(&pre))
                .map(|p| {
                    p.rule.targets(pre, buf);
                    buf.len() as u64
                })
                .sum();
        }
    });
    for i in 1..=n {
        counts[i] += counts[i - 1];
    }
    let total = counts[n] as usize;
    let with_delays = plans.iter().any(|p| !matches!(p.delay, Dist::Constant(q) if (q.value / dt).round() == 0.0));
    let mut target = vec![0u32; total];
    let mut weight = vec![0f32; total];
    let mut delay = if with_delays { vec![0u16; total] } else { Vec::new() };
    let mut projection = if with_projection { vec![0u16; total] } else { Vec::new() };

    // Split the columns into one disjoint piece per chunk of source neurons.
    let mut pieces = Vec::new();
    let (mut t_rest, mut w_rest, mut d_rest, mut p_rest) =
        (&mut target[..], &mut weight[..], &mut delay[..], &mut projection[..]);
    for c in 0..n.div_ceil(BUILD_CHUNK) {
        let (a, b) = (c * BUILD_CHUNK, ((c + 1) * BUILD_CHUNK).min(n));
        let len = (counts[b] - counts[a]) as usize;
        let (t, tr) = std::mem::take(&mut t_rest).split_at_mut(len);
        let (w, wr) = std::mem::take(&mut w_rest).split_at_mut(len);
        let dl = if with_delays { len } else { 0 };
        let (d, dr) = std::mem::take(&mut d_rest).split_at_mut(dl);
        let (pj, pr) = std::mem::take(&mut p_rest).split_at_mut(if with_projection { len } else { 0 });
        (t_rest, w_rest, d_rest, p_rest) = (tr, wr, dr, pr);
        pieces.push((a..b, t, w, d, pj));
    }
    pieces.into_par_iter().for_each_init(Vec::new, |buf, (range, t, w, d, pj)| {
        let mut at = 0;
        for pre in range {
            let pre = pre as u32;
            for p in plans.iter().filter(|p| p.source.contains(&pre)) {
                p.rule.targets(pre, buf);
                for (k, &local) in buf.iter().enumerate() {
                    t[at] = ((p.target_start + local) << 1) | p.receptor.index();
                    let mut rng = CounterRng::new(seed, pre as u64, k as u64, stream::WEIGHT + p.index);
                    w[at] = (p.factor * sample(&p.weight, &mut rng)) as f32;
                    if with_projection {
                        pj[at] = p.index as u16;
                    }
                    if with_delays {
                        let mut rng = CounterRng::new(seed, pre as u64, k as u64, stream::DELAY + p.index);
                        d[at] = (sample(&p.delay, &mut rng) / dt).round().clamp(0.0, u16::MAX as f64) as u16;
                    }
                    at += 1;
                }
            }
        }
    });
    Synapses { row_start: counts, target, weight, delay, projection, id: Vec::new() }
}

/// A connectivity rule that can list the targets (indices within the target population) of any
/// source neuron on its own.
enum RowRule {
    Bernoulli {
        ln_q: f64,
        p: f64,
        skip_self: Option<u32>,
        t_len: u32,
        src_start: u32,
        seed: u64,
        stream: u64,
    },
    Outdegree {
        k: u32,
        skip_self: Option<u32>,
        t_len: u32,
        src_start: u32,
        seed: u64,
        stream: u64,
    },
    All {
        skip_self: Option<u32>,
        t_len: u32,
        src_start: u32,
    },
    OneToOne {
        src_start: u32,
    },
    /// Rows precomputed (for rules defined per target, and explicit pairs): CSR by source index.
    Table {
        row_start: Vec<u64>,
        post: Vec<u32>,
        src_start: u32,
    },
}

impl RowRule {
    fn new(
        c: &Connectivity,
        src: std::ops::Range<u32>,
        tgt: std::ops::Range<u32>,
        positions: &[[f32; 3]],
        seed: u64,
        stream: u64,
    ) -> std::result::Result<Self, String> {
        let (s_len, t_len) = (src.end - src.start, tgt.end - tgt.start);
        let same = src == tgt;
        // With autapses excluded, the local index of a source in the target population is skipped.
        let skip = |autapses: bool| (!autapses && same).then_some(0u32);
        Ok(match c {
            Connectivity::Bernoulli { p, autapses } => {
                if !(p.is_finite() && (0.0..=1.0).contains(p)) {
                    return Err(format!("p must be a probability in [0, 1], got {p}"));
                }
                RowRule::Bernoulli {
                    ln_q: (-p).ln_1p(),
                    p: *p,
                    skip_self: skip(*autapses),
                    t_len,
                    src_start: src.start,
                    seed,
                    stream,
                }
            }
            Connectivity::FixedOutdegree { k, autapses } => {
                if same && !autapses && t_len < 2 && *k > 0 {
                    return Err("no target other than the source itself".into());
                }
                RowRule::Outdegree { k: *k, skip_self: skip(*autapses), t_len, src_start: src.start, seed, stream }
            }
            Connectivity::AllToAll { autapses } => {
                RowRule::All { skip_self: skip(*autapses), t_len, src_start: src.start }
            }
            Connectivity::OneToOne => {
                if s_len != t_len {
                    return Err(format!("OneToOne needs populations of equal size ({s_len} vs {t_len})"));
                }
                RowRule::OneToOne { src_start: src.start }
            }
            Connectivity::FixedIndegree { k, autapses } => {
                if same && !autapses && s_len < 2 && *k > 0 {
                    return Err("no source other than the target itself".into());
                }
                let mut edges = Vec::with_capacity(t_len as usize * *k as usize);
                for j in 0..t_len {
                    let mut rng = CounterRng::new(seed, j as u64, tgt.start as u64 + j as u64, stream);
                    let mut made = 0;
                    while made < *k {
                        let i = rng.below(s_len as u64) as u32;
                        if same && !autapses && i == j {
                            continue;
                        }
                        edges.push((i, j));
                        made += 1;
                    }
                }
                table(edges, s_len, src.start)
            }
            Connectivity::Gaussian { c, lambda, autapses } => {
                if !(c.is_finite() && (0.0..=1.0).contains(c)) {
                    return Err(format!("c must be a probability in [0, 1], got {c}"));
                }
                if !(lambda.is_finite() && *lambda > 0.0) {
                    return Err(format!("lambda must be a positive length, got {lambda}"));
                }
                let mut edges = Vec::new();
                for i in 0..s_len {
                    let pi = positions[(src.start + i) as usize];
                    let mut rng = CounterRng::new(seed, (src.start + i) as u64, 0, stream);
                    for j in 0..t_len {
                        let pj = positions[(tgt.start + j) as usize];
                        let d2 = (0..3).map(|k| ((pi[k] - pj[k]) as f64).powi(2)).sum::<f64>();
                        let p = c * (-d2 / (*lambda as f64).powi(2)).exp();
                        if rng.uniform() < p && !(same && !autapses && i == j) {
                            edges.push((i, j));
                        }
                    }
                }
                table(edges, s_len, src.start)
            }
            Connectivity::Pairs(list) => {
                if let Some((i, j)) = list.iter().find(|(i, j)| *i >= s_len || *j >= t_len) {
                    return Err(format!("pair ({i}, {j}) is outside the populations ({s_len} and {t_len} neurons)"));
                }
                table(list.clone(), s_len, src.start)
            }
        })
    }

    /// Writes the targets of source neuron `pre` (a global id) into `out`.
    fn targets(&self, pre: u32, out: &mut Vec<u32>) {
        out.clear();
        match self {
            RowRule::Bernoulli { ln_q, p, skip_self, t_len, src_start, seed, stream } => {
                let local = pre - src_start;
                let skip = skip_self.map(|_| local);
                if *p >= 1.0 {
                    out.extend((0..*t_len).filter(|&j| Some(j) != skip));
                    return;
                }
                if *p <= 0.0 {
                    return;
                }
                let mut rng = CounterRng::new(*seed, pre as u64, 0, *stream);
                let mut j = rng.geometric_skip(*ln_q);
                while j < *t_len as u64 {
                    if Some(j as u32) != skip {
                        out.push(j as u32);
                    }
                    j = j.saturating_add(1).saturating_add(rng.geometric_skip(*ln_q));
                }
            }
            RowRule::Outdegree { k, skip_self, t_len, src_start, seed, stream } => {
                let local = pre - src_start;
                let mut rng = CounterRng::new(*seed, pre as u64, 0, *stream);
                while out.len() < *k as usize {
                    let j = rng.below(*t_len as u64) as u32;
                    if skip_self.is_some() && j == local {
                        continue;
                    }
                    out.push(j);
                }
                out.sort_unstable();
            }
            RowRule::All { skip_self, t_len, src_start } => {
                let local = pre - src_start;
                out.extend((0..*t_len).filter(|&j| !(skip_self.is_some() && j == local)));
            }
            RowRule::OneToOne { src_start } => out.push(pre - src_start),
            RowRule::Table { row_start, post, src_start } => {
                let i = (pre - src_start) as usize;
                out.extend_from_slice(&post[row_start[i] as usize..row_start[i + 1] as usize]);
            }
        }
    }
}

fn table(mut edges: Vec<(u32, u32)>, s_len: u32, src_start: u32) -> RowRule {
    edges.sort_unstable();
    let mut row_start = vec![0u64; s_len as usize + 1];
    for &(i, _) in &edges {
        row_start[i as usize + 1] += 1;
    }
    for i in 1..row_start.len() {
        row_start[i] += row_start[i - 1];
    }
    RowRule::Table { row_start, post: edges.into_iter().map(|e| e.1).collect(), src_start }
}

/// Positions of `n` neurons with ids starting at `first`.
fn layout_positions(layout: &Layout, n: u32, seed: u64, first: u64) -> std::result::Result<Vec<[f32; 3]>, String> {
    let draw = |id: u64| {
        let mut r = CounterRng::new(seed, 0, id, stream::LAYOUT);
        [r.uniform() as f32, r.uniform() as f32, r.uniform() as f32]
    };
    Ok(match layout {
        Layout::Box { center, size } => (0..n as u64)
            .map(|k| {
                let u = draw(first + k);
                [center.0 + (u[0] - 0.5) * size.0, center.1 + (u[1] - 0.5) * size.1, center.2 + (u[2] - 0.5) * size.2]
            })
            .collect(),
        Layout::Sphere { center, radius } => (0..n as u64)
            .map(|k| {
                // Rejection sampling in the unit cube, keyed by (id, attempt) so it stays pure.
                let mut attempt = 0u64;
                loop {
                    let mut r = CounterRng::new(seed, attempt, first + k, stream::LAYOUT);
                    let u = [
                        r.uniform() as f32 * 2.0 - 1.0,
                        r.uniform() as f32 * 2.0 - 1.0,
                        r.uniform() as f32 * 2.0 - 1.0,
                    ];
                    if u[0] * u[0] + u[1] * u[1] + u[2] * u[2] <= 1.0 {
                        break [center.0 + radius * u[0], center.1 + radius * u[1], center.2 + radius * u[2]];
                    }
                    attempt += 1;
                }
            })
            .collect(),
        Layout::Grid { center, spacing } => {
            let side = (n as f64).cbrt().ceil() as u32;
            let half = (side as f32 - 1.0) * spacing / 2.0;
            (0..n)
                .map(|k| {
                    let (x, y, z) = (k % side, (k / side) % side, k / (side * side));
                    [
                        center.0 + x as f32 * spacing - half,
                        center.1 + y as f32 * spacing - half,
                        center.2 + z as f32 * spacing - half,
                    ]
                })
                .collect()
        }
        Layout::Positions(list) => {
            if list.len() != n as usize {
                return Err(format!("{} positions for {n} neurons", list.len()));
            }
            list.iter().map(|p| [p.0, p.1, p.2]).collect()
        }
    })
}

/// The common dimension of a distribution's parameters.
fn dist_dim(d: &Dist, path: &str) -> Result<Dim> {
    let (a, b) = match d {
        Dist::Constant(q) => (q, q),
        Dist::Uniform { low, high } => (low, high),
        Dist::Normal { mean, sd } => (mean, sd),
    };
    if a.dim != b.dim {
        return Err(Problem::at(path, format!("mixes units: {a} and {b}")));
    }
    Ok(a.dim)
}

/// Checks that a distribution is in one of `dims`, is finite and well-formed; returns it converted.
fn dist_in(d: &Dist, dims: &[Dim], path: &str) -> Result<Dist> {
    let dim = dist_dim(d, path)?;
    if !dims.contains(&dim) {
        let q = match d {
            Dist::Constant(q) | Dist::Uniform { low: q, .. } | Dist::Normal { mean: q, .. } => *q,
        };
        return Err(Problem::at(path, q.expect(dims[0]).unwrap_err()));
    }
    check_dist_finite(d, path)?;
    Ok(d.clone())
}

fn check_dist_finite(d: &Dist, path: &str) -> Result<()> {
    let bad = |q: &Quantity| !q.value.is_finite();
    match d {
        Dist::Constant(q) if bad(q) => Err(Problem::at(path, format!("{q} is not a finite number"))),
        Dist::Uniform { low, high } if bad(low) || bad(high) || high.value < low.value => {
            Err(Problem::at(path, format!("Uniform needs finite low <= high, got {low} and {high}")))
        }
        Dist::Normal { mean, sd } if bad(mean) || bad(sd) || sd.value < 0.0 => {
            Err(Problem::at(path, format!("Normal needs a finite mean and sd >= 0, got {mean} and {sd}")))
        }
        _ => Ok(()),
    }
}

fn check_non_negative(d: &Dist, path: &str) -> Result<()> {
    let low = match d {
        Dist::Constant(q) | Dist::Uniform { low: q, .. } => q.value,
        Dist::Normal { .. } => 0.0, // negative draws are clipped to 0
    };
    if low < 0.0 { Err(Problem::at(path, format!("must not be negative, got {low}"))) } else { Ok(()) }
}

/// The largest delay a distribution can produce, in steps.
fn max_steps(d: &Dist, dt: f64) -> f64 {
    match d {
        Dist::Constant(q) => q.value / dt,
        Dist::Uniform { high, .. } => high.value / dt,
        Dist::Normal { mean, sd } => (mean.value + 10.0 * sd.value) / dt,
    }
}

/// One draw from a distribution (values in the engine's units).
fn sample(d: &Dist, rng: &mut CounterRng) -> f64 {
    match d {
        Dist::Constant(q) => q.value,
        Dist::Uniform { low, high } => low.value + (high.value - low.value) * rng.uniform(),
        Dist::Normal { mean, sd } => mean.value + sd.value * rng.normal(),
    }
}

/// The factor turning a weight of dimension `dim` into the target model's synaptic unit.
fn weight_factor(model: &NeuronModel, kind: SynapseKind, dim: Dim) -> std::result::Result<f64, String> {
    match (kind, dim) {
        (SynapseKind::Current, Dim::Current) => Ok(1.0),
        (SynapseKind::Current, Dim::Voltage) => model.capacitance_over_tau().ok_or_else(|| {
            format!(
                "{} takes current weights (its currents are plain numbers); a voltage jump cannot be converted",
                model.name()
            )
        }),
        (SynapseKind::Current, Dim::Dimensionless) if matches!(model, NeuronModel::Izhikevich(_)) => Ok(1.0),
        (SynapseKind::Current, _) => Err(format!(
            "{} is current-based: weights need a current (\"20 pA\") or a voltage jump (\"1.62 mV\")",
            model.name()
        )),
        (SynapseKind::Conductance, Dim::Conductance) => Ok(1.0),
        (SynapseKind::Conductance, _) => {
            Err(format!("{} is conductance-based: weights need a conductance such as \"6 nS\"", model.name()))
        }
        (SynapseKind::None, _) => Err(format!("a {} population cannot receive synapses", model.name())),
    }
}

fn input_weight(model: &NeuronModel, q: &Quantity) -> std::result::Result<f32, String> {
    if !q.value.is_finite() {
        return Err(format!("{q} is not a finite number"));
    }
    Ok((weight_factor(model, model.synapse_kind(), q.dim)? * q.value) as f32)
}
