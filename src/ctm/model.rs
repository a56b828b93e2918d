//! The CTM forward pass in plain Rust, one tick at a time, every intermediate readable.
//!
//! Mirrors `tools/ctm/model.py` (see its docstring for the equations). [`CtmModel`] holds the
//! weights; a [`Thinker`] holds one maze's state: it runs the featuriser and projects K and V once
//! in [`Thinker::reset`], then each [`Thinker::step`] is one internal tick that writes into
//! buffers allocated up front (no allocation per tick). [`CtmModel::run`] records a whole run.

use std::path::Path;
use std::sync::Arc;

use super::maze::{Maze, N_CLASSES};
use super::weights::{CtmConfig, CtmError, TensorFile, read};

/// A LayerNorm's affine parameters (weight, bias).
type NormAffine = (Vec<f32>, Vec<f32>);

/// A 3×3, stride-1, zero-padded convolution with bias (weights `[out][in][3][3]`).
#[derive(Clone, Debug)]
struct Conv {
    w: Vec<f32>,
    b: Vec<f32>,
    cin: usize,
    cout: usize,
}

/// A CTM's weights, in layouts suited to the forward pass.
#[derive(Clone, Debug)]
pub struct CtmModel {
    cfg: CtmConfig,
    convs: Vec<Conv>,
    pos_emb: Vec<f32>,
    kv_w: Vec<f32>,
    kv_b: Vec<f32>,
    kv_ln_w: Vec<f32>,
    kv_ln_b: Vec<f32>,
    q_proj_w: Vec<f32>,
    q_proj_b: Vec<f32>,
    /// Attention in-projection, rows q | k | v (3·d_in × d_in) and bias.
    in_w: Vec<f32>,
    in_b: Vec<f32>,
    attn_out_w: Vec<f32>,
    attn_out_b: Vec<f32>,
    syn_w: Vec<f32>,
    syn_b: Vec<f32>,
    syn_ln_w: Vec<f32>,
    syn_ln_b: Vec<f32>,
    /// NLM layer 1 per neuron: `[d][2h][M]`, bias `[d][2h]`, temperature.
    nlm1_w: Vec<f32>,
    nlm1_b: Vec<f32>,
    nlm1_t: f32,
    /// NLM layer 2 per neuron: `[d][2][h]`, bias `[d][2]`, temperature.
    nlm2_w: Vec<f32>,
    nlm2_b: Vec<f32>,
    nlm2_t: f32,
    z_init: Vec<f32>,
    hist_init: Vec<f32>,
    out_pairs: Vec<(usize, usize)>,
    action_pairs: Vec<(usize, usize)>,
    out_decay: Vec<f32>,
    action_decay: Vec<f32>,
    out_factor: Vec<f32>,
    action_factor: Vec<f32>,
    out_w: Vec<f32>,
    out_b: Vec<f32>,
    /// LayerNorm (weight, bias) on S_action and S_out, when the config asks for it.
    sync_action_ln: Option<NormAffine>,
    sync_out_ln: Option<NormAffine>,
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

    /// Runs all T ticks on one input (3 × canvas × canvas) and records every tick.
    pub fn run(self: &Arc<Self>, input: &[f32]) -> CtmRun {
        let mut th = Thinker::new(self.clone());
        th.reset(input);
        let mut run = CtmRun::with_capacity(&self.cfg);
        while th.step() {
            run.push(&th);
        }
        run
    }

    /// Runs all T ticks on a maze (rendered at the canvas's top-left).
    pub fn run_maze(self: &Arc<Self>, maze: &Maze) -> CtmRun {
        self.run(&maze.render(self.cfg.canvas))
    }
}

/// `out = W x + b` for a row-major `W` (out × in).
#[inline]
fn linear(w: &[f32], b: &[f32], x: &[f32], out: &mut [f32]) {
    let n = x.len();
    for (o, (row, bias)) in out.iter_mut().zip(w.chunks_exact(n).zip(b)) {
        *o = bias + dot(row, x);
    }
}

#[inline]
fn dot(a: &[f32], b: &[f32]) -> f32 {
    // Eight partial sums: vectorises and keeps rounding close to a pairwise sum.
    let mut acc = [0.0f32; 8];
    let (ca, cb) = (a.chunks_exact(8), b.chunks_exact(8));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for i in 0..8 {
            acc[i] += x[i] * y[i];
        }
    }
    let mut s = (acc[0] + acc[4]) + (acc[1] + acc[5]) + (acc[2] + acc[6]) + (acc[3] + acc[7]);
    for (x, y) in ra.iter().zip(rb) {
        s += x * y;
    }
    s
}

