//! Writing a network as a SONATA circuit: `circuit_config.json` (and `simulation_config.json`
//! with `run.dt`), `network/nodes.h5` with one node population `network` (one node type per
//! population, `pop_name` its name, `x`, `y`, `z`), `network/node_types.csv`, the types'
//! `dynamics_params` in `components/point_neuron_models/`, and `network/edges.h5` with the
//! chemical synapses (`network_to_network`: one edge type per pair of populations, per-edge
//! `syn_weight` signed as NEST reads it and `delay` in NEST's convention) and the couplings
//! (`network_gap`, electrical, per-edge `conductance`). The synapse columns are appended in
//! windows, so writing holds one window beside the network.

use std::path::Path;

use hdf5_pure::{AttrValue, File, FileAccessProperties, FileBuilder, MaxExtent, SyncPolicy};
use serde_json::{Value, json};

use super::h5::MAGIC;
use super::table::write_table;
use super::templates::template_for;
use crate::files::FileError;
use crate::sim::{Input, Network, NeuronId, NeuronModel, SynapseKind};

/// Rows per chunk of the edge columns. hdf5-pure 0.47 encodes chunk sizes of 65,536 to 2^24 − 1
/// rows in a way libhdf5 2.0 (h5py 3.16) refuses to open ("stored chunk dimension encoding
/// length does not match"), checked here; 65,535 reads everywhere.
const CHUNK: usize = 65_535;
/// Synapses appended at once: whole chunks, so no partial chunk is rewritten.
const WINDOW: usize = CHUNK * 64;
/// The node population's name.
pub const NODE_POPULATION: &str = "network";
/// The chemical edge population's name.
pub const EDGE_POPULATION: &str = "network_to_network";
/// The electrical edge population's name.
pub const GAP_POPULATION: &str = "network_gap";
/// Node type ids start here (BMTK's habit), edge type ids too.
const FIRST_TYPE_ID: u32 = 100;

/// What was written, and what a SONATA circuit does not hold.
#[derive(Clone, Debug, Default)]
pub struct WriteReport {
    /// Nodes written.
    pub nodes: usize,
    /// Chemical edges written.
    pub synapses: usize,
    /// Electrical edges written (one per coupling).
    pub couplings: usize,
    /// What the circuit leaves out.
    pub left_out: Vec<String>,
}

fn h5_err(path: &Path, e: hdf5_pure::Error) -> FileError {
    FileError::new(path, format!("cannot write HDF5: {e}"))
}

fn sonata_root(b: &mut FileBuilder) {
    b.set_attr("magic", AttrValue::U32(MAGIC as u32));
    b.set_attr("version", AttrValue::U32Array(vec![0, 1]));
}

fn save(path: &Path, text: &str) -> Result<(), FileError> {
    std::fs::write(path, text).map_err(|e| FileError::io(path, "cannot write", &e))
}

