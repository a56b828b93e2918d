//! The ECS bridge: the network as a resource, neurons and synapses as entities with their stable
//! ids, and the three system sets that run each fixed tick (apply the UI's requests, step, mirror).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use bevy::prelude::*;

use crate::engine::Simulation;
use crate::growth::attention::AttentionEdges;
use crate::scene::{Scene, SceneError};
use crate::sim::{CurrentInput, Input, Network, NeuronId, Receptor, StepReport, StructuralEvent, SynapseId};

use super::history::History;

/// The running network, the scene it came from, and what has been recorded of it.
#[derive(Resource)]
pub struct Sim {
    /// The network being simulated, with its rules.
    pub engine: Simulation,
    /// The scene it was built from (kept for reset and save).
    pub scene: Scene,
    /// The scene's file.
    pub scene_path: PathBuf,
    /// Recent activity for the plots.
    pub history: History,
    /// Bumped whenever neurons or synapses are added or removed (the view rebuilds its index).
    pub structure_version: u64,
    /// Structural changes since the entities were last mirrored, in order.
    pub events: Vec<StructuralEvent>,
    /// Neurons born while running: biological time of birth (ms) and the parent.
    pub births: HashMap<NeuronId, (f64, Option<NeuronId>)>,
    report: StepReport,
}

impl Sim {
    /// Loads and builds a scene file.
    pub fn load(path: &Path, seed: Option<u64>) -> Result<Self, SceneError> {
        let scene = Scene::load(path)?;
        Self::from_scene(scene, path.to_path_buf(), seed)
    }

    /// Parses and builds a scene whose text was already read from `path`.
    pub fn parse(text: &str, path: &Path, seed: Option<u64>) -> Result<Self, SceneError> {
        let scene = Scene::parse(text, &path.display().to_string())?;
        Self::from_scene(scene, path.to_path_buf(), seed)
    }

    /// Builds a parsed scene.
    pub fn from_scene(scene: Scene, path: PathBuf, seed: Option<u64>) -> Result<Self, SceneError> {
        let engine = scene.build(seed)?;
        Ok(Self::with_simulation(engine, scene, path))
    }

    /// Wraps a built (or resumed) simulation of `scene`.
    pub fn with_simulation(engine: Simulation, scene: Scene, path: PathBuf) -> Self {
        let history = History::new(&engine);
        let report = StepReport::with_capacity(engine.network.num_neurons());
        Self {
            engine,
            scene,
            scene_path: path,
            history,
            structure_version: 0,
            events: Vec::new(),
            births: HashMap::new(),
            report,
        }
    }

    /// The network being simulated.
    pub fn network(&self) -> &Network {
        &self.engine.network
    }

    /// The scene's display name (its `name` field, else the file stem).
    pub fn name(&self) -> String {
        let name = &self.scene.file.name;
        if name.is_empty() {
            self.scene_path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default()
        } else {
            name.clone()
        }
    }

    /// Advances one step and records it.
    pub fn step_once(&mut self, selected: Option<NeuronId>) {
        self.engine.step(&mut self.report);
        self.events.extend_from_slice(&self.report.events);
        for e in &self.report.events {
            if let StructuralEvent::NeuronBorn { id, parent } = *e {
                self.births.insert(id, (self.report.time_ms, parent));
            }
        }
        self.history.record_step(&self.report, &self.engine, selected);
    }

    /// Advances by `ms` of biological time.
    pub fn advance_ms(&mut self, ms: f64, selected: Option<NeuronId>) {
        let steps = (ms / self.engine.network.dt_ms()).round() as u64;
        for _ in 0..steps {
            self.step_once(selected);
        }
    }
}

/// Play/pause, speed and the measured pace of the simulation.
#[derive(Resource, Debug)]
pub struct Transport {
    /// Whether the simulation is paused.
    pub paused: bool,
    /// Requested speed: biological milliseconds per wall-clock second.
    pub speed_ms_per_s: f64,
    /// Wall-clock budget for stepping per fixed tick (ms); beyond it the simulation falls behind.
    pub budget_ms: f64,
    /// Measured biological ms per wall ms (1 = real time), smoothed.
    pub realtime_factor: f64,
    /// Whether the last tick could not do all the steps the speed asked for.
    pub behind: bool,
    /// Single steps requested while paused.
    pub pending_steps: u64,
    carry_ms: f64,
}

impl Default for Transport {
    fn default() -> Self {
        Self {
            paused: false,
            speed_ms_per_s: 100.0,
            budget_ms: 12.0,
            realtime_factor: 0.0,
            behind: false,
            pending_steps: 0,
            carry_ms: 0.0,
        }
    }
}

