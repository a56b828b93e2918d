//! The graph's structure in the app: its measures computed on a thread of their own from a copy of
//! the synapse table (the frame never waits for them), their history for the Graph section of the
//! right panel, and per-neuron values the view colours neurons by.

use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use bevy::prelude::*;

use super::bridge::{Sim, SimulationInstalled};
use crate::analysis::graph::{Effort, GraphMeasures, SynapseGraph};

/// What neurons can be coloured by besides their population and membrane potential.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum GraphColor {
    /// Population colours (the default).
    #[default]
    Population,
    /// Louvain community.
    Community,
    /// Total degree (in + out).
    Degree,
    /// Summed |w| of the synapses arriving.
    InStrength,
    /// Directed clustering.
    Clustering,
    /// Betweenness (sampled on large graphs).
    Betweenness,
}

impl GraphColor {
    /// Every choice, in menu order.
    pub const ALL: [GraphColor; 6] = [
        GraphColor::Population,
        GraphColor::Community,
        GraphColor::Degree,
        GraphColor::InStrength,
        GraphColor::Clustering,
        GraphColor::Betweenness,
    ];

    /// The menu label.
    pub fn label(self) -> &'static str {
        match self {
            GraphColor::Population => "population",
            GraphColor::Community => "community (Louvain)",
            GraphColor::Degree => "degree",
            GraphColor::InStrength => "in-strength",
            GraphColor::Clustering => "clustering",
            GraphColor::Betweenness => "betweenness",
        }
    }

    /// The name `--color-by` takes.
    pub fn parse(s: &str) -> Result<Self, String> {
        Ok(match s {
            "population" => GraphColor::Population,
            "community" => GraphColor::Community,
            "degree" => GraphColor::Degree,
            "in-strength" => GraphColor::InStrength,
            "clustering" => GraphColor::Clustering,
            "betweenness" => GraphColor::Betweenness,
            other => {
                return Err(format!(
                    "`{other}`: colour by population, community, degree, in-strength, clustering or betweenness"
                ));
            }
        })
    }
}

/// One computation's results.
#[derive(Clone, Debug, Default)]
pub struct GraphSnapshot {
    /// Its measures.
    pub measures: GraphMeasures,
    /// Louvain community of each neuron.
    pub community: Vec<u32>,
    /// Total degree of each neuron.
    pub degree: Vec<u32>,
    /// In-strength of each neuron.
    pub in_strength: Vec<f64>,
    /// Directed clustering of each neuron (empty above the effort's edges).
    pub clustering: Vec<f64>,
    /// Betweenness of each neuron.
    pub betweenness: Vec<f64>,
    /// Wall time it took (ms).
    pub compute_ms: f64,
    /// Counts computations, so the view knows when colours are stale.
    pub serial: u64,
}

impl GraphSnapshot {
    /// Per-neuron values for `color` (`None` for population colouring or when not computed).
    pub fn values(&self, color: GraphColor) -> Option<Vec<f64>> {
        let v: Vec<f64> = match color {
            GraphColor::Population => return None,
            GraphColor::Community => self.community.iter().map(|&c| f64::from(c)).collect(),
            GraphColor::Degree => self.degree.iter().map(|&d| f64::from(d)).collect(),
            GraphColor::InStrength => self.in_strength.clone(),
            GraphColor::Clustering => self.clustering.clone(),
            GraphColor::Betweenness => self.betweenness.clone(),
        };
        (!v.is_empty()).then_some(v)
    }
}

/// The most synapses the app measures while a network runs (5 M: a 5 ms copy per second).
pub const MAX_SYNAPSES_MEASURED: usize = 5_000_000;

/// One point of the measures' history.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct GraphPoint {
    /// Biological time (ms).
    pub time_ms: f64,
    /// Reciprocity.
    pub reciprocity: f64,
    /// Mean directed clustering (NaN when skipped).
    pub clustering: f64,
    /// Largest strongly connected component over neurons.
    pub largest_scc: f64,
    /// Louvain modularity.
    pub modularity: f64,
    /// Mean out-degree.
    pub mean_degree: f64,
}

/// The measures as they come in, and the computation under way.
#[derive(Resource)]
pub struct GraphState {
    /// The newest results.
    pub latest: Option<GraphSnapshot>,
    /// One point per computation since the simulation was installed.
    pub history: Vec<GraphPoint>,
    /// Wall time between computations.
    pub interval: Duration,
    /// Networks with more synapses are not measured while they run: the copy of the table would
    /// cost the frame (about 1 ms per million synapses, and their memory again).
    pub max_synapses: usize,
    pending: Option<JoinHandle<GraphSnapshot>>,
    started: Option<Instant>,
    measured_at: Option<(u64, usize)>,
    serial: u64,
}

