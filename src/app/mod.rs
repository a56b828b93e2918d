//! The Bevy app: a live 3D view of a running network, with transport, sliders, plots and an
//! inspector. The simulation lives in the [`bridge::Sim`] resource; the UI only writes
//! [`bridge::SimRequest`] messages, which `SimSystems::ApplyControls` validates and applies.
//! docs/ARCHITECTURE.md maps the plugins and the path of a spike to the screen.

pub mod bench;
pub mod bridge;
pub mod camera;
pub mod capture;
pub mod ctm_view;
pub mod graph;
pub mod history;
pub mod layout;
pub mod options;
pub mod palette;
pub mod path;
pub mod picking;
pub mod record;
pub mod recorder;
pub mod ui;
pub mod view;

use std::path::{Path, PathBuf};

use bevy::app::PluginGroupBuilder;
use bevy::prelude::*;
use bevy::window::{PresentMode, WindowResolution};
use bevy::winit::{UpdateMode, WinitSettings};

pub use options::{AppOptions, DEFAULT_SCENE};

/// Every plugin of the network app, in dependency order:
///
/// | plugin | adds |
/// |---|---|
/// | [`bridge::SimPlugin`] | the simulation resource, entities, requests, stepping, growth, mirror, file tasks |
/// | [`graph::GraphPlugin`] | the graph's measures, computed off the frame, and their history |
/// | [`layout::LayoutPlugin`] | where neurons are drawn: spatial, force-directed, circular, layers; animated |
/// | [`view::NetworkViewPlugin`] | the instanced neuron, synapse and attention-edge draws |
/// | [`path::PathPlugin`] | the shortest path between the picked neuron and a Ctrl+clicked one, drawn bright |
/// | [`camera::CameraPlugin`] | the orbit camera and the scene's camera path |
/// | [`picking::PickingPlugin`] | click to pick, Shift+click to stimulate, hover |
/// | [`ui::UiPlugin`] | panels, sliders, plots, inspector, toasts, loading progress |
/// | [`capture::CapturePlugin`] | F12 and scripted screenshots |
/// | [`recorder::RecorderPlugin`] | F9 recording of the window |
pub struct NeuroplastPlugins;

impl PluginGroup for NeuroplastPlugins {
    fn build(self) -> PluginGroupBuilder {
        PluginGroupBuilder::start::<Self>()
            .add(bridge::SimPlugin::default())
            .add(graph::GraphPlugin)
            .add(layout::LayoutPlugin)
            .add(view::NetworkViewPlugin)
            .add(path::PathPlugin)
            .add(camera::CameraPlugin)
            .add(picking::PickingPlugin)
            .add(ui::UiPlugin)
            .add(capture::CapturePlugin)
            .add(recorder::RecorderPlugin)
    }
}

/// A scene file opened and parsed: a network scene (to build) or a CTM maze scene (loaded).
pub enum OpenedScene {
    /// A network scene, parsed, not yet built.
    Network(Box<crate::scene::Scene>),
    /// A CTM scene with its model loaded and its first maze thought through.
    Ctm(Box<ctm_view::CtmState>),
}

/// Reads and parses a scene file of either kind; errors name the file.
pub fn open_scene_file(path: &Path) -> anyhow::Result<OpenedScene> {
    // NeuroML2 networks and edge lists are imported as scenes.
    let kind = path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase);
    if kind.is_some_and(|e| e != "ron" && crate::io::OPENABLE.contains(&e.as_str())) {
        return Ok(OpenedScene::Network(Box::new(crate::io::open(path).map_err(anyhow::Error::msg)?)));
    }
    let text =
        std::fs::read_to_string(path).map_err(|e| anyhow::anyhow!("{}: cannot read the scene: {e}", path.display()))?;
    let origin = path.display().to_string();
    if ctm_view::is_ctm_scene(&text) {
        let scene = ctm_view::CtmScene::parse(&text, &origin)?;
        return Ok(OpenedScene::Ctm(Box::new(ctm_view::CtmState::new(&scene, path)?)));
    }
    Ok(OpenedScene::Network(Box::new(
        crate::scene::Scene::parse_file(&text, path).map_err(|e| anyhow::anyhow!("{e}"))?,
    )))
}

