//! Reading SONATA nodes: each node population's `node_type_id`, `node_group_id` and
//! `node_group_index`, its groups' `x`, `y`, `z` and `dynamics_params/*`, and the node types
//! table. One Neuroplast population per (node population, node type), in order of first
//! appearance; each node's Neuroplast id is recorded for the edges.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use serde_json::{Map, Value};

use super::config::{CircuitConfig, NodeFiles};
use super::h5::H5;
use super::table::TypeTable;
use super::templates::{OWN_PREFIX, model_for};
use super::{CircuitPopulation, NodeIds, NodePopulation};
use crate::files::FileError;
use crate::sim::NeuronModel;

/// One (node population, node type) while its nodes are gathered.
struct Gathering {
    type_id: u64,
    model: NeuronModel,
    v_init: Option<f64>,
    pop_name: Option<String>,
    positions: Vec<[f32; 3]>,
    without_position: usize,
    overrides: BTreeMap<String, (f64, u64)>,
    size: u32,
}

/// Reads every node file of `config`: the populations (in Neuroplast id order) and, per node
/// population, each node's id.
pub fn read_nodes(
    config: &CircuitConfig,
    notes: &mut Vec<String>,
) -> Result<(Vec<CircuitPopulation>, Vec<NodePopulation>), FileError> {
    let mut populations = Vec::new();
    let mut node_pops = Vec::new();
    let mut next_id: u64 = 0;
    for files in &config.nodes {
        let h5 = H5::open(&files.h5, notes)?;
        let types = files.types.as_ref().map(|t| TypeTable::read(t, "node_type_id")).transpose()?;
        for name in h5.members("/nodes")?.groups {
            if node_pops.iter().any(|p: &NodePopulation| p.name == name) {
                return Err(h5.err(&format!("/nodes/{name}"), "a node population of this name was read already"));
            }
            let (pops, ids) = read_population(&h5, &name, files, types.as_ref(), config, next_id, notes)?;
            let node_ids = node_ids(&h5, &name, ids.len(), notes)?;
            next_id += ids.len() as u64;
            if next_id > 1 << 31 {
                return Err(h5.err(&format!("/nodes/{name}"), "more nodes than a network holds (2^31)"));
            }
            let first = populations.len();
            populations.extend(pops);
            node_pops.push(NodePopulation { name, ids, node_ids, populations: first..populations.len() });
        }
    }
    name_populations(&mut populations);
    Ok((populations, node_pops))
}

/// How the edges name the nodes of population `name`: by row, unless its `node_id` column holds
/// other values (then by them, which must be unique).
fn node_ids(h5: &H5, name: &str, n: usize, notes: &mut Vec<String>) -> Result<NodeIds, FileError> {
    let at = format!("/nodes/{name}");
    if !h5.members(&at)?.datasets.iter().any(|d| d == "node_id") {
        return Ok(NodeIds::Rows);
    }
    let col = h5.column(&format!("{at}/node_id"))?;
    col.expect_len(n as u64, "node_type_id")?;
    let ids = col.all_ids()?;
    let first = ids.first().copied().unwrap_or(0);
    if ids.iter().enumerate().all(|(row, &id)| id == first + row as u64) {
        if first == 0 {
            return Ok(NodeIds::Rows);
        }
        notes.push(format!(
            "{}: {at}/node_id runs from {first}, not 0: edges are read as naming these ids (as PyNN and older \
             BMTK files do; libsonata would read rows)",
            h5.path.display()
        ));
        return Ok(NodeIds::Offset(first));
    }
    let mut map = HashMap::with_capacity(ids.len());
    for (row, &id) in ids.iter().enumerate() {
        if let Some(before) = map.insert(id, row as u32) {
            return Err(col.err(format!("row {row}: node_id {id} is also row {before}'s")));
        }
    }
    notes.push(format!("{}: {at}/node_id is not the row: edges are read as naming these ids", h5.path.display()));
    Ok(NodeIds::Listed(map))
}

