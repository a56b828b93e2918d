//! [`Simulation`]: the network with its rules, the step that calls their hooks, edits between steps
//! that every rule follows, and the log of parameter edits.

use std::ops::Range;
use std::time::Instant;

use serde::{Deserialize, Serialize};

use super::registry::{GrowthRule, IntrinsicBinding, PlasticityRule, SynapticBinding};
use super::timing::{StructuralTimes, Timings};
use crate::sim::edit::{Applied, Birth, Edits, NewSynapse};
use crate::sim::network::{Network, NetworkError};
use crate::sim::report::{StepReport, StructuralEvent};
use crate::sim::rule::{Activity, Scope, StructuralRule};
use crate::sim::{NeuronId, PopulationId, SynapseId};

/// A parameter edit, recorded with the time it took effect.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ParamChange {
    /// The first step that used the new value.
    pub step: u64,
    /// Biological time of that step's start (ms).
    pub time_ms: f64,
    /// What was edited: `projection NAME` or `population NAME`.
    pub target: String,
    /// Parameter name.
    pub param: String,
    /// Value before.
    pub old: f64,
    /// Value after.
    pub new: f64,
}

/// A network and the rules attached to it, advanced together.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Simulation {
    /// The neurons, synapses, inputs and their state.
    pub network: Network,
    /// Learning rules on projections, applied in this order.
    pub synaptic: Vec<SynapticBinding>,
    /// Intrinsic plasticity on populations.
    pub intrinsic: Vec<IntrinsicBinding>,
    /// Structural rules, each round planned and applied in this order.
    pub structural: Vec<GrowthRule>,
    /// Every parameter edit made while running, with its time.
    pub param_changes: Vec<ParamChange>,
    /// The step whose structural rounds have run (at its start) while the step itself has not yet:
    /// saved, so a snapshot taken between the two resumes without running them twice.
    rounds_done_for: Option<u64>,
    #[serde(skip)]
    scratch: Scratch,
}

/// Buffers and timings of this process; never saved.
#[derive(Clone, Debug, Default)]
struct Scratch {
    edits: Edits,
    timings: Timings,
}

impl PartialEq for Scratch {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Simulation {
    /// A network without rules.
    pub fn new(network: Network) -> Self {
        Self {
            network,
            synaptic: Vec::new(),
            intrinsic: Vec::new(),
            structural: Vec::new(),
            param_changes: Vec::new(),
            rounds_done_for: None,
            scratch: Scratch::default(),
        }
    }

    /// Attaches learning rules, one per (projection scope, label, weight factor, rule). Rules of
    /// one kind see the scopes of all projections bound to that kind. The synapses must carry
    /// projection indices.
    pub fn attach_plasticity(&mut self, rules: Vec<(Scope, String, f64, PlasticityRule)>) -> Result<(), NetworkError> {
        let syn = &self.network.synapses;
        if !rules.is_empty() && syn.projection.len() != syn.len() {
            return Err(NetworkError::Invalid("synapses carry no projection indices".into()));
        }
        for (_, _, _, rule) in &rules {
            rule.validate()?;
        }
        let n = self.network.num_neurons();
        let peers_of = |rule: &PlasticityRule| -> Vec<Scope> {
            rules.iter().filter(|r| r.3.same_kind(rule)).map(|r| r.0).collect()
        };
        let attached: Vec<SynapticBinding> = rules
            .iter()
            .map(|(scope, label, factor, rule)| rule.clone().attach(*scope, label.clone(), *factor, n, &peers_of(rule)))
            .collect();
        for mut b in attached {
            b.prepare(&self.network.synapses);
            self.synaptic.push(b);
        }
        Ok(())
    }

    /// Checks a simulation decoded from a file before anything steps it: the network (lengths,
    /// indices, finite values), then every rule against it. A crafted file is refused here.
    pub fn check_decoded(&mut self) -> Result<(), NetworkError> {
        self.network.check_decoded()?;
        let invalid = NetworkError::Invalid;
        if self.rounds_done_for.is_some_and(|s| s > self.network.step_count()) {
            return Err(invalid("structural rounds recorded for a later step".into()));
        }
        for ip in &self.intrinsic {
            ip.rule.validate()?;
            if ip.population.index() >= self.network.populations.len() {
                return Err(invalid(format!(
                    "intrinsic plasticity on population {}, which does not exist",
                    ip.population.0
                )));
            }
        }
        for b in &self.synaptic {
            b.check_decoded(&self.network).map_err(invalid)?;
        }
        for r in &self.structural {
            r.check_decoded(&self.network).map_err(invalid)?;
        }
        Ok(())
    }

    /// Attaches intrinsic plasticity to a population.
    pub fn add_intrinsic(&mut self, ip: IntrinsicBinding) -> Result<(), NetworkError> {
        ip.rule.validate()?;
        if ip.population.index() >= self.network.populations.len() {
            return Err(NetworkError::Invalid(format!("population {} does not exist", ip.population.0)));
        }
        self.network.use_threshold_offsets();
        self.intrinsic.push(ip);
        Ok(())
    }

