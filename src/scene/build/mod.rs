//! Turning a parsed scene into a [`Simulation`]: populations and their initial state, projections
//! and gap junctions (`connectivity`), inputs, and the rules attached to them (`growth` for the
//! structural ones), every draw from the counter-based generator so a scene and a seed always give
//! the same network.

mod circuit;
mod connectivity;
mod growth;
mod inputs;
mod layout;
mod progress;
mod values;

use std::ops::Range;
use std::path::Path;

use connectivity::{Plan, RowRule, generate_synapses};
use growth::{attention, neurogenesis, pruning, structural};
use layout::{check_camera, check_display_positions, check_recording, layout_positions};
pub use progress::{BuildProgress, BuildStage};
use values::{
    check_dist_finite, check_non_negative, check_weight_magnitude, dist_dim, dist_in, dist_range, max_steps, sample,
    weight_factor,
};

use super::error::Problem;
use super::format::{Connectivity, Dist, SCENE_VERSION, SceneFile};
use crate::engine::{IntrinsicBinding, PlasticityRule, Simulation};
use crate::sim::rng::{CounterRng, stream};
use crate::sim::rule::Scope;
use crate::sim::{Dim, Network, NeuronModel, PopulationId, SynapseKind};
use crate::sonata::Circuit;

type Result<T> = std::result::Result<T, Problem>;

/// The index of population `name`, or an error at `path` listing the populations there are.
fn population_index(scene: &SceneFile, name: &str, path: String) -> Result<usize> {
    scene.populations.iter().position(|p| p.name == name).ok_or_else(|| {
        let known: Vec<&str> = scene.populations.iter().map(|p| p.name.as_str()).collect();
        Problem::at(path, format!("there is no population `{name}` (populations: {})", known.join(", ")))
    })
}

/// What projections and gap junctions are wired from: the populations and their id ranges.
struct Wiring<'a> {
    scene: &'a SceneFile,
    ranges: &'a [Range<u32>],
    seed: u64,
}

impl Wiring<'_> {
    /// The source and target populations of a pairing at `path` and its connectivity rule over
    /// neurons at `positions`, drawing from random stream `stream`.
    fn pair(
        &self,
        (source, target): (&str, &str),
        c: &Connectivity,
        positions: &[[f32; 3]],
        stream: u64,
        path: &str,
    ) -> Result<(usize, usize, RowRule)> {
        let s = population_index(self.scene, source, format!("{path}.source"))?;
        let t = population_index(self.scene, target, format!("{path}.target"))?;
        let (src, dst) = (self.ranges[s].clone(), self.ranges[t].clone());
        let rule = RowRule::new(c, src, dst, positions, self.seed, stream)
            .map_err(|m| Problem::at(format!("{path}.connectivity"), m))?;
        Ok((s, t, rule))
    }
}

/// Builds the simulation a scene describes (its network and rules); `seed` overrides the scene's
/// seed. A SONATA circuit's path is taken from the current folder.
pub fn build_simulation(scene: &SceneFile, seed: Option<u64>) -> Result<Simulation> {
    build_with_progress(scene, Path::new("."), seed, &BuildProgress::default())
}

/// [`build_simulation`] with paths in the scene taken from `base` (the scene file's folder),
/// counting its progress in `progress` (read from another thread).
pub fn build_with_progress(
    scene: &SceneFile,
    base: &Path,
    seed: Option<u64>,
    progress: &BuildProgress,
) -> Result<Simulation> {
    let result = build_counted(scene, base, seed, progress);
    progress.enter(BuildStage::Done, 0);
    result
}