fn read_population(
    h5: &H5,
    name: &str,
    files: &NodeFiles,
    types: Option<&TypeTable>,
    config: &CircuitConfig,
    first_id: u64,
    notes: &mut Vec<String>,
) -> Result<(Vec<CircuitPopulation>, Vec<u32>), FileError> {
    let at = format!("/nodes/{name}");
    let members = h5.members(&at)?;
    let type_col = h5.column(&format!("{at}/node_type_id"))?;
    let n = type_col.len;
    let type_ids = type_col.all_ids()?;
    let has = |d: &str| members.datasets.iter().any(|m| m == d);
    let (group_ids, group_index) = if has("node_group_id") || has("node_group_index") {
        let g = h5.column(&format!("{at}/node_group_id"))?;
        g.expect_len(n, "node_type_id")?;
        let i = h5.column(&format!("{at}/node_group_index"))?;
        i.expect_len(n, "node_type_id")?;
        (g.all_ids()?, i.all_ids()?)
    } else {
        (vec![0; n as usize], (0..n).collect())
    };
    // Each group's columns: positions and parameter overrides, read whole (a group has one row
    // per node at most).
    let mut groups: HashMap<u64, GroupColumns> = HashMap::new();
    for g in &members.groups {
        let Ok(id) = g.parse::<u64>() else { continue };
        groups.insert(id, GroupColumns::read(h5, &format!("{at}/{g}"), notes)?);
    }
    let mut gathering: Vec<Gathering> = Vec::new();
    let mut slot_of: HashMap<u64, usize> = HashMap::new();
    let mut local = vec![0u32; n as usize];
    for row in 0..n as usize {
        let t = type_ids[row];
        let slot = match slot_of.get(&t) {
            Some(&s) => s,
            None => {
                let g = node_type(t, types, config, &at, h5, notes)?;
                gathering.push(g);
                slot_of.insert(t, gathering.len() - 1);
                gathering.len() - 1
            }
        };
        let (gid, gi) = (group_ids[row], group_index[row]);
        let group = groups
            .get(&gid)
            .ok_or_else(|| h5.err(&format!("{at}/node_group_id"), format!("row {row}: group {gid} does not exist")))?;
        let g = &mut gathering[slot];
        match group.position(gi) {
            Some(Ok(p)) => g.positions.push(p),
            Some(Err(())) => {
                return Err(h5.err(
                    &format!("{at}/node_group_index"),
                    format!("row {row}: index {gi} is beyond group {gid}'s {} rows", group.rows),
                ));
            }
            None => g.without_position += 1,
        }
        for (param, column) in &group.params {
            let Some(&v) = column.get(gi as usize) else {
                return Err(h5.err(
                    &format!("{at}/node_group_index"),
                    format!("row {row}: index {gi} is beyond {at}/{gid}/dynamics_params/{param}"),
                ));
            };
            match g.overrides.get(param) {
                Some(&(w, first)) if w != v => {
                    return Err(h5.err(
                        &format!("{at}/{gid}/dynamics_params/{param}"),
                        format!(
                            "varies within node type {t} ({w} at node {first}, {v} at node {row}); a Neuroplast \
                             population shares one parameter set"
                        ),
                    ));
                }
                Some(_) => {}
                None => {
                    g.overrides.insert(param.clone(), (v, row as u64));
                }
            }
        }
        local[row] = g.size;
        g.size += 1;
    }
    // Ids: the populations of this node population follow each other.
    let mut base = Vec::with_capacity(gathering.len());
    let mut next = first_id;
    for g in &gathering {
        base.push(next as u32);
        next += g.size as u64;
    }
    let ids: Vec<u32> = (0..n as usize).map(|row| base[slot_of[&type_ids[row]]] + local[row]).collect();
    let mut out = Vec::new();
    for g in gathering {
        let origin = format!("{}: node population `{name}`, node type {}", files.h5.display(), g.type_id);
        if g.without_position != 0 && !g.positions.is_empty() {
            return Err(FileError::new(
                &files.h5,
                format!("{at}: node type {} has x, y, z for some nodes and not for {}", g.type_id, g.without_position),
            ));
        }
        let mut model = g.model;
        let mut v_init = g.v_init;
        if !g.overrides.is_empty() {
            let (template, mut params) = super::templates::template_for(&model);
            for (k, (v, _)) in &g.overrides {
                params.insert(k.clone(), Value::from(*v));
            }
            let m = model_for(&template, &params).map_err(|e| FileError::new(&files.h5, format!("{at}: {e}")))?;
            model = m.model;
            v_init = m.v_init.or(v_init);
        }
        model.validate().map_err(|e| FileError::new(&files.h5, format!("{origin}: {e}")))?;
        out.push(CircuitPopulation {
            name: g.pop_name.unwrap_or_default(),
            node_population: name.to_string(),
            type_id: g.type_id,
            model,
            v_init,
            positions: (!g.positions.is_empty()).then_some(g.positions),
            size: g.size,
            origin,
        });
    }
    Ok((out, ids))
}

