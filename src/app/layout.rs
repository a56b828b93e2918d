//! Where neurons are drawn: the scene's own positions, a force-directed layout of the connectivity
//! (computed on a thread of its own from a copy of the synapse table, shown as it settles), a
//! circle, or population layers. Every layout is fitted into the scene's bounding box, so the
//! camera keeps its framing, and the change is animated. The view draws, picking picks and the
//! camera focuses on [`ShownLayout::positions`]; the network's own positions never change.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use bevy::prelude::*;

use super::bridge::{Sim, SimulationInstalled};
use crate::analysis::graph::SynapseGraph;
use crate::analysis::layout::{ForceLayout, circular, population_layers};
use crate::sim::Network;

/// The layouts neurons can be drawn in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum LayoutMode {
    /// The scene's positions (µm).
    #[default]
    Spatial,
    /// Fruchterman–Reingold over the synapses, Barnes–Hut repulsion.
    Force,
    /// A circle in id order (populations as arcs).
    Circular,
    /// Each population a square sheet, stacked.
    Layers,
    /// The layout saved in the scene (`display_positions`).
    Saved,
}

impl LayoutMode {
    /// Every layout, in menu order.
    pub const ALL: [LayoutMode; 5] =
        [LayoutMode::Spatial, LayoutMode::Force, LayoutMode::Circular, LayoutMode::Layers, LayoutMode::Saved];

    /// The menu label.
    pub fn label(self) -> &'static str {
        match self {
            LayoutMode::Spatial => "spatial (the scene's positions)",
            LayoutMode::Force => "force-directed (connectivity)",
            LayoutMode::Circular => "circular",
            LayoutMode::Layers => "population layers",
            LayoutMode::Saved => "saved in the scene",
        }
    }

    /// The name `--layout` takes.
    pub fn parse(s: &str) -> Result<Self, String> {
        Ok(match s {
            "spatial" => LayoutMode::Spatial,
            "force" => LayoutMode::Force,
            "circular" => LayoutMode::Circular,
            "layers" => LayoutMode::Layers,
            "saved" => LayoutMode::Saved,
            other => return Err(format!("`{other}`: the layout is spatial, force, circular, layers or saved")),
        })
    }
}

/// Iterations of a force layout (the temperature has cooled to its floor well before).
pub const FORCE_ITERATIONS: u32 = 300;

/// A force layout running on its own thread: it publishes its positions every few iterations.
struct ForceRun {
    cancel: Arc<AtomicBool>,
    latest: Arc<Mutex<Option<(Vec<[f32; 3]>, u32)>>>,
    handle: Option<JoinHandle<()>>,
}

impl Drop for ForceRun {
    fn drop(&mut self) {
        self.cancel.store(true, Ordering::Relaxed);
        // Not joined: a cancelled run ends at its next iteration on its own.
        drop(self.handle.take());
    }
}

/// The layout shown, and the positions drawn this frame.
#[derive(Resource)]
pub struct ShownLayout {
    /// The layout asked for (the Display section and `--layout` set it).
    pub mode: LayoutMode,
    /// Where each neuron is drawn this frame (world units), one per neuron.
    pub positions: Vec<[f32; 3]>,
    /// Counts the frames the positions moved in (the view rewrites its buffers when it changes).
    pub generation: u64,
    /// Iterations the force layout has done (0 when none runs or ran).
    pub force_iterations: u32,
    /// Seconds a change of layout takes on screen.
    pub transition_s: f32,
    /// Neurons the scene built (the saved layout covers these; later ones were born running).
    pub built: usize,
    /// Whether the scene has a saved layout for its neurons.
    pub has_saved: bool,
    /// Whether the layout was chosen (`--layout`), so a scene's saved one does not replace it.
    chosen: bool,
    from: Vec<[f32; 3]>,
    to: Vec<[f32; 3]>,
    blend: f32,
    /// Seconds the transition under way takes.
    duration: f32,
    /// The layout whose target is loaded.
    loaded: Option<LayoutMode>,
    run: Option<ForceRun>,
}

impl Default for ShownLayout {
    fn default() -> Self {
        Self {
            mode: LayoutMode::Spatial,
            positions: Vec::new(),
            generation: 0,
            force_iterations: 0,
            transition_s: 0.8,
            built: 0,
            has_saved: false,
            chosen: false,
            from: Vec::new(),
            to: Vec::new(),
            blend: 1.0,
            duration: 0.8,
            loaded: None,
            run: None,
        }
    }
}

impl ShownLayout {
    /// Whether neurons are still moving (a transition or a force layout under way).
    pub fn moving(&self) -> bool {
        self.blend < 1.0 || self.run.is_some() || self.loaded != Some(self.mode)
    }

    /// Starts moving from what is shown to `target` over `seconds`.
    fn move_to(&mut self, target: Vec<[f32; 3]>, seconds: f32) {
        self.from = self.positions.clone();
        self.to = target;
        self.blend = 0.0;
        self.duration = seconds;
        if seconds <= 0.0 {
            self.blend = 1.0;
            self.positions = self.to.clone();
            self.generation += 1;
        }
    }
}

