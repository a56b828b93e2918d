//! `neuroplast record SCENE`: an offscreen, frame-locked video of a scene.

use std::path::PathBuf;

use anyhow::Result;
use clap::Args;

/// `neuroplast record` options.
#[derive(Args, Debug)]
pub struct RecordArgs {
    /// Scene file (default: scenes/default.ron).
    pub scene: Option<PathBuf>,
    /// Output: .mp4 (H.264), .webm (VP9), .gif, or a folder for a PNG sequence.
    #[arg(long, default_value = "neuroplast.mp4")]
    pub out: PathBuf,
    /// Video length in seconds.
    #[arg(long, default_value_t = 10.0)]
    pub seconds: f64,
    /// Frames per second.
    #[arg(long, default_value_t = 60)]
    pub fps: u32,
    /// Frame size, e.g. 1920x1080.
    #[arg(long, value_parser = super::open::parse_size, default_value = "1920x1080")]
    pub size: (u32, u32),
    /// Biological milliseconds simulated between frames.
    #[arg(long, default_value_t = 2.0)]
    pub bio_ms_per_frame: f64,
    /// Biological milliseconds simulated before the first frame.
    #[arg(long, default_value_t = 0.0)]
    pub warmup_ms: f64,
    /// Seed override.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Leave out the overlay (scene name, biological-time clock, the scene's description).
    #[arg(long)]
    pub no_overlay: bool,
    /// Most synapses drawn (8000 by default); beyond it a uniform sample, chosen by synapse id.
    #[arg(long)]
    pub max_synapses: Option<usize>,
    /// Replay these spike files (NEST .dat, SONATA .h5, NWB, CSV) into the scene instead of
    /// running it: a video of a run made elsewhere.
    #[arg(long, num_args = 1..)]
    pub spikes: Vec<PathBuf>,
    /// With `--spikes`: at the recording's end, start it again.
    #[arg(long = "loop")]
    pub looping: bool,
}

/// Records the video.
#[cfg(feature = "app")]
pub fn record(a: RecordArgs) -> Result<()> {
    super::interrupt::listen();
    neuroplast::app::record::record(neuroplast::app::record::RecordOptions {
        scene: a.scene,
        seed: a.seed,
        seconds: a.seconds,
        fps: a.fps,
        size: a.size,
        bio_ms_per_frame: a.bio_ms_per_frame,
        warmup_ms: a.warmup_ms,
        out: a.out,
        overlay: !a.no_overlay,
        max_synapses: a.max_synapses,
        replay: (!a.spikes.is_empty()).then(|| neuroplast::io::replay::ReplayRequest {
            files: a.spikes.clone(),
            looping: a.looping,
            follow: false,
        }),
        stop_requested: super::interrupt::requested,
    })?;
    if super::interrupt::requested() {
        return Err(super::interrupt::Interrupted.into());
    }
    Ok(())
}

/// Recording needs the renderer.
#[cfg(not(feature = "app"))]
pub fn record(_a: RecordArgs) -> Result<()> {
    anyhow::bail!("`neuroplast record` renders with the app: build with the default features (`app`)")
}
