//! The egui interface: scene and transport on the left, rule sliders with their curves on the
//! right, plots at the bottom, an inspector for the picked neuron, toasts, help and keys. Every
//! action becomes a [`SimRequest`]; nothing here mutates the network.

mod graph_panel;
mod inspector;
mod lineage;
mod loading;
mod panels;
pub(crate) mod plots;
mod replay;
mod sliders;

use std::time::{Duration, Instant};

use bevy::camera::visibility::RenderLayers;
use bevy::camera::{CameraOutputMode, Viewport};
use bevy::prelude::*;
use bevy::render::render_resource::BlendState;
use bevy::window::PrimaryWindow;
use bevy_egui::input::EguiWantsInput;
use bevy_egui::{EguiContexts, EguiGlobalSettings, EguiPrimaryContextPass, PrimaryEguiContext, egui};

pub use sliders::{slider_range, to_slider_value};

use super::AppOptions;
use super::bridge::{SimRequest, SimulationInstalled, Toast};
use super::camera::OrbitCamera;

/// Height of the plot dock (logical pixels) in a window `window_height` tall: 250, less in small
/// windows so the 3D view keeps most of the height.
pub fn plots_height(window_height: f32) -> f32 {
    (window_height * 0.3).clamp(140.0, 250.0)
}

/// UI state that is not part of the simulation.
#[derive(Resource, Debug)]
pub struct UiState {
    /// Whether the panels are drawn.
    pub show_panels: bool,
    /// Whether the help window is open.
    pub show_help: bool,
    /// Seed typed in the transport panel.
    pub seed: u64,
    /// Amount of a reward pulse.
    pub reward: f64,
    /// Toasts on screen, with their expiry.
    pub toasts: Vec<(Toast, Instant)>,
    /// Scene files found for the gallery.
    pub gallery: Vec<std::path::PathBuf>,
    /// The picked neuron's incoming synapses, found once per pick and synapse table.
    pub incoming: inspector::Incoming,
    /// The parameter sliders the last frame drew, as `rule: parameter` (the screenshot's `.json`
    /// lists them).
    pub sliders_drawn: Vec<String>,
    /// The time typed in the replay's "Jump" field (ms).
    pub jump_ms: f64,
}

impl Default for UiState {
    fn default() -> Self {
        Self {
            show_panels: true,
            show_help: false,
            seed: 1,
            reward: 1.0,
            toasts: Vec::new(),
            gallery: Vec::new(),
            incoming: inspector::Incoming::default(),
            sliders_drawn: Vec::new(),
            jump_ms: 0.0,
        }
    }
}

/// The panels, the plots, the inspector, toasts and keyboard shortcuts.
pub struct UiPlugin;

impl Plugin for UiPlugin {
    fn build(&self, app: &mut App) {
        // egui gets its own camera so the 3D camera's viewport can shrink to the free area.
        if let Some(mut egui_settings) = app.world_mut().get_resource_mut::<EguiGlobalSettings>() {
            egui_settings.auto_create_primary_context = false;
        }
        app.init_resource::<UiState>()
            .add_systems(Startup, (init_ui_state, spawn_ui_camera))
            .add_systems(Update, (keyboard_shortcuts, collect_toasts, follow_new_simulation, follow_ego))
            .add_systems(
                EguiPrimaryContextPass,
                (draw_ui.run_if(resource_exists::<super::bridge::Sim>), loading::draw_loading).chain(),
            );
    }
}

fn init_ui_state(
    mut state: ResMut<UiState>,
    options: Res<AppOptions>,
    settings: Option<ResMut<super::view::ViewSettings>>,
) {
    state.show_panels = !options.hide_ui;
    if let Some(mut s) = settings {
        s.ego_only = options.only_picked;
    }
}

/// With "only the picked neuron's synapses" on, asks the bridge to draw the picked neuron's
/// synapses whenever the pick changes (and the sample again when it is turned off).
fn follow_ego(
    settings: Res<super::view::ViewSettings>,
    selection: Res<super::bridge::Selection>,
    screen: Res<super::bridge::OnScreen>,
    mut requests: MessageWriter<SimRequest>,
    mut asked: Local<Option<Option<crate::sim::NeuronId>>>,
) {
    let want = if settings.ego_only { selection.0 } else { None };
    // Asked once per change: the request is applied at the next fixed tick, not this frame.
    if screen.ego != want && *asked != Some(want) {
        requests.write(SimRequest::SetEgo(want));
        *asked = Some(want);
    } else if screen.ego == want {
        *asked = None;
    }
}

/// A new simulation's seed goes into the transport panel, and the gallery lists the scenes beside
/// its file.
fn follow_new_simulation(
    mut installed: MessageReader<SimulationInstalled>,
    sim: Option<Res<super::bridge::Sim>>,
    mut state: ResMut<UiState>,
) {
    if installed.read().count() > 0
        && let Some(sim) = sim
    {
        state.seed = sim.engine.network.seed();
        state.gallery = find_scenes(&sim.scene_path);
    }
}

