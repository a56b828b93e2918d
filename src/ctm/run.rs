//! [`CtmRun`]: every tick of one run, recorded.

use std::sync::Arc;

use super::maze::{Maze, N_CLASSES};
use super::model::CtmModel;
use super::ops::argmax_route;
use super::thinker::Thinker;
use super::weights::CtmConfig;

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
    pub(super) fn with_capacity(c: &CtmConfig) -> Self {
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

impl CtmModel {
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