/// Where drawing, picking and the camera find neurons: the shown layout's positions where the app
/// has one, else the network's own.
pub fn shown_positions<'a>(layout: Option<&'a ShownLayout>, net: &'a Network) -> &'a [[f32; 3]] {
    match layout {
        Some(l) if l.positions.len() == net.num_neurons() => &l.positions,
        _ => &net.neurons.position,
    }
}

/// The layout systems of `Update` (the view draws after them).
#[derive(SystemSet, Debug, Clone, PartialEq, Eq, Hash)]
pub struct LayoutSystems;

/// Layouts chosen, computed and animated.
pub struct LayoutPlugin;

impl Plugin for LayoutPlugin {
    fn build(&self, app: &mut App) {
        app.init_resource::<ShownLayout>().add_systems(Startup, layout_from_options).add_systems(
            Update,
            (follow_network, load_target, collect_force, animate)
                .chain()
                .in_set(LayoutSystems)
                .run_if(resource_exists::<Sim>),
        );
    }
}

/// `--layout` sets the first layout.
fn layout_from_options(options: Option<Res<crate::app::AppOptions>>, mut layout: ResMut<ShownLayout>) {
    if let Some(mode) = options.and_then(|o| o.layout) {
        layout.mode = mode;
        layout.chosen = true;
    }
}

/// A new network starts from its own positions (the chosen layout is then computed for it);
/// neurons born while running appear at their own positions.
fn follow_network(sim: Res<Sim>, mut installed: MessageReader<SimulationInstalled>, mut layout: ResMut<ShownLayout>) {
    let net = sim.network();
    if installed.read().count() > 0 {
        layout.built = net.num_neurons();
        layout.has_saved = sim.scene.file.display_positions.len() == layout.built && layout.built > 0;
        if layout.has_saved && !layout.chosen {
            layout.mode = LayoutMode::Saved;
        }
        if layout.mode == LayoutMode::Saved && !layout.has_saved {
            layout.mode = LayoutMode::Spatial;
        }
        // `--layout` chooses for the first scene only.
        layout.chosen = false;
        layout.run = None;
        layout.loaded = None;
        layout.force_iterations = 0;
        layout.positions = net.neurons.position.clone();
        layout.from.clear();
        layout.to.clear();
        layout.blend = 1.0;
        layout.generation += 1;
        return;
    }
    let n = net.num_neurons();
    let l = &mut *layout;
    if l.positions.len() < n {
        let born = &net.neurons.position[l.positions.len()..n];
        l.positions.extend_from_slice(born);
        for v in [&mut l.from, &mut l.to] {
            if !v.is_empty() && v.len() < n {
                let k = v.len();
                v.extend_from_slice(&net.neurons.position[k..n]);
            }
        }
        l.generation += 1;
    }
}

/// Computes the target of a newly chosen layout (a force layout starts its thread).
fn load_target(sim: Res<Sim>, mut layout: ResMut<ShownLayout>) {
    if layout.loaded == Some(layout.mode) {
        return;
    }
    let net = sim.network();
    layout.run = None;
    layout.force_iterations = 0;
    let mode = layout.mode;
    layout.loaded = Some(mode);
    let seconds = layout.transition_s;
    match mode {
        LayoutMode::Spatial => layout.move_to(net.neurons.position.clone(), seconds),
        LayoutMode::Circular => layout.move_to(fit_into(circular(net.num_neurons(), 1.0), net), seconds),
        LayoutMode::Layers => layout.move_to(fit_into(population_layers(net, 1.0), net), seconds),
        LayoutMode::Force => layout.run = start_force(net),
        LayoutMode::Saved => {
            let mut saved: Vec<[f32; 3]> =
                sim.scene.file.display_positions.iter().map(|&(x, y, z)| [x, y, z]).collect();
            let k = saved.len().min(net.num_neurons());
            saved.truncate(k);
            saved.extend_from_slice(&net.neurons.position[k..]);
            layout.move_to(saved, seconds);
        }
    }
}

/// Starts a force layout of `net` from its own positions on a thread of its own.
fn start_force(net: &Network) -> Option<ForceRun> {
    let (synapses, n, start) = (net.synapses.clone(), net.num_neurons(), net.neurons.position.clone());
    let cancel = Arc::new(AtomicBool::new(false));
    let latest = Arc::new(Mutex::new(None));
    let (stop, out) = (cancel.clone(), latest.clone());
    let handle = std::thread::Builder::new()
        .name("force layout".into())
        .spawn(move || crate::app::graph::background_pool().install(|| run_force(&synapses, n, &start, &stop, &out)))
        .ok()?;
    Some(ForceRun { cancel, latest, handle: Some(handle) })
}

