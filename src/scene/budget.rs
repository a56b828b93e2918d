//! The memory a scene will need, estimated from its file before anything is allocated, and the
//! check that refuses a scene the machine cannot hold: the error names the field that asks for
//! the most, the estimate and the memory available (`--max-memory` overrides it).
//!
//! The figures are the engine's steady state per item (columns in `sim::columns`, the CSR table
//! and its per-synapse columns, the delay ring, rule state), plus what building holds at once.

use super::error::Problem;
use super::format::{Connectivity, Dist, InputSpec, SceneFile};

/// Bytes per neuron: the state columns (13, 98 B), its CSR row start, injected current, chunk
/// spike count, and the build's positions and initial values.
const NEURON_BYTES: f64 = 154.0;
/// Bytes per synapse: target, weight and delay (measured peak of CUBA scaled to 32 M synapses:
/// 9.8 B per synapse).
const SYNAPSE_BYTES: f64 = 10.0;
/// Extra bytes per synapse drawn from a table (fixed in/out-degree, Gaussian, pairs: measured 6).
const TABLE_SYNAPSE_BYTES: f64 = 8.0;
/// Extra bytes per synapse of a plastic projection: its projection column and the rule's incoming
/// index (measured 10.6).
const PLASTIC_SYNAPSE_BYTES: f64 = 12.0;
/// Extra bytes per synapse once structural rules edit the table: stable ids and their index.
const STRUCTURAL_SYNAPSE_BYTES: f64 = 12.0;
/// Bytes per gap-junction pair (both directions, conductances, the build's pair list).
const GAP_PAIR_BYTES: f64 = 40.0;
/// The most neurons (ids are 31-bit: a synapse target packs the neuron with its receptor).
pub const MAX_NEURONS: u64 = 1 << 31;
/// The most synapses (slots are 32-bit).
pub const MAX_SYNAPSES: f64 = u32::MAX as f64 - 1.0;
/// The most populations (ids are 16-bit).
pub const MAX_POPULATIONS: usize = 1 << 16;

/// What a scene asks for: the total, and each part with the field it comes from.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MemoryEstimate {
    /// (field path, bytes), largest first.
    pub parts: Vec<(String, f64)>,
    /// Expected synapses (chemical), for the size limits.
    pub synapses: f64,
}

impl MemoryEstimate {
    /// The estimated peak, in bytes.
    pub fn total(&self) -> f64 {
        self.parts.iter().map(|p| p.1).sum()
    }
}

