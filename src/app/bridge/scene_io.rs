//! Scene and snapshot files, read, built and written in the background: the window stays
//! responsive while a large scene loads (the [`Loading`] resource carries its progress for the UI)
//! and the running simulation goes on until the new one is ready. A finished load installs the new
//! simulation and its entities at once. Loads run on a thread of their own, not on bevy's async
//! compute pool: a multi-second build there held up the renderer's pipeline compilation and froze
//! the window until it ended.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use bevy::prelude::*;
use bevy::tasks::{IoTaskPool, Task, block_on};

use super::components::{OnScreen, SimulationInstalled, Toast};
use super::replay::{Replay, ReplayRequest, paired_scene, requested_by};
use super::{Selection, Sim, SpikedSinceDrawn, mirror};
use crate::scene::build::BuildProgress;
use crate::scene::{Scene, snapshot};

/// A simulation being loaded in the background.
#[derive(Resource)]
pub struct Loading {
    /// What is loading, for the progress line ("scenes/cuba.ron").
    pub what: String,
    /// When it started.
    pub started: Instant,
    /// The build's progress (`None` for a snapshot, read in one go).
    pub progress: Option<Arc<BuildProgress>>,
    /// Whether a failure ends the app (the scene it was started with) rather than showing a toast.
    pub fatal: bool,
    task: Option<std::thread::JoinHandle<Result<Sim, String>>>,
}

/// Runs `load` on a thread of its own (`None` when the system refuses a thread).
fn spawn_loader(
    load: impl FnOnce() -> Result<Sim, String> + Send + 'static,
) -> Option<std::thread::JoinHandle<Result<Sim, String>>> {
    std::thread::Builder::new().name("scene loader".into()).spawn(load).ok()
}

impl Loading {
    /// Builds `scene` (from `path`) in the background with seed `seed`, then reads the recording
    /// to replay into it, if any.
    fn build(
        what: String,
        scene: Scene,
        path: PathBuf,
        seed: Option<u64>,
        fatal: bool,
        replay: Option<(ReplayRequest, f64)>,
    ) -> Self {
        let progress = Arc::new(BuildProgress::default());
        let counter = progress.clone();
        let task = spawn_loader(move || {
            let engine = scene.build_with_progress(seed, &counter).map_err(|e| e.to_string())?;
            let sim = Sim::with_simulation(engine, scene, path);
            with_replay(sim, replay)
        });
        Self { what, started: Instant::now(), progress: Some(progress), fatal, task }
    }
}

/// Starts `replay` (and the time it opens at) in `sim`, if any: following starts at the newest time.
fn with_replay(mut sim: Sim, replay: Option<(ReplayRequest, f64)>) -> Result<Sim, String> {
    let Some((request, at)) = replay else { return Ok(sim) };
    let replay = Replay::read(&request, sim.network())?;
    sim.start_replay(replay);
    let end = sim.replay.as_ref().map_or(0.0, |r| r.feed.end_ms());
    if request.follow {
        sim.seek(end);
    } else if at > 0.0 {
        sim.seek(at);
    }
    Ok(sim)
}

/// Builds a parsed scene read from `path` in the background; when `fatal` (the scene the app
/// starts with), a failure ends the app with the error on the terminal. A replay asked for (or,
/// without one, the scene's own `recording`) is started in it.
pub fn loading(scene: Scene, path: PathBuf, seed: Option<u64>, fatal: bool, replay: Option<ReplayRequest>) -> Loading {
    let replay = replay.map(|r| (r, 0.0)).or_else(|| requested_by(&scene));
    let what = match &replay {
        Some((r, _)) => format!("{} replaying {}", path.display(), files_named(&r.files)),
        None => path.display().to_string(),
    };
    Loading::build(what, scene, path, seed, fatal, replay)
}

/// Replays a recording into the running scene, rebuilt in the background with its seed.
pub fn open_recording(sim: &Sim, request: ReplayRequest) -> Loading {
    let what = format!("{} replaying {}", sim.scene_path.display(), files_named(&request.files));
    let seed = Some(sim.engine.network.seed());
    Loading::build(what, sim.scene.clone(), sim.scene_path.clone(), seed, false, Some((request, 0.0)))
}

/// "a.dat" or "a.dat and 3 more".
fn files_named(files: &[PathBuf]) -> String {
    let first = files.first().map(|f| f.display().to_string()).unwrap_or_default();
    match files.len() {
        0 | 1 => first,
        n => format!("{first} and {} more", n - 1),
    }
}

/// Opens a scene file: read, parsed and built in the background.
pub fn open_scene(path: PathBuf) -> Loading {
    let progress = Arc::new(BuildProgress::default());
    let counter = progress.clone();
    let file = path.clone();
    let task = spawn_loader(move || {
        let scene = crate::io::open(&file)?;
        let replay = requested_by(&scene);
        let engine = scene.build_with_progress(None, &counter).map_err(|e| e.to_string())?;
        with_replay(Sim::with_simulation(engine, scene, file), replay)
    });
    Loading { what: path.display().to_string(), started: Instant::now(), progress: Some(progress), fatal: false, task }
}

/// Rebuilds the running scene (reset) with seed `seed`.
pub fn rebuild(sim: &Sim, seed: Option<u64>) -> Loading {
    let what = format!("{} (reset)", sim.scene_path.display());
    Loading::build(what, sim.scene.clone(), sim.scene_path.clone(), seed, false, None)
}

