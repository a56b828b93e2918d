//! The ECS bridge without a window (MinimalPlugins): entities mirror the network, requests from the
//! UI reach the network on the next fixed tick, bad requests are refused and leave it untouched.
#![cfg(feature = "app")]

use bevy::prelude::*;
use neuroplast::app::bridge::scene_io::{Loading, install};
use neuroplast::app::bridge::{
    FadeIn, FadeOut, IdMap, Neuron, OnScreen, Pre, Sim, SimPlugin, SimRequest, StructureChanged, Synapse, Toast,
    Transport, advance_ms,
};
use neuroplast::scene::Scene;

const SCENE: &str = r#"Scene(
    version: 1, name: "bridge", dt: "0.1 ms", seed: 3,
    populations: [
        (name: "E", size: 40, model: LifCurrent(c_m: "250 pF", tau_m: "20 ms", e_l: "-49 mV", v_th: "-50 mV", v_reset: "-60 mV", t_ref: "2 ms", tau_syn_ex: "5 ms", tau_syn_in: "10 ms"),
         init: (v: Uniform(low: "-60 mV", high: "-50 mV"))),
    ],
    projections: [
        (name: "E->E", source: "E", target: "E", connectivity: Bernoulli(p: 0.2), weight: Constant("0.5 mV"),
         plasticity: PairStdp(tau_plus: "20 ms", tau_minus: "20 ms", a_plus: 0.01, a_minus: 0.0105, w_max: "1 mV")),
    ],
)"#;

/// A headless app running `text` (installed as the app installs a loaded scene).
fn app_with(text: &str, configure: impl FnOnce(&mut App)) -> App {
    let scene = Scene::parse(text, "bridge").unwrap();
    let sim = Sim::from_scene(scene, "bridge.ron".into(), None).unwrap();
    let mut app = App::new();
    app.add_plugins((MinimalPlugins, SimPlugin::default()));
    configure(&mut app);
    install(app.world_mut(), sim);
    app.update();
    app
}

fn app() -> App {
    app_with(SCENE, |_| {})
}

