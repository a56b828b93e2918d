//! `neuroplast bench`: the benchmark suite, each case a separate `neuroplast run` process so its
//! wall time and peak memory are its own.

use neuroplast::say;
use std::path::PathBuf;
use std::process::Command;

use anyhow::{Context, Result};
use clap::Args;

/// `neuroplast bench` options.
#[derive(Args)]
pub struct BenchArgs {
    /// `growth`: the structural-change benchmark; `frame`: the app's per-frame CPU work and its
    /// time to first frame; `graph`: the graph measures on the growth network; `replay`: a large
    /// recording streamed (index, seeks, playback, memory); `memory`: the Hopfield networks; neither:
    /// the engine suite.
    #[arg(value_parser = ["growth", "frame", "graph", "replay", "memory"])]
    pub which: Option<String>,
    /// Replay benchmark: the network (from `tools/make_big_recording.py`).
    #[arg(long, default_value = "/tmp/neuroplast-replay/big.ron")]
    pub network: PathBuf,
    /// Replay benchmark: the recording (a SONATA spike file sorted by time).
    #[arg(long, default_value = "/tmp/neuroplast-replay/big.h5")]
    pub spikes: PathBuf,
    /// Replay benchmark: recorded time played (ms).
    #[arg(long, default_value_t = 2000.0)]
    pub play_ms: f64,
    /// Also run CUBA at 400,000 neurons / 32 M synapses (needs ~2 GB and minutes).
    #[arg(long)]
    pub large: bool,
    /// Biological time per case (cases with a protocol of their own keep it).
    #[arg(long, default_value = "1s")]
    pub duration: String,
    /// Growth and graph benchmarks: number of neurons (synapses: 100 per neuron).
    #[arg(long, default_value_t = 100_000)]
    pub growth_neurons: u32,
    /// Growth benchmark: worker threads (default: all cores).
    #[arg(long)]
    pub threads: Option<usize>,
}

/// Synapses per neuron in the growth benchmark's network.
const GROWTH_SYNAPSES_PER_NEURON: f64 = 100.0;

struct Case {
    name: &'static str,
    scene: &'static str,
    scale: f64,
    threads: Option<usize>,
    /// Biological time when the case fixes its own (the Song protocol is 100 s).
    duration: Option<&'static str>,
}

