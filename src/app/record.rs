//! `neuroplast record`: renders a scene offscreen (no window), frame-locked to simulation time, and
//! streams the frames to an `ffmpeg` child (mp4, webm, gif) or writes a PNG sequence. Frame k shows
//! the network after `warmup + k · bio_ms_per_frame` of biological time, and every clock the view
//! uses advances by exactly 1/fps per frame, so the same scene and seed give the same video.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use bevy::asset::RenderAssetUsages;
use bevy::camera::RenderTarget;
use bevy::prelude::*;
use bevy::render::RenderPlugin;
use bevy::render::pipelined_rendering::PipelinedRenderingPlugin;
use bevy::render::render_resource::{Extent3d, PollType, TextureDimension, TextureFormat, TextureUsages};
use bevy::render::renderer::RenderDevice;
use bevy::render::view::screenshot::{Screenshot, ScreenshotCaptured};
use bevy::time::TimeUpdateStrategy;
use bevy::window::ExitCondition;
use bevy::winit::WinitPlugin;
use indicatif::{ProgressBar, ProgressStyle};

use super::bridge::{Sim, Transport, advance_ms, scene_io};
use super::{AppOptions, DEFAULT_SCENE, OpenedScene, open_scene_file};

/// What to record and how.
#[derive(Clone, Debug)]
pub struct RecordOptions {
    /// Scene file (`scenes/default.ron` when `None`).
    pub scene: Option<PathBuf>,
    /// Seed override.
    pub seed: Option<u64>,
    /// Video length in seconds.
    pub seconds: f64,
    /// Frames per second of the video.
    pub fps: u32,
    /// Frame size in pixels.
    pub size: (u32, u32),
    /// Biological time simulated between two frames (ms).
    pub bio_ms_per_frame: f64,
    /// Biological time simulated before the first frame (ms).
    pub warmup_ms: f64,
    /// Output: `.mp4`, `.webm`, `.gif`, or a folder (or `.png` pattern) for a PNG sequence.
    pub out: PathBuf,
    /// Draw the scene name, the biological-time clock and the scene's description.
    pub overlay: bool,
    /// Most synapses drawn.
    pub max_synapses: Option<usize>,
    /// A recording replayed into the scene instead of running it (a video of a NEST run).
    pub replay: Option<crate::io::replay::ReplayRequest>,
    /// Asked once per frame: `true` ends the recording there and keeps the frames so far (Ctrl-C).
    pub stop_requested: fn() -> bool,
}

/// Where frames go.
#[derive(Clone, Debug, PartialEq)]
pub enum Sink {
    /// An ffmpeg encoder writing this file with these codec arguments.
    Ffmpeg {
        /// The video file.
        path: PathBuf,
        /// Arguments after the raw-video input.
        codec: Vec<String>,
    },
    /// `frame_00000.png`, … in this folder.
    Pngs(PathBuf),
}

impl Sink {
    /// The sink for an output path, by its extension: mp4 (H.264, yuv420p), webm (VP9), gif
    /// (palette generated from the whole clip), anything else a folder of PNGs.
    pub fn for_path(out: &Path) -> Self {
        let ext = out.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase);
        let args = |a: &[&str]| a.iter().map(ToString::to_string).collect::<Vec<_>>();
        match ext.as_deref() {
            Some("mp4") => Sink::Ffmpeg {
                path: out.into(),
                codec: args(&["-c:v", "libx264", "-pix_fmt", "yuv420p", "-crf", "18", "-movflags", "+faststart"]),
            },
            Some("webm") => Sink::Ffmpeg {
                path: out.into(),
                codec: args(&["-c:v", "libvpx-vp9", "-pix_fmt", "yuv420p", "-b:v", "0", "-crf", "32", "-row-mt", "1"]),
            },
            Some("gif") => Sink::Ffmpeg {
                path: out.into(),
                codec: args(&[
                    "-filter_complex",
                    "split[a][b];[a]palettegen=stats_mode=diff[p];[b][p]paletteuse=dither=bayer:bayer_scale=4",
                ]),
            },
            Some("png") => Sink::Pngs(out.with_extension("")),
            _ => Sink::Pngs(out.into()),
        }
    }
}

