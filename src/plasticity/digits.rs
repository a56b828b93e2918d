//! The split-digits continual-learning task: the 8×8 handwritten digits (assets/digits.csv.gz)
//! split into five two-class tasks (0/1, 2/3, 4/5, 6/7, 8/9) learnt one after another by a small
//! multi-head MLP with Adam, with or without Synaptic Intelligence. It measures what a network
//! forgets and how much consolidation keeps.

use std::io::Read;
use std::path::Path;

use super::continual::SynapticIntelligence;
use crate::sim::rng::CounterRng;

/// Pixels per digit.
pub const PIXELS: usize = 64;

/// The digits data set: pixel rows scaled to [0, 1] and labels.
#[derive(Clone, Debug, PartialEq)]
pub struct Digits {
    /// One row of 64 pixels per sample.
    pub images: Vec<[f64; PIXELS]>,
    /// Class 0..9 per sample.
    pub labels: Vec<u8>,
}

impl Digits {
    /// Reads the gzip-compressed CSV (64 pixel values 0..16, then the label, per line).
    pub fn load(path: &Path) -> Result<Self, String> {
        let file = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let mut text = String::new();
        flate2::read::GzDecoder::new(file).read_to_string(&mut text).map_err(|e| format!("{}: {e}", path.display()))?;
        let (mut images, mut labels) = (Vec::new(), Vec::new());
        for (n, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
            let bad = |what: &str| format!("{}:{}: {what}", path.display(), n + 1);
            let values: Vec<f64> = line
                .split(',')
                .map(|v| v.trim().parse::<f64>())
                .collect::<Result<_, _>>()
                .map_err(|_| bad("not a number"))?;
            if values.len() != PIXELS + 1 {
                return Err(bad(&format!("{} values, expected {}", values.len(), PIXELS + 1)));
            }
            let label = values[PIXELS];
            if !(0.0..=9.0).contains(&label) || label.fract() != 0.0 {
                return Err(bad(&format!("label {label} is not a digit")));
            }
            let mut img = [0.0; PIXELS];
            for (p, v) in img.iter_mut().zip(&values[..PIXELS]) {
                *p = v / 16.0;
            }
            images.push(img);
            labels.push(label as u8);
        }
        Ok(Self { images, labels })
    }

    /// Indices of a class's samples, split into (train, test): every fifth sample is held out.
    pub fn split(&self, class: u8) -> (Vec<usize>, Vec<usize>) {
        let idx: Vec<usize> = (0..self.labels.len()).filter(|&i| self.labels[i] == class).collect();
        let (mut train, mut test) = (Vec::new(), Vec::new());
        for (k, i) in idx.into_iter().enumerate() {
            if k % 5 == 4 { test.push(i) } else { train.push(i) }
        }
        (train, test)
    }
}

/// Settings of one continual-learning run.
#[derive(Clone, Debug, PartialEq)]
pub struct SplitDigitsConfig {
    /// Hidden units.
    pub hidden: usize,
    /// Passes over each task's training set.
    pub epochs: usize,
    /// Mini-batch size.
    pub batch: usize,
    /// Adam learning rate.
    pub lr: f64,
    /// SI strength (0: no consolidation).
    pub c: f64,
    /// SI damping.
    pub xi: f64,
    /// Seed of the initial weights and the shuffles.
    pub seed: u64,
    /// One two-way output shared by all tasks ("first or second digit of the pair",
    /// domain-incremental) instead of a head per task.
    pub shared_head: bool,
}

impl Default for SplitDigitsConfig {
    fn default() -> Self {
        // A small network learning fast forgets measurably on these easy two-way tasks
        // (64 hidden units at lr 1e-3 forget under 1 %).
        Self { hidden: 16, epochs: 20, batch: 32, lr: 1e-2, c: 0.0, xi: 1e-3, seed: 1, shared_head: false }
    }
}

/// Accuracies of a run: on each task right after learning it, and at the end.
#[derive(Clone, Debug, PartialEq)]
pub struct SplitDigitsResult {
    /// Test accuracy on task t just after training on it.
    pub just_learned: Vec<f64>,
    /// Test accuracy on every task after the last one.
    pub final_accuracy: Vec<f64>,
}

impl SplitDigitsResult {
    /// Mean of `just_learned`.
    pub fn mean_just_learned(&self) -> f64 {
        self.just_learned.iter().sum::<f64>() / self.just_learned.len() as f64
    }

    /// Mean of `final_accuracy`.
    pub fn mean_final(&self) -> f64 {
        self.final_accuracy.iter().sum::<f64>() / self.final_accuracy.len() as f64
    }
}

/// A 64-`hidden`-10 ReLU MLP with all parameters in one flat vector (W1, b1, W2, b2).
struct Mlp {
    hidden: usize,
    shared_head: bool,
}

impl Mlp {
    fn len(&self) -> usize {
        PIXELS * self.hidden + self.hidden + self.hidden * 10 + 10
    }

    /// He-initialised parameters.
    fn init(&self, seed: u64) -> Vec<f64> {
        let mut theta = vec![0.0; self.len()];
        let mut rng = CounterRng::new(seed, 0, 0, 31);
        let (s1, s2) = ((2.0 / PIXELS as f64).sqrt(), (2.0 / self.hidden as f64).sqrt());
        for w in &mut theta[..PIXELS * self.hidden] {
            *w = s1 * rng.normal();
        }
        let o = PIXELS * self.hidden + self.hidden;
        for w in &mut theta[o..o + self.hidden * 10] {
            *w = s2 * rng.normal();
        }
        theta
    }