/// The force layout's iterations, publishing fitted positions every quarter second.
fn run_force(
    synapses: &crate::sim::Synapses,
    n: usize,
    start: &[[f32; 3]],
    stop: &AtomicBool,
    out: &Mutex<Option<(Vec<[f32; 3]>, u32)>>,
) {
    let g = SynapseGraph::from_synapses(synapses, n).undirected();
    let (_, extent) = bounding(start);
    // Edges about three neuron spacings long at the scene's density.
    let k = 3.0 * 2.0 * extent / (n.max(1) as f32).cbrt();
    let mut layout = ForceLayout::new(start, k);
    let mut published = std::time::Instant::now();
    while layout.iterations < FORCE_ITERATIONS && !stop.load(Ordering::Relaxed) {
        layout.step(&g);
        let last = layout.iterations == FORCE_ITERATIONS;
        if last || published.elapsed().as_secs_f32() > 0.25 {
            let fitted = fit_to(layout.to_arrays(), start);
            if let Ok(mut slot) = out.lock() {
                *slot = Some((fitted, layout.iterations));
            }
            published = std::time::Instant::now();
        }
    }
}

/// Moves towards the force layout's newest positions; the run ends after its last iteration.
fn collect_force(sim: Res<Sim>, mut layout: ResMut<ShownLayout>) {
    let Some(run) = &layout.run else { return };
    let finished = run.handle.as_ref().is_none_or(JoinHandle::is_finished);
    let newest = run.latest.lock().ok().and_then(|mut slot| slot.take());
    if let Some((mut target, iterations)) = newest {
        layout.force_iterations = iterations;
        // Neurons born since the run started stay where they are.
        let net = sim.network();
        let n = net.num_neurons();
        target.truncate(n);
        let k = target.len();
        target.extend_from_slice(&net.neurons.position[k..n]);
        // The first result glides in; later ones follow closely.
        let seconds = if iterations <= 60 { layout.transition_s } else { 0.25 };
        layout.move_to(target, seconds);
    } else if finished {
        layout.run = None;
    }
}

/// Advances a transition (eased), writing the positions shown.
fn animate(time: Res<Time<Real>>, mut layout: ResMut<ShownLayout>) {
    if layout.blend >= 1.0 {
        return;
    }
    let step = time.delta_secs() / layout.duration.max(1e-3);
    let l = &mut *layout;
    l.blend = (l.blend + step.max(1e-3)).min(1.0);
    let s = l.blend * l.blend * (3.0 - 2.0 * l.blend);
    let n = l.to.len().min(l.from.len());
    l.positions.resize(l.to.len(), [0.0; 3]);
    for i in 0..l.to.len() {
        let (a, b) = (if i < n { l.from[i] } else { l.to[i] }, l.to[i]);
        l.positions[i] = [a[0] + (b[0] - a[0]) * s, a[1] + (b[1] - a[1]) * s, a[2] + (b[2] - a[2]) * s];
    }
    l.generation += 1;
}

/// Centre and half diagonal of the points' bounding box (as the camera frames them).
fn bounding(points: &[[f32; 3]]) -> (Vec3, f32) {
    box_bounds(points).map_or((Vec3::ZERO, 1.0), |(c, r)| (c, r.max(1e-3)))
}

/// `points` moved and scaled so that their bounding box has the centre and half diagonal of
/// `reference`'s: a new layout fills the same view.
pub fn fit_to(points: Vec<[f32; 3]>, reference: &[[f32; 3]]) -> Vec<[f32; 3]> {
    let (c, r) = bounding(&points);
    let (rc, rr) = bounding(reference);
    let s = rr / r;
    points.into_iter().map(|p| ((Vec3::from_array(p) - c) * s + rc).to_array()).collect()
}

fn fit_into(points: Vec<[f32; 3]>, net: &Network) -> Vec<[f32; 3]> {
    fit_to(points, &net.neurons.position)
}

/// Centre and half diagonal of the points' bounding box (`None` for no points): what the camera
/// frames, and what a new layout is fitted to.
pub fn box_bounds(points: &[[f32; 3]]) -> Option<(Vec3, f32)> {
    if points.is_empty() {
        return None;
    }
    let (mut lo, mut hi) = (Vec3::splat(f32::MAX), Vec3::splat(f32::MIN));
    for p in points {
        let v = Vec3::from_array(*p);
        lo = lo.min(v);
        hi = hi.max(v);
    }
    Some(((lo + hi) * 0.5, (hi - lo).length() * 0.5))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fitted_layout_fills_the_reference_box() {
        let reference = [[-10.0, 0.0, 0.0], [10.0, 0.0, 0.0], [0.0, 5.0, 2.0]];
        let fitted = fit_to(vec![[0.0, 0.0, 0.0], [1.0, 1.0, 1.0], [3.0, 0.0, 0.0]], &reference);
        let (c, r) = bounding(&fitted);
        let (rc, rr) = bounding(&reference);
        assert!((c - rc).length() < 1e-4 && (r - rr).abs() < 1e-4, "{c} {r} vs {rc} {rr}");
        assert_eq!(LayoutMode::parse("force"), Ok(LayoutMode::Force));
        assert!(LayoutMode::parse("spiral").unwrap_err().contains("spatial, force, circular, layers or saved"));
    }
}