/// Estimates what `file` needs, refusing at their fields counts beyond the engine's id sizes.
pub fn estimate(file: &SceneFile) -> Result<MemoryEstimate, Problem> {
    if file.populations.len() > MAX_POPULATIONS {
        return Err(Problem::at(
            "populations",
            format!("{} populations; at most {MAX_POPULATIONS} fit the 16-bit population ids", file.populations.len()),
        ));
    }
    let dt = file.dt.value;
    let sizes: Vec<f64> = file.populations.iter().map(|p| p.size as f64).collect();
    // Neurogenesis grows a population up to its cap: that is what must fit.
    let grown: Vec<f64> = file
        .populations
        .iter()
        .map(|p| p.neurogenesis.as_ref().map_or(p.size, |g| g.max_size.max(p.size)) as f64)
        .collect();
    let neurons: f64 = grown.iter().sum();
    if neurons >= MAX_NEURONS as f64 {
        let (k, _) = grown.iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1)).expect("some population");
        let field = if file.populations[k].neurogenesis.is_some() { "neurogenesis.max_size" } else { "size" };
        return Err(Problem::at(
            format!("populations[{k}].{field}"),
            format!("{neurons:.0} neurons in all; at most {MAX_NEURONS} fit the engine's 31-bit ids"),
        ));
    }
    let index = |name: &str| file.populations.iter().position(|p| p.name == name);
    let mut parts = Vec::new();
    for (k, p) in file.populations.iter().enumerate() {
        let field = if p.neurogenesis.is_some() { "neurogenesis.max_size" } else { "size" };
        parts.push((format!("populations[{k}].{field}"), grown[k] * NEURON_BYTES));
    }
    let structural = file.structural_plasticity.is_some() || file.projections.iter().any(|p| p.pruning.is_some());
    let (mut max_delay_ms, mut delay_field) = (0.0f64, String::new());
    // (field, synapses): a projection's own, and what neurogenesis adds to it at its caps.
    let mut synapse_parts: Vec<(String, f64)> = Vec::new();
    for (k, proj) in file.projections.iter().enumerate() {
        let (Some(s), Some(t)) = (index(&proj.source), index(&proj.target)) else { continue };
        let count = expected_pairs(&proj.connectivity, sizes[s], sizes[t]);
        let table = !matches!(proj.connectivity, Connectivity::Bernoulli { .. } | Connectivity::AllToAll { .. });
        let per = SYNAPSE_BYTES
            + if table { TABLE_SYNAPSE_BYTES } else { 0.0 }
            + if proj.plasticity.is_some() { PLASTIC_SYNAPSE_BYTES } else { 0.0 }
            + if structural { STRUCTURAL_SYNAPSE_BYTES } else { 0.0 };
        synapse_parts.push((format!("projections[{k}].connectivity"), count));
        parts.push((format!("projections[{k}].connectivity"), count * per));
        let grows = growth_factor(&grown, &sizes, s, t);
        if grows > 1.0 {
            let end = if grown[t] / sizes[t].max(1.0) >= grown[s] / sizes[s].max(1.0) { t } else { s };
            let field = format!("populations[{end}].neurogenesis.max_size");
            synapse_parts.push((field.clone(), count * (grows - 1.0)));
            parts.push((field, count * (grows - 1.0) * per));
        }
        let longest = upper(&proj.delay);
        if longest > max_delay_ms {
            (max_delay_ms, delay_field) = (longest, format!("projections[{k}].delay"));
        }
    }
    let synapses: f64 = synapse_parts.iter().map(|p| p.1).sum();
    if synapses > MAX_SYNAPSES {
        let (field, _) = largest(&synapse_parts);
        return Err(Problem::at(
            field,
            format!("about {synapses:.3e} synapses in all; at most {MAX_SYNAPSES:.0} fit the engine's 32-bit slots"),
        ));
    }
    // The delay ring: a power of two of steps, times two receptors, times every neuron.
    if dt > 0.0 && max_delay_ms / dt >= 1.0 {
        let slots = (max_delay_ms / dt).round() + 1.0;
        let ring = 2f64.powf(slots.log2().ceil());
        parts.push((delay_field, ring * 2.0 * neurons * 4.0));
    }
    for (k, g) in file.gap_junctions.iter().enumerate() {
        let (Some(s), Some(t)) = (index(&g.source), index(&g.target)) else { continue };
        let pairs = expected_pairs(&g.connectivity, sizes[s], sizes[t]);
        parts.push((format!("gap_junctions[{k}].connectivity"), pairs * GAP_PAIR_BYTES));
    }
    for (k, input) in file.inputs.iter().enumerate() {
        let (target, listed) = match input {
            InputSpec::Current { target, neurons, .. } | InputSpec::Poisson { target, neurons, .. } => {
                (Some(target), neurons.as_ref().map(Vec::len))
            }
            InputSpec::SpikeTimes { spikes, .. } => (None, Some(spikes.len() * 4)),
            InputSpec::Reward { times, .. } => (None, Some(times.len())),
        };
        let targets = listed.map(|n| n as f64).or_else(|| Some(grown[index(target?)?])).unwrap_or(0.0);
        parts.push((format!("inputs[{k}]"), targets * 4.0));
    }
    if let Some(a) = &file.attention_edges {
        let members: f64 = a.populations.iter().filter_map(|p| index(p)).map(|k| grown[k]).sum();
        let (bins, tables, bits) = (a.bins as f64, a.tables as f64, a.bits as f64);
        let per_update = members * (20.0 * tables + 8.0 * (bins - 1.0) + 216.0) + 8.0 * tables * bits * (bins - 1.0);
        // Its tables dominate: a refusal points at them.
        parts.push(("attention_edges.tables".into(), members * (2.0 * bins + 1.0) + per_update));
    }
    if let Some(m) = &file.structural_plasticity {
        let elements = m.populations.iter().flat_map(|p| &p.elements).map(|e| e.name.as_str());
        let kinds = elements.collect::<std::collections::BTreeSet<_>>().len() as f64;
        parts.push(("structural_plasticity".into(), neurons * (8.0 + 20.0 * kinds)));
    }
    parts.sort_by(|a, b| b.1.total_cmp(&a.1));
    Ok(MemoryEstimate { parts, synapses })
}