/// A node group's columns.
struct GroupColumns {
    rows: u64,
    xyz: Option<[Vec<f64>; 3]>,
    params: Vec<(String, Vec<f64>)>,
}

impl GroupColumns {
    fn read(h5: &H5, at: &str, notes: &mut Vec<String>) -> Result<Self, FileError> {
        let members = h5.members(at)?;
        let has = |d: &str| members.datasets.iter().any(|m| m == d);
        let mut rows = None;
        let mut column = |name: &str| -> Result<Vec<f64>, FileError> {
            let c = h5.column(&format!("{at}/{name}"))?;
            if let Some(r) = rows {
                c.expect_len(r, &format!("{at}'s other columns"))?;
            }
            rows = Some(c.len);
            c.all_numbers()
        };
        let xyz = match (has("x"), has("y"), has("z")) {
            (true, true, true) => Some([column("x")?, column("y")?, column("z")?]),
            (false, false, false) => None,
            _ => return Err(h5.err(at, "has some of x, y, z but not all three")),
        };
        let mut params = Vec::new();
        if members.groups.iter().any(|g| g == "dynamics_params") {
            for p in h5.members(&format!("{at}/dynamics_params"))?.datasets {
                let v = column(&format!("dynamics_params/{p}"))?;
                params.push((p, v));
            }
        }
        for d in &members.datasets {
            if !["x", "y", "z"].contains(&d.as_str()) {
                if ["model_template", "model_type", "dynamics_params"].contains(&d.as_str()) {
                    return Err(h5.err(
                        &format!("{at}/{d}"),
                        "a per-node model is not read: a Neuroplast population has one model (set it in the node types table)",
                    ));
                }
                let note = format!("{}: {at}/{d} is not used", h5.path.display());
                if !notes.contains(&note) {
                    notes.push(note);
                }
            }
        }
        Ok(Self { rows: rows.unwrap_or(0), xyz, params })
    }

    /// The position at group index `i`: `None` when the group has none, `Err` when `i` is beyond it.
    fn position(&self, i: u64) -> Option<Result<[f32; 3], ()>> {
        let [x, y, z] = self.xyz.as_ref()?;
        let i = i as usize;
        Some(if i < x.len() { Ok([x[i] as f32, y[i] as f32, z[i] as f32]) } else { Err(()) })
    }
}

