//! The rules the engine knows, one line each. A rule is a type implementing one of the contracts
//! of [`crate::sim::rule`]; listing it here makes it part of scenes (learning and intrinsic rules
//! are written by their variant name, `plasticity: PairStdp(...)`), snapshots and the UI's
//! sliders. See docs/ARCHITECTURE.md, "Adding a rule".

use std::any::Any;

use serde::{Deserialize, Serialize};

use crate::growth::attention::AttentionEdges;
use crate::growth::granet::Pruning;
use crate::growth::msp::Msp;
use crate::growth::neurogenesis::Neurogenesis;
use crate::plasticity::{
    AstroStdp, BcmRule, InhibitoryStdp, OjaRule, PairStdp, RewardStdp, SynapticScaling, ThresholdAdaptation,
    TripletStdp,
};
use crate::sim::edit::Edits;
use crate::sim::network::{Network, Synapses};
use crate::sim::params::{Curve, ParamSpec, Tunable};
use crate::sim::rule::{Activity, NeuronRule, Plastic, RuleCurve, Scope, StructuralRule, SynapticRule};
use crate::sim::{NeuronId, ParamError, PopulationId, Quantity};

/// The [`Tunable`] methods of an enum whose variants each hold one tunable rule.
macro_rules! tunable_dispatch {
    ($($name:ident),*) => {
        /// The rule's name as written in scene files.
        pub fn name(&self) -> &'static str {
            match self { $(Self::$name(r) => r.rule_name(),)* }
        }

        /// Its tunable parameters.
        pub fn schema(&self) -> &'static [ParamSpec] {
            match self { $(Self::$name(r) => r.params(),)* }
        }

        /// A parameter's value.
        pub fn get(&self, name: &str) -> Option<f64> {
            match self { $(Self::$name(r) => r.get(name),)* }
        }

        /// Sets a parameter after validating it.
        pub fn set(&mut self, name: &str, value: f64) -> Result<(), ParamError> {
            match self { $(Self::$name(r) => r.set(name, value),)* }
        }

        /// Checks every parameter.
        pub fn validate(&self) -> Result<(), ParamError> {
            match self { $(Self::$name(r) => r.validate(),)* }
        }
    };
}

