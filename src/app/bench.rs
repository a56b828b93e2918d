//! `neuroplast bench frame`: the app's CPU work per frame outside the simulation step, at 100,000
//! neurons and 1,000,000 synapses with pruning and attention edges changing the structure: mirroring
//! structural changes into entities, and the view's buffer work (spike steps, looks, slots, bytes
//! written to the GPU). Run with the drawing budget's default and with every synapse drawn, then the
//! time from launch to the first rendered frame of the default scene.

use crate::say;
use std::time::{Duration, Instant};

use bevy::prelude::*;
use bevy::time::TimeUpdateStrategy;

use super::bridge::{IdMap, OnScreen, Sim, SimPlugin, Transport, advance_ms, scene_io};
use super::view::{GpuWrites, ViewBuffersPlugin, headless_assets};
use crate::scene::benchmark::growth_scene;

/// Neurons of the benchmark network.
const NEURONS: u32 = 100_000;
/// Frames measured.
const FRAMES: usize = 300;

/// Runs the frame benchmark and prints its figures.
pub fn bench_frame() -> anyhow::Result<()> {
    let t0 = Instant::now();
    let scene = crate::scene::Scene::parse(&growth_scene(NEURONS, 10.0, 2.0), "bench frame")?;
    let sim = Sim::from_scene(scene, "bench-frame.ron".into(), None)?;
    let (n, s) = (sim.network().num_neurons(), sim.network().num_synapses());
    say!("frame benchmark: {n} neurons, {s} synapses, built in {:.2} s", t0.elapsed().as_secs_f64());
    for budget in [OnScreen::default().budget, s] {
        let copy = Sim::with_simulation(sim.engine.clone(), sim.scene.clone(), sim.scene_path.clone());
        measure(copy, budget)?;
    }
    measures_while_running()?;
    first_frame()
}

/// Mean, 95th percentile and largest of per-frame figures.
fn stats(v: &[f64]) -> String {
    if v.is_empty() {
        return "-".into();
    }
    let mut v = v.to_vec();
    v.sort_by(f64::total_cmp);
    let mean = v.iter().sum::<f64>() / v.len() as f64;
    format!("mean {mean:.2} ms, p95 {:.2} ms, max {:.2} ms", v[(v.len() * 95 / 100).min(v.len() - 1)], v[v.len() - 1])
}

/// One run of [`FRAMES`] frames with at most `budget` synapses on screen.
fn measure(sim: Sim, budget: usize) -> anyhow::Result<()> {
    let mut app = App::new();
    app.add_plugins(MinimalPlugins)
        .insert_resource(TimeUpdateStrategy::ManualDuration(Duration::from_secs_f64(1.0 / 60.0)));
    headless_assets(&mut app);
    app.add_plugins((SimPlugin::default(), ViewBuffersPlugin))
        .insert_resource(OnScreen { budget, ..OnScreen::default() });
    app.finish();
    app.cleanup();
    app.world_mut().run_schedule(Startup);
    let t = Instant::now();
    scene_io::install(app.world_mut(), sim);
    let spawn_ms = t.elapsed().as_secs_f64() * 1e3;
    let entities = {
        let ids = app.world().resource::<IdMap>();
        ids.neurons.len() + ids.synapses.len() + ids.attention.len()
    };
    app.world_mut().resource_mut::<Transport>().paused = true;
    let ms = |t: Instant| t.elapsed().as_secs_f64() * 1e3;
    let (mut mirror, mut view, mut bytes) = (Vec::new(), Vec::new(), Vec::new());
    let mut events = 0usize;
    for _ in 0..FRAMES {
        let world = app.world_mut();
        world.run_schedule(First);
        // The simulation's share of the frame (not timed): 5 ms of biological time.
        events += advance_ms(world, 5.0);
        let t = Instant::now();
        world.run_schedule(FixedUpdate);
        mirror.push(ms(t));
        let t = Instant::now();
        world.run_schedule(Update);
        view.push(ms(t));
        bytes.push(world.resource::<GpuWrites>().bytes() as f64);
    }
    let world = app.world();
    let sim = world.resource::<Sim>();
    let shown = world.resource::<IdMap>().synapses.len();
    say!(
        "budget {budget}: {shown} of {} synapses on screen; {entities} entities spawned in {spawn_ms:.1} ms",
        sim.network().num_synapses()
    );
    say!(
        "  {FRAMES} frames over {:.1} s of biological time, {events} structural changes",
        sim.network().time_ms() / 1e3
    );
    say!("  mirror (changes -> entities, fades): {}", stats(&mirror));
    say!("  view (spike steps, looks, slots): {}", stats(&view));
    let both: Vec<f64> = mirror.iter().zip(&view).map(|(a, b)| a + b).collect();
    say!("  mirror + view per frame: {}", stats(&both));
    say!("  written in place to the GPU: mean {:.1} kB per frame", bytes.iter().sum::<f64>() / FRAMES as f64 / 1e3);
    Ok(())
}

