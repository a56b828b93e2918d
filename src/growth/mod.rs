//! Structural change (ALGORITHMS.md §9–12): structural plasticity (MSP), neurogenesis by
//! replication (NDP), pruning with regrowth (GraNet) and long-range attention edges (EGT attention),
//! each a [`crate::sim::rule::StructuralRule`] that returns edits at its interval, plus their
//! building blocks and references.

pub mod attention;
pub mod egt;
pub mod granet;
pub mod msp;
pub mod ndp;
pub mod neurogenesis;
