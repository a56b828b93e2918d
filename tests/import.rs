//! Connectome edge lists become scenes: the shipped C. elegans connectome imports with every
//! contact kept, every neuron at its soma position, and a touch stimulus that reaches the command
//! interneurons; broken files are refused at their line; scenes/celegans.ron is what the
//! documented command makes.

use std::collections::HashMap;
use std::path::Path;
use std::process::Command;

use neuroplast::io::edge_list::{EdgeListImport, import, match_key};
use neuroplast::scene::Scene;
use neuroplast::scene::format::Connectivity;
use neuroplast::sim::{Quantity, SpikeLog, StepReport};

const EDGES: &str = "assets/celegans/herm_full_edgelist.csv";
const POSITIONS: &str = "assets/celegans/soma_positions.csv";
const CLASSES: &str = "assets/celegans/IndividualNeurons.csv";

fn spec<'a>(inhibitory: &'a [String]) -> EdgeListImport<'a> {
    EdgeListImport {
        edges: Path::new(EDGES),
        positions: Some(Path::new(POSITIONS)),
        classes: Some(Path::new(CLASSES)),
        chemical_weight: Quantity::parse("3 mV").unwrap(),
        gap_conductance: Quantity::parse("0.1 nS").unwrap(),
        inhibitory,
    }
}

#[test]
fn every_contact_and_position_of_the_connectome_survives_the_import() {
    // Counted here from the CSV itself, independently of the importer.
    let text = std::fs::read_to_string(EDGES).unwrap();
    let (mut cells, mut chemical, mut gap) = (HashMap::new(), 0u64, HashMap::<(String, String), u64>::new());
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split(',').map(str::trim).collect();
        let (s, t, w) = (match_key(f[0]), match_key(f[1]), f[2].parse::<u64>().unwrap());
        let n = cells.len();
        cells.entry(s.clone()).or_insert(n);
        let n = cells.len();
        cells.entry(t.clone()).or_insert(n);
        if f[3] == "chemical" {
            chemical += w;
        } else if s != t {
            let key = if s < t { (s, t) } else { (t, s) };
            let e = gap.entry(key).or_insert(0);
            *e = (*e).max(w);
        }
    }
    let imported = import(&spec(&[])).unwrap();
    let scene = &imported.scene;
    let neurons: u32 = scene.populations.iter().map(|p| p.size).sum();
    assert_eq!(neurons as usize, cells.len());
    let pairs = |c: &Connectivity| if let Connectivity::Pairs(p) = c { p.len() as u64 } else { panic!("pairs") };
    assert_eq!(scene.projections.iter().map(|p| pairs(&p.connectivity)).sum::<u64>(), chemical);
    assert_eq!(scene.gap_junctions.iter().map(|g| pairs(&g.connectivity)).sum::<u64>(), gap.values().sum::<u64>());
    // Every neuron of the positions file sits where the file says.
    let mut placed = HashMap::new();
    for p in &scene.populations {
        let neuroplast::scene::format::Layout::Positions(list) = &p.layout else { panic!("positions") };
        for (name, at) in p.neuron_names.iter().zip(list) {
            placed.insert(match_key(name), *at);
        }
    }
    let positions = std::fs::read_to_string(POSITIONS).unwrap();
    let mut checked = 0;
    for line in positions.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        if let Some(at) = placed.get(&match_key(f[0])) {
            let want: Vec<f32> = f[1..4].iter().map(|v| v.parse().unwrap()).collect();
            assert_eq!(*at, (want[0], want[1], want[2]), "{}", f[0]);
            checked += 1;
        }
    }
    assert!(checked >= 290, "{checked} neurons placed from the file");
    let class_of = |name: &str| {
        scene.populations.iter().find(|p| p.neuron_names.iter().any(|n| n == name)).map(|p| p.name.as_str())
    };
    assert_eq!(class_of("AVM"), Some("sensory"));
    assert_eq!(class_of("AVAL"), Some("inter"));
    assert_eq!(class_of("VA01"), Some("motor"));
    // The imported network builds with every synapse.
    let built = Scene::parse(&Scene::to_ron(scene), "celegans").unwrap().build(None).unwrap();
    assert_eq!(built.network.num_synapses() as u64, chemical);
}