/// Slowest and fastest speeds the transport slider offers (biological ms per second).
pub const SPEED_RANGE: (f64, f64) = (0.1, 10_000.0);

/// The neuron picked in the 3D view or the raster.
#[derive(Resource, Default, Debug, Clone, Copy, PartialEq)]
pub struct Selection(pub Option<NeuronId>);

/// A request from the UI or the keyboard; applied (validated) at the start of the next tick.
#[derive(Message, Clone, Debug, PartialEq)]
pub enum SimRequest {
    /// Toggle play/pause.
    TogglePause,
    /// Set paused or playing.
    SetPaused(bool),
    /// Advance one step (while paused).
    Step,
    /// Set the speed (biological ms per second).
    SetSpeed(f64),
    /// Rebuild the scene, with an optional new seed.
    Reset {
        /// New seed (`None`: keep the scene's seed).
        seed: Option<u64>,
    },
    /// Set a parameter of plasticity binding `binding`.
    SetRuleParam {
        /// Index into `Network::plasticity`.
        binding: usize,
        /// Parameter name.
        param: String,
        /// New value (engine units).
        value: f64,
    },
    /// Set a parameter of intrinsic rule `index`.
    SetIntrinsicParam {
        /// Index into `Network::intrinsic`.
        index: usize,
        /// Parameter name.
        param: String,
        /// New value.
        value: f64,
    },
    /// Inject a current into neurons for a while.
    Stimulate {
        /// Target neurons.
        neurons: Vec<u32>,
        /// Amplitude (pA).
        amplitude_pa: f64,
        /// Duration (ms).
        duration_ms: f64,
    },
    /// Deliver a reward (dopamine) pulse to reward-modulated rules.
    Reward(f64),
    /// Open another scene file.
    OpenScene(PathBuf),
    /// Save the current scene to a file.
    SaveScene(PathBuf),
    /// Save the network state to a snapshot file.
    SaveSnapshot(PathBuf),
    /// Replace the network state with a snapshot file.
    OpenSnapshot(PathBuf),
    /// Select a neuron (or clear the selection).
    Select(Option<NeuronId>),
}

/// A short message shown in the corner of the window (errors and confirmations).
#[derive(Message, Clone, Debug, PartialEq)]
pub struct Toast {
    /// The text.
    pub text: String,
    /// Whether it reports an error.
    pub error: bool,
}

impl Toast {
    /// An error toast.
    pub fn error(text: impl Into<String>) -> Self {
        Self { text: text.into(), error: true }
    }

    /// An informational toast.
    pub fn info(text: impl Into<String>) -> Self {
        Self { text: text.into(), error: false }
    }
}

/// A neuron entity's stable id.
#[derive(Component, Clone, Copy, Debug, PartialEq, Eq)]
pub struct Neuron(pub NeuronId);

/// A synapse entity's stable id.
#[derive(Component, Clone, Copy, Debug, PartialEq, Eq)]
pub struct Synapse(pub SynapseId);

/// A long-range attention edge entity's stable id (see `growth::attention`).
#[derive(Component, Clone, Copy, Debug, PartialEq, Eq)]
pub struct AttentionEdge(pub u32);

/// What an edge entity is, for drawing: 0 excitatory synapse, 1 inhibitory, 2 attention edge.
#[derive(Component, Clone, Copy, Debug, PartialEq, Eq)]
pub struct EdgeKind(pub u32);

impl EdgeKind {
    /// The kind of a chemical synapse with this receptor.
    pub fn of(receptor: Receptor) -> Self {
        Self(u32::from(receptor == Receptor::Inhibitory))
    }
}

/// A synapse entity's presynaptic neuron.
#[derive(Component, Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pre(pub NeuronId);

/// A synapse entity's postsynaptic neuron.
#[derive(Component, Clone, Copy, Debug, PartialEq, Eq)]
pub struct Post(pub NeuronId);

/// An entity appearing: its opacity rises from 0 to 1 over `FADE_SECONDS`.
#[derive(Component, Clone, Copy, Debug, Default, PartialEq)]
pub struct FadeIn(pub f32);

/// An entity disappearing: its opacity falls to 0 over `FADE_SECONDS`, then it is despawned.
#[derive(Component, Clone, Copy, Debug, Default, PartialEq)]
pub struct FadeOut(pub f32);

/// How long a structural change takes to fade in or out (wall seconds).
pub const FADE_SECONDS: f32 = 0.8;

