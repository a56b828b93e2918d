//! `neuroplast replay --network NET --spikes FILE... --stats`: a recording made elsewhere (NEST's
//! ascii files, one per virtual process; our CSV) checked against the network it came from, with
//! what `run` prints for a simulation.

use std::path::PathBuf;

use anyhow::Result;
use clap::Args;

use std::fmt::Write as _;

use neuroplast::files::{AtomicFile, FilePlan};
use neuroplast::io::recording::{Recording, stats};
use neuroplast::say;

/// `neuroplast replay` options.
#[derive(Args)]
pub struct ReplayArgs {
    /// The network the recording is of: a scene (as exported with `export --to nest`) or a
    /// snapshot.
    #[arg(long)]
    pub network: PathBuf,
    /// Spike files: NEST ascii `.dat` (all of a run's virtual processes) or `time_ms,neuron` CSV.
    #[arg(long, num_args = 1.., required = true)]
    pub spikes: Vec<PathBuf>,
    /// Print the recording's statistics (neurons, spikes, span, rates, CV ISI per population).
    #[arg(long)]
    pub stats: bool,
    /// The statistics as JSON.
    #[arg(long)]
    pub json: bool,
    /// Also write the merged, sorted spikes as `time_ms,neuron` CSV (our ids) to this file.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// In the app: at the end, jump back to the start.
    #[arg(long = "loop")]
    pub looping: bool,
    /// In the app: follow NEST files a running job is still writing, showing the newest time.
    #[arg(long)]
    pub follow: bool,
    /// How the app shows the replay (without `--stats`).
    #[command(flatten)]
    pub view: super::open::ViewArgs,
}

/// Without `--stats`: opens the app replaying the recording into the network; with it, reads the
/// recording, checks it against the network and prints its statistics.
pub fn replay(a: ReplayArgs) -> Result<()> {
    if !(a.stats || a.json) {
        anyhow::ensure!(a.out.is_none(), "--out writes the merged spikes with --stats or --json");
        for f in &a.spikes {
            anyhow::ensure!(f.exists(), "{}: no such spike file", f.display());
        }
        let request =
            neuroplast::io::replay::ReplayRequest { files: a.spikes.clone(), looping: a.looping, follow: a.follow };
        return replay_in_app(a, request);
    }
    let mut plan = FilePlan::new().input("--network", &a.network);
    for s in &a.spikes {
        plan = plan.input("--spikes", s);
    }
    let _plan = plan.output("--out", a.out.as_deref())?;
    let (sim, _) = super::export::network_at(&a.network, 0.0, None)?;
    let net = &sim.network;
    let rec = Recording::read(&a.spikes, net)?;
    rec.check_against(net)
        .map_err(|m| anyhow::anyhow!("{} against {}: {m}", a.spikes[0].display(), a.network.display()))?;
    if let Some(out) = &a.out {
        let mut text = String::from("time_ms,neuron\n");
        for (t, n) in rec.times_ms.iter().zip(&rec.neurons) {
            let _ = writeln!(text, "{t},{n}");
        }
        AtomicFile::save(out, text.as_bytes())?;
    }
    let (first, last, groups) = stats(&rec, net);
    if a.json {
        let v = serde_json::json!({
            "files": rec.files.len(),
            "spikes": rec.neurons.len(),
            "first_ms": first,
            "last_ms": last,
            "groups": groups,
            "notes": rec.notes,
            "voltages": {"neurons": rec.voltages.recorded.len(), "samples": rec.voltages.neurons.len()},
        });
        say!("{v}");
        return Ok(());
    }
    say!("recording: {} files, {} spikes from {first:.3} to {last:.3} ms", rec.files.len(), rec.neurons.len());
    for note in &rec.notes {
        say!("note: {note}");
    }
    if !rec.voltages.is_empty() {
        say!("membrane potentials: {} samples of {} neurons", rec.voltages.neurons.len(), rec.voltages.recorded.len());
    }
    say!("{:<16} {:>9} {:>10} {:>10} {:>8}", "group", "neurons", "spikes", "rate (Hz)", "CV ISI");
    for g in &groups {
        let cv = g.mean_cv_isi.map_or("-".to_string(), |c| format!("{c:.3}"));
        say!("{:<16} {:>9} {:>10} {:>10.3} {:>8}", g.name, g.neurons, g.spikes, g.mean_rate_hz, cv);
    }
    Ok(())
}

/// Opens the app replaying `request` into `--network`.
#[cfg(feature = "app")]
fn replay_in_app(a: ReplayArgs, request: neuroplast::io::replay::ReplayRequest) -> Result<()> {
    super::open::open_with(Some(a.network), a.view, Some(request))
}

/// Without the app, `--stats` is what a replay can do.
#[cfg(not(feature = "app"))]
fn replay_in_app(_a: ReplayArgs, _request: neuroplast::io::replay::ReplayRequest) -> Result<()> {
    anyhow::bail!("this build has no 3D app (--no-default-features): `replay --stats` prints what the recording holds")
}
