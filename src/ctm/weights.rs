//! The CTM's config (JSON) and weights (safetensors), checked against each other on load.
//!
//! Tensor names and layouts are those of the PyTorch state dict written by `tools/ctm/export.py`;
//! a missing tensor, a wrong shape or a wrong dtype is an error that names the tensor.

use std::path::{Path, PathBuf};

use safetensors::{Dtype, SafeTensors};
use serde::Deserialize;

/// A weights/config pair that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum CtmError {
    /// A file could not be read.
    #[error("{}: cannot read: {error}", file.display())]
    Io {
        /// The file's path.
        file: PathBuf,
        /// The operating system's error (not a `source`: the message says it once).
        error: std::io::Error,
    },
    /// The config is not valid JSON for a CTM.
    #[error("CTM config: {0}")]
    Config(String),
    /// The weights file is not a valid safetensors file.
    #[error("CTM weights: not a safetensors file: {0}")]
    Format(String),
    /// A tensor the config needs is absent.
    #[error("CTM weights: tensor `{0}` is missing")]
    Missing(String),
    /// A tensor has the wrong shape for the config.
    #[error("CTM weights: tensor `{name}` has shape {found:?}, the config needs {expected:?}")]
    Shape {
        /// The tensor's name.
        name: String,
        /// The shape the config implies.
        expected: Vec<usize>,
        /// The shape in the file.
        found: Vec<usize>,
    },
    /// A tensor has the wrong element type.
    #[error("CTM weights: tensor `{name}` is {found}, expected {expected}")]
    Dtype {
        /// The tensor's name.
        name: String,
        /// The element type expected.
        expected: &'static str,
        /// The element type in the file.
        found: String,
    },
    /// A pair index is outside 0..d_model.
    #[error("CTM weights: tensor `{name}` holds neuron index {index}, outside 0..{d_model}")]
    PairIndex {
        /// The tensor's name.
        name: String,
        /// The offending index.
        index: i64,
        /// The number of neurons.
        d_model: usize,
    },
}

/// Hyper-parameters of a maze CTM, as written to `config.json` by `tools/ctm/export.py`.
#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct CtmConfig {
    /// Input canvas side in pixels.
    pub canvas: usize,
    /// Input channels (3: RGB).
    pub in_channels: usize,
    /// Channels of each featuriser conv.
    pub conv_channels: usize,
    /// Number of 3×3 convs in the featuriser.
    pub conv_layers: usize,
    /// Attention width d_in.
    pub d_input: usize,
    /// Attention heads.
    pub heads: usize,
    /// Neurons D.
    pub d_model: usize,
    /// Pre-activation history length M.
    pub memory: usize,
    /// NLM hidden width h.
    pub nlm_hidden: usize,
    /// Output synchronisation pairs.
    pub n_sync_out: usize,
    /// Action synchronisation pairs.
    pub n_sync_action: usize,
    /// Internal ticks T.
    pub ticks: usize,
    /// Route length k (pixel steps predicted).
    pub route_len: usize,
    /// Classes per route step (5).
    pub n_classes: usize,
    /// LayerNorm epsilon.
    pub ln_eps: f32,
    /// LayerNorm on the sync vectors before the query and output projections (a deviation from
    /// the paper that lets a model this small learn; absent in older configs = false).
    #[serde(default)]
    pub sync_layernorm: bool,
}

