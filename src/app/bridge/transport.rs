//! Play/pause and speed, and the fixed tick's stepping: the simulation's own schedule runs as many
//! times per tick as the speed asks, each run advancing the network up to its next structural round
//! (`SimulationSystems::Advance`) and then running that round (`GrowthSystems`), within a wall-clock
//! budget.

use std::time::{Duration, Instant};

use bevy::ecs::schedule::ScheduleLabel;
use bevy::prelude::*;

use super::components::StructureChanged;
use super::{Selection, Sim, SpikedSinceDrawn};

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
    /// The fastest smoothed pace reached since the scene opened (biological ms per wall ms).
    pub fastest_factor: f64,
    /// The engine's own pace: biological ms per wall ms spent stepping (smoothed), what the
    /// machine allows if stepping had the whole frame.
    pub engine_factor: f64,
    /// Whether the speed is still the one the app chose at opening (it then follows what the
    /// machine allows: real time, or the fastest it keeps up with); false once the user sets it.
    pub auto_speed: bool,
    /// Seconds the simulation has been behind in a row.
    behind_for_s: f64,
    /// Single steps requested while paused.
    pub pending_steps: u64,
    carry_ms: f64,
}

impl Default for Transport {
    fn default() -> Self {
        Self {
            paused: false,
            speed_ms_per_s: REAL_TIME,
            budget_ms: 12.0,
            realtime_factor: 0.0,
            behind: false,
            fastest_factor: 0.0,
            engine_factor: 0.0,
            auto_speed: true,
            behind_for_s: 0.0,
            pending_steps: 0,
            carry_ms: 0.0,
        }
    }
}

/// Slowest and fastest speeds the transport slider offers (biological ms per second).
pub const SPEED_RANGE: (f64, f64) = (0.1, 10_000.0);

/// Real time: a biological second per second.
pub const REAL_TIME: f64 = 1000.0;

/// Seconds behind in a row after which an app-chosen speed drops to what the machine keeps up with.
const BEHIND_GRACE_S: f64 = 2.0;

impl Transport {
    /// A new scene opened: the fastest pace is measured anew, and an app-chosen speed returns to
    /// real time.
    pub fn reset_pace(&mut self) {
        self.fastest_factor = 0.0;
        self.engine_factor = 0.0;
        self.realtime_factor = 0.0;
        self.behind_for_s = 0.0;
        if self.auto_speed {
            self.speed_ms_per_s = REAL_TIME;
        }
    }

    /// After a tick of `tick_s` that did `done` steps of `dt` ms in `stepping_s` of stepping:
    /// the paces, and an app-chosen speed that the machine cannot keep up with lowered to 90 % of
    /// the pace reached (never below the slider's slowest).
    fn measure(&mut self, tick_s: f64, stepping_s: f64, done: u64, dt: f64) {
        if tick_s <= 0.0 || self.paused {
            return;
        }
        let factor = done as f64 * dt / (tick_s * 1000.0);
        self.realtime_factor = 0.8 * self.realtime_factor + 0.2 * factor;
        if self.realtime_factor.is_finite() {
            self.fastest_factor = self.fastest_factor.max(self.realtime_factor);
        }
        if done > 0 && stepping_s > 0.0 {
            let engine = done as f64 * dt / (stepping_s * 1000.0);
            self.engine_factor =
                if self.engine_factor > 0.0 { 0.8 * self.engine_factor + 0.2 * engine } else { engine };
        }
        self.behind_for_s = if self.behind { self.behind_for_s + tick_s } else { 0.0 };
        if self.auto_speed && self.behind_for_s > BEHIND_GRACE_S && self.realtime_factor > 0.0 {
            self.speed_ms_per_s = (0.9 * self.realtime_factor * 1000.0).clamp(SPEED_RANGE.0, SPEED_RANGE.1);
            self.behind_for_s = 0.0;
        }
    }
}

/// The schedule of the simulation's own systems, run once per stretch of steps between
/// structural rounds, as many times per fixed tick as needed (the pattern of avian's
/// `PhysicsSchedule`): `SimulationSystems::Advance`, then [`GrowthSystems`].
#[derive(ScheduleLabel, Clone, Debug, PartialEq, Eq, Hash)]
pub struct SimulationSchedule;

/// The systems of [`SimulationSchedule`], in order.
#[derive(SystemSet, Debug, Clone, PartialEq, Eq, Hash)]
pub enum SimulationSystems {
    /// Steps the network (inputs, neurons, propagation, learning rules) until the steps asked for
    /// are done, the time is up, or a structural round is due.
    Advance,
}

/// The structural rules (growth, pruning, attention edges): run the rounds due at the next step,
/// whose changes go out as [`StructureChanged`] messages.
#[derive(SystemSet, Debug, Clone, PartialEq, Eq, Hash)]
pub struct GrowthSystems;

/// What is left of this tick's stepping.
#[derive(Resource, Debug, Default)]
pub struct StepBudget {
    /// Steps still to take.
    pub remaining: u64,
    /// Steps taken this tick.
    pub done: u64,
    /// Wall-clock time after which the tick stops stepping.
    pub deadline: Option<Instant>,
}

impl StepBudget {
    /// Whether the wall-clock budget is spent.
    fn out_of_time(&self) -> bool {
        self.deadline.is_some_and(|d| Instant::now() >= d)
    }
}

