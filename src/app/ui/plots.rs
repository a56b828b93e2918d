//! The bottom dock: spike raster (coloured by population, rows in id order = sorted by
//! population) with a population-rate strip, weight histograms over time, synchrony R(t) and
//! neuron/synapse counts. Clicking a spike in the raster picks its neuron.

use bevy_egui::egui;
use egui_plot::{AxisHints, GridInput, GridMark, HLine, Legend, Line, Plot, PlotPoints, Points, uniform_grid_spacer};

use super::UiView;
use crate::app::bridge::SimRequest;
use crate::app::history::{History, WEIGHT_BINS};
use crate::app::palette;
use crate::sim::NeuronId;

fn color32(c: [f32; 3]) -> egui::Color32 {
    let [r, g, b] = palette::to_srgb_u8(c);
    egui::Color32::from_rgb(r, g, b)
}

/// The smallest step of 1, 2 or 5 × 10^k that is at least `min` (> 0).
fn nice_step(min: f64) -> f64 {
    let decade = 10f64.powf(min.log10().floor());
    [1.0, 2.0, 5.0, 10.0].into_iter().map(|m| m * decade).find(|&s| s >= min * (1.0 - 1e-9)).unwrap_or(10.0 * decade)
}

/// The finer grid under a 1-2-5 step: a 1-2-5 step that divides it 4 or 5 times (1 → 0.2,
/// 2 → 0.5, 5 → 1), so its lines fall on the step's and sit too close for labels of their own.
fn fine_step(step: f64) -> f64 {
    let mantissa = step / 10f64.powf(step.log10().floor());
    if (mantissa - 2.0).abs() < 1e-6 { step / 4.0 } else { step / 5.0 }
}

/// Grid marks whose main step is the smallest 1-2-5 step at least `label_points` apart on screen,
/// with a finer (unlabelled) and a coarser one. egui_plot's default steps are powers of ten,
/// which in a small plot over, say, 0–5000 leave a single label ("0").
fn nice_spacer(label_points: f64) -> impl Fn(GridInput) -> Vec<GridMark> {
    uniform_grid_spacer(move |input: GridInput| {
        // `base_step_size` is egui_plot's minimum grid spacing (8 points) in data units.
        let per_point = input.base_step_size / 8.0;
        if !(per_point.is_finite() && per_point > 0.0) {
            return [1.0, 10.0, 100.0];
        }
        let main = nice_step(per_point * label_points);
        [fine_step(main), main, 10.0 * main]
    })
}

/// A tick label with as many decimals as its step needs (egui_plot's default rounds the
/// decimals of log10(step), which prints 0.5 as "0").
fn tick_label(mark: GridMark, _range: &std::ops::RangeInclusive<f64>) -> String {
    let decimals = (-mark.step_size.log10()).ceil().clamp(0.0, 12.0) as usize;
    format!("{:.*}", decimals, mark.value + 0.0) // + 0.0 turns -0 into 0
}

/// X tick labels closer than the first value (points) are hidden, and fade in up to the second:
/// room for 6 characters ("600000") in the dock's font.
const X_LABEL_SPACING: (f32, f32) = (44.0, 56.0);
/// The same for y tick labels: one line high.
const Y_LABEL_SPACING: (f32, f32) = (16.0, 22.0);

/// A plot whose axes get readable labels however small it is: the labelled grid step is the
/// smallest 1-2-5 step that gives labels at full strength.
pub(crate) fn plot<'a>(id: impl egui::AsId) -> Plot<'a> {
    let (x, y) = (X_LABEL_SPACING, Y_LABEL_SPACING);
    Plot::new(id)
        .custom_x_axes(vec![AxisHints::new_x().label_spacing(x.0..=x.1)])
        .custom_y_axes(vec![AxisHints::new_y().label_spacing(y.0..=y.1)])
        .x_grid_spacer(nice_spacer(x.1 as f64))
        .y_grid_spacer(nice_spacer(y.1 as f64))
        .x_axis_formatter(tick_label)
        .y_axis_formatter(tick_label)
}

