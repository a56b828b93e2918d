//! `neuroplast graph SCENE [--at 2s] [--json]`: the network's graph measures after simulating to
//! `--at`; with `--every 500ms --out graph.csv`, their time series while it prunes and grows.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::Result;
use clap::Args;

use neuroplast::analysis::graph::{Effort, GraphMeasures, SmallWorldEffort, SynapseGraph, small_world};
use neuroplast::files::{AtomicFile, FilePlan};
use neuroplast::say;
use neuroplast::sim::StepReport;

/// `neuroplast graph` options.
#[derive(Args)]
pub struct GraphArgs {
    /// A scene file, or a snapshot (measured as saved).
    pub input: PathBuf,
    /// Simulate a scene this long first (growth and pruning change the graph).
    #[arg(long, default_value = "0ms", value_parser = super::run::parse_time_ms)]
    pub at: f64,
    /// With `--out`: measure at 0 and then every this much simulated time up to `--at`.
    #[arg(long, value_parser = super::run::parse_time_ms)]
    pub every: Option<f64>,
    /// The CSV file the `--every` time series goes to.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Print one JSON object instead of the table.
    #[arg(long)]
    pub json: bool,
    /// Path lengths and betweenness from at most this many source neurons (exact below it).
    #[arg(long, default_value_t = Effort::default().sources)]
    pub sources: usize,
    /// Clustering, triads and the rich club only up to this many edges.
    #[arg(long, default_value_t = Effort::default().local_edges)]
    pub local_edges: usize,
    /// Seed for the scene's random draws (default: the scene's).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Also σ and ω against degree-preserving random and lattice references (networkx's
    /// definitions, on the largest connected component of the undirected graph).
    #[arg(long)]
    pub small_world: bool,
    /// Reference graphs of each kind for --small-world.
    #[arg(long, default_value_t = SmallWorldEffort::default().nrand)]
    pub nrand: u32,
    /// Rewirings per edge of σ's random references (ω's lattices get --niter / 20, at least 1).
    #[arg(long, default_value_t = SmallWorldEffort::default().niter_sigma)]
    pub niter: u32,
}

/// Measures the graph once, or as a time series.
pub fn graph(a: GraphArgs) -> Result<()> {
    anyhow::ensure!(a.sources >= 1, "--sources must be at least 1");
    let plan = FilePlan::new().input("the input", &a.input);
    let effort = Effort { sources: a.sources, local_edges: a.local_edges, triads: true };
    match (a.every, &a.out) {
        (None, None) => {}
        (Some(every), Some(out)) => {
            anyhow::ensure!(every > 0.0, "--every must be above 0 ms");
            anyhow::ensure!(a.at > 0.0, "--every needs --at: the time the series ends");
            plan.output("--out", Some(out))?;
            return series(&a, every, out, effort);
        }
        _ => anyhow::bail!("--every and --out go together (the time series is written as CSV)"),
    }
    let started = Instant::now();
    let (sim, _) = super::export::network_at(&a.input, a.at, a.seed)?;
    let g = SynapseGraph::of(&sim.network);
    let m = GraphMeasures::of(&g, sim.network.time_ms(), effort);
    anyhow::ensure!(a.nrand >= 1 && a.niter >= 1, "--nrand and --niter must be at least 1");
    let sw_effort = SmallWorldEffort {
        niter_sigma: a.niter,
        niter_omega: (a.niter / 20).max(1),
        nrand: a.nrand,
        seed: a.seed.unwrap_or(1),
    };
    let sw = a.small_world.then(|| small_world(&g.undirected(), sw_effort));
    if a.json {
        let mut v = serde_json::to_value(&m)?;
        if let (Some(sw), Some(obj)) = (sw, v.as_object_mut()) {
            obj.insert("small_world".into(), serde_json::to_value(sw)?);
        }
        say!("{v}");
    } else {
        say!("{}", table(&m));
        match sw {
            Some(Some(s)) => say!(
                "small world (largest connected component: {} neurons, {} undirected edges; {} references, {}/{} rewirings per edge, seed {}): sigma {}, omega {:.4} (C {:.4} vs random {:.4}, lattice {:.4}; L {:.3} vs random {:.3})",
                s.nodes,
                s.edges,
                sw_effort.nrand,
                sw_effort.niter_sigma,
                sw_effort.niter_omega,
                sw_effort.seed,
                s.sigma.map_or("undefined (no triangle in the random references)".into(), |v| format!("{v:.4}")),
                s.omega,
                s.transitivity,
                s.random_transitivity,
                s.lattice_clustering,
                s.path_length,
                s.random_path_length
            ),
            Some(None) => say!("small world: undefined (fewer than 4 connected neurons, or every pair connected)"),
            None => {}
        }
        say!("measured in {:.2} s (network ready and graph built included)", started.elapsed().as_secs_f64());
    }
    Ok(())
}

