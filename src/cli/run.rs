//! `neuroplast run` and `neuroplast resume`: headless simulation with statistics.

use std::io::Write;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use clap::Args;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use neuroplast::analysis::{WeightSummary, activity_stats, branching_factor, weight_summary};
use neuroplast::engine::Simulation;
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

fn parse_time_ms(s: &str) -> Result<f64, String> {
    let ms = Quantity::parse(s)?.expect(Dim::Time)?;
    if ms.is_finite() && ms >= 0.0 { Ok(ms) } else { Err(format!("`{s}` must be a time >= 0")) }
}

/// Runs `f` on a worker of a pool of `threads` threads (default: one per core), so the step's
/// parallel loops fork and join inside the pool instead of waking it from outside every step.
fn in_pool(threads: Option<usize>, f: impl FnOnce() -> Result<()> + Send) -> Result<()> {
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
    let t0 = Instant::now();
    let mut scene = Scene::load(&args.scene)?;
    if args.scale != 1.0 {
        scene.scale(args.scale).map_err(anyhow::Error::msg)?;
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
    out: std::io::BufWriter<std::fs::File>,
    every: u64,
    /// (population, spikes in the current interval, has calcium, grows) of the populations
    /// logged.
    populations: Vec<(neuroplast::sim::PopulationId, u64, bool, bool)>,
}

impl GrowthLog {
    fn create(path: &std::path::Path, sim: &Simulation, every_ms: f64) -> Result<Self> {
        let f = std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?;
        let mut out = std::io::BufWriter::new(f);
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
        writeln!(out, "{header}")?;
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
        writeln!(self.out, "{line}")?;
        Ok(())
    }

    fn finish(mut self) -> Result<()> {
        self.out.flush()?;
        Ok(())
    }
}

/// The number of long-range attention edges (0 without the rule).
pub fn attention_edges(sim: &Simulation) -> usize {
    sim.structural_rule::<AttentionEdges>().map_or(0, |a| a.edges().len())
}

fn simulate(mut sim: Simulation, label: &str, build: Duration, args: &SimArgs) -> Result<()> {
    let net = &sim.network;
    let dt = net.dt_ms();
    let steps = (args.duration / dt).round() as u64;
    let start_ms = net.time_ms();
    let n = net.num_neurons();
    let mut report = StepReport::with_capacity(n);
    let mut log = SpikeLog::default();
    let mut csv = match &args.spikes {
        Some(p) => {
            let f = std::fs::File::create(p).with_context(|| format!("creating {}", p.display()))?;
            let mut w = std::io::BufWriter::with_capacity(1 << 20, f);
            writeln!(w, "time_ms,neuron")?;
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
    let t1 = Instant::now();
    for k in 0..steps {
        sim.step(&mut report);
        log.record(&report);
        if let Some(g) = growth.as_mut() {
            g.after_step(&sim, &report)?;
        }
        if let Some(w) = csv.as_mut() {
            for id in &report.spikes {
                writeln!(w, "{:.4},{}", report.time_ms, id.0)?;
            }
        }
        if k & 1023 == 0 {
            if !shown && t1.elapsed() > Duration::from_secs(1) {
                bar.set_draw_target(ProgressDrawTarget::stderr());
                shown = true;
            }
            bar.set_position(k);
            bar.set_message(format!("{:.0} ms", sim.network.time_ms() - start_ms));
        }
    }
    let wall = t1.elapsed();
    bar.finish_and_clear();
    if let Some(mut w) = csv {
        w.flush()?;
    }
    if let Some(g) = growth {
        g.finish()?;
    }
    if let Some(p) = &args.save_snapshot {
        snapshot::save(&sim, p)?;
    }
    let net = &sim.network;
    let end_ms = net.time_ms();
    // Neurogenesis may have added neurons: statistics cover the final network.
    let (n0, n) = (n, net.num_neurons());
    let stats = activity_stats(&log, n, dt, start_ms + args.stats_from, end_ms + 0.5 * dt);
    let realtime = args.duration * 1e-3 / wall.as_secs_f64();
    // Liquids learning by astrocyte-modulated STDP: the branching factor over their neurons.
    let liquid = liquid_range(&sim);
    let sigma = liquid.clone().map(|r| {
        // The statistics window, re-based to start at 0.
        let from = ((start_ms + args.stats_from) / dt).round() as u64;
        let mut window = SpikeLog::default();
        for (&n, &g) in log.neurons.iter().zip(&log.grid).filter(|(_, g)| **g >= from) {
            window.neurons.push(n);
            window.grid.push(g - from);
        }
        let span = end_ms - start_ms - args.stats_from;
        (branching_factor(&window, &net.synapses, r, dt, 4.0, 25.0, span), astro_level(&sim))
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
            let secs = (end_ms - start_ms - args.stats_from).max(1e-9) * 1e-3;
            (p.name.clone(), count.count() as f64 / ids.len().max(1) as f64 / secs)
        })
        .collect();
    let plastic: Vec<(String, WeightSummary)> = sim
        .synaptic
        .iter()
        .map(|b| {
            let w = b.weights(&net.synapses);
            // Rules without a bound are summarised against the largest weight.
            let w_max = b.w_max_engine().unwrap_or_else(|| w.iter().copied().fold(f64::MIN_POSITIVE, f64::max));
            (b.label().to_string(), weight_summary(&w, w_max, 10))
        })
        .collect();
    if args.json {
        let mut extra = String::new();
        for (name, rate) in &populations {
            extra.push_str(&format!(",\"rate_hz:{name}\":{rate:.6}"));
        }
        for (name, w) in &plastic {
            extra.push_str(&format!(
                ",\"weights:{name}\":{{\"mean_fraction\":{:.6},\"below_10pct\":{:.6},\"above_90pct\":{:.6},\"histogram\":{:?}}}",
                w.mean_fraction, w.below_10pct, w.above_90pct, w.histogram
            ));
        }
        if let Some((sigma, a)) = sigma {
            extra.push_str(&format!(",\"branching_factor\":{sigma:.6},\"astrocyte\":{:.6}", a.unwrap_or(f64::NAN)));
        }
        println!(
            "{{\"neurons\":{},\"synapses\":{},\"spikes\":{},\"mean_rate_hz\":{:.6},\"mean_cv_isi\":{:.6},\"fraction_active\":{:.6},\"build_s\":{:.6},\"sim_s\":{:.6},\"realtime_factor\":{:.6},\"peak_rss_mb\":{:.1}{extra}}}",
            n,
            net.num_synapses(),
            log.len(),
            stats.mean_rate_hz,
            stats.mean_cv_isi,
            stats.fraction_active,
            build.as_secs_f64(),
            wall.as_secs_f64(),
            realtime,
            rss_mb
        );
        return Ok(());
    }
    println!("scene        {label}");
    if n == n0 {
        println!("neurons      {n}");
    } else {
        println!("neurons      {n} (grew from {n0})");
    }
    println!("synapses     {}", net.num_synapses());
    if let Some(a) = sim.structural_rule::<AttentionEdges>() {
        println!("attention    {} long-range edges", a.edges().len());
    }
    println!(
        "simulated    {:.1} ms ({steps} steps of {dt} ms), seed {}, {} threads",
        args.duration,
        net.seed(),
        rayon::current_num_threads()
    );
    println!("spikes       {}", log.len());
    println!("mean rate    {:.3} Hz (from {:.0} ms)", stats.mean_rate_hz, args.stats_from);
    println!("CV ISI       {:.3} ({} neurons with >= 3 spikes)", stats.mean_cv_isi, stats.cv_neurons);
    println!("build time   {:.3} s", build.as_secs_f64());
    println!("wall time    {:.3} s", wall.as_secs_f64());
    println!("realtime     {realtime:.2}x");
    println!("peak memory  {rss_mb:.1} MB");
    for (name, rate) in &populations {
        println!("population   {name}: {rate:.3} Hz");
    }
    if let Some((sigma, a)) = sigma {
        println!("liquid       branching factor {sigma:.3}, astrocyte A = {:.3}", a.unwrap_or(f64::NAN));
    }
    for (name, w) in &plastic {
        println!(
            "weights      {name}: mean {:.3} w_max, {:.3} below 0.1 w_max, {:.3} above 0.9 w_max, histogram {:?}",
            w.mean_fraction, w.below_10pct, w.above_90pct, w.histogram
        );
    }
    if let Some(p) = &args.save_snapshot {
        println!("snapshot     {}", p.display());
    }
    Ok(())
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