#[inline]
fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + (-x).exp())
}

fn layer_norm(x: &mut [f32], w: &[f32], b: &[f32], eps: f32) {
    let n = x.len() as f64;
    let mean = x.iter().map(|&v| v as f64).sum::<f64>() / n;
    let var = x.iter().map(|&v| (v as f64 - mean).powi(2)).sum::<f64>() / n;
    let inv = 1.0 / (var + eps as f64).sqrt();
    for ((v, w), b) in x.iter_mut().zip(w).zip(b) {
        *v = ((*v as f64 - mean) * inv) as f32 * w + b;
    }
}

/// One maze's run of the CTM, stepped one tick at a time; after each [`Thinker::step`] every
/// intermediate of that tick can be read.
pub struct Thinker {
    model: Arc<CtmModel>,
    tick: usize,
    input: Vec<f32>,
    planes: [Vec<f32>; 2],
    nlm_l1: Vec<f32>,
    patch: Vec<f32>,
    tokens: Vec<f32>,
    kv: Vec<f32>,
    k: Vec<f32>,
    v: Vec<f32>,
    z: Vec<f32>,
    hist: Vec<f32>,
    alpha_a: Vec<f32>,
    beta_a: Vec<f32>,
    alpha_o: Vec<f32>,
    beta_o: Vec<f32>,
    s_act: Vec<f32>,
    sync_scratch: Vec<f32>,
    q0: Vec<f32>,
    q: Vec<f32>,
    attn: Vec<f32>,
    ctx: Vec<f32>,
    o: Vec<f32>,
    syn_in: Vec<f32>,
    syn_lin: Vec<f32>,
    pre: Vec<f32>,
    nlm_hidden: Vec<f32>,
    s_out: Vec<f32>,
    logits: Vec<f32>,
    entropy: Vec<f32>,
    certainty: f32,
}

impl Thinker {
    /// A thinker for `model` with all buffers allocated; call [`Thinker::reset`] before stepping.
    pub fn new(model: Arc<CtmModel>) -> Self {
        let c = model.cfg.clone();
        let (n, di, d) = (c.tokens(), c.d_input, c.d_model);
        let plane = c.canvas * c.canvas * c.conv_channels.max(c.in_channels);
        let z = model.z_init.clone();
        let hist = model.hist_init.clone();
        let mut th = Self {
            tick: 0,
            input: vec![0.0; c.in_channels * c.canvas * c.canvas],
            planes: [vec![0.0; plane], vec![0.0; plane]],
            nlm_l1: vec![0.0; 2 * c.nlm_hidden],
            patch: vec![0.0; c.conv_channels.max(c.in_channels) * 9],
            tokens: vec![0.0; n * c.conv_channels],
            kv: vec![0.0; n * di],
            k: vec![0.0; n * di],
            v: vec![0.0; n * di],
            z,
            hist,
            alpha_a: vec![0.0; c.n_sync_action],
            beta_a: vec![0.0; c.n_sync_action],
            alpha_o: vec![0.0; c.n_sync_out],
            beta_o: vec![0.0; c.n_sync_out],
            s_act: vec![0.0; c.n_sync_action],
            sync_scratch: vec![0.0; c.n_sync_action.max(c.n_sync_out)],
            q0: vec![0.0; di],
            q: vec![0.0; di],
            attn: vec![0.0; c.heads * n],
            ctx: vec![0.0; di],
            o: vec![0.0; di],
            syn_in: vec![0.0; di + d],
            syn_lin: vec![0.0; 2 * d],
            pre: vec![0.0; d],
            nlm_hidden: vec![0.0; d * c.nlm_hidden],
            s_out: vec![0.0; c.n_sync_out],
            logits: vec![0.0; c.route_len * N_CLASSES],
            entropy: vec![0.0; c.route_len],
            certainty: 0.0,
            model,
        };
        th.reset_state();
        th
    }

    /// The model this thinker runs.
    pub fn model(&self) -> &Arc<CtmModel> {
        &self.model
    }

