//! How the app is started: the command line's options, as a resource every plugin may read.

use std::path::PathBuf;

use bevy::prelude::*;

/// The default scene, opened when no scene is named.
pub const DEFAULT_SCENE: &str = "scenes/default.ron";

/// How the app is started: which scene, and (for tests and documentation) whether to take a
/// screenshot and exit after a number of frames.
#[derive(Resource, Clone, Debug)]
pub struct AppOptions {
    /// Scene file to open (`scenes/default.ron` when `None`).
    pub scene: Option<PathBuf>,
    /// Seed override for the scene.
    pub seed: Option<u64>,
    /// Scale factor for a network scene (1: as written; see [`crate::scene::Scene::scale`]).
    pub scale: f64,
    /// The most memory (bytes) the first scene may need (`None`: what the system has available).
    pub max_memory: Option<f64>,
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
    /// Draw only the picked neuron's synapses from the start (with `select`).
    pub only_picked: bool,
    /// What neurons are coloured by at start (population colours, or a graph measure).
    pub color_by: crate::app::graph::GraphColor,
    /// The layout neurons are drawn in at start (`None`: the scene's saved one, else spatial).
    pub layout: Option<crate::app::layout::LayoutMode>,
    /// Size neurons by their degree from the start.
    pub size_by_degree: bool,
    /// The end of the shortest path shown from the picked neuron at start (with `select`).
    pub path_to: Option<u32>,
    /// Populations switched off at start (by name).
    pub hide_populations: Vec<String>,
    /// Synapse kinds drawn at start (bit 0 excitatory, 1 inhibitory, 2 attention edges).
    pub synapse_kinds: u32,
    /// Weights drawn at start, as fractions of their projection's reference weight.
    pub weight_range: (f32, f32),
    /// When a large network is drawn as bins of neurons (far away) instead of neuron by neuron.
    pub lod: crate::app::view::lod::LodMode,
    /// A recording to replay into the scene instead of running it (`neuroplast replay`).
    pub replay: Option<crate::io::replay::ReplayRequest>,
    /// When the process started handling the command (for the time-to-first-frame figure).
    pub launched: std::time::Instant,
}
