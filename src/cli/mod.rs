//! Subcommands of the `neuroplast` binary.

pub mod bench;
pub mod learn;
pub mod run;