    /// Hidden activations and the two logits of task `task`'s head.
    fn forward(&self, theta: &[f64], x: &[f64; PIXELS], task: usize, h: &mut [f64]) -> [f64; 2] {
        let hdn = self.hidden;
        let (w1, rest) = theta.split_at(PIXELS * hdn);
        let (b1, rest) = rest.split_at(hdn);
        let (w2, b2) = rest.split_at(hdn * 10);
        for j in 0..hdn {
            let mut a = b1[j];
            for (i, xi) in x.iter().enumerate() {
                a += w1[i * hdn + j] * xi;
            }
            h[j] = a.max(0.0);
        }
        let mut out = [0.0; 2];
        for (k, o) in out.iter_mut().enumerate() {
            let c = self.head(task) + k;
            *o = b2[c] + (0..hdn).map(|j| h[j] * w2[j * 10 + c]).sum::<f64>();
        }
        out
    }

    /// Adds the gradient of the cross-entropy of one sample (class `k` of the head) to `grad`.
    fn backward(&self, theta: &[f64], x: &[f64; PIXELS], task: usize, k: usize, grad: &mut [f64], h: &mut [f64]) {
        let hdn = self.hidden;
        let logits = self.forward(theta, x, task, h);
        let m = logits[0].max(logits[1]);
        let e = [(logits[0] - m).exp(), (logits[1] - m).exp()];
        let p = [e[0] / (e[0] + e[1]), e[1] / (e[0] + e[1])];
        let dz = [p[0] - f64::from(k == 0), p[1] - f64::from(k == 1)];
        let o2 = PIXELS * hdn + hdn;
        let ob2 = o2 + hdn * 10;
        let mut dh = vec![0.0; hdn];
        for (kk, d) in dz.iter().enumerate() {
            let c = self.head(task) + kk;
            grad[ob2 + c] += d;
            for j in 0..hdn {
                grad[o2 + j * 10 + c] += d * h[j];
                dh[j] += d * theta[o2 + j * 10 + c];
            }
        }
        for j in 0..hdn {
            if h[j] <= 0.0 {
                continue;
            }
            grad[PIXELS * hdn + j] += dh[j];
            for (i, xi) in x.iter().enumerate() {
                grad[i * hdn + j] += dh[j] * xi;
            }
        }
    }

    /// The first output unit of task `task`'s head.
    fn head(&self, task: usize) -> usize {
        if self.shared_head { 0 } else { 2 * task }
    }

    fn accuracy(&self, theta: &[f64], data: &Digits, task: usize, samples: &[usize]) -> f64 {
        let mut h = vec![0.0; self.hidden];
        let correct = samples
            .iter()
            .filter(|&&i| {
                let o = self.forward(theta, &data.images[i], task, &mut h);
                let guess = if o[1] > o[0] { 1 } else { 0 };
                data.labels[i] as usize == 2 * task + guess
            })
            .count();
        correct as f64 / samples.len().max(1) as f64
    }
}

/// Learns the five tasks in order and reports the accuracies.
pub fn run_split_digits(data: &Digits, cfg: &SplitDigitsConfig) -> SplitDigitsResult {
    let mlp = Mlp { hidden: cfg.hidden, shared_head: cfg.shared_head };
    let mut theta = mlp.init(cfg.seed);
    let mut si = SynapticIntelligence::new(&theta, cfg.c, cfg.xi);
    let tasks: Vec<(Vec<usize>, Vec<usize>)> = (0..5)
        .map(|t| {
            let (mut tr0, te0) = data.split(2 * t as u8);
            let (tr1, te1) = data.split(2 * t as u8 + 1);
            tr0.extend(tr1);
            (tr0, te0.into_iter().chain(te1).collect())
        })
        .collect();
    let n = theta.len();
    let mut just_learned = Vec::new();
    let mut h = vec![0.0; cfg.hidden];
    for (t, (train, test)) in tasks.iter().enumerate() {
        // Adam, reset at each task.
        let (mut m, mut v, mut step) = (vec![0.0; n], vec![0.0; n], 0i32);
        let mut order = train.clone();
        for epoch in 0..cfg.epochs {
            // Fisher–Yates with counter-based draws.
            for i in (1..order.len()).rev() {
                let j = CounterRng::new(cfg.seed, (t * 1000 + epoch) as u64, i as u64, 32).below(i as u64 + 1) as usize;
                order.swap(i, j);
            }
            for batch in order.chunks(cfg.batch) {
                let mut grad = vec![0.0; n];
                for &i in batch {
                    let k = (data.labels[i] as usize) - 2 * t;
                    mlp.backward(&theta, &data.images[i], t, k, &mut grad, &mut h);
                }
                grad.iter_mut().for_each(|g| *g /= batch.len() as f64);
                let mut total = grad.clone();
                si.add_penalty_gradient(&theta, &mut total);
                step += 1;
                let (b1, b2) = (0.9f64, 0.999f64);
                let mut delta = vec![0.0; n];
                for k in 0..n {
                    m[k] = b1 * m[k] + (1.0 - b1) * total[k];
                    v[k] = b2 * v[k] + (1.0 - b2) * total[k] * total[k];
                    let mh = m[k] / (1.0 - b1.powi(step));
                    let vh = v[k] / (1.0 - b2.powi(step));
                    delta[k] = -cfg.lr * mh / (vh.sqrt() + 1e-8);
                    theta[k] += delta[k];
                }
                si.accumulate(&grad, &delta);
            }
        }
        si.consolidate(&theta);
        just_learned.push(mlp.accuracy(&theta, data, t, test));
    }
    let final_accuracy = tasks.iter().enumerate().map(|(t, (_, test))| mlp.accuracy(&theta, data, t, test)).collect();
    SplitDigitsResult { just_learned, final_accuracy }
}