    /// Attaches a structural rule; rules plan in the order they were attached.
    pub fn add_structural(&mut self, rule: impl Into<GrowthRule>) {
        let mut rule = rule.into();
        rule.neurons_added(&self.network.neurons.population);
        self.structural.push(rule);
    }

    /// Rebuilds what a decoded snapshot does not carry: the synapse id index, the step's buffers,
    /// the rules' indices. Fails if the id column names an id twice.
    pub fn prepare(&mut self) -> Result<(), NetworkError> {
        self.network.reindex()?;
        self.network.prepare();
        for b in &mut self.synaptic {
            b.prepare(&self.network.synapses);
        }
        Ok(())
    }

    /// Whether structural rounds are due at the start of the current step and have not run yet
    /// (a host that runs them as a phase of its own, as the app's `GrowthSystems` do, stops
    /// stepping here and calls [`Simulation::run_structural_rounds`]).
    pub fn structural_rounds_due(&self) -> bool {
        let step = self.network.step_count();
        self.rounds_done_for != Some(step) && self.structural.iter().any(|r| r.due(step))
    }

    /// Runs the structural rounds due at the start of the current step, once: each rule's batch of
    /// edits is applied and every rule told what changed before the next plans. Pushes their
    /// events to `events`. [`Simulation::step`] runs them itself when they have not run.
    pub fn run_structural_rounds(&mut self, events: &mut Vec<StructuralEvent>) {
        let step = self.network.step_count();
        if self.rounds_done_for == Some(step) {
            return;
        }
        for k in 0..self.structural.len() {
            if self.structural[k].due(step) {
                self.structural_round(k, events);
            }
        }
        self.rounds_done_for = Some(step);
    }

    /// Advances by one `dt`: structural rounds due at this step (unless they already ran), the
    /// network's step, then the rules' hooks (see [`crate::sim::rule`]). Fills `report` (its
    /// events: edits since the last step, then this step's structural rounds); allocates nothing
    /// on steps without a structural round once prepared.
    pub fn step(&mut self, report: &mut StepReport) {
        if self.network.needs_prepare() {
            self.prepare().expect("a prepared network indexes its synapses");
        }
        let step = self.network.step_count();
        report.events.clear();
        self.network.take_pending_events(&mut report.events);
        self.run_structural_rounds(&mut report.events);
        self.network.advance(report);
        for &amount in &report.rewards {
            for b in &mut self.synaptic {
                b.reward(amount);
            }
        }
        let net = &mut self.network;
        for r in &mut self.structural {
            r.transmit(&report.spikes, &mut net.neurons.syn_ex);
        }
        let (dt_ms, seed) = (net.dt_ms(), net.seed());
        let activity = Activity {
            step,
            grid: step + 1,
            dt_ms,
            seed,
            spikes: &report.spikes,
            population: &net.neurons.population,
            segments: &net.segments,
        };
        for b in &mut self.synaptic {
            b.apply(&mut net.synapses, &activity);
        }
        for ip in &self.intrinsic {
            ip.rule.after_step(ip.population, &mut net.neurons.theta, &activity);
        }
        for r in &mut self.structural {
            r.after_step(&activity);
        }
    }

    /// Runs `steps` steps, calling `on_step` after each with its report.
    pub fn run(&mut self, steps: u64, report: &mut StepReport, mut on_step: impl FnMut(&StepReport)) {
        for _ in 0..steps {
            self.step(report);
            on_step(report);
        }
    }

    /// One round of structural rule `k`: its plan, applied, every rule told what changed.
    fn structural_round(&mut self, k: usize, events: &mut Vec<StructuralEvent>) {
        let t0 = Instant::now();
        let mut edits = std::mem::take(&mut self.scratch.edits);
        edits.clear();
        self.structural[k].plan(&self.network, &mut edits);
        let planned = t0.elapsed();
        if !edits.is_empty() {
            let t1 = Instant::now();
            // A rule's own plan is valid by construction; a refused batch (over 2^31 neurons) is
            // dropped whole, leaving the network as it was.
            if let Ok(applied) = self.network.apply_edits(&edits, events) {
                self.follow(&applied);
            }
            self.scratch.timings.rewire += t1.elapsed();
        }
        let name = self.structural[k].name();
        self.scratch.timings.add(name, planned);
        self.scratch.edits = edits;
    }

    /// Tells every rule what a batch of edits changed.
    fn follow(&mut self, applied: &Applied) {
        if applied.neurons_added > 0 {
            let n = self.network.num_neurons();
            for b in &mut self.synaptic {
                b.resize_neurons(n);
                b.prepare(&self.network.synapses);
            }
            for r in &mut self.structural {
                r.neurons_added(&self.network.neurons.population);
            }
        }
        if let Some(old_to_new) = &applied.renumbered {
            for b in &mut self.synaptic {
                b.rewired(&self.network.synapses, old_to_new);
            }
        }
    }