/// Checks the options before anything is built; each message names the option.
pub fn validate(o: &RecordOptions) -> Result<u32> {
    if !(o.seconds.is_finite() && o.seconds > 0.0 && o.seconds <= 3600.0) {
        bail!("--seconds must be in (0, 3600], got {}", o.seconds);
    }
    if !(1..=240).contains(&o.fps) {
        bail!("--fps must be between 1 and 240, got {}", o.fps);
    }
    if !(o.bio_ms_per_frame.is_finite() && o.bio_ms_per_frame >= 0.0) {
        bail!("--bio-ms-per-frame must be a finite number >= 0, got {}", o.bio_ms_per_frame);
    }
    if !(o.warmup_ms.is_finite() && o.warmup_ms >= 0.0) {
        bail!("--warmup-ms must be a finite number >= 0, got {}", o.warmup_ms);
    }
    let (w, h) = o.size;
    if matches!(Sink::for_path(&o.out), Sink::Ffmpeg { .. }) && (w % 2 == 1 || h % 2 == 1) {
        bail!("--size {w}x{h}: video encoders need an even width and height");
    }
    let scene = o.scene.clone().unwrap_or_else(|| PathBuf::from(DEFAULT_SCENE));
    match Sink::for_path(&o.out) {
        Sink::Ffmpeg { path, .. } => {
            crate::files::FilePlan::new().input("the scene", &scene).output("--out", Some(&path))?;
        }
        Sink::Pngs(dir) => {
            let holds_files = std::fs::read_dir(&dir).is_ok_and(|mut d| d.next().is_some());
            if holds_files || dir.is_file() {
                bail!(
                    "--out {}: already exists; choose a new folder (frames are never written over others)",
                    dir.display()
                );
            }
        }
    }
    Ok((o.seconds * o.fps as f64).round().max(1.0) as u32)
}

