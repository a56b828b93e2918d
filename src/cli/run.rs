//! `neuroplast run` and `neuroplast resume`: headless simulation with statistics.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use clap::Args;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::interrupt;

use neuroplast::analysis::{WeightSummary, activity_stats, branching_factor, weight_summary};
use neuroplast::engine::Simulation;
use neuroplast::files::{self, AtomicFile, FilePlan};
use neuroplast::growth::attention::AttentionEdges;
use neuroplast::growth::msp::Msp;
use neuroplast::growth::neurogenesis::Neurogenesis;
use neuroplast::plasticity::AstroStdp;
use neuroplast::scene::{Scene, snapshot};
use neuroplast::sim::{Dim, Quantity, SpikeLog, StepReport};

/// Options shared by `run` and `resume`.
#[derive(Args, Clone)]
pub struct SimArgs {
    /// Biological time to simulate ("1s", "500 ms").
    #[arg(long, default_value = "1s", value_parser = parse_time_ms)]
    pub duration: f64,
    /// Worker threads (default: all cores).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Write every spike as `time_ms,neuron` lines to this CSV file.
    #[arg(long)]
    pub spikes: Option<PathBuf>,
    /// Save the final state to this snapshot file.
    #[arg(long)]
    pub save_snapshot: Option<PathBuf>,
    /// Leave this much biological time out of the statistics (the initial transient).
    #[arg(long, default_value = "0ms", value_parser = parse_time_ms)]
    pub stats_from: f64,
    /// Print one JSON object instead of the table (for scripts and `neuroplast bench`).
    #[arg(long)]
    pub json: bool,
    /// Growth: write, every `--growth-every`, the numbers of neurons, synapses and attention
    /// edges, and with structural plasticity each growing population's mean calcium and rate and
    /// each structural synapse kind's count, to this CSV file.
    #[arg(long)]
    pub growth_log: Option<PathBuf>,
    /// Interval of the growth log.
    #[arg(long, default_value = "1s", value_parser = parse_time_ms)]
    pub growth_every: f64,
}

/// `neuroplast run SCENE`.
#[derive(Args)]
pub struct RunArgs {
    /// Scene file (RON).
    pub scene: PathBuf,
    /// Seed for every random draw (default: the scene's).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Multiply every population's size by this factor and divide Bernoulli connection
    /// probabilities by it, keeping the number of synapses per neuron.
    #[arg(long, default_value_t = 1.0)]
    pub scale: f64,
    /// The most memory the scene may need ("16 GB"; default: what the system has available).
    #[arg(long, value_parser = neuroplast::scene::budget::parse_memory)]
    pub max_memory: Option<f64>,
    #[command(flatten)]
    pub sim: SimArgs,
}

/// `neuroplast resume SNAPSHOT`.
#[derive(Args)]
pub struct ResumeArgs {
    /// Snapshot file written by `--save-snapshot`.
    pub snapshot: PathBuf,
    #[command(flatten)]
    pub sim: SimArgs,
}

pub(super) fn parse_time_ms(s: &str) -> Result<f64, String> {
    let ms = Quantity::parse(s)?.expect(Dim::Time)?;
    if ms.is_finite() && ms >= 0.0 { Ok(ms) } else { Err(format!("`{s}` must be a time >= 0")) }
}

/// Runs `f` on a worker of a pool of `threads` threads (default: one per core), so the step's
/// parallel loops fork and join inside the pool instead of waking it from outside every step.
pub(super) fn in_pool(threads: Option<usize>, f: impl FnOnce() -> Result<()> + Send) -> Result<()> {
    let mut builder = rayon::ThreadPoolBuilder::new();
    if let Some(n) = threads {
        anyhow::ensure!(n >= 1, "--threads must be at least 1");
        builder = builder.num_threads(n);
    }
    builder.build().context("starting the thread pool")?.install(f)
}

/// `neuroplast run`.
pub fn run(args: RunArgs) -> Result<()> {
    in_pool(args.sim.threads, || run_in_pool(args))
}

fn run_in_pool(args: RunArgs) -> Result<()> {
    check_outputs(FilePlan::new().input("the scene", &args.scene), &args.sim)?;
    let t0 = Instant::now();
    let mut scene = Scene::load(&args.scene)?;
    if args.scale != 1.0 {
        scene.scale(args.scale).map_err(anyhow::Error::msg)?;
    }
    if let Some(bytes) = args.max_memory {
        scene.set_memory_limit(bytes);
    }
    let net = scene.build(args.seed)?;
    let label = format!("{} ({})", args.scene.display(), scene.file.name);
    simulate(net, &label, t0.elapsed(), &args.sim)
}

