//! Values written with units and distributions: checking their dimension and range, sampling
//! them, and the factor from a written weight to the target's engine unit.

use super::Result;
use crate::scene::error::Problem;
use crate::scene::format::Dist;
use crate::sim::rng::CounterRng;
use crate::sim::{Dim, NeuronModel, Quantity, SynapseKind};

/// The common dimension of a distribution's parameters.
pub(super) fn dist_dim(d: &Dist, path: &str) -> Result<Dim> {
    let (a, b) = match d {
        Dist::Constant(q) => (q, q),
        Dist::Uniform { low, high } => (low, high),
        Dist::Normal { mean, sd } => (mean, sd),
    };
    if a.dim != b.dim {
        return Err(Problem::at(path, format!("mixes units: {a} and {b}")));
    }
    Ok(a.dim)
}

/// Checks that a distribution is in one of `dims`, is finite and well-formed; returns it converted.
pub(super) fn dist_in(d: &Dist, dims: &[Dim], path: &str) -> Result<Dist> {
    let dim = dist_dim(d, path)?;
    if !dims.contains(&dim) {
        let q = match d {
            Dist::Constant(q) | Dist::Uniform { low: q, .. } | Dist::Normal { mean: q, .. } => *q,
        };
        return Err(Problem::at(path, q.expect(dims[0]).unwrap_err()));
    }
    check_dist_finite(d, path)?;
    Ok(d.clone())
}

pub(super) fn check_dist_finite(d: &Dist, path: &str) -> Result<()> {
    let bad = |q: &Quantity| !q.value.is_finite();
    match d {
        Dist::Constant(q) if bad(q) => Err(Problem::at(path, format!("{q} is not a finite number"))),
        Dist::Uniform { low, high } if bad(low) || bad(high) || high.value < low.value => {
            Err(Problem::at(path, format!("Uniform needs finite low <= high, got {low} and {high}")))
        }
        Dist::Normal { mean, sd } if bad(mean) || bad(sd) || sd.value < 0.0 => {
            Err(Problem::at(path, format!("Normal needs a finite mean and sd >= 0, got {mean} and {sd}")))
        }
        _ => Ok(()),
    }
}

pub(super) fn check_non_negative(d: &Dist, path: &str) -> Result<()> {
    let low = match d {
        Dist::Constant(q) | Dist::Uniform { low: q, .. } => q.value,
        // The tail below 0 is clipped; a negative mean is a mistake.
        Dist::Normal { mean, .. } => mean.value,
    };
    if low < 0.0 { Err(Problem::at(path, format!("must not be negative, got {low}"))) } else { Ok(()) }
}

/// The largest magnitude of a weight in engine units (pA, nS): beyond any synapse, and far from
/// what overflows the engine's 32-bit weights when summed.
pub(super) const WEIGHT_MAGNITUDE: f64 = 1e12;

/// The range a distribution's draws take in practice (Normal: mean ± 10 sd).
pub(super) fn dist_range(d: &Dist) -> (f64, f64) {
    match d {
        Dist::Constant(q) => (q.value, q.value),
        Dist::Uniform { low, high } => (low.value, high.value),
        Dist::Normal { mean, sd } => (mean.value - 10.0 * sd.value, mean.value + 10.0 * sd.value),
    }
}

/// Checks that weights drawn from `d`, times `factor`, fit the engine's weights.
pub(super) fn check_weight_magnitude(d: &Dist, factor: f64, path: &str) -> Result<()> {
    let (lo, hi) = dist_range(d);
    let most = lo.abs().max(hi.abs()) * factor;
    if most <= WEIGHT_MAGNITUDE {
        Ok(())
    } else {
        Err(Problem::at(path, format!("weights up to {most:.3e} in engine units are beyond ±{WEIGHT_MAGNITUDE:e}")))
    }
}

/// The largest delay a distribution can produce, in steps.
pub(super) fn max_steps(d: &Dist, dt: f64) -> f64 {
    match d {
        Dist::Constant(q) => q.value / dt,
        Dist::Uniform { high, .. } => high.value / dt,
        Dist::Normal { mean, sd } => (mean.value + 10.0 * sd.value) / dt,
    }
}

/// One draw from a distribution (values in the engine's units).
pub(super) fn sample(d: &Dist, rng: &mut CounterRng) -> f64 {
    match d {
        Dist::Constant(q) => q.value,
        Dist::Uniform { low, high } => low.value + (high.value - low.value) * rng.uniform(),
        Dist::Normal { mean, sd } => mean.value + sd.value * rng.normal(),
    }
}

/// The factor turning a weight of dimension `dim` into the target model's synaptic unit.
pub(super) fn weight_factor(model: &NeuronModel, kind: SynapseKind, dim: Dim) -> std::result::Result<f64, String> {
    match (kind, dim) {
        (SynapseKind::Current, Dim::Current) => Ok(1.0),
        (SynapseKind::Current, Dim::Voltage) => model.capacitance_over_tau().ok_or_else(|| {
            format!(
                "{} takes current weights (its currents are plain numbers); a voltage jump cannot be converted",
                model.name()
            )
        }),
        (SynapseKind::Current, Dim::Dimensionless) if matches!(model, NeuronModel::Izhikevich(_)) => Ok(1.0),
        (SynapseKind::Current, _) => Err(format!(
            "{} is current-based: weights need a current (\"20 pA\") or a voltage jump (\"1.62 mV\")",
            model.name()
        )),
        (SynapseKind::Conductance, Dim::Conductance) => Ok(1.0),
        (SynapseKind::Conductance, _) => {
            Err(format!("{} is conductance-based: weights need a conductance such as \"6 nS\"", model.name()))
        }
        (SynapseKind::None, _) => Err(format!("a {} population cannot receive synapses", model.name())),
    }
}

pub(super) fn input_weight(model: &NeuronModel, q: &Quantity) -> std::result::Result<f32, String> {
    if !q.value.is_finite() {
        return Err(format!("{q} is not a finite number"));
    }
    Ok((weight_factor(model, model.synapse_kind(), q.dim)? * q.value) as f32)
}
