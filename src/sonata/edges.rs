//! Reading SONATA edges into the engine's synapse table without holding the edge files: a first
//! pass counts each presynaptic neuron's synapses (the CSR row lengths), a second fills the rows,
//! both reading every column in windows of [`WINDOW`] rows. Weights and delays are per edge
//! (`<group>/syn_weight`, `<group>/delay`) or per edge type (the edge types table), times
//! `nsyns` where given (as BMTK's PointNet does); the sign of the weight picks the receptor (as
//! in NEST), and a delay `d` is NEST's: `round(d / dt) − 1` of our steps. Electrical edge
//! populations become couplings (`conductance` or `syn_weight`, nS).

use std::collections::HashMap;

use super::config::{CircuitConfig, EdgeKind};
use super::h5::{Column, H5, WINDOW};
use super::placement::{Batch, Pending};

/// Synapses gathered before they are placed (4 M: 64 MB, twice for the sort).
const BATCH: usize = 1 << 22;
use super::table::TypeTable;
use super::{CircuitPopulation, NodeIds, NodePopulation};
use crate::files::FileError;
use crate::sim::{SynapseKind, Synapses};

/// The largest synaptic weight read (pA or nS), as for scenes.
const MAX_WEIGHT: f64 = 1e12;

/// One edge population, found and checked before any row is read.
struct EdgePopulation {
    h5: usize,
    at: String,
    kind: EdgeKind,
    source: usize,
    target: usize,
    len: u64,
    types: Option<usize>,
    /// Groups by id: their columns `syn_weight` (or `conductance`), `delay`, `nsyns`, when present.
    groups: HashMap<u64, [Option<String>; 3]>,
    grouped: bool,
}

/// What the edges add to the network.
pub struct Wired {
    /// The chemical synapses, CSR over every neuron.
    pub synapses: Synapses,
    /// Electrical couplings `(i, j, g_nS)`.
    pub couplings: Vec<(u32, u32, f32)>,
}

