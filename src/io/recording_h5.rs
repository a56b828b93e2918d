//! Spikes in HDF5 files: SONATA spike files (both layouts) and NWB units, read through the SONATA
//! reader's `h5` helpers; each problem names the dataset.

use std::path::Path;

use crate::files::FileError;
use crate::sim::{Network, PopulationId};
use crate::sonata::h5::{H5, attr_text};

/// Appends the spikes of `path` (our ids, ms) to `neurons` and `times_ms`.
pub(super) fn read(
    path: &Path,
    net: &Network,
    neurons: &mut Vec<u32>,
    times_ms: &mut Vec<f64>,
) -> Result<(), FileError> {
    let mut notes = Vec::new();
    let h5 = H5::open(path, &mut notes)?;
    let root = h5.members("/")?;
    if root.groups.iter().any(|g| g == "units") {
        return nwb(&h5, neurons, times_ms);
    }
    if !root.groups.iter().any(|g| g == "spikes") {
        return Err(FileError::new(path, "has neither /spikes (SONATA) nor /units (NWB): not a spike file"));
    }
    let spikes = h5.members("/spikes")?;
    if spikes.datasets.iter().any(|d| d == "gids") {
        // The older layout: global ids, one table.
        let ids = h5.column("/spikes/gids")?;
        let times = h5.column("/spikes/timestamps")?;
        times.expect_len(ids.len, "/spikes/gids")?;
        let scale = time_scale(&h5, "/spikes/timestamps", times.text_attr("units")?)?;
        fits(path, ids.len)?;
        let (ids, times) = (ids.all_ids()?, times.all_numbers()?);
        return push(&h5, "/spikes/gids", &ids, &times, scale, 0, u64::MAX, neurons, times_ms);
    }
    for pop in &spikes.groups {
        let at = format!("/spikes/{pop}");
        let (first, size) = population_named(&h5, net, pop)?;
        let ids = h5.column(&format!("{at}/node_ids"))?;
        let times = h5.column(&format!("{at}/timestamps"))?;
        times.expect_len(ids.len, &format!("{at}/node_ids"))?;
        let scale = time_scale(&h5, &format!("{at}/timestamps"), times.text_attr("units")?)?;
        fits(path, ids.len)?;
        let (ids, t) = (ids.all_ids()?, times.all_numbers()?);
        let sorting = h5
            .group(&at)?
            .attrs()
            .map_err(|e| h5.err(&at, format!("cannot read its attributes: {e}")))?
            .get("sorting")
            .and_then(attr_text);
        if sorting.as_deref() == Some("by_time")
            && let Some(k) = t.windows(2).position(|w| w[1] < w[0])
        {
            return Err(h5.err(
                &format!("{at}/timestamps"),
                format!("says `sorting = by_time` but row {} comes before row {k}", k + 1),
            ));
        }
        push(&h5, &format!("{at}/node_ids"), &ids, &t, scale, first, size, neurons, times_ms)?;
    }
    Ok(())
}

/// Refuses a file whose reading would take `bytes` of memory when the machine has less
/// available: such a recording is replayed streamed, from a SONATA file sorted by time.
pub(super) fn fits_in_memory(bytes: f64) -> Result<(), String> {
    let available = crate::scene::budget::available_memory();
    if bytes > available {
        return Err(format!(
            "read whole it would need about {:.1} GB, and {:.1} GB are available: write it as a SONATA spike file sorted by time (`/spikes/<population>` with `sorting = by_time`), which is streamed",
            bytes / 1e9,
            available / 1e9
        ));
    }
    Ok(())
}

/// Refuses a table of `rows` spikes too large to read whole here (about 28 bytes a spike while
/// it is read).
fn fits(path: &Path, rows: u64) -> Result<(), FileError> {
    fits_in_memory(rows as f64 * 28.0).map_err(|m| FileError::new(path, m))
}

/// NWB units: unit k's spikes are `spike_times[index[k-1]..index[k]]` (seconds).
fn nwb(h5: &H5, neurons: &mut Vec<u32>, times_ms: &mut Vec<f64>) -> Result<(), FileError> {
    let ids = h5.column("/units/id")?.all_ids()?;
    let index = h5.column("/units/spike_times_index")?;
    index.expect_len(ids.len() as u64, "/units/id")?;
    let index = index.all_ids()?;
    let times = h5.column("/units/spike_times")?;
    fits(&h5.path, times.len)?;
    let times = times.all_numbers()?;
    let mut start = 0u64;
    for (k, (&id, &end)) in ids.iter().zip(&index).enumerate() {
        if end < start || end > times.len() as u64 {
            return Err(h5.err(
                "/units/spike_times_index",
                format!("row {k}: {end} is not between the previous end {start} and the {} spike times", times.len()),
            ));
        }
        let id = u32::try_from(id).map_err(|_| h5.err("/units/id", format!("row {k}: id {id} is too large")))?;
        for (j, &t) in times[start as usize..end as usize].iter().enumerate() {
            if !t.is_finite() || t < 0.0 {
                return Err(
                    h5.err("/units/spike_times", format!("row {}: {t} s is not a time >= 0", start as usize + j))
                );
            }
            neurons.push(id);
            times_ms.push(t * 1000.0);
        }
        start = end;
    }
    Ok(())
}

/// The network's population a `/spikes/<pop>` table is of: its first neuron and its size; a
/// population the network lacks is an error naming the table and the populations it has.
pub(super) fn population_named(h5: &H5, net: &Network, pop: &str) -> Result<(u32, u64), FileError> {
    let p = net.populations.iter().position(|q| q.name == pop).ok_or_else(|| {
        let known: Vec<&str> = net.populations.iter().map(|q| q.name.as_str()).collect();
        h5.err(
            &format!("/spikes/{pop}"),
            format!("the network has no population `{pop}` (it has {})", known.join(", ")),
        )
    })?;
    let first = net.population_neurons(PopulationId(p as u16)).next().unwrap_or(0);
    Ok((first, u64::from(net.populations[p].size)))
}

/// Milliseconds per unit of a timestamps column (`ms` when the attribute is missing, as SONATA
/// says).
pub(super) fn time_scale(h5: &H5, at: &str, units: Option<String>) -> Result<f64, FileError> {
    match units.as_deref().map(str::trim) {
        None | Some("ms") => Ok(1.0),
        Some("s") => Ok(1000.0),
        Some(other) => Err(h5.err(at, format!("units `{other}`: timestamps are in ms or s"))),
    }
}

/// Appends `ids` (offset by `first`, each below `size`) at `times` × `scale`.
#[expect(clippy::too_many_arguments, reason = "one table's columns and where they go")]
fn push(
    h5: &H5,
    at: &str,
    ids: &[u64],
    times: &[f64],
    scale: f64,
    first: u32,
    size: u64,
    neurons: &mut Vec<u32>,
    times_ms: &mut Vec<f64>,
) -> Result<(), FileError> {
    for (k, (&id, &t)) in ids.iter().zip(times).enumerate() {
        if id >= size {
            return Err(h5.err(at, format!("row {k}: node id {id}, but the population has {size} neurons")));
        }
        if !t.is_finite() || t < 0.0 {
            return Err(h5.err(at, format!("row {k}: time {t} is not a time >= 0")));
        }
        let our = u64::from(first) + id;
        neurons.push(u32::try_from(our).map_err(|_| h5.err(at, format!("row {k}: node id {id} is too large")))?);
        times_ms.push(t * scale);
    }
    Ok(())
}
