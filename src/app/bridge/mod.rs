//! The ECS bridge: the simulation as a resource, neurons and synapses as entities with their stable
//! ids, and the system sets that run each tick of the schedule the plugin is given:
//!
//! | set | what |
//! |---|---|
//! | [`SimSystems::ApplyControls`] | the UI's [`SimRequest`]s, validated (transport, edits, stimuli, file I/O started) |
//! | [`SimSystems::Step`] | the [`SimulationSchedule`] as often as the speed asks: `SimulationSystems::Advance` (steps, learning rules), then [`GrowthSystems`] (structural rounds) |
//! | [`SimSystems::Mirror`] | [`StructureChanged`] messages into entities; fades |
//!
//! Scene and snapshot files load and save on background tasks ([`scene_io`]), never in the tick.

pub mod components;
mod mirror;
pub mod replay;
pub mod requests;
pub mod scene_io;
pub mod transport;

use bevy::ecs::schedule::{
    InternedScheduleLabel, LogLevel, ScheduleBuildSettings, ScheduleLabel, SingleThreadedExecutor,
};
use bevy::prelude::*;

pub use components::{
    AttentionEdge, Born, EdgeKind, FADE_SECONDS, FadeIn, FadeOut, IdMap, Neuron, OnScreen, Post, Pre,
    SimulationInstalled, StructureChanged, Synapse, Toast,
};
pub use requests::SimRequest;
pub use scene_io::{FileTasks, Loading};
pub use transport::{
    GrowthSystems, REAL_TIME, SPEED_RANGE, SimulationSchedule, SimulationSystems, StepBudget, Transport,
};

use super::history::{self, History};
use crate::engine::Simulation;
use crate::scene::{Scene, SceneError};
use crate::sim::{Network, NeuronId, StepReport};

/// The running simulation, the scene it came from, and what has been recorded of it.
#[derive(Resource)]
pub struct Sim {
    /// The network being simulated, with its rules.
    pub engine: Simulation,
    /// The scene it was built from (kept for reset and save).
    pub scene: Scene,
    /// The scene's file.
    pub scene_path: std::path::PathBuf,
    /// Recent activity for the plots.
    pub history: History,
    /// The recording replayed into the network instead of its rules (`None`: a live run).
    pub replay: Option<replay::Replay>,
    report: StepReport,
}

impl Sim {
    /// Parses and builds a scene whose text was already read from `path`.
    pub fn parse(text: &str, path: &std::path::Path, seed: Option<u64>) -> Result<Self, SceneError> {
        let scene = Scene::parse(text, &path.display().to_string())?;
        Self::from_scene(scene, path.to_path_buf(), seed)
    }

    /// Builds a parsed scene.
    pub fn from_scene(scene: Scene, path: std::path::PathBuf, seed: Option<u64>) -> Result<Self, SceneError> {
        let engine = scene.build(seed)?;
        Ok(Self::with_simulation(engine, scene, path))
    }

    /// Wraps a built (or resumed) simulation of `scene`.
    pub fn with_simulation(engine: Simulation, scene: Scene, path: std::path::PathBuf) -> Self {
        let history = History::new(&engine);
        let report = StepReport::with_capacity(engine.network.num_neurons());
        Self { engine, scene, scene_path: path, history, replay: None, report }
    }

    /// Replays `replay` into this network from its start: the rules, inputs and stimuli stop
    /// (the recording says what spiked), and the history starts again.
    pub fn start_replay(&mut self, replay: replay::Replay) {
        self.engine.synaptic.clear();
        self.engine.intrinsic.clear();
        self.engine.structural.clear();
        self.engine.network.inputs.clear();
        self.replay = Some(replay);
        self.seek(0.0);
    }

    /// Jumps a replay to `t_ms` (clamped to the recording); the history starts again there. Does
    /// nothing in a live run.
    pub fn seek(&mut self, t_ms: f64) {
        let Some(r) = &mut self.replay else { return };
        if let Err(e) = r.feed.seek(&mut self.engine.network, t_ms) {
            r.error = Some(e);
        }
        r.ended = false;
        r.announced = false;
        // Potentials are traced only when the recording has them (else the model's rest).
        let voltages = r.feed.has_voltages();
        let traced = self.history.traced();
        self.history = History::new(&self.engine);
        self.history.trace_voltage = voltages;
        self.history.select(traced);
        self.recall_selected_spikes();
    }

    /// In a replay, the selected neuron's spikes of the last second read from the recording (once,
    /// when it is picked or the time jumps; the step reports add the ones that follow).
    pub fn recall_selected_spikes(&mut self) {
        let (Some(r), Some(n)) = (&self.replay, self.history.traced()) else { return };
        let net = &self.engine.network;
        let now = net.time_ms();
        let from = now - history::RASTER_WINDOW_MS;
        self.history.selected_spikes = r.feed.spikes_of(n.0, from, now, net.dt_ms(), usize::MAX).into();
    }

    /// Whether a replay has reached its end (or stopped at an error).
    pub fn replay_ended(&self) -> bool {
        self.replay.as_ref().is_some_and(|r| r.ended)
    }