fn build_counted(scene: &SceneFile, base: &Path, seed: Option<u64>, progress: &BuildProgress) -> Result<Simulation> {
    if scene.version != SCENE_VERSION {
        return Err(Problem::at(
            "version",
            format!("version {} is not supported (this build reads {SCENE_VERSION})", scene.version),
        ));
    }
    let dt = scene.dt.expect(Dim::Time).map_err(|m| Problem::at("dt", m))?;
    // Below 0.1 µs a second is more steps than a run may take; above 10 ms no model integrates.
    if !(dt.is_finite() && (1e-4..=10.0).contains(&dt)) {
        return Err(Problem::at("dt", format!("must be a time from 0.0001 ms to 10 ms, got {dt} ms")));
    }
    let seed = seed.unwrap_or(scene.seed);
    let mut net = Network::new(dt, seed).map_err(|e| Problem::at("dt", e.to_string()))?;
    // A circuit's populations come first; the scene's own follow (`own` is where they start).
    let mut circuit = match &scene.sonata {
        Some(spec) => {
            Some(Circuit::read(&base.join(&spec.config), dt).map_err(|e| Problem::at("sonata.config", e.to_string()))?)
        }
        None => None,
    };
    let with_circuit;
    let (scene, own) = match &circuit {
        Some(c) => {
            with_circuit = circuit::scene_with(scene, c);
            (&with_circuit, c.populations.len())
        }
        None => (scene, 0),
    };
    progress.enter(BuildStage::Populations, scene.populations.iter().map(|p| p.size as u64).sum());
    if scene.populations.is_empty() {
        return Err(Problem::at("populations", "a scene needs at least one population"));
    }

    let mut ranges = Vec::new();
    let (mut intrinsics, mut divisions) = (Vec::new(), Vec::new());
    for (i, pop) in scene.populations.iter().enumerate() {
        let path = if i < own { format!("sonata.populations[{i}]") } else { format!("populations[{}]", i - own) };
        if scene.populations[..i].iter().any(|p| p.name == pop.name) {
            return Err(Problem::at(format!("{path}.name"), format!("population `{}` is defined twice", pop.name)));
        }
        if pop.name.trim().is_empty() {
            return Err(Problem::at(format!("{path}.name"), "a population needs a name"));
        }
        if pop.size == 0 {
            return Err(Problem::at(format!("{path}.size"), "a population needs at least one neuron"));
        }
        if !pop.neuron_names.is_empty() && pop.neuron_names.len() != pop.size as usize {
            return Err(Problem::at(
                format!("{path}.neuron_names"),
                format!("{} names for {} neurons", pop.neuron_names.len(), pop.size),
            ));
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
            check_dist_finite(d, &p)?;
            if dim == Dim::Conductance {
                check_non_negative(d, &p)?;
            }
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
        progress.add(pop.size as u64);
        if let Some(rule) = &pop.intrinsic {
            if kind == SynapseKind::None {
                return Err(Problem::at(format!("{path}.intrinsic"), membrane_less(&pop.model)));
            }
            rule.validate().map_err(|e| Problem::at(format!("{path}.intrinsic.{}", e.param), e.to_string()))?;
            intrinsics
                .push((path.clone(), IntrinsicBinding { population: PopulationId(i as u16), rule: rule.clone() }));
        }
        if let Some(spec) = &pop.neurogenesis {
            divisions.push(neurogenesis(spec, &path, PopulationId(i as u16), pop.size, dt)?);
        }
    }
    let wiring = Wiring { scene, ranges: &ranges, seed };

    // Projections.
    if scene.projections.len() > u16::MAX as usize {
        return Err(Problem::at("projections", format!("at most {} projections", u16::MAX)));
    }
    let mut plans = Vec::new();
    let mut bindings = Vec::new();
    let mut prunings = Vec::new();
    for (i, proj) in scene.projections.iter().enumerate() {
        let path = format!("projections[{i}]");
        let (s, t, rule) = wiring.pair(
            (&proj.source, &proj.target),
            &proj.connectivity,
            &net.neurons.position,
            stream::CONNECT + i as u64,
            &path,
        )?;
        let target_model = &scene.populations[t].model;
        let wdim = dist_dim(&proj.weight, &format!("{path}.weight"))?;
        let factor = weight_factor(target_model, target_model.synapse_kind(), wdim)
            .map_err(|m| Problem::at(format!("{path}.weight"), m))?;
        check_dist_finite(&proj.weight, &format!("{path}.weight"))?;
        check_weight_magnitude(&proj.weight, factor, &format!("{path}.weight"))?;
        if wdim == Dim::Conductance {
            check_non_negative(&proj.weight, &format!("{path}.weight"))?;
        }
        let delay = dist_in(&proj.delay, &[Dim::Time], &format!("{path}.delay"))?;
        check_non_negative(&delay, &format!("{path}.delay"))?;
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
            check_bounds_fit(rule, f, (&proj.weight, factor), &path)?;
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
    progress.enter(BuildStage::Synapses, 2 * net.num_neurons() as u64);
    let mut synapses = generate_synapses(&plans, net.num_neurons(), seed, dt, with_projection, progress);
    if let Some(c) = &mut circuit {
        synapses = circuit::merge_rows(std::mem::take(&mut c.synapses), synapses, with_projection);
    }
    net.set_synapses(synapses).map_err(|e| Problem::at("projections", e.to_string()))?;
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
        let key = stream::CONNECT + (1 << 16) + i as u64;
        let (s, t, rule) =
            wiring.pair((&gj.source, &gj.target), &gj.connectivity, &net.neurons.position, key, &path)?;
        for (k, side) in [(s, "source"), (t, "target")] {
            let model = &scene.populations[k].model;
            if model.synapse_kind() == SynapseKind::None {
                return Err(Problem::at(format!("{path}.{side}"), membrane_less(model)));
            }
        }
        let g = dist_in(&gj.conductance, &[Dim::Conductance], &format!("{path}.conductance"))?;
        check_non_negative(&g, &format!("{path}.conductance"))?;
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
    if let Some(c) = &circuit {
        pairs.extend_from_slice(&c.couplings);
    }
    net.set_gap_junctions(&pairs).map_err(|e| Problem::at("gap_junctions", e.to_string()))?;

    let msp = scene.structural_plasticity.as_ref().map(|sp| structural(sp, scene, &net, dt)).transpose()?;
    let attention_edges = scene.attention_edges.as_ref().map(|a| attention(a, scene, &net, dt)).transpose()?;
    if let Some(c) = &scene.camera {
        check_camera(c, net.num_neurons())?;
    }
    check_display_positions(&scene.display_positions, net.num_neurons())?;
    if let Some(r) = &scene.recording {
        check_recording(r)?;
    }

    progress.enter(BuildStage::Rules, 0);
    inputs::add_inputs(scene, &mut net, &ranges, dt)?;

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

/// A plastic projection's rule must keep weights of the sign they have: a rule bounded to
/// `[0, w_max]` on negative (current-based inhibitory) weights would clip every one to 0. Its
/// lower bound must have the unit of `w_max`.
fn check_bounds_fit(rule: &PlasticityRule, f: f64, (weight, factor): (&Dist, f64), path: &str) -> Result<()> {
    let Some(hi) = rule.w_max() else { return Ok(()) };
    if let Some(lo) = rule.w_min()
        && lo.dim != hi.dim
    {
        return Err(Problem::at(
            format!("{path}.plasticity.w_min"),
            format!("{lo} must have the unit of w_max ({hi})"),
        ));
    }
    let lo = rule.w_min().map_or(0.0, |q| q.value).min(hi.value).min(0.0) * f;
    let hi = hi.value.max(0.0) * f;
    let (w_lo, w_hi) = dist_range(weight);
    let (w_lo, w_hi) = (w_lo * factor, w_hi * factor);
    let clipped_to_zero = (w_hi < 0.0 && lo >= 0.0) || (w_lo > 0.0 && hi <= 0.0);
    if clipped_to_zero {
        let sign = if w_hi < 0.0 { "negative" } else { "positive" };
        return Err(Problem::at(
            format!("{path}.plasticity"),
            format!(
                "{} keeps weights in [{lo}, {hi}] (engine units), but this projection's weights are {sign}: \
                 every one would be clipped to 0 (for inhibitory weights use InhibitoryStdp with a negative \
                 w_max, or a rule with w_min below 0)",
                rule.name()
            ),
        ));
    }
    Ok(())
}

/// Why a population without a membrane (a Poisson source) cannot take a current, a coupling or
/// intrinsic plasticity.
pub(super) fn membrane_less(model: &NeuronModel) -> String {
    format!(
        "a {} population has no membrane: it cannot receive currents, couplings or intrinsic plasticity",
        model.name()
    )
}
