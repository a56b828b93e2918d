//! Measures computed from spike logs and weights: rates, ISI statistics, weight distributions.

pub mod spikes;
pub mod weights;

pub use spikes::{ActivityStats, activity_stats};
pub use weights::{WeightSummary, weight_summary};
