//! Spike recordings made elsewhere, read for replay: NEST's ascii recording backend
//! (`<label>-<node_id>-<vp>.dat`, one file per virtual process: two `#` header lines, a column
//! header `sender` `time_ms`, or `sender` `time_step` `time_offset` with `time_in_steps`) and our own
//! `time_ms,neuron` CSV. Files are merged and sorted by time; NEST's node ids (from 1, in creation
//! order, as `neuroplast export --to nest` creates the neurons) become our ids from 0. Every error
//! names the file, the line and the field. HDF5 recordings are read too: SONATA spike files
//! (`/spikes/<population>/timestamps` + `node_ids`, ids within the population of that name, a
//! `by_time` sorting held to; or the older `/spikes/gids` + `/spikes/timestamps`, global ids; times
//! in the `units` attribute's ms or s) and NWB units (`/units/id`, `/units/spike_times` in s,
//! `/units/spike_times_index`), errors naming the file and the dataset. NEST multimeter files
//! (`sender time_ms V_m ...`) among them give the recorded neurons' potentials
//! ([`super::recording_voltage`]).

use std::fmt;
use std::path::{Path, PathBuf};

use super::nest_row::{row_time, sender, time, time_order};
use super::recording_voltage::{Voltages, is_multimeter_header, read_multimeter};
use crate::analysis::spikes::cv_isi;
use crate::sim::{Network, PopulationId};

/// Spikes from one or more files, sorted by time then neuron.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Recording {
    /// Neuron of each spike (our ids, from 0).
    pub neurons: Vec<u32>,
    /// Time of each spike (ms).
    pub times_ms: Vec<f64>,
    /// The files read, in order.
    pub files: Vec<PathBuf>,
    /// What the reader noticed that the user should know: a file cut mid-row, files of one run
    /// ending at very different times.
    pub notes: Vec<String>,
    /// Membrane potentials from NEST multimeter files among those read.
    pub voltages: Voltages,
    /// The NEST files read, where reading stopped in each (for following a running job).
    followed: Vec<Followed>,
}

/// A NEST file read up to `offset`, to read on from there when it grows.
#[derive(Clone, Debug, PartialEq)]
struct Followed {
    path: PathBuf,
    offset: usize,
    state: NestState,
    dt_ms: f64,
}

/// Where the reading of a NEST file is: its time format once the header is read, the lines done.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
struct NestState {
    format: Option<NestTime>,
    lines: usize,
}

/// What is wrong with a recording, and where.
#[derive(Clone, Debug, PartialEq)]
pub struct RecordingError {
    /// The file.
    pub file: PathBuf,
    /// The line (from 1), when the problem is on one.
    pub line: Option<usize>,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for RecordingError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(l) => write!(f, "{}:{l}: {}", self.file.display(), self.message),
            None => write!(f, "{}: {}", self.file.display(), self.message),
        }
    }
}

impl std::error::Error for RecordingError {}

fn error(file: &Path, line: Option<usize>, message: impl Into<String>) -> RecordingError {
    RecordingError { file: file.to_path_buf(), line, message: message.into() }
}

/// How the time of a NEST row is written.
#[derive(Clone, Copy, Debug, PartialEq)]
enum NestTime {
    /// `time_ms`.
    Ms,
    /// `time_step` and `time_offset`: t = step · dt − offset.
    Steps,
}

impl Recording {
    /// A recording of the given spikes (`(time ms, neuron)`, in any order), sorted by time.
    pub fn from_spikes(spikes: &[(f64, u32)]) -> Self {
        let mut rec = Recording {
            times_ms: spikes.iter().map(|s| s.0).collect(),
            neurons: spikes.iter().map(|s| s.1).collect(),
            ..Recording::default()
        };
        sort_by_time(&mut rec.neurons, &mut rec.times_ms);
        rec
    }