/// Updates until the background load (reset, open) has been installed.
fn wait_for_loading(app: &mut App) {
    for _ in 0..2000 {
        app.update();
        if !app.world().contains_resource::<Loading>() {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    panic!("the scene never finished loading");
}

fn fixed_tick(app: &mut App) {
    app.world_mut().run_schedule(FixedUpdate);
    app.update();
}

fn send(app: &mut App, r: SimRequest) {
    app.world_mut().write_message(r);
}

#[test]
fn one_entity_per_neuron_and_per_synapse_with_their_ids() {
    let mut app = app();
    let (n, s) = {
        let sim = app.world().resource::<Sim>();
        (sim.network().num_neurons(), sim.network().num_synapses())
    };
    assert!(s > 100);
    let world = app.world_mut();
    assert_eq!(world.query::<&Neuron>().iter(world).count(), n);
    assert_eq!(world.query::<&Synapse>().iter(world).count(), s);
    let ids = world.resource::<IdMap>();
    assert_eq!(ids.neurons.len(), n);
    assert_eq!(ids.synapses.len(), s);
    // Every synapse entity carries the right presynaptic neuron.
    let sim_pre: Vec<u32> = {
        let sim = world.resource::<Sim>();
        (0..s).map(|k| sim.network().synapses.pre(k).0).collect()
    };
    let mut q = world.query::<(&Synapse, &Pre)>();
    for (syn, pre) in q.iter(world) {
        assert_eq!(pre.0.0, sim_pre[syn.0.index()]);
    }
}

/// Synapse entities on screen and the ids the sample shows.
fn on_screen(app: &mut App) -> (std::collections::HashSet<u32>, std::collections::HashSet<u32>, usize) {
    let world = app.world_mut();
    let screen = *world.resource::<OnScreen>();
    let net = world.resource::<Sim>().network();
    let total = net.num_synapses();
    let shown: std::collections::HashSet<u32> =
        (0..total).map(|s| net.synapse_id(s)).filter(|&id| screen.shows(id)).map(|id| id.0).collect();
    let entities = world.query::<&Synapse>().iter(world).map(|s| s.0.0).collect();
    (entities, shown, total)
}

#[test]
fn a_drawing_budget_gives_entities_to_a_sample_of_synapses_chosen_by_id() {
    let mut app = app_with(SCENE, |app| {
        app.insert_resource(OnScreen { budget: 50, ..OnScreen::default() });
    });
    let (entities, shown, total) = on_screen(&mut app);
    let stride = app.world().resource::<OnScreen>().stride;
    assert_eq!(stride, total.div_ceil(50) as u64);
    // Exactly the sample, and about one synapse in `stride`.
    assert_eq!(entities, shown);
    let expected = total as f64 / stride as f64;
    assert!(
        (entities.len() as f64 - expected).abs() < expected * 0.5,
        "{} of {total}, stride {stride}",
        entities.len()
    );
    assert_eq!(app.world().resource::<IdMap>().synapses.len(), entities.len());
    // A larger budget: every synapse gets its entity.
    send(&mut app, SimRequest::SetDrawBudget(100_000));
    fixed_tick(&mut app);
    let (entities, _, total) = on_screen(&mut app);
    assert_eq!((entities.len(), app.world().resource::<OnScreen>().stride), (total, 1));
}

/// Every schedule our plugins add systems to builds with ambiguity detection as an error: two
/// systems that touch the same data are always ordered (the simulation's own schedule is built
/// that way in the app too).
#[test]
fn the_bridge_and_view_systems_have_no_ambiguous_order() {
    use bevy::ecs::schedule::{LogLevel, ScheduleBuildSettings, ScheduleLabel};
    use neuroplast::app::bridge::SimulationSchedule;
    use neuroplast::app::view::{ViewBuffersPlugin, headless_assets};
    let mut app = App::new();
    app.add_plugins(MinimalPlugins);
    headless_assets(&mut app);
    app.add_plugins((SimPlugin::default(), neuroplast::app::graph::GraphPlugin, ViewBuffersPlugin));
    let strict = ScheduleBuildSettings { ambiguity_detection: LogLevel::Error, ..Default::default() };
    for label in [FixedUpdate.intern(), Update.intern(), SimulationSchedule.intern()] {
        app.edit_schedule(label, |s| {
            s.set_build_settings(strict.clone());
        });
    }
    let sim = Sim::from_scene(Scene::parse(GROWING, "pruned").unwrap(), "pruned.ron".into(), None).unwrap();
    install(app.world_mut(), sim);
    // Building a schedule with an ambiguity fails when it first runs: step past the first pruning
    // round (20 ms) so every set runs with work to do.
    app.world_mut().resource_mut::<Transport>().paused = true;
    for _ in 0..300 {
        send(&mut app, SimRequest::Step);
    }
    fixed_tick(&mut app);
    app.world_mut().run_schedule(SimulationSchedule);
    let world = app.world_mut();
    assert_eq!(world.resource::<Sim>().network().step_count(), 300);
    assert!(world.query::<&FadeOut>().iter(world).count() > 0, "pruned synapses are fading out");
}

#[test]
fn a_slider_edit_reaches_the_rule_on_the_next_tick_and_is_logged() {
    let mut app = app();
    app.world_mut().resource_mut::<Transport>().paused = true;
    send(&mut app, SimRequest::SetRuleParam { binding: 0, param: "a_plus".into(), value: 0.02 });
    // Not applied until the fixed tick runs the ApplyControls set.
    assert_eq!(app.world().resource::<Sim>().engine.synaptic[0].get("a_plus"), Some(0.01));
    fixed_tick(&mut app);
    let sim = app.world().resource::<Sim>();
    assert_eq!(sim.engine.synaptic[0].get("a_plus"), Some(0.02));
    let change = sim.engine.param_changes.last().unwrap();
    assert_eq!((change.param.as_str(), change.old, change.new), ("a_plus", 0.01, 0.02));
}

#[test]
fn an_impossible_value_is_refused_with_a_toast_and_changes_nothing() {
    let mut app = app();
    app.world_mut().resource_mut::<Transport>().paused = true;
    let before = app.world().resource::<Sim>().engine.synaptic[0].params();
    send(&mut app, SimRequest::SetRuleParam { binding: 0, param: "tau_plus".into(), value: f64::NAN });
    send(&mut app, SimRequest::SetRuleParam { binding: 0, param: "a_plus".into(), value: -5.0 });
    send(&mut app, SimRequest::SetSpeed(-1.0));
    app.world_mut().run_schedule(FixedUpdate);
    let toasts: Vec<Toast> = app.world_mut().resource_mut::<Messages<Toast>>().drain().collect();
    assert_eq!(toasts.len(), 3, "{toasts:?}");
    assert!(toasts.iter().all(|t| t.error));
    assert!(toasts[0].text.contains("tau_plus"), "{}", toasts[0].text);
    let sim = app.world().resource::<Sim>();
    assert_eq!(sim.engine.synaptic[0].params(), before);
    assert!(sim.engine.param_changes.is_empty());
    assert_eq!(app.world().resource::<Transport>().speed_ms_per_s, Transport::default().speed_ms_per_s);
}

#[test]
fn step_requests_advance_exactly_one_step_while_paused() {
    let mut app = app();
    app.world_mut().resource_mut::<Transport>().paused = true;
    fixed_tick(&mut app);
    assert_eq!(app.world().resource::<Sim>().network().step_count(), 0);
    send(&mut app, SimRequest::Step);
    send(&mut app, SimRequest::Step);
    fixed_tick(&mut app);
    assert_eq!(app.world().resource::<Sim>().network().step_count(), 2);
}

#[test]
fn stimulation_makes_the_target_fire() {
    let mut app = app();
    app.world_mut().resource_mut::<Transport>().paused = true;
    send(&mut app, SimRequest::Stimulate { neurons: vec![5], amplitude_pa: 5000.0, duration_ms: 20.0 });
    fixed_tick(&mut app);
    for _ in 0..200 {
        send(&mut app, SimRequest::Step);
    }
    fixed_tick(&mut app);
    let sim = app.world().resource::<Sim>();
    assert_eq!(sim.network().step_count(), 200);
    // 5 nA into a 250 pF cell fires it within a few ms, several times in 20 ms.
    let spikes = sim.history.raster.iter().filter(|&&(_, n)| n == 5).count();
    assert!(spikes >= 3, "{spikes} spikes");
}

#[test]
fn reset_rebuilds_the_network_and_its_entities() {
    let mut app = app();
    app.world_mut().resource_mut::<Transport>().paused = true;
    for _ in 0..10 {
        send(&mut app, SimRequest::Step);
    }
    fixed_tick(&mut app);
    send(&mut app, SimRequest::Reset { seed: Some(9) });
    fixed_tick(&mut app);
    wait_for_loading(&mut app);
    let world = app.world_mut();
    let (n, s, step, seed) = {
        let sim = world.resource::<Sim>();
        (sim.network().num_neurons(), sim.network().num_synapses(), sim.network().step_count(), sim.network().seed())
    };
    assert_eq!((step, seed), (0, 9));
    assert_eq!(world.query::<&Neuron>().iter(world).count(), n);
    assert_eq!(world.query::<&Synapse>().iter(world).count(), s);
}

/// GraNet pruning with regrowth on E→E, every 20 ms from 20 ms on.
const GROWING: &str = r#"Scene(
    version: 1, name: "pruned", dt: "0.1 ms", seed: 5,
    populations: [(name: "E", size: 120, model: LifCurrent(tau_m: "20 ms"))],
    projections: [
        (name: "EE", source: "E", target: "E", connectivity: Bernoulli(p: 0.1),
         weight: Uniform(low: "0.01 mV", high: "0.3 mV"),
         pruning: (interval: "20 ms", start: "20 ms", end: "400 ms", final_density: 0.05,
                   death_rate: 0.3, death_rate_min: 0.05, regrow_weight: "0.2 mV", trace_tau: "20 ms")),
    ],
    inputs: [Poisson(target: "E", sources: 20, rate: "40 Hz", weight: "2 mV")],
)"#;

#[test]
fn pruned_synapses_fade_out_and_formed_ones_fade_in_with_the_id_map_in_step() {
    use bevy::time::TimeUpdateStrategy;
    use neuroplast::sim::StructuralEvent;
    use std::collections::HashSet;

    let mut app = app_with(GROWING, |app| {
        app.insert_resource(TimeUpdateStrategy::ManualDuration(std::time::Duration::from_millis(300)));
    });
    app.world_mut().resource_mut::<Transport>().paused = true;
    let before = app.world().resource::<Sim>().network().num_synapses();
    // 200 ms of biological time: pruning rounds at 20, 40, …, 200 ms.
    let changes = advance_ms(app.world_mut(), 200.0);
    let (pruned, formed) = {
        let sent = app.world().resource::<Messages<StructureChanged>>();
        assert_eq!(sent.iter_current_update_messages().count(), changes);
        let count =
            |f: fn(&StructuralEvent) -> bool| sent.iter_current_update_messages().filter(|c| f(&c.event)).count();
        (
            count(|e| matches!(e, StructuralEvent::SynapsePruned { .. })),
            count(|e| matches!(e, StructuralEvent::SynapseFormed { .. })),
        )
    };
    assert!(pruned > 50 && formed > 0, "pruned {pruned}, formed {formed}");
    fixed_tick(&mut app);
    let world = app.world_mut();
    let live: HashSet<_> = {
        let net = world.resource::<Sim>().network();
        assert_eq!(net.num_synapses(), before - pruned + formed);
        (0..net.num_synapses()).map(|s| net.synapse_id(s)).collect()
    };
    let ids = world.resource::<IdMap>();
    assert_eq!(ids.synapses.keys().copied().collect::<HashSet<_>>(), live);
    // Live synapses: one entity each; the pruned ones are still there, fading out.
    let mut q = world.query_filtered::<&Synapse, Without<FadeOut>>();
    assert_eq!(q.iter(world).map(|s| s.0).collect::<HashSet<_>>(), live);
    let mut fading = world.query_filtered::<&Synapse, With<FadeOut>>();
    assert_eq!(fading.iter(world).count(), pruned);
    let mut appearing = world.query_filtered::<&Synapse, With<FadeIn>>();
    let new_ones = appearing.iter(world).filter(|s| live.contains(&s.0)).count();
    assert!(new_ones > 0 && new_ones <= formed);
    // After the fade (0.8 s of wall time; 300 ms per update here) the pruned ones are gone.
    for _ in 0..4 {
        app.update();
    }
    let world = app.world_mut();
    assert_eq!(world.query_filtered::<&Synapse, With<FadeOut>>().iter(world).count(), 0);
    assert_eq!(world.query_filtered::<&Synapse, With<FadeIn>>().iter(world).count(), 0);
    assert_eq!(world.query::<&Synapse>().iter(world).count(), live.len());
}

/// The panels, the picking and the view only read the network; every change goes through a
/// `SimRequest` that `apply_requests` validates.
#[test]
fn the_ui_never_mutates_the_network_directly() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/app");
    let mut files: Vec<_> = ["ui", "view"]
        .iter()
        .flat_map(|d| std::fs::read_dir(root.join(d)).unwrap().map(|e| e.unwrap().path()))
        .collect();
    files.extend(["picking.rs", "camera.rs"].map(|f| root.join(f)));
    assert!(files.len() >= 12, "{files:?}");
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        for banned in ["ResMut<Sim>", "&mut Sim", "network.step(", "network_mut"] {
            assert!(!text.contains(banned), "{} contains `{banned}`", f.display());
        }
    }
}