/// Writes `net` as a SONATA circuit into the (new, empty) folder `dir`; `compress` shuffles and
/// deflates the ordered edge columns (half the bytes; h5py, NEST and BMTK read them, the libsonata
/// wheel on PyPI does not).
pub fn write_circuit(net: &Network, dir: &Path, compress: bool) -> Result<WriteReport, FileError> {
    let network = dir.join("network");
    let models = dir.join("components/point_neuron_models");
    for d in [&network, &models] {
        std::fs::create_dir_all(d).map_err(|e| FileError::io(d, "cannot create", &e))?;
    }
    let mut report = WriteReport { nodes: net.num_neurons(), ..WriteReport::default() };
    write_nodes(net, &network, &models)?;
    let mut edge_types = Vec::new();
    let has_chemical = !net.synapses.is_empty();
    let has_gap = !net.gap_junctions.partner.is_empty();
    if has_chemical || has_gap {
        let (synapses, couplings, flipped) = write_edges(net, &network.join("edges.h5"), &mut edge_types, compress)?;
        report.synapses = synapses;
        report.couplings = couplings;
        report.left_out = left_out(net, flipped);
        let rows: Vec<Vec<String>> = edge_types.iter().map(|r: &[String; 4]| r.to_vec()).collect();
        save(
            &network.join("edge_types.csv"),
            &write_table(&["edge_type_id", "model_template", "source_query", "target_query"], &rows),
        )?;
    }
    let mut edges = Vec::new();
    if has_chemical || has_gap {
        let mut pops = serde_json::Map::new();
        if has_chemical {
            pops.insert(EDGE_POPULATION.into(), json!({"type": "chemical"}));
        }
        if has_gap {
            pops.insert(GAP_POPULATION.into(), json!({"type": "electrical"}));
        }
        edges.push(json!({
            "edges_file": "$NETWORK_DIR/edges.h5",
            "edge_types_file": "$NETWORK_DIR/edge_types.csv",
            "populations": Value::Object(pops),
        }));
    }
    let circuit = json!({
        "manifest": {"$BASE_DIR": ".", "$NETWORK_DIR": "$BASE_DIR/network", "$COMPONENTS_DIR": "$BASE_DIR/components"},
        "components": {"point_neuron_models_dir": "$COMPONENTS_DIR/point_neuron_models"},
        "networks": {
            "nodes": [{
                "nodes_file": "$NETWORK_DIR/nodes.h5",
                "node_types_file": "$NETWORK_DIR/node_types.csv",
                "populations": {NODE_POPULATION: {"type": "point_neuron"}},
            }],
            "edges": edges,
        },
    });
    let pretty = |v: &Value| serde_json::to_string_pretty(v).expect("JSON values serialise") + "\n";
    save(&dir.join("circuit_config.json"), &pretty(&circuit))?;
    let simulation = json!({
        "manifest": {"$BASE_DIR": "."},
        "network": "$BASE_DIR/circuit_config.json",
        "run": {"tstop": 1000.0, "dt": net.dt_ms(), "random_seed": net.seed()},
    });
    save(&dir.join("simulation_config.json"), &pretty(&simulation))?;
    if report.left_out.is_empty() {
        report.left_out = left_out(net, 0);
    }
    Ok(report)
}

/// What a network holds that its circuit does not (`flipped`: current synapses with a positive
/// weight on the inhibitory receptor).
fn left_out(net: &Network, flipped: usize) -> Vec<String> {
    let mut out = Vec::new();
    if !net.inputs.is_empty() {
        let kinds: Vec<&str> = net
            .inputs
            .iter()
            .map(|i| match i {
                Input::Poisson(_) => "Poisson",
                Input::Current(_) => "current",
                Input::SpikeList(_) => "spike list",
                Input::Reward(_) => "reward",
            })
            .collect();
        out.push(format!(
            "{} inputs ({}): a SONATA circuit has no inputs (a simulation's `inputs` do)",
            net.inputs.len(),
            kinds.join(", ")
        ));
    }
    out.push("the neurons' state (membrane potentials, synaptic currents): a circuit starts at rest".into());
    if flipped > 0 {
        out.push(format!(
            "{flipped} current synapses have a positive weight on the inhibitory receptor: in SONATA (as in NEST) \
             the sign picks the receptor, so they read back as excitatory"
        ));
    }
    out
}

fn write_nodes(net: &Network, network: &Path, models: &Path) -> Result<(), FileError> {
    let n = net.num_neurons();
    let mut types = vec![0u32; n];
    let mut rows = Vec::new();
    for seg in &net.segments {
        let pi = seg.population.index();
        for t in &mut types[seg.start as usize..seg.end as usize] {
            *t = FIRST_TYPE_ID + pi as u32;
        }
    }
    for (pi, pop) in net.populations.iter().enumerate() {
        let (template, params) = template_for(&pop.model);
        let file = format!(
            "{pi}_{}.json",
            pop.name.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }).collect::<String>()
        );
        save(&models.join(&file), &(serde_json::to_string_pretty(&Value::Object(params)).expect("serialises") + "\n"))?;
        let model_type =
            if matches!(pop.model, NeuronModel::PoissonSource { .. }) { "virtual" } else { "point_neuron" };
        rows.push(vec![(FIRST_TYPE_ID + pi as u32).to_string(), model_type.into(), template, file, pop.name.clone()]);
    }
    save(
        &network.join("node_types.csv"),
        &write_table(&["node_type_id", "model_type", "model_template", "dynamics_params", "pop_name"], &rows),
    )?;
    let rows_u32: Vec<u32> = (0..n as u32).collect();
    let pos = &net.neurons.position;
    let axis = |a: usize| -> Vec<f32> { pos.iter().map(|p| p[a]).collect() };
    let mut b = FileBuilder::new();
    sonata_root(&mut b);
    let mut nodes = b.create_group("nodes");
    let mut pop = nodes.create_group(NODE_POPULATION);
    pop.create_dataset("node_type_id").with_u32_data(&types);
    pop.create_dataset("node_id").with_u32_data(&rows_u32);
    pop.create_dataset("node_group_id").with_u32_data(&vec![0u32; n]);
    pop.create_dataset("node_group_index").with_u32_data(&rows_u32);
    let mut g0 = pop.create_group("0");
    g0.create_dataset("x").with_f32_data(&axis(0));
    g0.create_dataset("y").with_f32_data(&axis(1));
    g0.create_dataset("z").with_f32_data(&axis(2));
    pop.add_group(g0.finish());
    nodes.add_group(pop.finish());
    b.add_group(nodes.finish());
    let path = network.join("nodes.h5");
    b.write(&path).map_err(|e| h5_err(&path, e))
}