/// `neuroplast resume`.
pub fn resume(args: ResumeArgs) -> Result<()> {
    in_pool(args.sim.threads, || resume_in_pool(args))
}

fn resume_in_pool(args: ResumeArgs) -> Result<()> {
    check_outputs(FilePlan::new().input("the snapshot", &args.snapshot), &args.sim)?;
    let t0 = Instant::now();
    let net = snapshot::load(&args.snapshot)?;
    let label = format!("{} (snapshot at {:.1} ms)", args.snapshot.display(), net.network.time_ms());
    simulate(net, &label, t0.elapsed(), &args.sim)
}

/// The growth log: one CSV line per interval with the numbers of neurons, synapses and attention
/// edges; for each population with structural plasticity or neurogenesis its rate over the
/// interval, with its mean calcium (MSP) and its size (neurogenesis); and for each structural
/// synapse kind how many exist.
struct GrowthLog {
    out: AtomicFile,
    every: u64,
    /// (population, spikes in the current interval, has calcium, grows) of the populations
    /// logged.
    populations: Vec<(neuroplast::sim::PopulationId, u64, bool, bool)>,
}

impl GrowthLog {
    fn create(path: &std::path::Path, sim: &Simulation, every_ms: f64) -> Result<Self> {
        let mut out = AtomicFile::create(path)?;
        let mut header = String::from("time_s,neurons,synapses,attention_edges");
        let grows = |p| sim.structural_rules::<Neurogenesis>().any(|g| g.population == p);
        let msp = sim.structural_rule::<Msp>();
        let mut populations: Vec<_> =
            msp.iter().flat_map(|m| &m.populations).map(|p| (p.population, 0, true, grows(p.population))).collect();
        let net = &sim.network;
        for g in sim.structural_rules::<Neurogenesis>() {
            if !populations.iter().any(|p| p.0 == g.population) {
                populations.push((g.population, 0, false, true));
            }
        }
        for &(p, _, calcium, grows) in &populations {
            let name = &net.populations[p.index()].name;
            if calcium {
                header.push_str(&format!(",ca_{name}"));
            }
            header.push_str(&format!(",rate_hz_{name}"));
            if grows {
                header.push_str(&format!(",neurons_{name}"));
            }
        }
        for m in msp.iter().flat_map(|m| &m.synapse_models) {
            header.push_str(&format!(",synapses_{}", m.name));
        }
        writeln!(out, "{header}").with_context(|| format!("writing {}", path.display()))?;
        let every = ((every_ms / net.dt_ms()).round() as u64).max(1);
        Ok(Self { out, every, populations })
    }

    fn after_step(&mut self, sim: &Simulation, report: &StepReport) -> Result<()> {
        let net = &sim.network;
        for id in &report.spikes {
            let pop = net.neurons.population[id.index()];
            if let Some(p) = self.populations.iter_mut().find(|p| p.0 == pop) {
                p.1 += 1;
            }
        }
        if !(report.step + 1).is_multiple_of(self.every) {
            return Ok(());
        }
        let edges = attention_edges(sim);
        let msp = sim.structural_rule::<Msp>();
        let mut line = format!("{:.3},{},{},{edges}", report.time_ms * 1e-3, net.num_neurons(), net.num_synapses());
        let window_s = self.every as f64 * net.dt_ms() * 1e-3;
        for (pop, spikes, calcium, grows) in &mut self.populations {
            let size = net.population_neurons(*pop).count();
            if *calcium {
                let msp = msp.expect("populations with calcium come from MSP");
                let ca: f64 = net.population_neurons(*pop).map(|i| msp.calcium(i as usize)).sum();
                line.push_str(&format!(",{:.6}", ca / size.max(1) as f64));
            }
            line.push_str(&format!(",{:.4}", *spikes as f64 / size.max(1) as f64 / window_s));
            if *grows {
                line.push_str(&format!(",{size}"));
            }
            *spikes = 0;
        }
        for m in msp.iter().flat_map(|m| &m.synapse_models) {
            let count = net.synapses.projection.iter().filter(|&&p| p == m.projection).count();
            line.push_str(&format!(",{count}"));
        }
        writeln!(self.out, "{line}").with_context(|| format!("writing {}", self.out.target().display()))?;
        Ok(())
    }
}

