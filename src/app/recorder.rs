//! F9 in the app: records what the window shows (with or without the panels) to an mp4 beside the
//! working directory, one video frame per rendered frame at a nominal 30 fps; a red indicator shows
//! the elapsed time. Frames are captured with Bevy's screenshot API and encoded by an `ffmpeg` child
//! on a worker thread (a PNG sequence when ffmpeg is missing).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Instant;

use bevy::prelude::*;
use bevy::render::view::screenshot::{Screenshot, ScreenshotCaptured};
use bevy::window::PrimaryWindow;
use bevy_egui::input::EguiWantsInput;
use bevy_egui::{EguiContexts, EguiPrimaryContextPass, egui};

use super::AppOptions;
use super::bridge::{Sim, Toast};
use super::record::{Sink, Writer, ffmpeg_available, rgba_bytes};

/// Nominal frame rate of live recordings (one video frame per rendered frame).
pub const LIVE_FPS: u32 = 30;

/// The live recording, if one is running, and whether it shows the panels.
#[derive(Resource, Default)]
pub struct LiveRecording {
    /// Whether the panels are recorded too (otherwise they are hidden while recording).
    pub include_panels: bool,
    active: Option<Active>,
}

struct Active {
    path: PathBuf,
    started: Instant,
    size: (u32, u32),
    next: u32,
    tx: mpsc::Sender<Frame>,
    worker: JoinHandle<anyhow::Result<(PathBuf, u32)>>,
}

/// What the capture observers send the encoder thread: frame `k`'s pixels, or the end of the
/// recording. The end is a message, not the channel closing: captures still in flight hold
/// senders, and waiting for them to drop would wait for a frame the waiting main thread renders.
enum Frame {
    Pixels(u32, Vec<u8>),
    End,
}

impl Active {
    /// Tells the encoder to finish and waits for it.
    fn finish(self) -> std::thread::Result<anyhow::Result<(PathBuf, u32)>> {
        let _ = self.tx.send(Frame::End);
        self.worker.join()
    }
}

impl Drop for LiveRecording {
    /// A recording still running when the app is torn down is finished, not lost.
    fn drop(&mut self) {
        if let Some(active) = self.active.take() {
            let _ = active.finish();
        }
    }
}

impl LiveRecording {
    /// Whether a recording is running.
    pub fn is_active(&self) -> bool {
        self.active.is_some()
    }

    /// Whether the panels are to be hidden now: a recording without them is running (the UI reads
    /// this; the recorder never touches the UI's own state).
    pub fn hides_panels(&self) -> bool {
        self.is_active() && !self.include_panels
    }

    /// Seconds recorded so far.
    pub fn elapsed_s(&self) -> f64 {
        self.active.as_ref().map_or(0.0, |a| a.started.elapsed().as_secs_f64())
    }
}

/// F9 recording with its indicator.
pub struct RecorderPlugin;

impl Plugin for RecorderPlugin {
    fn build(&self, app: &mut App) {
        app.init_resource::<LiveRecording>()
            .add_systems(PostStartup, record_from_launch)
            .add_systems(Update, record_key.run_if(resource_exists::<Sim>))
            // After Update's commands are applied, so an F12 or scripted screenshot spawned this
            // frame is seen (Bevy drops all but one capture per window and frame).
            .add_systems(PostUpdate, capture_frame)
            .add_systems(Last, stop_on_exit)
            .add_systems(EguiPrimaryContextPass, indicator);
    }
}

/// The file a recording started now goes to.
fn recording_name(scene: &str, ffmpeg: bool) -> PathBuf {
    let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    let clean: String = scene.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }).collect();
    PathBuf::from(format!("neuroplast-{clean}-{secs}.{}", if ffmpeg { "mp4" } else { "frames" }))
}

