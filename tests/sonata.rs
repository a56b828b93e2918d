//! SONATA in and out: the h5py-written fixture (tests/fixtures/sonata, made by
//! tools/make_sonata_fixture.py) reads with every count, weight, delay and position its formulas
//! give; export then import gives back the same network for every shipped scene; broken configs,
//! tables and HDF5 files are refused with their file named, never a panic.

use std::path::{Path, PathBuf};
use std::process::Command;

use neuroplast::engine::Simulation;
use neuroplast::io::sonata::{export, import};
use neuroplast::scene::Scene;
use neuroplast::sim::{Network, NeuronId, NeuronModel, PscShape, Synapses};
use neuroplast::sonata::Circuit;

const FIXTURE: &str = "tests/fixtures/sonata";

/// A network's structure, comparable: populations, positions, every synapse and coupling.
#[derive(Debug, PartialEq)]
struct Fingerprint {
    populations: Vec<(String, u32, NeuronModel)>,
    positions: Vec<[u32; 3]>,
    synapses: Vec<(u32, u32, u32, u16)>,
    couplings: Vec<(u32, u32, u32)>,
}

/// Every synapse of a table as (pre, target code, weight bits, delay steps), sorted.
fn synapse_list(syn: &Synapses) -> Vec<(u32, u32, u32, u16)> {
    let mut out = Vec::new();
    for pre in 0..syn.row_start.len().saturating_sub(1) as u32 {
        for k in syn.row(NeuronId(pre)) {
            out.push((pre, syn.target[k], syn.weight[k].to_bits(), syn.delay_steps(k)));
        }
    }
    out.sort_unstable();
    out
}

fn fingerprint(net: &Network) -> Fingerprint {
    let synapses = synapse_list(&net.synapses);
    let gap = &net.gap_junctions;
    let mut couplings = Vec::new();
    for i in 0..gap.row_start.len().saturating_sub(1) {
        for s in gap.row_start[i] as usize..gap.row_start[i + 1] as usize {
            couplings.push((i as u32, gap.partner[s], gap.g_ns[s].to_bits()));
        }
    }
    couplings.sort_unstable();
    Fingerprint {
        populations: net.populations.iter().map(|p| (p.name.clone(), p.size, p.model.clone())).collect(),
        positions: net.neurons.position.iter().map(|p| p.map(f32::to_bits)).collect(),
        synapses,
        couplings,
    }
}

/// Exports `sim` into `dir/circuit`, imports it as `dir/back.ron` and builds that.
fn round_trip(sim: &Simulation, dir: &Path) -> (Simulation, Vec<String>) {
    let folder = dir.join("circuit");
    let report = export(sim, &folder, false).unwrap();
    let imported = import(&folder.join("circuit_config.json"), "circuit/circuit_config.json").unwrap();
    std::fs::write(dir.join("back.ron"), Scene::to_ron(&imported.scene)).unwrap();
    let back = Scene::load(&dir.join("back.ron")).unwrap().build(None).unwrap();
    (back, report.left_out)
}

#[test]
fn export_then_import_gives_back_every_shipped_network() {
    let mut checked = Vec::new();
    for entry in std::fs::read_dir("scenes").unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        // The CTM maze scenes are not networks; every other scene must build.
        if text.contains("\nCtmScene(") {
            continue;
        }
        let sim = Scene::load(&path).unwrap().build(None).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let (back, left_out) = round_trip(&sim, dir.path());
        assert!(!left_out.iter().any(|l| l.contains("read back as excitatory")), "{}: {left_out:?}", path.display());
        assert_eq!(fingerprint(&back.network), fingerprint(&sim.network), "{}", path.display());
        assert_eq!(back.network.dt_ms(), sim.network.dt_ms(), "{}", path.display());
        checked.push(path.file_name().unwrap().to_string_lossy().into_owned());
    }
    checked.sort();
    assert_eq!(checked.len(), 9, "{checked:?}");
}