/// Opens the app window and runs until it is closed. A network scene is built in the background
/// while the window shows its progress; a file that cannot be parsed is an error before any window
/// opens, one that cannot be built ends the app with the error on the terminal.
pub fn run(options: AppOptions) -> anyhow::Result<()> {
    let scene_path = options.scene.clone().unwrap_or_else(|| PathBuf::from(DEFAULT_SCENE));
    let mut opened = open_scene_file(&scene_path)?;
    if let OpenedScene::Network(scene) = &mut opened {
        if options.scale != 1.0 {
            scene.scale(options.scale).map_err(anyhow::Error::msg)?;
        }
        if let Some(bytes) = options.max_memory {
            scene.set_memory_limit(bytes);
        }
        // Before the window opens, so a scene too big for the machine is a clear error.
        scene.check_memory()?;
    }
    check_display()?;
    let mut app = window_app(&options, &scene_path);
    app.insert_resource(bevy_egui::EguiGlobalSettings { auto_create_primary_context: false, ..default() })
        .add_plugins(bevy_egui::EguiPlugin::default());
    match opened {
        OpenedScene::Ctm(state) => {
            app.insert_resource(*state)
                .add_plugins((ctm_view::CtmViewPlugin, ctm_view::CtmPanelPlugin))
                .add_systems(Startup, ui::spawn_ui_camera)
                .add_systems(Update, capture::ctm_capture);
        }
        OpenedScene::Network(scene) => {
            let replay = options.replay.clone();
            app.insert_resource(bridge::scene_io::loading(*scene, scene_path, options.seed, true, replay));
            if options.screenshot.is_some() {
                app.insert_resource(capture::ExitAfterCapture);
            }
            app.add_plugins(NeuroplastPlugins);
            set_drawing_budget(&mut app, options.max_synapses);
        }
    }
    match app.run() {
        AppExit::Success => Ok(()),
        AppExit::Error(_) => anyhow::bail!("the app stopped on an error (see above)"),
    }
}

/// On Linux a window needs an X or Wayland display; without one (as over SSH) the app says so and
/// names the commands that need none, instead of failing inside the windowing library.
fn check_display() -> anyhow::Result<()> {
    let has = |var| std::env::var_os(var).is_some_and(|v| !v.is_empty());
    if cfg!(target_os = "linux") && !has("DISPLAY") && !has("WAYLAND_DISPLAY") {
        anyhow::bail!(
            "no display to open a window on (DISPLAY and WAYLAND_DISPLAY are unset, as over SSH). \
             Without one: `neuroplast run SCENE` simulates and prints statistics, \
             `neuroplast record SCENE --out video.mp4` renders a video offscreen; \
             or start a virtual display (`Xvfb :99 &` then `DISPLAY=:99 neuroplast SCENE`)"
        );
    }
    Ok(())
}

/// `--max-synapses`: the most synapses drawn (and given entities) from the start.
fn set_drawing_budget(app: &mut App, max_synapses: Option<usize>) {
    if let Some(budget) = max_synapses {
        app.insert_resource(bridge::OnScreen { budget: budget.max(1), ..default() });
    }
}

/// A windowed app with our defaults (size, no vsync, continuous updates, quiet logs, dark clear).
fn window_app(options: &AppOptions, scene_path: &Path) -> App {
    let (w, h) = options.size.unwrap_or((1600, 900));
    let mut app = App::new();
    app.add_plugins(
        DefaultPlugins
            .set(WindowPlugin {
                primary_window: Some(Window {
                    title: format!("Neuroplast — {}", scene_path.display()),
                    resolution: WindowResolution::new(w, h).with_scale_factor_override(1.0),
                    present_mode: PresentMode::AutoNoVsync,
                    ..default()
                }),
                ..default()
            })
            .set(bevy::log::LogPlugin { filter: "warn,wgpu=error,naga=error".into(), ..default() }),
    )
    .insert_resource(WinitSettings { focused_mode: UpdateMode::Continuous, unfocused_mode: UpdateMode::Continuous })
    .insert_resource(ClearColor(Color::srgb(0.02, 0.02, 0.035)))
    .insert_resource(options.clone());
    app
}
