//! Physical quantities as written in scene files ("20 ms", "-65 mV", "1.62 mV") and their
//! conversion to the engine's units: ms, mV, pA, pF, nS, Hz, µm.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// The physical dimension of a quantity.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Dim {
    /// A plain number.
    Dimensionless,
    /// Time, in ms.
    Time,
    /// Electric potential, in mV.
    Voltage,
    /// Current, in pA.
    Current,
    /// Capacitance, in pF.
    Capacitance,
    /// Conductance, in nS.
    Conductance,
    /// Frequency, in Hz.
    Rate,
    /// Length, in µm.
    Length,
    /// A synaptic weight, in its target's unit (pA onto current synapses, nS onto conductances).
    Weight,
}

impl Dim {
    /// The engine's unit for this dimension.
    pub fn unit(self) -> &'static str {
        match self {
            Dim::Dimensionless => "",
            Dim::Time => "ms",
            Dim::Voltage => "mV",
            Dim::Current => "pA",
            Dim::Capacitance => "pF",
            Dim::Conductance => "nS",
            Dim::Rate => "Hz",
            Dim::Length => "um",
            // The target's: pA or nS, which the schema cannot know (the UI names it).
            Dim::Weight => "",
        }
    }

    /// A human name with an example, for error messages.
    pub fn describe(self) -> &'static str {
        match self {
            Dim::Dimensionless => "a plain number",
            Dim::Time => "a time such as \"20 ms\"",
            Dim::Voltage => "a voltage such as \"-65 mV\"",
            Dim::Current => "a current such as \"500 pA\"",
            Dim::Capacitance => "a capacitance such as \"250 pF\"",
            Dim::Conductance => "a conductance such as \"10 nS\"",
            Dim::Rate => "a rate such as \"15 Hz\"",
            Dim::Length => "a length such as \"100 um\"",
            Dim::Weight => "a weight in its target's unit (pA or nS)",
        }
    }
}

/// The units we read, with their dimension and factor to the engine's unit.
const UNITS: &[(&str, Dim, f64)] = &[
    ("s", Dim::Time, 1e3),
    ("ms", Dim::Time, 1.0),
    ("us", Dim::Time, 1e-3),
    ("µs", Dim::Time, 1e-3),
    ("min", Dim::Time, 60e3),
    ("V", Dim::Voltage, 1e3),
    ("mV", Dim::Voltage, 1.0),
    ("uV", Dim::Voltage, 1e-3),
    ("µV", Dim::Voltage, 1e-3),
    ("A", Dim::Current, 1e12),
    ("uA", Dim::Current, 1e6),
    ("µA", Dim::Current, 1e6),
    ("nA", Dim::Current, 1e3),
    ("pA", Dim::Current, 1.0),
    ("fA", Dim::Current, 1e-3),
    ("F", Dim::Capacitance, 1e12),
    ("uF", Dim::Capacitance, 1e6),
    ("µF", Dim::Capacitance, 1e6),
    ("nF", Dim::Capacitance, 1e3),
    ("pF", Dim::Capacitance, 1.0),
    ("S", Dim::Conductance, 1e9),
    ("mS", Dim::Conductance, 1e6),
    ("uS", Dim::Conductance, 1e3),
    ("µS", Dim::Conductance, 1e3),
    ("nS", Dim::Conductance, 1.0),
    ("pS", Dim::Conductance, 1e-3),
    ("Hz", Dim::Rate, 1.0),
    ("kHz", Dim::Rate, 1e3),
    ("m", Dim::Length, 1e6),
    ("mm", Dim::Length, 1e3),
    ("um", Dim::Length, 1.0),
    ("µm", Dim::Length, 1.0),
];

/// A number with a dimension, in the engine's unit for that dimension.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Quantity {
    /// Value in the engine's unit (ms, mV, pA, pF, nS, Hz, µm).
    pub value: f64,
    /// Its dimension.
    pub dim: Dim,
}

impl Quantity {
    /// A quantity already in the engine's unit.
    pub fn new(value: f64, dim: Dim) -> Self {
        Self { value, dim }
    }

    /// Parses "20 ms", "-65mV", "1e3 Hz", "NaN mV" (NaN is parsed; validation refuses it later
    /// with the field's name) or a bare number (dimensionless).
    pub fn parse(text: &str) -> Result<Self, String> {
        let t = text.trim();
        // The number is the longest prefix that parses as an f64 ("1e-3", "NaN", "-inf", ...).
        let split = t
            .char_indices()
            .map(|(i, _)| i)
            .chain([t.len()])
            .rev()
            .find(|&i| i > 0 && t[..i].parse::<f64>().is_ok())
            .ok_or_else(|| format!("`{text}` is not a number followed by a unit"))?;
        let value: f64 = t[..split].parse().expect("checked above");
        let unit = t[split..].trim();
        let (dim, factor) = if unit.is_empty() {
            (Dim::Dimensionless, 1.0)
        } else {
            let (_, dim, factor) = UNITS.iter().find(|(u, _, _)| *u == unit).ok_or_else(|| {
                format!("unknown unit `{unit}` in `{text}` (known: ms, s, mV, pA, nA, pF, nS, Hz, um, ...)")
            })?;
            (*dim, *factor)
        };
        Self::in_range(Self::new(value * factor, dim), text)
    }

    /// The largest magnitude a written quantity may have in engine units: what the engine's
    /// 32-bit columns hold, with room for sums.
    pub const MAGNITUDE: f64 = 1e30;