/// Reads every edge population of `config` onto the neurons `node_pops` numbered.
pub fn read_edges(
    config: &CircuitConfig,
    populations: &[CircuitPopulation],
    node_pops: &[NodePopulation],
    dt_ms: f64,
    notes: &mut Vec<String>,
) -> Result<Wired, FileError> {
    let n: usize = populations.iter().map(|p| p.size as usize).sum();
    let kind_of: Vec<SynapseKind> =
        populations.iter().flat_map(|p| std::iter::repeat_n(p.model.synapse_kind(), p.size as usize)).collect();
    let mut files = Vec::new();
    let mut tables = Vec::new();
    let mut pops = Vec::new();
    for ef in &config.edges {
        let h5 = H5::open(&ef.h5, notes)?;
        let types = ef.types.as_ref().map(|t| TypeTable::read(t, "edge_type_id")).transpose()?;
        let ti = types.map(|t| {
            tables.push(t);
            tables.len() - 1
        });
        for name in h5.members("/edges")?.groups {
            let kind = ef.kinds.iter().find(|(k, _)| *k == name).map_or(EdgeKind::Chemical, |k| k.1);
            pops.push(find_population(&h5, files.len(), &name, kind, ti, node_pops)?);
        }
        files.push(h5);
    }
    for p in &pops {
        if let Some(t) = p.types {
            note_templates(&tables[t], p, &files[p.h5], notes);
        }
    }
    // Pass 1: row lengths.
    let mut row_start = vec![0u64; n + 1];
    for p in pops.iter().filter(|p| p.kind == EdgeKind::Chemical) {
        let h5 = &files[p.h5];
        let src = h5.column(&format!("{}/source_node_id", p.at))?;
        let ids = Ids::of(&node_pops[p.source]);
        for start in (0..p.len).step_by(WINDOW as usize) {
            for (k, s) in src.ids(start, WINDOW)?.into_iter().enumerate() {
                let pre = node(&ids, s, &src, start + k as u64)?;
                row_start[pre as usize + 1] += 1;
            }
        }
    }
    for i in 0..n {
        row_start[i + 1] += row_start[i];
    }
    let total = row_start[n];
    if total > u32::MAX as u64 - 1 {
        return Err(FileError::new(&config.path, format!("{total} synapses; a network holds at most 2^32 − 2")));
    }
    // Pass 2: fill the rows.
    let mut fill: Vec<u64> = row_start[..n].to_vec();
    let mut syn = Synapses {
        target: vec![0; total as usize],
        weight: vec![0.0; total as usize],
        delay: vec![0; total as usize],
        ..Synapses::default()
    };
    let mut couplings = Vec::new();
    let mut self_couplings = 0u64;
    let mut batch = Batch::default();
    for p in &pops {
        let h5 = &files[p.h5];
        let mut typed = TypeValues::new(p.types.map(|t| &tables[t]), p.kind);
        let c = Columns::open(h5, p)?;
        let (src_ids, dst_ids) = (Ids::of(&node_pops[p.source]), Ids::of(&node_pops[p.target]));
        // Each window is read while the one before it is placed (two cores: HDF5 decoding and
        // placing take about as long).
        let starts: Vec<u64> = (0..p.len).step_by(WINDOW as usize).collect();
        let mut next = starts.first().map(|&s| c.window(h5, p, s));
        for (i, &start) in starts.iter().enumerate() {
            let Some(w) = next.take() else { break };
            let w = w?;
            let following = starts.get(i + 1).copied();
            let mut process = || -> Result<(), FileError> {
                for k in 0..w.sources.len() {
                    let row = start + k as u64;
                    let pre = node(&src_ids, w.sources[k], &c.source, row)?;
                    let post = node(&dst_ids, w.targets[k], &c.target, row)?;
                    let EdgeValues { weight, delay, inhibitory } = w.values(k, &mut typed, h5, p, row)?;
                    if p.kind == EdgeKind::Electrical {
                        if !(0.0..=MAX_WEIGHT).contains(&weight) {
                            return Err(
                                h5.err(&p.at, format!("edge {row}: conductance {weight} nS must be from 0 to 1e12"))
                            );
                        }
                        if pre == post {
                            self_couplings += 1;
                        } else {
                            couplings.push((pre, post, weight as f32));
                        }
                        continue;
                    }
                    let kind = kind_of[post as usize];
                    if kind == SynapseKind::None {
                        return Err(h5.err(
                            &format!("{}/target_node_id", p.at),
                            format!(
                                "row {row}: node {} is a spike source (virtual); it cannot receive synapses",
                                w.targets[k]
                            ),
                        ));
                    }
                    if weight.abs() > MAX_WEIGHT {
                        return Err(h5.err(&p.at, format!("edge {row}: weight {weight} is beyond ±1e12")));
                    }
                    let delay = delay.ok_or_else(|| {
                        h5.err(
                            &p.at,
                            format!("edge {row}: no delay (neither a `delay` column nor one in its edge type)"),
                        )
                    })?;
                    let steps = (delay / dt_ms).round() - 1.0;
                    if delay.is_nan() || delay < 0.0 || steps > u16::MAX as f64 {
                        return Err(h5.err(
                            &p.at,
                            format!(
                                "edge {row}: delay {delay} ms is not from 0 to {} ms",
                                (u16::MAX as f64 + 1.0) * dt_ms
                            ),
                        ));
                    }
                    batch.items.push(Pending {
                        pre,
                        target: (post << 1) | inhibitory as u32,
                        weight: if kind == SynapseKind::Conductance { weight.abs() } else { weight } as f32,
                        delay: steps.max(0.0) as u16,
                    });
                }
                if batch.items.len() >= BATCH {
                    batch.place(&mut fill, &mut syn, &row_start);
                }
                Ok(())
            };
            let (read, placed) = rayon::join(|| following.map(|s| c.window(h5, p, s)), &mut process);
            placed?;
            next = read;
        }
    }
    batch.place(&mut fill, &mut syn, &row_start);
    if self_couplings > 0 {
        notes.push(format!("{self_couplings} electrical edges join a neuron to itself: left out"));
    }
    if syn.delay.iter().all(|&d| d == 0) {
        syn.delay = Vec::new();
    }
    syn.row_start = row_start;
    Ok(Wired { synapses: syn, couplings })
}

/// Node ids to ours: a lookup, or an offset when the population's ids follow each other (one
/// node type, or types in runs), which saves a memory access per edge.
struct Ids<'a> {
    ids: &'a [u32],
    offset: Option<u32>,
    node_ids: &'a NodeIds,
    name: &'a str,
}

