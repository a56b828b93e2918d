//! The progress of a scene or snapshot loading in the background: a window with what is loading,
//! the build's stage and a bar, while the rest of the app (and any running simulation) goes on.

use bevy::prelude::*;
use bevy_egui::{EguiContexts, egui};

use crate::app::bridge::Loading;

/// Draws the loading window while a [`Loading`] is in progress.
pub fn draw_loading(mut contexts: EguiContexts, loading: Option<Res<Loading>>) -> Result {
    let Some(loading) = loading else { return Ok(()) };
    let ctx = contexts.ctx_mut()?;
    let secs = loading.started.elapsed().as_secs_f64();
    egui::Window::new("Loading")
        .collapsible(false)
        .resizable(false)
        .anchor(egui::Align2::CENTER_CENTER, [0.0, 0.0])
        .show(ctx, |ui| {
            ui.label(egui::RichText::new(&loading.what).strong());
            match &loading.progress {
                Some(p) => {
                    let fraction = p.fraction() as f32;
                    ui.label(format!("{} · {secs:.1} s", p.stage().label()));
                    ui.add(egui::ProgressBar::new(fraction).show_percentage().desired_width(320.0));
                }
                None => {
                    ui.label(format!("reading · {secs:.1} s"));
                    ui.add(egui::ProgressBar::new(0.0).animate(true).desired_width(320.0));
                }
            }
        });
    // Keep redrawing while the bar moves.
    ctx.request_repaint();
    Ok(())
}
