//! What every reader of NEST's ascii files shares: a row's sender (NEST's node id from 1, which is
//! our id plus one) and its time (`time_ms`, or `time_step` · dt − `time_offset`), and the time
//! order rows are kept in.

/// Our neuron id from a `sender` field.
pub(super) fn sender(field: &str) -> Result<u32, String> {
    let sender: u64 = field.parse().map_err(|_| format!("sender `{field}` is not a node id"))?;
    if sender == 0 || sender > u64::from(u32::MAX) {
        return Err(format!("sender {sender}: NEST node ids start at 1"));
    }
    Ok((sender - 1) as u32)
}

/// A time field (ms): a finite number >= 0.
pub(super) fn time(name: &str, v: &str) -> Result<f64, String> {
    let v = v.trim();
    let t: f64 = v.parse().map_err(|_| format!("{name} `{v}` is not a number"))?;
    if !t.is_finite() || t < 0.0 {
        return Err(format!("{name} {t} must be a finite time >= 0"));
    }
    Ok(t)
}

/// The time of a row whose time columns start at `fields[1]`: `time_ms`, or with `in_steps`
/// `time_step` · `dt_ms` − `time_offset` (never below 0).
pub(super) fn row_time(in_steps: bool, fields: &[&str], dt_ms: f64) -> Result<f64, String> {
    if !in_steps {
        return time("time_ms", fields[1]);
    }
    let step: u64 = fields[1].parse().map_err(|_| format!("time_step `{}` is not a whole number", fields[1]))?;
    Ok((step as f64 * dt_ms - time("time_offset", fields[2])?).max(0.0))
}

/// The order of rows by time, then neuron.
pub(super) fn time_order(times: &[f64], neurons: &[u32]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..times.len()).collect();
    order.sort_by(|&a, &b| times[a].total_cmp(&times[b]).then(neurons[a].cmp(&neurons[b])));
    order
}
