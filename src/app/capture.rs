//! Screenshots: F12 saves a PNG named with the scene and the biological time; `--screenshot`
//! renders a given number of frames, saves one, writes where each neuron landed on screen (for
//! pixel tests) and exits.

use std::path::{Path, PathBuf};

use bevy::prelude::*;
use bevy::render::view::screenshot::{Screenshot, ScreenshotCaptured, save_to_disk};
use bevy::window::PrimaryWindow;
use bevy_egui::input::EguiWantsInput;

use super::AppOptions;
use super::bridge::{FadeIn, FadeOut, Loading, Selection, Sim, SimulationInstalled, Toast, Transport};
use super::camera::OrbitCamera;

/// Present when the app should exit once its `--screenshot` is written.
#[derive(Resource, Clone, Copy, Debug)]
pub struct ExitAfterCapture;

/// Frames rendered so far, and whether the scripted screenshot was requested.
#[derive(Resource, Default, Debug)]
pub struct CaptureState {
    /// Frames seen.
    pub frames: u32,
    /// Whether the scripted screenshot has been requested.
    pub requested: bool,
    /// When the first frame ran, and how long after the process started.
    pub first_frame: Option<std::time::Instant>,
    /// Whether the first simulation is installed and warmed up (frames count from then on).
    pub ready: bool,
    /// Frames drawn while a scene was loading in the background, and the longest of them.
    pub while_loading: (u32, std::time::Duration),
}

/// F12 screenshots and the scripted capture.
pub struct CapturePlugin;

impl Plugin for CapturePlugin {
    fn build(&self, app: &mut App) {
        app.init_resource::<CaptureState>()
            .add_systems(Startup, start_paused)
            .add_systems(Update, count_loading_frames)
            .add_systems(Update, (warm_up, (screenshot_key, scripted_capture).run_if(resource_exists::<Sim>)).chain());
    }
}

/// Counts the frames drawn while a scene loads, and keeps the longest (the window stays live).
fn count_loading_frames(loading: Option<Res<Loading>>, time: Res<Time<Real>>, mut state: ResMut<CaptureState>) {
    if loading.is_some() {
        let (frames, longest) = &mut state.while_loading;
        *frames += 1;
        *longest = (*longest).max(time.delta());
    }
}

/// `--paused` and `--screenshot` pause before the first simulation arrives, so it takes no step
/// before its warm-up.
fn start_paused(options: Res<AppOptions>, mut transport: ResMut<Transport>) {
    if options.paused || options.screenshot.is_some() {
        transport.paused = true;
    }
}

/// When the first simulation is installed: selects `--select`, simulates `--warmup-ms` of
/// biological time (its structural changes mirrored like any others), then pauses if asked, so a
/// scripted screenshot shows a reproducible state.
fn warm_up(
    mut commands: Commands,
    options: Res<AppOptions>,
    mut installed: MessageReader<SimulationInstalled>,
    mut state: ResMut<CaptureState>,
) {
    if state.ready || installed.read().count() == 0 {
        return;
    }
    state.ready = true;
    let (select, warmup) = (options.select.map(crate::sim::NeuronId), options.warmup_ms);
    commands.queue(move |world: &mut World| {
        if let Some(n) = select.filter(|n| world.resource::<Sim>().network().num_neurons() > n.index()) {
            world.resource_mut::<Selection>().0 = Some(n);
            world.resource_mut::<Sim>().history.select(Some(n));
        }
        if let Some(ms) = warmup {
            super::bridge::advance_ms(world, ms);
        }
    });
}

/// A file name for an F12 screenshot: scene, biological time, wall-clock seconds.
pub fn screenshot_name(scene: &str, time_ms: f64) -> PathBuf {
    let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    let clean: String = scene.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }).collect();
    PathBuf::from(format!("neuroplast-{clean}-t{:.0}ms-{secs}.png", time_ms))
}

fn screenshot_key(
    mut commands: Commands,
    keys: Res<ButtonInput<KeyCode>>,
    egui: Option<Res<EguiWantsInput>>,
    sim: Res<Sim>,
    mut toasts: MessageWriter<Toast>,
) {
    if egui.is_some_and(|e| e.wants_any_keyboard_input()) || !keys.just_pressed(KeyCode::F12) {
        return;
    }
    let path = screenshot_name(&sim.name(), sim.engine.network.time_ms());
    commands.spawn(Screenshot::primary_window()).observe(save_to_disk(path.clone()));
    toasts.write(Toast::info(format!("screenshot saved to {}", path.display())));
}

/// Entities in the middle of a structural fade.
type Fading = Or<(With<FadeIn>, With<FadeOut>)>;