/// Draws the plot columns (the weight column only when a projection is plastic).
pub fn plots(ui: &mut egui::Ui, view: &UiView, height: f32, out: &mut Vec<SimRequest>) {
    let h = height - 16.0;
    let history = &view.sim.history;
    if history.weights.is_empty() {
        ui.columns(3, |cols| {
            raster(&mut cols[0], view, h, out);
            synchrony(&mut cols[1], view, h);
            counts(&mut cols[2], history, h);
        });
    } else {
        ui.columns(4, |cols| {
            raster(&mut cols[0], view, h, out);
            weights(&mut cols[1], history, &view.sim.engine, h);
            synchrony(&mut cols[2], view, h);
            counts(&mut cols[3], history, h);
        });
    }
}

fn raster(ui: &mut egui::Ui, view: &UiView, h: f32, out: &mut Vec<SimRequest>) {
    let sim = &view.sim;
    let net = &sim.engine.network;
    let hist = &sim.history;
    let colors = &view.buffers.neurons.colors;
    let pops = net.populations.len();
    let mut per_pop: Vec<Vec<[f64; 2]>> = vec![Vec::new(); pops];
    for &(t, n) in &hist.raster {
        let p = net.neurons.population[n as usize].index();
        per_pop[p].push([t, n as f64]);
    }
    ui.label(format!(
        "Spike raster (every {} neuron{})",
        hist.raster_stride,
        if hist.raster_stride > 1 { "s" } else { "" }
    ));
    let resp = plot("raster")
        .height((h - 110.0).max(60.0))
        .show_axes([false, true])
        .allow_scroll(false)
        .y_axis_label("neuron")
        .legend(Legend::default())
        .show(ui, |p| {
            for (k, pts) in per_pop.into_iter().enumerate() {
                if pts.is_empty() {
                    continue;
                }
                let c = colors.get(k).copied().unwrap_or([0.8, 0.8, 0.8]);
                p.points(
                    Points::new(net.populations[k].name.clone(), PlotPoints::from(pts)).radius(1.2).color(color32(c)),
                );
            }
            if let Some(sel) = view.selection.0 {
                p.hline(HLine::new("selected", sel.0 as f64).color(egui::Color32::WHITE).width(1.0));
            }
            p.pointer_coordinate()
        });
    if resp.response.clicked()
        && let Some(c) = resp.inner
    {
        // The nearest spike to the click, in plot units scaled by the axes' spans.
        let b = resp.transform.bounds();
        let (sx, sy) = (b.width().max(1e-9), b.height().max(1e-9));
        let best = hist
            .raster
            .iter()
            .map(|&(t, n)| (((t - c.x) / sx).powi(2) + ((n as f64 - c.y) / sy).powi(2), n))
            .min_by(|a, b| a.0.total_cmp(&b.0));
        if let Some((d, n)) = best
            && d < 0.02f64.powi(2)
        {
            out.push(SimRequest::Select(Some(NeuronId(n))));
        }
    }
    plot("rates").height(70.0).allow_scroll(false).y_axis_label("Hz").x_axis_label("time (ms)").show(ui, |p| {
        for (k, s) in hist.rates.iter().enumerate() {
            let c = colors.get(k).copied().unwrap_or([0.8, 0.8, 0.8]);
            p.line(Line::new(net.populations[k].name.clone(), PlotPoints::from(s.to_vec())).color(color32(c)));
        }
    });
}