    fn reset_state(&mut self) {
        let m = &self.model;
        self.tick = 0;
        self.z.copy_from_slice(&m.z_init);
        self.hist.copy_from_slice(&m.hist_init);
        for (k, &(i, j)) in m.action_pairs.iter().enumerate() {
            self.alpha_a[k] = self.z[i] * self.z[j];
            self.beta_a[k] = 1.0;
        }
        for (k, &(i, j)) in m.out_pairs.iter().enumerate() {
            self.alpha_o[k] = self.z[i] * self.z[j];
            self.beta_o[k] = 1.0;
        }
        for (s, &a) in self.s_act.iter_mut().zip(&self.alpha_a) {
            *s = a;
        }
        for (s, &a) in self.s_out.iter_mut().zip(&self.alpha_o) {
            *s = a;
        }
        self.attn.fill(0.0);
        self.pre.fill(0.0);
        self.logits.fill(0.0);
        self.entropy.fill(1.0);
        self.certainty = 0.0;
    }

    /// Starts a new run on an input (3 × canvas × canvas, RGB in [-1, 1]): featuriser, kv, K and V
    /// once, state back to the learned start (tick 0).
    pub fn reset(&mut self, input: &[f32]) {
        let c = &self.model.cfg;
        let p = c.canvas;
        assert_eq!(input.len(), c.in_channels * p * p, "input must be {} × {p} × {p}", c.in_channels);
        self.input.copy_from_slice(input);
        self.featurise();
    }

    /// Starts a new run on a maze (see [`Thinker::reset`]).
    pub fn reset_maze(&mut self, maze: &Maze) {
        maze.render_into(self.model.cfg.canvas, &mut self.input);
        self.featurise();
    }

    /// The input of the current run (3 × canvas × canvas).
    pub fn input(&self) -> &[f32] {
        &self.input
    }

    fn featurise(&mut self) {
        let m = self.model.clone();
        let c = &m.cfg;
        let p = c.canvas;
        let [a, b] = &mut self.planes;
        a[..self.input.len()].copy_from_slice(&self.input);
        let last = m.convs.len() - 1;
        for conv in &m.convs[..last] {
            conv_full(conv, p, &a[..conv.cin * p * p], &mut b[..conv.cout * p * p], &mut self.patch);
            std::mem::swap(a, b);
        }
        // The last conv only at the cell centres (the tokens), then the positional embedding.
        let conv = &m.convs[last];
        let g = c.max_cells();
        let cc = conv.cout;
        let patch = &mut self.patch[..conv.cin * 9];
        for r in 0..g {
            for col in 0..g {
                gather_patch(a, conv.cin, p, 2 * r + 1, 2 * col + 1, patch);
                let t = r * g + col;
                let (tokens, pos) = (&mut self.tokens[t * cc..(t + 1) * cc], &m.pos_emb[t * cc..(t + 1) * cc]);
                conv_at(conv, patch, |co, v| tokens[co] = v + pos[co]);
            }
        }
        let di = c.d_input;
        for t in 0..c.tokens() {
            let kv = &mut self.kv[t * di..(t + 1) * di];
            linear(&m.kv_w, &m.kv_b, &self.tokens[t * cc..(t + 1) * cc], kv);
            layer_norm(kv, &m.kv_ln_w, &m.kv_ln_b, c.ln_eps);
            linear(&m.in_w[di * di..2 * di * di], &m.in_b[di..2 * di], kv, &mut self.k[t * di..(t + 1) * di]);
            linear(&m.in_w[2 * di * di..], &m.in_b[2 * di..], kv, &mut self.v[t * di..(t + 1) * di]);
        }
        self.reset_state();
    }