/// Maps stable ids to entities (scenes and snapshots store ids, never `Entity`).
#[derive(Resource, Default, Debug)]
pub struct IdMap {
    /// Entity of each neuron, by id.
    pub neurons: Vec<Entity>,
    /// Entity of each synapse, by id.
    pub synapses: HashMap<SynapseId, Entity>,
    /// Entity of each attention edge, by id.
    pub attention: HashMap<u32, Entity>,
}

/// The fixed-tick system sets, in order.
#[derive(SystemSet, Debug, Clone, PartialEq, Eq, Hash)]
pub enum SimSystems {
    /// Apply the UI's requests (pause, speed, parameter edits, stimulation).
    ApplyControls,
    /// Integrate, propagate, plasticity and growth: as many steps as speed and budget allow.
    Step,
    /// Spawn/despawn entities from structural changes; advance fades.
    Mirror,
}

/// The network resource, its entities and the fixed-tick systems. Needs no rendering, so headless
/// tests can run it under `MinimalPlugins`.
pub struct SimPlugin;

impl Plugin for SimPlugin {
    fn build(&self, app: &mut App) {
        app.init_resource::<Transport>()
            .init_resource::<Selection>()
            .init_resource::<IdMap>()
            .add_message::<SimRequest>()
            .add_message::<Toast>()
            .configure_sets(FixedUpdate, (SimSystems::ApplyControls, SimSystems::Step, SimSystems::Mirror).chain())
            .add_systems(Startup, spawn_network_entities)
            .add_systems(FixedUpdate, apply_requests.in_set(SimSystems::ApplyControls))
            .add_systems(FixedUpdate, step_network.in_set(SimSystems::Step))
            .add_systems(FixedUpdate, (mirror_structure, advance_fades).chain().in_set(SimSystems::Mirror));
    }
}

/// Spawns one entity per neuron and per synapse of the current network.
pub fn spawn_network_entities(mut commands: Commands, sim: Res<Sim>) {
    queue_spawn_entities(&mut commands, &sim.engine);
}

/// Queues the spawning of every neuron and synapse entity of `net` (in batches, in a world
/// command) and the filling of the [`IdMap`].
fn queue_spawn_entities(commands: &mut Commands, engine: &Simulation) {
    let net = &engine.network;
    let neurons: Vec<Neuron> = (0..net.num_neurons() as u32).map(|i| Neuron(NeuronId(i))).collect();
    let syn = &net.synapses;
    let bundles: Vec<(Synapse, Pre, Post, EdgeKind)> = (0..syn.len())
        .map(|s| (Synapse(net.synapse_id(s)), Pre(syn.pre(s)), Post(syn.post(s)), EdgeKind(syn.target[s] & 1)))
        .collect();
    let edges: Vec<(AttentionEdge, Pre, Post, EdgeKind)> = engine
        .structural_rule::<AttentionEdges>()
        .map(|a| {
            a.edges()
                .iter()
                .map(|e| (AttentionEdge(e.id), Pre(NeuronId(e.from)), Post(NeuronId(e.to)), EdgeKind(2)))
                .collect()
        })
        .unwrap_or_default();
    commands.queue(move |world: &mut World| {
        let keys: Vec<SynapseId> = bundles.iter().map(|b| b.0.0).collect();
        let edge_keys: Vec<u32> = edges.iter().map(|b| b.0.0).collect();
        let neuron_entities: Vec<Entity> = world.spawn_batch(neurons).collect();
        let synapse_entities: Vec<Entity> = world.spawn_batch(bundles).collect();
        let edge_entities: Vec<Entity> = world.spawn_batch(edges).collect();
        let mut ids = world.resource_mut::<IdMap>();
        ids.neurons = neuron_entities;
        ids.synapses = keys.into_iter().zip(synapse_entities).collect();
        ids.attention = edge_keys.into_iter().zip(edge_entities).collect();
    });
}

fn despawn_all(commands: &mut Commands, ids: &mut IdMap) {
    for e in ids.neurons.drain(..) {
        commands.entity(e).despawn();
    }
    for e in ids.synapses.drain().map(|(_, e)| e).chain(ids.attention.drain().map(|(_, e)| e)) {
        commands.entity(e).despawn();
    }
}