/// The model of node type `t` from the types table and its `dynamics_params` file.
fn node_type(
    t: u64,
    types: Option<&TypeTable>,
    config: &CircuitConfig,
    at: &str,
    h5: &H5,
    notes: &mut Vec<String>,
) -> Result<Gathering, FileError> {
    let Some(types) = types.filter(|tt| tt.has(t)) else {
        return Err(h5.err(
            &format!("{at}/node_type_id"),
            format!(
                "node type {t} is not in the node types table{}",
                if types.is_none() { " (none given)" } else { "" }
            ),
        ));
    };
    let line = types.line(t);
    let cell_err =
        |col: &str, what: String| FileError::new(&types.path, format!("line {line}, column `{col}`: {what}"));
    let model_type = types.get(t, "model_type").unwrap_or("point_neuron");
    let mut params = match types.get(t, "dynamics_params") {
        None => Map::new(),
        Some(file) => read_params(config, file).map_err(|e| cell_err("dynamics_params", e))?,
    };
    let template = types.get(t, "model_template");
    // PyNN's export writes a type's parameters as columns of the table.
    if template.is_some_and(|m| m.starts_with("pynn:")) {
        for (column, cell) in types.cells(t) {
            if ["node_type_id", "model_type", "model_template", "dynamics_params", "pop_name"].contains(&column) {
                continue;
            }
            let v = cell
                .parse::<f64>()
                .ok()
                .filter(|v| v.is_finite())
                .ok_or_else(|| cell_err(column, format!("`{cell}` is not a finite number")))?;
            params.insert(column.to_string(), Value::from(v));
        }
    }
    let (model, v_init) = match model_type {
        "point_neuron" | "point_process" => {
            let template = template.ok_or_else(|| cell_err("model_template", "missing for a point neuron".into()))?;
            let m = model_for(template, &params).map_err(|e| cell_err("model_template", e))?;
            (m.model, m.v_init)
        }
        "virtual" => match template {
            Some(tp) if tp.starts_with(OWN_PREFIX) || tp.starts_with("pynn:") => {
                let m = model_for(tp, &params).map_err(|e| cell_err("model_template", e))?;
                (m.model, None)
            }
            _ => {
                notes.push(format!(
                    "{} line {line}: node type {t} is virtual (its spikes come from a simulation's input files, \
                     which are not read here): imported as silent sources (PoissonSource at 0 Hz)",
                    types.path.display()
                ));
                (NeuronModel::PoissonSource { rate: 0.0 }, None)
            }
        },
        other => {
            return Err(cell_err(
                "model_type",
                format!("`{other}` cells have no point-neuron counterpart here (point_neuron and virtual are read)"),
            ));
        }
    };
    Ok(Gathering {
        type_id: t,
        model,
        v_init,
        pop_name: types.get(t, "pop_name").map(str::to_string),
        positions: Vec::new(),
        without_position: 0,
        overrides: BTreeMap::new(),
        size: 0,
    })
}

/// A `dynamics_params` JSON file, looked up in `components.point_neuron_models_dir`.
fn read_params(config: &CircuitConfig, file: &str) -> Result<Map<String, Value>, String> {
    let dir = config.neuron_models_dir.as_deref().unwrap_or(Path::new("."));
    let path = if Path::new(file).is_absolute() { Path::new(file).to_path_buf() } else { dir.join(file) };
    let text = std::fs::read_to_string(&path)
        .map_err(|e| format!("{}: cannot read ({})", path.display(), crate::files::io_reason(&e)))?;
    match serde_json::from_str::<Value>(&text) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err(format!("{}: line 1: dynamics_params must be a JSON object", path.display())),
        Err(e) => Err(format!("{}: line {}, column {}: {e}", path.display(), e.line(), e.column())),
    }
}

/// Names each population: its `pop_name` when no other population has it, else its node
/// population's name when that holds one type, else `<node population>:<type id>`.
fn name_populations(pops: &mut [CircuitPopulation]) {
    let count = |f: &dyn Fn(&CircuitPopulation) -> bool| pops.iter().filter(|p| f(p)).count();
    let names: Vec<String> = pops
        .iter()
        .map(|p| {
            if !p.name.is_empty() && count(&|q| q.name == p.name) == 1 {
                p.name.clone()
            } else if count(&|q| q.node_population == p.node_population) == 1 {
                p.node_population.clone()
            } else {
                format!("{}:{}", p.node_population, p.type_id)
            }
        })
        .collect();
    for (p, n) in pops.iter_mut().zip(names) {
        p.name = n;
    }
}