fn scripted_capture(
    mut commands: Commands,
    options: Res<AppOptions>,
    mut state: ResMut<CaptureState>,
    sim: Res<Sim>,
    selection: Res<Selection>,
    cameras: Query<(&Camera, &GlobalTransform), With<OrbitCamera>>,
    window: Query<&Window, With<PrimaryWindow>>,
    exit: Option<Res<ExitAfterCapture>>,
    fading: Query<(), Fading>,
    graph: Option<Res<crate::app::graph::GraphState>>,
    layout: Option<Res<crate::app::layout::ShownLayout>>,
    ui: Option<Res<crate::app::ui::UiState>>,
    lod: Option<Res<crate::app::view::lod::Lod>>,
) {
    let Some(path) = options.screenshot.clone() else { return };
    if !state.ready {
        return;
    }
    state.frames += 1;
    let now = std::time::Instant::now();
    let first = *state.first_frame.get_or_insert(now);
    // After the requested frames, and once structural fades have settled (at most 5 s more), so
    // the picture shows a reproducible state.
    // A colouring by a graph measure waits for its first computation.
    let measuring = (options.color_by != crate::app::graph::GraphColor::Population || options.size_by_degree)
        && graph.is_some_and(|g| g.latest.is_none());
    // A layout moving into place waits until it is there (a force layout: its last iteration).
    let moving = layout.as_ref().is_some_and(|l| l.moving()) && now.duration_since(first).as_secs_f64() < 60.0;
    let settling = ((!fading.is_empty() || measuring) && now.duration_since(first).as_secs_f64() < 5.0) || moving;
    if state.requested || state.frames < options.frames.unwrap_or(60) || settling {
        return;
    }
    state.requested = true;
    let per_frame = now.duration_since(first).as_secs_f64() / (state.frames - 1).max(1) as f64;
    eprintln!("rendered {} frames, {:.1} ms per frame", state.frames, per_frame * 1000.0);
    let (loading_frames, longest) = state.while_loading;
    eprintln!("while the scene loaded: {loading_frames} frames, the longest {:.0} ms", longest.as_secs_f64() * 1000.0);
    if let (Ok((camera, tf)), Ok(window)) = (cameras.single(), window.single()) {
        let positions: Vec<Option<Vec2>> = crate::app::layout::shown_positions(layout.as_deref(), sim.network())
            .iter()
            .take(20_000)
            .map(|p| camera.world_to_viewport(tf, Vec3::from_array(*p)).ok())
            .collect();
        let sliders = ui.as_ref().map_or(&[][..], |u| u.sliders_drawn.as_slice());
        let size = (window.physical_width(), window.physical_height());
        let drawn = if lod.is_some_and(|l| l.aggregated) { "bins" } else { "neurons" };
        write_layout(&path, size, &positions, selection.0.map(|n| n.0), sliders, drawn);
    } else {
        warn!("no single 3D camera and window: the screenshot's neuron layout is not written");
    }
    let exit_after = exit.is_some();
    let (frames, launched) = (state.frames, options.launched);
    commands.spawn(Screenshot::primary_window()).observe(save_to_disk(path)).observe(
        move |_: On<ScreenshotCaptured>, mut exit: MessageWriter<AppExit>| {
            eprintln!("frame {frames} captured {:.0} ms after launch", launched.elapsed().as_secs_f64() * 1000.0);
            if exit_after {
                exit.write(AppExit::Success);
            }
        },
    );
}

/// Writes `<png>.json`: the window size, each neuron's pixel position (null when off screen), the
/// picked neuron, the parameter sliders the frame drew and whether it drew neurons or bins of them.
fn write_layout(
    png: &Path,
    (width, height): (u32, u32),
    positions: &[Option<Vec2>],
    selected: Option<u32>,
    sliders: &[String],
    drawn: &str,
) {
    let mut s = format!("{{\"width\":{width},\"height\":{height},\"drawn\":\"{drawn}\",\"selected\":");
    s += &selected.map_or("null".to_string(), |n| n.to_string());
    s += ",\"neurons\":[";
    for (i, p) in positions.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        match p {
            Some(p) => s += &format!("[{:.1},{:.1}]", p.x, p.y),
            None => s += "null",
        }
    }
    s += "],\"sliders\":[";
    for (i, name) in sliders.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        s += &serde_json::to_string(name).unwrap_or_else(|_| "\"\"".into());
    }
    s += "]}\n";
    let mut json = png.as_os_str().to_owned();
    json.push(".json");
    if let Err(e) = crate::files::AtomicFile::save(&PathBuf::from(json), s.as_bytes()) {
        warn!("could not write the screenshot layout: {e}");
    }
}

/// Screenshots in the CTM scene: F12, and `--screenshot` after `--frames` frames (playback paused
/// on the most certain tick so the picture shows the answer), then exit.
pub fn ctm_capture(
    mut commands: Commands,
    options: Res<AppOptions>,
    keys: Res<ButtonInput<KeyCode>>,
    mut state: ResMut<super::ctm_view::CtmState>,
    mut frames: Local<u32>,
) {
    if keys.just_pressed(KeyCode::F12) {
        let path = screenshot_name(&state.name, (state.tick + 1) as f64);
        eprintln!("screenshot saved to {}", path.display());
        commands.spawn(Screenshot::primary_window()).observe(save_to_disk(path));
    }
    let Some(path) = options.screenshot.clone() else { return };
    *frames += 1;
    if *frames == 1 {
        state.playing = false;
        state.tick = state.run.most_certain_tick();
        state.version += 1;
    }
    if *frames != options.frames.unwrap_or(30) {
        return;
    }
    let launched = options.launched;
    commands.spawn(Screenshot::primary_window()).observe(save_to_disk(path)).observe(
        move |_: On<ScreenshotCaptured>, mut exit: MessageWriter<AppExit>| {
            eprintln!("frame captured {:.0} ms after launch", launched.elapsed().as_secs_f64() * 1000.0);
            exit.write(AppExit::Success);
        },
    );
}