/// The columns of one edge population, filled a window at a time.
#[derive(Default)]
struct EdgeWindow {
    source: Vec<u32>,
    target: Vec<u32>,
    edge_type: Vec<u32>,
    weight: Vec<f32>,
    delay: Vec<f32>,
    index: Vec<u32>,
}

const EDGE_COLUMNS: [&str; 7] = [
    "source_node_id",
    "target_node_id",
    "edge_type_id",
    "edge_group_id",
    "edge_group_index",
    "0/syn_weight",
    "0/delay",
];

/// Declares an edge population's columns, empty and growable, with chunks of up to `chunk` rows
/// (`edge_group_id` one byte, `edge_type_id` two when `narrow_types`); `(electrical, compress)`.
fn declare(
    edges: &mut hdf5_pure::GroupBuilder,
    name: &str,
    (electrical, compress): (bool, bool),
    chunk: u64,
    narrow_types: bool,
) {
    let mut pop = edges.create_group(name);
    // With `compress`, the columns that run in order or repeat (sources in CSR order, types,
    // groups, indices, delays) are shuffled and deflated at level 1: measured here as fast as
    // writing them plain and 100 times smaller. Weights and targets, close to random, stay plain.
    // Plain by default: the libsonata wheel on PyPI is built without deflate (tried).
    let grow = |d: &mut hdf5_pure::DatasetBuilder, ordered: bool| {
        d.with_maxshape(&[MaxExtent::Unlimited]).with_chunks(&[chunk]);
        if compress && ordered {
            d.with_shuffle().with_deflate(1);
        }
    };
    for (col, ordered) in [("source_node_id", true), ("target_node_id", false)] {
        let d = pop.create_dataset(col);
        d.with_u32_data(&[]);
        grow(d, ordered);
        d.set_attr("node_population", AttrValue::AsciiString(NODE_POPULATION.into()));
    }
    let d = pop.create_dataset("edge_type_id");
    if narrow_types {
        d.with_u16_data(&[]);
    } else {
        d.with_u32_data(&[]);
    }
    grow(d, true);
    let d = pop.create_dataset("edge_group_id");
    d.with_u8_data(&[]);
    grow(d, true);
    let d = pop.create_dataset("edge_group_index");
    d.with_u32_data(&[]);
    grow(d, true);
    let mut g0 = pop.create_group("0");
    let weight = if electrical { "conductance" } else { "syn_weight" };
    for (col, ordered) in [(weight, false), ("delay", true)] {
        let d = g0.create_dataset(col);
        d.with_f32_data(&[]);
        grow(d, ordered);
    }
    pop.add_group(g0.finish());
    edges.add_group(pop.finish());
}

/// Edge type ids by pair of populations: one per pair that has synapses, in pair order.
struct EdgeTypes {
    populations: usize,
    id: Vec<u32>,
    conductance: Vec<bool>,
}

