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

mod neuroml {
    use super::*;
    use neuroplast::scene::format::{InputSpec, Layout};
    use neuroplast::sim::{NeuronModel, Receptor};

    const FIXTURE: &str = "tests/fixtures/two_populations.net.nml";

    #[test]
    fn a_neuroml2_network_imports_with_its_units_weights_delays_and_inputs() {
        // The fixture is valid against the NeuroML 2.3 schema (checked with libNeuroML's
        // validate_neuroml2 when it was written).
        let scene = neuroplast::io::neuroml::import(Path::new(FIXTURE)).unwrap();
        let model = |p: usize| match &scene.populations[p].model {
            NeuronModel::LifConductance(m) => m.clone(),
            other => panic!("{other:?}"),
        };
        let (e, i) = (model(0), model(1));
        assert_eq!((e.c_m, e.g_l, e.v_th, e.t_ref, e.e_ex, e.tau_syn_ex), (200.0, 10.0, -50.0, 2.0, 0.0, 5.0));
        assert_eq!(
            (i.c_m, i.v_th, i.t_ref, i.e_in, i.tau_syn_in),
            (100.0, -52.0, 0.0, -80.0, 10.0),
            "0.1nF, no refract"
        );
        assert_eq!(e.e_in, -80.0, "E receives the gaba synapse");
        assert_eq!(scene.populations[1].layout, Layout::Positions(vec![(10.0, 0.0, 0.0), (20.0, 5.5, -3.0)]));
        let projections: Vec<_> = scene
            .projections
            .iter()
            .map(|p| {
                let Connectivity::Pairs(pairs) = &p.connectivity else { panic!() };
                let (neuroplast::scene::format::Dist::Constant(w), neuroplast::scene::format::Dist::Constant(d)) =
                    (&p.weight, &p.delay)
                else {
                    panic!()
                };
                (p.source.as_str(), p.target.as_str(), pairs.clone(), w.value, d.value, p.receptor)
            })
            .collect();
        assert_eq!(
            projections,
            [
                ("E", "I", vec![(0, 0), (1, 0)], 2.0, 0.0, Receptor::Excitatory),
                ("E", "I", vec![(2, 1)], 6.0, 2.0, Receptor::Excitatory),
                ("I", "E", vec![(0, 0)], 6.0, 1.0, Receptor::Inhibitory),
            ]
        );
        assert_eq!(scene.gap_junctions.len(), 1);
        let InputSpec::Current { neurons, amplitude, start, stop, .. } = &scene.inputs[0] else { panic!() };
        assert_eq!(
            (neurons.clone().unwrap(), amplitude.value, start.unwrap().value, stop.unwrap().value),
            (vec![0, 1, 2], 400.0, 20.0, 80.0)
        );
        // E2 has no input but the pulse: V_inf = -65 + 400/10 = -25 mV, tau 20 ms, so it fires
        // first at 20 + 20 ln(40/25) = 29.4 ms and then every 2 + 9.4 ms: 5 spikes before 80 ms.
        let mut sim = Scene::parse(&Scene::to_ron(&scene), "nml").unwrap().build(None).unwrap();
        let mut report = StepReport::with_capacity(5);
        let mut log = SpikeLog::default();
        sim.run(2000, &mut report, |r| log.record(r));
        let e2: Vec<f64> =
            log.neurons.iter().zip(&log.grid).filter(|(n, _)| **n == 2).map(|(_, g)| *g as f64 * 0.1).collect();
        assert_eq!(e2.len(), 5, "{e2:?}");
        assert!((e2[0] - 29.4).abs() < 0.3, "{e2:?}");
    }

