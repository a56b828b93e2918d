//! The CTM forward pass in plain Rust, one tick at a time, every intermediate readable.
//!
//! Mirrors `tools/ctm/model.py` (see its docstring for the equations). [`CtmModel`] holds the
//! weights; a [`super::Thinker`] holds one maze's state: it runs the featuriser and projects K and V once
//! in [`super::Thinker::reset`], then each [`super::Thinker::step`] is one internal tick that writes into
//! buffers allocated up front (no allocation per tick). [`CtmModel::run`] records a whole run (in `run.rs`).

use std::path::Path;

use super::ops::{Conv, NormAffine};
use super::weights::{CtmConfig, CtmError, TensorFile, read};

/// A CTM's weights, in layouts suited to the forward pass.
#[derive(Clone, Debug)]
pub struct CtmModel {
    pub(super) cfg: CtmConfig,
    pub(super) convs: Vec<Conv>,
    pub(super) pos_emb: Vec<f32>,
    pub(super) kv_w: Vec<f32>,
    pub(super) kv_b: Vec<f32>,
    pub(super) kv_ln_w: Vec<f32>,
    pub(super) kv_ln_b: Vec<f32>,
    pub(super) q_proj_w: Vec<f32>,
    pub(super) q_proj_b: Vec<f32>,
    /// Attention in-projection, rows q | k | v (3·d_in × d_in) and bias.
    pub(super) in_w: Vec<f32>,
    pub(super) in_b: Vec<f32>,
    pub(super) attn_out_w: Vec<f32>,
    pub(super) attn_out_b: Vec<f32>,
    pub(super) syn_w: Vec<f32>,
    pub(super) syn_b: Vec<f32>,
    pub(super) syn_ln_w: Vec<f32>,
    pub(super) syn_ln_b: Vec<f32>,
    /// NLM layer 1 per neuron: `[d][2h][M]`, bias `[d][2h]`, temperature.
    pub(super) nlm1_w: Vec<f32>,
    pub(super) nlm1_b: Vec<f32>,
    pub(super) nlm1_t: f32,
    /// NLM layer 2 per neuron: `[d][2][h]`, bias `[d][2]`, temperature.
    pub(super) nlm2_w: Vec<f32>,
    pub(super) nlm2_b: Vec<f32>,
    pub(super) nlm2_t: f32,
    pub(super) z_init: Vec<f32>,
    pub(super) hist_init: Vec<f32>,
    pub(super) out_pairs: Vec<(usize, usize)>,
    pub(super) action_pairs: Vec<(usize, usize)>,
    pub(super) out_decay: Vec<f32>,
    pub(super) action_decay: Vec<f32>,
    pub(super) out_factor: Vec<f32>,
    pub(super) action_factor: Vec<f32>,
    pub(super) out_w: Vec<f32>,
    pub(super) out_b: Vec<f32>,
    /// LayerNorm (weight, bias) on S_action and S_out, when the config asks for it.
    pub(super) sync_action_ln: Option<NormAffine>,
    pub(super) sync_out_ln: Option<NormAffine>,
}

fn transpose_per_neuron(w: &[f32], a: usize, b: usize, d: usize) -> Vec<f32> {
    // (a, b, d) -> (d, b, a)
    let mut out = vec![0.0; a * b * d];
    for i in 0..a {
        for j in 0..b {
            for n in 0..d {
                out[(n * b + j) * a + i] = w[(i * b + j) * d + n];
            }
        }
    }
    out
}

impl CtmModel {
    /// Loads `config.json` and `weights.safetensors` from a folder (such as `assets/ctm`).
    pub fn load(dir: &Path) -> Result<Self, CtmError> {
        let cfg_path = dir.join("config.json");
        let text = String::from_utf8(read(&cfg_path)?).map_err(|e| CtmError::Config(e.to_string()))?;
        Self::from_bytes(&text, &read(&dir.join("weights.safetensors"))?)
    }

