//! SONATA spike files too large to hold, replayed by streaming: each `by_time` table is indexed by
//! the time of every 65,536th row (a few reads when the file opens, 128 KB per billion spikes),
//! and a window of steps is read as one range of rows, found by a binary search of the samples
//! and one read of the stretch between two of them. Memory stays bounded whatever the length.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use super::recording_h5::{population_named, time_scale};
use super::spike_source::SpikeSource;
use crate::files::FileError;
use crate::sim::{Network, grid_index};
use crate::sonata::h5::{H5, attr_text};

/// Rows between two samples of the index.
const STRIDE: u64 = 1 << 16;

/// Rows read at a time.
const READ_ROWS: u64 = 1 << 16;

/// One `/spikes/<population>` table, sorted by time.
struct Table {
    ids_at: String,
    times_at: String,
    /// Our id of the population's node 0, and the population's size.
    first: u32,
    size: u64,
    /// Milliseconds per unit of the timestamps.
    scale: f64,
    rows: u64,
    /// Rows between two samples.
    stride: u64,
    /// The time (ms) of rows 0, stride, 2·stride, …
    samples: Vec<f64>,
    /// The last row search: (grid index, first row at or after it), reused by the next window.
    last_found: Mutex<Option<(u64, u64, f64)>>,
}

/// A SONATA spike file read by time block.
pub struct SpikeIndex {
    /// The file (one reader at a time).
    file: Mutex<H5>,
    /// A second handle, so a long read (a jump's lookback) goes in two parts at once.
    second: Mutex<H5>,
    /// Rows read at a time (and a read of 8 times as many goes in two parts).
    piece: u64,
    path: PathBuf,
    tables: Vec<Table>,
    end_ms: f64,
    notes: Vec<String>,
}

impl SpikeIndex {
    /// Whether `path` is a SONATA spike file every table of which says `sorting = by_time` (what
    /// streaming needs); other files are read whole.
    pub fn can_stream(path: &Path) -> bool {
        let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
        if !matches!(ext.as_str(), "h5" | "hdf5" | "sonata") {
            return false;
        }
        let mut notes = Vec::new();
        let Ok(h5) = H5::open(path, &mut notes) else { return false };
        let Ok(spikes) = h5.members("/spikes") else { return false };
        !spikes.groups.is_empty()
            && spikes.groups.iter().all(|pop| {
                let at = format!("/spikes/{pop}");
                h5.group(&at).ok().and_then(|g| g.attrs().ok()).and_then(|a| a.get("sorting").and_then(attr_text))
                    == Some("by_time".to_string())
            })
    }

    /// Opens `path` and indexes its tables against `net` (populations by name, as SONATA's node ids
    /// are within their population); errors name the file and the dataset.
    pub fn open(path: &Path, net: &Network) -> Result<Self, FileError> {
        Self::open_sampled(path, net, STRIDE)
    }

    /// [`SpikeIndex::open`] sampling every `stride`-th row, and reading as many at a time (small
    /// strides test the searches, the pieces and the two-part reads on small files).
    pub fn open_sampled(path: &Path, net: &Network, stride: u64) -> Result<Self, FileError> {
        let stride = stride.max(1);
        let mut notes = Vec::new();
        let h5 = H5::open(path, &mut notes)?;
        let spikes = h5.members("/spikes")?;
        let mut tables = Vec::new();
        let mut end_ms = 0.0f64;
        for pop in &spikes.groups {
            let at = format!("/spikes/{pop}");
            let (first, size) = population_named(&h5, net, pop)?;
            let (ids_at, times_at) = (format!("{at}/node_ids"), format!("{at}/timestamps"));
            let times = h5.column(&times_at)?;
            h5.column(&ids_at)?.expect_len(times.len, &times_at)?;
            let scale = time_scale(&h5, &times_at, times.text_attr("units")?)?;
            let rows = times.len;
            let mut samples = Vec::with_capacity(rows.div_ceil(stride) as usize);
            for k in 0..rows.div_ceil(stride) {
                samples.push(times.numbers(k * stride, 1)?[0] * scale);
            }
            if let Some(k) = samples.windows(2).position(|w| w[1] < w[0]) {
                return Err(times.err(format!(
                    "says `sorting = by_time` but row {} comes before row {}",
                    (k + 1) as u64 * stride,
                    k as u64 * stride
                )));
            }
            if rows > 0 {
                end_ms = end_ms.max(times.numbers(rows - 1, 1)?[0] * scale);
            }
            tables.push(Table {
                ids_at,
                times_at,
                first,
                size,
                scale,
                rows,
                stride,
                samples,
                last_found: Mutex::new(None),
            });
        }
        if tables.is_empty() {
            return Err(h5.err("/spikes", "holds no population table"));
        }
        let second = Mutex::new(H5::open(path, &mut Vec::new())?);
        let piece = if stride == STRIDE { READ_ROWS } else { stride };
        Ok(Self { file: Mutex::new(h5), second, piece, path: path.to_path_buf(), tables, end_ms, notes })
    }