    #[test]
    fn current_synapses_make_current_based_cells_and_a_poisson_drive_fires_them() {
        let scene = neuroplast::io::neuroml::import(Path::new("tests/fixtures/current_synapses.net.nml")).unwrap();
        let NeuronModel::LifCurrent(a) = &scene.populations[0].model else {
            panic!("{:?}", scene.populations[0].model)
        };
        assert_eq!(
            (a.c_m, a.tau_m, a.tau_syn_ex, a.tau_syn_in, a.psc),
            (250.0, 20.0, 2.0, 4.0, neuroplast::sim::PscShape::Alpha)
        );
        let weights: Vec<(f64, Receptor)> = scene
            .projections
            .iter()
            .map(|p| match &p.weight {
                neuroplast::scene::format::Dist::Constant(w) => (w.value, p.receptor),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(
            weights,
            [(60.0, Receptor::Excitatory), (120.0, Receptor::Excitatory), (-120.0, Receptor::Inhibitory)]
        );
        let InputSpec::Poisson { rate, weight, neurons, .. } = &scene.inputs[0] else {
            panic!("{:?}", scene.inputs[0])
        };
        assert_eq!((rate.value, weight.value, neurons.clone().unwrap()), (800.0, 60.0, vec![0, 1, 2]));
        // 800 Hz of 60 pA alpha currents (tau 2 ms) is a mean 261 pA: V_inf = -70 + 261 / 12.5 =
        // -49 mV, above threshold; the cells without the drive stay silent.
        let mut sim = Scene::parse(&Scene::to_ron(&scene), "nml").unwrap().build(None).unwrap();
        let mut report = StepReport::with_capacity(25);
        let mut log = SpikeLog::default();
        sim.run(10_000, &mut report, |r| log.record(r));
        let count = |n: u32| log.neurons.iter().filter(|&&k| k == n).count();
        for n in 0..3 {
            assert!((15..80).contains(&count(n)), "A{n}: {} spikes in 1 s", count(n));
        }
        assert!((4..20).all(|n| count(n) == 0));
        // Conductance and current synapses onto one population cannot both be held.
        let mixed = std::fs::read_to_string("tests/fixtures/current_synapses.net.nml").unwrap().replace(
            "<alphaCurrentSynapse id=\"inh\" tau=\"4ms\" ibase=\"-120pA\"/>",
            "<expOneSynapse id=\"inh\" gbase=\"2nS\" erev=\"-80mV\" tauDecay=\"4ms\"/>",
        );
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mixed.nml");
        std::fs::write(&path, mixed).unwrap();
        let e = neuroplast::io::neuroml::import(&path).unwrap_err();
        assert!(e.contains("mixed.nml:21: <inputList>") && e.contains("both conductance and current"), "{e}");
    }

    #[test]
    fn adex_cells_import_as_our_adex_and_adapt_under_a_step() {
        let path = Path::new("tests/fixtures/adex_cells.net.nml");
        let scene = neuroplast::io::neuroml::import(path).unwrap();
        // The fixture writes Brette and Gerstner's (2005) regular-spiking cell, our AdEx default
        // (no inhibitory synapse: the importer's 10 ms inhibitory time constant).
        let want = neuroplast::sim::AdEx { tau_syn_in: 10.0, ..neuroplast::sim::AdEx::default() };
        assert_eq!(scene.populations[0].model, NeuronModel::AdEx(want));
        let mut sim = Scene::parse(&Scene::to_ron(&scene), "nml").unwrap().build(None).unwrap();
        let mut report = StepReport::with_capacity(3);
        let mut log = SpikeLog::default();
        sim.run(5_000, &mut report, |r| log.record(r));
        let times = log.times_of(0, 0.1);
        assert!((5..60).contains(&times.len()), "{} spikes under the 0.8 nA step", times.len());
        assert!(times[0] > 20.0 && *times.last().unwrap() < 425.0, "{times:?}");
        let isi: Vec<f64> = times.windows(2).map(|w| w[1] - w[0]).collect();
        assert!(isi.last().unwrap() > &(1.5 * isi[0]), "no adaptation: {isi:?}");
        // Under conductance synapses our AdEx cannot take them: refused by population.
        let text = std::fs::read_to_string(path).unwrap().replace(
            "<expCurrentSynapse id=\"exc\" tau=\"5ms\" ibase=\"150pA\"/>",
            "<expOneSynapse id=\"exc\" gbase=\"2nS\" erev=\"0mV\" tauDecay=\"5ms\"/>",
        );
        let dir = tempfile::tempdir().unwrap();
        let bad = dir.path().join("cond.nml");
        std::fs::write(&bad, text).unwrap();
        let e = neuroplast::io::neuroml::import(&bad).unwrap_err();
        assert!(e.contains("cond.nml: population `A`: an adExIaFCell under conductance synapses"), "{e}");
    }

    #[test]
    fn izhikevich_2007_cells_import_as_the_2007_model_and_spike_under_a_step() {
        let path = Path::new("tests/fixtures/izhikevich_cells.net.nml");
        let scene = neuroplast::io::neuroml::import(path).unwrap();
        // The fixture writes Izhikevich's (2007) regular-spiking cell, our Izhikevich2007 default.
        let want = neuroplast::sim::Izhikevich2007 { tau_syn_in: 10.0, ..Default::default() };
        assert_eq!(scene.populations[0].model, NeuronModel::Izhikevich2007(want));
        let mut sim = Scene::parse(&Scene::to_ron(&scene), "nml").unwrap().build(None).unwrap();
        let mut report = StepReport::with_capacity(2);
        let mut log = SpikeLog::default();
        sim.run(7_000, &mut report, |r| log.record(r));
        let times = log.times_of(0, 0.1);
        // Silent at rest; under the 70 pA step (50 to 550 ms), near its rheobase, three spikes at
        // the times of the same equations integrated by Euler at dt 1 µs (150.02, 297.81, 445.67
        // ms; computed apart from this code), within a millisecond at our dt 0.1 ms.
        let reference = [150.02, 297.81, 445.67];
        assert_eq!(times.len(), reference.len(), "{times:?}");
        for (t, want) in times.iter().zip(reference) {
            assert!((t - want).abs() < 1.0, "{times:?} against {reference:?}");
        }
        // Its 200 pA synapse onto cell 1 is a current: cell 1 gets it, and answers only to it.
        assert!(log.times_of(1, 0.1).iter().all(|&t| t > times[0]), "cell 1 fired before cell 0");
    }

    /// tests/fixtures/beta_synapses.net.nml (valid against the NeuroML 2.3 schema, checked with
    /// tools/check_neuroml_fixture.py): A[0] fires once under a 1 nA, 5 ms pulse; 2 ms later its
    /// spike reaches B[0] through an expTwoSynapse (0.5 ms rise, 3 ms decay, 2 nS × weight 1.5)
    /// and B[1] through another (1 ms, 8 ms, 1 nS). A beta conductance peaks at its weight after
    /// τd τr ln(τd/τr) / (τd − τr): 1.075 ms and 2.377 ms.
    #[test]
    fn exp_two_synapses_import_as_rising_conductances_that_peak_at_their_weight_on_time() {
        let scene = neuroplast::io::neuroml::import(Path::new("tests/fixtures/beta_synapses.net.nml")).unwrap();
        let NeuronModel::LifConductance(b) = &scene.populations[1].model else { panic!() };
        assert_eq!(
            (b.tau_rise_ex, b.tau_syn_ex, b.e_ex, b.tau_rise_in, b.tau_syn_in, b.e_in),
            (0.5, 3.0, 0.0, 1.0, 8.0, -80.0)
        );
        let mut sim = Scene::parse(&Scene::to_ron(&scene), "nml").unwrap().build(None).unwrap();
        let mut report = StepReport::with_capacity(3);
        let mut log = SpikeLog::default();
        let (mut peak_ex, mut peak_in) = ((0.0, 0.0), (0.0, 0.0));
        for _ in 0..400 {
            sim.run(1, &mut report, |r| log.record(r));
            let (t, n) = (sim.network.time_ms(), &sim.network.neurons);
            if n.psc_ex[1] > peak_ex.0 {
                peak_ex = (n.psc_ex[1], t);
            }
            if n.psc_in[2] > peak_in.0 {
                peak_in = (n.psc_in[2], t);
            }
        }
        let spikes = log.times_of(0, 0.1);
        assert_eq!(spikes.len(), 1, "{spikes:?}");
        assert!(log.times_of(1, 0.1).is_empty() && log.times_of(2, 0.1).is_empty());
        let arrival = spikes[0] + 2.0;
        assert!((peak_ex.0 - 3.0f64).abs() < 2e-3 && peak_ex.0 <= 3.0, "excitatory peak {} nS", peak_ex.0);
        assert!(
            (peak_ex.1 - arrival - 1.075).abs() <= 0.1,
            "excitatory peak at {} ms, spike at {}",
            peak_ex.1,
            spikes[0]
        );
        assert!((peak_in.0 - 1.0f64).abs() < 1e-3 && peak_in.0 <= 1.0, "inhibitory peak {} nS", peak_in.0);
        assert!((peak_in.1 - arrival - 2.377).abs() <= 0.1, "inhibitory peak at {} ms", peak_in.1);
    }

    #[test]
    fn what_the_importer_does_not_know_is_refused_at_its_line() {
        let good = std::fs::read_to_string(FIXTURE).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bad.nml");
        let cases = [
            (
                good.replace("<expOneSynapse id=\"gaba\"", "<expTwoSynapse id=\"gaba\""),
                "bad.nml:10: <expTwoSynapse>: no `tauRise`",
            ),
            (
                good.replace("<iafCell id=\"inh\"", "<izhikevich2007Cell id=\"inh\""),
                "bad.nml:8: <izhikevich2007Cell>: no `k`",
            ),
            (good.replace("../E[2]", "../E[7]"), "`E` has 3 cells, not 8"),
            (good.replace("synapse=\"gaba\"", "synapse=\"nmda\""), "no synapse `nmda`"),
            (good.replace("thresh=\"-50mV\"", "thresh=\"-50 furlongs\""), "thresh: `-50 furlongs`"),
            (good.replace("</network>", ""), "not XML"),
        ];
        for (text, expect) in cases {
            std::fs::write(&path, text).unwrap();
            let e = neuroplast::io::neuroml::import(&path).unwrap_err();
            assert!(e.contains(expect), "{expect}: {e}");
        }
    }
}
