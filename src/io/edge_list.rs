//! Connectomes as CSV edge lists, `Source,Target,Weight,Type` (Type `chemical` or `electrical`,
//! Weight the number of synaptic contacts), with an optional positions file
//! (`neuron,x_um,y_um,z_um,…`) and an optional class file (`name; description; lineage; class`,
//! WormAtlas's layout): any connectome in that shape becomes a scene without code changes.
//!
//! Each contact is one synapse (repeated pairs are multapses) or one gap junction, so the weight
//! survives exactly. Neurons are grouped into populations by class (sensory, motor, inter, other)
//! when a class file is given. Names are matched across files ignoring padding and leading zeros
//! of a trailing number (`AS01` = `AS1`). A cell without a position is placed at the mean position
//! of its partners, and the import says how many were.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use crate::scene::format::{InitSpec, Layout, PopulationSpec, SCENE_VERSION, SceneFile};
use crate::sim::{Dim, LifCurrent, NeuronModel, Quantity, Receptor};

/// What to read and how to turn it into a scene.
#[derive(Clone, Debug)]
pub struct EdgeListImport<'a> {
    /// The edge list.
    pub edges: &'a Path,
    /// Optional soma positions (µm).
    pub positions: Option<&'a Path>,
    /// Optional neuron classes.
    pub classes: Option<&'a Path>,
    /// Weight of one chemical contact (a voltage jump or a current).
    pub chemical_weight: Quantity,
    /// Conductance of one electrical contact.
    pub gap_conductance: Quantity,
    /// Cells whose chemical synapses inhibit (an edge list carries no sign: GABAergic neurons,
    /// for example); their contacts get the negative weight on the inhibitory receptor.
    pub inhibitory: &'a [String],
}

/// Weight of one chemical contact when none is given.
pub const DEFAULT_CHEMICAL_WEIGHT: &str = "1 mV";
/// Conductance of one electrical contact when none is given.
pub const DEFAULT_GAP_CONDUCTANCE: &str = "0.1 nS";

impl<'a> EdgeListImport<'a> {
    /// The edge list alone, with the default contact weight and conductance.
    pub fn defaults(edges: &'a Path) -> Self {
        let q = |s| Quantity::parse(s).expect("the defaults parse");
        Self {
            edges,
            positions: None,
            classes: None,
            chemical_weight: q(DEFAULT_CHEMICAL_WEIGHT),
            gap_conductance: q(DEFAULT_GAP_CONDUCTANCE),
            inhibitory: &[],
        }
    }
}

/// A scene made from an edge list, and what the import did that the user should know.
#[derive(Clone, Debug)]
pub struct Imported {
    /// The scene.
    pub scene: SceneFile,
    /// Lines for the user: counts, cells placed by their partners, names without a class.
    pub report: Vec<String>,
}

/// An import error: `file:line: message`.
fn at(file: &Path, line: usize, message: impl std::fmt::Display) -> String {
    format!("{}:{line}: {message}", file.display())
}

fn read(path: &Path) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("{}: cannot read: {e}", path.display()))
}

/// The name used to match a cell across files: trimmed, with a trailing number's leading zeros
/// removed (`AS01` → `AS1`, `VD09` → `VD9`, `BWM-DL01` → `BWM-DL1`).
pub fn match_key(name: &str) -> String {
    let name = name.trim();
    let digits = name.len() - name.trim_end_matches(|c: char| c.is_ascii_digit()).len();
    if digits == 0 {
        return name.to_string();
    }
    let (head, tail) = name.split_at(name.len() - digits);
    let tail = tail.trim_start_matches('0');
    format!("{head}{}", if tail.is_empty() { "0" } else { tail })
}

/// One edge of the list.
struct Edge {
    source: usize,
    target: usize,
    contacts: u32,
    electrical: bool,
}

