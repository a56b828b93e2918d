//! Synaptic learning rules, attached per projection, applied inside the network step.
//!
//! A [`Binding`] ties a rule to one projection: it holds the rule's parameters, its per-neuron
//! traces (event-driven, see [`trace`]) and an index of the projection's synapses by postsynaptic
//! neuron. After each step's propagation the network calls [`apply`]: presynaptic updates for all
//! spikes first, then postsynaptic ones, so a pre and a post spike on the same step count as a
//! causal pair (ALGORITHMS.md conventions). Parameter edits go through [`Binding::set_param`] and
//! are validated against the rule's schema first.

pub mod astro;
pub mod continual;
pub mod digits;
pub mod homeostasis;
pub mod params;
pub mod rate;
pub mod stdp;
pub mod trace;

use serde::{Deserialize, Serialize};

use astro::Astrocyte as AstroState;
pub use astro::{AstroStdp, Astrocyte};
pub use continual::{Hlop, SynapticIntelligence};
pub use homeostasis::{IntrinsicBinding, IntrinsicRule, SynapticScaling, ThresholdAdaptation};
pub use params::{ParamSpec, Tunable};
pub use rate::{BcmRule, OjaRule};
pub use stdp::{PairStdp, Pairing, RewardStdp, TripletStdp};
use trace::{Decay, Trace};

use crate::sim::{NeuronId, ParamError, PopulationId, Synapses};

/// A learning rule with its parameters.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum PlasticityRule {
    /// Pair-based STDP.
    PairStdp(PairStdp),
    /// Triplet STDP.
    TripletStdp(TripletStdp),
    /// Multiplicative synaptic scaling toward a target rate.
    SynapticScaling(SynapticScaling),
    /// Reward-modulated STDP with an eligibility trace.
    RewardStdp(RewardStdp),
    /// Astrocyte-modulated STDP (NALSM).
    AstroStdp(AstroStdp),
    /// Oja's rule on rate estimates.
    Oja(OjaRule),
    /// BCM on rate estimates.
    Bcm(BcmRule),
}

/// Applies `$body` to the rule inside any [`PlasticityRule`], bound as `$r`.
macro_rules! each_rule {
    ($value:expr, $r:ident => $body:expr) => {
        match $value {
            PlasticityRule::PairStdp($r) => $body,
            PlasticityRule::TripletStdp($r) => $body,
            PlasticityRule::SynapticScaling($r) => $body,
            PlasticityRule::RewardStdp($r) => $body,
            PlasticityRule::AstroStdp($r) => $body,
            PlasticityRule::Oja($r) => $body,
            PlasticityRule::Bcm($r) => $body,
        }
    };
}

impl PlasticityRule {
    /// The rule's name as written in scene files.
    pub fn name(&self) -> &'static str {
        each_rule!(self, r => r.rule_name())
    }

    /// Its tunable parameters.
    pub fn schema(&self) -> &'static [ParamSpec] {
        each_rule!(self, r => r.params())
    }

    /// A parameter's value.
    pub fn get(&self, name: &str) -> Option<f64> {
        each_rule!(self, r => r.get(name))
    }

    /// Sets a parameter after validating it.
    pub fn set(&mut self, name: &str, value: f64) -> Result<(), ParamError> {
        each_rule!(self, r => r.set(name, value))
    }

    /// Checks every parameter.
    pub fn validate(&self) -> Result<(), ParamError> {
        each_rule!(self, r => r.validate())
    }

    /// The weight bound as written (value and unit), for rules that have one.
    pub fn w_max(&self) -> Option<crate::sim::Quantity> {
        match self {
            PlasticityRule::PairStdp(r) => Some(r.w_max),
            PlasticityRule::TripletStdp(r) => Some(r.w_max),
            PlasticityRule::SynapticScaling(_) => None,
            PlasticityRule::RewardStdp(r) => Some(r.w_max),
            PlasticityRule::AstroStdp(r) => Some(r.w_max),
            PlasticityRule::Oja(r) => Some(r.w_ref),
            PlasticityRule::Bcm(r) => Some(r.w_ref),
        }
    }

    /// Number of (presynaptic, postsynaptic) traces per neuron.
    fn trace_counts(&self) -> (usize, usize) {
        match self {
            PlasticityRule::PairStdp(_) => (1, 1),
            PlasticityRule::TripletStdp(_) => (2, 2),
            PlasticityRule::SynapticScaling(_) => (0, 1),
            PlasticityRule::RewardStdp(_) => (1, 1),
            PlasticityRule::AstroStdp(_) => (1, 1),
            PlasticityRule::Oja(_) | PlasticityRule::Bcm(_) => (1, 1),
        }
    }
}

