//! The inspector of the picked neuron (values, voltage trace, strongest synapses, stimulate) and
//! the hover tooltip.

use bevy_egui::egui;
use egui_plot::{Line, PlotPoints};

use super::plots::plot;

use super::UiView;
use crate::app::bridge::SimRequest;
use crate::sim::{Network, NeuronId};

/// Most synapses listed per direction.
const LISTED: usize = 12;

fn last_spike_text(net: &Network, i: usize) -> String {
    let last = net.neurons.last_spike[i];
    if last == u64::MAX { "never".into() } else { format!("{:.1} ms", last as f64 * net.dt_ms()) }
}

/// The inspector window for the picked neuron.
pub fn inspector(ctx: &egui::Context, view: &UiView, out: &mut Vec<SimRequest>) {
    let Some(sel) = view.selection.0 else { return };
    let net = &view.sim.engine.network;
    let i = sel.index();
    if i >= net.num_neurons() {
        return;
    }
    let pop = &net.populations[net.neurons.population[i].index()];
    let mut open = true;
    let title = match view.sim.neuron_name(sel.0) {
        Some(name) => format!("Neuron {} · {name}", sel.0),
        None => format!("Neuron {}", sel.0),
    };
    egui::Window::new(title).open(&mut open).default_pos([300.0, 60.0]).default_width(330.0).show(ctx, |ui| {
        egui::Grid::new("inspector_values").num_columns(2).show(ui, |ui| {
            let p = net.neurons.position[i];
            for (k, v) in [
                ("population", pop.name.clone()),
                ("model", pop.model.name().to_string()),
                ("V", format!("{:.2} mV", net.neurons.v[i])),
                ("last spike", last_spike_text(net, i)),
                ("threshold offset", format!("{:.3} mV", net.neurons.theta[i])),
                ("position", format!("({:.0}, {:.0}, {:.0}) µm", p[0], p[1], p[2])),
                ("born", born_text(view, i)),
            ] {
                ui.label(k);
                ui.label(v);
                ui.end_row();
            }
        });
        ui.horizontal(|ui| {
            if ui.button("Stimulate 20 ms").clicked() {
                out.push(SimRequest::Stimulate { neurons: vec![sel.0], amplitude_pa: 1000.0, duration_ms: 20.0 });
            }
            if ui.button("Deselect").clicked() {
                out.push(SimRequest::Select(None));
            }
        });
        let trace: Vec<[f64; 2]> = view.sim.history.trace.iter().copied().collect();
        plot("voltage_trace").height(120.0).allow_scroll(false).y_axis_label("mV").show(ui, |p| {
            p.line(Line::new("V", PlotPoints::from(trace)).color(egui::Color32::from_rgb(120, 220, 200)));
        });
        let syn = &net.synapses;
        let mut outgoing: Vec<(f32, u32)> = syn.row(sel).map(|s| (syn.weight[s], syn.post(s).0)).collect();
        outgoing.sort_by(|a, b| b.0.abs().total_cmp(&a.0.abs()));
        ui.label(format!("outgoing synapses: {} (strongest first)", outgoing.len()));
        egui::Grid::new("outgoing").striped(true).show(ui, |ui| {
            for (w, post) in outgoing.iter().take(LISTED) {
                if ui.link(format!("→ {post}")).clicked() {
                    out.push(SimRequest::Select(Some(NeuronId(*post))));
                }
                ui.label(format!("{w:.3}"));
                ui.end_row();
            }
        });
    });
    if !open {
        out.push(SimRequest::Select(None));
    }
}

/// A tooltip with the hovered neuron's values.
pub fn hover_tooltip(ctx: &egui::Context, view: &UiView) {
    let Some(h) = view.hovered.0 else { return };
    let net = &view.sim.engine.network;
    let i = h.index();
    if i >= net.num_neurons() {
        return;
    }
    let Some(pos) = ctx.pointer_hover_pos() else { return };
    let pop = &net.populations[net.neurons.population[i].index()];
    egui::Area::new("hover".into()).fixed_pos(pos + egui::vec2(14.0, 14.0)).interactable(false).show(ctx, |ui| {
        egui::Frame::popup(ui.style()).show(ui, |ui| {
            match view.sim.neuron_name(h.0) {
                Some(name) => ui.label(format!("{name} · neuron {} · {}", h.0, pop.name)),
                None => ui.label(format!("neuron {} · {}", h.0, pop.name)),
            };
            ui.label(format!("V = {:.2} mV · last spike {}", net.neurons.v[i], last_spike_text(net, i)));
            ui.label(format!("{} outgoing synapses", net.synapses.row(h).len()));
        });
    });
}

/// When and from which parent a neuron was born, if it was born while running.
fn born_text(view: &UiView, i: usize) -> String {
    let born = view.ids.neurons.get(i).and_then(|&e| view.born.get(e).ok());
    match born {
        Some(b) => match b.parent {
            Some(parent) => format!("at {:.1} ms, from neuron {}", b.time_ms, parent.0),
            None => format!("at {:.1} ms", b.time_ms),
        },
        None => "with the scene (t = 0)".to_string(),
    }
}
