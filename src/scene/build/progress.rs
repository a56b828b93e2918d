//! How far a build has come, readable from another thread while it runs (the app shows it while
//! a large scene loads in the background).

use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};

/// The stages of a build, in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BuildStage {
    /// Neurons: layouts and initial state.
    Populations,
    /// Synapses and gap junctions, drawn row by row.
    Synapses,
    /// Learning, intrinsic and structural rules attached, inputs added.
    Rules,
    /// Finished (or failed).
    Done,
}

impl BuildStage {
    /// What the stage does, in a few words for a progress line.
    pub fn label(self) -> &'static str {
        match self {
            BuildStage::Populations => "placing neurons",
            BuildStage::Synapses => "drawing synapses",
            BuildStage::Rules => "attaching rules and inputs",
            BuildStage::Done => "done",
        }
    }
}

/// Progress counters of one build: the stage, and units done of the stage's total.
#[derive(Debug, Default)]
pub struct BuildProgress {
    stage: AtomicU8,
    done: AtomicU64,
    total: AtomicU64,
}

/// Each stage's share of the whole build's time (measured on CUBA at 400k neurons / 32M synapses:
/// drawing the synapses is nearly all of it).
const SHARES: [f64; 3] = [0.04, 0.86, 0.10];

impl BuildProgress {
    /// The current stage.
    pub fn stage(&self) -> BuildStage {
        match self.stage.load(Ordering::Relaxed) {
            0 => BuildStage::Populations,
            1 => BuildStage::Synapses,
            2 => BuildStage::Rules,
            _ => BuildStage::Done,
        }
    }

    /// The fraction of the whole build done, 0 to 1.
    pub fn fraction(&self) -> f64 {
        let stage = self.stage.load(Ordering::Relaxed) as usize;
        if stage >= SHARES.len() {
            return 1.0;
        }
        let (done, total) = (self.done.load(Ordering::Relaxed), self.total.load(Ordering::Relaxed));
        let within = if total == 0 { 0.0 } else { (done as f64 / total as f64).min(1.0) };
        SHARES[..stage].iter().sum::<f64>() + SHARES[stage] * within
    }

    /// Enters `stage`, whose work is `total` units.
    pub(crate) fn enter(&self, stage: BuildStage, total: u64) {
        self.done.store(0, Ordering::Relaxed);
        self.total.store(total, Ordering::Relaxed);
        self.stage.store(stage as u8, Ordering::Relaxed);
    }

    /// `units` more of the current stage are done.
    pub(crate) fn add(&self, units: u64) {
        self.done.fetch_add(units, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fraction_rises_through_the_stages() {
        let p = BuildProgress::default();
        assert_eq!(p.fraction(), 0.0);
        p.enter(BuildStage::Synapses, 200);
        p.add(100);
        assert!((p.fraction() - (0.04 + 0.43)).abs() < 1e-12, "{}", p.fraction());
        p.enter(BuildStage::Rules, 0);
        assert!((p.fraction() - 0.90).abs() < 1e-12);
        p.enter(BuildStage::Done, 0);
        assert_eq!((p.fraction(), p.stage()), (1.0, BuildStage::Done));
    }
}