/// Adds what a SONATA circuit needs: its neurons, its synapses (the table, and the build's row
/// counters and windows) and its couplings; refuses sizes beyond the engine's ids at `sonata.config`.
pub fn add_circuit(estimate: &mut MemoryEstimate, sizes: &crate::sonata::CircuitSizes) -> Result<(), Problem> {
    let synapses = estimate.synapses + sizes.synapses as f64;
    if synapses > MAX_SYNAPSES {
        return Err(Problem::at(
            "sonata.config",
            format!("{synapses:.3e} synapses in all; at most {MAX_SYNAPSES:.0} fit the engine's 32-bit slots"),
        ));
    }
    let bytes = sizes.nodes as f64 * NEURON_BYTES
        + sizes.synapses as f64 * SYNAPSE_BYTES
        + sizes.couplings as f64 * GAP_PAIR_BYTES;
    estimate.synapses = synapses;
    estimate.parts.push(("sonata.config".into(), bytes));
    estimate.parts.sort_by(|a, b| b.1.total_cmp(&a.1));
    Ok(())
}

/// Refuses an estimate above `limit` bytes, at the field that asks for the most.
pub fn check(estimate: &MemoryEstimate, limit: f64) -> Result<(), Problem> {
    let total = estimate.total();
    if total <= limit {
        return Ok(());
    }
    let (field, bytes) = estimate.parts.first().cloned().unwrap_or_default();
    Err(Problem::at(
        field,
        format!(
            "the scene needs about {} (this field {}), more than the {} of memory available; \
             make it smaller, or pass --max-memory to allow more",
            human(total),
            human(bytes),
            human(limit)
        ),
    ))
}

/// The memory a scene may use by default: what the system reports available now, less a margin
/// for the rest of the program (the app's window and buffers); unlimited where it cannot be read.
pub fn available_memory() -> f64 {
    let kb = std::fs::read_to_string("/proc/meminfo").ok().and_then(|s| {
        let line = s.lines().find(|l| l.starts_with("MemAvailable:"))?;
        line.split_whitespace().nth(1)?.parse::<f64>().ok()
    });
    kb.map_or(f64::INFINITY, |kb| kb * 1024.0 * 0.9)
}

/// Parses `--max-memory` ("16 GB", "512 MB", "2.5 GiB", or bytes).
pub fn parse_memory(s: &str) -> Result<f64, String> {
    let t = s.trim();
    let split = t.find(|c: char| c.is_ascii_alphabetic()).unwrap_or(t.len());
    let (number, unit) = (t[..split].trim(), t[split..].trim().to_ascii_lowercase());
    let value: f64 = number.parse().map_err(|_| format!("`{s}` is not an amount of memory such as \"16 GB\""))?;
    let factor = match unit.as_str() {
        "" | "b" => 1.0,
        "kb" | "k" => 1e3,
        "mb" | "m" => 1e6,
        "gb" | "g" => 1e9,
        "tb" | "t" => 1e12,
        "kib" => 1024.0,
        "mib" => 1024f64.powi(2),
        "gib" => 1024f64.powi(3),
        "tib" => 1024f64.powi(4),
        _ => return Err(format!("`{s}`: unknown unit `{unit}` (B, kB, MB, GB, TB, KiB, MiB, GiB, TiB)")),
    };
    let bytes = value * factor;
    if bytes.is_finite() && bytes > 0.0 { Ok(bytes) } else { Err(format!("`{s}` must be a positive amount of memory")) }
}

