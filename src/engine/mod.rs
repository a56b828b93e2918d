//! The engine: a [`Simulation`] is a network and the rules attached to it (learning, intrinsic and
//! structural, listed in [`registry`]). It is what scenes build, what is stepped, edited and
//! snapshotted. Each step runs the rules' hooks in the order [`crate::sim::rule`] documents.

pub mod registry;
mod simulation;
mod timing;

pub use registry::{GrowthRule, IntrinsicBinding, IntrinsicRule, PlasticityRule, SynapticBinding};
pub use simulation::{ParamChange, Simulation};
pub use timing::StructuralTimes;
