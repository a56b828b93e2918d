//! `neuroplast [SCENE]`: open the 3D app on a scene (the default scene without one).

use std::path::PathBuf;

use clap::Args;

/// Arguments of the app (no subcommand).
#[derive(Args, Debug, Default)]
pub struct OpenArgs {
    /// Scene file to open (default: scenes/default.ron).
    pub scene: Option<PathBuf>,
    /// How the app shows it.
    #[command(flatten)]
    pub view: ViewArgs,
}

/// How the app builds and shows a scene (shared by the app and `neuroplast replay`).
#[derive(Args, Debug, Default)]
pub struct ViewArgs {
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
    /// Size neurons by their degree (in + out, measured off the frame).
    #[arg(long)]
    pub size_by_degree: bool,
    /// Show the shortest path (fewest synapses) from the picked neuron (`--select`) to this one;
    /// in the app, Ctrl+click a neuron.
    #[arg(long, value_name = "N")]
    pub path_to: Option<u32>,
    /// Switch a population off: its neurons and their synapses are not drawn (repeatable).
    #[arg(long = "hide-population", value_name = "NAME")]
    pub hide_populations: Vec<String>,
    /// Synapse kinds drawn, comma-separated: excitatory, inhibitory, attention.
    #[arg(long, value_name = "KINDS", default_value = "excitatory,inhibitory,attention", value_parser = parse_kinds)]
    pub synapse_kinds: u32,
    /// Level of detail: `auto` draws a network of 100,000 neurons or more as glowing bins of
    /// neurons when one neuron would be smaller than a pixel; `neurons` or `bins` always.
    #[arg(long, default_value = "auto", value_parser = ["auto", "neurons", "bins"])]
    pub lod: String,
    /// Weights drawn, as fractions of their projection's reference weight: LO,HI within 0..1.
    #[arg(long, value_name = "LO,HI", default_value = "0,1", value_parser = parse_weight_range)]
    pub weight_range: (f32, f32),
}

/// Parses `excitatory,inhibitory,attention` (any of them) into the view's kind bits.
pub fn parse_kinds(s: &str) -> Result<u32, String> {
    let mut bits = 0;
    for k in s.split(',').map(str::trim).filter(|k| !k.is_empty()) {
        bits |= match k {
            "excitatory" => 1,
            "inhibitory" => 2,
            "attention" => 4,
            other => return Err(format!("`{other}`: synapse kinds are excitatory, inhibitory and attention")),
        };
    }
    Ok(bits)
}

/// Parses `LO,HI`: fractions with 0 <= LO <= HI <= 1.
pub fn parse_weight_range(s: &str) -> Result<(f32, f32), String> {
    let (lo, hi) = s.split_once(',').ok_or_else(|| format!("weight range '{s}' must look like 0.5,1"))?;
    let parse = |v: &str| v.trim().parse::<f32>().map_err(|_| format!("weight range '{s}': `{v}` is not a number"));
    let (lo, hi) = (parse(lo)?, parse(hi)?);
    if !(0.0..=1.0).contains(&lo) || !(0.0..=1.0).contains(&hi) || lo > hi {
        return Err(format!("weight range '{s}' must have 0 <= LO <= HI <= 1"));
    }
    Ok((lo, hi))
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
pub fn open(args: OpenArgs) -> anyhow::Result<()> {
    open_with(args.scene, args.view, None)
}

/// Opens the app on `scene`, replaying `replay` into it if given.
#[cfg(feature = "app")]
pub fn open_with(
    scene: Option<PathBuf>,
    args: ViewArgs,
    replay: Option<neuroplast::io::replay::ReplayRequest>,
) -> anyhow::Result<()> {
    neuroplast::app::run(neuroplast::app::AppOptions {
        scene,
        replay,
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
        hide_populations: args.hide_populations,
        path_to: args.path_to,
        size_by_degree: args.size_by_degree,
        synapse_kinds: args.synapse_kinds,
        weight_range: args.weight_range,
        lod: neuroplast::app::view::lod::LodMode::parse(&args.lod).map_err(anyhow::Error::msg)?,
        launched: std::time::Instant::now(),
    })
}

/// Without the `app` feature there is no window to open.
#[cfg(not(feature = "app"))]
pub fn open_with(
    _scene: Option<PathBuf>,
    _args: ViewArgs,
    _replay: Option<neuroplast::io::replay::ReplayRequest>,
) -> anyhow::Result<()> {
    anyhow::bail!(
        "this build has no 3D app (built with --no-default-features); run a scene headless with `neuroplast run scenes/cuba.ron`"
    )
}