/// Whether an `ffmpeg` executable runs.
pub fn ffmpeg_available() -> bool {
    Command::new("ffmpeg")
        .arg("-version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// The render target of the recording.
#[derive(Resource, Clone)]
struct RecordTarget(Handle<Image>);

/// The overlay's clock text.
#[derive(Component)]
struct Clock;

/// Records the video; prints where it went. A CTM scene records one internal tick per frame and
/// moves on to the next maze after holding the answer.
pub fn record(o: RecordOptions) -> Result<()> {
    let frames = validate(&o)?;
    let scene_path = o.scene.clone().unwrap_or_else(|| PathBuf::from(DEFAULT_SCENE));
    // Load before anything else so a bad file is a clear error.
    let (mut app, network) = match open_scene_file(&scene_path)? {
        OpenedScene::Ctm(mut state) => {
            state.tour = true;
            let mut app = offscreen_app(&o, &scene_path);
            app.insert_resource(*state)
                .add_plugins(super::ctm_view::CtmViewPlugin)
                .add_systems(Update, update_ctm_clock);
            (app, None)
        }
        OpenedScene::Network(scene) => {
            let mut sim = Sim::from_scene(*scene, scene_path.clone(), o.seed).map_err(|e| anyhow::anyhow!("{e}"))?;
            if let Some(request) = &o.replay {
                let replay = super::bridge::replay::Replay::read(request, sim.network()).map_err(anyhow::Error::msg)?;
                for note in replay.feed.notes() {
                    eprintln!("note: {note}");
                }
                sim.start_replay(replay);
            }
            if o.warmup_ms > 0.0 {
                sim.run_ms(o.warmup_ms, None, |_| {});
            }
            let mut app = offscreen_app(&o, &scene_path);
            app.add_plugins((
                super::bridge::SimPlugin::default(),
                super::view::NetworkViewPlugin,
                super::camera::CameraPlugin,
            ))
            .add_systems(Update, update_clock.run_if(resource_exists::<Sim>));
            super::set_drawing_budget(&mut app, o.max_synapses);
            (app, Some(sim))
        }
    };
    let ctm = network.is_none();
    let mut sink = Sink::for_path(&o.out);
    if matches!(sink, Sink::Ffmpeg { .. }) && !ffmpeg_available() {
        let dir = o.out.with_extension("frames");
        eprintln!(
            "ffmpeg was not found (install it: apt-get install ffmpeg); writing a PNG sequence to {} instead",
            dir.display()
        );
        sink = Sink::Pngs(dir);
    }
    let (w, h) = o.size;
    let mut image = Image::new_uninit(
        Extent3d { width: w, height: h, depth_or_array_layers: 1 },
        TextureDimension::D2,
        TextureFormat::Rgba8UnormSrgb,
        RenderAssetUsages::RENDER_WORLD,
    );
    image.texture_descriptor.usage |= TextureUsages::RENDER_ATTACHMENT | TextureUsages::COPY_SRC;
    let target = app.world_mut().resource_mut::<Assets<Image>>().add(image);
    app.insert_resource(RecordTarget(target.clone())).add_systems(PostStartup, aim_camera);
    if o.overlay {
        app.add_systems(PostStartup, spawn_overlay.after(aim_camera));
    }
    if !ctm {
        app.world_mut().resource_mut::<Transport>().paused = true;
    }
    app.finish();
    app.cleanup();
    if let Some(sim) = network {
        scene_io::install(app.world_mut(), sim);
    }

    let writer = Writer::start(&sink, w, h, o.fps)?;
    let (tx, rx) = mpsc::channel::<(u32, Vec<u8>)>();
    let bar = ProgressBar::new(frames as u64);
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} frames, {per_sec}, eta {eta}").expect("valid template"),
    );
    let mut writer = writer;
    let mut got = Collected { next: 0, bar };
    // Two updates before the first frame: the camera's switch to the image target and its
    // projection's aspect take effect over the first updates (frame 0 was blank without them).
    for _ in 0..2 {
        pump(&mut app);
    }
    if ctm {
        // Start the playback at the first tick after the warm-up updates.
        let mut state = app.world_mut().resource_mut::<super::ctm_view::CtmState>();
        state.tick = 0;
        state.hold = 0;
        state.version += 1;
    }
    let asked = frames;
    let mut frames = frames;
    for k in 0..asked {
        if (o.stop_requested)() {
            // Ctrl-C: the frames asked for so far become the video.
            if k == 0 {
                bail!("stopped by Ctrl-C before the first frame; nothing was written");
            }
            frames = k;
            break;
        }
        if !ctm && k > 0 && o.bio_ms_per_frame > 0.0 {
            advance_ms(app.world_mut(), o.bio_ms_per_frame);
        }
        let tx = tx.clone();
        app.world_mut().spawn(Screenshot::image(target.clone())).observe(move |ev: On<ScreenshotCaptured>| {
            let _ = tx.send((k, rgba_bytes(&ev.image)));
        });
        pump(&mut app);
        got.take(&rx, &mut writer, false)?;
    }
    // The last captures arrive an update or two later.
    for _ in 0..20 {
        if got.next == frames {
            break;
        }
        pump(&mut app);
        got.take(&rx, &mut writer, true)?;
    }
    let (received, bar) = (got.next, got.bar);
    bar.finish_and_clear();
    if received != frames {
        bail!("only {received} of {frames} frames came back from the renderer");
    }
    let written = writer.finish()?;
    let shown = if ctm {
        let state = app.world().resource::<super::ctm_view::CtmState>();
        format!("through maze {} of seed {}", state.index, state.seed)
    } else {
        format!("up to t = {:.1} ms", app.world().resource::<Sim>().network().time_ms())
    };
    let of = if frames < asked { format!(" of {asked}") } else { String::new() };
    let stopped = if frames < asked { ", stopped by Ctrl-C" } else { "" };
    eprintln!("recorded {frames}{of} frames ({w}x{h} at {} fps, {shown}{stopped}) to {}", o.fps, written.display());
    Ok(())
}

