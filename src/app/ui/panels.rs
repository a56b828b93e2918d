//! The left panel (scene, gallery, transport, display, stimulus) and the right panel (a slider
//! for every parameter of every rule, with the rule's curve beside them).

use bevy_egui::egui;
use egui_plot::{HLine, Line, PlotPoints, Points};

use super::plots::plot;

use super::sliders::param_slider;
use super::{UiSettings, UiView};
use crate::app::bridge::{SPEED_RANGE, SimRequest};
use crate::engine::PlasticityRule;
use crate::plasticity::{AstroStdp, RewardStdp};

/// The layout menu, the force layout's progress and saving the layout shown into the scene.
fn layout_choice(ui: &mut egui::Ui, settings: &mut UiSettings, out: &mut Vec<SimRequest>) {
    use crate::app::layout::{FORCE_ITERATIONS, LayoutMode};
    let Some(layout) = settings.layout.as_mut() else { return };
    egui::ComboBox::from_label("layout").selected_text(layout.mode.label()).show_ui(ui, |ui| {
        for m in LayoutMode::ALL {
            if m != LayoutMode::Saved || layout.has_saved {
                ui.selectable_value(&mut layout.mode, m, m.label());
            }
        }
    });
    if layout.mode == LayoutMode::Force {
        let (done, moving) = (layout.force_iterations, layout.moving());
        ui.label(if moving && done < FORCE_ITERATIONS {
            format!("settling: {done} of {FORCE_ITERATIONS} iterations")
        } else {
            format!("{done} iterations (Barnes–Hut θ = 1.2)")
        });
    }
    if layout.mode != LayoutMode::Spatial
        && ui
            .add_enabled(!layout.moving(), egui::Button::new("Save layout into scene…"))
            .on_hover_text("a copy of the scene with every neuron at the position shown")
            .clicked()
        && let Some(p) = rfd::FileDialog::new().add_filter("scene", &["ron"]).save_file()
    {
        let built = layout.built.min(layout.positions.len());
        out.push(SimRequest::SaveSceneWithLayout(p, layout.positions[..built].to_vec()));
    }
}

/// The level of detail: neurons, bins of them, or the camera's choice.
fn lod_choice(ui: &mut egui::Ui, settings: &mut UiSettings) {
    use crate::app::view::lod::{AUTO_MIN_NEURONS, LodMode};
    let Some(lod) = settings.lod.as_mut() else { return };
    ui.horizontal(|ui| {
        egui::ComboBox::from_label("detail").selected_text(lod.mode.name()).show_ui(ui, |ui| {
            for m in [LodMode::Auto, LodMode::Neurons, LodMode::Bins] {
                ui.selectable_value(&mut lod.mode, m, m.name());
            }
        });
        let shown = if lod.aggregated {
            format!("{} bins of neurons", lod.bins.bins.len())
        } else {
            "each neuron".to_string()
        };
        ui.label(shown).on_hover_text(format!(
            "auto: a network of {AUTO_MIN_NEURONS} neurons or more is drawn as bins (a cell of space and a population each, glowing by its neurons' spikes) when a neuron would be smaller than a pixel"
        ));
    });
}

/// Populations on and off, synapse kinds and the weight range drawn.
fn filters(ui: &mut egui::Ui, view: &UiView, settings: &mut UiSettings) {
    let v = &mut settings.view;
    let active = v.hidden_populations != 0 || v.synapse_kinds != 0b111 || v.weight_range != (0.0, 1.0);
    let title = if active { "Filters (on)" } else { "Filters" };
    egui::CollapsingHeader::new(title).id_salt("filters").default_open(false).show(ui, |ui| {
        ui.label("populations");
        ui.horizontal_wrapped(|ui| {
            for (p, pop) in view.sim.network().populations.iter().enumerate().take(32) {
                let mut shown = v.shows_population(p);
                if ui.checkbox(&mut shown, &pop.name).changed() {
                    v.hidden_populations ^= 1 << p;
                }
            }
        });
        ui.label("synapses");
        ui.horizontal_wrapped(|ui| {
            for (bit, name) in [(1, "excitatory"), (2, "inhibitory"), (4, "attention edges")] {
                let mut on = v.synapse_kinds & bit != 0;
                if ui.checkbox(&mut on, name).changed() {
                    v.synapse_kinds ^= bit;
                }
            }
        });
        let (mut lo, mut hi) = v.weight_range;
        ui.add(egui::Slider::new(&mut lo, 0.0..=1.0).text("weakest drawn"));
        ui.add(egui::Slider::new(&mut hi, 0.0..=1.0).text("strongest drawn"));
        // Kept ordered: dragging the weakest past the strongest takes it along.
        v.weight_range = (lo, hi.max(lo));
        ui.label(egui::RichText::new("|w| as a fraction of its projection's largest (or its rule's bound)").small());
    });
}

