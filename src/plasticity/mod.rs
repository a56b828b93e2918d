//! Learning rules (ALGORITHMS.md §2–8): each implements [`crate::sim::rule::SynapticRule`] (hooks
//! on a projection's pre- and postsynaptic spikes and on every step) or
//! [`crate::sim::rule::NeuronRule`] (intrinsic plasticity), with a parameter schema from which the
//! UI builds sliders. `engine::registry` lists them; `engine::Simulation` attaches them to a
//! network. Rate-based references (`rate`) and the continual-learning experiments on digits
//! (`continual`, `digits`) live here too.

pub mod astro;
pub mod continual;
pub mod digits;
pub mod homeostasis;
pub mod inhibitory;
pub mod pair;
pub mod rate;
pub mod rates;
pub mod reward;
pub mod schema;
pub mod triplet;

pub use astro::{AstroStdp, AstroTraces, Astrocyte};
pub use continual::{Hlop, SynapticIntelligence};
pub use homeostasis::{ScalingState, SynapticScaling, ThresholdAdaptation};
pub use inhibitory::InhibitoryStdp;
pub use pair::{PairStdp, PairTraces, Pairing, exponential_window};
pub use rates::{BcmRule, OjaRule, RateTraces};
pub use reward::{Eligibility, RewardStdp};
pub use triplet::{TripletStdp, TripletTraces};