/// A windowless app that renders on demand (no winit, no pipelined rendering, pipelines compiled
/// before the first frame, every clock advancing 1/fps per update).
fn offscreen_app(o: &RecordOptions, scene_path: &Path) -> App {
    let mut app = App::new();
    app.add_plugins(
        DefaultPlugins
            .set(WindowPlugin { primary_window: None, exit_condition: ExitCondition::DontExit, ..default() })
            // Every pipeline ready for the first frame: frame k never depends on compile timing.
            .set(RenderPlugin { synchronous_pipeline_compilation: true, ..default() })
            .set(bevy::log::LogPlugin { filter: "warn,wgpu=error,naga=error".into(), ..default() })
            .disable::<WinitPlugin>()
            .disable::<PipelinedRenderingPlugin>(),
    )
    .insert_resource(ClearColor(Color::srgb(0.02, 0.02, 0.035)))
    .insert_resource(TimeUpdateStrategy::ManualDuration(Duration::from_secs_f64(1.0 / o.fps as f64)))
    .insert_resource(AppOptions {
        scene: Some(scene_path.to_path_buf()),
        seed: o.seed,
        scale: 1.0,
        max_memory: None,
        size: Some(o.size),
        screenshot: None,
        frames: None,
        warmup_ms: None,
        hide_ui: true,
        paused: true,
        select: None,
        max_synapses: o.max_synapses,
        record: None,
        only_picked: false,
        color_by: crate::app::graph::GraphColor::Population,
        layout: None,
        hide_populations: Vec::new(),
        path_to: None,
        size_by_degree: false,
        synapse_kinds: 0b111,
        weight_range: (0.0, 1.0),
        replay: o.replay.clone(),
        lod: crate::app::view::lod::LodMode::Auto,
        launched: std::time::Instant::now(),
    });
    app
}

/// Frames received so far, in order.
struct Collected {
    next: u32,
    bar: ProgressBar,
}

impl Collected {
    /// Writes the frames that have arrived (waiting briefly for one when `wait`).
    fn take(&mut self, rx: &mpsc::Receiver<(u32, Vec<u8>)>, writer: &mut Writer, wait: bool) -> Result<()> {
        loop {
            let next = if wait { rx.recv_timeout(Duration::from_millis(20)).ok() } else { rx.try_recv().ok() };
            let Some((k, rgba)) = next else { return Ok(()) };
            if k != self.next {
                bail!("frame {k} arrived while frame {} was expected", self.next);
            }
            writer.frame(k, &rgba)?;
            self.next += 1;
            self.bar.set_position(self.next as u64);
        }
    }
}

/// One update, then wait until the GPU has finished it.
fn pump(app: &mut App) {
    app.update();
    let device = app.world().resource::<RenderDevice>();
    let _ = device.wgpu_device().poll(PollType::Wait { submission_index: None, timeout: None });
}

/// The RGBA bytes of a captured image (BGRA targets are swizzled).
pub(crate) fn rgba_bytes(image: &Image) -> Vec<u8> {
    let mut data = image.data.clone().unwrap_or_default();
    if matches!(image.texture_descriptor.format, TextureFormat::Bgra8Unorm | TextureFormat::Bgra8UnormSrgb) {
        for px in data.chunks_exact_mut(4) {
            px.swap(0, 2);
        }
    }
    data
}

fn aim_camera(mut commands: Commands, target: Res<RecordTarget>, cams: Query<Entity, With<Camera3d>>) {
    for e in &cams {
        commands.entity(e).insert(RenderTarget::Image(target.0.clone().into()));
    }
}

fn spawn_overlay(
    mut commands: Commands,
    sim: Option<Res<Sim>>,
    ctm: Option<Res<super::ctm_view::CtmState>>,
    cams: Query<Entity, With<Camera3d>>,
) {
    let Ok(cam) = cams.single() else { return };
    let (title, caption) = match (&sim, &ctm) {
        (Some(sim), _) => (sim.name(), sim.scene.file.description.trim().to_string()),
        (None, Some(c)) => (c.name.clone(), String::new()),
        _ => return,
    };
    let font = |size: f32| TextFont { font_size: FontSize::Px(size), ..default() };
    commands
        .spawn((
            Node {
                position_type: PositionType::Absolute,
                left: Val::Px(16.0),
                top: Val::Px(12.0),
                max_width: Val::Percent(70.0),
                flex_direction: FlexDirection::Column,
                row_gap: Val::Px(4.0),
                ..default()
            },
            UiTargetCamera(cam),
        ))
        .with_children(|p| {
            p.spawn((Text::new(title), font(22.0), TextColor(Color::srgb(0.92, 0.92, 0.95))));
            p.spawn((Text::new(""), font(18.0), TextColor(Color::srgb(1.0, 0.75, 0.45)), Clock));
            if !caption.is_empty() {
                p.spawn((Text::new(caption), font(15.0), TextColor(Color::srgb(0.7, 0.7, 0.75))));
            }
        });
}