/// Reads the files and builds the scene.
pub fn import(spec: &EdgeListImport<'_>) -> Result<Imported, String> {
    let text = read(spec.edges)?;
    let mut names: Vec<String> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut id_of = |name: &str| -> usize {
        let key = match_key(name);
        *index.entry(key).or_insert_with(|| {
            names.push(name.trim().to_string());
            names.len() - 1
        })
    };
    let mut lines = text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty());
    let (_, header) = lines.next().ok_or_else(|| at(spec.edges, 1, "the file is empty"))?;
    let columns: Vec<String> = header.split(',').map(|c| c.trim().to_ascii_lowercase()).collect();
    let column = |name: &str| {
        columns.iter().position(|c| c == name).ok_or_else(|| {
            at(spec.edges, 1, format!("no `{name}` column in the header (want Source,Target,Weight,Type)"))
        })
    };
    let (cs, ct, cw, ck) = (column("source")?, column("target")?, column("weight")?, column("type")?);
    let mut edges = Vec::new();
    for (n, line) in lines {
        let fields: Vec<&str> = line.split(',').map(str::trim).collect();
        let field = |k: usize, what: &str| {
            fields.get(k).copied().filter(|f| !f.is_empty()).ok_or_else(|| at(spec.edges, n + 1, format!("no {what}")))
        };
        let (source, target) = (field(cs, "Source")?, field(ct, "Target")?);
        let weight = field(cw, "Weight")?;
        let contacts = weight
            .parse::<f64>()
            .ok()
            .filter(|w| w.is_finite() && *w >= 1.0 && w.fract() == 0.0 && *w <= 1e6)
            .ok_or_else(|| {
                at(spec.edges, n + 1, format!("Weight `{weight}` is not a number of contacts (1 to 1e6)"))
            })?;
        let electrical = match field(ck, "Type")?.to_ascii_lowercase().as_str() {
            "chemical" | "chem" | "send" => false,
            "electrical" | "gapjunction" | "gap junction" | "gap" => true,
            other => return Err(at(spec.edges, n + 1, format!("Type `{other}` is neither chemical nor electrical"))),
        };
        let (source, target) = (id_of(source), id_of(target));
        edges.push(Edge { source, target, contacts: contacts as u32, electrical });
    }
    if edges.is_empty() {
        return Err(at(spec.edges, 2, "no edges"));
    }
    let cells = names.len();
    let classes = match spec.classes {
        Some(p) => read_classes(p)?,
        None => HashMap::new(),
    };
    let class_of: Vec<&str> = names
        .iter()
        .map(|n| match spec.classes {
            Some(_) => classes.get(&match_key(n)).map_or("other", |c| c.as_str()),
            None => "neurons",
        })
        .collect();
    let mut report = Vec::new();
    let positions = match spec.positions {
        Some(p) => place(p, &names, &edges, &mut report)?,
        None => spread(cells),
    };
    // Populations in a fixed order; each neuron's index within its population.
    let order = ["sensory", "inter", "motor", "other", "neurons"];
    let mut members: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for (k, class) in class_of.iter().enumerate() {
        members.entry(order.iter().position(|o| o == class).expect("a known class")).or_default().push(k);
    }
    let mut local = vec![(0usize, 0u32); cells];
    let mut populations = Vec::new();
    for (p, (&class, ids)) in members.iter().enumerate() {
        for (i, &k) in ids.iter().enumerate() {
            local[k] = (p, i as u32);
        }
        populations.push(PopulationSpec {
            name: order[class].to_string(),
            size: ids.len() as u32,
            model: NeuronModel::LifCurrent(LifCurrent::default()),
            layout: Layout::Positions(ids.iter().map(|&k| positions[k]).collect()),
            init: InitSpec::default(),
            intrinsic: None,
            neurogenesis: None,
            neuron_names: ids.iter().map(|&k| names[k].clone()).collect(),
        });
    }
    let pop_name = |p: usize| populations[p].name.clone();
    // One projection (or coupling) per pair of populations, contacts as repeated pairs.
    let inhibits: Vec<bool> =
        names.iter().map(|n| spec.inhibitory.iter().any(|i| match_key(i) == match_key(n))).collect();
    let unknown: Vec<&str> =
        spec.inhibitory.iter().filter(|i| !index.contains_key(&match_key(i))).map(String::as_str).collect();
    if !unknown.is_empty() {
        return Err(format!("inhibitory cells not in {}: {}", spec.edges.display(), unknown.join(", ")));
    }
    let mut chemical: BTreeMap<(usize, usize, bool), Vec<(u32, u32)>> = BTreeMap::new();
    let mut electrical: BTreeMap<(usize, usize), Vec<(u32, u32)>> = BTreeMap::new();
    // Electrical edges are listed both ways: each unordered pair once, at its larger count.
    let mut gap_contacts: BTreeMap<(usize, usize), u32> = BTreeMap::new();
    let (mut chemical_contacts, mut self_loops) = (0u64, 0usize);
    for e in &edges {
        if e.electrical {
            if e.source == e.target {
                self_loops += 1;
                continue;
            }
            let key = (e.source.min(e.target), e.source.max(e.target));
            let c = gap_contacts.entry(key).or_insert(0);
            *c = (*c).max(e.contacts);
        } else {
            let ((ps, s), (pt, t)) = (local[e.source], local[e.target]);
            let key = (ps, pt, inhibits[e.source]);
            chemical.entry(key).or_default().extend(std::iter::repeat_n((s, t), e.contacts as usize));
            chemical_contacts += u64::from(e.contacts);
        }
    }
    let mut gap_total = 0u64;
    for (&(a, b), &c) in &gap_contacts {
        let ((pa, ia), (pb, ib)) = (local[a], local[b]);
        electrical.entry((pa, pb)).or_default().extend(std::iter::repeat_n((ia, ib), c as usize));
        gap_total += u64::from(c);
    }
    let projections = chemical
        .into_iter()
        .map(|((s, t, inhibitory), pairs)| {
            let w = spec.chemical_weight;
            super::pairs_projection(
                format!("{}->{}{}", pop_name(s), pop_name(t), if inhibitory { " (inhibitory)" } else { "" }),
                (pop_name(s), pop_name(t)),
                pairs,
                (if inhibitory { Quantity::new(-w.value, w.dim) } else { w }, Quantity::new(0.0, Dim::Time)),
                if inhibitory { Receptor::Inhibitory } else { Receptor::Excitatory },
            )
        })
        .collect();
    let gap_junctions = electrical
        .into_iter()
        .map(|((s, t), pairs)| super::pairs_coupling((pop_name(s), pop_name(t)), pairs, spec.gap_conductance))
        .collect();
    report.insert(
        0,
        format!(
            "{cells} cells in {} populations; {} chemical edges ({chemical_contacts} contacts as synapses); \
             {} electrical pairs ({gap_total} contacts as couplings)",
            populations.len(),
            edges.iter().filter(|e| !e.electrical).count(),
            gap_contacts.len()
        ),
    );
    if self_loops > 0 {
        report.push(format!("{self_loops} electrical edges from a cell to itself have no effect and were left out"));
    }
    let mut description = format!("Imported from {}: each contact one synapse or coupling.", spec.edges.display());
    if !spec.inhibitory.is_empty() {
        description.push_str(&format!(
            " The edge list carries no sign: the chemical synapses of {} inhibit, the others excite.",
            spec.inhibitory.join(", ")
        ));
    }
    let scene = SceneFile {
        version: SCENE_VERSION,
        name: spec.edges.file_stem().map_or("imported".into(), |s| s.to_string_lossy().into_owned()),
        description,
        dt: Quantity::new(0.1, Dim::Time),
        seed: 1,
        populations,
        projections,
        gap_junctions,
        inputs: Vec::new(),
        structural_plasticity: None,
        attention_edges: None,
        camera: None,
        display_positions: Vec::new(),
        recording: None,
        sonata: None,
    };
    Ok(Imported { scene, report })
}

