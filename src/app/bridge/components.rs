//! What the ECS holds of the network: an entity per neuron and per synapse on screen (all of them
//! within the drawing budget, a uniform sample beyond it), an entity per attention edge, each with
//! its stable id; fades while they appear and disappear; and the id → entity map.

use std::collections::HashMap;

use bevy::prelude::*;

use crate::sim::rng::mix64;
use crate::sim::{NeuronId, Receptor, StructuralEvent, SynapseId};

/// A neuron entity's stable id.
#[derive(Component, Clone, Copy, Debug, PartialEq, Eq)]
pub struct Neuron(pub NeuronId);

/// A synapse entity's stable id.
#[derive(Component, Clone, Copy, Debug, PartialEq, Eq)]
pub struct Synapse(pub SynapseId);

/// A long-range attention edge entity's stable id (see `growth::attention`).
#[derive(Component, Clone, Copy, Debug, PartialEq, Eq)]
pub struct AttentionEdge(pub u32);

/// A synapse or edge entity's presynaptic neuron (the one whose spikes it carries).
#[derive(Component, Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pre(pub NeuronId);

/// A synapse or edge entity's postsynaptic neuron.
#[derive(Component, Clone, Copy, Debug, PartialEq, Eq)]
pub struct Post(pub NeuronId);

/// What an edge entity is, for drawing: the values are the `EDGE_*` constants of
/// `shaders/common.wgsl`.
#[derive(Component, Clone, Copy, Debug, PartialEq, Eq)]
pub struct EdgeKind(pub u32);

impl EdgeKind {
    /// An excitatory chemical synapse.
    pub const EXCITATORY: EdgeKind = EdgeKind(0);
    /// An inhibitory chemical synapse.
    pub const INHIBITORY: EdgeKind = EdgeKind(1);
    /// A long-range attention edge.
    pub const ATTENTION: EdgeKind = EdgeKind(2);

    /// The kind of a chemical synapse with this receptor.
    pub fn of(receptor: Receptor) -> Self {
        if receptor == Receptor::Inhibitory { Self::INHIBITORY } else { Self::EXCITATORY }
    }
}

/// A neuron born while the simulation ran: when (biological ms) and from which parent.
#[derive(Component, Clone, Copy, Debug, PartialEq)]
pub struct Born {
    /// Biological time of birth (ms).
    pub time_ms: f64,
    /// The neuron it divided from, if any.
    pub parent: Option<NeuronId>,
}

/// An entity appearing: its opacity rises from 0 to 1 over [`FADE_SECONDS`].
#[derive(Component, Clone, Copy, Debug, Default, PartialEq)]
pub struct FadeIn(pub f32);

/// An entity disappearing: its opacity falls to 0 over [`FADE_SECONDS`], then it is despawned.
#[derive(Component, Clone, Copy, Debug, Default, PartialEq)]
pub struct FadeOut(pub f32);

/// How long a structural change takes to fade in or out (wall seconds).
pub const FADE_SECONDS: f32 = 0.8;

/// Maps stable ids to entities (scenes and snapshots store ids, never `Entity`).
#[derive(Resource, Default, Debug)]
pub struct IdMap {
    /// Entity of each neuron, by id.
    pub neurons: Vec<Entity>,
    /// Entity of each synapse on screen, by id.
    pub synapses: HashMap<SynapseId, Entity>,
    /// Entity of each attention edge, by id.
    pub attention: HashMap<u32, Entity>,
}

/// Which synapses are on screen (and so have entities): all while the network has no more than
/// `budget`, else those whose id hashes into one of `budget / total` buckets. The choice follows
/// the id, not the slot, so it survives pruning and regrowth: a formed synapse is shown or not,
/// once and for all.
#[derive(Resource, Clone, Copy, Debug, PartialEq, Eq)]
pub struct OnScreen {
    /// Most synapses drawn.
    pub budget: usize,
    /// One in `stride` synapses is shown (1: all), fixed when the network is installed or the
    /// budget changes.
    pub stride: u64,
    /// When set, only (and all) the synapses into and out of this neuron are shown.
    pub ego: Option<NeuronId>,
}

impl Default for OnScreen {
    fn default() -> Self {
        Self { budget: 8_000, stride: 1, ego: None }
    }
}

impl OnScreen {
    /// The stride that keeps `total` synapses within the budget.
    pub fn stride_for(budget: usize, total: usize) -> u64 {
        (total.div_ceil(budget.max(1)) as u64).max(1)
    }

    /// Whether synapse `id` is on screen (the sample; see [`OnScreen::shows_edge`]).
    #[inline]
    pub fn shows(&self, id: SynapseId) -> bool {
        self.stride <= 1 || mix64(id.0 as u64 ^ 0x5eed_5eed).is_multiple_of(self.stride)
    }

    /// Whether synapse `id` from `pre` onto `post` is on screen: every one touching the ego
    /// neuron when one is set, else the sample.
    #[inline]
    pub fn shows_edge(&self, id: SynapseId, pre: NeuronId, post: NeuronId) -> bool {
        match self.ego {
            Some(n) => pre == n || post == n,
            None => self.shows(id),
        }
    }
}

/// A structural change of the simulation (a message): what happened and when.
#[derive(Message, Clone, Copy, Debug, PartialEq)]
pub struct StructureChanged {
    /// The change.
    pub event: StructuralEvent,
    /// Biological time of the step it belongs to (ms).
    pub time_ms: f64,
}

/// A new simulation was installed (loaded, reset, resumed): views and cameras start over.
#[derive(Message, Clone, Copy, Debug, PartialEq, Eq)]
pub struct SimulationInstalled;

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
