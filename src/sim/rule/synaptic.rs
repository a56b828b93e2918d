//! Synaptic learning rules: hooks called for each presynaptic and each postsynaptic spike of one
//! projection's synapses, and once per step; [`Plastic`] attaches a rule to a projection and calls
//! its hooks in a fixed order (all presynaptic spikes of the step first, then the postsynaptic
//! ones, so a pre and a post spike on the same step count as a causal pair; then
//! [`SynapticRule::every_step`]).

use std::fmt::Debug;
use std::ops::Range;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::Activity;
use crate::sim::ids::{NeuronId, PopulationId};
use crate::sim::network::{Network, Synapses};
use crate::sim::params::{Curve, Tunable};
use crate::sim::units::Quantity;

/// The synapses a learning rule acts on: one projection between two populations.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scope {
    /// The projection's index (the value its synapses carry in `Synapses::projection`).
    pub projection: u16,
    /// Presynaptic population.
    pub source: PopulationId,
    /// Postsynaptic population.
    pub target: PopulationId,
}

/// The moment a hook runs at, and the binding's weight unit.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Tick {
    /// The spikes' time in steps (the end of the step just taken).
    pub grid: u64,
    /// The time step (ms).
    pub dt_ms: f64,
    /// Engine weight units (pA or nS) per unit of the rule's weight parameters.
    pub weight_factor: f64,
}

/// A learning rule: its parameters (the type itself, with a schema) and the hooks that change
/// weights from spikes. Its per-neuron and per-synapse variables live in [`SynapticRule::State`],
/// so the parameters stay what a scene file writes.
pub trait SynapticRule: Tunable + Clone + Debug + PartialEq + Serialize + DeserializeOwned + Send + Sync {
    /// Traces and other variables of the rule on one projection (saved in snapshots).
    type State: Clone + Debug + PartialEq + Serialize + DeserializeOwned + Send + Sync;

    /// Fresh state for a network of `neurons` neurons. `peers` are the scopes of every projection
    /// bound to a rule of this kind (this one included), for rules whose state depends on all of
    /// them.
    fn new_state(&self, neurons: usize, peers: &[Scope]) -> Self::State;

    /// Before the spikes of a step (tables that depend on parameters are refreshed here).
    fn begin_step(&self, _state: &mut Self::State, _dt_ms: f64) {}

    /// A neuron of the source population spiked; `out` are its synapses of the projection.
    fn on_pre(&self, _state: &mut Self::State, _pre: NeuronId, _out: &mut Outgoing<'_>, _tick: &Tick) {}

    /// A neuron of the target population spiked; `arriving` are its synapses of the projection.
    fn on_post(&self, _state: &mut Self::State, _post: NeuronId, _arriving: &mut Arriving<'_>, _tick: &Tick) {}

    /// Once per step, after the spike hooks.
    fn every_step(&self, _state: &mut Self::State, _syn: &mut ProjectionSynapses<'_>, _tick: &Tick, _a: &Activity) {}

    /// A reward (dopamine) pulse; rules without a third factor ignore it.
    fn reward(&self, _state: &mut Self::State, _amount: f64) {}

    /// The network now has `n` neurons (new ones start with empty traces).
    fn resize_neurons(&self, _state: &mut Self::State, _n: usize) {}

    /// The projection's index was rebuilt over `syn`. `renumbered` holds, after a structural edit,
    /// each old slot's new slot (`u32::MAX` when removed) and the index before the edit.
    fn rebuilt(
        &self,
        _state: &mut Self::State,
        _syn: &Synapses,
        _incoming: &Incoming,
        _renumbered: Option<(&[u32], &Incoming)>,
    ) {
    }

    /// Checks a decoded state against the network it was saved with (lengths, finite values,
    /// indices): a file must not be trusted. Every rule says what its state needs.
    fn check_state(&self, state: &Self::State, net: &Network, scope: &Scope) -> Result<(), String>;

    /// The upper weight bound as written (value and unit), for rules that have one.
    fn w_max(&self) -> Option<Quantity> {
        None
    }

    /// The lower weight bound as written, for rules that have one below zero.
    fn w_min(&self) -> Option<Quantity> {
        None
    }

    /// The rule's characteristic curve with its current parameters, sampled at `n` points.
    fn curve(&self, n: usize) -> Curve;
}

/// One synapse as a hook sees it.
#[derive(Debug)]
pub struct Synapse<'a> {
    /// Its CSR slot.
    pub slot: usize,
    /// Presynaptic neuron.
    pub pre: usize,
    /// Postsynaptic neuron.
    pub post: usize,
    /// Whether it acts on the inhibitory channel.
    pub inhibitory: bool,
    /// Its weight (engine units), to read and change.
    pub weight: &'a mut f32,
}

/// The outgoing synapses of one presynaptic neuron in the rule's projection.
pub struct Outgoing<'a> {
    syn: &'a mut Synapses,
    pre: usize,
    projection: u16,
}

impl Outgoing<'_> {
    /// Calls `f` on each synapse, in slot order.
    #[inline]
    pub fn for_each(&mut self, mut f: impl FnMut(Synapse<'_>)) {
        let syn = &mut *self.syn;
        let row = syn.row_start[self.pre] as usize..syn.row_start[self.pre + 1] as usize;
        for s in row {
            if syn.projection[s] == self.projection {
                let t = syn.target[s];
                f(Synapse {
                    slot: s,
                    pre: self.pre,
                    post: (t >> 1) as usize,
                    inhibitory: t & 1 == 1,
                    weight: &mut syn.weight[s],
                });
            }
        }
    }
}

/// The synapses of the rule's projection onto one postsynaptic neuron.
pub struct Arriving<'a> {
    syn: &'a mut Synapses,
    post: usize,
    entries: &'a [(u32, u32)],
}