/// The number of long-range attention edges (0 without the rule).
pub fn attention_edges(sim: &Simulation) -> usize {
    sim.structural_rule::<AttentionEdges>().map_or(0, |a| a.edges().len())
}

/// The most steps one command simulates (11.6 days of biological time at 0.1 ms); a longer run
/// is split with `--save-snapshot` and `resume`.
pub const MAX_STEPS: u64 = 10_000_000_000;

/// Checks every output of `args` against the command's inputs and each other, and that each
/// folder can take a new file, before any work.
fn check_outputs(plan: FilePlan, args: &SimArgs) -> Result<()> {
    plan.output("--spikes", args.spikes.as_deref())?
        .output("--growth-log", args.growth_log.as_deref())?
        .output("--save-snapshot", args.save_snapshot.as_deref())?;
    Ok(())
}

/// The number of steps of `args.duration`, refused when the run could not do what was asked.
fn steps_of(args: &SimArgs, dt: f64) -> Result<u64> {
    let steps = (args.duration / dt).round();
    anyhow::ensure!(
        steps <= MAX_STEPS as f64,
        "--duration {} ms is {steps:.3e} steps of {dt} ms, more than the {MAX_STEPS:.0e} one run may take; \
         split it with --save-snapshot and `neuroplast resume`",
        args.duration
    );
    anyhow::ensure!(
        args.duration == 0.0 || steps >= 1.0,
        "--duration {} ms is shorter than one step of {dt} ms",
        args.duration
    );
    anyhow::ensure!(
        args.stats_from == 0.0 || args.stats_from < args.duration,
        "--stats-from {} ms leaves nothing of --duration {} ms to measure",
        args.stats_from,
        args.duration
    );
    Ok(steps as u64)
}

fn simulate(mut sim: Simulation, label: &str, build: Duration, args: &SimArgs) -> Result<()> {
    let net = &sim.network;
    let dt = net.dt_ms();
    let steps = steps_of(args, dt)?;
    let start_ms = net.time_ms();
    let n = net.num_neurons();
    let mut report = StepReport::with_capacity(n);
    let mut log = SpikeLog::default();
    let mut csv = match &args.spikes {
        Some(p) => {
            let mut w = AtomicFile::create(p)?;
            writeln!(w, "time_ms,neuron").with_context(|| format!("writing {}", p.display()))?;
            Some(w)
        }
        None => None,
    };
    let mut growth = match &args.growth_log {
        Some(p) => Some(GrowthLog::create(p, &sim, args.growth_every)?),
        None => None,
    };
    let bar = ProgressBar::with_draw_target(Some(steps), ProgressDrawTarget::hidden());
    bar.set_style(ProgressStyle::with_template("{bar:40} {percent:>3}% {msg} eta {eta}").expect("valid template"));
    let mut shown = args.json;
    interrupt::listen();
    let t1 = Instant::now();
    for k in 0..steps {
        if interrupt::requested() {
            break;
        }
        sim.step(&mut report);
        log.record(&report);
        if let Some(g) = growth.as_mut() {
            g.after_step(&sim, &report)?;
        }
        if let Some(w) = csv.as_mut() {
            for id in &report.spikes {
                writeln!(w, "{:.4},{}", report.time_ms, id.0)
                    .with_context(|| format!("writing {}", w.target().display()))?;
            }
        }
        if k & 1023 == 0 {
            if !shown && t1.elapsed() > Duration::from_secs(1) {
                shown = true;
                if std::io::stderr().is_terminal() {
                    bar.set_draw_target(ProgressDrawTarget::stderr());
                } else {
                    // A log file or a pipe gets one line instead of a bar.
                    let _ = writeln!(
                        std::io::stderr(),
                        "simulating: {:.1} % after 1 s (Ctrl-C stops after the current step and keeps what was computed)",
                        100.0 * k as f64 / steps as f64
                    );
                }
            }
            bar.set_position(k);
            bar.set_message(format!("{:.0} ms", sim.network.time_ms() - start_ms));
        }
    }
    let wall = t1.elapsed();
    bar.finish_and_clear();
    // Every output is complete before any replaces its file.
    if let Some(w) = csv {
        w.commit()?;
    }
    if let Some(g) = growth {
        g.out.commit()?;
    }
    if let Some(p) = &args.save_snapshot {
        snapshot::save(&sim, p)?;
    }
    let text = summary(&sim, &log, label, build, wall, start_ms, n, args);
    files::print(&text)?;
    if interrupt::requested() {
        return Err(interrupt::Interrupted.into());
    }
    Ok(())
}

