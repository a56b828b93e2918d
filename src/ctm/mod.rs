//! Continuous Thought Machine (Darlow et al. 2025) solving mazes: the maze generator, the forward
//! pass in plain Rust with every per-tick intermediate exposed, weights from safetensors, and the
//! evaluation metrics of `neuroplast ctm eval`. Training lives in `tools/ctm/` (PyTorch).
//!
//! See [`Thinker`] for stepping a run one tick at a time and [`CtmModel::run`] for a whole run.

pub mod eval;
pub mod maze;
pub mod model;
mod ops;
pub mod run;
pub mod scene;
pub mod thinker;
pub mod weights;

pub use maze::{Maze, walk};
pub use model::CtmModel;
pub use run::CtmRun;
pub use thinker::Thinker;
pub use weights::{CtmConfig, CtmError};
