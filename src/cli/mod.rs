//! Subcommands of the `neuroplast` binary.

pub mod bench;
pub mod bench_graph;
pub mod bench_memory;
pub mod bench_replay;
pub mod ctm;
pub mod export;
pub mod graph;
pub mod import;
pub mod interrupt;
pub mod learn;
pub mod open;
pub mod record;
pub mod replay;
pub mod run;
