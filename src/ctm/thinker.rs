//! [`Thinker`]: one maze's run of the CTM, stepped one tick at a time.

use std::sync::Arc;

use super::maze::{Maze, N_CLASSES};
use super::model::CtmModel;
use super::ops::{argmax_route, conv_at, conv_full, dot, gather_patch, layer_norm, linear, normed, sigmoid};

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
