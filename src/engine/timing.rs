//! Wall time spent in structural rounds, by rule: what `bench growth` and `run` report.

use std::time::Duration;

/// Accumulated wall time of this process, by rule name, plus rebuilding after edits.
#[derive(Clone, Debug, Default)]
pub(super) struct Timings {
    parts: Vec<(&'static str, Duration)>,
    /// Applying edits: the CSR merge, ids, and every rule following the change.
    pub(super) rewire: Duration,
}

impl Timings {
    /// Adds `d` to rule `name`.
    pub(super) fn add(&mut self, name: &'static str, d: Duration) {
        match self.parts.iter_mut().find(|p| p.0 == name) {
            Some(p) => p.1 += d,
            None => self.parts.push((name, d)),
        }
    }

    /// The same, in seconds.
    pub(super) fn seconds(&self) -> StructuralTimes {
        StructuralTimes {
            parts: self.parts.iter().map(|&(n, d)| (n, d.as_secs_f64())).collect(),
            rewire_s: self.rewire.as_secs_f64(),
        }
    }
}

/// Wall-clock seconds a simulation has spent in each part of its structural rounds; not saved in
/// snapshots.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StructuralTimes {
    /// Planning, by rule name, in the order the rules first ran: MSP's elements, deletions and
    /// pairings; GraNet's selection and regrowth search; neurogenesis' divisions; attention's
    /// embeddings, candidates and scores.
    pub parts: Vec<(&'static str, f64)>,
    /// Applying the edits: rebuilding the synapse table and the rules' per-synapse state (all
    /// rules together, and edits made between steps).
    pub rewire_s: f64,
}

impl StructuralTimes {
    /// All parts together.
    pub fn total_s(&self) -> f64 {
        self.parts.iter().map(|p| p.1).sum::<f64>() + self.rewire_s
    }

    /// The planning time of rule `name` (0 if it never ran).
    pub fn of(&self, name: &str) -> f64 {
        self.parts.iter().find(|p| p.0 == name).map_or(0.0, |p| p.1)
    }
}