    /// Runs one internal tick; returns false (and does nothing) once all T ticks have run.
    pub fn step(&mut self) -> bool {
        let m = &*self.model;
        let c = &m.cfg;
        if self.tick >= c.ticks {
            return false;
        }
        let (n, di, d, h, mem) = (c.tokens(), c.d_input, c.d_model, c.nlm_hidden, c.memory);
        let dh = di / c.heads;
        // 1-2. Action synchronisation of z^0..z^{t-1}, query.
        for (s, (a, b)) in self.s_act.iter_mut().zip(self.alpha_a.iter().zip(&self.beta_a)) {
            *s = a / b.sqrt();
        }
        let s_act = normed(&m.sync_action_ln, &self.s_act, &mut self.sync_scratch, c.ln_eps);
        linear(&m.q_proj_w, &m.q_proj_b, s_act, &mut self.q0);
        linear(&m.in_w[..di * di], &m.in_b[..di], &self.q0, &mut self.q);
        // 3. Cross-attention, one query token, per head.
        let scale = 1.0 / (dh as f32).sqrt();
        for head in 0..c.heads {
            let qh = &self.q[head * dh..(head + 1) * dh];
            let att = &mut self.attn[head * n..(head + 1) * n];
            let mut max = f32::NEG_INFINITY;
            for (t, a) in att.iter_mut().enumerate() {
                *a = dot(qh, &self.k[t * di + head * dh..t * di + (head + 1) * dh]) * scale;
                max = max.max(*a);
            }
            let mut sum = 0.0;
            for a in att.iter_mut() {
                *a = (*a - max).exp();
                sum += *a;
            }
            let inv = 1.0 / sum;
            for a in att.iter_mut() {
                *a *= inv;
            }
            let ctx = &mut self.ctx[head * dh..(head + 1) * dh];
            ctx.fill(0.0);
            for (t, &a) in att.iter().enumerate() {
                for (cv, vv) in ctx.iter_mut().zip(&self.v[t * di + head * dh..t * di + (head + 1) * dh]) {
                    *cv += a * vv;
                }
            }
        }
        linear(&m.attn_out_w, &m.attn_out_b, &self.ctx, &mut self.o);
        // 4. Synapse: LayerNorm(GLU(Linear(cat(o, z^{t-1})))).
        self.syn_in[..di].copy_from_slice(&self.o);
        self.syn_in[di..].copy_from_slice(&self.z);
        linear(&m.syn_w, &m.syn_b, &self.syn_in, &mut self.syn_lin);
        for i in 0..d {
            self.pre[i] = self.syn_lin[i] * sigmoid(self.syn_lin[d + i]);
        }
        layer_norm(&mut self.pre, &m.syn_ln_w, &m.syn_ln_b, c.ln_eps);
        // 5. History FIFO, newest last.
        for i in 0..d {
            let row = &mut self.hist[i * mem..(i + 1) * mem];
            row.copy_within(1.., 0);
            row[mem - 1] = self.pre[i];
        }
        // 6. Per-neuron deep NLM.
        let l1 = &mut self.nlm_l1;
        for i in 0..d {
            let row = &self.hist[i * mem..(i + 1) * mem];
            let w1 = &m.nlm1_w[i * 2 * h * mem..(i + 1) * 2 * h * mem];
            for (o, out) in l1.iter_mut().enumerate() {
                *out = (dot(&w1[o * mem..(o + 1) * mem], row) + m.nlm1_b[i * 2 * h + o]) / m.nlm1_t;
            }
            let hid = &mut self.nlm_hidden[i * h..(i + 1) * h];
            for j in 0..h {
                hid[j] = l1[j] * sigmoid(l1[h + j]);
            }
            let w2 = &m.nlm2_w[i * 2 * h..(i + 1) * 2 * h];
            let a = (dot(&w2[..h], hid) + m.nlm2_b[2 * i]) / m.nlm2_t;
            let g = (dot(&w2[h..], hid) + m.nlm2_b[2 * i + 1]) / m.nlm2_t;
            self.z[i] = a * sigmoid(g);
        }
        // 7. Synchronisation updates with z^t, output.
        for (k, &(i, j)) in m.action_pairs.iter().enumerate() {
            let r = m.action_factor[k];
            self.alpha_a[k] = r * self.alpha_a[k] + self.z[i] * self.z[j];
            self.beta_a[k] = r * self.beta_a[k] + 1.0;
        }
        for (k, &(i, j)) in m.out_pairs.iter().enumerate() {
            let r = m.out_factor[k];
            self.alpha_o[k] = r * self.alpha_o[k] + self.z[i] * self.z[j];
            self.beta_o[k] = r * self.beta_o[k] + 1.0;
            self.s_out[k] = self.alpha_o[k] / self.beta_o[k].sqrt();
        }
        let s_out = normed(&m.sync_out_ln, &self.s_out, &mut self.sync_scratch, c.ln_eps);
        linear(&m.out_w, &m.out_b, s_out, &mut self.logits);
        // 8. Certainty: 1 − mean normalised entropy over the route steps.
        let ln_c = (N_CLASSES as f32).ln();
        let mut total = 0.0;
        for (s, y) in self.logits.chunks_exact(N_CLASSES).enumerate() {
            let max = y.iter().fold(f32::NEG_INFINITY, |a, &b| a.max(b));
            let lse = max + y.iter().map(|&v| (v - max).exp()).sum::<f32>().ln();
            let ent = -y.iter().map(|&v| (v - lse).exp() * (v - lse)).sum::<f32>() / ln_c;
            self.entropy[s] = ent;
            total += ent;
        }
        self.certainty = 1.0 - total / c.route_len as f32;
        self.tick += 1;
        true
    }

