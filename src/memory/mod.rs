//! Memory: associative networks that store patterns and complete them from a partial cue — the
//! classical Hopfield network ([`hopfield`]) and the modern, dense one ([`dense`]). Reference
//! figures and their sources: docs/REFERENCES.md (Hopfield networks).

pub mod dense;
pub mod hopfield;

pub use dense::DenseHopfield;
pub use hopfield::{Hopfield, Recall};