    /// Spikes in the file.
    pub fn len(&self) -> u64 {
        self.tables.iter().map(|t| t.rows).sum()
    }

    /// Whether the file holds no spike.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The first row of `table` whose grid index is `g` or later.
    fn first_row_at(&self, h5: &H5, t: &Table, g: u64, dt_ms: f64) -> Result<u64, FileError> {
        if let Some((at, row, dt)) = *t.last_found.lock().expect("index lock")
            && at == g
            && dt == dt_ms
        {
            return Ok(row);
        }
        // The last sample before g, then a read of the stretch after it.
        let k = t.samples.partition_point(|&s| grid_index(s, dt_ms) < g);
        let row = if k == 0 {
            0
        } else {
            let start = (k as u64 - 1) * t.stride;
            let n = t.stride.min(t.rows - start);
            let times = h5.column(&t.times_at)?.numbers(start, n)?;
            start + times.partition_point(|&s| grid_index(s * t.scale, dt_ms) < g) as u64
        };
        *t.last_found.lock().expect("index lock") = Some((g, row, dt_ms));
        Ok(row)
    }

    fn read_table(
        &self,
        t: &Table,
        from: u64,
        to: u64,
        dt_ms: f64,
        out: &mut Vec<(u64, u32)>,
    ) -> Result<(), FileError> {
        let (a, b) = {
            let h5 = self.file.lock().expect("file lock");
            (self.first_row_at(&h5, t, from, dt_ms)?, self.first_row_at(&h5, t, to, dt_ms)?)
        };
        if b <= a {
            return Ok(());
        }
        if b - a < 8 * self.piece {
            let h5 = self.file.lock().expect("file lock");
            return read_rows(&h5, t, (a, b), self.piece, dt_ms, out);
        }
        let mid = a + (b - a) / 2;
        let mut later = Vec::new();
        let (first, second) = rayon::join(
            || read_rows(&self.file.lock().expect("file lock"), t, (a, mid), self.piece, dt_ms, out),
            || read_rows(&self.second.lock().expect("file lock"), t, (mid, b), self.piece, dt_ms, &mut later),
        );
        first?;
        second?;
        if let (Some(end), Some(start)) = (out.last(), later.first())
            && start.0 < end.0
        {
            let h5 = self.file.lock().expect("file lock");
            return Err(h5.err(&t.times_at, format!("says `sorting = by_time` but row {mid} is out of order")));
        }
        out.extend_from_slice(&later);
        Ok(())
    }
}

/// Reads rows `a..b` of table `t` as (grid index, our neuron id), `piece` rows at a time (they
/// stay in cache);
/// rows out of time order and ids beyond the population are errors naming the row.
fn read_rows(
    h5: &H5,
    t: &Table,
    (a, b): (u64, u64),
    piece: u64,
    dt_ms: f64,
    out: &mut Vec<(u64, u32)>,
) -> Result<(), FileError> {
    let (ids_col, times_col) = (h5.column(&t.ids_at)?, h5.column(&t.times_at)?);
    out.reserve((b - a) as usize);
    let mut last = f64::NEG_INFINITY;
    for start in (a..b).step_by(piece as usize) {
        let n = piece.min(b - start);
        let (ids, times) = (ids_col.ids(start, n)?, times_col.numbers(start, n)?);
        for (k, (&id, &time)) in ids.iter().zip(&times).enumerate() {
            let ms = time * t.scale;
            if ms < last || ms < 0.0 {
                return Err(h5.err(
                    &t.times_at,
                    format!("says `sorting = by_time` but row {} is out of order", start + k as u64),
                ));
            }
            last = ms;
            if id >= t.size {
                return Err(h5.err(
                    &t.ids_at,
                    format!("row {}: node id {id}, but the population has {} neurons", start + k as u64, t.size),
                ));
            }
            out.push((grid_index(ms, dt_ms), t.first + id as u32));
        }
    }
    Ok(())
}

impl SpikeSource for SpikeIndex {
    fn end_ms(&self) -> f64 {
        self.end_ms
    }

    fn read_grid(&self, from: u64, to: u64, dt_ms: f64, out: &mut Vec<(u64, u32)>) -> Result<(), String> {
        let start = out.len();
        for t in &self.tables {
            self.read_table(t, from, to, dt_ms, out).map_err(|e| e.to_string())?;
        }
        if self.tables.len() > 1 {
            out[start..].sort_unstable();
        }
        Ok(())
    }

    fn notes(&self) -> Vec<String> {
        self.notes.clone()
    }

    fn resident_bytes(&self) -> usize {
        self.tables.iter().map(|t| t.samples.capacity() * 8).sum()
    }

    fn spike_count(&self) -> u64 {
        self.len()
    }
}

impl std::fmt::Debug for SpikeIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SpikeIndex({}, {} spikes)", self.path.display(), self.len())
    }
}