fn update_ctm_clock(state: Res<super::ctm_view::CtmState>, mut clocks: Query<&mut Text, With<Clock>>) {
    let s = format!(
        "maze {}   tick {} of {}   certainty {:.2}",
        state.index + 1,
        state.tick + 1,
        state.run.ticks,
        state.run.certainty.get(state.tick).copied().unwrap_or(0.0)
    );
    for mut t in &mut clocks {
        if t.0 != s {
            t.0 = s.clone();
        }
    }
}

fn update_clock(sim: Res<Sim>, mut clocks: Query<&mut Text, With<Clock>>) {
    for mut t in &mut clocks {
        let s = format!("t = {:.1} ms", sim.engine.network.time_ms());
        if t.0 != s {
            t.0 = s;
        }
    }
}

/// Writes frames to ffmpeg's stdin or to PNG files.
/// Both write beside their target under a temporary name and take its place only when complete.
pub(crate) enum Writer {
    Ffmpeg { child: Child, stdin: Option<ChildStdin>, path: PathBuf, tmp: tempfile::TempPath },
    Pngs { dir: PathBuf, tmp: tempfile::TempDir, w: u32, h: u32 },
}

impl Writer {
    /// Starts writing `w`×`h` RGBA frames at `fps`.
    pub(crate) fn start(sink: &Sink, w: u32, h: u32, fps: u32) -> Result<Self> {
        match sink {
            Sink::Ffmpeg { path, codec } => {
                let tmp = crate::files::temporary_path_beside(path)?;
                let mut child = Command::new("ffmpeg")
                    .args(["-hide_banner", "-loglevel", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgba"])
                    .args(["-s", &format!("{w}x{h}"), "-r", &fps.to_string(), "-i", "-"])
                    .args(codec)
                    .arg(&*tmp)
                    .stdin(Stdio::piped())
                    .spawn()
                    .context("starting ffmpeg")?;
                let stdin = child.stdin.take();
                Ok(Writer::Ffmpeg { child, stdin, path: path.clone(), tmp })
            }
            Sink::Pngs(dir) => {
                if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
                    std::fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
                }
                let tmp = crate::files::temporary_folder_beside(dir)?;
                Ok(Writer::Pngs { dir: dir.clone(), tmp, w, h })
            }
        }
    }

    /// Writes frame `k`.
    pub(crate) fn frame(&mut self, k: u32, rgba: &[u8]) -> Result<()> {
        match self {
            Writer::Ffmpeg { stdin, .. } => {
                let pipe = stdin.as_mut().context("ffmpeg's input is closed")?;
                pipe.write_all(rgba).context("ffmpeg stopped reading frames (see its message above)")
            }
            Writer::Pngs { tmp, w, h, .. } => {
                let path = tmp.path().join(format!("frame_{k:05}.png"));
                let file = std::fs::File::create(&path).with_context(|| format!("creating {}", path.display()))?;
                let mut enc = png::Encoder::new(std::io::BufWriter::new(file), *w, *h);
                enc.set_color(png::ColorType::Rgba);
                enc.set_depth(png::BitDepth::Eight);
                enc.write_header()?.write_image_data(rgba)?;
                Ok(())
            }
        }
    }

    /// Closes the output; returns the file or folder written.
    pub(crate) fn finish(self) -> Result<PathBuf> {
        match self {
            Writer::Ffmpeg { mut child, stdin, path, tmp } => {
                drop(stdin);
                let status = child.wait().context("waiting for ffmpeg")?;
                if !status.success() {
                    bail!("ffmpeg failed ({status}) writing {}", path.display());
                }
                tmp.persist(&path).map_err(|e| crate::files::FileError::io(&path, "cannot replace", &e.error))?;
                Ok(path)
            }
            Writer::Pngs { dir, tmp, .. } => {
                crate::files::commit_folder(tmp, &dir)?;
                Ok(dir)
            }
        }
    }
}