/// Runs the simulation's schedule until the steps the speed asks for in this tick are done or the
/// wall-clock budget is spent (an exclusive system: each run may change the network's structure).
pub fn run_simulation(world: &mut World) {
    let tick_s = world.resource::<Time>().delta_secs_f64();
    let Some(dt) = world.get_resource::<Sim>().map(|s| s.engine.network.dt_ms()) else { return };
    let (steps, deadline) = {
        let mut t = world.resource_mut::<Transport>();
        let mut steps = std::mem::take(&mut t.pending_steps);
        if !t.paused {
            t.carry_ms += t.speed_ms_per_s * tick_s;
            let whole = (t.carry_ms / dt).floor();
            t.carry_ms -= whole * dt;
            steps += whole as u64;
        }
        (steps, Instant::now() + Duration::from_secs_f64(t.budget_ms / 1000.0))
    };
    world.insert_resource(StepBudget { remaining: steps, done: 0, deadline: Some(deadline) });
    let started = Instant::now();
    while world.resource::<StepBudget>().remaining > 0 {
        let before = world.resource::<StepBudget>().remaining;
        world.run_schedule(SimulationSchedule);
        let b = world.resource::<StepBudget>();
        if b.out_of_time() || b.remaining == before && !world.resource::<Sim>().engine.structural_rounds_due() {
            break;
        }
    }
    let done = world.resource::<StepBudget>().done;
    let stepping_s = started.elapsed().as_secs_f64();
    announce_replay_end(world);
    let mut t = world.resource_mut::<Transport>();
    t.behind = done < steps;
    if t.behind {
        t.carry_ms = 0.0;
    }
    t.measure(tick_s, stepping_s, done, dt);
}

/// Steps the network until this tick's steps are done, the time is up, or a structural round is
/// due (left to [`GrowthSystems`]). Changes made between steps (none in the app yet, but any edit
/// through `Simulation::edit`) go out as messages too.
pub fn advance_network(
    mut sim: ResMut<Sim>,
    mut budget: ResMut<StepBudget>,
    selection: Res<Selection>,
    mut spiked: ResMut<SpikedSinceDrawn>,
    mut changes: MessageWriter<StructureChanged>,
) {
    let mut k = 0u32;
    while budget.remaining > 0 && !sim.engine.structural_rounds_due() && !sim.replay_ended() {
        let report = sim.step_once(selection.0);
        let time_ms = report.time_ms;
        changes.write_batch(report.events.iter().map(|&event| StructureChanged { event, time_ms }));
        spiked.record(&report.spikes);
        budget.remaining -= 1;
        budget.done += 1;
        k += 1;
        if k.is_multiple_of(8) && budget.out_of_time() {
            break;
        }
    }
}

/// At the end of a replay (or a read error in it): the transport pauses and says so, once.
fn announce_replay_end(world: &mut World) {
    let mut sim = world.resource_mut::<Sim>();
    let Some(r) = sim.replay.as_mut().filter(|r| r.ended && !r.announced) else { return };
    r.announced = true;
    let (message, failed) = (r.end_message(), r.error.is_some());
    world.resource_mut::<Transport>().paused = true;
    world.write_message(if failed { super::Toast::error(message) } else { super::Toast::info(message) });
}

/// Runs the structural rounds due at the start of the next step and sends their changes.
pub fn grow_network(mut sim: ResMut<Sim>, mut changes: MessageWriter<StructureChanged>) {
    if !sim.engine.structural_rounds_due() {
        return;
    }
    let time_ms = sim.engine.network.time_ms();
    let mut events = Vec::new();
    sim.engine.run_structural_rounds(&mut events);
    changes.write_batch(events.into_iter().map(|event| StructureChanged { event, time_ms }));
}

#[cfg(test)]
mod pace_tests {
    use super::*;

    /// A scene opens at real time; when the machine cannot keep up for 2 s, an app-chosen speed
    /// drops to 90 % of the pace reached, a speed the user chose never does; the fastest pace
    /// reached and the engine's own pace are kept.
    #[test]
    fn an_app_chosen_speed_follows_what_the_machine_keeps_up_with() {
        let mut t = Transport::default();
        assert_eq!(t.speed_ms_per_s, REAL_TIME);
        // Ticks of 1/64 s doing 0.4 of real time (dt 0.1 ms: 62 steps of the 156 asked), stepping
        // for 12 ms of each.
        for _ in 0..200 {
            t.behind = true;
            t.measure(1.0 / 64.0, 0.012, 62, 0.1);
        }
        assert!((t.speed_ms_per_s - 0.9 * 1000.0 * 0.3968).abs() < 5.0, "{}", t.speed_ms_per_s);
        assert!((t.fastest_factor - 0.3968).abs() < 0.01, "{}", t.fastest_factor);
        assert!((t.engine_factor - 0.517).abs() < 0.01, "{}", t.engine_factor);
        let mut user = Transport { auto_speed: false, ..Transport::default() };
        for _ in 0..200 {
            user.behind = true;
            user.measure(1.0 / 64.0, 0.012, 62, 0.1);
        }
        assert_eq!(user.speed_ms_per_s, REAL_TIME, "the user's speed stays");
        t.reset_pace();
        assert_eq!((t.speed_ms_per_s, t.fastest_factor), (REAL_TIME, 0.0), "a new scene starts over");
    }
}
