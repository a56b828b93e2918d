//! Membrane potentials recorded by a NEST multimeter (ascii backend: `sender time_ms V_m ...`, or
//! `sender time_step time_offset V_m ...` with `time_in_steps`), read for replay: in a replay the
//! recorded neurons' potentials are set from them, so the inspector's trace and the colouring by
//! membrane potential show what was recorded.

use super::nest_row::{row_time, sender, time_order};
use crate::sim::grid_index;

/// Recorded membrane potentials, sorted by time then neuron.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Voltages {
    /// Neuron of each sample (our ids, from 0).
    pub neurons: Vec<u32>,
    /// Time of each sample (ms).
    pub times_ms: Vec<f64>,
    /// The potential (mV).
    pub v_mv: Vec<f32>,
    /// The neurons recorded, ascending.
    pub recorded: Vec<u32>,
}

impl Voltages {
    /// Whether no sample was read.
    pub fn is_empty(&self) -> bool {
        self.neurons.is_empty()
    }

    /// Whether neuron `n`'s potential was recorded.
    pub fn records(&self, n: u32) -> bool {
        self.recorded.binary_search(&n).is_ok()
    }

    /// Appends the samples with grid index in `from..to` (on a grid of `dt_ms`) as
    /// `(grid index, neuron, mV)`, in time order.
    pub fn read_grid(&self, from: u64, to: u64, dt_ms: f64, out: &mut Vec<(u64, u32, f32)>) {
        let a = self.times_ms.partition_point(|&t| grid_index(t, dt_ms) < from);
        let b = a + self.times_ms[a..].partition_point(|&t| grid_index(t, dt_ms) < to);
        for k in a..b {
            out.push((grid_index(self.times_ms[k], dt_ms), self.neurons[k], self.v_mv[k]));
        }
    }

    /// Sorts the samples by time then neuron and lists the neurons recorded.
    pub(super) fn finish(&mut self) {
        let order = time_order(&self.times_ms, &self.neurons);
        self.neurons = order.iter().map(|&k| self.neurons[k]).collect();
        self.times_ms = order.iter().map(|&k| self.times_ms[k]).collect();
        self.v_mv = order.iter().map(|&k| self.v_mv[k]).collect();
        self.recorded = self.neurons.clone();
        self.recorded.sort_unstable();
        self.recorded.dedup();
    }
}

/// Whether NEST column header `line` is a multimeter's: recorded variables after the sender and
/// time columns (a spike recorder has none).
pub(super) fn is_multimeter_header(line: &str) -> bool {
    let fields: Vec<&str> = line.split_whitespace().collect();
    let time_columns = if fields.get(1) == Some(&"time_step") { 2 } else { 1 };
    fields.first() == Some(&"sender") && fields.len() > 1 + time_columns
}

/// What is wrong with a multimeter file: the line (from 1, when on one) and what.
pub(super) type Problem = (Option<usize>, String);

fn error(line: usize, message: impl Into<String>) -> Problem {
    (Some(line), message.into())
}

/// Reads a multimeter file's rows (after its `#` lines and column header) into `out`; every
/// error names the line and the field.
pub(super) fn read_multimeter(text: &str, dt_ms: f64, out: &mut Voltages) -> Result<(), Problem> {
    let mut columns: Option<(bool, usize, usize)> = None; // (in steps, V_m column, fields)
    for (k, line) in text.lines().enumerate() {
        let line_no = k + 1;
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let fields: Vec<&str> = trimmed.split_whitespace().collect();
        let Some((steps, v_col, width)) = columns else {
            let steps = fields.get(1) == Some(&"time_step");
            if fields.first() != Some(&"sender") || !(steps || fields.get(1) == Some(&"time_ms")) {
                return Err(error(
                    line_no,
                    format!("expected a multimeter's `sender time_ms V_m` header, found `{trimmed}`"),
                ));
            }
            let v_col = fields
                .iter()
                .position(|f| *f == "V_m")
                .ok_or_else(|| error(line_no, format!("the multimeter recorded no `V_m` (columns: {trimmed})")))?;
            columns = Some((steps, v_col, fields.len()));
            continue;
        };
        if fields.len() != width {
            return Err(error(line_no, format!("{} fields where the header names {width}", fields.len())));
        }
        let number = |name: &str, v: &str| -> Result<f64, Problem> {
            let x: f64 = v.parse().map_err(|_| error(line_no, format!("{name} `{v}` is not a number")))?;
            if !x.is_finite() {
                return Err(error(line_no, format!("{name} {x} is not a finite number")));
            }
            Ok(x)
        };
        let sender = sender(fields[0]).map_err(|m| error(line_no, m))?;
        let t = row_time(steps, &fields, dt_ms).map_err(|m| error(line_no, m))?;
        out.neurons.push(sender);
        out.times_ms.push(t);
        out.v_mv.push(number("V_m", fields[v_col])? as f32);
    }
    if columns.is_none() {
        return Err((None, "has no column header (`sender time_ms V_m`)".into()));
    }
    Ok(())
}