    /// Reads and merges `paths`, spikes of `net` (its step for NEST's `time_in_steps`, its
    /// populations for SONATA's population-relative node ids).
    pub fn read(paths: &[PathBuf], net: &Network) -> Result<Self, RecordingError> {
        let dt_ms = net.dt_ms();
        let mut rec = Recording::default();
        let mut ends = Vec::new();
        for path in paths {
            let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
            if matches!(ext.as_str(), "h5" | "hdf5" | "nwb" | "sonata") {
                super::recording_h5::read(path, net, &mut rec.neurons, &mut rec.times_ms)
                    .map_err(|e| error(path, None, e.what))?;
                rec.files.push(path.clone());
                continue;
            }
            let size = std::fs::metadata(path).map_err(|e| error(path, None, format!("cannot be read: {e}")))?.len();
            // The text and the spikes it holds (12 bytes each, a row being at least 4 bytes).
            super::recording_h5::fits_in_memory(size as f64 * 4.0).map_err(|m| error(path, None, m))?;
            let bytes = std::fs::read(path).map_err(|e| error(path, None, format!("cannot be read: {e}")))?;
            let text = String::from_utf8(bytes).map_err(|_| error(path, None, "is not text (UTF-8)"))?;
            let header = text.lines().map(str::trim).find(|l| !l.is_empty() && !l.starts_with('#'));
            if ext == "csv" {
                read_csv(path, &text, &mut rec)?;
            } else if header.is_some_and(is_multimeter_header) {
                read_multimeter(&text, dt_ms, &mut rec.voltages).map_err(|(line, m)| error(path, line, m))?;
            } else {
                let mut state = NestState::default();
                let first = rec.times_ms.len();
                let done = read_nest(path, &text, dt_ms, &mut state, &mut rec.neurons, &mut rec.times_ms)?;
                if state.format.is_none() {
                    return Err(error(
                        path,
                        None,
                        "has no column header (`sender time_ms`): not a NEST ascii recording",
                    ));
                }
                if done < text.len() {
                    rec.notes.push(format!(
                        "{}:{}: the file ends mid-row (`{}`): the run was cut or is still being written; that row is left out",
                        path.display(),
                        state.lines + 1,
                        text[done..].trim()
                    ));
                }
                let end = rec.times_ms[first..].iter().copied().fold(0.0, f64::max);
                ends.push((path.clone(), end));
                rec.followed.push(Followed { path: path.clone(), offset: done, state, dt_ms });
            }
            rec.files.push(path.clone());
        }
        check_virtual_processes(paths)?;
        rec.note_uneven_ends(&ends);
        sort_by_time(&mut rec.neurons, &mut rec.times_ms);
        rec.voltages.finish();
        Ok(rec)
    }

    /// Whether some of the files can be followed (NEST ascii files, which a running job appends to).
    pub fn can_follow(&self) -> bool {
        !self.followed.is_empty()
    }