impl<'a> Ids<'a> {
    fn of(p: &'a NodePopulation) -> Self {
        let offset =
            p.ids.first().copied().filter(|&first| p.ids.iter().enumerate().all(|(i, &id)| id == first + i as u32));
        Self { ids: &p.ids, offset, node_ids: &p.node_ids, name: &p.name }
    }
}

/// Our id of node `v`, or an error at `row` of `column`.
#[inline]
fn node(ids: &Ids, v: u64, column: &Column, row: u64) -> Result<u32, FileError> {
    let at = ids.node_ids.row(v);
    let found = match (at, ids.offset) {
        (None, _) => None,
        (Some(r), Some(first)) => ((r as usize) < ids.ids.len()).then(|| first + r as u32),
        (Some(r), None) => ids.ids.get(r as usize).copied(),
    };
    found.ok_or_else(|| {
        column.err(format!("row {row}: node {v} is not in population `{}` ({} nodes)", ids.name, ids.ids.len()))
    })
}

fn find_population(
    h5: &H5,
    file: usize,
    name: &str,
    kind: EdgeKind,
    types: Option<usize>,
    node_pops: &[NodePopulation],
) -> Result<EdgePopulation, FileError> {
    let at = format!("/edges/{name}");
    let members = h5.members(&at)?;
    let src = h5.column(&format!("{at}/source_node_id"))?;
    let dst = h5.column(&format!("{at}/target_node_id"))?;
    dst.expect_len(src.len, "source_node_id")?;
    let side = |c: &Column| -> Result<usize, FileError> {
        let names: Vec<&str> = node_pops.iter().map(|p| p.name.as_str()).collect();
        match c.text_attr("node_population")? {
            Some(pop) => node_pops.iter().position(|p| p.name == pop).ok_or_else(|| {
                c.err(format!("node_population `{pop}` is not among the nodes read ({})", names.join(", ")))
            }),
            None if node_pops.len() == 1 => Ok(0),
            None => Err(c.err(format!("no `node_population` attribute, and there are several ({})", names.join(", ")))),
        }
    };
    let (source, target) = (side(&src)?, side(&dst)?);
    let has = |d: &str| members.datasets.iter().any(|m| m == d);
    let et = h5.column(&format!("{at}/edge_type_id"))?;
    et.expect_len(src.len, "source_node_id")?;
    let grouped = has("edge_group_id") || has("edge_group_index");
    if grouped {
        for d in ["edge_group_id", "edge_group_index"] {
            h5.column(&format!("{at}/{d}"))?.expect_len(src.len, "source_node_id")?;
        }
    }
    let mut groups = HashMap::new();
    for g in &members.groups {
        let Ok(id) = g.parse::<u64>() else { continue };
        let gm = h5.members(&format!("{at}/{g}"))?;
        let mut present = gm.datasets.clone();
        if gm.groups.iter().any(|d| d == "dynamics_params") {
            let dp = h5.members(&format!("{at}/{g}/dynamics_params"))?;
            present.extend(dp.datasets.iter().map(|d| format!("dynamics_params/{d}")));
        }
        let col =
            |names: &[&str]| names.iter().find(|d| present.iter().any(|m| m == *d)).map(|d| format!("{at}/{g}/{d}"));
        // PyNN's export writes `dynamics_params/weight` and `dynamics_params/delay`.
        let weight = if kind == EdgeKind::Electrical {
            col(&["conductance", "syn_weight", "dynamics_params/weight"])
        } else {
            col(&["syn_weight", "dynamics_params/weight"])
        };
        groups.insert(id, [weight, col(&["delay", "dynamics_params/delay"]), col(&["nsyns"])]);
    }
    Ok(EdgePopulation { h5: file, at, kind, source, target, len: src.len, types, groups, grouped })
}

/// Notes edge types whose synapse model is not a static one: their weights are read, their
/// dynamics not.
fn note_templates(types: &TypeTable, p: &EdgePopulation, h5: &H5, notes: &mut Vec<String>) {
    let Ok(et) = h5.column(&format!("{}/edge_type_id", p.at)) else { return };
    let Ok(ids) = et.ids(0, et.len.min(WINDOW)) else { return };
    let mut seen: Vec<u64> = ids;
    seen.sort_unstable();
    seen.dedup();
    for t in seen {
        if let Some(m) = types.get(t, "model_template")
            && !["static_synapse", "gap_junction", "pynn:StaticSynapse"].contains(&m)
        {
            notes.push(format!(
                "{} line {}: edge type {t} uses `{m}`; its weights are read as static synapses",
                types.path.display(),
                types.line(t)
            ));
        }
    }
}