/// The weight unit of the network's synapses: its populations' one unit, or "pA/nS" when they
/// differ (a structural rule's schema does not say which population it writes to).
fn network_weight_unit(net: &crate::sim::Network) -> &'static str {
    let mut units = net.populations.iter().map(|p| p.model.weight_unit()).filter(|u| !u.is_empty());
    let first = units.next().unwrap_or("");
    if units.all(|u| u == first) { first } else { "pA/nS" }
}

/// Scene, gallery, transport, display and stimulus controls.
pub fn left_panel(ui: &mut egui::Ui, view: &UiView, settings: &mut UiSettings, out: &mut Vec<SimRequest>) {
    let sim = &view.sim;
    let net = &sim.engine.network;
    ui.heading(sim.name());
    if !sim.scene.file.description.is_empty() {
        ui.label(egui::RichText::new(&sim.scene.file.description).small());
    }
    ui.label(format!("{} neurons · {} synapses", net.num_neurons(), net.num_synapses()));
    ui.horizontal_wrapped(|ui| {
        if ui.button("Open scene…").clicked()
            && let Some(p) = rfd::FileDialog::new()
                .add_filter("scene, SONATA, NeuroML2 or edge list", crate::io::OPENABLE)
                .set_directory("scenes")
                .pick_file()
        {
            out.push(SimRequest::OpenScene(p));
        }
        if ui
            .button("Import…")
            .on_hover_text("a SONATA circuit, a NeuroML2 network or a connectome edge list")
            .clicked()
            && let Some(p) = rfd::FileDialog::new()
                .add_filter("SONATA config, NeuroML2 or edge list", crate::io::IMPORTABLE)
                .pick_file()
        {
            out.push(SimRequest::OpenScene(p));
        }
        if ui.button("Save scene…").clicked()
            && let Some(p) = rfd::FileDialog::new().add_filter("scene", &["ron"]).save_file()
        {
            out.push(SimRequest::SaveScene(p));
        }
        super::replay::open_button(ui, out);
        if ui.button("Open snapshot…").clicked()
            && let Some(p) = rfd::FileDialog::new().add_filter("snapshot", &["npsnap"]).pick_file()
        {
            out.push(SimRequest::OpenSnapshot(p));
        }
        if ui.button("Save snapshot…").clicked()
            && let Some(p) = rfd::FileDialog::new().add_filter("snapshot", &["npsnap"]).save_file()
        {
            out.push(SimRequest::SaveSnapshot(p));
        }
    });
    egui::CollapsingHeader::new("Gallery").default_open(false).show(ui, |ui| {
        for p in &settings.state.gallery {
            let name = p.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
            if ui.selectable_label(*p == sim.scene_path, name).clicked() {
                out.push(SimRequest::OpenScene(p.clone()));
            }
        }
    });

    ui.separator();
    ui.heading("Transport");
    let t = &view.transport;
    ui.label(format!("t = {:.1} ms (step {})", net.time_ms(), net.step_count()));
    ui.horizontal(|ui| {
        if ui.button(if t.paused { "▶ Play" } else { "⏸ Pause" }).clicked() {
            out.push(SimRequest::TogglePause);
        }
        if ui.button("Step").on_hover_text("one step of dt (key .)").clicked() {
            out.push(SimRequest::Step);
        }
    });
    super::replay::controls(ui, view, &mut settings.state.jump_ms, out);
    let mut speed = t.speed_ms_per_s;
    let resp =
        ui.add(egui::Slider::new(&mut speed, SPEED_RANGE.0..=SPEED_RANGE.1).logarithmic(true).text("bio ms / s"));
    if resp.changed() {
        out.push(SimRequest::SetSpeed(speed));
    }
    let rt = t.realtime_factor;
    let note = if t.behind { " — the simulation cannot keep up with this speed" } else { "" };
    ui.label(format!("running at {:.3}× real time{note}", rt));
    ui.label(format!(
        "fastest reached {:.2}× real time; the engine alone {:.2}×{}",
        t.fastest_factor,
        t.engine_factor,
        if t.auto_speed { " (speed set by the app: real time, or what this machine keeps up with)" } else { "" }
    ))
    .on_hover_text(
        "the engine alone: biological time per wall time spent stepping, what it could do with the whole frame",
    );
    ui.horizontal(|ui| {
        ui.label("seed");
        ui.add(egui::DragValue::new(&mut settings.state.seed));
        if ui.button("Reset").on_hover_text("rebuild the scene with this seed (key R: same seed)").clicked() {
            out.push(SimRequest::Reset { seed: Some(settings.state.seed) });
        }
    });

    ui.separator();
    ui.heading("Display");
    layout_choice(ui, settings, out);
    lod_choice(ui, settings);
    filters(ui, view, settings);
    let v = &mut settings.view;
    ui.checkbox(&mut v.color_by_voltage, "colour by membrane potential");
    ui.checkbox(&mut v.show_synapses, "synapses");
    ui.checkbox(&mut v.ego_only, "only the picked neuron's synapses")
        .on_hover_text("all of its inputs (cyan) and outputs (orange), whatever the synapse budget");
    ui.checkbox(&mut v.show_pulses, "spike pulses along synapses");
    ui.add(egui::Slider::new(&mut v.glow_tau_ms, 1.0..=100.0).logarithmic(true).text("glow decay (ms)"));
    ui.add(egui::Slider::new(&mut v.radius_scale, 0.2..=5.0).logarithmic(true).text("neuron size"));
    ui.add(egui::Slider::new(&mut v.synapse_intensity, 0.02..=2.0).logarithmic(true).text("synapse brightness"));
    ui.add(egui::Slider::new(&mut v.sync_gain, 0.0..=3.0).text("synchrony halo"));
    let mut budget = view.on_screen.budget;
    let slider = ui.add(egui::Slider::new(&mut budget, 1_000..=2_000_000).logarithmic(true).text("synapse budget"));
    // Applied when the drag ends (each change re-chooses the synapses on screen).
    if slider.drag_stopped() || (slider.changed() && !slider.dragged()) {
        out.push(SimRequest::SetDrawBudget(budget));
    }
    let (shown, total) = (view.ids.synapses.len(), view.sim.network().num_synapses());
    if let Some(n) = view.on_screen.ego {
        ui.colored_label(
            egui::Color32::from_rgb(120, 220, 240),
            format!("showing the {shown} synapses into and out of neuron {} (inputs cyan, outputs orange)", n.0),
        );
    } else if shown < total {
        ui.colored_label(
            egui::Color32::from_rgb(230, 190, 90),
            format!("showing {shown} of {total} synapses (a uniform sample)"),
        );
    }
    ui.horizontal(|ui| {
        let rec = &mut settings.recording;
        ui.add_enabled(!rec.is_active(), egui::Checkbox::new(&mut rec.include_panels, "record the panels too"));
        ui.label(if rec.is_active() { "(F9 stops)" } else { "(F9 records)" });
    });

    ui.separator();
    ui.heading("Stimulate");
    if view.sim.replay.is_some() {
        ui.label(
            egui::RichText::new("A replay shows what was recorded; Reset returns to a live run to stimulate.").small(),
        );
        return;
    }
    let s = &mut settings.stimulus;
    ui.add(egui::Slider::new(&mut s.amplitude_pa, -2000.0..=5000.0).text("pA"));
    ui.add(egui::Slider::new(&mut s.duration_ms, 0.1..=500.0).logarithmic(true).text("ms"));
    ui.add(egui::Slider::new(&mut s.radius_in_radii, 0.0..=60.0).text("radius (neuron radii)"));
    ui.label(egui::RichText::new("Shift+click in the view stimulates the neurons around the clicked one.").small());
}