fn record_key(
    keys: Res<ButtonInput<KeyCode>>,
    egui: Option<Res<EguiWantsInput>>,
    sim: Res<Sim>,
    window: Query<&Window, With<PrimaryWindow>>,
    mut rec: ResMut<LiveRecording>,
    mut toasts: MessageWriter<Toast>,
) {
    if egui.is_some_and(|e| e.wants_any_keyboard_input()) || !keys.just_pressed(KeyCode::F9) {
        return;
    }
    if let Some(active) = rec.active.take() {
        toasts.write(stop(active));
        return;
    }
    let Ok(window) = window.single() else { return };
    let ffmpeg = ffmpeg_available();
    let path = recording_name(&sim.name(), ffmpeg);
    let note = if ffmpeg { "" } else { " (ffmpeg not found: PNG frames)" };
    toasts.write(start(&mut rec, window, path, note));
}

/// `--record PATH`: records from the first frame until the app exits.
fn record_from_launch(
    options: Res<AppOptions>,
    window: Query<&Window, With<PrimaryWindow>>,
    mut rec: ResMut<LiveRecording>,
    mut toasts: MessageWriter<Toast>,
) {
    let (Some(path), Ok(window)) = (options.record.clone(), window.single()) else { return };
    rec.include_panels = !options.hide_ui;
    toasts.write(start(&mut rec, window, path, ""));
}

/// Finishes a recording still running when the app exits.
fn stop_on_exit(mut exits: MessageReader<AppExit>, mut rec: ResMut<LiveRecording>) {
    if exits.read().next().is_some()
        && let Some(active) = rec.active.take()
    {
        let t = stop(active);
        eprintln!("{}", t.text);
    }
}

/// Starts recording the window to `path`.
fn start(rec: &mut LiveRecording, window: &Window, path: PathBuf, note: &str) -> Toast {
    let size = (window.physical_width(), window.physical_height());
    // yuv420p needs even sizes: an odd window edge is cropped by one pixel.
    let even = (size.0 & !1, size.1 & !1);
    let writer = match Writer::start(&Sink::for_path(&path), even.0, even.1, LIVE_FPS) {
        Ok(w) => w,
        Err(e) => return Toast::error(format!("could not start recording: {e:#}")),
    };
    let (tx, rx) = mpsc::channel::<Frame>();
    let worker = std::thread::spawn(move || write_in_order(writer, rx, size, even));
    let text = format!("recording to {}{note}; F9 stops", path.display());
    rec.active = Some(Active { path, started: Instant::now(), size, next: 0, tx, worker });
    Toast::info(text)
}

/// Ends a recording: waits for the encoder and says where the video is.
fn stop(active: Active) -> Toast {
    let path = active.path.clone();
    match active.finish() {
        Ok(Ok((path, frames))) => Toast::info(format!("recorded {frames} frames to {}", path.display())),
        Ok(Err(e)) => Toast::error(format!("recording {} failed: {e:#}", path.display())),
        Err(_) => Toast::error("the recording thread stopped unexpectedly".to_string()),
    }
}

/// Writes frames in capture order (screenshots may come back out of order), cropped to `even`.
fn write_in_order(
    mut writer: Writer,
    rx: mpsc::Receiver<Frame>,
    size: (u32, u32),
    even: (u32, u32),
) -> anyhow::Result<(PathBuf, u32)> {
    let mut pending: BTreeMap<u32, Vec<u8>> = BTreeMap::new();
    let mut next = 0u32;
    for frame in rx {
        let Frame::Pixels(k, rgba) = frame else { break };
        pending.insert(k, rgba);
        while let Some(rgba) = pending.remove(&next) {
            writer.frame(next, &crop(&rgba, size, even))?;
            next += 1;
        }
    }
    // Frames lost in flight when the recording stopped leave a gap: write what is contiguous.
    Ok((writer.finish()?, next))
}

/// The top-left `even` part of a `size` RGBA frame.
fn crop(rgba: &[u8], size: (u32, u32), even: (u32, u32)) -> Vec<u8> {
    if size == even {
        return rgba.to_vec();
    }
    let (w, ew, eh) = (size.0 as usize * 4, even.0 as usize * 4, even.1 as usize);
    rgba.chunks_exact(w).take(eh).flat_map(|row| &row[..ew]).copied().collect()
}