    /// Reads what the NEST files gained since they were last read (a job still running: NEST
    /// flushes its files at the end of each `Run`), merged in time order; returns whether any
    /// spike was added. Rows not yet ended by a newline wait for the next call.
    pub fn follow(&mut self) -> Result<bool, RecordingError> {
        let (mut neurons, mut times) = (Vec::new(), Vec::new());
        for f in &mut self.followed {
            use std::io::{Read, Seek, SeekFrom};
            let cannot = |e: std::io::Error| error(&f.path, None, format!("cannot be read: {e}"));
            let mut file = std::fs::File::open(&f.path).map_err(cannot)?;
            if file.metadata().map_err(cannot)?.len() < f.offset as u64 {
                return Err(error(&f.path, None, "became shorter while it was followed: it was rewritten"));
            }
            let mut bytes = Vec::new();
            file.seek(SeekFrom::Start(f.offset as u64)).map_err(cannot)?;
            file.read_to_end(&mut bytes).map_err(cannot)?;
            // A row being written may end inside a character: read up to the last newline only.
            let whole = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |k| k + 1);
            let text = std::str::from_utf8(&bytes[..whole])
                .map_err(|_| error(&f.path, Some(f.state.lines + 1), "is not text (UTF-8)"))?;
            f.offset += read_nest(&f.path, text, f.dt_ms, &mut f.state, &mut neurons, &mut times)?;
        }
        if neurons.is_empty() {
            return Ok(false);
        }
        sort_by_time(&mut neurons, &mut times);
        // Merge: everything before the new spikes' first time stays where it is.
        let k = self.times_ms.partition_point(|&t| t < times[0]);
        let mut tail_n = self.neurons.split_off(k);
        let mut tail_t = self.times_ms.split_off(k);
        tail_n.append(&mut neurons);
        tail_t.append(&mut times);
        sort_by_time(&mut tail_n, &mut tail_t);
        self.neurons.append(&mut tail_n);
        self.times_ms.append(&mut tail_t);
        Ok(true)
    }

    /// Notes files of one run whose last spikes are far apart (a run cut short on some of its
    /// processes): after the earliest end, only part of the network is recorded.
    fn note_uneven_ends(&mut self, ends: &[(PathBuf, f64)]) {
        let (Some(first), Some(last)) =
            (ends.iter().min_by(|a, b| a.1.total_cmp(&b.1)), ends.iter().max_by(|a, b| a.1.total_cmp(&b.1)))
        else {
            return;
        };
        if last.1 - first.1 > (0.1 * last.1).max(50.0) {
            self.notes.push(format!(
                "{} ends at {:.1} ms but {} at {:.1} ms: after {:.1} ms only part of the network is recorded",
                first.0.display(),
                first.1,
                last.0.display(),
                last.1,
                first.1
            ));
        }
    }

    /// Checks that every spike's neuron is in `net`, naming the first that is not.
    pub fn check_against(&self, net: &Network) -> Result<(), String> {
        let n = net.num_neurons();
        if let Some(&last) = self.voltages.recorded.last()
            && last as usize >= n
        {
            return Err(format!(
                "the multimeter recorded neuron {last}, but the network has {n} neurons (ids 0..{})",
                n.saturating_sub(1)
            ));
        }
        match self.neurons.iter().position(|&id| id as usize >= n) {
            Some(k) => Err(format!(
                "the recording names neuron {} (at {} ms), but the network has {n} neurons (ids 0..{})",
                self.neurons[k],
                self.times_ms[k],
                n.saturating_sub(1)
            )),
            None => Ok(()),
        }
    }
}

fn read_csv(path: &Path, text: &str, rec: &mut Recording) -> Result<(), RecordingError> {
    let mut lines = text.lines().enumerate();
    match lines.next() {
        Some((_, h)) if h.trim() == "time_ms,neuron" => {}
        Some((_, h)) => {
            return Err(error(path, Some(1), format!("the header must be `time_ms,neuron`, not `{}`", h.trim())));
        }
        None => return Err(error(path, None, "is empty (no header)")),
    }
    for (k, line) in lines {
        let line_no = k + 1;
        if line.trim().is_empty() {
            continue;
        }
        let (t, id) =
            line.split_once(',').ok_or_else(|| error(path, Some(line_no), "a row must be `time_ms,neuron`"))?;
        rec.times_ms.push(time("time_ms", t).map_err(|m| error(path, Some(line_no), m))?);
        rec.neurons.push(
            id.trim()
                .parse()
                .map_err(|_| error(path, Some(line_no), format!("neuron `{}` is not an id", id.trim())))?,
        );
    }
    Ok(())
}

/// Sorts spikes by time, then neuron.
fn sort_by_time(neurons: &mut Vec<u32>, times: &mut Vec<f64>) {
    let order = time_order(times, neurons);
    *neurons = order.iter().map(|&k| neurons[k]).collect();
    *times = order.iter().map(|&k| times[k]).collect();
}

