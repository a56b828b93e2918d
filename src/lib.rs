//! Neuroplast: a laboratory for plastic, growing spiking neural networks.
//!
//! The engine (`sim`, `plasticity`, `growth`, `scene`, `analysis`) never imports Bevy and builds with
//! `--no-default-features`.

pub mod analysis;
#[cfg(feature = "app")]
pub mod app;
pub mod ctm;
pub mod engine;
pub mod files;
pub mod growth;
pub mod io;
pub mod memory;
pub mod plasticity;
pub mod scene;
pub mod sim;
pub mod sonata;