/// A rule's characteristic curve, for the UI to draw beside its sliders.
#[derive(Clone, Debug, PartialEq)]
pub struct Curve {
    /// What the x axis shows.
    pub x_label: &'static str,
    /// What the y axis shows.
    pub y_label: &'static str,
    /// Points in x order.
    pub points: Vec<[f64; 2]>,
}

impl PlasticityRule {
    /// The rule's curve with its current parameters, sampled at `n` points (at least 2): the
    /// STDP windows Δw(Δt) at w = w_max/2, the BCM φ(ŷ) at θ = 1, the Oja update against x̂ at
    /// ŷ = ŵ = 1, the scaling factor against the postsynaptic rate.
    pub fn curve(&self, n: usize) -> Curve {
        let n = n.max(2);
        let span = |a: f64, b: f64| (0..n).map(move |k| a + (b - a) * k as f64 / (n - 1) as f64);
        let window = |f: &dyn Fn(f64) -> f64| span(-100.0, 100.0).map(|t| [t, f(t)]).collect();
        let (x_label, y_label, points) = match self {
            PlasticityRule::PairStdp(r) => {
                let w = 0.5 * r.w_max.value;
                ("Δt = t_post − t_pre (ms)", "Δw", window(&|t| r.window(t, w)))
            }
            PlasticityRule::TripletStdp(r) => {
                let (plus, minus) = (r.w_max.value * r.a2_plus, r.w_max.value * r.a2_minus);
                let f = |t: f64| stdp::exponential_window(t, plus, minus, r.tau_plus, r.tau_minus);
                ("Δt = t_post − t_pre (ms), isolated pair", "Δw", window(&f))
            }
            PlasticityRule::RewardStdp(r) => {
                let (plus, minus) = (r.w_max.value * r.a_plus, r.w_max.value * r.a_minus);
                let f = |t: f64| stdp::exponential_window(t, plus, minus, r.tau_plus, r.tau_minus);
                ("Δt = t_post − t_pre (ms)", "Δ eligibility", window(&f))
            }
            PlasticityRule::AstroStdp(r) => {
                let f = |t: f64| {
                    let x = r.trace_step * (-t.abs() / r.tau_trace).exp();
                    if t > 0.0 {
                        r.on_post(false, x, r.b_a)
                    } else if t < 0.0 {
                        r.on_pre(false, x, r.b_a)
                    } else {
                        0.0
                    }
                };
                ("Δt = t_post − t_pre (ms), excitatory, A = b_A", "Δw", window(&f))
            }
            PlasticityRule::Bcm(_) => (
                "ŷ (post rate / rate_ref), θ = 1",
                "φ(ŷ) = ŷ (ŷ − θ)",
                span(0.0, 2.0).map(|y| [y, y * (y - 1.0)]).collect(),
            ),
            PlasticityRule::Oja(r) => (
                "x̂ (pre rate / rate_ref), ŷ = ŵ = 1",
                "dŵ/dt (1/s)",
                span(0.0, 3.0).map(|x| [x, r.eta * (x - 1.0)]).collect(),
            ),
            PlasticityRule::SynapticScaling(r) => {
                let rates = span(0.0, 4.0 * r.target_rate);
                ("postsynaptic rate (Hz)", "weight factor per interval", rates.map(|q| [q, r.factor(q)]).collect())
            }
        };
        Curve { x_label, y_label, points }
    }
}

