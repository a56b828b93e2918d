//! The `neuroplast` command line: run a scene headless, resume a snapshot, run the benchmarks.

mod cli;

use clap::{Parser, Subcommand};

/// A laboratory for plastic, growing spiking neural networks.
#[derive(Parser)]
#[command(name = "neuroplast", version, about, args_conflicts_with_subcommands = true)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    open: cli::open::OpenArgs,
}

#[derive(Subcommand)]
enum Command {
    /// Simulate a scene headless and print activity statistics.
    Run(cli::run::RunArgs),
    /// Continue a simulation from a snapshot file.
    Resume(cli::run::ResumeArgs),
    /// Render a scene offscreen to a video (mp4, webm, gif) or a PNG sequence, frame-locked to
    /// simulation time.
    Record(cli::record::RecordArgs),
    /// Import a connectome edge list (`Source,Target,Weight,Type`, with positions and classes) as a
    /// scene file.
    Import(cli::import::ImportArgs),
    /// Export a scene's (or a snapshot's) network as a graph: GraphML or GEXF.
    Export(cli::export::ExportArgs),
    /// The network's graph measures (degrees, reciprocity, components, clustering, triads, paths,
    /// communities, cores, betweenness), once or as a time series.
    Graph(cli::graph::GraphArgs),
    /// A recording made elsewhere (NEST's ascii spike files, our CSV) checked against its network:
    /// counts, span, rates and CV ISI per population (`--stats`, `--json`).
    Replay(cli::replay::ReplayArgs),
    /// Run the benchmark suite and print a table.
    Bench(cli::bench::BenchArgs),
    /// Continual-learning experiments on the shipped data.
    #[command(subcommand)]
    Learn(LearnTask),
    /// The maze-solving Continuous Thought Machine: evaluation and speed.
    #[command(subcommand)]
    Ctm(cli::ctm::CtmCommand),
}

#[derive(Subcommand)]
enum LearnTask {
    /// Five two-digit tasks in a row, with and without Synaptic Intelligence.
    SplitDigits(cli::learn::LearnArgs),
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Some(Command::Run(args)) => cli::run::run(args),
        Some(Command::Resume(args)) => cli::run::resume(args),
        Some(Command::Bench(args)) => cli::bench::bench(args),
        Some(Command::Import(args)) => cli::import::import_edges(args),
        Some(Command::Export(args)) => cli::export::export(args),
        Some(Command::Graph(args)) => cli::graph::graph(args),
        Some(Command::Replay(args)) => cli::replay::replay(args),
        Some(Command::Record(args)) => cli::record::record(args),
        Some(Command::Learn(LearnTask::SplitDigits(args))) => cli::learn::learn(args),
        Some(Command::Ctm(cmd)) => cli::ctm::ctm(cmd),
        None => cli::open::open(cli.open),
    };
    exit_status(result)
}

/// The exit status of a command's result, with its error on standard error: 0 done, 1 an error,
/// 130 stopped by Ctrl-C after writing its outputs, 141 (as a shell reports a process ended by a
/// closed pipe) when standard output was closed, quietly.
fn exit_status(result: anyhow::Result<()>) -> std::process::ExitCode {
    use std::io::Write;
    let Err(e) = result else { return std::process::ExitCode::SUCCESS };
    if e.is::<neuroplast::files::BrokenPipe>() {
        return std::process::ExitCode::from(141);
    }
    // Standard error may be closed too: nothing more can be said then.
    let _ =
        writeln!(std::io::stderr(), "{}: {e:#}", if e.is::<cli::interrupt::Interrupted>() { "note" } else { "error" });
    if e.is::<cli::interrupt::Interrupted>() {
        return std::process::ExitCode::from(cli::interrupt::EXIT_STATUS);
    }
    std::process::ExitCode::FAILURE
}
