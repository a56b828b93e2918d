//! Structural rules have sliders too: their parameters come from a schema (unit, range, default),
//! edits are validated, logged and kept in snapshots, and they change what the rule does; their
//! curves mark the present (GraNet's density schedule, NDP's growth signal against its threshold).

use neuroplast::engine::Simulation;
use neuroplast::scene::{Scene, snapshot};
use neuroplast::sim::{Dim, StepReport, StructuralEvent};

fn growth() -> Simulation {
    Scene::load(std::path::Path::new("scenes/growth.ron")).unwrap().build(None).unwrap()
}

fn births(sim: &mut Simulation, steps: u64) -> usize {
    let mut report = StepReport::with_capacity(sim.network.num_neurons());
    let mut born = 0;
    sim.run(steps, &mut report, |r| {
        born += r.events.iter().filter(|e| matches!(e, StructuralEvent::NeuronBorn { .. })).count();
    });
    born
}

#[test]
fn the_growth_scene_has_pruning_neurogenesis_and_attention_parameters() {
    let sim = growth();
    let names: Vec<(&str, Vec<&str>)> =
        sim.structural.iter().map(|r| (r.name(), r.schema().iter().map(|s| s.name).collect())).collect();
    let find = |rule: &str, param: &str| names.iter().any(|(n, ps)| *n == rule && ps.contains(&param));
    assert!(find("neurogenesis", "threshold") && find("neurogenesis", "weight_jitter"), "{names:?}");
    assert!(find("pruning", "final_density") && find("pruning", "death_rate"), "{names:?}");
    assert!(find("attention edges", "weight") && find("attention edges", "min_distance"), "{names:?}");
    // The schema's values are the scene's: growth.ron writes threshold 30 and final density 0.02.
    let rule = |name: &str| sim.structural.iter().position(|r| r.name() == name).unwrap();
    assert_eq!(sim.structural[rule("neurogenesis")].get("threshold"), Some(30.0));
    assert_eq!(sim.structural[rule("pruning")].get("final_density"), Some(0.02));
    let offset = sim.structural[rule("neurogenesis")].schema().iter().find(|s| s.name == "offset").unwrap();
    assert_eq!(offset.unit, Dim::Length);
}

#[test]
fn a_growth_edit_is_validated_logged_kept_in_snapshots_and_changes_the_growth() {
    let mut sim = growth();
    let k = sim.structural.iter().position(|r| r.name() == "neurogenesis").unwrap();
    let p = sim.structural.iter().position(|r| r.name() == "pruning").unwrap();
    // Refused: NaN, out of range, unknown, a minimum death rate above the starting one.
    for (rule, param, value) in [
        (k, "threshold", f64::NAN),
        (k, "threshold", -1.0),
        (k, "weight_jitter", 2.0),
        (k, "speed", 1.0),
        (p, "death_rate_min", 0.9),
    ] {
        let before = sim.structural[rule].get(param);
        assert!(sim.set_growth_param(rule, param, value).is_err(), "{param} = {value} accepted");
        assert_eq!(sim.structural[rule].get(param), before, "{param} changed by a refused edit");
    }
    assert!(sim.set_growth_param(99, "threshold", 1.0).is_err());
    assert!(sim.param_changes.is_empty());
    // The same run with and without an unreachable threshold: the edit stops the divisions.
    let mut unchanged = growth();
    sim.set_growth_param(k, "threshold", 1e6).unwrap();
    let change = sim.param_changes.last().unwrap();
    assert_eq!((change.param.as_str(), change.old, change.new), ("threshold", 30.0, 1e6));
    let snap = snapshot::decode(&snapshot::encode(&sim), "edited").unwrap();
    assert_eq!(snap.structural[k].get("threshold"), Some(1e6), "kept in the snapshot");
    let (with, without) = (births(&mut sim, 20_000), births(&mut unchanged, 20_000));
    assert!(without > 0 && with == 0, "births: {without} as written, {with} with the threshold raised");
}