#[test]
fn a_second_export_of_an_imported_circuit_writes_the_same_files() {
    let sim = Scene::load(Path::new("scenes/celegans.ron")).unwrap().build(None).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (back, _) = round_trip(&sim, dir.path());
    let again = dir.path().join("again");
    export(&back, &again, false).unwrap();
    for f in ["network/nodes.h5", "network/edges.h5", "network/node_types.csv", "network/edge_types.csv"] {
        let (a, b) =
            (std::fs::read(dir.path().join("circuit").join(f)).unwrap(), std::fs::read(again.join(f)).unwrap());
        assert!(a == b, "{f} differs");
    }
}

/// The fixture's v1 rows in Neuroplast ids: type 100 (e4) first in row order, then type 101 (i4).
fn fixture_ids() -> Vec<u32> {
    let types = [100, 100, 101, 100, 101, 100, 100, 101, 100, 100, 101, 100];
    let (mut e, mut i) = (0u32, 8u32);
    types
        .iter()
        .map(|&t| {
            let id = if t == 100 { &mut e } else { &mut i };
            *id += 1;
            *id - 1
        })
        .collect()
}

#[test]
fn the_h5py_fixture_reads_with_every_value_its_formulas_give() {
    let circuit = Circuit::read(&Path::new(FIXTURE).join("simulation_config.json"), 0.05).unwrap();
    assert_eq!(circuit.config.dt_ms, Some(0.05));
    let pops: Vec<(&str, u32)> = circuit.populations.iter().map(|p| (p.name.as_str(), p.size)).collect();
    assert_eq!(pops, [("e4", 8), ("i4", 4), ("tw", 4)]);
    let NeuronModel::LifCurrent(e) = &circuit.populations[0].model else { panic!() };
    assert_eq!(
        (e.c_m, e.tau_m, e.e_l, e.v_th, e.v_reset, e.t_ref, e.psc),
        (239.0, 44.9, -78.0, -43.0, -55.0, 3.0, PscShape::Alpha)
    );
    let NeuronModel::LifCurrent(i) = &circuit.populations[1].model else { panic!() };
    assert_eq!((i.c_m, i.tau_syn_in, i.e_l), (100.0, 5.0, -70.0), "unset parameters keep NEST's defaults");
    assert_eq!(circuit.populations[2].model, NeuronModel::PoissonSource { rate: 0.0 });
    assert!(
        circuit.notes.iter().any(|n| n.contains("virtual"))
            && circuit.notes.iter().any(|n| n.contains("rotation_angle_zaxis"))
    );
    // Positions by row: x = 10 row, y = −5 row, z = 3.5.
    let ids = fixture_ids();
    let mut positions = [[0f32; 3]; 12];
    for p in &circuit.populations[..2] {
        let first = if p.name == "e4" { 0 } else { 8 };
        for (k, xyz) in p.positions.as_ref().unwrap().iter().enumerate() {
            positions[first + k] = *xyz;
        }
    }
    for (row, &id) in ids.iter().enumerate() {
        assert_eq!(positions[id as usize], [10.0 * row as f32, -5.0 * row as f32, 3.5], "row {row}");
    }
    // Synapses, recomputed from the generator's formulas.
    let mut expected = Vec::new();
    for k in 0..40u32 {
        let (s, t) = (ids[(k % 12) as usize], ids[((3 * k + 1) % 12) as usize]);
        let (w, d) = if k < 30 {
            let w = (0.5 + 0.25 * k as f64) * if k % 3 == 2 { -1.0 } else { 1.0 };
            (w, 1.0 + 0.1 * (k % 5) as f64)
        } else {
            (1.25 * 2.0, 2.0)
        };
        let steps = ((d as f32 as f64) / 0.05).round() as u16 - 1;
        expected.push((s, (t << 1) | (w < 0.0) as u32, (w as f32).to_bits(), steps));
    }
    for j in 0..8u32 {
        expected.push((12 + j % 4, ids[(2 * j % 12) as usize] << 1, 2.0f32.to_bits(), 29));
    }
    expected.sort_unstable();
    assert_eq!(synapse_list(&circuit.synapses), expected);
    let mut couplings = circuit.couplings.clone();
    couplings.sort_by_key(|c| (c.0, c.1));
    let mut want: Vec<(u32, u32, f32)> = (0..12).step_by(2).map(|i| (ids[i], ids[i + 1], 0.5)).collect();
    want.sort_by_key(|c| (c.0, c.1));
    assert_eq!(couplings, want);
}