/// Replaces the simulation with a snapshot file, read in the background; the scene stays (for
/// reset and save).
pub fn open_snapshot(sim: &Sim, path: PathBuf) -> Loading {
    let (scene, scene_path, file) = (sim.scene.clone(), sim.scene_path.clone(), path.clone());
    let task = spawn_loader(move || {
        let engine = snapshot::load(&file).map_err(|e| e.to_string())?;
        Ok(Sim::with_simulation(engine, scene, scene_path))
    });
    Loading { what: path.display().to_string(), started: Instant::now(), progress: None, fatal: false, task }
}

/// Installs a finished load, or reports its failure.
pub fn finish_loading(
    mut commands: Commands,
    loading: Option<ResMut<Loading>>,
    mut toasts: MessageWriter<Toast>,
    mut exit: MessageWriter<AppExit>,
) {
    let Some(mut loading) = loading else { return };
    if loading.task.as_ref().is_some_and(|t| !t.is_finished()) {
        return;
    }
    let result = match loading.task.take().map(std::thread::JoinHandle::join) {
        Some(Ok(result)) => result,
        Some(Err(_)) => Err(format!("{}: the loading thread panicked", loading.what)),
        None => Err(format!("{}: the loading thread could not be started", loading.what)),
    };
    commands.remove_resource::<Loading>();
    let secs = loading.started.elapsed().as_secs_f64();
    match result {
        Ok(sim) => {
            let (n, s) = (sim.network().num_neurons(), sim.network().num_synapses());
            toasts.write(Toast::info(format!("opened {} ({n} neurons, {s} synapses) in {secs:.1} s", loading.what)));
            for note in sim.replay.iter().flat_map(|r| r.feed.notes()) {
                toasts.write(Toast::info(note));
            }
            commands.queue(move |world: &mut World| install(world, sim));
        }
        Err(e) if loading.fatal => {
            eprintln!("error: {e}");
            exit.write(AppExit::error());
        }
        Err(e) => {
            toasts.write(Toast::error(e));
        }
    }
}

/// Puts `sim` in place of the running simulation: its entities replace the old ones, the drawing
/// budget's sample is chosen for its size, the selection is cleared.
pub fn install(world: &mut World, sim: Sim) {
    let total = sim.network().num_synapses();
    let mut screen = world.resource_mut::<OnScreen>();
    screen.stride = OnScreen::stride_for(screen.budget, total);
    mirror::respawn_entities(world, &sim.engine);
    world.resource_mut::<Selection>().0 = None;
    if let Some(mut t) = world.get_resource_mut::<super::Transport>() {
        t.reset_pace();
    }
    *world.resource_mut::<SpikedSinceDrawn>() = SpikedSinceDrawn { ids: Vec::new(), all: true };
    world.insert_resource(sim);
    world.write_message(SimulationInstalled);
}

/// Files being written in the background, each reporting how it went.
#[derive(Resource, Default)]
pub struct FileTasks(Vec<Task<Toast>>);

impl FileTasks {
    /// Saves the running scene as RON text (the text is made now, the file written in the
    /// background, atomically).
    pub fn save_scene(&mut self, sim: &Sim, path: PathBuf) {
        self.write_scene(&sim.scene.file, path, "");
    }

    /// Writes `file` as RON text to `path` (made now, written in the background, atomically); the
    /// toast says `saved PATH` and `what`.
    fn write_scene(&mut self, file: &crate::scene::format::SceneFile, path: PathBuf, what: &'static str) {
        let text = Scene::to_ron(file);
        self.0.push(IoTaskPool::get().spawn(async move {
            match crate::files::AtomicFile::save(&path, text.as_bytes()) {
                Ok(()) => Toast::info(format!("saved {}{what}", path.display())),
                Err(e) => Toast::error(e.to_string()),
            }
        }));
    }

    /// Saves the running scene with its populations' layouts replaced by `positions` (refused with
    /// a toast, writing nothing, when they do not fit the scene).
    pub fn save_scene_with_layout(
        &mut self,
        sim: &Sim,
        path: PathBuf,
        positions: &[[f32; 3]],
        toasts: &mut MessageWriter<Toast>,
    ) {
        match crate::scene::relayout::with_display_positions(&sim.scene.file, positions) {
            Ok(file) => self.write_scene(&file, path, " with the layout shown"),
            Err(e) => {
                toasts.write(Toast::error(format!("the layout was not saved: {e}")));
            }
        }
    }

    /// Saves the replay as a scene and recording pair: the scene with a `recording` naming the
    /// spike files, the loop and the time shown (refused with a toast when nothing is replayed).
    pub fn save_replay(&mut self, sim: &Sim, path: PathBuf, toasts: &mut MessageWriter<Toast>) {
        match paired_scene(sim, &path) {
            Ok(file) => self.write_scene(&file, path, " (the scene and its recording)"),
            Err(e) => {
                toasts.write(Toast::error(format!("the replay was not saved: {e}")));
            }
        }
    }

    /// Saves the simulation's state (encoded now, written in the background, atomically).
    pub fn save_snapshot(&mut self, sim: &Sim, path: PathBuf) {
        let bytes = snapshot::encode(&sim.engine);
        self.0.push(IoTaskPool::get().spawn(async move {
            match snapshot::write(&bytes, &path) {
                Ok(()) => Toast::info(format!("snapshot saved to {}", path.display())),
                Err(e) => Toast::error(e.to_string()),
            }
        }));
    }
}

/// Reports the files that finished writing.
pub fn finish_file_tasks(mut files: ResMut<FileTasks>, mut toasts: MessageWriter<Toast>) {
    let mut k = 0;
    while k < files.0.len() {
        if files.0[k].is_finished() {
            let task = files.0.swap_remove(k);
            toasts.write(block_on(task));
        } else {
            k += 1;
        }
    }
}