/// Validates and applies the requests written since the last tick. A bad value is refused with a
/// toast and leaves the network untouched.
pub fn apply_requests(
    mut commands: Commands,
    mut requests: MessageReader<SimRequest>,
    mut toasts: MessageWriter<Toast>,
    mut sim: ResMut<Sim>,
    mut transport: ResMut<Transport>,
    mut selection: ResMut<Selection>,
    mut ids: ResMut<IdMap>,
) {
    for request in requests.read() {
        match request {
            SimRequest::TogglePause => transport.paused = !transport.paused,
            SimRequest::SetPaused(p) => transport.paused = *p,
            SimRequest::Step => transport.pending_steps += 1,
            SimRequest::SetSpeed(s) => {
                if s.is_finite() && (SPEED_RANGE.0..=SPEED_RANGE.1).contains(s) {
                    transport.speed_ms_per_s = *s;
                } else {
                    toasts.write(Toast::error(format!(
                        "speed {s} ms/s refused: it must lie in [{}, {}]",
                        SPEED_RANGE.0, SPEED_RANGE.1
                    )));
                }
            }
            SimRequest::Reset { seed } => {
                let scene = sim.scene.clone();
                let path = sim.scene_path.clone();
                let seed = seed.or(Some(sim.engine.network.seed()));
                match Sim::from_scene(scene, path, seed) {
                    Ok(fresh) => replace_sim(&mut commands, &mut sim, &mut ids, &mut selection, fresh),
                    Err(e) => {
                        toasts.write(Toast::error(format!("reset failed: {e}")));
                    }
                }
            }
            SimRequest::SetRuleParam { binding, param, value } => {
                let label = sim.engine.synaptic.get(*binding).map(|b| b.label().to_string()).unwrap_or_default();
                if let Err(e) = sim.engine.set_synaptic_param(*binding, param, *value) {
                    toasts.write(Toast::error(format!("{label}: {e}")));
                }
            }
            SimRequest::SetIntrinsicParam { index, param, value } => {
                if let Err(e) = sim.engine.set_intrinsic_param(*index, param, *value) {
                    toasts.write(Toast::error(format!("intrinsic rule {index}: {e}")));
                }
            }
            SimRequest::Stimulate { neurons, amplitude_pa, duration_ms } => {
                let net = &mut sim.engine.network;
                if !(duration_ms.is_finite() && *duration_ms > 0.0) {
                    toasts.write(Toast::error(format!("stimulus duration {duration_ms} ms must be positive")));
                    continue;
                }
                let start = net.step_count();
                let steps = (duration_ms / net.dt_ms()).ceil().max(1.0) as u64;
                let input = Input::Current(CurrentInput {
                    targets: neurons.clone(),
                    amplitude_pa: *amplitude_pa,
                    start_step: start,
                    stop_step: Some(start + steps),
                });
                if let Err(e) = net.add_input(input) {
                    toasts.write(Toast::error(format!("stimulus refused: {e}")));
                }
            }
            SimRequest::Reward(amount) => {
                if let Err(e) = sim.engine.deliver_reward(*amount) {
                    toasts.write(Toast::error(format!("reward refused: {e}")));
                }
            }
            SimRequest::OpenScene(path) => match Sim::load(path, None) {
                Ok(fresh) => {
                    replace_sim(&mut commands, &mut sim, &mut ids, &mut selection, fresh);
                    toasts.write(Toast::info(format!("opened {}", path.display())));
                }
                Err(e) => {
                    toasts.write(Toast::error(e.to_string()));
                }
            },
            SimRequest::SaveScene(path) => {
                let text = Scene::to_ron(&sim.scene.file);
                match std::fs::write(path, text) {
                    Ok(()) => toasts.write(Toast::info(format!("saved {}", path.display()))),
                    Err(e) => toasts.write(Toast::error(format!("{}: {e}", path.display()))),
                };
            }
            SimRequest::SaveSnapshot(path) => {
                match crate::scene::snapshot::save(&sim.engine, path) {
                    Ok(()) => toasts.write(Toast::info(format!("snapshot saved to {}", path.display()))),
                    Err(e) => toasts.write(Toast::error(e.to_string())),
                };
            }
            SimRequest::OpenSnapshot(path) => match crate::scene::snapshot::load(path) {
                Ok(engine) => {
                    let fresh = Sim::with_simulation(engine, sim.scene.clone(), sim.scene_path.clone());
                    replace_sim(&mut commands, &mut sim, &mut ids, &mut selection, fresh);
                    toasts.write(Toast::info(format!("resumed {}", path.display())));
                }
                Err(e) => {
                    toasts.write(Toast::error(e.to_string()));
                }
            },
            SimRequest::Select(sel) => {
                selection.0 = sel.filter(|n| n.index() < sim.engine.network.num_neurons());
                sim.history.select(selection.0);
            }
        }
    }
}