    /// Ticks run so far (0 after reset; the readings below belong to tick `tick()`, 1-based).
    pub fn tick(&self) -> usize {
        self.tick
    }

    /// Attention weights of the last tick, `heads × tokens` (tokens row-major over the cells).
    pub fn attention(&self) -> &[f32] {
        &self.attn
    }

    /// One head's attention map of the last tick (`tokens` values over the cell grid).
    pub fn attention_head(&self, head: usize) -> &[f32] {
        let n = self.model.cfg.tokens();
        &self.attn[head * n..(head + 1) * n]
    }

    /// Attention output after the out-projection, o^t (d_input).
    pub fn attention_output(&self) -> &[f32] {
        &self.o
    }

    /// The query of the last tick after the in-projection (d_input).
    pub fn query(&self) -> &[f32] {
        &self.q
    }

    /// Pre-activations a^t of the last tick (the synapse model's output, D).
    pub fn pre_activation(&self) -> &[f32] {
        &self.pre
    }

    /// Post-activations z^t (the NLMs' output, D); before the first tick, the learned z^0.
    pub fn post_activation(&self) -> &[f32] {
        &self.z
    }

    /// The pre-activation history, D × M row-major per neuron, oldest first.
    pub fn history(&self) -> &[f32] {
        &self.hist
    }

    /// The NLMs' hidden layer of the last tick, D × h.
    pub fn nlm_hidden(&self) -> &[f32] {
        &self.nlm_hidden
    }

    /// Action synchronisation used for this tick's query (one value per action pair).
    pub fn sync_action(&self) -> &[f32] {
        &self.s_act
    }

    /// Output synchronisation of the last tick (one value per output pair).
    pub fn sync_out(&self) -> &[f32] {
        &self.s_out
    }

    /// Logits of the last tick, route_len × 5.
    pub fn logits(&self) -> &[f32] {
        &self.logits
    }

    /// Normalised entropy of each route step at the last tick.
    pub fn step_entropy(&self) -> &[f32] {
        &self.entropy
    }

    /// Certainty of the last tick, 1 − mean normalised entropy.
    pub fn certainty(&self) -> f32 {
        self.certainty
    }

    /// The route predicted at the last tick (argmax class per step), written into `out`.
    pub fn route_into(&self, out: &mut [u8]) {
        argmax_route(&self.logits, out);
    }

    /// The tokens fed to attention (featuriser output + positional embedding), tokens × channels.
    pub fn features(&self) -> &[f32] {
        &self.tokens
    }
}

/// `x`, or LayerNorm(x) written into `scratch` when `ln` is set.
fn normed<'a>(ln: &Option<NormAffine>, x: &'a [f32], scratch: &'a mut [f32], eps: f32) -> &'a [f32] {
    match ln {
        None => x,
        Some((w, b)) => {
            let s = &mut scratch[..x.len()];
            s.copy_from_slice(x);
            layer_norm(s, w, b, eps);
            s
        }
    }
}

fn argmax_route(logits: &[f32], out: &mut [u8]) {
    for (o, y) in out.iter_mut().zip(logits.chunks_exact(N_CLASSES)) {
        let mut best = 0;
        for cls in 1..N_CLASSES {
            if y[cls] > y[best] {
                best = cls;
            }
        }
        *o = best as u8;
    }
}

/// Gathers the zero-padded 3×3 neighbourhood of (y, x) over all input channels, `[ci][ky][kx]`.
#[inline]
fn gather_patch(input: &[f32], cin: usize, p: usize, y: usize, x: usize, patch: &mut [f32]) {
    for ci in 0..cin {
        let plane = &input[ci * p * p..(ci + 1) * p * p];
        for ky in 0..3 {
            for kx in 0..3 {
                let (yy, xx) = (y + ky, x + kx); // one more than the source pixel (padding)
                patch[ci * 9 + ky * 3 + kx] =
                    if yy >= 1 && xx >= 1 && yy - 1 < p && xx - 1 < p { plane[(yy - 1) * p + xx - 1] } else { 0.0 };
            }
        }
    }
}

/// ReLU(conv) at one pixel, every output channel: `out[co]`.
#[inline]
fn conv_at(conv: &Conv, patch: &[f32], mut write: impl FnMut(usize, f32)) {
    let n = conv.cin * 9;
    for co in 0..conv.cout {
        write(co, (conv.b[co] + dot(&conv.w[co * n..(co + 1) * n], patch)).max(0.0));
    }
}

