//! The structural rules a scene names: GraNet pruning on a projection, neurogenesis in a
//! population, structural plasticity (MSP) and attention edges over the whole network.

use super::Result;
use super::values::weight_factor;
use crate::growth::attention::{AttentionEdges, AttentionParams};
use crate::growth::granet::Pruning;
use crate::growth::msp::{Calcium, ElementSpec, Msp, MspPopulation, MspSynapseModel};
use crate::growth::neurogenesis::Neurogenesis;
use crate::scene::error::Problem;
use crate::scene::format::{AttentionSpec, Dist, NeurogenesisSpec, PruningSpec, SceneFile, StructuralSpec};
use crate::sim::{Dim, Network, PopulationId, Quantity, Receptor};

/// GraNet pruning of projection `index` (populations `pops`, weights of dimension and factor
/// `weight`) from its scene section.
pub(super) fn pruning(
    spec: &PruningSpec,
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
pub(super) fn neurogenesis(
    spec: &NeurogenesisSpec,
    path: &str,
    pop: PopulationId,
    size: u32,
    dt: f64,
) -> Result<Neurogenesis> {
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
    if !(offset.is_finite() && (0.0..=1e9).contains(&offset)) {
        return Err(Problem::at(format!("{p}.offset"), format!("must be a length from 0 to 1e9 um, got {offset} um")));
    }
    // A relative spread of the inherited weights: beyond 1 a child's weights change sign.
    if !(spec.weight_jitter.is_finite() && (0.0..=1.0).contains(&spec.weight_jitter)) {
        return Err(Problem::at(
            format!("{p}.weight_jitter"),
            format!("must be a fraction from 0 to 1, got {}", spec.weight_jitter),
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

/// Attention edges from their scene section.
pub(super) fn attention(a: &AttentionSpec, scene: &SceneFile, net: &Network, dt: f64) -> Result<AttentionEdges> {
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
    // Bounds on the work of one update, as well as on meaning: each is a loop count.
    let checks: [(&str, f64, bool, &str); 14] = [
        ("gate_threshold", a.gate_threshold, true, "a finite number"),
        ("gate_gain", a.gate_gain, a.gate_gain >= 0.0, ">= 0"),
        ("min_distance", min_distance, min_distance >= 0.0, ">= 0"),
        ("weight", a.weight.value, true, "a finite number"),
        ("sharpness", a.sharpness, a.sharpness > 0.0, "> 0"),
        ("reinforce", a.reinforce, a.reinforce > 0.0 && a.reinforce <= 1.0, "in (0, 1]"),
        ("decay", a.decay, (0.0..=1.0).contains(&a.decay), "in [0, 1]"),
        ("min_strength", a.min_strength, (0.0..=1.0).contains(&a.min_strength), "in [0, 1]"),
        ("bins", a.bins as f64, (3..=1024).contains(&a.bins), "3 to 1024"),
        ("bits", a.bits as f64, (1..=32).contains(&a.bits), "1 to 32"),
        ("tables", a.tables as f64, (1..=64).contains(&a.tables), "1 to 64"),
        ("bucket_cap", a.bucket_cap as f64, (1..=4096).contains(&a.bucket_cap), "1 to 4096"),
        ("samples", a.samples as f64, (1..=4096).contains(&a.samples), "1 to 4096"),
        ("top_k", a.top_k as f64, (1..=100_000).contains(&a.top_k), "1 to 100000"),
    ];
    for (field, v, ok, range) in checks {
        if !v.is_finite() || !ok {
            return Err(Problem::at(format!("{p}.{field}"), format!("{v} is out of range (must be {range})")));
        }
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
pub(super) fn structural(sp: &StructuralSpec, scene: &SceneFile, net: &Network, dt: f64) -> Result<Msp> {
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