/// The camera egui draws with: on top of the 3D view, over the whole window.
/// egui's own camera, drawn over the 3D view (so the 3D camera's viewport can shrink).
pub fn spawn_ui_camera(mut commands: Commands) {
    commands.spawn((
        PrimaryEguiContext,
        Camera2d,
        RenderLayers::none(),
        Camera {
            order: 1,
            output_mode: CameraOutputMode::Write {
                blend_state: Some(BlendState::ALPHA_BLENDING),
                clear_color: ClearColorConfig::None,
            },
            clear_color: ClearColorConfig::Custom(Color::NONE),
            ..default()
        },
    ));
}

/// Scene files beside the current one and in `scenes/`.
fn find_scenes(current: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut dirs = vec![std::path::PathBuf::from("scenes")];
    if let Some(parent) = current.parent() {
        dirs.push(parent.to_path_buf());
    }
    let mut found: Vec<std::path::PathBuf> = dirs
        .iter()
        .filter_map(|d| std::fs::read_dir(d).ok())
        .flatten()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "ron"))
        .collect();
    found.sort();
    found.dedup_by(|a, b| a.canonicalize().ok() == b.canonicalize().ok());
    found
}

/// Space play/pause, `.` step, R reset, `?`/F1 help, Tab panels (F focus and F12 screenshot
/// live in the camera and capture plugins).
fn keyboard_shortcuts(
    keys: Res<ButtonInput<KeyCode>>,
    egui: Option<Res<EguiWantsInput>>,
    mut state: ResMut<UiState>,
    mut requests: MessageWriter<SimRequest>,
) {
    if egui.is_some_and(|e| e.wants_any_keyboard_input()) {
        return;
    }
    if keys.just_pressed(KeyCode::Space) {
        requests.write(SimRequest::TogglePause);
    }
    if keys.just_pressed(KeyCode::Period) {
        requests.write(SimRequest::Step);
    }
    if keys.just_pressed(KeyCode::KeyR) {
        requests.write(SimRequest::Reset { seed: None });
    }
    let shift = keys.pressed(KeyCode::ShiftLeft) || keys.pressed(KeyCode::ShiftRight);
    if keys.just_pressed(KeyCode::F1) || (shift && keys.just_pressed(KeyCode::Slash)) {
        state.show_help = !state.show_help;
    }
    if keys.just_pressed(KeyCode::Tab) {
        state.show_panels = !state.show_panels;
    }
}

fn collect_toasts(mut toasts: MessageReader<Toast>, mut state: ResMut<UiState>) {
    for t in toasts.read() {
        let life = if t.error { 8 } else { 4 };
        state.toasts.push((t.clone(), Instant::now() + Duration::from_secs(life)));
    }
    let now = Instant::now();
    state.toasts.retain(|(_, until)| *until > now);
}

/// Read-only access to what the panels show.
#[derive(bevy::ecs::system::SystemParam)]
pub struct UiView<'w, 's> {
    /// The simulation (read only: the UI writes requests).
    pub sim: Res<'w, super::bridge::Sim>,
    /// Transport state.
    pub transport: Res<'w, super::bridge::Transport>,
    /// Picked neuron.
    pub selection: Res<'w, super::bridge::Selection>,
    /// Hovered neuron.
    pub hovered: Res<'w, super::picking::Hovered>,
    /// GPU-side arrays (for the sampled-synapse note).
    pub buffers: Res<'w, super::view::ViewBuffers>,
    /// Which synapses are drawn.
    pub on_screen: Res<'w, super::bridge::OnScreen>,
    /// Synapse entities on screen.
    pub ids: Res<'w, super::bridge::IdMap>,
    /// Neurons born while running.
    pub born: Query<'w, 's, &'static super::bridge::Born>,
    /// The same with their neuron ids, for the lineage tree.
    pub lineage: Query<'w, 's, (&'static super::bridge::Neuron, &'static super::bridge::Born)>,
    /// The shortest path shown (absent in apps built without it).
    pub path: Option<Res<'w, super::path::PathView>>,
    /// The graph's measures (absent in apps built without them).
    pub graph: Option<Res<'w, super::graph::GraphState>>,
}

/// Settings the panels edit directly (display, stimulus): view state, not the network.
#[derive(bevy::ecs::system::SystemParam)]
pub struct UiSettings<'w> {
    /// Display settings.
    pub view: ResMut<'w, super::view::ViewSettings>,
    /// Shift+click stimulus.
    pub stimulus: ResMut<'w, super::picking::StimulusSettings>,
    /// The F9 recording (whether it includes the panels).
    pub recording: ResMut<'w, super::recorder::LiveRecording>,
    /// UI state.
    pub state: ResMut<'w, UiState>,
    /// The layout neurons are drawn in (absent in apps built without it).
    pub layout: Option<ResMut<'w, super::layout::ShownLayout>>,
    /// The level of detail (absent in apps built without the view).
    pub lod: Option<ResMut<'w, super::view::lod::Lod>>,
}

