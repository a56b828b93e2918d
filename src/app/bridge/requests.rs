//! Requests from the UI and the keyboard, validated and applied at the start of the next tick; a
//! refused one changes nothing and says why in a [`Toast`].

use std::path::PathBuf;

use bevy::prelude::*;

use super::components::Toast;
use super::replay::ReplayRequest;
use super::scene_io::{self, FileTasks, Loading};
use super::transport::{SPEED_RANGE, Transport};
use super::{Selection, Sim};
use crate::sim::{CurrentInput, Input, NeuronId};

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
    /// Rebuild the scene, with an optional new seed (in the background; the running simulation goes
    /// on until the new one is ready).
    Reset {
        /// New seed (`None`: keep the scene's seed).
        seed: Option<u64>,
    },
    /// Set a parameter of learning rule `binding`.
    SetRuleParam {
        /// Index into `Simulation::synaptic`.
        binding: usize,
        /// Parameter name.
        param: String,
        /// New value (engine units).
        value: f64,
    },
    /// Set a parameter of intrinsic rule `index`.
    SetIntrinsicParam {
        /// Index into `Simulation::intrinsic`.
        index: usize,
        /// Parameter name.
        param: String,
        /// New value.
        value: f64,
    },
    /// Change a parameter of a structural rule (pruning, neurogenesis, attention edges).
    SetGrowthParam {
        /// Index into `Simulation::structural`.
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
    /// Open another scene file (built in the background).
    OpenScene(PathBuf),
    /// Save the current scene to a file (written in the background).
    SaveScene(PathBuf),
    /// Save the current scene with every neuron at the given position (the layout shown), so it
    /// opens as it was seen.
    SaveSceneWithLayout(PathBuf, Vec<[f32; 3]>),
    /// Save the simulation's state to a snapshot file (written in the background).
    SaveSnapshot(PathBuf),
    /// Replace the simulation with a snapshot file (read in the background).
    OpenSnapshot(PathBuf),
    /// Select a neuron (or clear the selection).
    Select(Option<NeuronId>),
    /// Draw at most this many synapses (the sample on screen is chosen again).
    SetDrawBudget(usize),
    /// Draw only (and all) the synapses into and out of this neuron; `None`: the sample again.
    SetEgo(Option<NeuronId>),
    /// Replay these spike files into the running scene (rebuilt in the background).
    OpenRecording(Vec<PathBuf>),
    /// Jump the replay to this time (ms).
    Seek(f64),
    /// Loop the replay (back to its start at its end) or not.
    SetLoop(bool),
    /// Follow the replay's files as a running job writes them (from the newest time) or not.
    SetFollow(bool),
    /// Save the replay as a scene and recording pair (the scene naming its spike files).
    SaveReplay(PathBuf),
}

/// The most synapses the drawing budget may ask for.
pub const MAX_DRAW_BUDGET: usize = 100_000_000;