/// The columns of one edge population.
struct Columns<'a> {
    source: Column<'a>,
    target: Column<'a>,
    types: Column<'a>,
    group_id: Option<Column<'a>>,
    group_index: Option<Column<'a>>,
    groups: HashMap<u64, [Option<Column<'a>>; 3]>,
}

/// One window of rows.
struct Window {
    sources: Vec<u64>,
    targets: Vec<u64>,
    types: Vec<u64>,
    /// Per column (weight, delay, nsyns), per edge: its group's value, NaN when the group has
    /// none (values read are finite, so NaN is free to mean absent).
    values: [Vec<f64>; 3],
}

impl<'a> Columns<'a> {
    fn open(h5: &'a H5, p: &EdgePopulation) -> Result<Self, FileError> {
        let at = &p.at;
        let mut groups = HashMap::new();
        for (id, cols) in &p.groups {
            let open = |c: &Option<String>| c.as_ref().map(|c| h5.column(c)).transpose();
            groups.insert(*id, [open(&cols[0])?, open(&cols[1])?, open(&cols[2])?]);
        }
        Ok(Self {
            source: h5.column(&format!("{at}/source_node_id"))?,
            target: h5.column(&format!("{at}/target_node_id"))?,
            types: h5.column(&format!("{at}/edge_type_id"))?,
            group_id: p.grouped.then(|| h5.column(&format!("{at}/edge_group_id"))).transpose()?,
            group_index: p.grouped.then(|| h5.column(&format!("{at}/edge_group_index"))).transpose()?,
            groups,
        })
    }

    fn window(&self, h5: &H5, p: &EdgePopulation, start: u64) -> Result<Window, FileError> {
        let sources = self.source.ids(start, WINDOW)?;
        let len = sources.len();
        let targets = self.target.ids(start, WINDOW)?;
        let types = self.types.ids(start, WINDOW)?;
        let (gid, gix) = match (&self.group_id, &self.group_index) {
            (Some(g), Some(i)) => (g.ids(start, WINDOW)?, i.ids(start, WINDOW)?),
            _ => (vec![0; len], (start..start + len as u64).collect()),
        };
        let mut values = [vec![f64::NAN; len], vec![f64::NAN; len], vec![f64::NAN; len]];
        // Per group: the rows of its columns this window refers to, read as one range.
        let mut span: HashMap<u64, (u64, u64)> = HashMap::new();
        let range = |ix: &mut dyn Iterator<Item = u64>| ix.fold((u64::MAX, 0), |(lo, hi), i| (lo.min(i), hi.max(i)));
        if len > 0 && gid.iter().all(|&g| g == gid[0]) {
            span.insert(gid[0], range(&mut gix.iter().copied()));
        } else {
            for k in 0..len {
                let e = span.entry(gid[k]).or_insert((gix[k], gix[k]));
                e.0 = e.0.min(gix[k]);
                e.1 = e.1.max(gix[k]);
            }
        }
        for (g, (lo, hi)) in span {
            let Some(cols) = self.groups.get(&g) else {
                if self.groups.is_empty() {
                    continue;
                }
                let row = start + gid.iter().position(|&x| x == g).unwrap_or(0) as u64;
                return Err(h5.err(&format!("{}/edge_group_id", p.at), format!("row {row}: group {g} does not exist")));
            };
            for (c, col) in cols.iter().enumerate() {
                let Some(col) = col else { continue };
                if hi >= col.len {
                    return Err(col.err(format!("edge_group_index {hi} is beyond its {} rows", col.len)));
                }
                let v = col.numbers(lo, hi - lo + 1)?;
                for k in 0..len {
                    if gid[k] == g {
                        values[c][k] = v[(gix[k] - lo) as usize];
                    }
                }
            }
        }
        Ok(Window { sources, targets, types, values })
    }
}