/// Spikes per named neuron over `ms` of the shipped scene, with or without its stimulus.
fn spikes_by_name(stimulus: bool, ms: u64) -> HashMap<String, usize> {
    let mut scene = Scene::load(Path::new("scenes/celegans.ron")).unwrap();
    if !stimulus {
        scene.file.inputs.clear();
    }
    let names: Vec<String> = scene.file.populations.iter().flat_map(|p| p.neuron_names.clone()).collect();
    let mut sim = scene.build(None).unwrap();
    let mut report = StepReport::with_capacity(sim.network.num_neurons());
    let mut log = SpikeLog::default();
    sim.run(ms * 10, &mut report, |r| log.record(r));
    let mut out = HashMap::new();
    for &n in &log.neurons {
        *out.entry(names[n as usize].clone()).or_insert(0) += 1;
    }
    out
}

#[test]
fn a_touch_reaches_the_command_interneurons_and_the_motor_neurons() {
    let quiet = spikes_by_name(false, 400);
    assert!(quiet.is_empty(), "without the stimulus nothing fires: {quiet:?}");
    let touched = spikes_by_name(true, 400);
    for cell in ["ALML", "AVM", "AVAL", "AVAR", "PVCL", "AVBL", "AVDL"] {
        assert!(touched.get(cell).copied().unwrap_or(0) > 5, "{cell}: {touched:?}");
    }
    let motor = ["DA01", "DA02", "VA02", "VD02", "DD01"].iter().filter(|m| touched.contains_key(**m)).count();
    assert!(motor >= 4, "motor neurons firing: {motor} of 5");
}

#[test]
fn a_broken_edge_list_is_refused_at_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let edges = dir.path().join("edges.csv");
    let cases = [
        ("Source,Target,Weight,Type\nA,B,3,chemical\nA,C,x,chemical\n", "edges.csv:3: Weight `x`"),
        ("Source,Target,Weight,Type\nA,B,3,chemical\nA,C,2,telepathic\n", "edges.csv:3: Type `telepathic`"),
        ("Source,Target,Type\nA,B,chemical\n", "edges.csv:1: no `weight` column"),
        ("Source,Target,Weight,Type\nA,,3,chemical\n", "edges.csv:2: no Target"),
        ("Source,Target,Weight,Type\n", "no edges"),
        ("Source,Target,Weight,Type\nA,B,1e300,chemical\n", "not a number of contacts"),
    ];
    for (text, expect) in cases {
        std::fs::write(&edges, text).unwrap();
        let e = import(&EdgeListImport { edges: &edges, positions: None, classes: None, ..spec(&[]) }).unwrap_err();
        assert!(e.contains(expect), "{expect}: {e}");
    }
    let unknown = ["NOPE".to_string()];
    let e = import(&spec(&unknown)).unwrap_err();
    assert!(e.contains("inhibitory cells not in") && e.contains("NOPE"), "{e}");
}

#[test]
fn the_shipped_scene_is_what_the_documented_command_makes() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("celegans.ron");
    let status = Command::new("sh")
        .arg("tools/make_celegans_scene.sh")
        .arg(&out)
        .env("NEUROPLAST", env!("CARGO_BIN_EXE_neuroplast"))
        .output()
        .unwrap();
    assert!(status.status.success(), "{}", String::from_utf8_lossy(&status.stderr));
    assert_eq!(std::fs::read_to_string(&out).unwrap(), std::fs::read_to_string("scenes/celegans.ron").unwrap());
    // The command refuses to overwrite its input, and names an unknown stimulated cell.
    let exe = env!("CARGO_BIN_EXE_neuroplast");
    let again = Command::new(exe).args(["import", EDGES, "-o", EDGES]).output().unwrap();
    assert!(String::from_utf8_lossy(&again.stderr).contains("would overwrite the edge list"));
    let bad = Command::new(exe)
        .args(["import", EDGES, "-o"])
        .arg(dir.path().join("x.ron"))
        .args(["--stimulate", "ZZZ"])
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&bad.stderr).contains("no cell named ZZZ"),
        "{}",
        String::from_utf8_lossy(&bad.stderr)
    );
    assert!(!dir.path().join("x.ron").exists());
}