impl Arriving<'_> {
    /// Calls `f` on each synapse, in presynaptic order.
    #[inline]
    pub fn for_each(&mut self, mut f: impl FnMut(Synapse<'_>)) {
        let syn = &mut *self.syn;
        for &(s, pre) in self.entries {
            let s = s as usize;
            let inhibitory = syn.target[s] & 1 == 1;
            f(Synapse { slot: s, pre: pre as usize, post: self.post, inhibitory, weight: &mut syn.weight[s] });
        }
    }
}

/// The whole projection, for updates that are not driven by a spike.
pub struct ProjectionSynapses<'a> {
    syn: &'a mut Synapses,
    incoming: &'a Incoming,
}

impl<'a> ProjectionSynapses<'a> {
    /// The projection's synapses grouped by postsynaptic neuron.
    pub fn incoming(&self) -> &'a Incoming {
        self.incoming
    }

    /// The weight in slot `s`, to read and change.
    #[inline]
    pub fn weight(&mut self, s: u32) -> &mut f32 {
        &mut self.syn.weight[s as usize]
    }
}

/// A projection's synapses grouped by postsynaptic neuron: per neuron, (slot, presynaptic neuron)
/// in presynaptic order. Rebuilt whenever the synapse table changes; not saved.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Incoming {
    start: Vec<u64>,
    entries: Vec<(u32, u32)>,
}

impl Incoming {
    /// The index of the synapses of `projection` in `syn` (which must carry projection indices).
    pub fn build(syn: &Synapses, projection: u16) -> Self {
        let n = syn.row_start.len() - 1;
        let mut start = vec![0u64; n + 1];
        for (s, &p) in syn.projection.iter().enumerate() {
            if p == projection {
                start[(syn.target[s] >> 1) as usize + 1] += 1;
            }
        }
        for i in 1..=n {
            start[i] += start[i - 1];
        }
        let mut fill = start.clone();
        let mut entries = vec![(0u32, 0u32); start[n] as usize];
        for pre in 0..n {
            for s in syn.row(NeuronId(pre as u32)) {
                if syn.projection[s] == projection {
                    let post = (syn.target[s] >> 1) as usize;
                    entries[fill[post] as usize] = (s as u32, pre as u32);
                    fill[post] += 1;
                }
            }
        }
        Self { start, entries }
    }

    /// Number of neurons covered (every neuron of the network).
    pub fn neurons(&self) -> usize {
        self.start.len().saturating_sub(1)
    }

    /// Positions in [`Incoming::entries`] of the synapses onto `post`.
    #[inline]
    pub fn range(&self, post: usize) -> Range<usize> {
        self.start[post] as usize..self.start[post + 1] as usize
    }

    /// The synapses onto `post`: (slot, presynaptic neuron).
    #[inline]
    pub fn of(&self, post: usize) -> &[(u32, u32)] {
        &self.entries[self.range(post)]
    }

    /// Every synapse of the projection, grouped by postsynaptic neuron.
    pub fn entries(&self) -> &[(u32, u32)] {
        &self.entries
    }
}

/// A learning rule attached to one projection, with its state and the index it needs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(bound(serialize = "R: Serialize", deserialize = "R: DeserializeOwned"))]
pub struct Plastic<R: SynapticRule> {
    /// The projection it acts on.
    pub scope: Scope,
    /// The projection's label.
    pub label: String,
    /// Engine weight units per unit of the rule's weight parameters (e.g. 12.5 pA per mV).
    pub weight_factor: f64,
    /// The rule's parameters.
    pub rule: R,
    /// The rule's variables.
    pub state: R::State,
    #[serde(skip)]
    incoming: Incoming,
}

