//! Snapshots resume bit-identically; damaged or foreign files give clear errors.

use neuroplast::engine::Simulation;
use neuroplast::scene::{Scene, snapshot};
use neuroplast::sim::{SpikeLog, StepReport};

fn run(net: &mut Simulation, steps: u64) -> SpikeLog {
    let mut report = StepReport::with_capacity(net.network.num_neurons());
    let mut log = SpikeLog::default();
    net.run(steps, &mut report, |r| log.record(r));
    log
}

/// CUBA plus delays, a Poisson input, a step current and a spike list, so every kind of pending
/// state (delay ring, input cursors, refractory counters) crosses the snapshot.
fn scene() -> Simulation {
    let mut text = std::fs::read_to_string("scenes/cuba.ron").unwrap();
    text = text.replace(
        r#"weight: Constant("1.62 mV"), receptor: Excitatory),"#,
        r#"weight: Constant("1.62 mV"), delay: Uniform(low: "0 ms", high: "3 ms"), receptor: Excitatory),"#,
    );
    let tail = text.rfind(')').unwrap();
    text.insert_str(
        tail,
        r#"    inputs: [
        Poisson(target: "E", sources: 10, rate: "5 Hz", weight: "0.5 mV"),
        Current(target: "I", neurons: [0, 1, 2], amplitude: "400 pA", start: "100 ms", stop: "350 ms"),
        SpikeTimes(target: "E", spikes: [(3, "250 ms"), (4, "320.5 ms")], weight: "20 mV"),
    ],
"#,
    );
    Scene::parse(&text, "cuba+inputs").unwrap().build(Some(11)).unwrap()
}

#[test]
fn resumed_run_is_bit_identical_to_an_uninterrupted_one() {
    let mut whole = scene();
    assert!(!whole.network.synapses.delay.is_empty());
    let first = run(&mut whole, 2000);
    let tail_whole = run(&mut whole, 2000);

    let mut half = scene();
    let head = run(&mut half, 2000);
    assert_eq!(head, first);
    let bytes = snapshot::encode(&half);
    drop(half);
    let mut resumed = snapshot::decode(&bytes, "mem").unwrap();
    assert_eq!(resumed.network.step_count(), 2000);
    let tail_resumed = run(&mut resumed, 2000);
    assert!(tail_whole.len() > 1000, "the network is active");
    assert_eq!(tail_resumed, tail_whole);
    assert_eq!(resumed, whole);
}

#[test]
fn snapshot_file_round_trip() {
    let mut net = scene();
    run(&mut net, 500);
    let dir = std::env::temp_dir().join(format!("neuroplast-snap-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("state.npsnap");
    snapshot::save(&net, &path).unwrap();
    let loaded = snapshot::load(&path).unwrap();
    assert_eq!(loaded, net);
    // Compact: at most 12 bytes a synapse (target, f32 weight, delay) and 100 bytes a neuron.
    let size = std::fs::metadata(&path).unwrap().len() as usize;
    assert!(size < 12 * net.network.num_synapses() + 100 * net.network.num_neurons(), "{size} bytes");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn truncated_foreign_and_corrupted_files_are_refused_clearly() {
    let mut net = scene();
    run(&mut net, 10);
    let bytes = snapshot::encode(&net);
    let err = |b: &[u8]| snapshot::decode(b, "x.npsnap").unwrap_err().to_string();
    let e = err(&bytes[..bytes.len() / 2]);
    assert!(e.starts_with("x.npsnap: truncated"), "{e}");
    let e = err(&bytes[..10]);
    assert!(e.contains("truncated"), "{e}");
    let e = err(b"Scene(version: 1, dt: \"0.1 ms\")");
    assert!(e.contains("not a Neuroplast snapshot"), "{e}");
    let e = err(b"");
    assert!(e.contains("not a Neuroplast snapshot"), "{e}");
    let mut flipped = bytes.clone();
    let k = flipped.len() - 100;
    flipped[k] ^= 0x40;
    let e = err(&flipped);
    assert!(e.contains("checksum"), "{e}");
    let mut newer = bytes.clone();
    newer[8] = 99;
    let e = err(&newer);
    assert!(e.contains("version 99"), "{e}");
    let e = snapshot::load(std::path::Path::new("/nonexistent/dir/s.npsnap")).unwrap_err().to_string();
    assert!(e.starts_with("/nonexistent/dir/s.npsnap: "), "{e}");
}

#[test]
fn a_snapshot_written_by_an_earlier_build_of_this_format_resumes_as_it_did_there() {
    // tests/fixtures/growth_v6.npsnap: `neuroplast run scenes/growth.ron --duration 200ms
    // --save-snapshot growth_v6.npsnap` by the build of commit 9aa7e15 plus the conductance rise
    // times (format 6). Its Poisson-source populations are enum variants the engine numbers in
    // the file: a model added later must not renumber them. That build resumed it to 51 spikes in
    // the next 100 ms, as the format-5 file of commit 367756d had.
    let bytes = std::fs::read("tests/fixtures/growth_v6.npsnap").unwrap();
    let mut sim = snapshot::decode(&bytes, "growth_v6.npsnap").unwrap();
    assert_eq!(sim.network.time_ms(), 200.0);
    assert_eq!(run(&mut sim, 1000).len(), 51);
}

#[test]
fn a_snapshot_of_the_previous_format_is_refused_with_both_versions() {
    // growth_v5.npsnap was written by commit 367756d (format 5, before the rise times).
    let bytes = std::fs::read("tests/fixtures/growth_v5.npsnap").unwrap();
    let e = snapshot::decode(&bytes, "growth_v5.npsnap").map(|_| ()).unwrap_err().to_string();
    assert!(e.contains("growth_v5.npsnap") && e.contains("version 5") && e.contains("reads 6"), "{e}");
}
