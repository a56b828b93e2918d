//! The inspector of the picked neuron (values, voltage trace, its strongest incoming and outgoing
//! synapses with their units, stimulate) and the hover tooltip.

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

/// The synapses arriving at the picked neuron: a scan of the synapse table, done again only when
/// the pick or the table changes (weights are read each frame at the synapses found).
#[derive(Debug, Default)]
pub struct Incoming {
    /// (neuron, synapse count, next synapse id) the list was made for.
    key: Option<(u32, usize, u32)>,
    /// Their indices in the synapse table.
    synapses: Vec<usize>,
}

impl Incoming {
    /// The indices of the synapses onto `post` (scanned when stale).
    fn of(&mut self, net: &Network, post: NeuronId) -> &[usize] {
        let key = (post.0, net.num_synapses(), net.next_synapse_id().0);
        if self.key != Some(key) {
            let syn = &net.synapses;
            self.synapses = (0..net.num_synapses()).filter(|&s| syn.post(s) == post).collect();
            self.key = Some(key);
        }
        &self.synapses
    }
}

/// A list of synapses (weight with its unit, the other neuron as a link), strongest first.
fn synapse_list(ui: &mut egui::Ui, id: &str, word: &str, mut rows: Vec<(f32, u32, &str)>, out: &mut Vec<SimRequest>) {
    rows.sort_by(|a, b| b.0.abs().total_cmp(&a.0.abs()));
    egui::Grid::new(id).striped(true).show(ui, |ui| {
        for (w, other, unit) in rows.iter().take(LISTED) {
            if ui.link(format!("{word} {other}")).clicked() {
                out.push(SimRequest::Select(Some(NeuronId(*other))));
            }
            ui.label(format!("{w:.3} {unit}"));
            ui.end_row();
        }
    });
}

/// The inspector window for the picked neuron.
pub fn inspector(ctx: &egui::Context, view: &UiView, incoming: &mut Incoming, out: &mut Vec<SimRequest>) {
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
            let unrecorded = view.sim.replay.as_ref().is_some_and(|r| !r.feed.records_voltage(sel.0));
            let v = if unrecorded { "not recorded".to_string() } else { format!("{:.2} mV", net.neurons.v[i]) };
            for (k, v) in [
                ("population", pop.name.clone()),
                ("model", pop.model.name().to_string()),
                ("V", v),
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
            if view.sim.replay.is_none() && ui.button("Stimulate 20 ms").clicked() {
                out.push(SimRequest::Stimulate { neurons: vec![sel.0], amplitude_pa: 1000.0, duration_ms: 20.0 });
            }
            if ui.button("Deselect").clicked() {
                out.push(SimRequest::Select(None));
            }
        });
        path_line(ui, view, out);
        if view.sim.replay.is_some() {
            super::replay::recorded_spikes(ui, view, sel);
        }
        if view.sim.replay.as_ref().is_none_or(|r| r.feed.records_voltage(sel.0)) {
            let trace: Vec<[f64; 2]> = view.sim.history.trace.iter().copied().collect();
            plot("voltage_trace").height(120.0).allow_scroll(false).y_axis_label("mV").show(ui, |p| {
                p.line(Line::new("V", PlotPoints::from(trace)).color(egui::Color32::from_rgb(120, 220, 200)));
            });
        }
        let syn = &net.synapses;
        let unit_of = |n: NeuronId| net.populations[net.neurons.population[n.index()].index()].model.weight_unit();
        let inputs: Vec<(f32, u32, &str)> =
            incoming.of(net, sel).iter().map(|&s| (syn.weight[s], syn.pre(s).0, unit_of(sel))).collect();
        ui.label(format!("incoming synapses: {} (strongest first)", inputs.len()));
        synapse_list(ui, "incoming", "from", inputs, out);
        let outputs: Vec<(f32, u32, &str)> =
            syn.row(sel).map(|s| (syn.weight[s], syn.post(s).0, unit_of(syn.post(s)))).collect();
        ui.label(format!("outgoing synapses: {} (strongest first)", outputs.len()));
        synapse_list(ui, "outgoing", "to", outputs, out);
    });
    if !open {
        out.push(SimRequest::Select(None));
    }
}

/// The shortest path from the picked neuron, when one is asked for: its neurons as links.
fn path_line(ui: &mut egui::Ui, view: &UiView, out: &mut Vec<SimRequest>) {
    let Some(path) = &view.path else { return };
    let Some(to) = path.to else {
        ui.label(egui::RichText::new("Ctrl+click another neuron for the shortest path to it").small());
        return;
    };
    match &path.synapses {
        Some(s) => {
            ui.label(format!("shortest path to {}: {} synapses (drawn in yellow)", to.0, s.len()));
            ui.horizontal_wrapped(|ui| {
                for (k, &n) in path.neurons.iter().enumerate() {
                    if k > 0 {
                        ui.label(">");
                    }
                    if ui.link(n.to_string()).clicked() {
                        out.push(SimRequest::Select(Some(NeuronId(n))));
                    }
                }
            });
        }
        None if path.unreachable => {
            ui.colored_label(egui::Color32::from_rgb(240, 180, 90), format!("no path of synapses reaches {}", to.0));
        }
        None => {}
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The incoming list is every synapse onto the neuron, and follows a change of the table.
    #[test]
    fn incoming_synapses_are_those_onto_the_neuron() {
        let text = r#"Scene(version: 1, name: "star", dt: "0.1 ms", seed: 1,
            populations: [(name: "A", size: 4, model: LifCurrent(), layout: Grid(center: (0.0, 0.0, 0.0), spacing: 10.0))],
            projections: [(source: "A", target: "A", connectivity: Pairs([(0, 3), (1, 3), (2, 3), (3, 0)]), weight: Constant("5 pA"))],
        )"#;
        let sim = crate::scene::Scene::parse(text, "star").unwrap().build(None).unwrap();
        let net = &sim.network;
        let mut incoming = Incoming::default();
        let mut pre: Vec<u32> = incoming.of(net, NeuronId(3)).iter().map(|&s| net.synapses.pre(s).0).collect();
        pre.sort_unstable();
        assert_eq!(pre, [0, 1, 2]);
        let onto_0: Vec<u32> = incoming.of(net, NeuronId(0)).iter().map(|&s| net.synapses.pre(s).0).collect();
        assert_eq!(onto_0, [3], "a new pick scans again");
        assert_eq!(net.populations[0].model.weight_unit(), "pA");
    }
}
