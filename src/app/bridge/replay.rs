//! A recording replayed in the app: the [`Sim`](super::Sim)'s network is driven by a
//! [`ReplayFeed`] instead of its rules, so the view, the raster, the plots and videos show the
//! recorded spikes through the same columns and step reports as a live run.

use std::path::{Path, PathBuf};

pub use crate::io::replay::ReplayRequest;
use crate::io::replay::{ReplayFeed, Replayed, open_source};
use crate::sim::StepReport;

/// A recording being replayed, and where it stands.
pub struct Replay {
    /// The spikes, stepped into the network.
    pub feed: ReplayFeed,
    /// The files it was read from.
    pub files: Vec<PathBuf>,
    /// Whether the last step found the end of the recording.
    pub ended: bool,
    /// Whether the end was already announced (the transport paused, a toast shown).
    pub announced: bool,
    /// A read error met while playing (the replay stops at it).
    pub error: Option<String>,
}

impl Replay {
    /// Reads `request.files` against `net` (every spike's neuron checked) into a replay at its
    /// start; errors name the file and what is wrong.
    pub fn read(request: &ReplayRequest, net: &crate::sim::Network) -> Result<Self, String> {
        let source = open_source(&request.files, net)?;
        let mut feed = ReplayFeed::new(source);
        feed.looping = request.looping;
        feed.following = request.follow && feed.can_follow();
        Ok(Self { feed, files: request.files.clone(), ended: false, announced: false, error: None })
    }

    /// Imposes the next recorded step; false (nothing done) at the end, while waiting for a
    /// followed file to grow, or after a read error.
    pub(super) fn step(&mut self, net: &mut crate::sim::Network, report: &mut StepReport) -> bool {
        if self.error.is_some() {
            return false;
        }
        report.events.clear();
        match self.feed.step(net, report) {
            Ok(Replayed::Step) => {
                self.ended = false;
                self.announced = false;
                true
            }
            Ok(Replayed::Waiting) => false,
            Ok(Replayed::Ended) => {
                self.ended = true;
                false
            }
            Err(e) => {
                self.error = Some(e);
                self.ended = true;
                false
            }
        }
    }

    /// What to tell the user once the end is reached: the time, and the reader's notes (a file
    /// cut mid-row, files ending far apart).
    pub fn end_message(&self) -> String {
        if let Some(e) = &self.error {
            return format!("the replay stopped: {e}");
        }
        let mut m = format!("the recording ends at {:.1} ms", self.feed.end_ms());
        for note in self.feed.notes() {
            m.push_str("; ");
            m.push_str(&note);
        }
        m
    }
}

/// The replay a scene asks for (its `recording`), and the time it opens at (ms).
pub fn requested_by(scene: &crate::scene::Scene) -> Option<(ReplayRequest, f64)> {
    let spec = scene.file.recording.as_ref()?;
    let files = scene.recording_files()?;
    let at = spec.at.map_or(0.0, |q| q.value.max(0.0));
    Some((ReplayRequest { files, looping: spec.looping, follow: false }, at))
}

/// The scene of `sim` as a scene and recording pair saved to `path`: its `recording` names the
/// replay's files (relative to `path`'s folder when they are inside it), whether it loops, and the
/// time shown.
pub fn paired_scene(sim: &super::Sim, path: &Path) -> Result<crate::scene::format::SceneFile, String> {
    let replay = sim.replay.as_ref().ok_or("no recording is replayed")?;
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let dir = dir.canonicalize().map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut spikes = Vec::new();
    for f in &replay.files {
        let full = f.canonicalize().map_err(|e| format!("{}: {e}", f.display()))?;
        let shown = full.strip_prefix(&dir).map_or(full.as_path(), |r| r);
        spikes.push(shown.to_str().ok_or_else(|| format!("{}: the path is not UTF-8", full.display()))?.to_string());
    }
    let at = crate::sim::Quantity::new(sim.network().time_ms(), crate::sim::Dim::Time);
    let recording = crate::scene::format::RecordingSpec { spikes, looping: replay.feed.looping, at: Some(at) };
    Ok(crate::scene::format::SceneFile { recording: Some(recording), ..sim.scene.file.clone() })
}