#[test]
fn an_imported_circuit_is_an_ordinary_scene_that_takes_inputs_and_runs() {
    let dir = tempfile::tempdir().unwrap();
    let config = std::path::absolute(Path::new(FIXTURE).join("circuit_config.json")).unwrap();
    let imported = import(&config, &config.display().to_string()).unwrap();
    let mut text = Scene::to_ron(&imported.scene);
    text = text.replace(
        "    inputs: [],",
        "    inputs: [Poisson(target: \"e4\", sources: 20, rate: \"50 Hz\", weight: \"80 pA\")],",
    );
    let path = dir.path().join("driven.ron");
    std::fs::write(&path, &text).unwrap();
    let mut sim = Scene::load(&path).unwrap().build(None).unwrap();
    let mut report = neuroplast::sim::StepReport::with_capacity(sim.network.num_neurons());
    let mut spikes = 0;
    sim.run(4000, &mut report, |r| spikes += r.spikes.len());
    assert!(spikes > 0, "the driven circuit never fired");
}

/// Copies the fixture into a new folder and returns it.
fn fixture_copy() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("sonata");
    copy_tree(Path::new(FIXTURE), &root);
    (dir, root)
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        if e.path().is_dir() {
            copy_tree(&e.path(), &to.join(e.file_name()));
        } else {
            std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }
}

/// Reads the fixture at `root`: an error must name a file of the fixture; a panic fails.
fn read_or_refuse(root: &Path, what: &str) -> Result<(), String> {
    let config = root.join("simulation_config.json");
    let got = std::panic::catch_unwind(|| Circuit::read(&config, 0.05).map(|_| ()).map_err(|e| e.to_string()));
    match got {
        Err(_) => panic!("{what}: panicked"),
        Ok(Err(e)) => {
            assert!(e.contains(".h5") || e.contains(".csv") || e.contains(".json"), "{what}: {e}");
            Err(e)
        }
        Ok(Ok(())) => Ok(()),
    }
}

#[test]
fn broken_configs_and_type_tables_are_refused_naming_the_file() {
    let (_dir, root) = fixture_copy();
    let (mut refused, mut tried) = (0, 0);
    // Each line of each type table removed, each cell emptied or made nonsense.
    for table in ["network/v1_node_types.csv", "network/lgn_node_types.csv", "network/v1_v1_edge_types.csv"] {
        let path = root.join(table);
        let original = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<&str> = original.lines().collect();
        let mut variants = Vec::new();
        for i in 0..lines.len() {
            variants.push(
                lines.iter().enumerate().filter(|(j, _)| *j != i).map(|(_, l)| *l).collect::<Vec<_>>().join("\n"),
            );
            let cells: Vec<&str> = lines[i].split(' ').collect();
            for c in 0..cells.len() {
                for bad in ["x", "-1", "1e400", "\"", ""] {
                    let mut m = cells.clone();
                    m[c] = bad;
                    let mut l = lines.clone();
                    let joined = m.join(" ");
                    l[i] = &joined;
                    variants.push(l.join("\n"));
                }
            }
        }
        for v in variants {
            std::fs::write(&path, &v).unwrap();
            refused += read_or_refuse(&root, &format!("{table}: {v:?}")).is_err() as usize;
            tried += 1;
        }
        std::fs::write(&path, original).unwrap();
    }
    // Each key of the configs removed, each value given the wrong type, each file cut short.
    for config in ["circuit_config.json", "simulation_config.json"] {
        let path = root.join(config);
        let original = std::fs::read_to_string(&path).unwrap();
        let json: serde_json::Value = serde_json::from_str(&original).unwrap();
        let mut variants = Vec::new();
        mutate_json(&json, &mut Vec::new(), &json, &mut variants);
        for cut in (0..original.len()).step_by(17) {
            variants.push(original[..cut].to_string());
        }
        for v in variants {
            std::fs::write(&path, &v).unwrap();
            refused += read_or_refuse(&root, &format!("{config}: {v}")).is_err() as usize;
            tried += 1;
        }
        std::fs::write(&path, original).unwrap();
    }
    assert!(read_or_refuse(&root, "restored").is_ok());
    println!("{refused} of {tried} mutated configs and tables refused, none panicked");
    assert!(refused > 100, "only {refused} mutations refused");
}

