//! `neuroplast bench frame`: the app's CPU work per frame outside the simulation step (mirroring
//! structural events into entities, filling the GPU buffers) at 100,000 neurons and 1,000,000
//! synapses with pruning and attention edges changing the structure, and the time from launch to
//! the first rendered frame of the default scene.

use std::time::Instant;

use bevy::prelude::*;

use super::sim::{Sim, SimPlugin, Transport};
use super::view::{ViewBuffers, ViewSettings, bytes};
use crate::growth::attention::AttentionEdges;
use crate::scene::benchmark::growth_scene;

/// Runs the frame benchmark and prints its figures.
pub fn bench_frame() -> anyhow::Result<()> {
    const NEURONS: u32 = 100_000;
    const FRAMES: usize = 300;
    let t0 = Instant::now();
    let scene = crate::scene::Scene::parse(&growth_scene(NEURONS, 10.0, 2.0), "bench frame")?;
    let sim = Sim::from_scene(scene, "bench-frame.ron".into(), None)?;
    let (n, s) = (sim.engine.network.num_neurons(), sim.engine.network.num_synapses());
    println!("frame benchmark: {n} neurons, {s} synapses, built in {:.2} s", t0.elapsed().as_secs_f64());
    let mut app = App::new();
    app.add_plugins((MinimalPlugins, SimPlugin)).insert_resource(sim);
    let t = Instant::now();
    app.update();
    println!("spawning {} entities: {:.1} ms", n + s, t.elapsed().as_secs_f64() * 1e3);
    app.world_mut().resource_mut::<Transport>().paused = true;

    let budgets = [ViewSettings::default().max_synapses, s];
    let mut views: Vec<ViewBuffers> = budgets.iter().map(|_| ViewBuffers::default()).collect();
    let mut built = u64::MAX;
    // Per frame: (mirror ms, per-budget refresh+pack ms), and the rebuilds separately.
    let (mut mirror, mut refresh): (Vec<f64>, Vec<Vec<f64>>) = (Vec::new(), vec![Vec::new(); budgets.len()]);
    let mut rebuilds: Vec<Vec<f64>> = vec![Vec::new(); budgets.len()];
    let mut events = 0usize;
    let ms = |t: Instant| t.elapsed().as_secs_f64() * 1e3;
    for _ in 0..FRAMES {
        // The simulation's share of the frame (not timed): 5 ms of biological time.
        {
            let mut sim = app.world_mut().resource_mut::<Sim>();
            sim.advance_ms(5.0, None);
            events += sim.events.len();
        }
        let t = Instant::now();
        app.world_mut().run_schedule(FixedUpdate);
        mirror.push(ms(t));
        let sim = app.world().resource::<Sim>();
        let rebuild = built != sim.structure_version;
        built = sim.structure_version;
        for (k, view) in views.iter_mut().enumerate() {
            if rebuild {
                let t = Instant::now();
                view.rebuild(&sim.engine, budgets[k]);
                rebuilds[k].push(ms(t));
            }
            let t = Instant::now();
            view.refresh(&sim.engine);
            let packed = bytes(&view.neuron_dynamics).len() + bytes(&view.weights).len();
            std::hint::black_box(packed);
            refresh[k].push(ms(t));
        }
    }
    let stats = |v: &[f64]| -> String {
        if v.is_empty() {
            return "-".into();
        }
        let mut v = v.to_vec();
        v.sort_by(f64::total_cmp);
        let mean = v.iter().sum::<f64>() / v.len() as f64;
        format!(
            "mean {mean:.2} ms, p95 {:.2} ms, max {:.2} ms",
            v[(v.len() * 95 / 100).min(v.len() - 1)],
            v[v.len() - 1]
        )
    };
    let sim = app.world().resource::<Sim>();
    println!(
        "{FRAMES} frames over {:.1} s of biological time, {events} structural events ({} synapses, {} attention edges at the end)",
        sim.engine.network.time_ms() / 1e3,
        sim.engine.network.num_synapses(),
        sim.engine.structural_rule::<AttentionEdges>().map_or(0, |a| a.edges().len())
    );
    println!("mirror (events -> entities, fades): {}", stats(&mirror));
    for (k, &b) in budgets.iter().enumerate() {
        let drawn = views[k].pairs.len();
        let both: Vec<f64> = mirror.iter().zip(&refresh[k]).map(|(a, b)| a + b).collect();
        println!("drawing up to {b} synapses ({drawn} drawn):");
        println!("  buffers (spike ages, voltages, weights -> bytes): {}", stats(&refresh[k]));
        println!("  mirror + buffers per frame: {}", stats(&both));
        println!("  rebuild after a structural change ({} times): {}", rebuilds[k].len(), stats(&rebuilds[k]));
    }
    first_frame();
    Ok(())
}

/// Launches the app on the default scene for one frame and reports when it was captured.
fn first_frame() {
    if std::env::var_os("DISPLAY").is_none_or(|d| d.is_empty()) {
        println!("time to first frame: not measured (no DISPLAY; run under Xvfb, see README.md)");
        return;
    }
    let (Ok(exe), png) = (std::env::current_exe(), std::env::temp_dir().join("neuroplast-first-frame.png")) else {
        return;
    };
    for frames in ["1", "30"] {
        let out = std::process::Command::new(&exe).args(["--screenshot"]).arg(&png).args(["--frames", frames]).output();
        let line = out.ok().and_then(|o| {
            String::from_utf8_lossy(&o.stderr).lines().find(|l| l.contains("after launch")).map(str::to_string)
        });
        match line {
            Some(l) => println!("default scene: {l}"),
            None => println!("time to first frame: the app did not report a captured frame"),
        }
    }
    let _ = std::fs::remove_file(&png);
}
