//! Maze metrics of `neuroplast ctm eval`: per-step and full-route accuracy at the most certain
//! tick, and the goal-reach rate with re-application (the paper's generalisation protocol: walk
//! the predicted route skipping wall moves, at most 2 bumps, re-apply from where it stopped, at
//! most 20 applications).

use std::sync::Arc;
use std::time::Instant;

use rayon::prelude::*;

use super::maze::{Maze, Pixel, walk};
use super::model::CtmModel;
use super::thinker::Thinker;

/// Wall moves tolerated per application before the walk stops.
pub const MAX_BUMPS: usize = 2;
/// Applications of the model per maze (the first one included).
pub const MAX_APPLICATIONS: usize = 20;

/// Outcome of solving one maze by repeated application.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reapplication {
    /// Whether the goal was reached.
    pub reached: bool,
    /// Applications used (1 = the first route sufficed).
    pub applications: usize,
    /// Where the walker stopped.
    pub end: Pixel,
}

/// Applies `predict` (a route for the maze with its start moved to the walker) and walks it, up to
/// `max_apps` times. Stops early when a walk makes no move: the same input would give the same
/// route again.
pub fn reapply(
    maze: &Maze,
    max_apps: usize,
    max_bumps: usize,
    mut predict: impl FnMut(&Maze) -> Vec<u8>,
) -> Reapplication {
    let mut at = maze.start;
    for app in 1..=max_apps {
        let route = predict(&maze.with_start(at));
        let w = walk(maze, at, &route, max_bumps);
        at = w.end;
        if w.reached {
            return Reapplication { reached: true, applications: app, end: at };
        }
        if w.moved == 0 {
            return Reapplication { reached: false, applications: app, end: at };
        }
    }
    Reapplication { reached: false, applications: max_apps, end: at }
}

/// Number of route steps equal to the targets (compared over the targets' length).
pub fn correct_steps(route: &[u8], targets: &[u8]) -> usize {
    route.iter().zip(targets).filter(|(a, b)| a == b).count()
}

/// Runs all ticks and writes the route at the most certain tick into `route`; returns that tick
/// (0-based) and the number of ticks run.
pub fn answer(th: &mut Thinker, maze: &Maze, route: &mut [u8]) -> (usize, usize) {
    th.reset_maze(maze);
    let (mut best, mut best_c, mut t) = (0, f32::NEG_INFINITY, 0);
    while th.step() {
        if th.certainty() > best_c {
            best_c = th.certainty();
            best = t;
            th.route_into(route);
        }
        t += 1;
    }
    (best, t)
}

/// One maze's result in an evaluation.
#[derive(Clone, Copy, Debug)]
pub struct MazeResult {
    /// Route steps correct at the most certain tick.
    pub correct: usize,
    /// The shortest route's length in pixel steps.
    pub route_len: usize,
    /// Re-application outcome.
    pub reach: Reapplication,
    /// Most certain tick of the first application (0-based).
    pub most_certain: usize,
    /// Forward passes run and their total time in seconds.
    pub forwards: usize,
    /// Ticks run in all forward passes.
    pub ticks: usize,
    /// Seconds spent in forward passes.
    pub seconds: f64,
}

/// Evaluates one maze: accuracy of the first route, then goal reach by re-application.
pub fn evaluate_maze(th: &mut Thinker, maze: &Maze) -> MazeResult {
    let k = th.model().config().route_len;
    let mut route = vec![0u8; k];
    let (mut forwards, mut ticks, mut seconds) = (0, 0, 0.0);
    let t0 = Instant::now();
    let (most_certain, tk) = answer(th, maze, &mut route);
    seconds += t0.elapsed().as_secs_f64();
    forwards += 1;
    ticks += tk;
    let targets = maze.targets(k);
    let correct = correct_steps(&route, &targets);
    let mut first = Some(route.clone());
    let reach = reapply(maze, MAX_APPLICATIONS, MAX_BUMPS, |m| {
        if let Some(r) = first.take() {
            return r;
        }
        let t0 = Instant::now();
        let (_, tk) = answer(th, m, &mut route);
        seconds += t0.elapsed().as_secs_f64();
        forwards += 1;
        ticks += tk;
        route.clone()
    });
    MazeResult { correct, route_len: maze.route().len(), reach, most_certain, forwards, ticks, seconds }
}

/// Aggregate figures of an evaluation.
#[derive(Clone, Debug)]
pub struct EvalReport {
    /// Cells per maze side.
    pub cells: usize,
    /// Mazes evaluated.
    pub mazes: usize,
    /// Route steps predicted per application (k).
    pub route_len: usize,
    /// Fraction of route steps correct at the most certain tick (wait padding included).
    pub step_accuracy: f64,
    /// Fraction of mazes with all k steps correct at the most certain tick.
    pub route_accuracy: f64,
    /// Fraction of mazes whose goal was reached with re-application.
    pub goal_reach: f64,
    /// Fraction of mazes whose shortest route is longer than k.
    pub longer_than_k: f64,
    /// Goal reach among the mazes whose route is longer than k.
    pub goal_reach_long: f64,
    /// Mean applications over the mazes that reached the goal.
    pub mean_applications: f64,
    /// Mean most certain tick (1-based) of the first application.
    pub mean_most_certain_tick: f64,
    /// Forward passes run.
    pub forwards: usize,
    /// Mean seconds per forward pass (one maze, one thread).
    pub seconds_per_forward: f64,
    /// Mean seconds per tick (forward time / ticks; the featuriser included).
    pub seconds_per_tick: f64,
}

/// Evaluates `count` mazes of `cells`×`cells` cells generated from `seed` (in parallel; the
/// result does not depend on the thread count).
pub fn evaluate(model: &Arc<CtmModel>, cells: usize, count: usize, seed: u64) -> EvalReport {
    let results: Vec<MazeResult> = (0..count as u64)
        .into_par_iter()
        .map_init(|| Thinker::new(model.clone()), |th, i| evaluate_maze(th, &Maze::generate(cells, seed, i)))
        .collect();
    summarise(cells, model.config().route_len, &results)
}

/// Aggregates per-maze results.
pub fn summarise(cells: usize, k: usize, results: &[MazeResult]) -> EvalReport {
    let n = results.len().max(1) as f64;
    let reached: Vec<&MazeResult> = results.iter().filter(|r| r.reach.reached).collect();
    let long: Vec<&MazeResult> = results.iter().filter(|r| r.route_len > k).collect();
    let forwards: usize = results.iter().map(|r| r.forwards).sum();
    let ticks: usize = results.iter().map(|r| r.ticks).sum();
    let seconds: f64 = results.iter().map(|r| r.seconds).sum();
    EvalReport {
        cells,
        mazes: results.len(),
        route_len: k,
        step_accuracy: results.iter().map(|r| r.correct).sum::<usize>() as f64 / (n * k as f64),
        route_accuracy: results.iter().filter(|r| r.correct == k).count() as f64 / n,
        goal_reach: reached.len() as f64 / n,
        longer_than_k: long.len() as f64 / n,
        goal_reach_long: long.iter().filter(|r| r.reach.reached).count() as f64 / long.len().max(1) as f64,
        mean_applications: reached.iter().map(|r| r.reach.applications).sum::<usize>() as f64
            / reached.len().max(1) as f64,
        mean_most_certain_tick: results.iter().map(|r| r.most_certain + 1).sum::<usize>() as f64 / n,
        forwards,
        seconds_per_forward: seconds / forwards.max(1) as f64,
        seconds_per_tick: seconds / ticks.max(1) as f64,
    }
}