impl CtmConfig {
    /// Parses and checks a config from JSON text.
    pub fn from_json(text: &str) -> Result<Self, CtmError> {
        let c: CtmConfig = serde_json::from_str(text).map_err(|e| CtmError::Config(e.to_string()))?;
        let bad = |m: String| Err(CtmError::Config(m));
        if c.canvas < 3 || c.canvas.is_multiple_of(2) {
            return bad(format!("canvas must be odd and at least 3, got {}", c.canvas));
        }
        if c.heads == 0 || !c.d_input.is_multiple_of(c.heads) {
            return bad(format!("d_input {} is not a multiple of heads {}", c.d_input, c.heads));
        }
        if c.n_classes != 5 {
            return bad(format!("n_classes must be 5 (up, down, left, right, wait), got {}", c.n_classes));
        }
        for (name, v) in [
            ("in_channels", c.in_channels),
            ("conv_channels", c.conv_channels),
            ("conv_layers", c.conv_layers),
            ("d_model", c.d_model),
            ("memory", c.memory),
            ("nlm_hidden", c.nlm_hidden),
            ("n_sync_out", c.n_sync_out),
            ("n_sync_action", c.n_sync_action),
            ("ticks", c.ticks),
            ("route_len", c.route_len),
        ] {
            // Bounds far above any trained model, so a broken file cannot ask for endless work.
            let most = if matches!(name, "ticks" | "route_len") { 4096 } else { 65_536 };
            if v == 0 || v > most {
                return bad(format!("{name} must be 1 to {most}, got {v}"));
            }
        }
        if c.canvas > 1025 {
            return bad(format!("canvas must be at most 1025, got {}", c.canvas));
        }
        if !(c.ln_eps.is_finite() && c.ln_eps > 0.0) {
            return bad(format!("ln_eps must be a small positive number, got {}", c.ln_eps));
        }
        Ok(c)
    }

    /// Tokens the attention looks at: one per cell, ((canvas − 1)/2)².
    pub fn tokens(&self) -> usize {
        let g = (self.canvas - 1) / 2;
        g * g
    }

    /// Largest maze (in cells per side) the canvas holds.
    pub fn max_cells(&self) -> usize {
        (self.canvas - 1) / 2
    }
}

/// A safetensors file's tensors, checked by name, shape and dtype as they are taken.
pub(crate) struct TensorFile<'a> {
    st: SafeTensors<'a>,
}

impl<'a> TensorFile<'a> {
    pub(crate) fn parse(bytes: &'a [u8]) -> Result<Self, CtmError> {
        Ok(Self { st: SafeTensors::deserialize(bytes).map_err(|e| CtmError::Format(e.to_string()))? })
    }

    fn view(&self, name: &str, shape: &[usize]) -> Result<safetensors::tensor::TensorView<'a>, CtmError> {
        let v = self.st.tensor(name).map_err(|_| CtmError::Missing(name.to_string()))?;
        if v.shape() != shape {
            return Err(CtmError::Shape { name: name.into(), expected: shape.to_vec(), found: v.shape().to_vec() });
        }
        Ok(v)
    }

    /// An f32 tensor of exactly this shape, row-major.
    pub(crate) fn f32(&self, name: &str, shape: &[usize]) -> Result<Vec<f32>, CtmError> {
        let v = self.view(name, shape)?;
        if v.dtype() != Dtype::F32 {
            return Err(CtmError::Dtype { name: name.into(), expected: "F32", found: format!("{:?}", v.dtype()) });
        }
        Ok(v.data().chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect())
    }

    /// An integer tensor (I32 or I64) of exactly this shape.
    pub(crate) fn int(&self, name: &str, shape: &[usize]) -> Result<Vec<i64>, CtmError> {
        let v = self.view(name, shape)?;
        match v.dtype() {
            Dtype::I32 => {
                Ok(v.data().chunks_exact(4).map(|b| i32::from_le_bytes([b[0], b[1], b[2], b[3]]) as i64).collect())
            }
            Dtype::I64 => Ok(v.data().chunks_exact(8).map(|b| i64::from_le_bytes(b.try_into().unwrap())).collect()),
            d => Err(CtmError::Dtype { name: name.into(), expected: "I32 or I64", found: format!("{d:?}") }),
        }
    }
}

/// Reads a file, naming it in the error.
pub(crate) fn read(path: &Path) -> Result<Vec<u8>, CtmError> {
    std::fs::read(path).map_err(|error| CtmError::Io { file: path.to_path_buf(), error })
}