mod ctm_scene {
    use neuroplast::app::ctm_view::{CtmScene, CtmState, is_ctm_scene};
    use std::path::Path;

    fn state() -> CtmState {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let scene = CtmScene::load(&root.join("scenes/ctm_maze.ron")).unwrap();
        CtmState::new(&scene, &root.join("scenes/ctm_maze.ron")).unwrap()
    }

    #[test]
    fn ctm_scene_files_are_recognised_and_errors_name_the_place() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        assert!(is_ctm_scene(&std::fs::read_to_string(root.join("scenes/ctm_maze.ron")).unwrap()));
        assert!(!is_ctm_scene(&std::fs::read_to_string(root.join("scenes/default.ron")).unwrap()));
        let e = CtmScene::parse("CtmScene(\n  cells: 5,\n  sede: 3,\n)", "bad.ron").unwrap_err().to_string();
        assert!(e.starts_with("bad.ron:3:") && e.contains("sede"), "{e}");
        let big = CtmScene::parse("CtmScene(cells: 9)", "big.ron").unwrap();
        let e = CtmState::new(&big, &root.join("scenes/big.ron")).err().unwrap().to_string();
        assert!(e.contains("cells must be 2..=5"), "{e}");
    }

    #[test]
    fn the_route_shown_is_a_walk_from_the_start_and_edits_rethink() {
        let mut s = state();
        assert_eq!(s.run.ticks, s.model.config().ticks);
        for t in 0..s.run.ticks {
            let mut at = s.maze.start;
            for p in s.route_pixels(t) {
                assert_eq!(at.0.abs_diff(p.0) + at.1.abs_diff(p.1), 1, "tick {t}: {at:?} -> {p:?}");
                assert!(s.maze.is_open(p.0 as i64, p.1 as i64));
                at = p;
            }
        }
        // A wall cannot hold the start; an open pixel can, and the model thinks again.
        let v = s.version;
        assert!(!s.move_endpoint((0, 0), false));
        assert_eq!(s.version, v);
        let open = (1..s.maze.size)
            .flat_map(|y| (1..s.maze.size).map(move |x| (y, x)))
            .find(|&(y, x)| s.maze.is_open(y as i64, x as i64) && (y, x) != s.maze.start && (y, x) != s.maze.goal)
            .unwrap();
        assert!(s.move_endpoint(open, false));
        assert_eq!((s.maze.start, s.tick), (open, 0));
        assert!(s.version > v);
        // New mazes of another size.
        s.new_maze(3);
        assert_eq!((s.maze.cells, s.maze.size), (3, 7));
    }
}

