//! `neuroplast [SCENE]`: open the 3D app on a scene (the default scene without one).

use std::path::PathBuf;

use clap::Args;

/// Arguments of the app (no subcommand).
#[derive(Args, Debug, Default)]
pub struct OpenArgs {
    /// Scene file to open (default: scenes/default.ron).
    pub scene: Option<PathBuf>,
    /// Seed override.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Scale a network scene as `run --scale` does: population sizes times FACTOR, connection
    /// probabilities divided by it (e.g. `scenes/cuba.ron --scale 100`: 400,000 neurons).
    #[arg(long, default_value_t = 1.0)]
    pub scale: f64,
    /// The most memory the scene may need ("16 GB"; default: what the system has available).
    #[arg(long, value_parser = neuroplast::scene::budget::parse_memory)]
    pub max_memory: Option<f64>,
    /// Window size, e.g. 1600x900.
    #[arg(long, value_parser = parse_size)]
    pub size: Option<(u32, u32)>,
    /// Render, save a screenshot to this PNG (plus PNG.json with each neuron's pixel position), exit.
    #[arg(long)]
    pub screenshot: Option<PathBuf>,
    /// Frames to render before the screenshot.
    #[arg(long)]
    pub frames: Option<u32>,
    /// Biological time (ms) to simulate before the first frame; the app then starts paused.
    #[arg(long)]
    pub warmup_ms: Option<f64>,
    /// Hide the panels.
    #[arg(long)]
    pub hide_ui: bool,
    /// Start paused.
    #[arg(long)]
    pub paused: bool,
    /// Pick this neuron at start.
    #[arg(long)]
    pub select: Option<u32>,
    /// Most synapses drawn (8000 by default); beyond it a uniform sample, chosen by synapse id.
    #[arg(long)]
    pub max_synapses: Option<usize>,
    /// Record the window from the first frame until the app exits (.mp4, .webm, .gif or a folder
    /// of PNGs); F9 records on demand.
    #[arg(long)]
    pub record: Option<PathBuf>,
    /// Draw only the picked neuron's synapses (all of them: inputs cyan, outputs orange).
    #[arg(long)]
    pub only_picked: bool,
    /// Colour neurons by their population or by a graph measure (computed off the frame).
    #[arg(long, default_value = "population", value_parser = ["population", "community", "degree", "in-strength", "clustering", "betweenness"])]
    pub color_by: String,
    /// Draw neurons at the scene's positions, in a force-directed layout of the connectivity, on a
    /// circle or in population layers (the Display section switches, animated); a scene with a
    /// saved layout opens in it.
    #[arg(long, value_parser = ["spatial", "force", "circular", "layers", "saved"])]
    pub layout: Option<String>,
}

/// Parses `WIDTHxHEIGHT`.
pub fn parse_size(s: &str) -> Result<(u32, u32), String> {
    let (w, h) = s.split_once(['x', 'X']).ok_or_else(|| format!("size '{s}' must look like 1920x1080"))?;
    let w: u32 = w.trim().parse().map_err(|_| format!("width in '{s}' is not a whole number"))?;
    let h: u32 = h.trim().parse().map_err(|_| format!("height in '{s}' is not a whole number"))?;
    if !(16..=8192).contains(&w) || !(16..=8192).contains(&h) {
        return Err(format!("size '{s}' must be between 16x16 and 8192x8192"));
    }
    Ok((w, h))
}

/// Opens the app.
#[cfg(feature = "app")]
pub fn open(args: OpenArgs) -> anyhow::Result<()> {
    neuroplast::app::run(neuroplast::app::AppOptions {
        scene: args.scene,
        seed: args.seed,
        scale: args.scale,
        max_memory: args.max_memory,
        size: args.size,
        screenshot: args.screenshot,
        frames: args.frames,
        warmup_ms: args.warmup_ms,
        hide_ui: args.hide_ui,
        paused: args.paused,
        select: args.select,
        max_synapses: args.max_synapses,
        record: args.record,
        only_picked: args.only_picked,
        color_by: neuroplast::app::graph::GraphColor::parse(&args.color_by).map_err(anyhow::Error::msg)?,
        layout: args
            .layout
            .as_deref()
            .map(neuroplast::app::layout::LayoutMode::parse)
            .transpose()
            .map_err(anyhow::Error::msg)?,
        launched: std::time::Instant::now(),
    })
}

/// Without the `app` feature there is no window to open.
#[cfg(not(feature = "app"))]
pub fn open(_args: OpenArgs) -> anyhow::Result<()> {
    anyhow::bail!(
        "this build has no 3D app (built with --no-default-features); run a scene headless with `neuroplast run scenes/cuba.ron`"
    )
}