/// The measures as `name value` lines.
fn table(m: &GraphMeasures) -> String {
    let mut s = String::new();
    let mut line = |k: &str, v: String| {
        let _ = writeln!(s, "{k:<20} {v}");
    };
    line("time", format!("{} ms", m.time_ms));
    line("neurons", m.neurons.to_string());
    line(
        "edges",
        format!(
            "{} ({} chemical synapses; {} edges hold several, summed; {} self-loops)",
            m.edges, m.synapses, m.multapse_edges, m.self_loops
        ),
    );
    line("density", format!("{:.6}", m.density));
    line("reciprocity", format!("{:.4}", m.reciprocity));
    let spread =
        |x: &neuroplast::analysis::graph::Spread| format!("mean {:.3}, sd {:.3}, max {:.0}", x.mean, x.sd, x.max);
    line("in-degree", spread(&m.in_degree));
    line("out-degree", spread(&m.out_degree));
    line(
        "in-strength",
        format!(
            "mean {:.4}, sd {:.4}, max {:.4} (summed |w|, engine units)",
            m.in_strength.mean, m.in_strength.sd, m.in_strength.max
        ),
    );
    line("weak components", format!("{} (largest {} neurons)", m.weak_components, m.largest_weak));
    line("strong components", format!("{} (largest {} neurons)", m.strong_components, m.largest_strong));
    let or_skipped = |v: Option<f64>| v.map_or("skipped (more edges than --local-edges)".into(), |x| format!("{x:.4}"));
    line("clustering", or_skipped(m.clustering) + " (directed, Fagiolo)");
    line("transitivity", or_skipped(m.transitivity) + " (undirected)");
    if let Some(t) = &m.triads {
        let parts: Vec<String> = t.iter().map(|(k, v)| format!("{k} {v}")).collect();
        line("triads", parts.join(", "));
    }
    if m.paths.component >= 2 {
        line(
            "path length",
            format!(
                "{:.4} hops, {:.4} weighted (1/|w| per edge), diameter {} hops: within the largest strong component ({} of {} neurons; elsewhere some pairs have no path), from {} sources",
                m.paths.mean_hops,
                m.paths.mean_weighted,
                m.paths.diameter,
                m.paths.component,
                m.neurons,
                m.paths.sources
            ),
        );
    } else {
        line("path length", "undefined: no strongly connected component of 2 or more neurons".into());
    }
    line(
        "communities",
        format!("{} (Louvain, undirected, weights summed both ways), modularity {:.4}", m.communities, m.modularity),
    );
    line("max core", format!("{} (total degree)", m.max_core));
    if let Some(rc) = &m.rich_club {
        let head: Vec<String> = rc.iter().take(8).map(|x| format!("{x:.3}")).collect();
        line("rich club", format!("φ(0..) {}{}", head.join(", "), if rc.len() > 8 { ", …" } else { "" }));
    }
    line("betweenness", format!("max {:.5} (normalised), from {} sources", m.max_betweenness, m.betweenness_sources));
    s.trim_end().to_string()
}

/// Writes the time series of the scalar measures every `every` ms up to `--at`.
fn series(a: &GraphArgs, every: f64, out: &std::path::Path, effort: Effort) -> Result<()> {
    let (mut sim, _) = super::export::network_at(&a.input, 0.0, a.seed)?;
    let dt = sim.network.dt_ms();
    let step = ((every / dt).round() as u64).max(1);
    let last = (a.at / dt).round() as u64;
    anyhow::ensure!(last <= super::run::MAX_STEPS, "--at {} ms is more steps than one run takes", a.at);
    let mut csv = String::from(
        "time_ms,neurons,edges,synapses,density,reciprocity,mean_degree,largest_weak,largest_strong,clustering,transitivity,communities,modularity,mean_hops,max_core\n",
    );
    let mut report = StepReport::with_capacity(sim.network.num_neurons());
    let mut done = 0u64;
    loop {
        let g = SynapseGraph::of(&sim.network);
        let m = GraphMeasures::of(&g, sim.network.time_ms(), effort);
        let opt = |v: Option<f64>| v.map_or(String::new(), |x| format!("{x}"));
        let _ = writeln!(
            csv,
            "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}",
            m.time_ms,
            m.neurons,
            m.edges,
            m.synapses,
            m.density,
            m.reciprocity,
            m.out_degree.mean,
            m.largest_weak,
            m.largest_strong,
            opt(m.clustering),
            opt(m.transitivity),
            m.communities,
            m.modularity,
            m.paths.mean_hops,
            m.max_core
        );
        if done >= last {
            break;
        }
        let n = step.min(last - done);
        sim.run(n, &mut report, |_| {});
        done += n;
    }
    AtomicFile::save(out, csv.as_bytes())?;
    say!("wrote {} ({} rows, every {} ms to {} ms)", out.display(), csv.lines().count() - 1, step as f64 * dt, a.at);
    Ok(())
}