#[test]
fn a_failed_open_or_save_shows_the_error_and_leaves_the_network_and_files_untouched() {
    let mut app = app();
    app.world_mut().resource_mut::<Transport>().paused = true;
    let before = app.world().resource::<Sim>().engine.clone();
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, bytes: &[u8]| {
        let p = dir.path().join(name);
        std::fs::write(&p, bytes).unwrap();
        p
    };
    let cut = write("cut.ron", &SCENE.as_bytes()[..SCENE.len() / 2]);
    let huge = write("huge.ron", SCENE.replace("size: 40", "size: 3000000000").as_bytes());
    let garbage = write("garbage.snap", b"NPSNAP\0\n not a snapshot at all");
    let mut crafted = neuroplast::scene::snapshot::encode(&before);
    let last = crafted.len() - 1;
    crafted[last] ^= 0xFF;
    let crafted = write("crafted.snap", &crafted);
    let files_before: Vec<(std::path::PathBuf, Vec<u8>)> =
        [&cut, &huge, &garbage, &crafted].iter().map(|p| (p.to_path_buf(), std::fs::read(p).unwrap())).collect();
    let cases = [
        (SimRequest::OpenScene(dir.path().join("missing.ron")), "missing.ron: cannot read"),
        (SimRequest::OpenScene(cut.clone()), "cut.ron:"),
        (SimRequest::OpenScene(huge.clone()), "populations[0].size"),
        (SimRequest::OpenSnapshot(garbage.clone()), "garbage.snap:"),
        (SimRequest::OpenSnapshot(crafted.clone()), "crafted.snap:"),
        (SimRequest::SaveScene(dir.path().join("no-such-folder/s.ron")), "no-such-folder/s.ron: cannot create"),
        (SimRequest::SaveSnapshot(dir.path().to_path_buf()), "cannot"),
    ];
    for (request, expect) in cases {
        let _ = app.world_mut().resource_mut::<Messages<Toast>>().drain().count();
        send(&mut app, request);
        fixed_tick(&mut app);
        wait_for_loading(&mut app);
        let mut toasts = Vec::new();
        for _ in 0..500 {
            app.update();
            toasts.extend(app.world_mut().resource_mut::<Messages<Toast>>().drain());
            if toasts.iter().any(|t| t.error) {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(2));
        }
        let error = toasts.iter().find(|t| t.error).unwrap_or_else(|| panic!("{expect}: no error shown: {toasts:?}"));
        assert!(error.text.contains(expect), "{expect}: {}", error.text);
        assert!(app.world().resource::<Sim>().engine == before, "{expect}: the running network changed");
    }
    for (path, bytes) in files_before {
        assert_eq!(std::fs::read(&path).unwrap(), bytes, "{}", path.display());
    }
    let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(names.len(), 4, "only the user's files remain: {names:?}");
}

