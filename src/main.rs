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
        Some(Command::Record(args)) => cli::record::record(args),
        Some(Command::Learn(LearnTask::SplitDigits(args))) => cli::learn::learn(args),
        Some(Command::Ctm(cmd)) => cli::ctm::ctm(cmd),
        None => cli::open::open(cli.open),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