impl EdgeTypes {
    fn of(net: &Network, types: &mut Vec<[String; 4]>, query: &dyn Fn(usize) -> String) -> Self {
        let p = net.populations.len();
        let pop = &net.neurons.population;
        let mut present = vec![false; p * p];
        for pre in 0..net.num_neurons() {
            let pp = pop[pre].index();
            for k in net.synapses.row(NeuronId(pre as u32)) {
                present[pp * p + pop[net.synapses.post(k).index()].index()] = true;
            }
        }
        let mut id = vec![u32::MAX; p * p];
        for (pair, _) in present.iter().enumerate().filter(|(_, on)| **on) {
            let next = FIRST_TYPE_ID + types.len() as u32;
            types.push([next.to_string(), "static_synapse".into(), query(pair / p), query(pair % p)]);
            id[pair] = next;
        }
        let conductance = net.populations.iter().map(|q| q.model.synapse_kind() == SynapseKind::Conductance).collect();
        Self { populations: p, id, conductance }
    }
}

/// The columns of synapse slots `slots` (CSR order), and how many of them are current synapses
/// with a positive weight on the inhibitory receptor (which SONATA reads back as excitatory).
fn fill_window(net: &Network, types: &EdgeTypes, slots: std::ops::Range<usize>) -> (EdgeWindow, usize) {
    let syn = &net.synapses;
    let pop = &net.neurons.population;
    let dt = net.dt_ms();
    let len = slots.len();
    let mut w = EdgeWindow {
        source: vec![0; len],
        target: vec![0; len],
        edge_type: vec![0; len],
        weight: syn.weight[slots.clone()].to_vec(),
        delay: vec![dt as f32; len],
        index: (slots.start as u32..slots.end as u32).collect(),
    };
    if !syn.delay.is_empty() {
        for (d, &steps) in w.delay.iter_mut().zip(&syn.delay[slots.clone()]) {
            *d = ((steps as f64 + 1.0) * dt) as f32;
        }
    }
    let mut flipped = 0;
    let mut pre = syn.row_start.partition_point(|&r| r <= slots.start as u64).saturating_sub(1);
    for (i, k) in slots.enumerate() {
        while syn.row_start[pre + 1] as usize <= k {
            pre += 1;
        }
        let code = syn.target[k];
        let post = (code >> 1) as usize;
        let (pp, tp) = (pop[pre].index(), pop[post].index());
        let inhibitory = code & 1 == 1;
        let conductance = types.conductance[tp];
        flipped += (!conductance && inhibitory && w.weight[i] > 0.0) as usize;
        if conductance && inhibitory {
            w.weight[i] = -w.weight[i].abs();
        }
        w.source[i] = pre as u32;
        w.target[i] = post as u32;
        w.edge_type[i] = types.id[pp * types.populations + tp];
    }
    (w, flipped)
}