/// `name; description; lineage; class` lines (`#` comments): each name's class, as one of
/// sensory, motor, inter or other.
fn read_classes(path: &Path) -> Result<HashMap<String, String>, String> {
    let text = read(path)?;
    let mut out = HashMap::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let fields: Vec<&str> = line.split(';').map(str::trim).collect();
        let (Some(name), Some(class)) = (fields.first().filter(|f| !f.is_empty()), fields.last()) else {
            return Err(at(path, n + 1, "want `name; description; lineage; class`"));
        };
        let class = class.to_ascii_lowercase();
        let sensory = ["sensory", "receptor", "amphid neuron", "phasmid neuron", "ciliated", "microtubule cell"];
        let kind = if class.contains("motor") {
            "motor"
        } else if class.contains("interneuron") {
            "inter"
        } else if sensory.iter().any(|w| class.contains(w)) {
            "sensory"
        } else {
            "other"
        };
        out.insert(match_key(name), kind.to_string());
    }
    Ok(out)
}

/// Positions from `neuron,x,y,z,…` lines; a cell without one sits at the mean of its partners'
/// (or, without placed partners, on a line beside the others).
fn place(
    path: &Path,
    names: &[String],
    edges: &[Edge],
    report: &mut Vec<String>,
) -> Result<Vec<(f32, f32, f32)>, String> {
    let text = read(path)?;
    let mut known: HashMap<String, (f32, f32, f32)> = HashMap::new();
    for (n, line) in text.lines().enumerate().skip(1).filter(|(_, l)| !l.trim().is_empty()) {
        let f: Vec<&str> = line.split(',').map(str::trim).collect();
        let coordinate = |k: usize| {
            f.get(k)
                .and_then(|v| v.parse::<f32>().ok())
                .filter(|v| v.is_finite() && v.abs() <= 1e9)
                .ok_or_else(|| at(path, n + 1, format!("column {} is not a coordinate in µm", k + 1)))
        };
        let name = f.first().filter(|s| !s.is_empty()).ok_or_else(|| at(path, n + 1, "no neuron name"))?;
        known.insert(match_key(name), (coordinate(1)?, coordinate(2)?, coordinate(3)?));
    }
    let mut out: Vec<Option<(f32, f32, f32)>> = names.iter().map(|n| known.get(&match_key(n)).copied()).collect();
    let missing = out.iter().filter(|p| p.is_none()).count();
    let mut by_partners = 0;
    for k in 0..names.len() {
        if out[k].is_some() {
            continue;
        }
        let partners: Vec<(f32, f32, f32)> = edges
            .iter()
            .filter_map(|e| {
                if e.source == k {
                    Some(e.target)
                } else if e.target == k {
                    Some(e.source)
                } else {
                    None
                }
            })
            .filter_map(|p| out[p].filter(|_| known.contains_key(&match_key(&names[p]))))
            .collect();
        if !partners.is_empty() {
            let n = partners.len() as f32;
            let mean = partners.iter().fold((0.0, 0.0, 0.0), |a, p| (a.0 + p.0 / n, a.1 + p.1 / n, a.2 + p.2 / n));
            // A small offset by index, so cells with the same partners do not coincide.
            out[k] = Some((mean.0 + (k % 7) as f32, mean.1, mean.2 + 5.0 + (k % 5) as f32));
            by_partners += 1;
        }
    }
    // The rest in a small block 50 µm beside the placed cells, 10 µm apart.
    let x0 = known.values().map(|p| p.0).fold(f32::MIN, f32::max).max(0.0) + 50.0;
    let unplaced = out.iter().filter(|p| p.is_none()).count();
    let block = spread(unplaced);
    for (p, at) in out.iter_mut().filter(|p| p.is_none()).zip(block) {
        *p = Some((x0 + at.0 / 2.0, at.1 / 2.0, at.2 / 2.0));
    }
    if missing > 0 {
        report.push(format!(
            "{missing} cells have no position in {}: {by_partners} placed at the mean of their partners, {} in a block beside the rest",
            path.display(),
            missing - by_partners
        ));
    }
    Ok(out.into_iter().map(|p| p.expect("every cell placed")).collect())
}

/// Without positions: cells on a cube grid 20 µm apart.
fn spread(cells: usize) -> Vec<(f32, f32, f32)> {
    let side = (cells as f64).cbrt().ceil() as usize;
    (0..cells)
        .map(|k| ((k % side) as f32 * 20.0, ((k / side) % side) as f32 * 20.0, (k / side / side) as f32 * 20.0))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_match_across_zero_padding() {
        assert_eq!(match_key(" AS01 "), "AS1");
        assert_eq!(match_key("VD9"), "VD9");
        assert_eq!(match_key("BWM-DL01"), "BWM-DL1");
        assert_eq!(match_key("I3"), "I3");
        assert_eq!(match_key("X00"), "X0");
        assert_eq!(match_key("AVAL"), "AVAL");
    }
}
