//! CTM scene files: which model, which mazes (`CtmScene(model: "assets/ctm", cells: 5, seed: 3)`).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::Deserialize;

/// A CTM scene file: `CtmScene(name: "…", model: "assets/ctm", cells: 5, seed: 3, maze: 0)`.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct CtmScene {
    /// Title shown in the panel.
    #[serde(default)]
    pub name: String,
    /// Folder with the model's config.json and weights.safetensors (relative to the scene file's
    /// folder's parent, i.e. the repository root for `scenes/`, or absolute).
    #[serde(default = "default_model")]
    pub model: PathBuf,
    /// Cells per maze side.
    #[serde(default = "five")]
    pub cells: usize,
    /// Maze seed.
    #[serde(default)]
    pub seed: u64,
    /// Maze number within the seed.
    #[serde(default)]
    pub maze: u64,
}

fn default_model() -> PathBuf {
    PathBuf::from("assets/ctm")
}
fn five() -> usize {
    5
}

/// Whether a scene file holds a CTM scene (rather than a network).
pub fn is_ctm_scene(text: &str) -> bool {
    let body = text.lines().filter(|l| !l.trim_start().starts_with("//")).collect::<Vec<_>>().join("\n");
    body.trim_start().starts_with("CtmScene")
}

impl CtmScene {
    /// Parses a CTM scene; errors name the file, line and column.
    pub fn parse(text: &str, origin: &str) -> Result<Self> {
        ron::from_str::<CtmScene>(text)
            .map_err(|e| anyhow::anyhow!("{origin}:{}:{}: {}", e.span.start.line, e.span.start.col, e.code))
    }

    /// Loads a CTM scene file.
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        Self::parse(&text, &path.display().to_string())
    }

    /// The model folder, resolved: as written when it exists from the working directory, else
    /// next to the scene file's folder.
    pub fn model_dir(&self, scene_path: &Path) -> PathBuf {
        if self.model.is_absolute() || self.model.exists() {
            return self.model.clone();
        }
        let root = scene_path.parent().and_then(Path::parent).unwrap_or(Path::new("."));
        root.join(&self.model)
    }
}
