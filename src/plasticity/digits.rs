//! The split-digits continual-learning task: the 8×8 handwritten digits (assets/digits.csv.gz)
//! split into five two-class tasks (0/1, 2/3, 4/5, 6/7, 8/9) learnt one after another by a small
//! multi-head MLP with Adam, with or without Synaptic Intelligence. It measures what a network
//! forgets and how much consolidation keeps.

use std::io::Read;
use std::path::Path;

use super::continual::{SynapticIntelligence, orthonormal_rows};
use crate::sim::rng::{CounterRng, shuffle, stream};

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
        let io = |e: std::io::Error| format!("{}: cannot read: {e}", path.display());
        let file = std::fs::File::open(path).map_err(io)?;
        let mut text = String::new();
        flate2::read::GzDecoder::new(file).read_to_string(&mut text).map_err(io)?;
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
            if let Some(k) = values[..PIXELS].iter().position(|v| !(0.0..=16.0).contains(v)) {
                return Err(bad(&format!("pixel {k} is {}, not an intensity 0 to 16", values[k])));
            }
            let mut img = [0.0; PIXELS];
            for (p, v) in img.iter_mut().zip(&values[..PIXELS]) {
                *p = v / 16.0;
            }
            images.push(img);
            labels.push(label as u8);
        }
        // Every task needs both its digits, with a sample to train on and one to test on.
        let mut per_digit = [0usize; 10];
        labels.iter().for_each(|&l| per_digit[l as usize] += 1);
        if let Some(d) = (0..10).find(|&d| per_digit[d] < 2) {
            return Err(format!(
                "{}: {} samples of digit {d}; the split-digits tasks need at least 2 of every digit 0-9",
                path.display(),
                per_digit[d]
            ));
        }
        Ok(Self { images, labels })
    }

    /// The five two-class tasks (0/1, 2/3, ...), each as (train, test) sample indices.
    pub fn tasks(&self) -> Vec<(Vec<usize>, Vec<usize>)> {
        (0..5u8)
            .map(|t| {
                let (mut train, test0) = self.split(2 * t);
                let (train1, test1) = self.split(2 * t + 1);
                train.extend(train1);
                (train, test0.into_iter().chain(test1).collect())
            })
            .collect()
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
        let mut rng = CounterRng::new(seed, 0, 0, stream::DIGITS_INIT);
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
    let tasks = data.tasks();
    let n = theta.len();
    let mut just_learned = Vec::new();
    let mut h = vec![0.0; cfg.hidden];
    for (t, (train, test)) in tasks.iter().enumerate() {
        // Adam, reset at each task.
        let (mut m, mut v, mut step) = (vec![0.0; n], vec![0.0; n], 0i32);
        let mut order = train.clone();
        for epoch in 0..cfg.epochs {
            shuffle(&mut order, cfg.seed, (t * 1000 + epoch) as u64, stream::DIGITS_ORDER);
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

/// Settings of the HLOP variant: lateral subspace neurons added per task for each layer's input.
#[derive(Clone, Debug, PartialEq)]
pub struct HlopConfig {
    /// Subspace rows added per task for the pixel layer (65-d with the bias input).
    pub rows_input: usize,
    /// Subspace rows added per task for the hidden layer.
    pub rows_hidden: usize,
    /// Hebbian learning rate of the subspace neurons.
    pub lr: f64,
    /// Hebbian batches per task.
    pub iterations: usize,
    /// Whether weight updates are projected (false: the same SGD without HLOP, the baseline).
    pub project: bool,
}

impl Default for HlopConfig {
    fn default() -> Self {
        Self { rows_input: 8, rows_hidden: 3, lr: 0.01, iterations: 400, project: true }
    }
}

/// Projects each column-gradient `g` (one per output unit, over an input dimension of `n`)
/// onto the orthogonal complement of `hlop`'s subspace.
fn project_columns(hlop: &super::continual::Hlop, g: &mut [Vec<f64>]) {
    if hlop.h.is_empty() {
        return;
    }
    for col in g.iter_mut() {
        *col = hlop.project_out(col);
    }
}

/// Split digits learnt with plain SGD, the updates of both layers projected out of the subspaces
/// that HLOP's lateral neurons learnt from earlier tasks' activity (or not, for the baseline).
pub fn run_split_digits_hlop(data: &Digits, cfg: &SplitDigitsConfig, hcfg: &HlopConfig) -> SplitDigitsResult {
    use super::continual::Hlop;
    let hdn = cfg.hidden;
    let mlp = Mlp { hidden: hdn, shared_head: cfg.shared_head };
    let mut theta = mlp.init(cfg.seed);
    let tasks = data.tasks();
    let (n1, n2) = (PIXELS + 1, hdn + 1);
    let mut sub1 = Hlop::new(Vec::new(), hcfg.lr, 0.0);
    let mut sub2 = Hlop::new(Vec::new(), hcfg.lr, 0.0);
    let (o_b1, o_w2) = (PIXELS * hdn, PIXELS * hdn + hdn);
    let o_b2 = o_w2 + hdn * 10;
    let mut h = vec![0.0; hdn];
    let mut just_learned = Vec::new();
    for (t, (train, test)) in tasks.iter().enumerate() {
        let mut order = train.clone();
        for epoch in 0..cfg.epochs {
            shuffle(&mut order, cfg.seed, (t * 1000 + epoch) as u64, stream::DIGITS_ORDER);
            for batch in order.chunks(cfg.batch) {
                let mut grad = vec![0.0; theta.len()];
                for &i in batch {
                    let k = (data.labels[i] as usize) - 2 * t;
                    mlp.backward(&theta, &data.images[i], t, k, &mut grad, &mut h);
                }
                if hcfg.project {
                    // Layer 1: one column per hidden unit over (pixels, bias).
                    let mut cols: Vec<Vec<f64>> = (0..hdn)
                        .map(|j| (0..PIXELS).map(|i| grad[i * hdn + j]).chain([grad[o_b1 + j]]).collect())
                        .collect();
                    project_columns(&sub1, &mut cols);
                    for (j, col) in cols.iter().enumerate() {
                        for i in 0..PIXELS {
                            grad[i * hdn + j] = col[i];
                        }
                        grad[o_b1 + j] = col[PIXELS];
                    }
                    // Layer 2: one column per output over (hidden units, bias).
                    let mut cols: Vec<Vec<f64>> = (0..10)
                        .map(|c| (0..hdn).map(|j| grad[o_w2 + j * 10 + c]).chain([grad[o_b2 + c]]).collect())
                        .collect();
                    project_columns(&sub2, &mut cols);
                    for (c, col) in cols.iter().enumerate() {
                        for j in 0..hdn {
                            grad[o_w2 + j * 10 + c] = col[j];
                        }
                        grad[o_b2 + c] = col[hdn];
                    }
                }
                let scale = cfg.lr / batch.len() as f64;
                theta.iter_mut().zip(&grad).for_each(|(w, g)| *w -= scale * g);
            }
        }
        just_learned.push(mlp.accuracy(&theta, data, t, test));
        // The lateral neurons learn this task's input and hidden activity (old rows frozen).
        sub1.consolidate(orthonormal_rows(&sub1.h, hcfg.rows_input, n1, cfg.seed * 100 + t as u64, stream::HLOP_ROWS));
        sub2.consolidate(orthonormal_rows(
            &sub2.h,
            hcfg.rows_hidden,
            n2,
            cfg.seed * 100 + 50 + t as u64,
            stream::HLOP_ROWS,
        ));
        let inputs: Vec<Vec<f64>> =
            train.iter().map(|&i| data.images[i].iter().copied().chain([1.0]).collect()).collect();
        let hidden: Vec<Vec<f64>> = train
            .iter()
            .map(|&i| {
                mlp.forward(&theta, &data.images[i], t, &mut h);
                h.iter().copied().chain([1.0]).collect()
            })
            .collect();
        for it in 0..hcfg.iterations {
            let a = (it * cfg.batch) % inputs.len();
            let b = (a + cfg.batch).min(inputs.len());
            sub1.update(&inputs[a..b]);
            sub2.update(&hidden[a..b]);
        }
    }
    let final_accuracy = tasks.iter().enumerate().map(|(t, (_, test))| mlp.accuracy(&theta, data, t, test)).collect();
    SplitDigitsResult { just_learned, final_accuracy }
}
