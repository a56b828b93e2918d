//! Parameter schemas: every tunable parameter of a rule declares its unit, range and default, so
//! the UI can build a slider for it and every edit can be validated before it is applied.

use super::{Dim, ParamError};

/// One tunable parameter of a rule.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ParamSpec {
    /// Name as written in scene files.
    pub name: &'static str,
    /// Physical dimension (the value is in the engine's unit for it; weights are in the
    /// projection's weight unit, shown as a plain number).
    pub unit: Dim,
    /// Smallest allowed value.
    pub min: f64,
    /// Largest allowed value.
    pub max: f64,
    /// Default value.
    pub default: f64,
    /// What it does, in a few words.
    pub doc: &'static str,
}

impl ParamSpec {
    /// A parameter description (a `const fn`, so schemas are tables of one-liners).
    pub const fn new(name: &'static str, unit: Dim, min: f64, max: f64, default: f64, doc: &'static str) -> Self {
        Self { name, unit, min, max, default, doc }
    }
}

/// A rule whose numeric parameters can be read and written by name.
pub trait Tunable {
    /// The rule's name as written in scene files.
    const RULE: &'static str;

    /// The parameters, in display order.
    fn schema() -> &'static [ParamSpec];

    /// The current value of a parameter.
    fn get(&self, name: &str) -> Option<f64>;

    /// Writes a parameter without checking it (used by [`Tunable::set`]).
    fn put(&mut self, name: &str, value: f64) -> bool;

    /// The rule's name (for a value; `RULE` for the type).
    fn rule_name(&self) -> &'static str {
        Self::RULE
    }

    /// The rule's parameters (for a value; `schema()` for the type).
    fn params(&self) -> &'static [ParamSpec] {
        Self::schema()
    }

    /// Constraints between parameters (such as a lower bound below an upper one).
    fn check_related(&self) -> Result<(), ParamError> {
        Ok(())
    }

    /// Checks every parameter against its schema.
    fn validate(&self) -> Result<(), ParamError> {
        for spec in Self::schema() {
            let v = self.get(spec.name).expect("every schema entry is readable");
            check_value::<Self>(spec, v)?;
        }
        self.check_related()
    }

    /// Sets a parameter after checking it is known, finite and in range; on error nothing changes.
    fn set(&mut self, name: &str, value: f64) -> Result<(), ParamError> {
        let spec = Self::schema().iter().find(|s| s.name == name).ok_or_else(|| ParamError {
            model: Self::RULE,
            param: "?",
            reason: format!("{} has no parameter `{name}`", Self::RULE),
        })?;
        check_value::<Self>(spec, value)?;
        let old = self.get(name).expect("a schema entry is readable");
        self.put(name, value);
        if let Err(e) = self.check_related() {
            self.put(name, old);
            return Err(e);
        }
        Ok(())
    }
}

fn check_value<T: Tunable + ?Sized>(spec: &ParamSpec, v: f64) -> Result<(), ParamError> {
    if !v.is_finite() {
        return Err(ParamError { model: T::RULE, param: spec.name, reason: format!("{v} is not a finite number") });
    }
    if v < spec.min || v > spec.max {
        let unit = spec.unit.unit();
        return Err(ParamError {
            model: T::RULE,
            param: spec.name,
            reason: format!("{v} {unit} is out of range [{}, {}] {unit}", spec.min, spec.max),
        });
    }
    Ok(())
}

/// Implements [`Tunable`] for a rule: its name, its schema, and reading/writing the listed
/// numeric fields (`f64`, or a [`Quantity`] read and written in its own unit). An optional
/// `related = f` names a function checking constraints between parameters.
///
/// [`Quantity`]: super::Quantity
macro_rules! tunable {
    ($ty:ty, $rule:literal, $schema:expr, [$($field:ident),* $(,)?] $(, related = $related:path)?) => {
        impl $crate::sim::params::Tunable for $ty {
            const RULE: &'static str = $rule;
            fn schema() -> &'static [$crate::sim::params::ParamSpec] {
                $schema
            }
            fn get(&self, name: &str) -> Option<f64> {
                match name {
                    $(stringify!($field) => Some($crate::sim::params::AsValue::value(&self.$field)),)*
                    _ => None,
                }
            }
            fn put(&mut self, name: &str, value: f64) -> bool {
                match name {
                    $(stringify!($field) => { $crate::sim::params::AsValue::set_value(&mut self.$field, value); true })*
                    _ => false,
                }
            }
            $(fn check_related(&self) -> Result<(), $crate::sim::ParamError> {
                $related(self)
            })?
        }
    };
}
pub(crate) use tunable;

/// A rule's characteristic curve (an STDP window, BCM's φ), for the UI to draw beside its sliders.
#[derive(Clone, Debug, PartialEq)]
pub struct Curve {
    /// What the x axis shows.
    pub x_label: &'static str,
    /// What the y axis shows.
    pub y_label: &'static str,
    /// Points in x order.
    pub points: Vec<[f64; 2]>,
}

impl Curve {
    /// `n` (at least 2) evenly spaced values from `a` to `b`.
    pub fn span(a: f64, b: f64, n: usize) -> impl Iterator<Item = f64> {
        let n = n.max(2);
        (0..n).map(move |k| a + (b - a) * k as f64 / (n - 1) as f64)
    }
}

/// A numeric parameter field: a plain number or a quantity.
pub trait AsValue {
    /// The number.
    fn value(&self) -> f64;
    /// Replaces the number (a quantity keeps its unit).
    fn set_value(&mut self, v: f64);
}

impl AsValue for f64 {
    fn value(&self) -> f64 {
        *self
    }
    fn set_value(&mut self, v: f64) {
        *self = v;
    }
}

impl AsValue for f32 {
    fn value(&self) -> f64 {
        f64::from(*self)
    }
    fn set_value(&mut self, v: f64) {
        *self = v as f32;
    }
}

impl AsValue for super::Quantity {
    fn value(&self) -> f64 {
        self.value
    }
    fn set_value(&mut self, v: f64) {
        self.value = v;
    }
}