    /// Refuses a value that is not finite or beyond [`Quantity::MAGNITUDE`], where it was written.
    fn in_range(q: Self, text: &str) -> Result<Self, String> {
        if !q.value.is_finite() {
            return Err(format!("`{}` is not a finite number", text.trim()));
        }
        if q.value.abs() > Self::MAGNITUDE {
            return Err(format!("`{}` is beyond the engine's range (±1e30 in ms, mV, pA, pF, nS)", text.trim()));
        }
        Ok(q)
    }

    /// This quantity's value if it has dimension `want`, else a message naming both.
    pub fn expect(&self, want: Dim) -> Result<f64, String> {
        if self.dim == want {
            Ok(self.value)
        } else {
            Err(format!("expected {}, got {} ({})", want.describe(), self, dim_name(self.dim)))
        }
    }
}

fn dim_name(d: Dim) -> &'static str {
    match d {
        Dim::Dimensionless => "a plain number",
        Dim::Time => "a time",
        Dim::Voltage => "a voltage",
        Dim::Current => "a current",
        Dim::Capacitance => "a capacitance",
        Dim::Conductance => "a conductance",
        Dim::Rate => "a rate",
        Dim::Length => "a length",
        Dim::Weight => "a weight",
    }
}

impl fmt::Display for Quantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.dim == Dim::Dimensionless {
            write!(f, "{}", self.value)
        } else {
            write!(f, "{} {}", self.value, self.dim.unit())
        }
    }
}

impl Serialize for Quantity {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if !s.is_human_readable() {
            (self.value, self.dim).serialize(s)
        } else if self.dim == Dim::Dimensionless {
            s.serialize_f64(self.value)
        } else {
            s.serialize_str(&self.to_string())
        }
    }
}

impl<'de> Deserialize<'de> for Quantity {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        if !d.is_human_readable() {
            let (value, dim) = <(f64, Dim)>::deserialize(d)?;
            return Ok(Quantity::new(value, dim));
        }
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Quantity;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a quantity with a unit, such as \"20 ms\", or a plain number")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Quantity, E> {
                Quantity::parse(v).map_err(E::custom)
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Quantity, E> {
                Quantity::in_range(Quantity::new(v, Dim::Dimensionless), &v.to_string()).map_err(E::custom)
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Quantity, E> {
                Ok(Quantity::new(v as f64, Dim::Dimensionless))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Quantity, E> {
                Ok(Quantity::new(v as f64, Dim::Dimensionless))
            }
        }
        d.deserialize_any(V)
    }
}

/// Serde adapters that store an `f64` in the engine's unit and read/write it with a unit in text
/// formats, refusing a quantity of the wrong dimension: `#[serde(with = "units::time")]`. Binary
/// formats (snapshots) store the plain number.
macro_rules! unit_adapter {
    ($name:ident, $dim:expr) => {
        #[doc = concat!("Serde adapter for a `", stringify!($name), "` field stored in the engine's unit.")]
        pub mod $name {
            use super::{Dim, Quantity};
            use serde::{Deserialize, Deserializer, Serialize, Serializer};
            /// Writes the value with its unit.
            pub fn serialize<S: Serializer>(v: &f64, s: S) -> Result<S::Ok, S::Error> {
                if s.is_human_readable() { Quantity::new(*v, $dim).serialize(s) } else { v.serialize(s) }
            }
            /// Reads a quantity and checks its dimension.
            pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
                if !d.is_human_readable() {
                    return f64::deserialize(d);
                }
                let q = Quantity::deserialize(d)?;
                q.expect($dim).map_err(serde::de::Error::custom)
            }
        }
    };
}

unit_adapter!(time, Dim::Time);
unit_adapter!(voltage, Dim::Voltage);
unit_adapter!(current, Dim::Current);
unit_adapter!(capacitance, Dim::Capacitance);
unit_adapter!(conductance, Dim::Conductance);
unit_adapter!(rate, Dim::Rate);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_units_and_converts() {
        assert_eq!(Quantity::parse("20 ms").unwrap(), Quantity::new(20.0, Dim::Time));
        assert_eq!(Quantity::parse("1 s").unwrap(), Quantity::new(1000.0, Dim::Time));
        assert_eq!(Quantity::parse("-65mV").unwrap(), Quantity::new(-65.0, Dim::Voltage));
        assert_eq!(Quantity::parse("1 nA").unwrap(), Quantity::new(1000.0, Dim::Current));
        assert_eq!(Quantity::parse("1e-3 s").unwrap(), Quantity::new(1.0, Dim::Time));
        assert_eq!(Quantity::parse("0.05").unwrap(), Quantity::new(0.05, Dim::Dimensionless));
        assert_eq!(Quantity::parse("10 µm").unwrap(), Quantity::new(10.0, Dim::Length));
        assert!(Quantity::parse("NaN mV").unwrap_err().contains("not a finite number"));
        assert!(Quantity::parse("inf ms").unwrap_err().contains("not a finite number"));
        assert!(Quantity::parse("1e300 pF").unwrap_err().contains("beyond the engine's range"));
        assert!(Quantity::parse("1e29 s").unwrap_err().contains("beyond"), "1e32 ms");
        assert!(Quantity::parse("20 parsecs").unwrap_err().contains("unknown unit"));
        assert!(Quantity::parse("fast ms").is_err());
        let e = Quantity::parse("20 mV").unwrap().expect(Dim::Time).unwrap_err();
        assert!(e.contains("expected a time") && e.contains("20 mV"), "{e}");
    }
}
