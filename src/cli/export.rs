//! `neuroplast export SCENE --to graphml|gexf -o PATH`: the network (built, or simulated to `--at`
//! so grown and pruned structure shows; a snapshot exports as saved) as a graph file for Gephi,
//! Cytoscape and networkx.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result};
use clap::{Args, ValueEnum};

use neuroplast::files::{AtomicFile, FilePlan};
use neuroplast::io::graph_export::{gexf, graphml};
use neuroplast::io::nest_script::pynest_script;
use neuroplast::io::pynn_script::pynn_script;
use neuroplast::say;
use neuroplast::scene::{Scene, snapshot};
use neuroplast::sim::StepReport;

/// Graph formats.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum GraphFormat {
    /// GraphML (networkx, Cytoscape, yEd).
    Graphml,
    /// GEXF 1.2 (Gephi, networkx), with positions.
    Gexf,
    /// A standalone PyNEST (NEST 3) script, runnable under mpirun.
    Nest,
    /// A PyNN script (any PyNN backend).
    Pynn,
    /// A SONATA circuit folder (HDF5 nodes and edges, CSV types, JSON configs).
    Sonata,
}

/// `neuroplast export` options.
#[derive(Args)]
pub struct ExportArgs {
    /// A scene file, or a snapshot (exported as saved).
    pub input: PathBuf,
    /// The format.
    #[arg(long = "to", value_enum)]
    pub format: GraphFormat,
    /// The file to write (for SONATA, a folder that does not exist yet or is empty).
    #[arg(short, long)]
    pub out: PathBuf,
    /// Simulate a scene this long first (growth and pruning change the graph).
    #[arg(long, default_value = "0ms", value_parser = super::run::parse_time_ms)]
    pub at: f64,
    /// Seed for the scene's random draws (default: the scene's).
    #[arg(long)]
    pub seed: Option<u64>,
    /// SONATA: shuffle and deflate the ordered edge columns (half the bytes; h5py, NEST and BMTK
    /// read them, the libsonata wheel on PyPI cannot).
    #[arg(long)]
    pub compress: bool,
}

/// Builds (and runs) the network, then writes the graph.
pub fn export(a: ExportArgs) -> Result<()> {
    anyhow::ensure!(!a.compress || matches!(a.format, GraphFormat::Sonata), "--compress is for --to sonata");
    let plan = FilePlan::new().input("the input", &a.input);
    if let GraphFormat::Sonata = a.format {
        plan.output_folder("--out", &a.out)?;
    } else {
        plan.output("--out", Some(&a.out))?;
    }
    let started = Instant::now();
    let (sim, names) = network_at(&a.input, a.at, a.seed)?;
    let net = &sim.network;
    let mut left_out = Vec::new();
    let text = match a.format {
        GraphFormat::Graphml => graphml(net, &names),
        GraphFormat::Gexf => gexf(net, &names),
        GraphFormat::Nest => {
            let script = pynest_script(&sim, &a.input.display().to_string()).map_err(anyhow::Error::msg)?;
            left_out = script.left_out;
            script.text
        }
        GraphFormat::Sonata => return export_sonata(&sim, (&a.out, a.compress), started),
        GraphFormat::Pynn => {
            let script = pynn_script(&sim, &a.input.display().to_string()).map_err(anyhow::Error::msg)?;
            left_out = script.left_out;
            script.text
        }
    };
    AtomicFile::save(&a.out, text.as_bytes())?;
    say!(
        "wrote {} ({} neurons, {} synapses, {} gap junctions written both ways; edges summed per pair and kind)",
        a.out.display(),
        net.num_neurons(),
        net.num_synapses(),
        net.gap_junctions.partner.len() / 2
    );
    if sim.structural_rule::<neuroplast::growth::attention::AttentionEdges>().is_some() {
        say!("not exported: the attention edges (they are not synapses)");
    }
    for l in left_out {
        say!("not expressed in {}: {l}", if matches!(a.format, GraphFormat::Pynn) { "PyNN" } else { "NEST" });
    }
    Ok(())
}

/// The network of a scene built (with `seed`) and simulated for `at_ms`, with its populations'
/// neuron names; or of a snapshot as it was saved (`at_ms` must be 0 then).
pub fn network_at(
    input: &std::path::Path,
    at_ms: f64,
    seed: Option<u64>,
) -> Result<(neuroplast::engine::Simulation, Vec<Vec<String>>)> {
    let head = std::fs::read(input).with_context(|| format!("{}: cannot read", input.display()))?;
    if head.starts_with(b"NPSNAP") {
        anyhow::ensure!(at_ms == 0.0, "--at: a snapshot is taken as it was saved (at its own time)");
        return Ok((snapshot::decode(&head, &input.display().to_string())?, Vec::new()));
    }
    let scene = Scene::load(input)?;
    let mut sim = scene.build(seed)?;
    let steps = (at_ms / sim.network.dt_ms()).round() as u64;
    anyhow::ensure!(steps <= super::run::MAX_STEPS, "--at {at_ms} ms is more steps than one run takes");
    let mut report = StepReport::with_capacity(sim.network.num_neurons());
    sim.run(steps, &mut report, |_| {});
    let names = scene.file.populations.iter().map(|p| p.neuron_names.clone()).collect();
    Ok((sim, names))
}

/// Writes the SONATA circuit folder and says what it leaves out.
fn export_sonata(
    sim: &neuroplast::engine::Simulation,
    (out, compress): (&std::path::Path, bool),
    started: Instant,
) -> Result<()> {
    let built = started.elapsed().as_secs_f64();
    let report = neuroplast::io::sonata::export(sim, out, compress)?;
    say!(
        "wrote {} (SONATA: {} nodes, {} chemical edges, {} electrical edges; open circuit_config.json) — network ready in {built:.2} s, written in {:.2} s",
        out.display(),
        report.nodes,
        report.synapses,
        report.couplings,
        started.elapsed().as_secs_f64() - built
    );
    for l in report.left_out {
        say!("not in the circuit: {l}");
    }
    Ok(())
}
