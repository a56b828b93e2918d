//! The Graph section of the right panel: the network's structure as the graph measures see it,
//! their history over biological time, and what neurons are coloured by.

use bevy_egui::egui;
use egui_plot::{Corner, Legend, Line, PlotPoints};

use super::plots::plot;
use super::{UiSettings, UiView};
use crate::app::graph::{GraphColor, GraphPoint};

/// The measures, their plots and the colouring choice.
pub fn graph_section(ui: &mut egui::Ui, view: &UiView, settings: &mut UiSettings) {
    egui::CollapsingHeader::new("Graph").default_open(true).show(ui, |ui| {
        let v = &mut settings.view;
        egui::ComboBox::from_label("colour neurons by").selected_text(v.graph_color.label()).show_ui(ui, |ui| {
            for c in GraphColor::ALL {
                ui.selectable_value(&mut v.graph_color, c, c.label());
            }
        });
        ui.checkbox(&mut v.size_by_degree, "size neurons by degree")
            .on_hover_text("radius from 0.6× (no synapse) to 2× (the 99th percentile of in + out degree)");
        if v.color_by_voltage && v.graph_color != GraphColor::Population {
            ui.label(egui::RichText::new("(membrane-potential colouring is on and takes precedence)").small());
        }
        let Some(graph) = view.graph.as_ref() else { return };
        let synapses = view.sim.network().num_synapses();
        if synapses > graph.max_synapses {
            ui.label(format!(
                "not measured while it runs: {synapses} synapses, above {} (the copy would cost the frame); `neuroplast graph` measures it",
                graph.max_synapses
            ));
        }
        let Some(latest) = &graph.latest else {
            ui.label(if graph.busy() { "measuring…" } else { "no measures yet" });
            return;
        };
        let m = &latest.measures;
        ui.label(format!(
            "at t = {:.0} ms: {} edges ({} synapses), density {:.4}",
            m.time_ms, m.edges, m.synapses, m.density
        ));
        ui.label(format!(
            "reciprocity {:.3} · clustering {} · largest strong component {} of {}",
            m.reciprocity,
            m.clustering.map_or("—".into(), |c| format!("{c:.3}")),
            m.largest_strong,
            m.neurons
        ));
        ui.label(format!(
            "{} communities, modularity {:.3} · mean degree {:.2} · max core {}",
            m.communities, m.modularity, m.out_degree.mean, m.max_core
        ));
        if m.paths.component >= 2 {
            ui.label(format!("path length {:.2} hops in the largest strong component", m.paths.mean_hops));
        }
        ui.label(
            egui::RichText::new(format!(
                "measured off the frame every {:.1} s, {:.0} ms each{}",
                graph.interval.as_secs_f64(),
                latest.compute_ms,
                if graph.busy() { " (measuring)" } else { "" }
            ))
            .small(),
        );
        let series = |f: fn(&GraphPoint) -> f64| -> PlotPoints {
            graph.history.iter().filter(|p| f(p).is_finite()).map(|p| [p.time_ms, f(p)]).collect()
        };
        plot("graph_fractions")
            .height(140.0)
            .legend(Legend::default().position(Corner::LeftBottom))
            .allow_scroll(false)
            .x_axis_label("t (ms)")
            .y_axis_label("fraction")
            .show(ui, |p| {
                p.line(Line::new("reciprocity", series(|p| p.reciprocity)).width(1.5));
                p.line(Line::new("clustering", series(|p| p.clustering)).width(1.5));
                p.line(Line::new("largest SCC / n", series(|p| p.largest_scc)).width(1.5));
                p.line(Line::new("modularity", series(|p| p.modularity)).width(1.5));
            });
        plot("graph_degree").height(80.0).allow_scroll(false).x_axis_label("t (ms)").y_axis_label("mean degree").show(
            ui,
            |p| {
                p.line(Line::new("mean degree", series(|p| p.mean_degree)).width(1.5));
            },
        );
    });
}