#[test]
fn the_app_opens_a_neuroml2_network_and_an_edge_list_directly() {
    let mut app = app();
    for (path, neurons, synapses) in
        [("tests/fixtures/two_populations.net.nml", 5, 4), ("assets/celegans/herm_full_edgelist.csv", 448, 27_019)]
    {
        send(&mut app, SimRequest::OpenScene(path.into()));
        fixed_tick(&mut app);
        wait_for_loading(&mut app);
        app.update();
        let net = app.world().resource::<Sim>().network();
        assert_eq!((net.num_neurons(), net.num_synapses()), (neurons, synapses), "{path}");
        let entities = app.world_mut().query::<&Neuron>().iter(app.world()).count();
        assert_eq!(entities, neurons, "{path}: one entity per neuron");
    }
}

/// Updates until the graph's first measures have arrived (at most 2 s).
fn wait_for_graph(app: &mut App) {
    use neuroplast::app::graph::GraphState;
    for _ in 0..2000 {
        app.update();
        if app.world().resource::<GraphState>().latest.is_some() {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
}

/// The graph's measures arrive from their own thread, match the network's, and a new simulation
/// starts their history afresh.
#[test]
fn graph_measures_arrive_off_the_frame_and_follow_the_network() {
    use neuroplast::analysis::graph::{SynapseGraph, reciprocity};
    use neuroplast::app::graph::{GraphPlugin, GraphState};
    let mut app = app_with(SCENE, |app| {
        app.add_plugins(GraphPlugin);
    });
    app.world_mut().resource_mut::<Transport>().paused = true;
    wait_for_graph(&mut app);
    let world = app.world();
    let state = world.resource::<GraphState>();
    let latest = state.latest.as_ref().expect("measured within 2 s");
    let g = SynapseGraph::of(&world.resource::<Sim>().engine.network);
    assert_eq!((latest.measures.edges, latest.measures.neurons), (g.edges(), 40));
    assert_eq!(latest.measures.reciprocity, reciprocity(&g));
    assert_eq!((latest.community.len(), latest.degree.len()), (40, 40));
    assert_eq!(state.history.len(), 1);
    // Paused, the network does not change: no second computation.
    for _ in 0..50 {
        app.update();
    }
    assert_eq!(app.world().resource::<GraphState>().history.len(), 1);
    send(&mut app, SimRequest::Reset { seed: Some(9) });
    fixed_tick(&mut app);
    wait_for_loading(&mut app);
    wait_for_graph(&mut app);
    let world = app.world();
    let (state, net) = (world.resource::<GraphState>(), &world.resource::<Sim>().engine.network);
    assert_eq!(state.history.len(), 1, "a new simulation starts a new history");
    assert_eq!(state.latest.as_ref().unwrap().measures.edges, SynapseGraph::of(net).edges(), "of the new network");
}

/// Spike files opened in the app replay into the running scene: the rules stop, each recorded
/// spike is in the network's spike columns and the raster at its step, a jump leaves the spike
/// times of that moment, the end pauses and says so, looping goes on from the start; stimuli are
/// refused, and a recording that does not fit the network is refused, leaving the replay running.
#[test]
fn a_recording_replays_into_the_scene_jumps_loops_and_stops_at_its_end() {
    let mut app = app();
    app.world_mut().resource_mut::<Transport>().paused = true;
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("spikes.csv");
    std::fs::write(&csv, "time_ms,neuron\n1.0,3\n2.0,3\n2.0,7\n5.0,39\n").unwrap();
    let steps = |app: &mut App, n: usize| {
        for _ in 0..n {
            send(app, SimRequest::Step);
        }
        fixed_tick(app);
    };
    send(&mut app, SimRequest::OpenRecording(vec![csv.clone()]));
    fixed_tick(&mut app);
    wait_for_loading(&mut app);
    {
        let sim = app.world().resource::<Sim>();
        assert!(sim.replay.is_some() && sim.engine.synaptic.is_empty(), "the recording drives the network");
        assert_eq!(sim.network().step_count(), 0);
    }
    steps(&mut app, 30);
    {
        let sim = app.world().resource::<Sim>();
        let nn = &sim.network().neurons;
        assert_eq!(sim.network().step_count(), 30);
        assert_eq!((nn.last_spike[3], nn.prev_spike[3], nn.last_spike[7]), (20, 10, 20));
        assert_eq!(nn.last_spike.iter().filter(|&&s| s != u64::MAX).count(), 2, "only the recorded neurons spiked");
        let raster: Vec<(f64, u32)> = sim.history.raster.iter().copied().collect();
        assert_eq!(raster.iter().map(|r| r.1).collect::<Vec<_>>(), [3, 3, 7], "{raster:?}");
    }
    // Picking a neuron recalls its recorded spikes once; the steps that follow add to them.
    send(&mut app, SimRequest::Select(Some(neuroplast::sim::NeuronId(3))));
    fixed_tick(&mut app);
    let picked: Vec<f64> = app.world().resource::<Sim>().history.selected_spikes.iter().copied().collect();
    assert_eq!(picked, [1.0, 2.0]);
    let _ = app.world_mut().resource_mut::<Messages<Toast>>().drain().count();
    send(&mut app, SimRequest::Stimulate { neurons: vec![0], amplitude_pa: 500.0, duration_ms: 5.0 });
    steps(&mut app, 40);
    let toasts: Vec<Toast> = app.world_mut().resource_mut::<Messages<Toast>>().drain().collect();
    assert!(toasts.iter().any(|t| t.error && t.text.contains("a replay shows what was recorded")), "{toasts:?}");
    assert!(toasts.iter().any(|t| !t.error && t.text.contains("the recording ends at 5.0 ms")), "{toasts:?}");
    assert_eq!(app.world().resource::<Sim>().network().step_count(), 50, "the replay stops at its last spike");
    assert!(app.world().resource::<Transport>().paused);
    send(&mut app, SimRequest::Seek(1.5));
    fixed_tick(&mut app);
    {
        let sim = app.world().resource::<Sim>();
        let nn = &sim.network().neurons;
        assert_eq!(sim.network().step_count(), 15);
        assert_eq!((nn.last_spike[3], nn.last_spike[7], nn.last_spike[39]), (10, u64::MAX, u64::MAX));
        let picked: Vec<f64> = sim.history.selected_spikes.iter().copied().collect();
        assert_eq!(picked, [1.0], "after the jump, the picked neuron's spikes before it");
    }
    send(&mut app, SimRequest::SetLoop(true));
    steps(&mut app, 45);
    assert_eq!(app.world().resource::<Sim>().network().step_count(), 10, "35 steps to the end, then 10 from 0");
    // A recording of a neuron the network lacks, a NaN time to jump to.
    let far = dir.path().join("far.csv");
    std::fs::write(&far, "time_ms,neuron\n1.0,99\n").unwrap();
    send(&mut app, SimRequest::OpenRecording(vec![far]));
    send(&mut app, SimRequest::Seek(f64::NAN));
    fixed_tick(&mut app);
    wait_for_loading(&mut app);
    let toasts: Vec<Toast> = app.world_mut().resource_mut::<Messages<Toast>>().drain().collect();
    assert!(toasts.iter().any(|t| t.error && t.text.contains("names neuron 99")), "{toasts:?}");
    assert!(toasts.iter().any(|t| t.error && t.text.contains("time NaN ms refused")), "{toasts:?}");
    let sim = app.world().resource::<Sim>();
    assert!(sim.replay.as_ref().is_some_and(|r| r.files == [csv.clone()]), "the replay running goes on");
    assert_eq!(sim.network().step_count(), 10);
}

/// "Save replay…" writes the scene with its recording named in it (relative to the new file's
/// folder, with the time shown and the loop); opening that file replays it again from there.
/// Without a replay there is nothing to save, and it says so.
#[test]
fn a_replay_saved_as_a_scene_and_recording_pair_reopens_replaying() {
    let mut app = app();
    app.world_mut().resource_mut::<Transport>().paused = true;
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("spikes.csv");
    std::fs::write(&csv, "time_ms,neuron\n1.0,3\n2.0,3\n2.0,7\n5.0,39\n").unwrap();
    let pair = dir.path().join("pair.ron");
    send(&mut app, SimRequest::SaveReplay(pair.clone()));
    fixed_tick(&mut app);
    let toasts: Vec<Toast> = app.world_mut().resource_mut::<Messages<Toast>>().drain().collect();
    assert!(toasts.iter().any(|t| t.error && t.text.contains("no recording is replayed")), "{toasts:?}");
    send(&mut app, SimRequest::OpenRecording(vec![csv.clone()]));
    fixed_tick(&mut app);
    wait_for_loading(&mut app);
    send(&mut app, SimRequest::SetLoop(true));
    send(&mut app, SimRequest::Seek(2.5));
    send(&mut app, SimRequest::SaveReplay(pair.clone()));
    fixed_tick(&mut app);
    for _ in 0..500 {
        app.update();
        if pair.exists() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    let text = std::fs::read_to_string(&pair).unwrap();
    assert!(text.contains("recording:") && text.contains("\"spikes.csv\""), "{text}");
    assert!(text.contains("looping: true") && text.contains("2.5 ms"), "{text}");
    // Opened again (a fresh app, as a user would), it replays from 2.5 ms with the loop on.
    let mut again = app_with(SCENE, |_| {});
    send(&mut again, SimRequest::OpenScene(pair.clone()));
    fixed_tick(&mut again);
    wait_for_loading(&mut again);
    let sim = again.world().resource::<Sim>();
    let replay = sim.replay.as_ref().expect("the pair opens replaying");
    assert_eq!(replay.files, [dir.path().join("spikes.csv")]);
    assert!(replay.feed.looping);
    assert_eq!(sim.network().step_count(), 25);
    assert_eq!(sim.network().neurons.last_spike[7], 20, "the spike times of that moment");
}

/// Following a NEST job: a replay of its ascii files, switched to follow, jumps to the newest
/// time and waits there (not ended, not paused); rows the job appends are read on a later tick
/// and played.
#[test]
fn a_followed_replay_waits_at_the_newest_time_and_plays_what_the_job_appends() {
    let mut app = app();
    app.world_mut().resource_mut::<Transport>().paused = true;
    let dir = tempfile::tempdir().unwrap();
    let dat = dir.path().join("spikes-41-0.dat");
    let header = "# NEST version: 3.10\n# RecordingBackendASCII version: 2\nsender\ttime_ms\n";
    std::fs::write(&dat, format!("{header}4\t1.000\n8\t2.000\n")).unwrap();
    send(&mut app, SimRequest::OpenRecording(vec![dat.clone()]));
    fixed_tick(&mut app);
    wait_for_loading(&mut app);
    send(&mut app, SimRequest::SetFollow(true));
    fixed_tick(&mut app);
    assert_eq!(app.world().resource::<Sim>().network().step_count(), 20, "following starts at the newest time");
    for _ in 0..5 {
        send(&mut app, SimRequest::Step);
    }
    fixed_tick(&mut app);
    {
        let sim = app.world().resource::<Sim>();
        assert_eq!(sim.network().step_count(), 20, "nothing newer yet: it waits");
        assert!(!sim.replay_ended(), "waiting is not the end");
    }
    {
        use std::io::Write;
        std::fs::OpenOptions::new().append(true).open(&dat).unwrap().write_all(b"12\t2.500\n").unwrap();
    }
    std::thread::sleep(std::time::Duration::from_millis(300));
    for _ in 0..10 {
        send(&mut app, SimRequest::Step);
    }
    fixed_tick(&mut app);
    let sim = app.world().resource::<Sim>();
    assert_eq!(sim.network().step_count(), 25, "played up to the appended row at 2.5 ms, then waits again");
    assert_eq!(sim.network().neurons.last_spike[11], 25, "the appended spike");
}