fn scenes_dir() -> PathBuf {
    let local = PathBuf::from("scenes");
    if local.join("cuba.ron").exists() { local } else { PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scenes") }
}

/// The frame benchmark lives with the app code it measures.
#[cfg(feature = "app")]
fn bench_frame() -> Result<()> {
    neuroplast::app::bench::bench_frame()
}

/// Without the app there is no frame to measure.
#[cfg(not(feature = "app"))]
fn bench_frame() -> Result<()> {
    anyhow::bail!("`neuroplast bench frame` measures the app: build with the default features (`app`)")
}

/// Runs the suite (or the growth benchmark) and prints a table.
pub fn bench(args: BenchArgs) -> Result<()> {
    if args.which.as_deref() == Some("growth") {
        let secs = neuroplast::sim::Quantity::parse(&args.duration)
            .and_then(|q| q.expect(neuroplast::sim::Dim::Time))
            .map_err(anyhow::Error::msg)?
            * 1e-3;
        if !(secs > 0.0 && secs.is_finite()) {
            anyhow::bail!("--duration: the growth benchmark needs a positive biological time, got {}", args.duration);
        }
        if args.growth_neurons < GROWTH_SYNAPSES_PER_NEURON as u32 * 2 {
            anyhow::bail!(
                "--growth-neurons: at least {} neurons, so that {GROWTH_SYNAPSES_PER_NEURON} synapses per neuron is a connection probability below 1 (got {})",
                GROWTH_SYNAPSES_PER_NEURON as u32 * 2,
                args.growth_neurons
            );
        }
        return bench_growth(secs, args.growth_neurons, args.threads);
    }
    if args.which.as_deref() == Some("frame") {
        return bench_frame();
    }
    if args.which.as_deref() == Some("memory") {
        return super::bench_memory::bench_memory();
    }
    if args.which.as_deref() == Some("replay") {
        return super::bench_replay::bench_replay(&args.network, &args.spikes, args.play_ms);
    }
    if args.which.as_deref() == Some("graph") {
        anyhow::ensure!(args.growth_neurons >= 200, "--growth-neurons: at least 200 neurons for 100 synapses each");
        return super::bench_graph::bench_graph(args.growth_neurons, GROWTH_SYNAPSES_PER_NEURON);
    }
    let mut cases = vec![
        Case { name: "CUBA 4k, 1 thread", scene: "cuba.ron", scale: 1.0, threads: Some(1), duration: None },
        Case { name: "CUBA 4k, 2 threads", scene: "cuba.ron", scale: 1.0, threads: Some(2), duration: None },
        Case { name: "COBA 4k", scene: "coba.ron", scale: 1.0, threads: None, duration: None },
        Case { name: "CUBA 40k (p 0.002)", scene: "cuba.ron", scale: 10.0, threads: None, duration: None },
        Case { name: "CUBA+STDP 4k", scene: "cuba_stdp.ron", scale: 1.0, threads: None, duration: None },
        Case { name: "Song 2000, 100 s", scene: "stdp_song.ron", scale: 1.0, threads: None, duration: Some("100s") },
    ];
    if args.large {
        cases.push(Case {
            name: "CUBA 400k / 32M syn",
            scene: "cuba.ron",
            scale: 100.0,
            threads: None,
            duration: None,
        });
    }
    let exe = std::env::current_exe().context("locating the neuroplast binary")?;
    let dir = scenes_dir();
    say!(
        "{:<22} {:>8} {:>11} {:>8} {:>8} {:>9} {:>9} {:>9} {:>9}",
        "case",
        "neurons",
        "synapses",
        "build s",
        "sim s",
        "realtime",
        "rate Hz",
        "total s",
        "peak MB"
    );
    for case in cases {
        let mut cmd = Command::new(&exe);
        let duration = case.duration.unwrap_or(&args.duration);
        cmd.arg("run").arg(dir.join(case.scene)).args([
            "--duration",
            duration,
            "--json",
            "--scale",
            &case.scale.to_string(),
        ]);
        if let Some(t) = case.threads {
            cmd.args(["--threads", &t.to_string()]);
        }
        let start = std::time::Instant::now();
        let out = cmd.output().with_context(|| format!("running {}", case.name))?;
        let total = start.elapsed().as_secs_f64();
        anyhow::ensure!(out.status.success(), "{} failed: {}", case.name, String::from_utf8_lossy(&out.stderr));
        let json = String::from_utf8_lossy(&out.stdout);
        let field = |k: &str| -> f64 {
            json.split(&format!("\"{k}\":"))
                .nth(1)
                .and_then(|r| r.split([',', '}']).next())
                .and_then(|v| v.parse().ok())
                .unwrap_or(f64::NAN)
        };
        say!(
            "{:<22} {:>8} {:>11} {:>8.3} {:>8.3} {:>8.2}x {:>9.2} {:>9.3} {:>9.1}",
            case.name,
            field("neurons"),
            field("synapses"),
            field("build_s"),
            field("sim_s"),
            field("realtime_factor"),
            field("mean_rate_hz"),
            total,
            field("peak_rss_mb")
        );
    }
    Ok(())
}

/// Resident and peak resident memory (MB) of this process.
fn rss_mb() -> (f64, f64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |k: &str| {
        status
            .lines()
            .find(|l| l.starts_with(k))
            .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
            .map_or(0.0, |kb| kb / 1024.0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// `neuroplast bench growth`: the structural step's cost per biological second and its share of
/// the total, and memory at the start and the end of the run.
fn bench_growth(duration_s: f64, neurons: u32, threads: Option<usize>) -> Result<()> {
    // The same pool as `run`'s, so `--threads 0` is refused the same way.
    super::run::in_pool(threads, || -> Result<()> {
        let t0 = std::time::Instant::now();
        let mut sim = neuroplast::scene::Scene::parse(
            &neuroplast::scene::benchmark::growth_scene(neurons, GROWTH_SYNAPSES_PER_NEURON, duration_s),
            "bench growth",
        )?
        .build(None)?;
        let build_s = t0.elapsed().as_secs_f64();
        let net = &sim.network;
        let steps_per_s = (1000.0 / net.dt_ms()).round() as u64;
        let seconds = duration_s.ceil().max(1.0) as u64;
        let mut report = neuroplast::sim::StepReport::with_capacity(net.num_neurons());
        say!(
            "growth benchmark: {} neurons, {} synapses, {} threads, built in {build_s:.2} s; pruning+regrowth on E->E and attention edges over E every 100 ms",
            net.num_neurons(),
            net.num_synapses(),
            rayon::current_num_threads()
        );
        say!(
            "{:>6} {:>10} {:>9} {:>10} {:>8} {:>8} {:>9} {:>8} {:>8}",
            "bio s",
            "synapses",
            "att.edges",
            "events",
            "wall s",
            "struct s",
            "struct %",
            "RSS MB",
            "peak MB"
        );
        let (mut wall_all, mut struct_all) = (0.0, 0.0);
        let mut first_rss = None;
        for sec in 1..=seconds {
            let (w0, s0) = (std::time::Instant::now(), sim.structural_times().total_s());
            let mut events = 0usize;
            let mut spikes = 0usize;
            for _ in 0..steps_per_s {
                sim.step(&mut report);
                events += report.events.len();
                spikes += report.spikes.len();
            }
            let (wall, st) = (w0.elapsed().as_secs_f64(), sim.structural_times().total_s() - s0);
            let net = &sim.network;
            wall_all += wall;
            struct_all += st;
            let (rss, peak) = rss_mb();
            first_rss.get_or_insert(rss);
            say!(
                "{sec:>6} {:>10} {:>9} {events:>10} {wall:>8.3} {st:>8.3} {:>8.1}% {rss:>8.1} {peak:>8.1}   ({:.2} Hz)",
                net.num_synapses(),
                super::run::attention_edges(&sim),
                100.0 * st / wall,
                spikes as f64 / net.num_neurons() as f64,
            );
        }
        let (rss, peak) = rss_mb();
        say!(
            "per biological second: {:.3} s wall, of which {:.3} s structural ({:.1} %); RSS {:.1} MB after 1 s, {rss:.1} MB at the end, peak {peak:.1} MB",
            wall_all / seconds as f64,
            struct_all / seconds as f64,
            100.0 * struct_all / wall_all,
            first_rss.unwrap_or(0.0),
        );
        let t = sim.structural_times();
        let per_s = |x: f64| x / seconds as f64;
        let parts: Vec<String> = t.parts.iter().map(|(name, s)| format!("{name} {:.3} s", per_s(*s))).collect();
        say!(
            "structural parts per biological second: {}, rewiring the synapse table {:.3} s",
            parts.join(", "),
            per_s(t.rewire_s),
        );
        Ok(())
    })
}