fn draw_ui(
    mut contexts: EguiContexts,
    view: UiView,
    mut settings: UiSettings,
    mut requests: MessageWriter<SimRequest>,
    mut camera: Query<&mut Camera, With<OrbitCamera>>,
    window: Query<&Window, With<PrimaryWindow>>,
) -> Result {
    let ctx = contexts.ctx_mut()?;
    let mut out: Vec<SimRequest> = Vec::new();
    let mut margins = [0.0f32; 4]; // left, right, top, bottom (logical px)
    settings.state.sliders_drawn.clear();
    if settings.state.show_panels && !settings.recording.hides_panels() {
        let mut root = egui::Ui::new(
            ctx.clone(),
            "neuroplast_root".into(),
            egui::UiBuilder::new().layer_id(egui::LayerId::background()).max_rect(ctx.viewport_rect()),
        );
        let screen = ctx.viewport_rect();
        margins[0] = egui::Panel::left("scene_panel")
            .default_size((screen.width() * 0.2).clamp(170.0, 260.0))
            .resizable(true)
            .show(&mut root, |ui| {
                egui::ScrollArea::vertical().show(ui, |ui| panels::left_panel(ui, &view, &mut settings, &mut out));
            })
            .response
            .rect
            .width();
        margins[1] = egui::Panel::right("rules_panel")
            .default_size((screen.width() * 0.22).clamp(190.0, 320.0))
            .resizable(true)
            .show(&mut root, |ui| {
                egui::ScrollArea::vertical().show(ui, |ui| {
                    graph_panel::graph_section(ui, &view, &mut settings);
                    lineage::lineage_section(ui, &view, &mut out);
                    ui.separator();
                    panels::rules_panel(ui, &view, &mut settings, &mut out);
                });
            })
            .response
            .rect
            .width();
        // A fixed height: a panel sized by its plots would resize itself between egui passes.
        margins[3] = egui::Panel::bottom("plots_panel")
            .exact_size(plots_height(screen.height()))
            .resizable(false)
            .show(&mut root, |ui| plots::plots(ui, &view, plots_height(screen.height()), &mut out))
            .response
            .rect
            .height();
        inspector::inspector(ctx, &view, &mut settings.state.incoming, &mut out);
    }
    inspector::hover_tooltip(ctx, &view);
    draw_toasts(ctx, &settings.state);
    if settings.state.show_help {
        egui::Window::new("Help").collapsible(false).show(ctx, help);
    }
    for r in out {
        requests.write(r);
    }
    // Keep the 3D view in the free area between the panels.
    if let (Ok(mut cam), Ok(window)) = (camera.single_mut(), window.single()) {
        let scale = window.scale_factor();
        let (w, h) = (window.physical_width(), window.physical_height());
        let left = (margins[0] * scale) as u32;
        let right = (margins[1] * scale) as u32;
        let top = (margins[2] * scale) as u32;
        let bottom = (margins[3] * scale) as u32;
        let viewport = (left + right + 16 < w && top + bottom + 16 < h).then(|| Viewport {
            physical_position: UVec2::new(left, top),
            physical_size: UVec2::new(w - left - right, h - top - bottom),
            ..default()
        });
        let same = match (&cam.viewport, &viewport) {
            (Some(a), Some(b)) => a.physical_position == b.physical_position && a.physical_size == b.physical_size,
            (None, None) => true,
            _ => false,
        };
        if !same {
            cam.viewport = viewport;
        }
    }
    Ok(())
}

fn draw_toasts(ctx: &egui::Context, state: &UiState) {
    if state.toasts.is_empty() {
        return;
    }
    egui::Area::new("toasts".into()).anchor(egui::Align2::CENTER_TOP, [0.0, 12.0]).show(ctx, |ui| {
        for (t, _) in &state.toasts {
            let color =
                if t.error { egui::Color32::from_rgb(120, 30, 30) } else { egui::Color32::from_rgb(30, 70, 40) };
            egui::Frame::popup(ui.style()).fill(color).show(ui, |ui| {
                ui.label(egui::RichText::new(&t.text).color(egui::Color32::WHITE));
            });
        }
    });
}

fn help(ui: &mut egui::Ui) {
    egui::Grid::new("keys").striped(true).show(ui, |ui| {
        for (k, what) in [
            ("Space", "play / pause"),
            (".", "one step"),
            ("R", "reset the scene (same seed)"),
            ("F", "focus the camera on the picked neuron"),
            ("F12", "screenshot (PNG, biological time in the name)"),
            ("F9", "start / stop recording a video of the window"),
            ("Tab", "hide / show the panels"),
            ("? or F1", "this help"),
            ("left drag", "orbit"),
            ("right / middle drag", "pan"),
            ("wheel", "zoom"),
            ("click", "pick a neuron (also in the raster)"),
            ("Shift+click", "stimulate the neurons around the clicked one"),
            ("Ctrl+click", "the shortest path from the picked neuron to this one (empty space: none)"),
        ] {
            ui.strong(k);
            ui.label(what);
            ui.end_row();
        }
    });
}