fn conv_full(conv: &Conv, p: usize, input: &[f32], out: &mut [f32], patch: &mut [f32]) {
    let plane = p * p;
    let patch = &mut patch[..conv.cin * 9];
    for y in 0..p {
        for x in 0..p {
            gather_patch(input, conv.cin, p, y, x, patch);
            conv_at(conv, patch, |co, v| out[co * plane + y * p + x] = v);
        }
    }
}

/// Every tick of one run, flattened tick-major.
#[derive(Clone, Debug, Default)]
pub struct CtmRun {
    /// Ticks recorded.
    pub ticks: usize,
    /// Logits, ticks × route_len × 5.
    pub logits: Vec<f32>,
    /// Certainty per tick.
    pub certainty: Vec<f32>,
    /// Attention, ticks × heads × tokens.
    pub attention: Vec<f32>,
    /// Pre-activations, ticks × D.
    pub pre: Vec<f32>,
    /// Post-activations, ticks × D.
    pub post: Vec<f32>,
    /// Output synchronisation, ticks × n_sync_out.
    pub sync_out: Vec<f32>,
    /// Action synchronisation, ticks × n_sync_action.
    pub sync_action: Vec<f32>,
    route_len: usize,
    widths: [usize; 4],
}

impl CtmRun {
    fn with_capacity(c: &CtmConfig) -> Self {
        let t = c.ticks;
        Self {
            ticks: 0,
            logits: Vec::with_capacity(t * c.route_len * N_CLASSES),
            certainty: Vec::with_capacity(t),
            attention: Vec::with_capacity(t * c.heads * c.tokens()),
            pre: Vec::with_capacity(t * c.d_model),
            post: Vec::with_capacity(t * c.d_model),
            sync_out: Vec::with_capacity(t * c.n_sync_out),
            sync_action: Vec::with_capacity(t * c.n_sync_action),
            route_len: c.route_len,
            widths: [c.heads * c.tokens(), c.d_model, c.n_sync_out, c.n_sync_action],
        }
    }

    /// Appends the thinker's last tick.
    pub fn push(&mut self, th: &Thinker) {
        self.ticks += 1;
        self.logits.extend_from_slice(th.logits());
        self.certainty.push(th.certainty());
        self.attention.extend_from_slice(th.attention());
        self.pre.extend_from_slice(th.pre_activation());
        self.post.extend_from_slice(th.post_activation());
        self.sync_out.extend_from_slice(th.sync_out());
        self.sync_action.extend_from_slice(th.sync_action());
    }

    /// Logits of tick `t` (0-based), route_len × 5.
    pub fn logits_at(&self, t: usize) -> &[f32] {
        let w = self.route_len * N_CLASSES;
        &self.logits[t * w..(t + 1) * w]
    }

    /// Attention of tick `t`, heads × tokens.
    pub fn attention_at(&self, t: usize) -> &[f32] {
        let w = self.widths[0];
        &self.attention[t * w..(t + 1) * w]
    }

    /// Pre-activations of tick `t` (D).
    pub fn pre_at(&self, t: usize) -> &[f32] {
        let w = self.widths[1];
        &self.pre[t * w..(t + 1) * w]
    }

    /// Post-activations of tick `t` (D).
    pub fn post_at(&self, t: usize) -> &[f32] {
        let w = self.widths[1];
        &self.post[t * w..(t + 1) * w]
    }

    /// Output synchronisation of tick `t`.
    pub fn sync_out_at(&self, t: usize) -> &[f32] {
        let w = self.widths[2];
        &self.sync_out[t * w..(t + 1) * w]
    }

    /// Action synchronisation used at tick `t`.
    pub fn sync_action_at(&self, t: usize) -> &[f32] {
        let w = self.widths[3];
        &self.sync_action[t * w..(t + 1) * w]
    }

    /// The most certain tick (0-based; the first on ties, like argmax).
    pub fn most_certain_tick(&self) -> usize {
        let mut best = 0;
        for (t, &c) in self.certainty.iter().enumerate() {
            if c > self.certainty[best] {
                best = t;
            }
        }
        best
    }

    /// The route predicted at tick `t` (0-based).
    pub fn route_at(&self, t: usize) -> Vec<u8> {
        let k = self.route_len;
        let mut out = vec![0; k];
        argmax_route(self.logits_at(t), &mut out);
        out
    }

    /// The answer: the route at the most certain tick.
    pub fn answer(&self) -> Vec<u8> {
        self.route_at(self.most_certain_tick())
    }
}
