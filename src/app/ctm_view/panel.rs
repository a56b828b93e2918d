//! The CTM panel: playback (play, step, tick slider), maze controls (new maze, size, teleport,
//! attention head), the certainty curve, traces of picked neurons, the synchronisation matrices and
//! the model's measured figures.

use bevy::prelude::*;
use bevy_egui::{EguiContexts, EguiPrimaryContextPass, egui};
use egui_plot::{Legend, Line, PlotPoints, Points, VLine};

use crate::app::ui::plots::plot;

use super::CtmState;
use crate::app::palette::viridis;
use crate::ctm::eval::evaluate;

/// The panel and the keyboard shortcuts of the CTM scene.
pub struct CtmPanelPlugin;

impl Plugin for CtmPanelPlugin {
    fn build(&self, app: &mut App) {
        app.add_systems(Update, (keys, collect_measurement)).add_systems(EguiPrimaryContextPass, panel);
    }
}

/// Space plays/pauses, `.` steps one tick, N new maze, T teleports.
fn keys(keys: Res<ButtonInput<KeyCode>>, mut state: ResMut<CtmState>) {
    if keys.just_pressed(KeyCode::Space) {
        state.playing = !state.playing;
    }
    if keys.just_pressed(KeyCode::Period) {
        step(&mut state);
    }
    if keys.just_pressed(KeyCode::KeyN) {
        let c = state.cells;
        state.new_maze(c);
    }
    if keys.just_pressed(KeyCode::KeyT) {
        state.teleport();
    }
}

fn step(state: &mut CtmState) {
    state.playing = false;
    state.tick = (state.tick + 1) % state.run.ticks.max(1);
    state.version += 1;
}

/// Picks up a finished background measurement.
fn collect_measurement(mut state: ResMut<CtmState>) {
    if state.measurement.as_ref().is_some_and(std::thread::JoinHandle::is_finished)
        && let Some(h) = state.measurement.take()
    {
        state.measured = h.join().ok();
    }
}

fn panel(
    mut contexts: EguiContexts,
    mut state: ResMut<CtmState>,
    mut camera: Query<&mut Camera, With<super::CtmCamera>>,
    window: Query<&Window, With<bevy::window::PrimaryWindow>>,
) -> Result {
    let ctx = contexts.ctx_mut()?;
    let width = (ctx.viewport_rect().width() * 0.3).clamp(300.0, 460.0);
    let mut root = egui::Ui::new(
        ctx.clone(),
        "ctm_root".into(),
        egui::UiBuilder::new().layer_id(egui::LayerId::background()).max_rect(ctx.viewport_rect()),
    );
    let used = egui::Panel::right("ctm_panel")
        .exact_size(width)
        .resizable(false)
        .show(&mut root, |ui| {
            egui::ScrollArea::vertical().show(ui, |ui| contents(ui, &mut state));
        })
        .response
        .rect
        .width();
    // The 3D view takes the area left of the panel.
    if let (Ok(mut cam), Ok(window)) = (camera.single_mut(), window.single()) {
        let (w, h) = (window.physical_width(), window.physical_height());
        let right = (used * window.scale_factor()) as u32;
        let viewport = (right + 64 < w).then(|| bevy::camera::Viewport {
            physical_position: UVec2::ZERO,
            physical_size: UVec2::new(w - right, h),
            ..default()
        });
        if cam.viewport.as_ref().map(|v| v.physical_size) != viewport.as_ref().map(|v| v.physical_size) {
            cam.viewport = viewport;
        }
    }
    Ok(())
}

