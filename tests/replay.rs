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

const NEST_HEADER: &str = "# NEST version: 3.10\n# RecordingBackendASCII version: 2\n";

#[test]
fn nest_ascii_files_of_two_virtual_processes_merge_in_time_order() {
    let d = dir("nest");
    let a = d.join("spikes-1065-0.dat");
    let b = d.join("spikes-1065-1.dat");
    std::fs::write(&a, format!("{NEST_HEADER}sender\ttime_ms\n3\t5.200\n1\t0.700\n")).unwrap();
    std::fs::write(&b, format!("{NEST_HEADER}sender\ttime_ms\n2\t0.700\n4\t12.000\n")).unwrap();
    let rec = Recording::read(&[a.clone(), b.clone()], 0.1).unwrap();
    assert_eq!(rec.neurons, [0, 1, 2, 3], "NEST's node ids from 1 become ours from 0, sorted by time then id");
    assert_eq!(rec.times_ms, [0.7, 0.7, 5.2, 12.0]);
    // `time_in_steps`: t = step dt − offset.
    let c = d.join("steps-1065-0.dat");
    std::fs::write(&c, format!("{NEST_HEADER}sender\ttime_step\ttime_offset\n5\t20\t0.05\n")).unwrap();
    let rec = Recording::read(&[c], 0.1).unwrap();
    assert_eq!(rec.neurons, [4]);
    assert!((rec.times_ms[0] - 1.95).abs() < 1e-12, "{:?}", rec.times_ms);
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn bad_recordings_are_refused_naming_file_line_and_field() {
    let d = dir("bad");
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
        ("spikes.h5", "HDF".to_string(), "spikes.h5: HDF5 spike files (SONATA, NWB) are not read yet"),
    ];
    for (name, text, says) in cases {
        let p = d.join(name);
        std::fs::write(&p, text).unwrap();
        let e = Recording::read(&[p], 0.1).unwrap_err().to_string();
        assert!(e.contains(says), "{name}: {e}");
    }
    let e = Recording::read(&[d.join("missing.dat")], 0.1).unwrap_err().to_string();
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
    let sim = Scene::load(std::path::Path::new("scenes/cuba.ron")).unwrap().build(None).unwrap();
    let rec = Recording::read(std::slice::from_ref(&csv), sim.network.dt_ms()).unwrap();
    let (_, last, g) = stats(&rec, &sim.network);
    assert_eq!(g[0].spikes as u64, rep["spikes"].as_u64().unwrap());
    assert_eq!(last, rep["last_ms"].as_f64().unwrap());
    // Without --stats the app's view is not there yet, and it says so.
    let (ok, _, err) = neuroplast(&["replay", "--network", "scenes/cuba.ron", "--spikes", csv.to_str().unwrap()]);
    assert!(!ok && err.contains("--stats"), "{err}");
    std::fs::remove_dir_all(&d).unwrap();
}