/// A parameter edit, recorded with the time it took effect.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ParamChange {
    /// The first step that used the new value.
    pub step: u64,
    /// Biological time of that step's start (ms).
    pub time_ms: f64,
    /// What was edited: `projection NAME` or `population NAME`.
    pub target: String,
    /// Parameter name.
    pub param: String,
    /// Value before.
    pub old: f64,
    /// Value after.
    pub new: f64,
}

/// A rule attached to one projection, with its state.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Binding {
    /// The projection's index in the scene (the value in `Synapses::projection`).
    pub projection: u16,
    /// The projection's label.
    pub label: String,
    /// Presynaptic population.
    pub source: PopulationId,
    /// Postsynaptic population.
    pub target: PopulationId,
    /// Engine weight units per unit of the rule's `w_max` (e.g. 12.5 pA per mV).
    pub weight_factor: f64,
    /// The rule and its parameters.
    pub rule: PlasticityRule,
    pre: Vec<Trace>,
    post: Vec<Trace>,
    /// Synaptic scaling: each postsynaptic neuron's cumulative gain, and the weights it scales (in
    /// `incoming` order), so a weight is always base × gain with one rounding and ratios onto a
    /// neuron stay exact however many times it is rescaled.
    #[serde(default)]
    gain: Vec<f64>,
    #[serde(default)]
    base: Vec<f32>,
    /// Reward-modulated STDP: eligibility per synapse slot, and the dopamine level.
    #[serde(default)]
    eligibility: Vec<f32>,
    #[serde(default)]
    dopamine: f64,
    /// BCM: each postsynaptic neuron's sliding threshold θ.
    #[serde(default)]
    theta: Vec<f64>,
    /// Astrocyte-modulated STDP: the astrocyte signal A.
    #[serde(default)]
    astro: f64,
    /// Slots of this projection's synapses grouped by postsynaptic neuron (rebuilt on load).
    #[serde(skip)]
    incoming_start: Vec<u64>,
    #[serde(skip)]
    incoming: Vec<(u32, u32)>,
    /// Decay tables for each trace time constant, rebuilt when a time constant changes.
    #[serde(skip)]
    decay: Vec<Decay>,
}

impl Binding {
    /// A binding for `neurons` neurons with fresh traces.
    pub fn new(
        projection: u16,
        label: String,
        source: PopulationId,
        target: PopulationId,
        weight_factor: f64,
        rule: PlasticityRule,
        neurons: usize,
    ) -> Self {
        let (np, nq) = rule.trace_counts();
        let astro = match &rule {
            PlasticityRule::AstroStdp(r) => r.b_a,
            _ => 0.0,
        };
        Self {
            projection,
            label,
            source,
            target,
            weight_factor,
            rule,
            pre: (0..np).map(|_| Trace::new(neurons)).collect(),
            post: (0..nq).map(|_| Trace::new(neurons)).collect(),
            gain: Vec::new(),
            base: Vec::new(),
            eligibility: Vec::new(),
            theta: Vec::new(),
            dopamine: 0.0,
            astro,
            incoming_start: Vec::new(),
            incoming: Vec::new(),
            decay: Vec::new(),
        }
    }

    /// Sets a rule parameter (validated; on error nothing changes).
    pub fn set_param(&mut self, name: &str, value: f64) -> Result<f64, ParamError> {
        let old = self.rule.get(name).unwrap_or(f64::NAN);
        self.rule.set(name, value)?;
        Ok(old)
    }

