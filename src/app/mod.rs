//! The Bevy app: a live 3D view of a running network, with transport, sliders, plots and an
//! inspector. The network lives in the [`sim::Sim`] resource; the UI only writes
//! [`sim::SimRequest`] messages, which `SimSystems::ApplyControls` validates and applies.

pub mod bench;
pub mod camera;
pub mod capture;
pub mod ctm_view;
pub mod history;
pub mod palette;
pub mod picking;
pub mod record;
pub mod recorder;
pub mod sim;
pub mod ui;
pub mod view;

use std::path::PathBuf;

use bevy::app::PluginGroupBuilder;
use bevy::prelude::*;
use bevy::window::{PresentMode, WindowResolution};
use bevy::winit::{UpdateMode, WinitSettings};

/// How the app is started: which scene, and (for tests and documentation) whether to take a
/// screenshot and exit after a number of frames.
#[derive(Resource, Clone, Debug)]
pub struct AppOptions {
    /// Scene file to open (`scenes/default.ron` when `None`).
    pub scene: Option<PathBuf>,
    /// Seed override for the scene.
    pub seed: Option<u64>,
    /// Window size in physical pixels.
    pub size: Option<(u32, u32)>,
    /// Take a screenshot to this path, then exit.
    pub screenshot: Option<PathBuf>,
    /// Frames to render before the screenshot (default 30).
    pub frames: Option<u32>,
    /// Biological time (ms) to simulate before the screenshot instead of real-time pacing.
    pub warmup_ms: Option<f64>,
    /// Hide the egui panels (for clean renders).
    pub hide_ui: bool,
    /// Start paused.
    pub paused: bool,
    /// Select this neuron at start.
    pub select: Option<u32>,
    /// Most synapses drawn (the rest are sampled out).
    pub max_synapses: Option<usize>,
    /// Record the window from the first frame until the app exits (mp4, webm, gif or a folder).
    pub record: Option<PathBuf>,
    /// When the process started handling the command (for the time-to-first-frame figure).
    pub launched: std::time::Instant,
}

/// Every plugin of the app, in dependency order.
pub struct NeuroplastPlugins;

impl PluginGroup for NeuroplastPlugins {
    fn build(self) -> PluginGroupBuilder {
        PluginGroupBuilder::start::<Self>()
            .add(sim::SimPlugin)
            .add(view::NetworkViewPlugin)
            .add(camera::CameraPlugin)
            .add(picking::PickingPlugin)
            .add(ui::UiPlugin)
            .add(capture::CapturePlugin)
            .add(recorder::RecorderPlugin)
    }
}

/// The default scene, opened when no scene is named.
pub const DEFAULT_SCENE: &str = "scenes/default.ron";

/// Opens the app window and runs until it is closed.
pub fn run(options: AppOptions) -> anyhow::Result<()> {
    let scene_path = options.scene.clone().unwrap_or_else(|| PathBuf::from(DEFAULT_SCENE));
    let text = std::fs::read_to_string(&scene_path)
        .map_err(|e| anyhow::anyhow!("{}: cannot read the scene: {e}", scene_path.display()))?;
    if ctm_view::is_ctm_scene(&text) {
        return run_ctm(options, &scene_path, &text);
    }
    // Load before opening a window so a bad file is a clear error on the terminal.
    let start = sim::Sim::parse(&text, &scene_path, options.seed).map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut app = window_app(&options, &scene_path);
    app.insert_resource(start);
    if options.screenshot.is_some() {
        app.insert_resource(capture::ExitAfterCapture);
    }
    // egui draws with its own camera (spawned by the UI plugin), not the 3D one.
    app.insert_resource(bevy_egui::EguiGlobalSettings { auto_create_primary_context: false, ..default() })
        .add_plugins(bevy_egui::EguiPlugin::default())
        .add_plugins(NeuroplastPlugins);
    app.run();
    Ok(())
}

/// Opens the CTM scene: a maze solved tick by tick.
fn run_ctm(options: AppOptions, scene_path: &std::path::Path, text: &str) -> anyhow::Result<()> {
    let scene = ctm_view::CtmScene::parse(text, &scene_path.display().to_string())?;
    let state = ctm_view::CtmState::new(&scene, scene_path)?;
    let mut app = window_app(&options, scene_path);
    app.insert_resource(state)
        .insert_resource(bevy_egui::EguiGlobalSettings { auto_create_primary_context: false, ..default() })
        .add_plugins(bevy_egui::EguiPlugin::default())
        .add_plugins((ctm_view::CtmViewPlugin, ctm_view::CtmPanelPlugin))
        .add_systems(Startup, ui::spawn_ui_camera)
        .add_systems(Update, capture::ctm_capture);
    app.run();
    Ok(())
}

/// A windowed app with our defaults (size, no vsync, continuous updates, quiet logs, dark clear).
fn window_app(options: &AppOptions, scene_path: &std::path::Path) -> App {
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