fn write_edges(
    net: &Network,
    path: &Path,
    types: &mut Vec<[String; 4]>,
    compress: bool,
) -> Result<(usize, usize, usize), FileError> {
    let syn = &net.synapses;
    let n = net.num_neurons();
    let couplings = (0..n).map(|i| gap_row(net, i).filter(|&(j, _)| j > i).count()).sum::<usize>();
    let chunk = |len: usize| len.clamp(1, CHUNK) as u64;
    // At most one edge type per pair of populations, and one for the couplings.
    let narrow = (FIRST_TYPE_ID as usize + net.populations.len().pow(2) + 1) <= u16::MAX as usize;
    // One builder for both populations: the file is declared once, then grown in place.
    let mut b = FileBuilder::new();
    sonata_root(&mut b);
    let mut edges = b.create_group("edges");
    if !syn.is_empty() {
        declare(&mut edges, EDGE_POPULATION, (false, compress), chunk(syn.len()), narrow);
    }
    if couplings > 0 {
        declare(&mut edges, GAP_POPULATION, (true, compress), chunk(couplings), narrow);
    }
    b.add_group(edges.finish());
    b.write(path).map_err(|e| h5_err(path, e))?;
    // One fsync when the file closes instead of five per appended batch (hdf5-pure's default, for
    // power-loss atomicity of each append): the circuit is written into a temporary folder that is
    // renamed into place only once complete, so a torn file is never where the user looks.
    let access = FileAccessProperties::default().with_sync_policy(SyncPolicy::OnClose);
    let file = File::open_rw_with_options(path, access).map_err(|e| h5_err(path, e))?;
    let dt = net.dt_ms();
    let pop_of = |i: usize| net.neurons.population[i].index();
    let query = |p: usize| format!("pop_name=='{}'", net.populations[p].name);
    let mut flipped = 0;
    if !syn.is_empty() {
        let ids = EdgeTypes::of(net, types, &query);
        // Each window is filled while the one before it is appended (two cores).
        let mut pending: Option<EdgeWindow> = None;
        for lo in (0..syn.len()).step_by(WINDOW) {
            let hi = (lo + WINDOW).min(syn.len());
            let (appended, filled) = rayon::join(
                || {
                    pending
                        .take()
                        .map(|mut w| append(&file, path, (EDGE_POPULATION, false, narrow), &mut w))
                        .transpose()
                },
                || fill_window(net, &ids, lo..hi),
            );
            appended?;
            flipped += filled.1;
            pending = Some(filled.0);
        }
        if let Some(mut w) = pending {
            append(&file, path, (EDGE_POPULATION, false, narrow), &mut w)?;
        }
    }
    if couplings > 0 {
        let t = FIRST_TYPE_ID + types.len() as u32;
        let mut w = EdgeWindow::default();
        let mut written = 0usize;
        let mut pairs = std::collections::BTreeSet::new();
        for i in 0..n {
            for (j, g) in gap_row(net, i).filter(|&(j, _)| j > i) {
                pairs.insert((pop_of(i), pop_of(j)));
                w.source.push(i as u32);
                w.target.push(j as u32);
                w.edge_type.push(t);
                w.weight.push(g);
                w.delay.push(dt as f32);
                w.index.push((written + w.index.len()) as u32);
                if w.source.len() == WINDOW {
                    written += append(&file, path, (GAP_POPULATION, true, narrow), &mut w)?;
                }
            }
        }
        append(&file, path, (GAP_POPULATION, true, narrow), &mut w)?;
        let names: Vec<String> =
            pairs.iter().map(|&(a, b)| format!("{}-{}", net.populations[a].name, net.populations[b].name)).collect();
        types.push([t.to_string(), "gap_junction".into(), "electrical".into(), names.join(",")]);
    }
    file.close().map_err(|e| h5_err(path, e))?;
    Ok((syn.len(), couplings, flipped))
}

/// Neuron `i`'s couplings `(partner, g_nS)`.
fn gap_row(net: &Network, i: usize) -> impl Iterator<Item = (usize, f32)> + '_ {
    let gap = &net.gap_junctions;
    let range = if gap.row_start.is_empty() { 0..0 } else { gap.row_start[i] as usize..gap.row_start[i + 1] as usize };
    range.map(move |s| (gap.partner[s] as usize, gap.g_ns[s]))
}

/// Appends the window to the columns of population `pop` (electrical, with two-byte type ids)
/// and empties it; returns the rows appended.
fn append(
    file: &File,
    path: &Path,
    (pop, electrical, narrow): (&str, bool, bool),
    w: &mut EdgeWindow,
) -> Result<usize, FileError> {
    let rows = w.source.len();
    if rows == 0 {
        return Ok(0);
    }
    let column = |col: &str| file.dataset(&format!("edges/{pop}/{col}")).map_err(|e| h5_err(path, e));
    let put = |e: Result<(), hdf5_pure::Error>| e.map_err(|e| h5_err(path, e));
    put(column(EDGE_COLUMNS[0])?.append(&w.source))?;
    put(column(EDGE_COLUMNS[1])?.append(&w.target))?;
    if narrow {
        let t: Vec<u16> = w.edge_type.iter().map(|&t| t as u16).collect();
        put(column(EDGE_COLUMNS[2])?.append(&t))?;
    } else {
        put(column(EDGE_COLUMNS[2])?.append(&w.edge_type))?;
    }
    put(column(EDGE_COLUMNS[3])?.append(&vec![0u8; rows]))?;
    put(column(EDGE_COLUMNS[4])?.append(&w.index))?;
    put(column(if electrical { "0/conductance" } else { EDGE_COLUMNS[5] })?.append(&w.weight))?;
    put(column(EDGE_COLUMNS[6])?.append(&w.delay))?;
    w.source.clear();
    w.target.clear();
    w.edge_type.clear();
    w.weight.clear();
    w.delay.clear();
    w.index.clear();
    Ok(rows)
}
