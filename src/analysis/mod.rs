//! Measures of activity computed from spike logs: rates, ISI statistics.

pub mod spikes;

pub use spikes::{ActivityStats, activity_stats};