/// The expected number of pairs a connectivity rule draws between populations of these sizes.
fn expected_pairs(c: &Connectivity, s: f64, t: f64) -> f64 {
    match c {
        Connectivity::Bernoulli { p, .. } => p.clamp(0.0, 1.0) * s * t,
        Connectivity::FixedIndegree { k, .. } => *k as f64 * t,
        Connectivity::FixedOutdegree { k, .. } => *k as f64 * s,
        Connectivity::AllToAll { .. } => s * t,
        Connectivity::OneToOne => s.min(t),
        Connectivity::Gaussian { c, .. } => c.clamp(0.0, 1.0) * s * t,
        Connectivity::Pairs(pairs) => pairs.len() as f64,
    }
}

/// How much a projection's synapses grow when neurogenesis grows its ends.
fn growth_factor(grown: &[f64], sizes: &[f64], s: usize, t: usize) -> f64 {
    let f = |k: usize| if sizes[k] > 0.0 { grown[k] / sizes[k] } else { 1.0 };
    f(s) * f(t)
}

/// The largest value a distribution gives in practice (Normal: mean + 10 sd).
fn upper(d: &Dist) -> f64 {
    match d {
        Dist::Constant(q) => q.value,
        Dist::Uniform { low, high } => low.value.max(high.value),
        Dist::Normal { mean, sd } => mean.value + 10.0 * sd.value.abs(),
    }
    .max(0.0)
}

/// The largest of `parts` (the first written, among equals).
fn largest(parts: &[(String, f64)]) -> (String, f64) {
    parts.iter().rev().max_by(|a, b| a.1.total_cmp(&b.1)).cloned().unwrap_or_default()
}

/// Bytes for people: "48.0 GB".
pub fn human(bytes: f64) -> String {
    match bytes {
        b if b >= 1e12 => format!("{:.1} TB", b / 1e12),
        b if b >= 1e9 => format!("{:.1} GB", b / 1e9),
        b if b >= 1e6 => format!("{:.0} MB", b / 1e6),
        b => format!("{:.0} kB", (b / 1e3).max(1.0)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_estimate_of_cuba_at_400k_neurons_is_near_its_measured_peak() {
        // `neuroplast run scenes/cuba.ron --scale 100 --duration 1ms`: peak RSS 313 MB.
        let mut scene = crate::scene::Scene::load(std::path::Path::new("scenes/cuba.ron")).unwrap();
        scene.scale(100.0).unwrap();
        let e = estimate(&scene.file).unwrap();
        assert!((300e6..600e6).contains(&e.total()), "{}", human(e.total()));
        assert!((31.5e6..32.5e6).contains(&e.synapses), "{}", e.synapses);
        assert!(check(&e, 200e6).unwrap_err().message.contains("more than the 200 MB"));
    }

    #[test]
    fn memory_amounts_parse_with_units() {
        assert_eq!(parse_memory("16 GB").unwrap(), 16e9);
        assert_eq!(parse_memory("2GiB").unwrap(), 2.0 * 1024f64.powi(3));
        assert_eq!(parse_memory("1000").unwrap(), 1000.0);
        assert!(parse_memory("-1 GB").is_err() && parse_memory("lots").is_err() && parse_memory("3 XB").is_err());
    }
}
