//! Structural change (ALGORITHMS.md §9–12): the building blocks of neurogenesis (NDP), pruning
//! with regrowth (GraNet) and long-range attention edges (EGT attention). The network-level
//! growth systems that emit structural events build on these.

pub mod attention;
pub mod egt;
pub mod granet;
pub mod msp;
pub mod ndp;