/// Swaps in a freshly built network and re-creates its entities.
fn replace_sim(commands: &mut Commands, sim: &mut Sim, ids: &mut IdMap, selection: &mut Selection, fresh: Sim) {
    despawn_all(commands, ids);
    let version = sim.structure_version + 1;
    *sim = fresh;
    sim.events.clear();
    sim.structure_version = version;
    selection.0 = None;
    queue_spawn_entities(commands, &sim.engine);
}

/// Runs as many steps as the speed asks for in this tick, within the wall-clock budget.
pub fn step_network(
    time: Res<Time<Fixed>>,
    mut sim: ResMut<Sim>,
    mut transport: ResMut<Transport>,
    selection: Res<Selection>,
) {
    let dt = sim.engine.network.dt_ms();
    let tick_s = time.delta_secs_f64();
    let mut steps = std::mem::take(&mut transport.pending_steps);
    if !transport.paused {
        transport.carry_ms += transport.speed_ms_per_s * tick_s;
        let whole = (transport.carry_ms / dt).floor();
        transport.carry_ms -= whole * dt;
        steps += whole as u64;
    }
    let start = Instant::now();
    let budget = transport.budget_ms / 1000.0;
    let mut done = 0u64;
    while done < steps {
        sim.step_once(selection.0);
        done += 1;
        if done.is_multiple_of(8) && start.elapsed().as_secs_f64() > budget {
            break;
        }
    }
    transport.behind = done < steps;
    if transport.behind {
        transport.carry_ms = 0.0;
    }
    if tick_s > 0.0 && !transport.paused {
        let factor = done as f64 * dt / (tick_s * 1000.0);
        transport.realtime_factor = 0.8 * transport.realtime_factor + 0.2 * factor;
    }
}

/// Mirrors the network's structural changes into entities: a new neuron, synapse or attention
/// edge is spawned fading in; a pruned synapse or decayed edge fades out and is then despawned
/// (the view keeps drawing it until then). Bumps `structure_version` when anything changed.
pub fn mirror_structure(mut commands: Commands, mut sim: ResMut<Sim>, mut ids: ResMut<IdMap>) {
    if sim.events.is_empty() {
        return;
    }
    let events = std::mem::take(&mut sim.events);
    for event in &events {
        match *event {
            StructuralEvent::NeuronBorn { id, .. } => {
                debug_assert_eq!(id.index(), ids.neurons.len(), "neuron ids are dense");
                ids.neurons.push(commands.spawn((Neuron(id), FadeIn(0.0))).id());
            }
            StructuralEvent::SynapseFormed { id, pre, post, kind } => {
                let e = commands.spawn((Synapse(id), Pre(pre), Post(post), EdgeKind::of(kind), FadeIn(0.0))).id();
                ids.synapses.insert(id, e);
            }
            StructuralEvent::SynapsePruned { id } => {
                if let Some(e) = ids.synapses.remove(&id) {
                    commands.entity(e).remove::<FadeIn>().insert(FadeOut(0.0));
                }
            }
            StructuralEvent::AttentionEdgeFormed { id, a, b } => {
                // `a` receives, `b` is the neuron whose spikes the edge carries.
                let e = commands.spawn((AttentionEdge(id), Pre(b), Post(a), EdgeKind(2), FadeIn(0.0))).id();
                ids.attention.insert(id, e);
            }
            StructuralEvent::AttentionEdgeDecayed { id } => {
                if let Some(e) = ids.attention.remove(&id) {
                    commands.entity(e).remove::<FadeIn>().insert(FadeOut(0.0));
                }
            }
        }
    }
    // Hand the (now empty) buffer back so its capacity is reused.
    let mut events = events;
    events.clear();
    sim.events = events;
    sim.structure_version += 1;
}

/// Advances fade-ins and fade-outs; a faded-out entity is despawned.
pub fn advance_fades(
    mut commands: Commands,
    time: Res<Time>,
    mut fading_in: Query<(Entity, &mut FadeIn)>,
    mut fading_out: Query<(Entity, &mut FadeOut)>,
) {
    let d = time.delta_secs() / FADE_SECONDS;
    for (e, mut f) in &mut fading_in {
        f.0 += d;
        if f.0 >= 1.0 {
            commands.entity(e).remove::<FadeIn>();
        }
    }
    for (e, mut f) in &mut fading_out {
        f.0 += d;
        if f.0 >= 1.0 {
            commands.entity(e).despawn();
        }
    }
}