/// NEST names a recorder's files `<label>-<node_id>-<vp>.dat`, one per virtual process from 0:
/// a gap in the numbers given is a file left out.
fn check_virtual_processes(paths: &[PathBuf]) -> Result<(), RecordingError> {
    let mut runs: std::collections::BTreeMap<String, Vec<(u32, &PathBuf)>> = Default::default();
    for p in paths {
        let Some(stem) = p.file_stem().and_then(|s| s.to_str()) else { continue };
        if p.extension().and_then(|e| e.to_str()) != Some("dat") {
            continue;
        }
        let Some((run, vp)) = stem.rsplit_once('-') else { continue };
        let (Ok(vp), true) = (vp.parse::<u32>(), run.contains('-')) else { continue };
        let dir = p.parent().map(|d| d.display().to_string()).unwrap_or_default();
        runs.entry(format!("{dir}/{run}")).or_default().push((vp, p));
    }
    for files in runs.values_mut() {
        files.sort();
        for (k, &(vp, path)) in files.iter().enumerate() {
            if vp as usize != k {
                let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or_default();
                let run = stem.rsplit_once('-').map_or(stem, |r| r.0);
                return Err(error(
                    path,
                    None,
                    format!(
                        "is virtual process {vp}, but {run}-{k}.dat is not given: NEST writes one file per virtual process, from 0; give them all"
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// Reads the rows of `text` (the part of a NEST file after `state.lines` lines) that a newline
/// ends, appending their spikes; returns the bytes read. A last row without a newline is left:
/// NEST ends every row with one, so it was cut (or is still being written).
fn read_nest(
    path: &Path,
    text: &str,
    dt_ms: f64,
    state: &mut NestState,
    neurons: &mut Vec<u32>,
    times: &mut Vec<f64>,
) -> Result<usize, RecordingError> {
    let complete = text.rfind('\n').map_or(0, |k| k + 1);
    for line in text[..complete].lines() {
        state.lines += 1;
        let line_no = state.lines;
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let fields: Vec<&str> = trimmed.split_whitespace().collect();
        let Some(kind) = state.format else {
            state.format = Some(match fields.as_slice() {
                ["sender", "time_ms"] => NestTime::Ms,
                ["sender", "time_step", "time_offset"] => NestTime::Steps,
                _ => {
                    return Err(error(
                        path,
                        Some(line_no),
                        format!(
                            "expected NEST's column header `sender time_ms` or `sender time_step time_offset`, found `{trimmed}`"
                        ),
                    ));
                }
            });
            continue;
        };
        let want = if kind == NestTime::Ms { 2 } else { 3 };
        if fields.len() != want {
            return Err(error(path, Some(line_no), format!("{} fields where the header names {want}", fields.len())));
        }
        let at_line = |m: String| error(path, Some(line_no), m);
        let sender = sender(fields[0]).map_err(at_line)?;
        let t = row_time(kind == NestTime::Steps, &fields, dt_ms).map_err(at_line)?;
        neurons.push(sender);
        times.push(t);
    }
    Ok(complete)
}

/// What `replay --stats` prints for a group of neurons.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct GroupStats {
    /// The group's name (`all` or a population).
    pub name: String,
    /// Its neurons.
    pub neurons: usize,
    /// Their spikes.
    pub spikes: usize,
    /// Mean rate over the recording's span, from 0 to its last spike (Hz).
    pub mean_rate_hz: f64,
    /// Mean CV ISI over neurons with at least 3 spikes (`None` when there is none).
    pub mean_cv_isi: Option<f64>,
}

/// The recording's time span and its statistics overall and per population of `net`.
pub fn stats(rec: &Recording, net: &Network) -> (f64, f64, Vec<GroupStats>) {
    let first = rec.times_ms.first().copied().unwrap_or(0.0);
    let last = rec.times_ms.last().copied().unwrap_or(0.0);
    let mut trains: Vec<Vec<f64>> = vec![Vec::new(); net.num_neurons()];
    for (&n, &t) in rec.neurons.iter().zip(&rec.times_ms) {
        if let Some(train) = trains.get_mut(n as usize) {
            train.push(t);
        }
    }
    let group = |name: String, ids: &mut dyn Iterator<Item = u32>| {
        let (mut neurons, mut spikes, mut cv_sum, mut cv_n) = (0, 0, 0.0, 0);
        for i in ids {
            neurons += 1;
            let train = &trains[i as usize];
            spikes += train.len();
            if let Some(cv) = cv_isi(train) {
                cv_sum += cv;
                cv_n += 1;
            }
        }
        let span_s = last * 1e-3;
        GroupStats {
            name,
            neurons,
            spikes,
            mean_rate_hz: if neurons > 0 && span_s > 0.0 { spikes as f64 / neurons as f64 / span_s } else { 0.0 },
            mean_cv_isi: (cv_n > 0).then(|| cv_sum / cv_n as f64),
        }
    };
    let mut out = vec![group("all".into(), &mut (0..net.num_neurons() as u32))];
    for (p, pop) in net.populations.iter().enumerate() {
        out.push(group(pop.name.clone(), &mut net.population_neurons(PopulationId(p as u16))));
    }
    (first, last, out)
}