/// What an edge type gives its edges, from the types table, parsed once.
#[derive(Clone, Copy, Debug)]
struct TypeInfo {
    /// Weight, delay and nsyns when the edges have none of their own.
    values: [Option<f64>; 3],
    /// What a weight is multiplied by to be in pA or nS: 1000 for `pynn:` synapses (nA, µS).
    factor: f64,
    /// The receptor its `receptor_type` names (PyNN writes one), else the weight's sign decides.
    inhibitory: Option<bool>,
}

impl TypeInfo {
    const NONE: Self = Self { values: [None; 3], factor: 1.0, inhibitory: None };
}

/// Each edge type's [`TypeInfo`], read once.
struct TypeValues<'a> {
    table: Option<&'a TypeTable>,
    weight_column: &'static str,
    last: Option<(u64, TypeInfo)>,
    seen: HashMap<u64, TypeInfo>,
    /// Types below 65,536 by index (the common case), filled as they are met.
    small: Vec<Option<TypeInfo>>,
}

impl<'a> TypeValues<'a> {
    fn new(table: Option<&'a TypeTable>, kind: EdgeKind) -> Self {
        let weight_column = if kind == EdgeKind::Electrical { "conductance" } else { "syn_weight" };
        Self { table, weight_column, last: None, seen: HashMap::new(), small: vec![None; 1 << 16] }
    }

    fn of(&mut self, t: u64) -> Result<TypeInfo, FileError> {
        if let Some((id, v)) = self.last
            && id == t
        {
            return Ok(v);
        }
        if let Some(Some(v)) = self.small.get(t as usize) {
            return Ok(*v);
        }
        let v = match (self.seen.get(&t), self.table) {
            (Some(v), _) => *v,
            (None, None) => TypeInfo::NONE,
            (None, Some(tt)) if !tt.has(t) => {
                return Err(FileError::new(
                    &tt.path,
                    format!("edge type {t} is used by the edges but not in this table"),
                ));
            }
            (None, Some(tt)) => {
                let w = tt.number(t, self.weight_column)?.or(tt.number(t, "syn_weight")?).or(tt.number(t, "weight")?);
                let pynn = tt.get(t, "model_template").is_some_and(|m| m.starts_with("pynn:"));
                let inhibitory = match tt.get(t, "receptor_type") {
                    None => None,
                    Some("excitatory") => Some(false),
                    Some("inhibitory") => Some(true),
                    Some(other) => {
                        return Err(FileError::new(
                            &tt.path,
                            format!(
                                "line {}, column `receptor_type`: `{other}` is neither excitatory nor inhibitory",
                                tt.line(t)
                            ),
                        ));
                    }
                };
                let v = TypeInfo {
                    values: [w, tt.number(t, "delay")?, tt.number(t, "nsyns")?],
                    factor: if pynn { 1000.0 } else { 1.0 },
                    inhibitory,
                };
                self.seen.insert(t, v);
                v
            }
        };
        self.last = Some((t, v));
        if let Some(slot) = self.small.get_mut(t as usize) {
            *slot = Some(v);
        }
        Ok(v)
    }
}

/// One edge's values, resolved.
struct EdgeValues {
    /// pA or nS, times nsyns, signed as written.
    weight: f64,
    /// ms, when given.
    delay: Option<f64>,
    /// Whether it acts on the inhibitory receptor.
    inhibitory: bool,
}

impl Window {
    /// Edge `k`'s weight (times nsyns, in pA or nS), delay (ms) and receptor, per edge or from its
    /// type.
    fn values(
        &self,
        k: usize,
        typed: &mut TypeValues,
        h5: &H5,
        p: &EdgePopulation,
        row: u64,
    ) -> Result<EdgeValues, FileError> {
        let some = |x: f64| (!x.is_nan()).then_some(x);
        let (w, d, n) = (some(self.values[0][k]), some(self.values[1][k]), some(self.values[2][k]));
        let info = typed.of(self.types[k])?;
        let [tw, td, tn] = info.values;
        let Some(weight) = w.or(tw) else {
            return Err(h5.err(
                &p.at,
                format!(
                    "edge {row}: no weight (neither a `{}` column nor one in edge type {})",
                    typed.weight_column, self.types[k]
                ),
            ));
        };
        let weight = weight * n.or(tn).unwrap_or(1.0) * info.factor;
        Ok(EdgeValues { weight, delay: d.or(td), inhibitory: info.inhibitory.unwrap_or(weight < 0.0) })
    }
}