/// Validates and applies the requests written since the last tick. A bad value is refused with a
/// toast and leaves the simulation untouched; loading and saving start background tasks.
pub fn apply_requests(
    mut commands: Commands,
    mut requests: MessageReader<SimRequest>,
    mut toasts: MessageWriter<Toast>,
    mut sim: ResMut<Sim>,
    mut transport: ResMut<Transport>,
    mut selection: ResMut<Selection>,
    loading: Option<Res<Loading>>,
    mut files: ResMut<FileTasks>,
    mut spiked: ResMut<super::SpikedSinceDrawn>,
) {
    let mut loading = loading.is_some();
    for request in requests.read() {
        match request {
            SimRequest::TogglePause | SimRequest::SetPaused(_) => {
                transport.paused = match request {
                    SimRequest::SetPaused(p) => *p,
                    _ => !transport.paused,
                };
                // Play at the end of a replay starts it again.
                if !transport.paused && sim.replay_ended() {
                    sim.seek(0.0);
                    spiked.all = true;
                }
            }
            SimRequest::Step => transport.pending_steps += 1,
            SimRequest::SetSpeed(s) => {
                if s.is_finite() && (SPEED_RANGE.0..=SPEED_RANGE.1).contains(s) {
                    transport.speed_ms_per_s = *s;
                    transport.auto_speed = false;
                } else {
                    toasts.write(Toast::error(format!(
                        "speed {s} ms/s refused: it must lie in [{}, {}]",
                        SPEED_RANGE.0, SPEED_RANGE.1
                    )));
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
            SimRequest::SetGrowthParam { index, param, value } => {
                if let Err(e) = sim.engine.set_growth_param(*index, param, *value) {
                    toasts.write(Toast::error(format!("structural rule {index}: {e}")));
                }
            }
            SimRequest::Stimulate { .. } | SimRequest::Reward(_) if sim.replay.is_some() => {
                toasts.write(Toast::error(
                    "a replay shows what was recorded: stimuli and rewards act on a live run (Reset returns to one)",
                ));
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
            SimRequest::Reset { .. }
            | SimRequest::OpenScene(_)
            | SimRequest::OpenSnapshot(_)
            | SimRequest::OpenRecording(_)
                if loading =>
            {
                toasts.write(Toast::error("another file is still loading; try again when it is done"));
            }
            SimRequest::Reset { seed } => {
                let seed = seed.or(Some(sim.engine.network.seed()));
                commands.insert_resource(scene_io::rebuild(&sim, seed));
                loading = true;
            }
            SimRequest::OpenScene(path) => {
                commands.insert_resource(scene_io::open_scene(path.clone()));
                loading = true;
            }
            SimRequest::OpenSnapshot(path) => {
                commands.insert_resource(scene_io::open_snapshot(&sim, path.clone()));
                loading = true;
            }
            SimRequest::OpenRecording(paths) => {
                if paths.is_empty() {
                    toasts.write(Toast::error("no spike file was chosen"));
                    continue;
                }
                let request = ReplayRequest { files: paths.clone(), looping: false, follow: false };
                commands.insert_resource(scene_io::open_recording(&sim, request));
                loading = true;
            }
            SimRequest::Seek(_) | SimRequest::SetLoop(_) | SimRequest::SetFollow(_) if sim.replay.is_none() => {
                toasts.write(Toast::error("no recording is replayed: open one first (Open recording…)"));
            }
            SimRequest::Seek(t) => {
                if !(t.is_finite() && *t >= 0.0) {
                    toasts.write(Toast::error(format!("time {t} ms refused: it must be a time >= 0")));
                    continue;
                }
                sim.seek(*t);
                spiked.all = true;
            }
            SimRequest::SetLoop(on) => {
                if let Some(r) = &mut sim.replay {
                    r.feed.looping = *on;
                    // At the end, looping goes on from the start.
                    r.ended &= !*on;
                }
            }
            SimRequest::SetFollow(on) => {
                let Some(r) = &mut sim.replay else { continue };
                if *on && !r.feed.can_follow() {
                    toasts.write(Toast::error("only NEST ascii files (.dat) can be followed while a job writes them"));
                    continue;
                }
                r.feed.following = *on;
                if *on {
                    let _ = r.feed.refresh();
                    let end = r.feed.end_ms();
                    sim.seek(end);
                    spiked.all = true;
                }
            }
            SimRequest::SaveReplay(path) => files.save_replay(&sim, path.clone(), &mut toasts),
            SimRequest::SaveScene(path) => files.save_scene(&sim, path.clone()),
            SimRequest::SaveSceneWithLayout(path, positions) => {
                files.save_scene_with_layout(&sim, path.clone(), positions, &mut toasts);
            }
            SimRequest::SaveSnapshot(path) => files.save_snapshot(&sim, path.clone()),
            SimRequest::Select(sel) => {
                selection.0 = sel.filter(|n| n.index() < sim.engine.network.num_neurons());
                sim.history.select(selection.0);
                sim.recall_selected_spikes();
            }
            SimRequest::SetDrawBudget(budget) => {
                if !(1..=MAX_DRAW_BUDGET).contains(budget) {
                    toasts.write(Toast::error(format!(
                        "synapse budget {budget} refused: it must lie in [1, {MAX_DRAW_BUDGET}]"
                    )));
                    continue;
                }
                let budget = *budget;
                commands.queue(move |world: &mut World| super::mirror::change_budget(world, budget));
            }
            SimRequest::SetEgo(ego) => {
                if let Some(n) = ego
                    && n.index() >= sim.engine.network.num_neurons()
                {
                    toasts.write(Toast::error(format!(
                        "neuron {} refused: the network has {}",
                        n.0,
                        sim.engine.network.num_neurons()
                    )));
                    continue;
                }
                let ego = *ego;
                commands.queue(move |world: &mut World| super::mirror::change_ego(world, ego));
            }
        }
    }
}
