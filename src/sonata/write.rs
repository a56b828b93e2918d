//! Writing a network as a SONATA circuit: `circuit_config.json` (and `simulation_config.json`
//! with `run.dt`), `network/nodes.h5` with one node population `network` (one node type per
//! population, `pop_name` its name, `x`, `y`, `z`), `network/node_types.csv`, the types'
//! `dynamics_params` in `components/point_neuron_models/`, and `network/edges.h5` with the
//! chemical synapses (`network_to_network`: one edge type per pair of populations, per-edge
//! `syn_weight` signed as NEST reads it and `delay` in NEST's convention) and the couplings
//! (`network_gap`, electrical, per-edge `conductance`). The synapse columns are appended in
//! windows, so writing holds one window beside the network.

use std::path::Path;

use hdf5_pure::{AttrValue, File, FileBuilder, MaxExtent};
use serde_json::{Value, json};

use super::h5::MAGIC;
use super::table::write_table;
use super::templates::template_for;
use crate::files::FileError;
use crate::sim::{Input, Network, NeuronId, NeuronModel, SynapseKind};

/// Synapses appended at once.
const WINDOW: usize = 1 << 22;
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

/// Writes `net` as a SONATA circuit into the (new, empty) folder `dir`.
pub fn write_circuit(net: &Network, dir: &Path) -> Result<WriteReport, FileError> {
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
        let (synapses, couplings) = write_edges(net, &network.join("edges.h5"), &mut edge_types)?;
        report.synapses = synapses;
        report.couplings = couplings;
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
        "target_simulator": "NEST",
        "run": {"tstop": 1000.0, "dt": net.dt_ms()},
    });
    save(&dir.join("simulation_config.json"), &pretty(&simulation))?;
    report.left_out = left_out(net);
    Ok(report)
}

/// What a network holds that its circuit does not.
fn left_out(net: &Network) -> Vec<String> {
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
    let mut flipped = 0usize;
    let syn = &net.synapses;
    for k in 0..syn.len() {
        let post = syn.post(k).index();
        let current =
            net.populations[net.neurons.population[post].index()].model.synapse_kind() == SynapseKind::Current;
        if current && syn.target[k] & 1 == 1 && syn.weight[k] > 0.0 {
            flipped += 1;
        }
    }
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

/// Declares an edge population's columns, empty and growable, with chunks of up to `chunk` rows.
fn declare(edges: &mut hdf5_pure::GroupBuilder, name: &str, electrical: bool, chunk: u64) {
    let mut pop = edges.create_group(name);
    let grow = |d: &mut hdf5_pure::DatasetBuilder| {
        d.with_maxshape(&[MaxExtent::Unlimited]).with_chunks(&[chunk]);
    };
    for (col, attr) in [("source_node_id", true), ("target_node_id", true)] {
        let d = pop.create_dataset(col);
        d.with_u32_data(&[]);
        grow(d);
        if attr {
            d.set_attr("node_population", AttrValue::AsciiString(NODE_POPULATION.into()));
        }
    }
    for col in ["edge_type_id", "edge_group_id", "edge_group_index"] {
        let d = pop.create_dataset(col);
        d.with_u32_data(&[]);
        grow(d);
    }
    let mut g0 = pop.create_group("0");
    let weight = if electrical { "conductance" } else { "syn_weight" };
    for col in [weight, "delay"] {
        let d = g0.create_dataset(col);
        d.with_f32_data(&[]);
        grow(d);
    }
    pop.add_group(g0.finish());
    edges.add_group(pop.finish());
}

fn write_edges(net: &Network, path: &Path, types: &mut Vec<[String; 4]>) -> Result<(usize, usize), FileError> {
    let syn = &net.synapses;
    let n = net.num_neurons();
    let couplings = (0..n).map(|i| gap_row(net, i).filter(|&(j, _)| j > i).count()).sum::<usize>();
    let chunk = |len: usize| (len.clamp(1, WINDOW) as u64).min(1 << 20);
    // One builder for both populations: the file is declared once, then grown in place.
    let mut b = FileBuilder::new();
    sonata_root(&mut b);
    let mut edges = b.create_group("edges");
    if !syn.is_empty() {
        declare(&mut edges, EDGE_POPULATION, false, chunk(syn.len()));
    }
    if couplings > 0 {
        declare(&mut edges, GAP_POPULATION, true, chunk(couplings));
    }
    b.add_group(edges.finish());
    b.write(path).map_err(|e| h5_err(path, e))?;
    let file = File::open_rw(path).map_err(|e| h5_err(path, e))?;
    let dt = net.dt_ms();
    let pop_of = |i: usize| net.neurons.population[i].index();
    let query = |p: usize| format!("pop_name=='{}'", net.populations[p].name);
    if !syn.is_empty() {
        let mut type_of: std::collections::HashMap<(usize, usize), u32> = std::collections::HashMap::new();
        let mut w = EdgeWindow::default();
        let mut written = 0usize;
        for pre in 0..n {
            let pp = pop_of(pre);
            for k in syn.row(NeuronId(pre as u32)) {
                let post = syn.post(k).index();
                let tp = pop_of(post);
                let next = FIRST_TYPE_ID + type_of.len() as u32;
                let t = *type_of.entry((pp, tp)).or_insert_with(|| {
                    types.push([next.to_string(), "static_synapse".into(), query(pp), query(tp)]);
                    next
                });
                let conductance = net.populations[tp].model.synapse_kind() == SynapseKind::Conductance;
                let weight = syn.weight[k];
                let inhibitory = syn.target[k] & 1 == 1;
                w.source.push(pre as u32);
                w.target.push(post as u32);
                w.edge_type.push(t);
                w.weight.push(if conductance && inhibitory { -weight.abs() } else { weight });
                w.delay.push(((syn.delay_steps(k) as f64 + 1.0) * dt) as f32);
                w.index.push((written + w.index.len()) as u32);
                if w.source.len() == WINDOW {
                    written += append(&file, path, EDGE_POPULATION, false, &mut w)?;
                }
            }
        }
        append(&file, path, EDGE_POPULATION, false, &mut w)?;
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
                    written += append(&file, path, GAP_POPULATION, true, &mut w)?;
                }
            }
        }
        append(&file, path, GAP_POPULATION, true, &mut w)?;
        let names: Vec<String> =
            pairs.iter().map(|&(a, b)| format!("{}-{}", net.populations[a].name, net.populations[b].name)).collect();
        types.push([t.to_string(), "gap_junction".into(), "electrical".into(), names.join(",")]);
    }
    file.close().map_err(|e| h5_err(path, e))?;
    Ok((syn.len(), couplings))
}