fn weights(ui: &mut egui::Ui, hist: &History, engine: &crate::engine::Simulation, h: f32) {
    ui.label("Weights over time");
    if hist.weights.is_empty() {
        ui.label(egui::RichText::new("no plastic projection").small());
        return;
    }
    for (k, wh) in hist.weights.iter().enumerate() {
        let binding = engine.synaptic.get(k);
        let label = binding.map(crate::engine::registry::SynapticBinding::label).unwrap_or("");
        // Weights in the unit of the projection's target (pA, nS), as the inspector shows them.
        let unit = binding
            .and_then(|b| engine.network.populations.get(b.scope().target.index()))
            .map_or("", |p| p.model.weight_unit());
        ui.label(egui::RichText::new(format!("{label}: 0 … {:.3} {unit}", wh.w_hi)).small());
        let height = ((h - 60.0) / hist.weights.len() as f32 - 20.0).clamp(30.0, 140.0);
        let (rect, _) = ui.allocate_exact_size(egui::vec2(ui.available_width(), height), egui::Sense::hover());
        let painter = ui.painter_at(rect);
        painter.rect_filled(rect, 0.0, egui::Color32::from_rgb(10, 10, 16));
        let cols = wh.columns.len().max(1);
        let cw = rect.width() / cols as f32;
        let bh = rect.height() / WEIGHT_BINS as f32;
        for (ci, (_, column)) in wh.columns.iter().enumerate() {
            let peak = column.iter().copied().fold(0.0f32, f32::max).max(1e-9);
            for (bi, &f) in column.iter().enumerate() {
                if f <= 0.0 {
                    continue;
                }
                let [r, g, b] = palette::viridis((f / peak).sqrt());
                let x = rect.left() + ci as f32 * cw;
                let y = rect.bottom() - (bi + 1) as f32 * bh;
                painter.rect_filled(
                    egui::Rect::from_min_size(egui::pos2(x, y), egui::vec2(cw.max(1.0), bh.max(1.0))),
                    0.0,
                    egui::Color32::from_rgb(r, g, b),
                );
            }
        }
        if let Some(m) = wh.mean.last() {
            ui.label(egui::RichText::new(format!("mean {m:.4} {unit}")).small());
        }
    }
}

fn synchrony(ui: &mut egui::Ui, view: &UiView, h: f32) {
    let sim = &view.sim;
    ui.label("Synchrony R(t)");
    plot("sync")
        .height(h - 40.0)
        .include_y(0.0)
        .include_y(1.0)
        .allow_scroll(false)
        .x_axis_label("time (ms)")
        .legend(Legend::default())
        .show(ui, |p| {
            for (k, s) in sim.history.sync.iter().enumerate() {
                if s.points.is_empty() {
                    continue;
                }
                let c = view.buffers.neurons.colors.get(k).copied().unwrap_or([0.8, 0.8, 0.8]);
                p.line(
                    Line::new(sim.engine.network.populations[k].name.clone(), PlotPoints::from(s.to_vec()))
                        .color(color32(c)),
                );
            }
        });
}

fn counts(ui: &mut egui::Ui, hist: &History, h: f32) {
    // The counts now, in the heading: the small plots' axes cannot always label them.
    let now = |s: &crate::app::history::Series| s.last().map_or(String::new(), |v| format!(" {v:.0}"));
    ui.label(format!("Neurons{} / synapses{}", now(&hist.neuron_count), now(&hist.synapse_count)));
    let half = (h - 60.0) / 2.0;
    plot("neuron_count").height(half).allow_scroll(false).include_y(0.0).y_axis_label("neurons").show(ui, |p| {
        p.line(Line::new("neurons", PlotPoints::from(hist.neuron_count.to_vec())).color(egui::Color32::LIGHT_GREEN));
    });
    plot("synapse_count")
        .height(half)
        .allow_scroll(false)
        .include_y(0.0)
        .y_axis_label("synapses")
        .x_axis_label("time (ms)")
        .show(ui, |p| {
            p.line(
                Line::new("synapses", PlotPoints::from(hist.synapse_count.to_vec())).color(egui::Color32::LIGHT_BLUE),
            );
        });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nice_steps_are_one_two_five_times_a_power_of_ten() {
        assert_eq!(nice_step(1.0), 1.0);
        assert_eq!(nice_step(1.3), 2.0);
        assert_eq!(nice_step(2.0), 2.0);
        assert_eq!(nice_step(3.0), 5.0);
        assert_eq!(nice_step(6.0), 10.0);
        assert_eq!(nice_step(430.0), 500.0);
        assert!((nice_step(0.013) - 0.02).abs() < 1e-15);
        assert_eq!(fine_step(500.0), 100.0);
        assert_eq!(fine_step(200.0), 50.0);
        assert_eq!(fine_step(1000.0), 200.0);
    }

    #[test]
    fn tick_labels_keep_the_decimals_their_step_needs() {
        let label = |value, step_size| tick_label(GridMark { value, step_size }, &(0.0..=1.0));
        assert_eq!(label(0.5, 0.5), "0.5");
        assert_eq!(label(0.4, 0.2), "0.4");
        assert_eq!(label(2000.0, 2000.0), "2000");
        assert_eq!(label(0.05, 0.05), "0.05");
        assert_eq!(label(-0.0, 1.0), "0");
    }
}