/// Every variant of `root` with one key at `at` removed or one value swapped for another type.
fn mutate_json(root: &serde_json::Value, at: &mut Vec<String>, v: &serde_json::Value, out: &mut Vec<String>) {
    use serde_json::Value;
    let with = |replace: Option<Value>, at: &[String]| {
        let mut copy = root.clone();
        let (last, parents) = at.split_last().expect("a key");
        let mut cur = &mut copy;
        for k in parents {
            cur = match cur {
                Value::Object(m) => m.get_mut(k).unwrap(),
                Value::Array(a) => &mut a[k.parse::<usize>().unwrap()],
                _ => unreachable!(),
            };
        }
        match (cur, replace) {
            (Value::Object(m), None) => {
                m.remove(last);
            }
            (Value::Object(m), Some(r)) => {
                m.insert(last.clone(), r);
            }
            (Value::Array(a), None) => {
                a.remove(last.parse::<usize>().unwrap());
            }
            (Value::Array(a), Some(r)) => a[last.parse::<usize>().unwrap()] = r,
            _ => unreachable!(),
        }
        copy.to_string()
    };
    let children: Vec<(String, &Value)> = match v {
        Value::Object(m) => m.iter().map(|(k, v)| (k.clone(), v)).collect(),
        Value::Array(a) => a.iter().enumerate().map(|(i, v)| (i.to_string(), v)).collect(),
        _ => Vec::new(),
    };
    for (k, child) in children {
        at.push(k);
        out.push(with(None, at));
        for r in
            [Value::from(7), Value::from("nowhere/x.h5"), Value::Null, serde_json::json!({}), serde_json::json!([])]
        {
            out.push(with(Some(r), at));
        }
        mutate_json(root, at, child, out);
        at.pop();
    }
}

#[test]
fn broken_hdf5_files_are_refused_naming_the_file_never_a_panic() {
    let (_dir, root) = fixture_copy();
    let (mut refused, mut tried) = (0, 0);
    for file in ["network/v1_nodes.h5", "network/lgn_nodes.h5", "network/v1_v1_edges.h5"] {
        let path = root.join(file);
        let original = std::fs::read(&path).unwrap();
        let mut variants = Vec::new();
        for cut in (0..original.len()).step_by(original.len() / 24 + 1) {
            variants.push(original[..cut].to_vec());
        }
        for at in (0..original.len()).step_by(original.len() / 64 + 1) {
            let mut v = original.clone();
            v[at] ^= 0xA5;
            variants.push(v);
        }
        for (k, v) in variants.iter().enumerate() {
            std::fs::write(&path, v).unwrap();
            refused += read_or_refuse(&root, &format!("{file} variant {k}")).is_err() as usize;
            tried += 1;
        }
        std::fs::write(&path, &original).unwrap();
    }
    println!("{refused} of {tried} cut or corrupted HDF5 files refused, none panicked");
    assert!(refused > 40, "only {refused} corrupted files refused");
}

/// Rewrites dataset `at` of the HDF5 file `path` with `values` (or deletes it when `None`).
fn edit(path: &Path, at: &str, values: Option<&[i64]>) {
    edit_with(path, at, values, None);
}

/// [`edit`], giving the new dataset the `node_population` attribute `population`.
fn edit_with(path: &Path, at: &str, values: Option<&[i64]>, population: Option<&str>) {
    let file = hdf5_pure::File::open_rw(path).unwrap();
    let root = file.root();
    root.delete(at).unwrap();
    if let Some(v) = values {
        let v = v.to_vec();
        let population = population.map(str::to_string);
        root.create_dataset(at, move |b| {
            b.with_i64_data(&v);
            if let Some(p) = population {
                b.set_attr("node_population", hdf5_pure::AttrValue::AsciiString(p));
            }
        })
        .unwrap();
    }
    file.commit().unwrap();
    file.close().unwrap();
}