/// A slider for every parameter of every structural rule, with the rule's curve and the present
/// marked on it.
fn growth_rules(ui: &mut egui::Ui, view: &UiView, drawn: &mut Vec<String>, out: &mut Vec<SimRequest>) {
    let engine = &view.sim.engine;
    if engine.structural.is_empty() {
        return;
    }
    ui.heading("Growth");
    let unit = network_weight_unit(&engine.network);
    for (k, r) in engine.structural.iter().enumerate() {
        egui::CollapsingHeader::new(r.label(&engine.network)).id_salt(("growth", k)).default_open(true).show(
            ui,
            |ui| {
                if r.schema().is_empty() {
                    ui.label(egui::RichText::new("no parameters to change while it runs").small());
                }
                for spec in r.schema() {
                    let value = r.get(spec.name).unwrap_or(spec.default);
                    drawn.push(format!("{}: {}", r.label(&engine.network), spec.name));
                    if let Some(new) = param_slider(ui, spec, value, unit) {
                        out.push(SimRequest::SetGrowthParam { index: k, param: spec.name.to_string(), value: new });
                    }
                }
                if let Some(c) = r.curve(&engine.network) {
                    plot(("growth curve", k))
                        .height(110.0)
                        .allow_scroll(false)
                        .allow_drag(false)
                        .allow_zoom(false)
                        .x_axis_label(c.curve.x_label)
                        .y_axis_label(c.curve.y_label)
                        .show(ui, |p| {
                            p.line(Line::new(r.name(), PlotPoints::from(c.curve.points.clone())).width(2.0));
                            if let Some((y, name)) = c.level {
                                p.hline(HLine::new(name, y).width(1.0));
                            }
                            if !c.now.is_empty() {
                                p.points(Points::new("now", PlotPoints::from(c.now.clone())).radius(4.0));
                            }
                        });
                }
            },
        );
    }
}

