//! Scenes: the versioned RON scene format, building a simulation from it, and state snapshots.

pub mod benchmark;
pub mod budget;
pub mod build;
pub mod error;
pub mod format;
pub mod locate;
pub mod relayout;
pub mod snapshot;

use std::path::{Path, PathBuf};

pub use error::{Located, SceneError};
pub use format::{SCENE_VERSION, SceneFile};

use crate::engine::Simulation;
use error::Problem;
use locate::PathIndex;

/// A parsed scene with what is needed to point errors at its text.
#[derive(Clone, Debug)]
pub struct Scene {
    /// The scene's content.
    pub file: SceneFile,
    /// Where it came from (a path or a label), for error messages.
    pub origin: String,
    index: PathIndex,
    /// The most memory building may ask for (bytes; `None`: what the system has available).
    memory_limit: Option<f64>,
    /// The folder paths in the scene are taken from (the scene file's).
    base: PathBuf,
}

fn ron_options() -> ron::Options {
    ron::Options::default()
        .with_default_extension(ron::extensions::Extensions::UNWRAP_VARIANT_NEWTYPES)
        .with_default_extension(ron::extensions::Extensions::IMPLICIT_SOME)
}

impl Scene {
    /// Parses scene text; `origin` names it in errors.
    pub fn parse(text: &str, origin: &str) -> Result<Self, SceneError> {
        let index = PathIndex::new(text);
        match ron_options().from_str::<SceneFile>(text) {
            Ok(file) => {
                Ok(Self { file, origin: origin.to_string(), index, memory_limit: None, base: PathBuf::from(".") })
            }
            Err(e) => {
                let (line, column) = (e.span.start.line, e.span.start.col);
                let field = index.path_at((line, column)).unwrap_or_default();
                Err(SceneError::Invalid(Box::new(Located {
                    file: origin.to_string(),
                    line,
                    column,
                    field,
                    message: e.code.to_string(),
                })))
            }
        }
    }

    /// Reads and parses a scene file.
    pub fn load(path: &Path) -> Result<Self, SceneError> {
        let text = std::fs::read_to_string(path).map_err(|e| crate::files::FileError::io(path, "cannot read", &e))?;
        Self::parse_file(&text, path)
    }

    /// Parses the text of the scene file at `path` (named in errors; paths in it are taken from
    /// its folder).
    pub fn parse_file(text: &str, path: &Path) -> Result<Self, SceneError> {
        let mut scene = Self::parse(text, &path.display().to_string())?;
        scene.base = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new(".")).to_path_buf();
        Ok(scene)
    }

    /// The SONATA circuit config the scene names, taken from the scene file's folder.
    pub fn circuit_path(&self) -> Option<PathBuf> {
        self.file.sonata.as_ref().map(|s| self.base.join(&s.config))
    }

    /// The spike files of the scene's `recording` (taken from the scene's folder), if it has one.
    pub fn recording_files(&self) -> Option<Vec<PathBuf>> {
        let r = self.file.recording.as_ref()?;
        Some(r.spikes.iter().map(|f| self.base.join(f)).collect())
    }

    /// Sets the most memory building may ask for (`--max-memory`), instead of what is available.
    pub fn set_memory_limit(&mut self, bytes: f64) {
        self.memory_limit = Some(bytes);
    }

    /// Estimates the memory the scene needs and refuses it, at the field asking for the most, when
    /// it exceeds the limit: before anything is allocated.
    pub fn check_memory(&self) -> Result<budget::MemoryEstimate, SceneError> {
        let mut estimate = budget::estimate(&self.file).map_err(|p| self.locate(p))?;
        if let Some(path) = self.circuit_path() {
            let sizes = crate::sonata::circuit_sizes(&path)
                .map_err(|e| self.locate(Problem::at("sonata.config", e.to_string())))?;
            budget::add_circuit(&mut estimate, &sizes).map_err(|p| self.locate(p))?;
        }
        let limit = self.memory_limit.unwrap_or_else(budget::available_memory);
        budget::check(&estimate, limit).map_err(|p| self.locate(p))?;
        Ok(estimate)
    }

    /// Builds the simulation (network and rules); `seed` overrides the scene's seed.
    pub fn build(&self, seed: Option<u64>) -> Result<Simulation, SceneError> {
        self.check_memory()?;
        build::build_with_progress(&self.file, &self.base, seed, &build::BuildProgress::default())
            .map_err(|p| self.locate(p))
    }

    /// [`Scene::build`], counting its progress in `progress` (for a caller on another thread).
    pub fn build_with_progress(
        &self,
        seed: Option<u64>,
        progress: &build::BuildProgress,
    ) -> Result<Simulation, SceneError> {
        self.check_memory()?;
        build::build_with_progress(&self.file, &self.base, seed, progress).map_err(|p| self.locate(p))
    }

    /// Attaches a file position to a problem found after parsing.
    fn locate(&self, p: Problem) -> SceneError {
        let (line, column) = self.index.locate(&p.path).unwrap_or((1, 1));
        SceneError::Invalid(Box::new(Located {
            file: self.origin.clone(),
            line,
            column,
            field: p.path,
            message: p.message,
        }))
    }

    /// Scales the scene by `factor` (the `--scale` of `run` and the app): population sizes (and
    /// neurogenesis caps) times `factor`, Bernoulli probabilities divided by it, so each neuron
    /// keeps its number of inputs. A factor that is not a positive number is refused.
    pub fn scale(&mut self, factor: f64) -> Result<(), String> {
        if !(factor.is_finite() && factor > 0.0) {
            return Err(format!("--scale must be a positive number, not {factor}"));
        }
        if self.file.sonata.is_some() && factor != 1.0 {
            return Err(
                "--scale: a scene with a SONATA circuit cannot be scaled (the circuit is as its files are)".into()
            );
        }
        for p in &mut self.file.populations {
            p.size = ((p.size as f64 * factor).round() as u32).max(1);
            if let Some(g) = &mut p.neurogenesis {
                g.max_size = ((g.max_size as f64 * factor).round() as u32).max(p.size);
            }
        }
        for proj in &mut self.file.projections {
            if let format::Connectivity::Bernoulli { p, .. } = &mut proj.connectivity {
                *p = (*p / factor).min(1.0);
            }
        }
        Ok(())
    }

    /// Writes the scene back as RON text.
    pub fn to_ron(file: &SceneFile) -> String {
        // The parser's own extensions (unwrapped newtype variants, implicit `Some`), so the text
        // reads back as the same scene.
        ron_options().to_string_pretty(file, ron::ser::PrettyConfig::default()).expect("a scene always serialises")
    }
}