/// Generates the scene-facing parameter enum of the learning rules and the enum of attached rules,
/// with the dispatch of every hook.
macro_rules! synaptic_rules {
    ($($(#[$doc:meta])* $name:ident($ty:ty)),* $(,)?) => {
        /// A learning rule with its parameters, as a scene writes it (`plasticity:` of a projection).
        #[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
        pub enum PlasticityRule {
            $($(#[$doc])* $name($ty),)*
        }

        /// A learning rule attached to a projection, with its state.
        #[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
        pub enum SynapticBinding {
            $($(#[$doc])* $name(Plastic<$ty>),)*
        }

        impl PlasticityRule {
            tunable_dispatch!($($name),*);

            /// The weight bound as written (value and unit), for rules that have one.
            pub fn w_max(&self) -> Option<Quantity> {
                match self { $(Self::$name(r) => r.w_max(),)* }
            }

            /// The lower weight bound as written, for rules that have one below zero.
            pub fn w_min(&self) -> Option<Quantity> {
                match self { $(Self::$name(r) => r.w_min(),)* }
            }

            /// The rule's curve with its current parameters, sampled at `n` points.
            pub fn curve(&self, n: usize) -> Curve {
                match self { $(Self::$name(r) => r.curve(n),)* }
            }

            /// Attaches the rule to `scope` in a network of `neurons` neurons; `peers` are the scopes
            /// of every projection bound to a rule of the same kind.
            pub fn attach(self, scope: Scope, label: String, weight_factor: f64, neurons: usize, peers: &[Scope]) -> SynapticBinding {
                match self {
                    $(Self::$name(r) => SynapticBinding::$name(Plastic::new(scope, label, weight_factor, r, neurons, peers)),)*
                }
            }
        }

        impl SynapticBinding {
            /// Runs the rule's hooks for one step's activity.
            pub fn apply(&mut self, syn: &mut Synapses, a: &Activity) {
                match self { $(Self::$name(b) => b.apply(syn, a),)* }
            }

            /// A reward (dopamine) pulse.
            pub fn reward(&mut self, amount: f64) {
                match self { $(Self::$name(b) => b.reward(amount),)* }
            }

            /// The network now has `n` neurons.
            pub fn resize_neurons(&mut self, n: usize) {
                match self { $(Self::$name(b) => b.resize_neurons(n),)* }
            }

            /// Rebuilds the rule's index over `syn` (no slot renumbered).
            pub fn prepare(&mut self, syn: &Synapses) {
                match self { $(Self::$name(b) => b.prepare(syn),)* }
            }

            /// Follows a structural edit that renumbered slots (`old_to_new`).
            pub fn rewired(&mut self, syn: &Synapses, old_to_new: &[u32]) {
                match self { $(Self::$name(b) => b.rewired(syn, old_to_new),)* }
            }

            /// The projection it acts on.
            pub fn scope(&self) -> Scope {
                match self { $(Self::$name(b) => b.scope,)* }
            }

            /// The projection's label.
            pub fn label(&self) -> &str {
                match self { $(Self::$name(b) => &b.label,)* }
            }

            /// The rule's parameters, as a scene writes them.
            pub fn params(&self) -> PlasticityRule {
                match self { $(Self::$name(b) => PlasticityRule::$name(b.rule.clone()),)* }
            }

            /// A parameter's value.
            pub fn get(&self, name: &str) -> Option<f64> {
                match self { $(Self::$name(b) => b.rule.get(name),)* }
            }

            /// Sets a parameter (validated; on error nothing changes); returns the old value.
            pub fn set(&mut self, name: &str, value: f64) -> Result<f64, ParamError> {
                match self {
                    $(Self::$name(b) => {
                        let old = b.rule.get(name).unwrap_or(f64::NAN);
                        b.rule.set(name, value).map(|()| old)
                    })*
                }
            }

            /// Checks a decoded binding against `net` (see [`Plastic::check_decoded`]).
            pub fn check_decoded(&self, net: &Network) -> Result<(), String> {
                match self { $(Self::$name(b) => b.check_decoded(net),)* }
            }

            /// The bound of larger magnitude (engine units), `None` without a non-zero bound.
            pub fn w_bound_engine(&self) -> Option<f64> {
                match self { $(Self::$name(b) => b.w_bound_engine(),)* }
            }

            /// The current weights of the rule's synapses (engine units).
            pub fn weights(&self, syn: &Synapses) -> Vec<f64> {
                match self { $(Self::$name(b) => b.weights(syn),)* }
            }

            /// Number of synapses the rule acts on.
            pub fn num_synapses(&self) -> usize {
                match self { $(Self::$name(b) => b.num_synapses(),)* }
            }

            /// The attached rule as `Any`, for typed access ([`SynapticBinding::get_as`]).
            fn as_any(&self) -> &dyn Any {
                match self { $(Self::$name(b) => b,)* }
            }
        }
    };
}

synaptic_rules! {
    /// Pair-based STDP.
    PairStdp(PairStdp),
    /// Triplet STDP.
    TripletStdp(TripletStdp),
    /// Multiplicative synaptic scaling toward a target rate.
    SynapticScaling(SynapticScaling),
    /// Reward-modulated STDP with an eligibility trace.
    RewardStdp(RewardStdp),
    /// Astrocyte-modulated STDP (NALSM).
    AstroStdp(AstroStdp),
    /// Oja's rule on rate estimates.
    Oja(OjaRule),
    /// BCM on rate estimates.
    Bcm(BcmRule),
    /// Inhibitory STDP that balances excitation (Vogels et al. 2011).
    InhibitoryStdp(InhibitoryStdp),
}

impl PlasticityRule {
    /// Whether `other` is the same kind of rule (whatever its parameters).
    pub fn same_kind(&self, other: &PlasticityRule) -> bool {
        std::mem::discriminant(self) == std::mem::discriminant(other)
    }
}

impl SynapticBinding {
    /// The binding as a rule of type `R`, with its state, if it is one.
    pub fn get_as<R: SynapticRule + 'static>(&self) -> Option<&Plastic<R>> {
        self.as_any().downcast_ref::<Plastic<R>>()
    }
}

/// Generates the scene-facing enum of the intrinsic rules, with their dispatch.
macro_rules! intrinsic_rules {
    ($($(#[$doc:meta])* $name:ident($ty:ty)),* $(,)?) => {
        /// An intrinsic-plasticity rule with its parameters, as a scene writes it (`intrinsic:` of a
        /// population).
        #[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
        pub enum IntrinsicRule {
            $($(#[$doc])* $name($ty),)*
        }

        impl IntrinsicRule {
            tunable_dispatch!($($name),*);

            /// After a step: updates the threshold offsets of `population`'s neurons.
            pub fn after_step(&self, population: PopulationId, theta: &mut [f64], a: &Activity) {
                match self { $(Self::$name(r) => r.after_step(population, theta, a),)* }
            }
        }
    };
}

intrinsic_rules! {
    /// Threshold adaptation toward a target rate.
    ThresholdAdaptation(ThresholdAdaptation),
}

/// An intrinsic rule attached to a population.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct IntrinsicBinding {
    /// The population whose neurons adapt.
    pub population: PopulationId,
    /// The rule.
    pub rule: IntrinsicRule,
}

/// Generates the enum of structural rules, with the dispatch of every hook.
macro_rules! structural_rules {
    ($($(#[$doc:meta])* $name:ident($ty:ty)),* $(,)?) => {
        /// A structural rule with its state.
        #[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
        pub enum GrowthRule {
            $($(#[$doc])* $name($ty),)*
        }

        impl GrowthRule {
            /// Short name, for timings and logs.
            pub fn name(&self) -> &'static str {
                match self { $(Self::$name(r) => r.name(),)* }
            }

            /// Checks a decoded rule against `net`.
            pub fn check_decoded(&self, net: &Network) -> Result<(), String> {
                match self { $(Self::$name(r) => r.check_decoded(net).map_err(|e| format!("{}: {e}", r.name())),)* }
            }

            /// Whether a round is due at the start of `step`.
            pub fn due(&self, step: u64) -> bool {
                match self { $(Self::$name(r) => r.due(step),)* }
            }

            /// One round: the edits the rule wants.
            pub fn plan(&mut self, net: &Network, edits: &mut Edits) {
                match self { $(Self::$name(r) => r.plan(net, edits),)* }
            }

            /// After each step.
            pub fn after_step(&mut self, a: &Activity) {
                match self { $(Self::$name(r) => r.after_step(a),)* }
            }

            /// Current carried by the rule's own edges from this step's spikes.
            pub fn transmit(&mut self, spikes: &[NeuronId], syn_ex: &mut [f64]) {
                match self { $(Self::$name(r) => r.transmit(spikes, syn_ex),)* }
            }

            /// The network gained neurons.
            pub fn neurons_added(&mut self, population_of: &[PopulationId]) {
                match self { $(Self::$name(r) => r.neurons_added(population_of),)* }
            }

            /// What the rule acts on, for a heading.
            pub fn label(&self, net: &Network) -> String {
                match self { $(Self::$name(r) => r.label(net),)* }
            }

            /// The parameters a user may change while it runs.
            pub fn schema(&self) -> &'static [ParamSpec] {
                match self { $(Self::$name(r) => r.schema(),)* }
            }

            /// The value of one of them.
            pub fn get(&self, name: &str) -> Option<f64> {
                match self { $(Self::$name(r) => StructuralRule::get(r, name),)* }
            }

            /// Changes one, checked; on error nothing changes.
            pub fn set(&mut self, name: &str, value: f64) -> Result<(), ParamError> {
                match self { $(Self::$name(r) => StructuralRule::set(r, name, value),)* }
            }

            /// The rule's curve with the present marked.
            pub fn curve(&self, net: &Network) -> Option<RuleCurve> {
                match self { $(Self::$name(r) => r.curve(net),)* }
            }

            /// The rule as `Any`, for typed access ([`GrowthRule::get_as`]).
            fn as_any(&self) -> &dyn Any {
                match self { $(Self::$name(r) => r,)* }
            }
        }

        $(impl From<$ty> for GrowthRule {
            fn from(r: $ty) -> Self {
                Self::$name(r)
            }
        })*
    };
}

structural_rules! {
    /// Activity-dependent structural plasticity (MSP).
    Msp(Msp),
    /// Pruning with regrowth (GraNet) on one projection.
    Pruning(Pruning),
    /// Neurogenesis by replication (NDP) in one population.
    Neurogenesis(Neurogenesis),
    /// Long-range attention edges.
    AttentionEdges(AttentionEdges),
}

impl GrowthRule {
    /// The rule as type `T`, if it is one.
    pub fn get_as<T: StructuralRule + 'static>(&self) -> Option<&T> {
        self.as_any().downcast_ref::<T>()
    }
}