/// Marks the recorder's own screenshot requests.
#[derive(Component)]
struct RecorderShot;

fn capture_frame(
    mut commands: Commands,
    others: Query<(), (With<Screenshot>, Without<RecorderShot>)>,
    mut rec: ResMut<LiveRecording>,
    window: Query<&Window, With<PrimaryWindow>>,
    mut toasts: MessageWriter<Toast>,
) {
    let Some(active) = rec.active.as_mut() else { return };
    let size = window.single().map(|w| (w.physical_width(), w.physical_height())).unwrap_or(active.size);
    if size != active.size {
        let active = rec.active.take().expect("checked above");
        toasts.write(Toast::error("the window was resized: recording stopped".to_string()));
        toasts.write(stop(active));
        return;
    }
    // One capture per window and frame: an F12 or scripted screenshot takes this frame.
    if !others.is_empty() {
        return;
    }
    let (k, tx, expected) = (active.next, active.tx.clone(), active.size);
    active.next += 1;
    commands.spawn((Screenshot::primary_window(), RecorderShot)).observe(move |ev: On<ScreenshotCaptured>| {
        let (w, h) = (ev.image.width(), ev.image.height());
        if (w, h) == expected {
            let _ = tx.send(Frame::Pixels(k, rgba_bytes(&ev.image)));
        }
    });
}

fn indicator(mut contexts: EguiContexts, rec: Res<LiveRecording>) -> Result {
    if !rec.is_active() {
        return Ok(());
    }
    let ctx = contexts.ctx_mut()?;
    let t = rec.elapsed_s();
    let red = egui::Color32::from_rgb(235, 60, 60);
    egui::Area::new("recording".into()).anchor(egui::Align2::RIGHT_TOP, [-14.0, 10.0]).show(ctx, |ui| {
        ui.horizontal(|ui| {
            let (dot, _) = ui.allocate_exact_size(egui::vec2(14.0, 14.0), egui::Sense::hover());
            ui.painter().circle_filled(dot.center(), 6.0, red);
            let text = format!("REC {:02}:{:02}", (t / 60.0) as u32, t as u32 % 60);
            ui.label(egui::RichText::new(text).color(red).strong().size(18.0));
        });
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_encoder_finishes_on_the_end_message_while_captures_still_hold_senders() {
        let dir = std::env::temp_dir().join(format!("neuroplast-recorder-{}", std::process::id()));
        let writer = Writer::start(&Sink::Pngs(dir.clone()), 2, 2, LIVE_FPS).unwrap();
        let (tx, rx) = mpsc::channel::<Frame>();
        let worker = std::thread::spawn(move || write_in_order(writer, rx, (2, 2), (2, 2)));
        let in_flight = tx.clone(); // a capture observer that has not fired yet
        tx.send(Frame::Pixels(1, vec![9; 16])).unwrap();
        tx.send(Frame::Pixels(0, vec![7; 16])).unwrap();
        let active = Active { path: dir.clone(), started: Instant::now(), size: (2, 2), next: 2, tx, worker };
        // Finish on another thread, so a regression fails here instead of hanging the suite.
        let (done_tx, done) = mpsc::channel();
        std::thread::spawn(move || done_tx.send(active.finish().map(|r| r.map(|(_, n)| n).ok())));
        let frames = done.recv_timeout(std::time::Duration::from_secs(20)).expect("the encoder finished");
        assert_eq!(frames.ok().flatten(), Some(2), "both frames written, in order");
        drop(in_flight);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn crop_keeps_the_top_left_even_part() {
        // 3×3 pixels numbered 0..9 (each pixel's four bytes hold its number).
        let rgba: Vec<u8> = (0..9u8).flat_map(|p| [p; 4]).collect();
        let out = crop(&rgba, (3, 3), (2, 2));
        let pixels: Vec<u8> = out.chunks(4).map(|p| p[0]).collect();
        assert_eq!(pixels, vec![0, 1, 3, 4]);
    }
}