/// The statistics of a finished (or interrupted) run: a table, or one strict JSON object with
/// `--json` (a value that does not exist, such as CV ISI without a neuron of 3 spikes, is `null`
/// with its reason beside it).
#[expect(clippy::too_many_arguments, reason = "the pieces of one run, each used once")]
fn summary(
    sim: &Simulation,
    log: &SpikeLog,
    label: &str,
    build: Duration,
    wall: Duration,
    start_ms: f64,
    n0: usize,
    args: &SimArgs,
) -> String {
    let net = &sim.network;
    let dt = net.dt_ms();
    let end_ms = net.time_ms();
    let simulated = end_ms - start_ms;
    let steps = (simulated / dt).round() as u64;
    // Neurogenesis may have added neurons: statistics cover the final network.
    let n = net.num_neurons();
    let stats = activity_stats(log, n, dt, start_ms + args.stats_from, end_ms + 0.5 * dt);
    let realtime = simulated * 1e-3 / wall.as_secs_f64();
    // Liquids learning by astrocyte-modulated STDP: the branching factor over their neurons.
    let sigma = liquid_range(sim).map(|r| {
        // The statistics window, re-based to start at 0.
        let from = ((start_ms + args.stats_from) / dt).round() as u64;
        let mut window = SpikeLog::default();
        for (&n, &g) in log.neurons.iter().zip(&log.grid).filter(|(_, g)| **g >= from) {
            window.neurons.push(n);
            window.grid.push(g - from);
        }
        let span = simulated - args.stats_from;
        (branching_factor(&window, &net.synapses, r, dt, 4.0, 25.0, span), astro_level(sim))
    });
    let rss_mb = peak_rss_mb();
    let populations: Vec<(String, f64)> = net
        .populations
        .iter()
        .enumerate()
        .map(|(k, p)| {
            let ids: Vec<u32> = net.population_neurons(neuroplast::sim::PopulationId(k as u16)).collect();
            let count = log.neurons.iter().zip(&log.grid).filter(|(n, g)| {
                let t = **g as f64 * dt;
                ids.binary_search(n).is_ok() && t >= start_ms + args.stats_from && t < end_ms + 0.5 * dt
            });
            let secs = (simulated - args.stats_from).max(1e-9) * 1e-3;
            (p.name.clone(), count.count() as f64 / ids.len().max(1) as f64 / secs)
        })
        .collect();
    let plastic: Vec<(String, WeightSummary)> = sim
        .synaptic
        .iter()
        .map(|b| {
            let w = b.weights(&net.synapses);
            // Rules without a bound are summarised against the weight of largest magnitude.
            let bound = b.w_bound_engine().unwrap_or_else(|| {
                w.iter().copied().max_by(|a, b| a.abs().total_cmp(&b.abs())).filter(|w| *w != 0.0).unwrap_or(1.0)
            });
            (b.label().to_string(), weight_summary(&w, bound, 10))
        })
        .collect();
    let no_cv = (stats.cv_neurons == 0).then_some("no neuron has 3 spikes");
    if args.json {
        use serde_json::{Value, json};
        let mut o = serde_json::Map::new();
        o.insert("neurons".into(), json!(n));
        o.insert("synapses".into(), json!(net.num_synapses()));
        o.insert("spikes".into(), json!(log.len()));
        o.insert("simulated_ms".into(), json!(simulated));
        o.insert("interrupted".into(), json!(interrupt::requested()));
        o.insert("mean_rate_hz".into(), json!(stats.mean_rate_hz));
        o.insert("mean_cv_isi".into(), json!(stats.mean_cv_isi));
        if let Some(why) = no_cv {
            o.insert("mean_cv_isi_reason".into(), json!(why));
        }
        o.insert("fraction_active".into(), json!(stats.fraction_active));
        o.insert("build_s".into(), json!(build.as_secs_f64()));
        o.insert("sim_s".into(), json!(wall.as_secs_f64()));
        o.insert("realtime_factor".into(), json!(realtime));
        o.insert("peak_rss_mb".into(), json!(rss_mb));
        for (name, rate) in &populations {
            o.insert(format!("rate_hz:{name}"), json!(rate));
        }
        for (name, w) in &plastic {
            let summary = json!({"mean_fraction": w.mean_fraction, "below_10pct": w.below_10pct,
                "above_90pct": w.above_90pct, "histogram": w.histogram});
            o.insert(format!("weights:{name}"), summary);
        }
        if let Some((sigma, a)) = sigma {
            o.insert("branching_factor".into(), json!(sigma));
            if sigma.is_nan() {
                let why = "no spike 25 ms or more from both ends of the statistics window";
                o.insert("branching_factor_reason".into(), json!(why));
            }
            o.insert("astrocyte".into(), json!(a));
        }
        // serde_json writes a non-finite number as `null`: the output is strict JSON.
        return format!("{}\n", Value::Object(o));
    }
    let mut t = String::new();
    let mut line = |s: String| {
        t.push_str(&s);
        t.push('\n');
    };
    line(format!("scene        {label}"));
    if n == n0 {
        line(format!("neurons      {n}"));
    } else {
        line(format!("neurons      {n} (grew from {n0})"));
    }
    line(format!("synapses     {}", net.num_synapses()));
    if let Some(a) = sim.structural_rule::<AttentionEdges>() {
        line(format!("attention    {} long-range edges", a.edges().len()));
    }
    let stopped =
        if interrupt::requested() { format!(" of {:.1} ms asked (Ctrl-C)", args.duration) } else { String::new() };
    line(format!(
        "simulated    {simulated:.1} ms{stopped} ({steps} steps of {dt} ms), seed {}, {} threads",
        net.seed(),
        rayon::current_num_threads()
    ));
    line(format!("spikes       {}", log.len()));
    line(format!("mean rate    {:.3} Hz (from {:.0} ms)", stats.mean_rate_hz, args.stats_from));
    match no_cv {
        Some(why) => line(format!("CV ISI       - ({why})")),
        None => line(format!("CV ISI       {:.3} ({} neurons with >= 3 spikes)", stats.mean_cv_isi, stats.cv_neurons)),
    }
    line(format!("build time   {:.3} s", build.as_secs_f64()));
    line(format!("wall time    {:.3} s", wall.as_secs_f64()));
    line(format!("realtime     {realtime:.2}x"));
    line(format!("peak memory  {rss_mb:.1} MB"));
    for (name, rate) in &populations {
        line(format!("population   {name}: {rate:.3} Hz"));
    }
    if let Some((sigma, a)) = sigma {
        let a = a.map_or("-".to_string(), |a| format!("{a:.3}"));
        let sigma =
            if sigma.is_nan() { "- (no spike 25 ms from both ends)".to_string() } else { format!("{sigma:.3}") };
        line(format!("liquid       branching factor {sigma}, astrocyte A = {a}"));
    }
    for (name, w) in &plastic {
        line(format!(
            "weights      {name}: mean {:.3} of the bound, {:.3} below 0.1, {:.3} above 0.9, histogram {:?}",
            w.mean_fraction, w.below_10pct, w.above_90pct, w.histogram
        ));
    }
    if let Some(p) = &args.save_snapshot {
        line(format!("snapshot     {}", p.display()));
    }
    t
}

/// The neurons of the populations that astrocyte-modulated rules act on, if they form one range.
fn liquid_range(sim: &Simulation) -> Option<std::ops::Range<u32>> {
    let pops: Vec<_> = sim.synaptic.iter().filter_map(|b| b.get_as::<AstroStdp>()).map(|b| b.scope.target).collect();
    let segs: Vec<_> = sim.network.segments.iter().filter(|s| pops.contains(&s.population)).collect();
    let (lo, hi) = (segs.iter().map(|s| s.start).min()?, segs.iter().map(|s| s.end).max()?);
    let covered: u32 = segs.iter().map(|s| s.end - s.start).sum();
    (covered == hi - lo).then_some(lo..hi)
}

/// The astrocyte signal of the first astrocyte-modulated binding.
fn astro_level(sim: &Simulation) -> Option<f64> {
    sim.synaptic.iter().find_map(|b| b.get_as::<AstroStdp>()).map(|b| b.state.astro)
}

/// Peak resident set size of this process (MB), from /proc (0 where unavailable).
pub fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmHWM:")).and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}