/// The default scene running at real time, frames of 1/60 s, with the graph measures computed back
/// to back on their own thread (until five have arrived) and without them: the whole frame's time (stepping
/// included) on the frame thread, and the measurements that arrived.
fn measures_while_running() -> anyhow::Result<()> {
    let scene = crate::scene::Scene::load(std::path::Path::new(super::options::DEFAULT_SCENE))?;
    for measured in [false, true] {
        let sim = Sim::from_scene(scene.clone(), super::options::DEFAULT_SCENE.into(), None)?;
        let mut app = App::new();
        app.add_plugins(MinimalPlugins)
            .insert_resource(TimeUpdateStrategy::ManualDuration(Duration::from_secs_f64(1.0 / 60.0)));
        headless_assets(&mut app);
        app.add_plugins((SimPlugin::default(), ViewBuffersPlugin));
        if measured {
            app.add_plugins(super::graph::GraphPlugin);
        }
        app.finish();
        app.cleanup();
        app.world_mut().run_schedule(Startup);
        scene_io::install(app.world_mut(), sim);
        if let Some(mut g) = app.world_mut().get_resource_mut::<super::graph::GraphState>() {
            g.interval = Duration::ZERO;
        }
        app.world_mut().resource_mut::<Transport>().speed_ms_per_s = super::bridge::REAL_TIME;
        let mut frames = Vec::new();
        let arrived = |app: &App| app.world().get_resource::<super::graph::GraphState>().map_or(0, |g| g.history.len());
        // 600 frames, and with the measures on until five have arrived (at most 6,000 frames).
        while frames.len() < 600 || (measured && arrived(&app) < 5 && frames.len() < 6000) {
            let t = Instant::now();
            app.update();
            frames.push(t.elapsed().as_secs_f64() * 1e3);
        }
        let world = app.world();
        let done = world.get_resource::<super::graph::GraphState>().map_or(0, |g| g.history.len());
        let bio_s = world.resource::<Sim>().network().time_ms() / 1e3;
        say!(
            "default scene at real time, graph measures {}: frame {} ({bio_s:.1} s simulated, {done} measurements)",
            if measured { "back to back" } else { "off" },
            stats(&frames)
        );
    }
    Ok(())
}

/// Launches the app on the default scene for one frame and reports when it was captured.
fn first_frame() -> anyhow::Result<()> {
    if std::env::var_os("DISPLAY").is_none_or(|d| d.is_empty()) {
        say!("time to first frame: not measured (no DISPLAY; run under Xvfb, see README.md)");
        return Ok(());
    }
    let (Ok(exe), png) = (std::env::current_exe(), std::env::temp_dir().join("neuroplast-first-frame.png")) else {
        return Ok(());
    };
    for frames in ["1", "30"] {
        let out = std::process::Command::new(&exe).args(["--screenshot"]).arg(&png).args(["--frames", frames]).output();
        let line = out.ok().and_then(|o| {
            String::from_utf8_lossy(&o.stderr).lines().find(|l| l.contains("after launch")).map(str::to_string)
        });
        match line {
            Some(l) => say!("default scene: {l}"),
            None => say!("time to first frame: the app did not report a captured frame"),
        }
    }
    let _ = std::fs::remove_file(&png);
    Ok(())
}

/// A recording replayed into `network` at its real time in frames of 1/60 s, headless: each
/// frame's CPU time on the frame thread (the replay's steps, the plots' history, the view's
/// buffers and the level of detail's bins), and the pace reached.
pub fn bench_replay_frames(network: &std::path::Path, spikes: &std::path::Path, frames: usize) -> anyhow::Result<()> {
    let scene = crate::scene::Scene::load(network)?;
    let mut sim = Sim::from_scene(scene, network.to_path_buf(), None)?;
    let request = crate::io::replay::ReplayRequest { files: vec![spikes.to_path_buf()], looping: false, follow: false };
    let replay = super::bridge::replay::Replay::read(&request, sim.network()).map_err(anyhow::Error::msg)?;
    sim.start_replay(replay);
    sim.seek(10_000.0);
    let mut app = App::new();
    app.add_plugins(MinimalPlugins)
        .insert_resource(TimeUpdateStrategy::ManualDuration(Duration::from_secs_f64(1.0 / 60.0)));
    headless_assets(&mut app);
    app.add_plugins((SimPlugin::default(), ViewBuffersPlugin));
    app.finish();
    app.cleanup();
    app.world_mut().run_schedule(Startup);
    scene_io::install(app.world_mut(), sim);
    app.world_mut().resource_mut::<super::view::lod::Lod>().mode = super::view::lod::LodMode::Bins;
    let start = app.world().resource::<Sim>().network().time_ms();
    let mut times = Vec::with_capacity(frames);
    let t0 = Instant::now();
    for _ in 0..frames {
        let t = Instant::now();
        app.world_mut().run_schedule(First);
        advance_ms(app.world_mut(), 1000.0 / 60.0);
        app.update();
        times.push(t.elapsed().as_secs_f64() * 1e3);
    }
    let wall = t0.elapsed().as_secs_f64();
    let world = app.world();
    let played = world.resource::<Sim>().network().time_ms() - start;
    let bins = world.resource::<super::view::lod::Lod>().bins.bins.len();
    say!(
        "app frames replaying {} neurons at real time (16.7 ms of recording a frame, {bins} bins): {}; {:.0} ms played in {wall:.2} s: {:.2}x real time with nothing else in the frame",
        world.resource::<Sim>().network().num_neurons(),
        stats(&times),
        played,
        played / 1000.0 / wall
    );
    Ok(())
}