impl<R: SynapticRule> Plastic<R> {
    /// Attaches `rule` to `scope` in a network of `neurons` neurons; [`Plastic::prepare`] must run
    /// before the first step.
    pub fn new(scope: Scope, label: String, weight_factor: f64, rule: R, neurons: usize, peers: &[Scope]) -> Self {
        let state = rule.new_state(neurons, peers);
        Self { scope, label, weight_factor, rule, state, incoming: Incoming::default() }
    }

    /// Checks a decoded binding against `net`: its weight unit, parameters, scope and state.
    pub fn check_decoded(&self, net: &Network) -> Result<(), String> {
        let label = &self.label;
        if !(self.weight_factor.is_finite() && self.weight_factor > 0.0) {
            return Err(format!("{label}: weight factor {} is not a positive number", self.weight_factor));
        }
        self.rule.validate().map_err(|e| format!("{label}: {e}"))?;
        let pops = net.populations.len();
        if self.scope.source.index() >= pops || self.scope.target.index() >= pops {
            return Err(format!("{label}: its populations do not exist"));
        }
        if !net.synapses.is_empty() && net.synapses.projection.is_empty() {
            return Err(format!("{label}: the synapses carry no projection"));
        }
        self.rule.check_state(&self.state, net, &self.scope).map_err(|e| format!("{label}: {e}"))
    }

    /// Rebuilds the index over `syn` (after a load, or a change that renumbered no slot).
    pub fn prepare(&mut self, syn: &Synapses) {
        self.incoming = Incoming::build(syn, self.scope.projection);
        self.rule.rebuilt(&mut self.state, syn, &self.incoming, None);
    }

    /// Follows a structural edit: `old_to_new` maps each old slot to its new one in `syn`.
    pub fn rewired(&mut self, syn: &Synapses, old_to_new: &[u32]) {
        let old = std::mem::replace(&mut self.incoming, Incoming::build(syn, self.scope.projection));
        self.rule.rebuilt(&mut self.state, syn, &self.incoming, Some((old_to_new, &old)));
    }

    /// The network now has `n` neurons.
    pub fn resize_neurons(&mut self, n: usize) {
        self.rule.resize_neurons(&mut self.state, n);
    }

    /// A reward pulse.
    pub fn reward(&mut self, amount: f64) {
        self.rule.reward(&mut self.state, amount);
    }

    /// Runs the hooks for one step's activity.
    pub fn apply(&mut self, syn: &mut Synapses, a: &Activity) {
        let (rule, state) = (&self.rule, &mut self.state);
        let tick = Tick { grid: a.grid, dt_ms: a.dt_ms, weight_factor: self.weight_factor };
        let projection = self.scope.projection;
        rule.begin_step(state, a.dt_ms);
        for pre in a.spikes_of(self.scope.source) {
            rule.on_pre(state, pre, &mut Outgoing { syn: &mut *syn, pre: pre.index(), projection }, &tick);
        }
        for post in a.spikes_of(self.scope.target) {
            let entries = self.incoming.of(post.index());
            rule.on_post(state, post, &mut Arriving { syn: &mut *syn, post: post.index(), entries }, &tick);
        }
        rule.every_step(state, &mut ProjectionSynapses { syn, incoming: &self.incoming }, &tick, a);
    }

    /// The weight bound in engine units, for rules that have one.
    pub fn w_max_engine(&self) -> Option<f64> {
        self.rule.w_max().map(|q| q.value * self.weight_factor)
    }

    /// The bound of larger magnitude (engine units): `w_max`, or `w_min` for inhibitory synapses
    /// bounded by `[w_min, 0]`; `None` without a non-zero bound.
    pub fn w_bound_engine(&self) -> Option<f64> {
        let hi = self.w_max_engine().filter(|b| *b != 0.0);
        match self.rule.w_min().map(|q| q.value * self.weight_factor) {
            Some(lo) if lo < 0.0 && hi.is_none_or(|hi| -lo > hi.abs()) => Some(lo),
            _ => hi,
        }
    }

    /// The current weights of the rule's synapses (engine units), grouped by postsynaptic neuron.
    pub fn weights(&self, syn: &Synapses) -> Vec<f64> {
        self.incoming.entries.iter().map(|&(s, _)| syn.weight[s as usize] as f64).collect()
    }

    /// Number of synapses the rule acts on.
    pub fn num_synapses(&self) -> usize {
        self.incoming.entries.len()
    }

    /// The projection's synapses grouped by postsynaptic neuron.
    pub fn incoming(&self) -> &Incoming {
        &self.incoming
    }
}
