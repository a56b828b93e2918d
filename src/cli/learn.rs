//! `neuroplast learn split-digits`: continual learning on the shipped digits, with and without
//! Synaptic Intelligence, printing accuracy per task.

use neuroplast::say;
use std::path::PathBuf;

use anyhow::Result;
use clap::Args;

use neuroplast::plasticity::digits::{Digits, HlopConfig, SplitDigitsConfig, run_split_digits, run_split_digits_hlop};

/// `neuroplast learn split-digits` options.
#[derive(Args)]
pub struct LearnArgs {
    /// Digits file (gzip CSV: 64 pixels 0..16 then the label per line).
    #[arg(long, default_value = "assets/digits.csv.gz")]
    pub data: PathBuf,
    /// SI strengths to compare (0 = no consolidation).
    #[arg(long, value_delimiter = ',', default_value = "0,0.1,0.3,1")]
    pub c: Vec<f64>,
    /// Seeds to average over.
    #[arg(long, default_value_t = 3)]
    pub seeds: u64,
    /// One output shared by all tasks (domain-incremental) instead of one head per task.
    #[arg(long)]
    pub shared_head: bool,
    /// Compare plain SGD with and without HLOP projection instead of SI strengths.
    #[arg(long)]
    pub hlop: bool,
}

/// Runs the comparison and prints a table.
pub fn learn(args: LearnArgs) -> Result<()> {
    anyhow::ensure!(args.seeds >= 1, "--seeds must be at least 1");
    anyhow::ensure!(args.c.iter().all(|c| c.is_finite() && *c >= 0.0), "--c values must be numbers >= 0");
    let data = Digits::load(&args.data).map_err(anyhow::Error::msg)?;
    say!("split digits: tasks 0/1 2/3 4/5 6/7 8/9, {} samples, {} seeds", data.images.len(), args.seeds);
    say!(
        "{:>6}  {:<38}  {:<38}  {:>6} {:>6} {:>9}",
        if args.hlop { "method" } else { "SI c" },
        "just learned (per task)",
        "after all tasks (per task)",
        "just",
        "final",
        "forgetting"
    );
    let runs: Vec<(String, Option<f64>, bool)> = if args.hlop {
        vec![("SGD".into(), None, false), ("HLOP".into(), None, true)]
    } else {
        args.c.iter().map(|&c| (format!("{c}"), Some(c), false)).collect()
    };
    for (label, c, project) in runs {
        let (mut just, mut fin) = (vec![0.0; 5], vec![0.0; 5]);
        for seed in 1..=args.seeds {
            let r = match c {
                Some(c) => run_split_digits(
                    &data,
                    &SplitDigitsConfig { c, seed, shared_head: args.shared_head, ..Default::default() },
                ),
                None => {
                    let cfg = SplitDigitsConfig { lr: 0.1, seed, shared_head: args.shared_head, ..Default::default() };
                    run_split_digits_hlop(&data, &cfg, &HlopConfig { project, ..Default::default() })
                }
            };
            for t in 0..5 {
                just[t] += r.just_learned[t] / args.seeds as f64;
                fin[t] += r.final_accuracy[t] / args.seeds as f64;
            }
        }
        let fmt = |v: &[f64]| v.iter().map(|a| format!("{a:.3}")).collect::<Vec<_>>().join(" ");
        let (mj, mf) = (just.iter().sum::<f64>() / 5.0, fin.iter().sum::<f64>() / 5.0);
        say!("{label:>6}  {:<38}  {:<38}  {mj:>6.3} {mf:>6.3} {:>9.3}", fmt(&just), fmt(&fin), mj - mf);
    }
    Ok(())
}