impl Default for GraphState {
    fn default() -> Self {
        Self {
            latest: None,
            history: Vec::new(),
            interval: Duration::from_millis(1000),
            max_synapses: MAX_SYNAPSES_MEASURED,
            pending: None,
            started: None,
            measured_at: None,
            serial: 0,
        }
    }
}

impl GraphState {
    /// Whether a computation is under way.
    pub fn busy(&self) -> bool {
        self.pending.is_some()
    }
}

/// The graph systems of `Update` (the view colours neurons after them, so a result collected this
/// frame is drawn this frame).
#[derive(SystemSet, Debug, Clone, PartialEq, Eq, Hash)]
pub struct GraphSystems;

/// The computations run and collected each frame, their history reset with each new simulation.
pub struct GraphPlugin;

impl Plugin for GraphPlugin {
    fn build(&self, app: &mut App) {
        app.init_resource::<GraphState>()
            .add_systems(Update, (reset_on_install, collect, start).chain().in_set(GraphSystems));
    }
}

fn reset_on_install(mut installed: MessageReader<SimulationInstalled>, mut state: ResMut<GraphState>) {
    if installed.read().count() > 0 {
        let interval = state.interval;
        *state = GraphState { interval, ..GraphState::default() };
    }
}

/// Takes a finished computation, if there is one.
fn collect(mut state: ResMut<GraphState>) {
    if !state.pending.as_ref().is_some_and(JoinHandle::is_finished) {
        return;
    }
    let Some(Ok(mut snap)) = state.pending.take().map(JoinHandle::join) else { return };
    state.serial += 1;
    snap.serial = state.serial;
    let m = &snap.measures;
    let point = GraphPoint {
        time_ms: m.time_ms,
        reciprocity: m.reciprocity,
        clustering: m.clustering.unwrap_or(f64::NAN),
        largest_scc: if m.neurons == 0 { 0.0 } else { m.largest_strong as f64 / m.neurons as f64 },
        modularity: m.modularity,
        mean_degree: m.out_degree.mean,
    };
    state.history.push(point);
    state.latest = Some(snap);
}

/// Starts a computation when none runs, the interval has passed and the network has moved on.
fn start(sim: Option<Res<Sim>>, mut state: ResMut<GraphState>) {
    let Some(sim) = sim else { return };
    let net = &sim.engine.network;
    if net.num_synapses() > state.max_synapses {
        return;
    }
    let at = (net.step_count(), net.num_synapses());
    if state.pending.is_some()
        || state.measured_at == Some(at)
        || state.started.is_some_and(|t| t.elapsed() < state.interval)
    {
        return;
    }
    // The copy is what the frame pays: a memcpy of the synapse table (about 1 ms per million).
    let (synapses, n, time_ms) = (net.synapses.clone(), net.num_neurons(), net.time_ms());
    let spawned = std::thread::Builder::new()
        .name("graph measures".into())
        .spawn(move || background_pool().install(|| measure(synapses, n, time_ms)));
    if let Ok(handle) = spawned {
        state.pending = Some(handle);
        state.started = Some(Instant::now());
        state.measured_at = Some(at);
    }
}

/// A thread pool of its own for work off the frame (graph measures, force layouts): on rayon's
/// global pool its tasks would hold up the simulation step's parallel work for as long as one of
/// them runs (measured: a 385 ms frame in `bench frame`). One thread less than the machine has.
pub fn background_pool() -> rayon::ThreadPool {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get().saturating_sub(1).max(1));
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .thread_name(|i| format!("background {i}"))
        .build()
        .unwrap_or_else(|_| rayon::ThreadPoolBuilder::new().num_threads(1).build().expect("one thread"))
}

/// Measures a copy of the synapse table.
fn measure(synapses: crate::sim::Synapses, n: usize, time_ms: f64) -> GraphSnapshot {
    let t = Instant::now();
    let g = SynapseGraph::from_synapses(&synapses, n);
    drop(synapses);
    let (measures, nodes) =
        GraphMeasures::with_nodes(&g, time_ms, Effort { sources: 64, local_edges: 1_000_000, triads: false });
    GraphSnapshot {
        measures,
        community: nodes.community,
        degree: nodes.degree,
        in_strength: nodes.in_strength,
        clustering: nodes.clustering,
        betweenness: nodes.betweenness,
        compute_ms: t.elapsed().as_secs_f64() * 1e3,
        serial: 0,
    }
}