    /// Builds a model from config JSON text and safetensors bytes; every tensor is checked.
    pub fn from_bytes(config_json: &str, weights: &[u8]) -> Result<Self, CtmError> {
        let cfg = CtmConfig::from_json(config_json)?;
        let f = TensorFile::parse(weights)?;
        let (c, di, d, m, h) = (cfg.conv_channels, cfg.d_input, cfg.d_model, cfg.memory, cfg.nlm_hidden);
        let mut convs = Vec::new();
        let mut cin = cfg.in_channels;
        for l in 0..cfg.conv_layers {
            convs.push(Conv {
                w: f.f32(&format!("convs.{l}.weight"), &[c, cin, 3, 3])?,
                b: f.f32(&format!("convs.{l}.bias"), &[c])?,
                cin,
                cout: c,
            });
            cin = c;
        }
        let pairs = |name: &str, n: usize| -> Result<Vec<(usize, usize)>, CtmError> {
            let i = f.int(&format!("pairs_{name}_i"), &[n])?;
            let j = f.int(&format!("pairs_{name}_j"), &[n])?;
            for (t, v) in [("i", &i), ("j", &j)] {
                if let Some(&bad) = v.iter().find(|&&x| x < 0 || x as usize >= d) {
                    return Err(CtmError::PairIndex { name: format!("pairs_{name}_{t}"), index: bad, d_model: d });
                }
            }
            Ok(i.iter().zip(&j).map(|(&a, &b)| (a as usize, b as usize)).collect())
        };
        let scalar = |name: &str| f.f32(name, &[1]).map(|v| v[0]);
        let out_decay = f.f32("decay_out", &[cfg.n_sync_out])?;
        let action_decay = f.f32("decay_action", &[cfg.n_sync_action])?;
        let ln = |name: &str, n: usize| -> Result<Option<NormAffine>, CtmError> {
            if !cfg.sync_layernorm {
                return Ok(None);
            }
            Ok(Some((f.f32(&format!("{name}.weight"), &[n])?, f.f32(&format!("{name}.bias"), &[n])?)))
        };
        let factor = |r: &[f32]| r.iter().map(|r| (-r.clamp(0.0, 15.0)).exp()).collect::<Vec<f32>>();
        Ok(Self {
            convs,
            pos_emb: f.f32("pos_emb", &[cfg.tokens(), c])?,
            kv_w: f.f32("kv_proj.weight", &[di, c])?,
            kv_b: f.f32("kv_proj.bias", &[di])?,
            kv_ln_w: f.f32("kv_ln.weight", &[di])?,
            kv_ln_b: f.f32("kv_ln.bias", &[di])?,
            q_proj_w: f.f32("q_proj.weight", &[di, cfg.n_sync_action])?,
            q_proj_b: f.f32("q_proj.bias", &[di])?,
            in_w: f.f32("attn_in_w", &[3 * di, di])?,
            in_b: f.f32("attn_in_b", &[3 * di])?,
            attn_out_w: f.f32("attn_out.weight", &[di, di])?,
            attn_out_b: f.f32("attn_out.bias", &[di])?,
            syn_w: f.f32("syn.weight", &[2 * d, di + d])?,
            syn_b: f.f32("syn.bias", &[2 * d])?,
            syn_ln_w: f.f32("syn_ln.weight", &[d])?,
            syn_ln_b: f.f32("syn_ln.bias", &[d])?,
            nlm1_w: transpose_per_neuron(&f.f32("nlm1.w", &[m, 2 * h, d])?, m, 2 * h, d),
            nlm1_b: f.f32("nlm1.b", &[1, d, 2 * h])?,
            nlm1_t: scalar("nlm1.temp")?,
            nlm2_w: transpose_per_neuron(&f.f32("nlm2.w", &[h, 2, d])?, h, 2, d),
            nlm2_b: f.f32("nlm2.b", &[1, d, 2])?,
            nlm2_t: scalar("nlm2.temp")?,
            z_init: f.f32("z_init", &[d])?,
            hist_init: f.f32("hist_init", &[d, m])?,
            out_pairs: pairs("out", cfg.n_sync_out)?,
            action_pairs: pairs("action", cfg.n_sync_action)?,
            out_factor: factor(&out_decay),
            action_factor: factor(&action_decay),
            out_decay,
            action_decay,
            out_w: f.f32("out_proj.weight", &[cfg.route_len * cfg.n_classes, cfg.n_sync_out])?,
            out_b: f.f32("out_proj.bias", &[cfg.route_len * cfg.n_classes])?,
            sync_action_ln: ln("sync_action_ln", cfg.n_sync_action)?,
            sync_out_ln: ln("sync_out_ln", cfg.n_sync_out)?,
            cfg,
        })
    }

    /// The model's hyper-parameters.
    pub fn config(&self) -> &CtmConfig {
        &self.cfg
    }

    /// Neuron pairs (i, j) of the output synchronisation.
    pub fn out_pairs(&self) -> &[(usize, usize)] {
        &self.out_pairs
    }

    /// Neuron pairs (i, j) of the action synchronisation.
    pub fn action_pairs(&self) -> &[(usize, usize)] {
        &self.action_pairs
    }

    /// Learned decay rates r of the output pairs (before the [0, 15] clamp).
    pub fn out_decay(&self) -> &[f32] {
        &self.out_decay
    }

    /// Learned decay rates r of the action pairs (before the [0, 15] clamp).
    pub fn action_decay(&self) -> &[f32] {
        &self.action_decay
    }

    /// Number of learned parameters (pair indices excluded).
    pub fn parameter_count(&self) -> usize {
        let convs: usize = self.convs.iter().map(|c| c.w.len() + c.b.len()).sum();
        convs
            + [
                &self.pos_emb,
                &self.kv_w,
                &self.kv_b,
                &self.kv_ln_w,
                &self.kv_ln_b,
                &self.q_proj_w,
                &self.q_proj_b,
                &self.in_w,
                &self.in_b,
                &self.attn_out_w,
                &self.attn_out_b,
                &self.syn_w,
                &self.syn_b,
                &self.syn_ln_w,
                &self.syn_ln_b,
                &self.nlm1_w,
                &self.nlm1_b,
                &self.nlm2_w,
                &self.nlm2_b,
                &self.z_init,
                &self.hist_init,
                &self.out_decay,
                &self.action_decay,
                &self.out_w,
                &self.out_b,
            ]
            .iter()
            .map(|v| v.len())
            .sum::<usize>()
            + [&self.sync_action_ln, &self.sync_out_ln]
                .iter()
                .map(|l| l.as_ref().map_or(0, |(w, b)| w.len() + b.len()))
                .sum::<usize>()
            + 2
    }
}