#[test]
fn the_curves_mark_the_present() {
    let mut sim = growth();
    births(&mut sim, 10_000);
    let net = &sim.network;
    let rule = |name: &str| sim.structural.iter().find(|r| r.name() == name).unwrap();
    // GraNet: a cubic schedule from the density measured at its first round (500 ms) to 0.02 at 6 s.
    let c = rule("pruning").curve(net).expect("measured at the first round");
    let (first, last) = (c.curve.points[0], *c.curve.points.last().unwrap());
    assert!((first[0] - 500.0).abs() < 1e-6 && (last[0] - 6000.0).abs() < 1e-6 && (last[1] - 0.02).abs() < 1e-12);
    assert!(first[1] > last[1] && c.now.len() == 1 && (c.now[0][0] - 1000.0).abs() < 1e-6, "{:?}", c.now);
    // NDP: signals largest first, with the threshold across.
    let c = rule("neurogenesis").curve(net).unwrap();
    assert_eq!(c.level, Some((30.0, "threshold")));
    assert!(c.curve.points.windows(2).all(|w| w[0][1] >= w[1][1]), "sorted");
}

/// MSP (NEST's structural plasticity) has sliders too: calcium τ and β, the growth curves' target,
/// growth rate and vacant decay, each set for every population and element; a target at or below
/// a Gaussian curve's η is refused leaving the rule as it was; a faster growth rate grows more
/// elements, so more synapses form in the same 2 s; the curve marks the population's mean calcium.
#[test]
fn msp_has_sliders_whose_edits_change_the_growth() {
    let load = || Scene::load(std::path::Path::new("scenes/msp_nest.ron")).unwrap().build(None).unwrap();
    let mut sim = load();
    let k = sim.structural.iter().position(|r| r.name() == "structural plasticity").expect("MSP in the scene");
    let names: Vec<&str> = sim.structural[k].schema().iter().map(|s| s.name).collect();
    assert_eq!(names, ["tau_ca", "beta_ca", "target_ca", "growth_rate", "tau_vacant"]);
    assert_eq!(sim.structural[k].schema()[0].unit, Dim::Time);
    let target = sim.structural[k].get("target_ca").unwrap();
    for (param, value) in [("target_ca", f64::NAN), ("target_ca", -1.0), ("tau_vacant", 2.0), ("tau_ca", 0.0)] {
        assert!(sim.set_growth_param(k, param, value).is_err(), "{param} = {value} accepted");
    }
    assert_eq!(sim.structural[k].get("target_ca"), Some(target));
    let mut report = StepReport::with_capacity(sim.network.num_neurons());
    let mut raised = load();
    let rate = raised.structural[k].get("growth_rate").unwrap();
    raised.set_growth_param(k, "growth_rate", rate * 100.0).unwrap();
    raised.set_growth_param(k, "target_ca", target * 4.0).unwrap();
    assert_eq!(raised.param_changes.len(), 2, "the edits are logged");
    let steps = (2000.0 / sim.network.dt_ms()) as u64;
    sim.run(steps, &mut report, |_| {});
    raised.run(steps, &mut report, |_| {});
    let (before, after) = (sim.network.num_synapses(), raised.network.num_synapses());
    assert!(after > before + 10, "a faster growth forms more synapses: {after} vs {before}");
    let curve = raised.structural[k].curve(&raised.network).expect("MSP draws its growth curve");
    assert_eq!(curve.now.len(), 1);
    assert!(curve.now[0][0] > 0.0, "the mean calcium is marked: {:?}", curve.now);
    // The edit survives a snapshot.
    let path = std::env::temp_dir().join(format!("np-msp-{}.npsnap", std::process::id()));
    snapshot::save(&raised, &path).unwrap();
    let back = snapshot::load(&path).unwrap();
    std::fs::remove_file(&path).unwrap();
    assert_eq!(back.structural[k].get("target_ca"), Some(target * 4.0));
}
