//! The CTM scene: a Continuous Thought Machine solving a maze, one internal tick per frame (or
//! scrubbed). The maze is drawn by `shaders/ctm_maze.wgsl` with the tick's attention over it and
//! the route predicted at that tick; beside it each head's map; the model's neurons as glowing
//! spheres (brightness = post-activation) joined by their synchronisation pairs; the panel holds
//! the certainty curve, traces of picked neurons, the synchronisation matrices and the controls.

mod maze;
mod neurons;
mod panel;

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use anyhow::Result;
use bevy::prelude::*;

use crate::ctm::eval::{EvalReport, reapply};
use crate::ctm::maze::{Maze, Pixel, walk};
pub use crate::ctm::scene::{CtmScene, is_ctm_scene};
use crate::ctm::{CtmModel, CtmRun};

/// The model, the maze and every tick of the current run; what the view shows.
#[derive(Resource)]
pub struct CtmState {
    /// The loaded model.
    pub model: Arc<CtmModel>,
    /// Title.
    pub name: String,
    /// Cells per maze side (2 ..= the canvas's limit).
    pub cells: usize,
    /// Maze seed and number.
    pub seed: u64,
    /// Maze number.
    pub index: u64,
    /// The maze being solved.
    pub maze: Maze,
    /// Every tick of the current run.
    pub run: CtmRun,
    /// The tick shown (0-based).
    pub tick: usize,
    /// Whether ticks advance by themselves (one per frame).
    pub playing: bool,
    /// Frames to hold the last tick before looping.
    pub hold: u32,
    /// Attention shown on the big maze: -1 the head mean, else one head.
    pub head: i32,
    /// Neurons whose traces are plotted.
    pub picked: Vec<usize>,
    /// Wall time of the last forward pass (ms) and per tick (µs).
    pub forward_ms: f64,
    /// Bumped whenever the run or the tick shown changes (the view refreshes its buffers).
    pub version: u64,
    /// A background measurement (1,000 mazes) and its result.
    pub measurement: Option<std::thread::JoinHandle<EvalReport>>,
    /// The last measurement.
    pub measured: Option<EvalReport>,
    /// After holding the last tick, go on to the next maze instead of replaying (recordings).
    pub tour: bool,
}

impl CtmState {
    /// Loads the model and solves the scene's maze.
    pub fn new(scene: &CtmScene, scene_path: &Path) -> Result<Self> {
        let dir = scene.model_dir(scene_path);
        let model = Arc::new(CtmModel::load(&dir).map_err(|e| anyhow::anyhow!("{}: {e}", dir.display()))?);
        let max = model.config().max_cells();
        anyhow::ensure!(
            (2..=max).contains(&scene.cells),
            "{}: cells must be 2..={max} for this model's {}-pixel canvas, got {}",
            scene_path.display(),
            model.config().canvas,
            scene.cells
        );
        let maze = Maze::generate(scene.cells, scene.seed, scene.maze);
        let name = if scene.name.is_empty() { "CTM maze".to_string() } else { scene.name.clone() };
        let mut s = Self {
            model,
            name,
            cells: scene.cells,
            seed: scene.seed,
            index: scene.maze,
            maze,
            run: CtmRun::default(),
            tick: 0,
            playing: true,
            hold: 0,
            head: -1,
            picked: vec![0, 1, 2],
            forward_ms: 0.0,
            version: 0,
            measurement: None,
            measured: None,
            tour: false,
        };
        s.think();
        Ok(s)
    }

    /// Runs every tick on the current maze and restarts the playback.
    pub fn think(&mut self) {
        let t = Instant::now();
        self.run = self.model.run_maze(&self.maze);
        self.forward_ms = t.elapsed().as_secs_f64() * 1e3;
        self.tick = 0;
        self.hold = 0;
        self.version += 1;
    }

    /// A new maze (the next number of the seed, or another size).
    pub fn new_maze(&mut self, cells: usize) {
        self.cells = cells.clamp(2, self.model.config().max_cells());
        self.index += 1;
        self.maze = Maze::generate(self.cells, self.seed, self.index);
        self.think();
    }

    /// Moves the start (`goal` false) or the goal to an open pixel; refused elsewhere.
    pub fn move_endpoint(&mut self, at: Pixel, goal: bool) -> bool {
        if !self.maze.is_open(at.0 as i64, at.1 as i64) || at == self.maze.start || at == self.maze.goal {
            return false;
        }
        if goal {
            self.maze.goal = at;
        } else {
            self.maze.start = at;
        }
        self.think();
        true
    }

    /// Continues along a long route: the start moves to where the answer's walk ended.
    pub fn teleport(&mut self) -> bool {
        let end = walk(&self.maze, self.maze.start, &self.run.answer(), 2).end;
        if end == self.maze.start || end == self.maze.goal {
            return false;
        }
        self.maze.start = end;
        self.think();
        true
    }

    /// The route predicted at the shown tick, as the pixels it visits from the start (walls are
    /// bumped into and skipped, like the evaluation's walker).
    pub fn route_pixels(&self, tick: usize) -> Vec<Pixel> {
        let mut at = self.maze.start;
        let mut out = Vec::new();
        for c in self.run.route_at(tick) {
            let w = walk(&self.maze, at, &[c], 0);
            if w.moved == 1 {
                at = w.end;
                out.push(at);
            }
            if at == self.maze.goal || c as usize >= crate::ctm::maze::MOVES.len() {
                break;
            }
        }
        out
    }

    /// Whether the answer, re-applied from where each walk stops, reaches the goal.
    pub fn reaches_goal(&self) -> (bool, usize) {
        let model = self.model.clone();
        let r = reapply(&self.maze, 20, 2, |m| model.run_maze(m).answer());
        (r.reached, r.applications)
    }
}

/// The CTM scene's drawing and playback (no panel: recordings use it as is).
pub struct CtmViewPlugin;

impl Plugin for CtmViewPlugin {
    fn build(&self, app: &mut App) {
        app.add_plugins((maze::MazeViewPlugin, neurons::CtmNeuronsPlugin))
            .add_systems(Startup, spawn_camera)
            .add_systems(Update, advance_tick);
    }
}

/// The CTM scene's panel and keys (in the app).
pub use panel::CtmPanelPlugin;

fn spawn_camera(mut commands: Commands) {
    commands.spawn((
        Camera3d::default(),
        Msaa::Off,
        bevy::core_pipeline::tonemapping::Tonemapping::TonyMcMapface,
        Transform::from_xyz(0.55, -0.15, 7.2).looking_at(Vec3::new(0.55, -0.15, 0.0), Vec3::Y),
        CtmCamera,
    ));
}

/// The CTM scene's 3D camera.
#[derive(Component)]
pub struct CtmCamera;

/// One tick per frame while playing; the last tick is held for a moment, then the run replays.
fn advance_tick(mut state: ResMut<CtmState>) {
    if !state.playing || state.run.ticks == 0 {
        return;
    }
    if state.tick + 1 < state.run.ticks {
        state.tick += 1;
        state.version += 1;
    } else if state.hold < 45 {
        state.hold += 1;
    } else if state.tour {
        let cells = state.cells;
        state.new_maze(cells);
    } else {
        state.hold = 0;
        state.tick = 0;
        state.version += 1;
    }
}