    /// Applies a batch of edits between steps (events in the next step's report); every rule
    /// follows. Nothing changes if the batch is refused.
    pub fn edit(&mut self, edits: &Edits) -> Result<Applied, NetworkError> {
        let applied = self.network.edit(edits)?;
        self.follow(&applied);
        Ok(applied)
    }

    /// Inserts synapses (multapses allowed) and returns their ids, in order; effective from the
    /// next step.
    pub fn add_synapses(&mut self, new: &[NewSynapse]) -> Result<Vec<SynapseId>, NetworkError> {
        let first = self.network.next_synapse_id().0;
        self.edit(&Edits { add: new.to_vec(), ..Edits::default() })?;
        Ok((0..new.len() as u32).map(|k| SynapseId(first + k)).collect())
    }

    /// Removes synapses by id; unknown or already removed ids are refused (nothing changes).
    pub fn remove_synapses(&mut self, ids: &[SynapseId]) -> Result<(), NetworkError> {
        let remove = self.network.slots_of(ids)?;
        self.edit(&Edits { remove, ..Edits::default() }).map(|_| ())
    }

    /// Adds neurons to population `pop` at `positions` (with an optional parent each), in the
    /// model's resting state, without synapses or inputs; returns their ids.
    pub fn add_neurons(
        &mut self,
        pop: PopulationId,
        born: &[([f32; 3], Option<NeuronId>)],
    ) -> Result<Range<u32>, NetworkError> {
        let start = self.network.num_neurons() as u32;
        let births = born
            .iter()
            .map(|&(position, parent)| Birth { position, parent, from_parent: false, joins_inputs: false })
            .collect();
        self.edit(&Edits { population: Some(pop), births, ..Edits::default() })?;
        Ok(start..self.network.num_neurons() as u32)
    }

    /// Changes a parameter of learning rule `k`; validated first (on error nothing changes),
    /// effective from the next step, and recorded in [`Simulation::param_changes`].
    pub fn set_synaptic_param(&mut self, k: usize, name: &str, value: f64) -> Result<(), NetworkError> {
        let b = self
            .synaptic
            .get_mut(k)
            .ok_or_else(|| NetworkError::Invalid(format!("there is no plastic projection {k}")))?;
        let old = b.set(name, value)?;
        let target = format!("projection {}", b.label());
        self.record_change(target, name, old, value);
        Ok(())
    }

    /// Changes a parameter of intrinsic rule `k` (validated, effective next step, recorded).
    pub fn set_intrinsic_param(&mut self, k: usize, name: &str, value: f64) -> Result<(), NetworkError> {
        let ip = self
            .intrinsic
            .get_mut(k)
            .ok_or_else(|| NetworkError::Invalid(format!("there is no intrinsic rule {k}")))?;
        let old = ip.rule.get(name).unwrap_or(f64::NAN);
        ip.rule.set(name, value)?;
        let target = format!("population {}", self.network.populations[ip.population.index()].name);
        self.record_change(target, name, old, value);
        Ok(())
    }

    /// Changes a parameter of structural rule `k` (validated, effective at its next round, recorded).
    pub fn set_growth_param(&mut self, k: usize, name: &str, value: f64) -> Result<(), NetworkError> {
        let r = self
            .structural
            .get_mut(k)
            .ok_or_else(|| NetworkError::Invalid(format!("there is no structural rule {k}")))?;
        let old = r.get(name).unwrap_or(f64::NAN);
        r.set(name, value)?;
        let target = r.name().to_string();
        self.record_change(target, name, old, value);
        Ok(())
    }

    /// Records an accepted parameter edit with the step it takes effect on.
    fn record_change(&mut self, target: String, param: &str, old: f64, new: f64) {
        let (step, time_ms) = (self.network.step_count(), self.network.time_ms());
        self.param_changes.push(ParamChange { step, time_ms, target, param: param.to_string(), old, new });
    }

    /// Delivers a reward (dopamine) pulse to every reward-modulated rule, effective this step.
    pub fn deliver_reward(&mut self, amount: f64) -> Result<(), NetworkError> {
        if !amount.is_finite() {
            return Err(NetworkError::Invalid(format!("reward {amount} is not a finite number")));
        }
        for b in &mut self.synaptic {
            b.reward(amount);
        }
        Ok(())
    }

    /// The first structural rule of type `T`, if one is attached.
    pub fn structural_rule<T: StructuralRule + 'static>(&self) -> Option<&T> {
        self.structural.iter().find_map(|r| r.get_as::<T>())
    }

    /// Every structural rule of type `T`, in order.
    pub fn structural_rules<T: StructuralRule + 'static>(&self) -> impl Iterator<Item = &T> + '_ {
        self.structural.iter().filter_map(|r| r.get_as::<T>())
    }

    /// Wall-clock seconds this process has spent in structural rounds, by rule and rebuilding;
    /// not saved in snapshots.
    pub fn structural_times(&self) -> StructuralTimes {
        self.scratch.timings.seconds()
    }
}