/// A slider for every parameter of every plasticity and intrinsic rule, each rule's curve beside.
pub fn rules_panel(ui: &mut egui::Ui, view: &UiView, settings: &mut UiSettings, out: &mut Vec<SimRequest>) {
    let engine = &view.sim.engine;
    let net = &engine.network;
    ui.heading("Plasticity");
    if engine.synaptic.is_empty() && engine.intrinsic.is_empty() {
        ui.label("This scene has no plasticity rules.");
    }
    growth_rules(ui, view, &mut settings.state.sliders_drawn, out);
    let mut has_reward = false;
    for (k, b) in engine.synaptic.iter().enumerate() {
        let rule = &b.params();
        has_reward |= matches!(rule, PlasticityRule::RewardStdp(_));
        let unit = net.populations.get(b.scope().target.index()).map_or("", |p| p.model.weight_unit());
        egui::CollapsingHeader::new(format!("{} — {}", b.label(), rule.name()))
            .id_salt(("rule", k))
            .default_open(true)
            .show(ui, |ui| {
                for spec in rule.schema() {
                    let value = rule.get(spec.name).unwrap_or(spec.default);
                    settings.state.sliders_drawn.push(format!("{}: {}", b.label(), spec.name));
                    if let Some(new) = param_slider(ui, spec, value, unit) {
                        out.push(SimRequest::SetRuleParam { binding: k, param: spec.name.to_string(), value: new });
                    }
                }
                let curve = rule.curve(101);
                if !curve.points.is_empty() {
                    plot(("curve", k))
                        .height(110.0)
                        .allow_scroll(false)
                        .allow_drag(false)
                        .allow_zoom(false)
                        .x_axis_label(curve.x_label)
                        .y_axis_label(curve.y_label)
                        .show(ui, |p| {
                            p.line(Line::new(rule.name(), PlotPoints::from(curve.points.clone())).width(2.0));
                        });
                }
                if let Some(r) = b.get_as::<RewardStdp>() {
                    ui.label(format!("dopamine {:.4}", r.state.dopamine));
                }
                if let Some(a) = b.get_as::<AstroStdp>() {
                    ui.label(format!("astrocyte signal A = {:.4}", a.state.astro));
                }
            });
    }
    if has_reward {
        ui.horizontal(|ui| {
            ui.add(egui::DragValue::new(&mut settings.state.reward).speed(0.05).prefix("amount "));
            if ui.button("Reward!").on_hover_text("deliver a dopamine pulse to reward-modulated rules").clicked() {
                out.push(SimRequest::Reward(settings.state.reward));
            }
        });
    }
    for (k, ip) in engine.intrinsic.iter().enumerate() {
        let pop = net.populations.get(ip.population.index()).map(|p| p.name.clone()).unwrap_or_default();
        egui::CollapsingHeader::new(format!("{pop} — {}", ip.rule.name()))
            .id_salt(("intrinsic", k))
            .default_open(true)
            .show(ui, |ui| {
                for spec in ip.rule.schema() {
                    let value = ip.rule.get(spec.name).unwrap_or(spec.default);
                    settings.state.sliders_drawn.push(format!("{pop}: {}", spec.name));
                    if let Some(new) = param_slider(ui, spec, value, "") {
                        out.push(SimRequest::SetIntrinsicParam { index: k, param: spec.name.to_string(), value: new });
                    }
                }
            });
    }
    if !engine.param_changes.is_empty() {
        egui::CollapsingHeader::new(format!("Parameter log ({})", engine.param_changes.len())).show(ui, |ui| {
            for c in engine.param_changes.iter().rev().take(30) {
                ui.label(format!("t={:.1} ms  {}.{}: {} → {}", c.time_ms, c.target, c.param, c.old, c.new));
            }
        });
    }
}
