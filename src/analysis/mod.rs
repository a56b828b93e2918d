//! Measures computed from spike logs and weights: rates, ISI statistics, synchrony, weight
//! distributions, the graph's structure (`graph`, over petgraph) — the numbers the app plots.

pub mod criticality;
pub mod graph;
pub mod layout;
pub mod spikes;
pub mod synchrony;
pub mod weights;

pub use criticality::branching_factor;
pub use spikes::{ActivityStats, activity_stats};
pub use synchrony::{
    golomb_chi, kuramoto_from_spikes, order_parameter, population_fano, spike_phase, spike_sync, van_rossum_distance,
    van_rossum_distance_elephant,
};
pub use weights::{WeightSummary, weight_summary};