#[test]
fn missing_datasets_and_ids_out_of_range_name_the_dataset_and_row() {
    let cases: &[(&str, &str, Option<&[i64]>, &str)] = &[
        ("network/v1_v1_edges.h5", "edges/v1_to_v1/target_node_id", None, "/edges/v1_to_v1/target_node_id: missing"),
        ("network/v1_v1_edges.h5", "edges/v1_to_v1/0/delay", None, "no delay"),
        ("network/v1_v1_edges.h5", "edges/v1_to_v1/0/syn_weight", None, "no weight"),
        ("network/v1_nodes.h5", "nodes/v1/node_type_id", None, "/nodes/v1/node_type_id: missing"),
        ("network/v1_nodes.h5", "nodes/v1/0/z", None, "some of x, y, z"),
        (
            "network/v1_nodes.h5",
            "nodes/v1/node_type_id",
            Some(&[100, 100, 101, 100, 101, 100, 100, 101, 100, 100, 101, 999]),
            "node type 999",
        ),
        (
            "network/v1_nodes.h5",
            "nodes/v1/node_group_index",
            Some(&[0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4, 60]),
            "row 11: index 60",
        ),
        (
            "network/v1_nodes.h5",
            "nodes/v1/node_group_id",
            Some(&[0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 7]),
            "row 11: group 7",
        ),
        ("network/v1_nodes.h5", "nodes/v1/node_type_id", Some(&[100, 100, 101]), "12 rows where node_type_id has 3"),
        ("network/lgn_nodes.h5", "nodes/lgn/node_group_index", Some(&[0, 1, 2, -3]), "row 3: -3 is negative"),
    ];
    for (file, at, values, expect) in cases {
        let (_dir, root) = fixture_copy();
        edit(&root.join(file), at, *values);
        let e = read_or_refuse(&root, at).expect_err("refused");
        assert!(e.contains(expect) && e.contains(file.rsplit('/').next().unwrap()), "{at}: {e}");
    }
    // An edge onto a node beyond its population: the row and the node are named.
    let (_dir, root) = fixture_copy();
    let mut src: Vec<i64> = (0..40).map(|k| k % 12).collect();
    src[17] = 12;
    edit_with(&root.join("network/v1_v1_edges.h5"), "edges/v1_to_v1/source_node_id", Some(&src), Some("v1"));
    let e = read_or_refuse(&root, "source 12").expect_err("refused");
    assert!(e.contains("source_node_id") && e.contains("row 17: node 12 is not in population `v1` (12 nodes)"), "{e}");
}

#[test]
fn a_failed_import_writes_nothing_and_names_the_file() {
    let (dir, root) = fixture_copy();
    let types = root.join("network/v1_v1_edge_types.csv");
    let text = std::fs::read_to_string(&types).unwrap().replace("1.25", "heavy");
    std::fs::write(&types, text).unwrap();
    let out = dir.path().join("scene.ron");
    let run = Command::new(env!("CARGO_BIN_EXE_neuroplast"))
        .args(["import", root.join("circuit_config.json").to_str().unwrap(), "-o", out.to_str().unwrap()])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(1), "{err}");
    assert!(err.contains("v1_v1_edge_types.csv: line 3, column `syn_weight`: `heavy`"), "{err}");
    assert!(!out.exists());
    let leftovers: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(leftovers.len(), 1, "{leftovers:?}");
}

#[test]
fn export_refuses_a_folder_that_holds_files_and_keeps_them() {
    let sim = Scene::load(Path::new("scenes/cuba.ron")).unwrap().build(None).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("out");
    std::fs::create_dir(&target).unwrap();
    std::fs::write(target.join("mine.txt"), "keep me").unwrap();
    let e = export(&sim, &target, false).unwrap_err().to_string();
    assert!(e.contains("already holds files"), "{e}");
    assert_eq!(std::fs::read_to_string(target.join("mine.txt")).unwrap(), "keep me");
}

/// A column of a fixture file, read directly.
fn column(file: &str, at: &str) -> Vec<i64> {
    hdf5_pure::File::open(Path::new(file)).unwrap().dataset(at).unwrap().read_i64().unwrap()
}

