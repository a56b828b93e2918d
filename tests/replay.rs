//! Replaying recordings made elsewhere (issue 18, first part): NEST's ascii spike files (one per
//! virtual process, both time formats) and our CSV are read, merged, sorted and checked against
//! the network; `replay --stats` prints what `run` would; bad files are refused naming file, line
//! and field.

use std::path::PathBuf;
use std::process::Command;

use neuroplast::io::recording::{Recording, stats};
use neuroplast::scene::Scene;
use serde_json::Value;

fn neuroplast(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_neuroplast")).args(args).output().unwrap();
    (out.status.success(), String::from_utf8_lossy(&out.stdout).into(), String::from_utf8_lossy(&out.stderr).into())
}

fn dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("np-replay-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// The network the recordings are of: CUBA (E 3,200 and I 800 neurons, dt 0.1 ms).
fn cuba() -> neuroplast::engine::Simulation {
    Scene::load(std::path::Path::new("scenes/cuba.ron")).unwrap().build(None).unwrap()
}

const NEST_HEADER: &str = "# NEST version: 3.10\n# RecordingBackendASCII version: 2\n";

#[test]
fn nest_ascii_files_of_two_virtual_processes_merge_in_time_order() {
    let d = dir("nest");
    let a = d.join("spikes-1065-0.dat");
    let b = d.join("spikes-1065-1.dat");
    std::fs::write(&a, format!("{NEST_HEADER}sender\ttime_ms\n3\t5.200\n1\t0.700\n")).unwrap();
    std::fs::write(&b, format!("{NEST_HEADER}sender\ttime_ms\n2\t0.700\n4\t12.000\n")).unwrap();
    let sim = cuba();
    let rec = Recording::read(&[a.clone(), b.clone()], &sim.network).unwrap();
    assert_eq!(rec.neurons, [0, 1, 2, 3], "NEST's node ids from 1 become ours from 0, sorted by time then id");
    assert_eq!(rec.times_ms, [0.7, 0.7, 5.2, 12.0]);
    // `time_in_steps`: t = step dt − offset.
    let c = d.join("steps-1065-0.dat");
    std::fs::write(&c, format!("{NEST_HEADER}sender\ttime_step\ttime_offset\n5\t20\t0.05\n")).unwrap();
    let rec = Recording::read(&[c], &sim.network).unwrap();
    assert_eq!(rec.neurons, [4]);
    assert!((rec.times_ms[0] - 1.95).abs() < 1e-12, "{:?}", rec.times_ms);
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn bad_recordings_are_refused_naming_file_line_and_field() {
    let d = dir("bad");
    let sim = cuba();
    let cases = [
        (
            "garbled.dat",
            format!("{NEST_HEADER}sender\ttime_ms\n1\t0.5\nx\t0.7\n"),
            "garbled.dat:5: sender `x` is not a node id",
        ),
        (
            "zero.dat",
            format!("{NEST_HEADER}sender\ttime_ms\n0\t0.5\n"),
            "zero.dat:4: sender 0: NEST node ids start at 1",
        ),
        (
            "nan.dat",
            format!("{NEST_HEADER}sender\ttime_ms\n1\tNaN\n"),
            "nan.dat:4: time_ms NaN must be a finite time >= 0",
        ),
        ("short.dat", format!("{NEST_HEADER}sender\ttime_ms\n1\n"), "short.dat:4: 1 fields where the header names 2"),
        ("header.dat", format!("{NEST_HEADER}gid\ttime\n1\t0.5\n"), "header.dat:3: expected NEST's column header"),
        ("empty.dat", NEST_HEADER.to_string(), "empty.dat: has no column header"),
        ("csv.csv", "time_ms,neuron\n0.5,abc\n".to_string(), "csv.csv:2: neuron `abc` is not an id"),
        ("head.csv", "t,n\n".to_string(), "head.csv:1: the header must be `time_ms,neuron`"),
        ("spikes.h5", "HDF".to_string(), "spikes.h5: not a readable HDF5 file"),
    ];
    for (name, text, says) in cases {
        let p = d.join(name);
        std::fs::write(&p, text).unwrap();
        let e = Recording::read(&[p], &sim.network).unwrap_err().to_string();
        assert!(e.contains(says), "{name}: {e}");
    }
    let e = Recording::read(&[d.join("missing.dat")], &sim.network).unwrap_err().to_string();
    assert!(e.contains("missing.dat: cannot be read"), "{e}");
    // A neuron the network does not have.
    let p = d.join("far.dat");
    std::fs::write(&p, format!("{NEST_HEADER}sender\ttime_ms\n99999\t1.0\n")).unwrap();
    let (ok, _, err) =
        neuroplast(&["replay", "--network", "scenes/default.ron", "--spikes", p.to_str().unwrap(), "--stats"]);
    assert!(!ok && err.contains("names neuron 99998") && err.contains("1064 neurons"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    std::fs::remove_dir_all(&d).unwrap();
}

/// A run's own spikes, replayed, give the run's counts and rates.
#[test]
fn a_runs_spikes_replay_with_the_runs_statistics() {
    let d = dir("csv");
    let csv = d.join("spikes.csv");
    let (ok, out, err) =
        neuroplast(&["run", "scenes/cuba.ron", "--duration", "300ms", "--spikes", csv.to_str().unwrap(), "--json"]);
    assert!(ok, "{err}");
    let run: Value = serde_json::from_str(out.trim()).unwrap();
    let (ok, out, err) =
        neuroplast(&["replay", "--network", "scenes/cuba.ron", "--spikes", csv.to_str().unwrap(), "--json"]);
    assert!(ok, "{err}");
    let rep: Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(rep["spikes"], run["spikes"], "every spike read back");
    assert!(rep["last_ms"].as_f64().unwrap() <= 300.0);
    let groups = rep["groups"].as_array().unwrap();
    assert_eq!(groups[0]["name"], "all");
    assert_eq!(groups[0]["neurons"].as_u64(), Some(4000));
    let per_pop: u64 = groups[1..].iter().map(|g| g["spikes"].as_u64().unwrap()).sum();
    assert_eq!(per_pop, groups[0]["spikes"].as_u64().unwrap(), "populations add up");
    // The library's view agrees with the command's.
    let sim = cuba();
    let rec = Recording::read(std::slice::from_ref(&csv), &sim.network).unwrap();
    let (_, last, g) = stats(&rec, &sim.network);
    assert_eq!(g[0].spikes as u64, rep["spikes"].as_u64().unwrap());
    assert_eq!(last, rep["last_ms"].as_f64().unwrap());
    // Without --stats the app opens (tests/render.rs); `--out` belongs to the statistics, and a
    // spike file that is not there is named before any window opens.
    let (ok, _, err) =
        neuroplast(&["replay", "--network", "scenes/cuba.ron", "--spikes", csv.to_str().unwrap(), "--out", "x.csv"]);
    assert!(!ok && err.contains("--out writes the merged spikes with --stats"), "{err}");
    let (ok, _, err) = neuroplast(&["replay", "--network", "scenes/cuba.ron", "--spikes", "nowhere.dat"]);
    assert!(!ok && err.contains("nowhere.dat: no such spike file"), "{err}");
    std::fs::remove_dir_all(&d).unwrap();
}

/// SONATA spike files in both layouts and NWB units (h5py fixtures from
/// `tools/make_spike_fixtures.py`) read with their ids mapped to the network's and their times in
/// ms; a population the network lacks, an unsorted `by_time` table and ids beyond a population are
/// refused naming the dataset.
#[test]
fn sonata_and_nwb_spike_files_read_with_ids_and_times() {
    let sim = cuba();
    let fixture = |name: &str| PathBuf::from(format!("tests/fixtures/spikes/{name}"));
    let close = |ours: &[f64], want: &[f64]| {
        assert_eq!(ours.len(), want.len(), "{ours:?} vs {want:?}");
        assert!(ours.iter().zip(want).all(|(a, b)| (a - b).abs() < 1e-9), "{ours:?} vs {want:?}");
    };
    // E's node ids are E's own (E starts at 0), I's start at 3200; I's times are in seconds.
    let rec = Recording::read(&[fixture("sonata.h5")], &sim.network).unwrap();
    assert_eq!(rec.neurons, [5, 0, 3200, 3199, 3999, 5]);
    close(&rec.times_ms, &[0.5, 1.0, 1.0, 2.5, 4.0, 7.25]);
    // The older layout: global ids.
    let rec = Recording::read(&[fixture("sonata_gids.h5")], &sim.network).unwrap();
    assert_eq!(rec.neurons, [1, 3999, 3200]);
    close(&rec.times_ms, &[1.5, 2.0, 3.0]);
    // NWB: unit 10 spiked twice, 3300 never, 42 once; seconds become ms.
    let rec = Recording::read(&[fixture("units.nwb")], &sim.network).unwrap();
    assert_eq!(rec.neurons, [42, 10, 10]);
    close(&rec.times_ms, &[5.5, 10.0, 20.0]);
    // All three at once merge in time order.
    let all = Recording::read(&[fixture("sonata.h5"), fixture("sonata_gids.h5"), fixture("units.nwb")], &sim.network);
    assert_eq!(all.unwrap().neurons.len(), 12);
    // Against networks they are not of, and a table that breaks its own sorting.
    let small = Scene::load(std::path::Path::new("scenes/default.ron")).unwrap().build(None).unwrap();
    let e = Recording::read(&[fixture("sonata.h5")], &small.network).unwrap_err().to_string();
    assert!(e.contains("/spikes/E/node_ids: row 2: node id 3199, but the population has 800 neurons"), "{e}");
    let worm = Scene::load(std::path::Path::new("scenes/celegans.ron")).unwrap().build(None).unwrap();
    let e = Recording::read(&[fixture("sonata.h5")], &worm.network).unwrap_err().to_string();
    assert!(e.contains("/spikes/E: the network has no population `E`"), "{e}");
    let e = Recording::read(&[fixture("sonata_unsorted.h5")], &sim.network).unwrap_err().to_string();
    assert!(e.contains("/spikes/E/timestamps: says `sorting = by_time` but row 2 comes before row 1"), "{e}");
    // Through the command.
    let (ok, out, err) = neuroplast(&[
        "replay",
        "--network",
        "scenes/cuba.ron",
        "--spikes",
        "tests/fixtures/spikes/units.nwb",
        "--json",
    ]);
    assert!(ok, "{err}");
    let v: Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(v["spikes"].as_u64(), Some(3));
}

/// A run cut short: a file ending mid-row keeps the rows before it and says so; files of one run
/// ending far apart are noted; a virtual process's file left out is refused, naming it; a file
/// NEST is still writing is followed as it grows.
#[test]
fn cut_files_play_to_their_end_a_missing_process_is_named_and_a_growing_file_is_followed() {
    let d = dir("cut");
    let sim = cuba();
    let a = d.join("spikes-4001-0.dat");
    let b = d.join("spikes-4001-1.dat");
    std::fs::write(&a, format!("{NEST_HEADER}sender\ttime_ms\n3\t5.200\n1\t400.000\n7\t40")).unwrap();
    std::fs::write(&b, format!("{NEST_HEADER}sender\ttime_ms\n2\t0.700\n4\t120.000\n")).unwrap();
    let rec = Recording::read(&[a.clone(), b.clone()], &sim.network).unwrap();
    assert_eq!(rec.neurons, [1, 2, 3, 0], "the cut row `7 40` is left out");
    assert_eq!(rec.notes.len(), 2, "{:?}", rec.notes);
    assert!(rec.notes[0].contains("spikes-4001-0.dat:6: the file ends mid-row (`7\t40`)"), "{:?}", rec.notes);
    assert!(rec.notes[1].contains("spikes-4001-1.dat ends at 120.0 ms but"), "{:?}", rec.notes);
    // Virtual processes 0 and 2 without 1.
    let c = d.join("spikes-4001-2.dat");
    std::fs::write(&c, format!("{NEST_HEADER}sender\ttime_ms\n5\t1.000\n")).unwrap();
    let e = Recording::read(&[a.clone(), c.clone()], &sim.network).unwrap_err().to_string();
    assert!(e.contains("spikes-4001-2.dat: is virtual process 2, but spikes-4001-1.dat is not given"), "{e}");
    // Following: the cut row is completed and more rows come, in both files.
    let mut rec = Recording::read(&[a.clone(), b.clone()], &sim.network).unwrap();
    assert!(!rec.follow().unwrap(), "nothing new yet");
    let append = |p: &PathBuf, s: &str| {
        use std::io::Write;
        std::fs::OpenOptions::new().append(true).open(p).unwrap().write_all(s.as_bytes()).unwrap();
    };
    append(&a, "0.000\n9\t450.5\n");
    append(&b, "6\t130.000\n8\t45");
    assert!(rec.follow().unwrap());
    assert_eq!(rec.neurons, [1, 2, 3, 5, 0, 6, 8], "new rows merged in time order; `8 45` waits");
    assert_eq!(rec.times_ms, [0.7, 5.2, 120.0, 130.0, 400.0, 400.0, 450.5]);
    std::fs::remove_dir_all(&d).unwrap();
}

/// A SONATA file sorted by time is streamed: every window of steps read through the index (with
/// samples every 7 rows, so the searches cross many of them) holds exactly the spikes the whole
/// file read in memory holds there; a jump through either leaves the same spike times; a table
/// that breaks its sorting is refused naming the dataset.
#[test]
fn a_time_sorted_sonata_file_streams_the_same_spikes_as_it_reads_whole() {
    use neuroplast::io::replay::{ReplayFeed, SpikeSource};
    use neuroplast::io::spike_index::SpikeIndex;
    let sim = cuba();
    let path = PathBuf::from("tests/fixtures/spikes/by_time.h5");
    assert!(SpikeIndex::can_stream(&path));
    assert!(!SpikeIndex::can_stream(std::path::Path::new("tests/fixtures/spikes/sonata.h5")), "I is unsorted");
    let streamed = SpikeIndex::open_sampled(&path, &sim.network, 7).unwrap();
    let whole = Recording::read(std::slice::from_ref(&path), &sim.network).unwrap();
    assert_eq!(streamed.len(), 2000);
    assert_eq!(streamed.end_ms(), whole.end_ms());
    let dt = sim.network.dt_ms();
    let mut from = 0u64;
    for width in [1u64, 3, 17, 256, 5, 999, 2, 3000].iter().cycle().take(40) {
        let (mut a, mut b) = (Vec::new(), Vec::new());
        streamed.read_grid(from, from + width, dt, &mut a).unwrap();
        whole.read_grid(from, from + width, dt, &mut b).unwrap();
        a.sort_unstable();
        b.sort_unstable();
        assert_eq!(a, b, "grid {from}..{}", from + width);
        from = (from + width) % 2100;
    }
    let mut all = Vec::new();
    streamed.read_grid(0, u64::MAX / 2, dt, &mut all).unwrap();
    assert_eq!(all.len(), 2000);
    assert!(all.iter().any(|&(_, n)| n >= 3200), "I's ids start after E's");
    let (mut a, mut b) = (sim.network.clone(), sim.network.clone());
    let mut fa = ReplayFeed::new(Box::new(streamed));
    let mut fb = ReplayFeed::new(Box::new(whole));
    for t in [150.0, 20.0, 199.9, 0.0] {
        fa.seek(&mut a, t).unwrap();
        fb.seek(&mut b, t).unwrap();
        assert_eq!(a.neurons.last_spike, b.neurons.last_spike, "at {t} ms");
        assert_eq!(a.neurons.prev_spike, b.neurons.prev_spike, "at {t} ms");
    }
    let e = SpikeIndex::open_sampled(std::path::Path::new("tests/fixtures/spikes/sonata_unsorted.h5"), &sim.network, 1)
        .unwrap_err()
        .to_string();
    assert!(e.contains("/spikes/E/timestamps: says `sorting = by_time` but row 2 comes before row 1"), "{e}");
}

/// A scene and recording pair: the scene's `recording` names its spike files from the scene's
/// folder; a start that is not a time, a negative one, or no file at all is refused at the field.
#[test]
fn a_scenes_recording_names_its_files_and_is_checked() {
    let base = std::fs::read_to_string("scenes/default.ron").unwrap();
    let with =
        |rec: &str| base.trim_end().strip_suffix(')').unwrap().to_string() + &format!("    recording: {rec},\n)");
    let d = dir("pair");
    let path = d.join("pair.ron");
    std::fs::write(&path, with(r#"(spikes: ["out/spikes-1065-0.dat"], looping: true, at: "1.5 s")"#)).unwrap();
    let scene = Scene::load(&path).unwrap();
    assert_eq!(scene.recording_files().unwrap(), [d.join("out/spikes-1065-0.dat")]);
    assert!(scene.build(None).is_ok());
    for (rec, says) in [
        (r#"(spikes: ["a.dat"], at: "5 mV")"#, "recording.at"),
        (r#"(spikes: ["a.dat"], at: "-1 ms")"#, "recording.at"),
        (r#"(spikes: [])"#, "field `recording.spikes`: names no spike file"),
    ] {
        std::fs::write(&path, with(rec)).unwrap();
        let e = match Scene::load(&path).map(|s| s.build(None)) {
            Ok(Ok(_)) => panic!("{rec} was accepted"),
            Ok(Err(e)) => e.to_string(),
            Err(e) => e.to_string(),
        };
        assert!(e.contains(says), "{rec}: {}", &e[..e.len().min(400)]);
    }
    std::fs::remove_dir_all(&d).unwrap();
}

/// A NEST multimeter file among the spike files gives the recorded neurons' potentials: a replay
/// sets them in their steps and after a jump, only for the neurons recorded; a multimeter file
/// without V_m, a NaN potential or a neuron the network lacks is refused naming line and field.
#[test]
fn a_multimeters_potentials_are_replayed_into_the_recorded_neurons() {
    use neuroplast::io::replay::{ReplayFeed, Replayed};
    let d = dir("vm");
    let sim = cuba();
    let spikes = d.join("spikes-4001-0.dat");
    let vm = d.join("multimeter-4002-0.dat");
    std::fs::write(&spikes, format!("{NEST_HEADER}sender\ttime_ms\n4\t1.500\n")).unwrap();
    std::fs::write(
        &vm,
        format!("{NEST_HEADER}sender\ttime_ms\tV_m\tg_ex\n4\t1.000\t-58.25\t0.0\n6\t1.000\t-61.0\t0.0\n4\t2.000\t-52.5\t0.0\n"),
    )
    .unwrap();
    let rec = Recording::read(&[spikes.clone(), vm.clone()], &sim.network).unwrap();
    assert_eq!(rec.neurons, [3], "the multimeter's rows are not spikes");
    assert_eq!(rec.voltages.recorded, [3, 5]);
    let mut net = sim.network.clone();
    let rest = net.neurons.v[7];
    let mut feed = ReplayFeed::new(Box::new(rec));
    assert!(feed.has_voltages() && feed.records_voltage(3) && !feed.records_voltage(7));
    let mut report = neuroplast::sim::StepReport::default();
    let mut v3 = Vec::new();
    while feed.step(&mut net, &mut report).unwrap() == Replayed::Step {
        v3.push(net.neurons.v[3]);
    }
    assert_eq!(v3.len(), 20, "the feed plays to the last sample at 2.0 ms");
    assert_eq!((v3[9], v3[14], v3[19]), (-58.25, -58.25, -52.5), "set in the step of each sample, held between");
    assert_eq!((net.neurons.v[5], net.neurons.v[7]), (-61.0, rest), "unrecorded neurons keep their potential");
    feed.seek(&mut net, 1.2).unwrap();
    assert_eq!(net.neurons.v[3], -58.25, "after a jump, the last sample before it");
    for (text, says) in [
        ("sender\ttime_ms\tg_ex\n4\t1.0\t0.0\n", "the multimeter recorded no `V_m`"),
        ("sender\ttime_ms\tV_m\n4\t1.0\tNaN\n", "multimeter-4002-0.dat:4: V_m NaN is not a finite number"),
        ("sender\ttime_ms\tV_m\n4\t1.0\n", "multimeter-4002-0.dat:4: 2 fields where the header names 3"),
        ("sender\ttime_ms\tV_m\n9999\t1.0\t-60.0\n", "the multimeter recorded neuron 9998"),
    ] {
        std::fs::write(&vm, format!("{NEST_HEADER}{text}")).unwrap();
        let e = match Recording::read(std::slice::from_ref(&vm), &sim.network) {
            Ok(r) => r.check_against(&sim.network).map(|_| "accepted".to_string()).unwrap_or_else(|e| e),
            Err(e) => e.to_string(),
        };
        assert!(e.contains(says), "{text}: {e}");
    }
    std::fs::remove_dir_all(&d).unwrap();
}

/// A text recording too large to read whole here is refused before anything is read (a sparse
/// file of 200 GB: nothing is allocated), pointing to the streamed format.
#[test]
fn a_recording_too_large_to_read_whole_is_refused_before_reading() {
    let d = dir("huge");
    let p = d.join("spikes-4001-0.dat");
    std::fs::File::create(&p).unwrap().set_len(200 << 30).unwrap();
    let sim = cuba();
    let e = Recording::read(std::slice::from_ref(&p), &sim.network).unwrap_err().to_string();
    assert!(e.contains("spikes-4001-0.dat: read whole it would need about 859.0 GB"), "{e}");
    assert!(e.contains("SONATA spike file sorted by time"), "{e}");
    std::fs::remove_dir_all(&d).unwrap();
}
