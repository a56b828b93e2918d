//! The replay's controls (open a recording; scrub, jump, loop, follow) and the picked neuron's
//! recorded spikes in the inspector.

use bevy_egui::egui;
use egui_plot::{PlotPoints, Points};

use super::UiView;
use super::plots::plot;
use crate::app::bridge::SimRequest;
use crate::app::bridge::replay::Replay;
use crate::sim::NeuronId;

/// The spike files "Open recording…" offers.
const SPIKE_FILES: &[&str] = &["dat", "csv", "h5", "hdf5", "sonata", "nwb"];

/// Recorded time shown in the inspector's spike train (ms): the history's window.
const INSPECTOR_WINDOW_MS: f64 = crate::app::history::RASTER_WINDOW_MS;

/// "Open recording…": spike files replayed into the running scene.
pub fn open_button(ui: &mut egui::Ui, out: &mut Vec<SimRequest>) {
    if ui
        .button("Open recording…")
        .on_hover_text("spikes recorded elsewhere (NEST .dat files of every virtual process, SONATA .h5, NWB, CSV), replayed into this scene's network")
        .clicked()
        && let Some(files) = rfd::FileDialog::new().add_filter("spike files", SPIKE_FILES).pick_files()
    {
        out.push(SimRequest::OpenRecording(files));
    }
}

/// The replay's row of the transport: where it is, a scrub bar, jump, loop and follow.
pub fn controls(ui: &mut egui::Ui, view: &UiView, jump_ms: &mut f64, out: &mut Vec<SimRequest>) {
    let Some(replay) = &view.sim.replay else { return };
    let net = view.sim.network();
    let end = replay.feed.end_ms();
    let now = net.time_ms();
    ui.label(
        egui::RichText::new(format!("replaying {} ({} spikes read)", files_text(replay), replay.feed.spike_count()))
            .color(egui::Color32::from_rgb(150, 200, 255)),
    );
    let mut at = now.min(end);
    let scrub = ui
        .add(egui::Slider::new(&mut at, 0.0..=end.max(net.dt_ms())).text("ms").clamping(egui::SliderClamping::Always));
    if scrub.changed() {
        out.push(SimRequest::Seek(at));
    }
    ui.horizontal(|ui| {
        ui.add(egui::DragValue::new(jump_ms).range(0.0..=end.max(0.0)).suffix(" ms"));
        if ui.button("Jump").clicked() {
            out.push(SimRequest::Seek(*jump_ms));
        }
        if ui.button("⏮").on_hover_text("to the start").clicked() {
            out.push(SimRequest::Seek(0.0));
        }
        let mut looping = replay.feed.looping;
        if ui.checkbox(&mut looping, "loop").changed() {
            out.push(SimRequest::SetLoop(looping));
        }
        if ui
            .button("Save replay…")
            .on_hover_text("the scene with its recording named in it: it reopens replaying, at this time")
            .clicked()
            && let Some(p) = rfd::FileDialog::new().add_filter("scene", &["ron"]).save_file()
        {
            out.push(SimRequest::SaveReplay(p));
        }
        if replay.feed.can_follow() {
            let mut follow = replay.feed.following;
            if ui
                .checkbox(&mut follow, "follow")
                .on_hover_text("read what a running NEST job appends (it flushes at each Run) and show the newest time")
                .changed()
            {
                out.push(SimRequest::SetFollow(follow));
            }
        }
    });
    if replay.ended {
        ui.colored_label(egui::Color32::from_rgb(240, 190, 90), replay.end_message());
    } else if replay.feed.following && now >= end {
        ui.label(format!("waiting for the job: newest spike at {end:.1} ms"));
    }
}

/// "a.dat" or "a.dat + 3 files".
fn files_text(replay: &Replay) -> String {
    let name = |p: &std::path::PathBuf| p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    match replay.files.as_slice() {
        [] => String::new(),
        [one] => name(one),
        [first, rest @ ..] => format!("{} + {} files", name(first), rest.len()),
    }
}

/// The inspector's part for a replay: the picked neuron's recorded spikes in the last second.
pub fn recorded_spikes(ui: &mut egui::Ui, view: &UiView, neuron: NeuronId) {
    if view.sim.replay.is_none() {
        return;
    }
    let net = view.sim.network();
    let now = net.time_ms();
    let history = &view.sim.history;
    if history.traced() != Some(neuron) {
        return;
    }
    let times: Vec<f64> = history.selected_spikes.iter().copied().collect();
    let rate = times.len() as f64 / (INSPECTOR_WINDOW_MS.min(now.max(net.dt_ms())) / 1000.0);
    ui.label(format!("recorded spikes in the last {INSPECTOR_WINDOW_MS:.0} ms: {} ({rate:.1} Hz)", times.len()));
    let points: Vec<[f64; 2]> = times.iter().map(|&t| [t, 1.0]).collect();
    let from = (now - INSPECTOR_WINDOW_MS).max(0.0);
    let spikes_plot = plot("recorded_spikes").height(50.0).allow_scroll(false).show_y(false);
    spikes_plot.include_y(0.0).include_y(2.0).include_x(from).include_x(now).show(ui, |p| {
        p.points(
            Points::new("spikes", PlotPoints::from(points)).radius(3.0).color(egui::Color32::from_rgb(255, 210, 120)),
        );
    });
}