    /// Rebuilds the by-postsynaptic-neuron index of this projection's synapses.
    pub fn prepare(&mut self, syn: &Synapses) {
        let n = syn.row_start.len() - 1;
        let mut start = vec![0u64; n + 1];
        for (s, &p) in syn.projection.iter().enumerate() {
            if p == self.projection {
                start[(syn.target[s] >> 1) as usize + 1] += 1;
            }
        }
        for i in 1..=n {
            start[i] += start[i - 1];
        }
        let mut fill = start.clone();
        let mut incoming = vec![(0u32, 0u32); start[n] as usize];
        for pre in 0..n {
            for s in syn.row(NeuronId(pre as u32)) {
                if syn.projection[s] == self.projection {
                    let post = (syn.target[s] >> 1) as usize;
                    incoming[fill[post] as usize] = (s as u32, pre as u32);
                    fill[post] += 1;
                }
            }
        }
        self.incoming_start = start;
        self.incoming = incoming;
        if matches!(self.rule, PlasticityRule::SynapticScaling(_)) && self.base.len() != self.incoming.len() {
            self.base = self.incoming.iter().map(|&(s, _)| syn.weight[s as usize]).collect();
            if self.gain.len() != n {
                self.gain = vec![1.0; n];
            }
        }
        if matches!(self.rule, PlasticityRule::Bcm(_)) && self.theta.len() != n {
            self.theta = vec![0.0; n];
        }
        if matches!(self.rule, PlasticityRule::RewardStdp(_)) && self.eligibility.len() != syn.len() {
            self.eligibility = vec![0.0; syn.len()];
        }
    }

    /// Covers `n` neurons after neurons were added (new ones start with empty traces).
    pub fn resize_neurons(&mut self, n: usize) {
        for t in self.pre.iter_mut().chain(self.post.iter_mut()) {
            t.resize(n);
        }
        if !self.gain.is_empty() {
            self.gain.resize(n, 1.0);
        }
        if !self.theta.is_empty() {
            self.theta.resize(n, 0.0);
        }
    }

    /// Carries per-synapse state across a structural edit: `old_to_new` maps each old slot to its
    /// new one (`u32::MAX` when removed); `syn` is the new CSR. New synapses start with no
    /// eligibility, and synaptic scaling takes their current weight as already scaled.
    pub fn remap_slots(&mut self, old_to_new: &[u32], syn: &Synapses) {
        if !self.eligibility.is_empty() {
            let mut e = vec![0.0; syn.len()];
            for (old, &new) in old_to_new.iter().enumerate() {
                if new != u32::MAX {
                    e[new as usize] = self.eligibility[old];
                }
            }
            self.eligibility = e;
        }
        let base_by_slot = (!self.base.is_empty()).then(|| {
            let mut b = vec![f32::NAN; syn.len()];
            for (k, &(s, _)) in self.incoming.iter().enumerate() {
                let new = old_to_new[s as usize];
                if new != u32::MAX {
                    b[new as usize] = self.base[k];
                }
            }
            b
        });
        self.base.clear();
        self.prepare(syn);
        if let Some(b) = base_by_slot {
            self.base = self
                .incoming
                .iter()
                .map(|&(s, _)| {
                    let gain = self.gain.get((syn.target[s as usize] >> 1) as usize).copied().unwrap_or(1.0);
                    let w = b[s as usize];
                    if w.is_nan() { (syn.weight[s as usize] as f64 / gain) as f32 } else { w }
                })
                .collect();
        }
    }

    /// The current weights of the rule's synapses (engine units), grouped by postsynaptic neuron.
    pub fn weights(&self, syn: &Synapses) -> Vec<f64> {
        self.incoming.iter().map(|&(s, _)| syn.weight[s as usize] as f64).collect()
    }

    /// The weight bound in engine units, for rules that have one.
    pub fn w_max_engine(&self) -> Option<f64> {
        self.rule.w_max().map(|q| q.value * self.weight_factor)
    }

    /// Adds a reward (dopamine) pulse; rules without a third factor ignore it.
    pub fn reward(&mut self, amount: f64) {
        if matches!(self.rule, PlasticityRule::RewardStdp(_)) {
            self.dopamine += amount;
        }
    }

    /// The BCM sliding threshold θ of postsynaptic neuron `j` (0 for other rules).
    pub fn bcm_threshold(&self, j: usize) -> f64 {
        self.theta.get(j).copied().unwrap_or(0.0)
    }

