//! `neuroplast bench replay`: a large recording replayed without a window — the index's build, jumps
//! to times across the recording, playback against the recording's own time, and the memory it
//! takes beyond the network. The recording comes from `tools/make_big_recording.py` (1 M neurons,
//! 1 B spikes by default; not committed).

use std::path::Path;
use std::time::Instant;

use anyhow::{Context, Result};

use neuroplast::io::replay::{ReplayFeed, Replayed, SEEK_LOOKBACK_MS, open_source};
use neuroplast::say;
use neuroplast::scene::Scene;
use neuroplast::sim::StepReport;

/// Jumps timed across the recording.
const SEEKS: usize = 20;

/// A process's memory figure from /proc/self/status (`VmRSS`, `VmHWM`) in bytes, when there is one.
fn status_bytes(field: &str) -> Option<u64> {
    let text = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = text.lines().find(|l| l.starts_with(field))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

fn gib(bytes: u64) -> f64 {
    bytes as f64 / (1u64 << 30) as f64
}

/// Replays `spikes` into the network of `network` and prints the figures; `play_ms` of recorded
/// time are played from the recording's middle.
pub fn bench_replay(network: &Path, spikes: &Path, play_ms: f64) -> Result<()> {
    anyhow::ensure!(
        spikes.exists(),
        "{}: no such recording; make one with `python3 tools/make_big_recording.py --out {}`",
        spikes.display(),
        spikes.with_extension("").display()
    );
    anyhow::ensure!(play_ms.is_finite() && play_ms > 0.0, "--play-ms must be a positive time, got {play_ms}");
    let t = Instant::now();
    let mut sim = Scene::load(network).with_context(|| format!("{}: the network", network.display()))?.build(None)?;
    let net = &mut sim.network;
    let base = status_bytes("VmRSS").unwrap_or(0);
    say!(
        "network: {} neurons, built in {:.2} s, resident {:.2} GiB",
        net.num_neurons(),
        t.elapsed().as_secs_f64(),
        gib(base)
    );
    let t = Instant::now();
    let source = open_source(&[spikes.to_path_buf()], net).map_err(anyhow::Error::msg)?;
    let index_s = t.elapsed().as_secs_f64();
    let count = source.spike_count();
    let mut feed = ReplayFeed::new(source);
    let end = feed.end_ms();
    say!(
        "recording: {count} spikes over {:.1} s; index built in {:.3} s ({} bytes held)",
        end / 1000.0,
        index_s,
        feed.resident_bytes()
    );
    // Jumps to times spread over the recording, in a scrambled order (a scrub back and forth).
    let mut worst = 0.0f64;
    let mut total = 0.0;
    for k in 0..SEEKS {
        let at = end * ((k * 7 % SEEKS) as f64 + 0.5) / SEEKS as f64;
        let t = Instant::now();
        feed.seek(net, at).map_err(anyhow::Error::msg)?;
        let ms = t.elapsed().as_secs_f64() * 1000.0;
        worst = worst.max(ms);
        total += ms;
    }
    say!(
        "seek ({SEEKS} jumps, each leaving the last {:.0} ms imposed): mean {:.1} ms, max {:.1} ms",
        SEEK_LOOKBACK_MS,
        total / SEEKS as f64,
        worst
    );
    {
        // Where a jump's time goes: reading its lookback from the file.
        let (mut buf, dt) = (Vec::new(), net.dt_ms());
        let g = (end / 2.0 / dt) as u64;
        let t = Instant::now();
        let back = (SEEK_LOOKBACK_MS / dt) as u64;
        feed_source_read(&feed, g.saturating_sub(back), g, dt, &mut buf)?;
        say!("  of which reading them ({} spikes): {:.1} ms", buf.len(), t.elapsed().as_secs_f64() * 1000.0);
    }
    // Playback from the middle.
    feed.seek(net, end / 2.0).map_err(anyhow::Error::msg)?;
    let steps = (play_ms / net.dt_ms()).round() as u64;
    let mut report = StepReport::with_capacity(net.num_neurons());
    let (mut played, mut spikes_seen) = (0u64, 0u64);
    let t = Instant::now();
    for _ in 0..steps {
        if feed.step(net, &mut report).map_err(anyhow::Error::msg)? != Replayed::Step {
            break;
        }
        played += 1;
        spikes_seen += report.spikes.len() as u64;
    }
    let wall = t.elapsed().as_secs_f64();
    let recorded_ms = played as f64 * net.dt_ms();
    say!(
        "playback: {recorded_ms:.0} ms of recording ({spikes_seen} spikes) in {:.3} s: {:.2}x the recording's real time, {:.1} M spikes/s",
        wall,
        recorded_ms / 1000.0 / wall,
        spikes_seen as f64 / wall / 1e6
    );
    app_frames(network, spikes)?;
    if let Some(peak) = status_bytes("VmHWM") {
        say!(
            "memory: peak resident {:.2} GiB, {:.3} GiB beyond the network (the file is {:.1} GiB)",
            gib(peak),
            gib(peak.saturating_sub(base)),
            gib(std::fs::metadata(spikes).map(|m| m.len()).unwrap_or(0))
        );
    }
    Ok(())
}

fn feed_source_read(feed: &ReplayFeed, from: u64, to: u64, dt: f64, out: &mut Vec<(u64, u32)>) -> Result<()> {
    feed.source().read_grid(from, to, dt, out).map_err(anyhow::Error::msg)
}

/// The app's CPU work per frame while it replays (headless).
#[cfg(feature = "app")]
fn app_frames(network: &Path, spikes: &Path) -> Result<()> {
    neuroplast::app::bench::bench_replay_frames(network, spikes, 120)
}

/// Without the app there are no frames to measure.
#[cfg(not(feature = "app"))]
fn app_frames(_network: &Path, _spikes: &Path) -> Result<()> {
    say!("app frames: not measured (built without the app)");
    Ok(())
}
