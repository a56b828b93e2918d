//! `neuroplast bench`: the benchmark suite, each case a separate `neuroplast run` process so its
//! wall time and peak memory are its own.

use std::path::PathBuf;
use std::process::Command;

use anyhow::{Context, Result};
use clap::Args;

/// `neuroplast bench` options.
#[derive(Args)]
pub struct BenchArgs {
    /// Also run CUBA at 400,000 neurons / 32 M synapses (needs ~2 GB and minutes).
    #[arg(long)]
    pub large: bool,
    /// Biological time per case (cases with a protocol of their own keep it).
    #[arg(long, default_value = "1s")]
    pub duration: String,
}

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

/// Runs the suite and prints a table.
pub fn bench(args: BenchArgs) -> Result<()> {
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
    println!(
        "{:<22} {:>8} {:>11} {:>8} {:>8} {:>9} {:>9} {:>9} {:>9}",
        "case", "neurons", "synapses", "build s", "sim s", "realtime", "rate Hz", "total s", "peak MB"
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
        println!(
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