fn contents(ui: &mut egui::Ui, state: &mut CtmState) {
    let c = state.model.config().clone();
    ui.heading(&state.name);
    ui.label(format!(
        "{} parameters · {} ticks · {}×{} canvas · {} heads · D = {}",
        state.model.parameter_count(),
        c.ticks,
        c.canvas,
        c.canvas,
        c.heads,
        c.d_model
    ));
    ui.small(format!(
        "forward pass {:.2} ms ({:.0} µs per tick, featuriser included)",
        state.forward_ms,
        state.forward_ms * 1e3 / c.ticks as f64
    ));
    ui.separator();

    // Playback.
    let most = state.run.most_certain_tick();
    ui.horizontal(|ui| {
        if ui.button(if state.playing { "⏸ Pause" } else { "▶ Play" }).clicked() {
            state.playing = !state.playing;
        }
        if ui.button("Step").clicked() {
            step(state);
        }
        let mut t = state.tick + 1;
        let last = state.run.ticks.max(1);
        if ui.add(egui::Slider::new(&mut t, 1..=last).text("tick")).changed() {
            state.playing = false;
            state.tick = t - 1;
            state.version += 1;
        }
    });
    ui.label(format!(
        "tick {} of {} · certainty {:.3} · most certain tick {}",
        state.tick + 1,
        state.run.ticks,
        state.run.certainty.get(state.tick).copied().unwrap_or(0.0),
        most + 1
    ));

    // Maze.
    ui.separator();
    ui.horizontal(|ui| {
        if ui.button("New maze").clicked() {
            let cells = state.cells;
            state.new_maze(cells);
        }
        let mut cells = state.cells;
        if ui.add(egui::Slider::new(&mut cells, 2..=c.max_cells()).text("cells")).changed() {
            state.new_maze(cells);
        }
    });
    ui.horizontal(|ui| {
        if ui.button("Teleport").on_hover_text("move the start to where the answer's walk ends").clicked() {
            state.teleport();
        }
        let (reached, apps) = state.reaches_goal();
        ui.label(if reached {
            format!("reaches the goal in {apps} application{}", if apps == 1 { "" } else { "s" })
        } else {
            "does not reach the goal (20 applications)".to_string()
        });
    });
    ui.small("Left click on the maze moves the start, right click the goal.");
    ui.horizontal(|ui| {
        ui.label("attention:");
        ui.radio_value(&mut state.head, -1, "mean");
        for h in 0..c.heads as i32 {
            ui.radio_value(&mut state.head, h, format!("head {}", h + 1));
        }
    });
    if ui.ctx().input(|i| i.pointer.any_released()) {
        state.version += 1;
    }

    // Certainty over ticks.
    ui.separator();
    ui.strong("Certainty per tick");
    let cert: Vec<[f64; 2]> =
        state.run.certainty.iter().enumerate().map(|(t, &v)| [t as f64 + 1.0, v as f64]).collect();
    plot("certainty").height(110.0).include_y(0.0).include_y(1.0).allow_scroll(false).show(ui, |p| {
        p.line(Line::new("certainty", PlotPoints::from(cert.clone())).width(2.0));
        p.points(Points::new("most certain", vec![cert.get(most).copied().unwrap_or([1.0, 0.0])]).radius(5.0));
        p.vline(VLine::new("shown", state.tick as f64 + 1.0).color(egui::Color32::WHITE));
    });

    // Traces of picked neurons.
    ui.separator();
    ui.horizontal(|ui| {
        ui.strong("Neurons");
        let mut n = state.picked.first().copied().unwrap_or(0);
        if ui.add(egui::DragValue::new(&mut n).range(0..=c.d_model - 1).prefix("pick ")).changed() {
            state.picked.retain(|&p| p != n);
            state.picked.insert(0, n);
            state.picked.truncate(4);
            state.version += 1;
        }
    });
    plot("traces").height(130.0).legend(Legend::default()).allow_scroll(false).show(ui, |p| {
        for &n in &state.picked {
            let pre: Vec<[f64; 2]> =
                (0..state.run.ticks).map(|t| [t as f64 + 1.0, state.run.pre_at(t)[n] as f64]).collect();
            let post: Vec<[f64; 2]> =
                (0..state.run.ticks).map(|t| [t as f64 + 1.0, state.run.post_at(t)[n] as f64]).collect();
            p.line(Line::new(format!("{n} pre"), PlotPoints::from(pre)).style(egui_plot::LineStyle::dashed_loose()));
            p.line(Line::new(format!("{n} post"), PlotPoints::from(post)).width(2.0));
        }
        p.vline(VLine::new("shown", state.tick as f64 + 1.0).color(egui::Color32::WHITE));
    });

    // Synchronisation matrices.
    ui.separator();
    ui.strong("Synchronisation (pairs × ticks)");
    for (label, rows) in [("output", c.n_sync_out), ("action", c.n_sync_action)] {
        ui.small(label);
        let data: Vec<Vec<f32>> = (0..state.run.ticks)
            .map(|t| {
                if label == "output" { state.run.sync_out_at(t).to_vec() } else { state.run.sync_action_at(t).to_vec() }
            })
            .collect();
        matrix(ui, &data, rows, state.tick);
    }

    // Measured figures.
    ui.separator();
    ui.strong("Measured");
    match (&state.measured, &state.measurement) {
        (_, Some(_)) => {
            ui.label("measuring 1,000 mazes…");
        }
        (Some(r), None) => {
            ui.label(format!(
                "{}×{} cells, {} mazes (seed 7): per-step {:.3}, full route {:.3}, goal reach {:.3}",
                r.cells, r.cells, r.mazes, r.step_accuracy, r.route_accuracy, r.goal_reach
            ));
        }
        (None, None) if c.canvas == 11 => {
            ui.label("README.md: 5×5 cells, 1,000 unseen mazes: goal reach 0.990, per-step 0.927.");
        }
        (None, None) => {
            ui.label("README.md: 5×5 / 7×7 / 9×9 cells, 1,000 unseen mazes: goal reach 0.991 / 0.689 / 0.371.");
        }
    }
    if state.measurement.is_none() && ui.button(format!("Measure on 1,000 {0}×{0} mazes", state.cells)).clicked() {
        let (model, cells) = (state.model.clone(), state.cells);
        state.measurement = Some(std::thread::spawn(move || evaluate(&model, cells, 1000, 7)));
    }
}

/// A heatmap of `data` (ticks × rows) with a column per tick, the shown tick outlined.
fn matrix(ui: &mut egui::Ui, data: &[Vec<f32>], rows: usize, shown: usize) {
    let cols = data.len().max(1);
    let (rect, _) = ui.allocate_exact_size(egui::vec2(ui.available_width(), 70.0), egui::Sense::hover());
    let painter = ui.painter_at(rect);
    let max = data.iter().flatten().fold(1e-6f32, |m, v| m.max(v.abs()));
    let (cw, rh) = (rect.width() / cols as f32, rect.height() / rows.max(1) as f32);
    for (t, col) in data.iter().enumerate() {
        for (r, &v) in col.iter().enumerate().take(rows) {
            let [red, green, blue] = viridis(0.5 + 0.5 * v / max);
            let min = rect.min + egui::vec2(t as f32 * cw, r as f32 * rh);
            painter.rect_filled(
                egui::Rect::from_min_size(min, egui::vec2(cw + 0.5, rh + 0.5)),
                0.0,
                egui::Color32::from_rgb(red, green, blue),
            );
        }
    }
    let x = rect.min.x + shown as f32 * cw;
    painter.rect_stroke(
        egui::Rect::from_min_size(egui::pos2(x, rect.min.y), egui::vec2(cw, rect.height())),
        0.0,
        egui::Stroke::new(1.5, egui::Color32::WHITE),
        egui::StrokeKind::Inside,
    );
}
