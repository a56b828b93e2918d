//! The bottom dock: spike raster (coloured by population, rows in id order = sorted by
//! population) with a population-rate strip, weight histograms over time, synchrony R(t) and
//! neuron/synapse counts. Clicking a spike in the raster picks its neuron.

use bevy_egui::egui;
use egui_plot::{HLine, Legend, Line, Plot, PlotPoints, Points};

use super::UiView;
use crate::app::history::{History, WEIGHT_BINS};
use crate::app::palette;
use crate::app::sim::SimRequest;
use crate::sim::NeuronId;

fn color32(c: [f32; 3]) -> egui::Color32 {
    let [r, g, b] = palette::to_srgb_u8(c);
    egui::Color32::from_rgb(r, g, b)
}

/// Draws the four plot columns.
pub fn plots(ui: &mut egui::Ui, view: &UiView, height: f32, out: &mut Vec<SimRequest>) {
    let h = height - 16.0;
    ui.columns(4, |cols| {
        raster(&mut cols[0], view, h, out);
        weights(&mut cols[1], &view.sim.history, &view.sim.network, h);
        synchrony(&mut cols[2], view, h);
        counts(&mut cols[3], &view.sim.history, h);
    });
}

fn raster(ui: &mut egui::Ui, view: &UiView, h: f32, out: &mut Vec<SimRequest>) {
    let sim = &view.sim;
    let net = &sim.network;
    let hist = &sim.history;
    let colors = &view.buffers.colors;
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
    let resp = Plot::new("raster")
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
    Plot::new("rates").height(70.0).allow_scroll(false).y_axis_label("Hz").x_axis_label("time (ms)").show(ui, |p| {
        for (k, s) in hist.rates.iter().enumerate() {
            let c = colors.get(k).copied().unwrap_or([0.8, 0.8, 0.8]);
            p.line(Line::new(net.populations[k].name.clone(), PlotPoints::from(s.to_vec())).color(color32(c)));
        }
    });
}

fn weights(ui: &mut egui::Ui, hist: &History, net: &crate::sim::Network, h: f32) {
    ui.label("Weights over time");
    if hist.weights.is_empty() {
        ui.label(egui::RichText::new("no plastic projection").small());
        return;
    }
    for (k, wh) in hist.weights.iter().enumerate() {
        let label = net.plasticity.get(k).map(|b| b.label.as_str()).unwrap_or("");
        ui.label(egui::RichText::new(format!("{label}: 0 … {:.3}", wh.w_hi)).small());
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
            ui.label(egui::RichText::new(format!("mean {:.4}", m)).small());
        }
    }
}

fn synchrony(ui: &mut egui::Ui, view: &UiView, h: f32) {
    let sim = &view.sim;
    ui.label("Synchrony R(t)");
    Plot::new("sync")
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
                let c = view.buffers.colors.get(k).copied().unwrap_or([0.8, 0.8, 0.8]);
                p.line(
                    Line::new(sim.network.populations[k].name.clone(), PlotPoints::from(s.to_vec())).color(color32(c)),
                );
            }
        });
}

fn counts(ui: &mut egui::Ui, hist: &History, h: f32) {
    ui.label("Neurons / synapses");
    let half = (h - 60.0) / 2.0;
    Plot::new("neuron_count").height(half).allow_scroll(false).include_y(0.0).show(ui, |p| {
        p.line(Line::new("neurons", PlotPoints::from(hist.neuron_count.to_vec())).color(egui::Color32::LIGHT_GREEN));
    });
    Plot::new("synapse_count").height(half).allow_scroll(false).include_y(0.0).show(ui, |p| {
        p.line(Line::new("synapses", PlotPoints::from(hist.synapse_count.to_vec())).color(egui::Color32::LIGHT_BLUE));
    });
}
