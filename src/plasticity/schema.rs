//! Parameter specifications shared by several learning rules.

use crate::sim::Dim;
use crate::sim::params::ParamSpec;

/// Presynaptic trace time constant of the STDP rules.
pub const TAU_PLUS: ParamSpec =
    ParamSpec::new("tau_plus", Dim::Time, 0.1, 1000.0, 20.0, "presynaptic trace time constant");
/// Postsynaptic trace time constant of the STDP rules.
pub const TAU_MINUS: ParamSpec =
    ParamSpec::new("tau_minus", Dim::Time, 0.1, 1000.0, 20.0, "postsynaptic trace time constant");
/// Upper weight bound (in the projection's weight unit).
pub const W_MAX: ParamSpec =
    ParamSpec::new("w_max", Dim::Weight, 1e-12, 1e12, 1.0, "upper weight bound (projection weight unit)");
/// How often a rule applies its accumulated change.
pub const INTERVAL: ParamSpec = ParamSpec::new("interval", Dim::Time, 0.01, 1000.0, 1.0, "update interval");
/// Time constant of a spike-rate estimate.
pub const TAU_RATE: ParamSpec =
    ParamSpec::new("tau_rate", Dim::Time, 1.0, 100_000.0, 1000.0, "rate-estimate time constant");