#[test]
fn pynn_s_own_sonata_export_imports_with_its_cells_connections_weights_and_delays() {
    // tests/fixtures/pynn_sonata is what PyNN 0.13's export_to_sonata wrote
    // (tools/make_pynn_sonata_fixture.py): global ids in node_id and in the edges, parameters in
    // the node types table in PyNN's units, weights in nA, no magic attribute on the edge files.
    let dir = "tests/fixtures/pynn_sonata";
    let circuit = Circuit::read(&Path::new(dir).join("circuit_config.json"), 0.1).unwrap();
    let mut names: Vec<(&str, u32)> = circuit.populations.iter().map(|p| (p.name.as_str(), p.size)).collect();
    names.sort_unstable();
    assert_eq!(names, [("exc", 64), ("inh", 16)]);
    let index = |name: &str| circuit.populations.iter().position(|p| p.name == name).unwrap();
    let (exc, inh) = (index("exc"), index("inh"));
    let first = |k: usize| circuit.populations[..k].iter().map(|p| p.size).sum::<u32>();
    let NeuronModel::LifCurrent(e) = &circuit.populations[exc].model else { panic!() };
    assert_eq!((e.c_m, e.tau_m, e.v_th, e.v_reset, e.t_ref, e.e_l), (250.0, 20.0, -50.0, -60.0, 2.0, -65.0));
    let NeuronModel::LifCurrent(i) = &circuit.populations[inh].model else { panic!() };
    assert_eq!((i.c_m, i.tau_m, i.t_ref, i.v_reset, i.tau_syn_ex), (200.0, 10.0, 0.1, -65.0, 5.0));
    // Every connection as PyNN wrote it (global ids: exc 42..105, inh 106..121), with its weight
    // in pA and its delay in steps.
    let net = "tests/fixtures/pynn_sonata/networks";
    let ours = |gid: i64| if gid >= 106 { first(inh) + (gid - 106) as u32 } else { first(exc) + (gid - 42) as u32 };
    let mut expected = Vec::new();
    for (name, w, d) in [("e2i", 50.0f32, 14u16), ("i2e", -200.0, 7)] {
        let file = format!("{net}/edges_b'{name}'.h5");
        let (src, dst) = (
            column(&file, &format!("edges/{name}/source_node_id")),
            column(&file, &format!("edges/{name}/target_node_id")),
        );
        for (s, t) in src.iter().zip(&dst) {
            expected.push((ours(*s), (ours(*t) << 1) | (w < 0.0) as u32, w.to_bits(), d));
        }
    }
    expected.sort_unstable();
    let got = synapse_list(&circuit.synapses);
    assert_eq!((got.len(), got), (209 + 315, expected));
    // Positions: the excitatory cells on PyNN's 4x4x4 grid, 10 um apart.
    let xs = hdf5_pure::File::open(Path::new(&format!("{net}/nodes_exc.h5")))
        .unwrap()
        .dataset("nodes/exc/0/x")
        .unwrap()
        .read_f64()
        .unwrap();
    let got_x: Vec<f32> = circuit.populations[exc].positions.as_ref().unwrap().iter().map(|p| p[0]).collect();
    assert_eq!(got_x, xs.iter().map(|&x| x as f32).collect::<Vec<_>>());
    assert!(circuit.notes.iter().any(|n| n.contains("node_id runs from 42")), "{:?}", circuit.notes);
}

#[test]
fn a_compressed_export_reads_back_as_the_same_network_and_is_smaller() {
    let sim = Scene::load(Path::new("scenes/cuba.ron")).unwrap().build(None).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (plain, packed) = (dir.path().join("plain"), dir.path().join("packed"));
    export(&sim, &plain, false).unwrap();
    export(&sim, &packed, true).unwrap();
    let size = |d: &Path| std::fs::metadata(d.join("network/edges.h5")).unwrap().len();
    assert!(size(&packed) * 10 < size(&plain) * 6, "{} vs {} bytes", size(&packed), size(&plain));
    let imported = import(&packed.join("circuit_config.json"), "packed/circuit_config.json").unwrap();
    std::fs::write(dir.path().join("back.ron"), Scene::to_ron(&imported.scene)).unwrap();
    let back = Scene::load(&dir.path().join("back.ron")).unwrap().build(None).unwrap();
    assert_eq!(fingerprint(&back.network), fingerprint(&sim.network));
}