    /// The astrocyte signal A of an astrocyte-modulated rule.
    pub fn astrocyte(&self) -> f64 {
        self.astro
    }

    /// The current dopamine level of a reward-modulated rule.
    pub fn dopamine(&self) -> f64 {
        self.dopamine
    }

    /// The eligibility of synapse slot `s` (0 where the rule keeps none).
    pub fn eligibility(&self, s: usize) -> f64 {
        self.eligibility.get(s).map_or(0.0, |&c| c as f64)
    }

    /// Number of synapses the rule acts on.
    pub fn num_synapses(&self) -> usize {
        self.incoming.len()
    }
}

/// Refreshes the decay tables of a binding for time constants `taus` (ms) at step `dt`.
fn decay_tables<'a>(decay: &'a mut Vec<Decay>, taus: &[f64], dt: f64) -> &'a [Decay] {
    if decay.len() != taus.len() || decay.iter().zip(taus).any(|(d, t)| d.tau_steps() != t / dt) {
        *decay = taus.iter().map(|t| Decay::new(t / dt)).collect();
    }
    decay
}

/// Applies every binding to the spikes of one step. `grid` is the spikes' time in steps; `dt` the
/// step in ms; `population` the neurons' populations.
pub fn apply(
    bindings: &mut [Binding],
    syn: &mut Synapses,
    population: &[PopulationId],
    spikes: &[NeuronId],
    grid: u64,
    dt: f64,
) {
    // Astrocyte-modulated rules share one view of the liquid (their targets) and of its input
    // (their sources that are not also targets).
    let astro = || bindings.iter().filter(|b| matches!(b.rule, PlasticityRule::AstroStdp(_)));
    let astro_counts = if astro().next().is_some() {
        let liquid = |p: PopulationId| astro().any(|b| b.target == p);
        let input = |p: PopulationId| !liquid(p) && astro().any(|b| b.source == p);
        let l = spikes.iter().filter(|s| liquid(population[s.index()])).count();
        let i = spikes.iter().filter(|s| input(population[s.index()])).count();
        (l, i)
    } else {
        (0, 0)
    };
    for b in bindings.iter_mut() {
        let w_max = b.w_max_engine().unwrap_or(f64::INFINITY);
        let proj = b.projection;
        match &b.rule {
            PlasticityRule::PairStdp(r) => {
                let d = decay_tables(&mut b.decay, &[r.tau_plus, r.tau_minus], dt);
                let (tp, tm, nearest) = (&d[0], &d[1], r.pairing.nearest());
                for &i in spikes.iter().filter(|i| population[i.index()] == b.source) {
                    for s in syn.row(i) {
                        if syn.projection[s] == proj {
                            let y = b.post[0].at((syn.target[s] >> 1) as usize, grid, tm);
                            syn.weight[s] = r.on_pre(syn.weight[s] as f64, y, w_max) as f32;
                        }
                    }
                    b.pre[0].bump(i.index(), grid, tp, nearest);
                }
                for &j in spikes.iter().filter(|j| population[j.index()] == b.target) {
                    let (a, z) = (b.incoming_start[j.index()] as usize, b.incoming_start[j.index() + 1] as usize);
                    for &(s, pre) in &b.incoming[a..z] {
                        let x = b.pre[0].at(pre as usize, grid, tp);
                        syn.weight[s as usize] = r.on_post(syn.weight[s as usize] as f64, x, w_max) as f32;
                    }
                    b.post[0].bump(j.index(), grid, tm, nearest);
                }
            }
            PlasticityRule::TripletStdp(r) => {
                let d = decay_tables(&mut b.decay, &[r.tau_plus, r.tau_minus, r.tau_x, r.tau_y], dt);
                let (tp, tm, tx, ty, nearest) = (&d[0], &d[1], &d[2], &d[3], r.pairing.nearest());
                for &i in spikes.iter().filter(|i| population[i.index()] == b.source) {
                    let r2 = b.pre[1].at(i.index(), grid, tx);
                    for s in syn.row(i) {
                        if syn.projection[s] == proj {
                            let o1 = b.post[0].at((syn.target[s] >> 1) as usize, grid, tm);
                            syn.weight[s] = r.on_pre(syn.weight[s] as f64, o1, r2, w_max) as f32;
                        }
                    }
                    b.pre[0].bump(i.index(), grid, tp, nearest);
                    b.pre[1].bump(i.index(), grid, tx, nearest);
                }
                for &j in spikes.iter().filter(|j| population[j.index()] == b.target) {
                    let o2 = b.post[1].at(j.index(), grid, ty);
                    let (a, z) = (b.incoming_start[j.index()] as usize, b.incoming_start[j.index() + 1] as usize);
                    for &(s, pre) in &b.incoming[a..z] {
                        let r1 = b.pre[0].at(pre as usize, grid, tp);
                        syn.weight[s as usize] = r.on_post(syn.weight[s as usize] as f64, r1, o2, w_max) as f32;
                    }
                    b.post[0].bump(j.index(), grid, tm, nearest);
                    b.post[1].bump(j.index(), grid, ty, nearest);
                }
            }
            PlasticityRule::RewardStdp(r) => {
                let d = decay_tables(&mut b.decay, &[r.tau_plus, r.tau_minus], dt);
                let (tp, tm) = (&d[0], &d[1]);
                for &i in spikes.iter().filter(|i| population[i.index()] == b.source) {
                    for s in syn.row(i) {
                        if syn.projection[s] == proj {
                            let y = b.post[0].at((syn.target[s] >> 1) as usize, grid, tm);
                            b.eligibility[s] -= (w_max * r.a_minus * y) as f32;
                        }
                    }
                    b.pre[0].bump(i.index(), grid, tp, false);
                }
                for &j in spikes.iter().filter(|j| population[j.index()] == b.target) {
                    let (a, z) = (b.incoming_start[j.index()] as usize, b.incoming_start[j.index() + 1] as usize);
                    for &(s, pre) in &b.incoming[a..z] {
                        let x = b.pre[0].at(pre as usize, grid, tp);
                        b.eligibility[s as usize] += (w_max * r.a_plus * x) as f32;
                    }
                    b.post[0].bump(j.index(), grid, tm, false);
                }
                let every = (r.interval / dt).round().max(1.0) as u64;
                if grid.is_multiple_of(every) {
                    let span_ms = every as f64 * dt;
                    let gain = r.learning_rate * 1e-3 * span_ms * b.dopamine;
                    let keep = (-span_ms / r.tau_eligibility).exp() as f32;
                    for &(s, _) in &b.incoming {
                        let c = &mut b.eligibility[s as usize];
                        if gain != 0.0 && *c != 0.0 {
                            let w = &mut syn.weight[s as usize];
                            *w = (*w as f64 + gain * *c as f64).clamp(0.0, w_max) as f32;
                        }
                        *c *= keep;
                    }
                }
                b.dopamine *= (-dt / r.tau_dopamine).exp();
            }
            PlasticityRule::AstroStdp(r) => {
                let d = decay_tables(&mut b.decay, &[r.tau_trace], dt);
                let tr = &d[0];
                let (f, a) = (b.weight_factor, b.astro);
                let (lo, hi) = (r.w_min.value * f, r.w_max.value * f);
                for &i in spikes.iter().filter(|i| population[i.index()] == b.source) {
                    for s in syn.row(i) {
                        if syn.projection[s] == proj {
                            let x_post = r.trace_step * b.post[0].at((syn.target[s] >> 1) as usize, grid, tr);
                            let dw = f * r.on_pre(syn.target[s] & 1 == 1, x_post, a);
                            syn.weight[s] = (syn.weight[s] as f64 + dw).clamp(lo, hi) as f32;
                        }
                    }
                    b.pre[0].bump(i.index(), grid, tr, false);
                }
                for &j in spikes.iter().filter(|j| population[j.index()] == b.target) {
                    let (a0, z) = (b.incoming_start[j.index()] as usize, b.incoming_start[j.index() + 1] as usize);
                    for &(s, pre) in &b.incoming[a0..z] {
                        let x_pre = r.trace_step * b.pre[0].at(pre as usize, grid, tr);
                        let dw = f * r.on_post(syn.target[s as usize] & 1 == 1, x_pre, a);
                        syn.weight[s as usize] = (syn.weight[s as usize] as f64 + dw).clamp(lo, hi) as f32;
                    }
                    b.post[0].bump(j.index(), grid, tr, false);
                }
                let mut astro = AstroState { w_a: r.w_a, b_a: r.b_a, tau_ms: r.tau_astro, a };
                astro.step(astro_counts.0, astro_counts.1, dt);
                b.astro = astro.a;
            }
            PlasticityRule::Oja(OjaRule { eta, tau_rate, rate_ref, interval, .. })
            | PlasticityRule::Bcm(BcmRule { eta, tau_rate, rate_ref, interval, .. }) => {
                let d = decay_tables(&mut b.decay, &[*tau_rate], dt);
                let tr = &d[0];
                for &i in spikes.iter().filter(|i| population[i.index()] == b.source) {
                    b.pre[0].bump(i.index(), grid, tr, false);
                }
                for &j in spikes.iter().filter(|j| population[j.index()] == b.target) {
                    b.post[0].bump(j.index(), grid, tr, false);
                }
                let every = (interval / dt).round().max(1.0) as u64;
                if grid.is_multiple_of(every) {
                    // Normalised rates: trace / τ is spikes per ms; × 1000 / r_ref.
                    let norm = 1000.0 / tau_rate / rate_ref;
                    let step_s = every as f64 * dt * 1e-3;
                    let bcm = match &b.rule {
                        PlasticityRule::Bcm(r) => Some(every as f64 * dt / r.tau_theta),
                        _ => None,
                    };
                    for j in 0..b.incoming_start.len() - 1 {
                        let (a0, z) = (b.incoming_start[j] as usize, b.incoming_start[j + 1] as usize);
                        if a0 == z {
                            continue;
                        }
                        let y = b.post[0].at(j, grid, tr) * norm;
                        if let Some(k) = bcm {
                            b.theta[j] += k * (y * y - b.theta[j]);
                        }
                        for &(s, pre) in &b.incoming[a0..z] {
                            let x = b.pre[0].at(pre as usize, grid, tr) * norm;
                            let w = syn.weight[s as usize] as f64 / w_max;
                            let new = match bcm {
                                None => w + eta * step_s * y * (x - y * w),
                                Some(_) => (w + eta * step_s * x * y * (y - b.theta[j])).max(0.0),
                            };
                            syn.weight[s as usize] = (new * w_max) as f32;
                        }
                    }
                }
            }
            PlasticityRule::SynapticScaling(r) => {
                let d = decay_tables(&mut b.decay, &[r.tau_rate], dt);
                for &j in spikes.iter().filter(|j| population[j.index()] == b.target) {
                    b.post[0].bump(j.index(), grid, &d[0], false);
                }
                let every = (r.interval / dt).round().max(1.0) as u64;
                if grid.is_multiple_of(every) {
                    let scaled = SynapticScaling { interval: every as f64 * dt, ..r.clone() };
                    for j in 0..b.incoming_start.len() - 1 {
                        let (a, z) = (b.incoming_start[j] as usize, b.incoming_start[j + 1] as usize);
                        if a == z {
                            continue;
                        }
                        let rate_hz = b.post[0].at(j, grid, &d[0]) / r.tau_rate * 1000.0;
                        b.gain[j] *= scaled.factor(rate_hz);
                        for (&(s, _), &w0) in b.incoming[a..z].iter().zip(&b.base[a..z]) {
                            syn.weight[s as usize] = (w0 as f64 * b.gain[j]) as f32;
                        }
                    }
                }
            }
        }
    }
}
