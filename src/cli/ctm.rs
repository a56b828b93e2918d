//! `neuroplast ctm eval` and `neuroplast ctm bench`: the maze CTM's accuracy and goal-reach rate
//! on generated mazes, and the speed of its Rust forward pass.

use neuroplast::say;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, Result};
use clap::{Args, Subcommand};

use neuroplast::ctm::eval::{MAX_APPLICATIONS, MAX_BUMPS, evaluate};
use neuroplast::ctm::{CtmModel, Maze, Thinker};

/// `neuroplast ctm` subcommands.
#[derive(Subcommand)]
pub enum CtmCommand {
    /// Accuracy and goal-reach rate on generated mazes (Rust forward pass).
    Eval(EvalArgs),
    /// Time the Rust forward pass (batch 1, one thread).
    Bench(BenchArgs),
}

/// `neuroplast ctm eval` options.
#[derive(Args)]
pub struct EvalArgs {
    /// Cells per maze side (the pixel grid is 2·cells + 1).
    #[arg(long, default_value_t = 5)]
    pub cells: usize,
    /// Number of mazes.
    #[arg(long, default_value_t = 1000)]
    pub mazes: usize,
    /// Maze seed (the Rust generator's random draws never fed training).
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    /// Folder with config.json and weights.safetensors.
    #[arg(long, default_value = "assets/ctm")]
    pub model: PathBuf,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

/// `neuroplast ctm bench` options.
#[derive(Args)]
pub struct BenchArgs {
    /// Folder with config.json and weights.safetensors.
    #[arg(long, default_value = "assets/ctm")]
    pub model: PathBuf,
    /// Timed forward passes.
    #[arg(long, default_value_t = 200)]
    pub iters: usize,
    /// Cells of the benchmark mazes.
    #[arg(long, default_value_t = 5)]
    pub cells: usize,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

/// Runs a `ctm` subcommand.
pub fn ctm(cmd: CtmCommand) -> Result<()> {
    match cmd {
        CtmCommand::Eval(a) => eval(a),
        CtmCommand::Bench(a) => bench(a),
    }
}

fn load(dir: &std::path::Path) -> Result<Arc<CtmModel>> {
    Ok(Arc::new(CtmModel::load(dir).with_context(|| format!("loading the CTM from {}", dir.display()))?))
}

fn eval(a: EvalArgs) -> Result<()> {
    let model = load(&a.model)?;
    let c = model.config();
    anyhow::ensure!((1..=1_000_000).contains(&a.mazes), "--mazes must be 1 to 1000000, got {}", a.mazes);
    anyhow::ensure!(
        (2..=c.max_cells()).contains(&a.cells),
        "--cells must be 2..={} (the model's {}×{} canvas)",
        c.max_cells(),
        c.canvas,
        c.canvas
    );
    let t0 = Instant::now();
    let r = evaluate(&model, a.cells, a.mazes, a.seed);
    let wall = t0.elapsed().as_secs_f64();
    if a.json {
        // serde_json writes a figure that does not exist (no route longer than k) as null.
        let out = serde_json::json!({
            "cells": r.cells, "mazes": r.mazes, "seed": a.seed, "route_len": r.route_len, "ticks": c.ticks,
            "step_accuracy": r.step_accuracy, "route_accuracy": r.route_accuracy, "goal_reach": r.goal_reach,
            "longer_than_k": r.longer_than_k, "goal_reach_long": r.goal_reach_long,
            "mean_applications": r.mean_applications, "mean_most_certain_tick": r.mean_most_certain_tick,
            "seconds_per_forward": r.seconds_per_forward, "seconds_per_tick": r.seconds_per_tick, "wall_s": wall,
        });
        say!("{out}");
        return Ok(());
    }
    let px = 2 * a.cells + 1;
    say!(
        "CTM maze eval: {} mazes of {}×{} cells ({px}×{px} px), seed {}, k = {} steps, T = {} ticks",
        r.mazes,
        a.cells,
        a.cells,
        a.seed,
        r.route_len,
        c.ticks
    );
    say!("per-step accuracy (most certain tick)   {:.4}", r.step_accuracy);
    say!("full-route accuracy (all {} steps)      {:.4}", r.route_len, r.route_accuracy);
    say!(
        "goal reach (re-application ≤{MAX_APPLICATIONS}, ≤{MAX_BUMPS} bumps)   {:.4}   (mean applications when reached {:.2})",
        r.goal_reach,
        r.mean_applications
    );
    say!(
        "routes longer than k                    {:.4}   (goal reach among them {:.4})",
        r.longer_than_k,
        r.goal_reach_long
    );
    say!("mean most certain tick                  {:.2} of {}", r.mean_most_certain_tick, c.ticks);
    say!(
        "forward passes {}, {:.3} ms each, {:.2} µs per tick (one thread); wall {:.2} s",
        r.forwards,
        r.seconds_per_forward * 1e3,
        r.seconds_per_tick * 1e6,
        wall
    );
    Ok(())
}

fn bench(a: BenchArgs) -> Result<()> {
    let model = load(&a.model)?;
    let c = model.config().clone();
    anyhow::ensure!((1..=1_000_000).contains(&a.iters), "--iters must be 1 to 1000000, got {}", a.iters);
    anyhow::ensure!((2..=c.max_cells()).contains(&a.cells), "--cells must be 2..={}", c.max_cells());
    let inputs: Vec<Vec<f32>> = (0..16).map(|i| Maze::generate(a.cells, 99, i).render(c.canvas)).collect();
    let mut th = Thinker::new(model.clone());
    let mut sink = 0.0f32;
    let mut run = |iters: usize| {
        let t0 = Instant::now();
        let mut feat = 0.0;
        for i in 0..iters {
            let f0 = Instant::now();
            th.reset(&inputs[i % inputs.len()]);
            feat += f0.elapsed().as_secs_f64();
            while th.step() {}
            sink += th.certainty();
        }
        (t0.elapsed().as_secs_f64() / iters as f64, feat / iters as f64)
    };
    run(a.iters.div_ceil(10)); // warm-up
    let (per_forward, per_feat) = run(a.iters);
    let per_tick = (per_forward - per_feat) / c.ticks as f64;
    if a.json {
        say!(
            "{{\"seconds_per_forward\":{per_forward:.9},\"seconds_featuriser\":{per_feat:.9},\"seconds_per_tick\":{per_tick:.9},\"ticks\":{},\"iters\":{},\"checksum\":{sink}}}",
            c.ticks,
            a.iters
        );
    } else {
        say!(
            "Rust CTM forward (batch 1, one thread): {:.3} ms per maze = featuriser + K/V {:.3} ms + {} ticks × {:.2} µs",
            per_forward * 1e3,
            per_feat * 1e3,
            c.ticks,
            per_tick * 1e6
        );
    }
    Ok(())
}