    /// The scene's name for neuron `i` (an imported connectome's `AVAL`), if it has one.
    pub fn neuron_name(&self, i: u32) -> Option<&str> {
        let net = self.network();
        let pop = *net.neurons.population.get(i as usize)?;
        let names = &self.scene.file.populations.get(pop.index())?.neuron_names;
        if names.is_empty() {
            return None;
        }
        let local = net.population_neurons(pop).position(|k| k == i)?;
        names.get(local).map(String::as_str)
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

    /// Advances one step (structural rounds due at its start included), records it in the history
    /// and returns its report.
    pub fn step_once(&mut self, selected: Option<NeuronId>) -> &StepReport {
        if let Some(r) = &mut self.replay {
            if !r.step(&mut self.engine.network, &mut self.report) {
                self.report.spikes.clear();
                self.report.events.clear();
                return &self.report;
            }
        } else {
            self.engine.step(&mut self.report);
        }
        self.history.record_step(&self.report, &self.engine, selected);
        &self.report
    }

    /// Advances by `ms` of biological time, calling `on_step` with each step's report.
    pub fn run_ms(&mut self, ms: f64, selected: Option<NeuronId>, mut on_step: impl FnMut(&StepReport)) {
        let steps = (ms / self.engine.network.dt_ms()).round() as u64;
        for _ in 0..steps {
            on_step(self.step_once(selected));
        }
    }
}

/// Advances the world's simulation by `ms` of biological time outside any schedule (warm-up before
/// a screenshot, offscreen recording, benchmarks), sending its changes and spikes as the tick does;
/// returns the number of structural changes.
pub fn advance_ms(world: &mut World, ms: f64) -> usize {
    let selected = world.get_resource::<Selection>().and_then(|s| s.0);
    let Some(mut sim) = world.get_resource_mut::<Sim>() else { return 0 };
    let (mut changes, mut spikes) = (Vec::new(), Vec::new());
    sim.run_ms(ms, selected, |report| {
        let time_ms = report.time_ms;
        changes.extend(report.events.iter().map(|&event| StructureChanged { event, time_ms }));
        spikes.extend_from_slice(&report.spikes);
    });
    let count = changes.len();
    world.write_message_batch(changes);
    if let Some(mut spiked) = world.get_resource_mut::<SpikedSinceDrawn>() {
        spiked.record(&spikes);
    }
    count
}

/// The neuron picked in the 3D view or the raster.
#[derive(Resource, Default, Debug, Clone, Copy, PartialEq)]
pub struct Selection(pub Option<NeuronId>);

/// Neurons that spiked since the view last uploaded spike times (the view drains it); past a
/// quarter of the network, the whole column is uploaded instead.
#[derive(Resource, Default, Debug)]
pub struct SpikedSinceDrawn {
    /// Neuron ids, in the order their steps ran (repeats allowed).
    pub ids: Vec<u32>,
    /// Whether so many spiked that the whole column goes up.
    pub all: bool,
}

impl SpikedSinceDrawn {
    /// Most ids kept before the whole column is marked.
    const MAX: usize = 1 << 16;

    /// Adds one step's spikes.
    pub fn record(&mut self, spikes: &[NeuronId]) {
        if self.all || self.ids.len() + spikes.len() > Self::MAX {
            self.all = true;
            self.ids.clear();
        } else {
            self.ids.extend(spikes.iter().map(|s| s.0));
        }
    }
}

/// The fixed-tick system sets, in order.
#[derive(SystemSet, Debug, Clone, PartialEq, Eq, Hash)]
pub enum SimSystems {
    /// Apply the UI's requests (pause, speed, parameter edits, stimulation, file I/O started).
    ApplyControls,
    /// Run the simulation schedule: steps and learning rules, then structural rounds.
    Step,
    /// Spawn/despawn entities from structural changes; advance fades.
    Mirror,
}

/// The simulation resource, its entities and the systems that step and mirror it, in the schedule
/// given to [`SimPlugin::new`] (`FixedUpdate` by default). Needs no rendering, so headless tests run
/// it under `MinimalPlugins`.
pub struct SimPlugin {
    schedule: InternedScheduleLabel,
}

impl SimPlugin {
    /// The bridge, ticking in `schedule`.
    pub fn new(schedule: impl ScheduleLabel) -> Self {
        Self { schedule: schedule.intern() }
    }
}

impl Default for SimPlugin {
    fn default() -> Self {
        Self::new(FixedUpdate)
    }
}

impl Plugin for SimPlugin {
    fn build(&self, app: &mut App) {
        let tick = self.schedule;
        // The simulation's own schedule: one thread (its systems share the network), and any two
        // systems with conflicting access must be ordered.
        let mut schedule = Schedule::new(SimulationSchedule);
        schedule.set_executor(SingleThreadedExecutor::new());
        schedule.set_build_settings(ScheduleBuildSettings { ambiguity_detection: LogLevel::Error, ..default() });
        schedule.configure_sets((SimulationSystems::Advance, GrowthSystems).chain());
        schedule.add_systems((
            transport::advance_network.in_set(SimulationSystems::Advance),
            transport::grow_network.in_set(GrowthSystems),
        ));
        app.add_schedule(schedule)
            .init_resource::<Transport>()
            .init_resource::<StepBudget>()
            .init_resource::<Selection>()
            .init_resource::<IdMap>()
            .init_resource::<OnScreen>()
            .init_resource::<SpikedSinceDrawn>()
            .init_resource::<FileTasks>()
            .add_message::<SimRequest>()
            .add_message::<Toast>()
            .add_message::<StructureChanged>()
            .add_message::<SimulationInstalled>()
            .configure_sets(tick, (SimSystems::ApplyControls, SimSystems::Step, SimSystems::Mirror).chain())
            .add_systems(
                tick,
                (
                    requests::apply_requests.in_set(SimSystems::ApplyControls),
                    transport::run_simulation.in_set(SimSystems::Step),
                    (mirror::mirror_structure, mirror::advance_fades).chain().in_set(SimSystems::Mirror),
                )
                    .run_if(resource_exists::<Sim>),
            )
            .add_systems(PreUpdate, (scene_io::finish_loading, scene_io::finish_file_tasks));
    }
}