/// Neuron `i`'s couplings `(partner, g_nS)`.
fn gap_row(net: &Network, i: usize) -> impl Iterator<Item = (usize, f32)> + '_ {
    let gap = &net.gap_junctions;
    let range = if gap.row_start.is_empty() { 0..0 } else { gap.row_start[i] as usize..gap.row_start[i + 1] as usize };
    range.map(move |s| (gap.partner[s] as usize, gap.g_ns[s]))
}

/// Appends the window to the population's columns and empties it; returns the rows appended.
fn append(file: &File, path: &Path, pop: &str, electrical: bool, w: &mut EdgeWindow) -> Result<usize, FileError> {
    let rows = w.source.len();
    if rows == 0 {
        return Ok(0);
    }
    let zeros = vec![0u32; rows];
    let weight = if electrical { "0/conductance" } else { EDGE_COLUMNS[5] };
    let u32_columns: [(&str, &[u32]); 5] = [
        (EDGE_COLUMNS[0], &w.source),
        (EDGE_COLUMNS[1], &w.target),
        (EDGE_COLUMNS[2], &w.edge_type),
        (EDGE_COLUMNS[3], &zeros),
        (EDGE_COLUMNS[4], &w.index),
    ];
    for (col, data) in u32_columns {
        let mut d = file.dataset(&format!("edges/{pop}/{col}")).map_err(|e| h5_err(path, e))?;
        d.append(data).map_err(|e| h5_err(path, e))?;
    }
    for (col, data) in [(weight, &w.weight), (EDGE_COLUMNS[6], &w.delay)] {
        let mut d = file.dataset(&format!("edges/{pop}/{col}")).map_err(|e| h5_err(path, e))?;
        d.append(data.as_slice()).map_err(|e| h5_err(path, e))?;
    }
    *w = EdgeWindow::default();
    Ok(rows)
}
