//! Standard output: a closed pipe ends quietly, a full disk is an error, `--json` is strict JSON
//! for every shipped scene, and Ctrl-C keeps the statistics and the snapshot.

use std::io::Read;
use std::process::{Command, Stdio};

fn neuroplast() -> Command {
    Command::new(env!("CARGO_BIN_EXE_neuroplast"))
}

#[test]
fn a_closed_pipe_ends_quietly_and_a_full_disk_is_an_error() {
    let mut child = neuroplast()
        .args(["run", "scenes/cuba.ron", "--duration", "50ms"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(141), "{err}");
    assert!(err.is_empty(), "a closed pipe is not an error to report: {err}");
    if let Ok(full) = std::fs::OpenOptions::new().write(true).open("/dev/full") {
        let out = neuroplast().args(["run", "scenes/cuba.ron", "--duration", "20ms"]).stdout(full).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{err}");
        assert!(err.contains("cannot write to standard output: No space left on device"), "{err}");
        assert!(!err.contains("panicked"), "{err}");
    }
}

/// Every number of a JSON value (nested), with its key path.
fn numbers(v: &serde_json::Value, path: &str, out: &mut Vec<(String, f64)>) {
    match v {
        serde_json::Value::Number(n) => out.push((path.to_string(), n.as_f64().unwrap())),
        serde_json::Value::Array(a) => a.iter().enumerate().for_each(|(k, x)| numbers(x, &format!("{path}[{k}]"), out)),
        serde_json::Value::Object(o) => o.iter().for_each(|(k, x)| numbers(x, &format!("{path}.{k}"), out)),
        _ => {}
    }
}

#[test]
fn json_is_strict_for_every_shipped_scene() {
    let mut scenes: Vec<_> = std::fs::read_dir("scenes").unwrap().map(|e| e.unwrap().path()).collect();
    scenes.sort();
    let mut checked = 0;
    for scene in scenes {
        let text = std::fs::read_to_string(&scene).unwrap();
        if text.contains("Ctm") || text.contains("maze") {
            continue;
        }
        let out = neuroplast().args(["run", scene.to_str().unwrap(), "--duration", "5ms", "--json"]).output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{}: {}", scene.display(), String::from_utf8_lossy(&out.stderr));
        let v: serde_json::Value = serde_json::from_str(&stdout)
            .unwrap_or_else(|e| panic!("{}: not strict JSON ({e}): {stdout}", scene.display()));
        let mut found = Vec::new();
        numbers(&v, "", &mut found);
        assert!(found.len() >= 10, "{}: {stdout}", scene.display());
        // A value that does not exist is null with its reason beside it.
        for key in ["mean_cv_isi", "branching_factor"] {
            let reason = &v[format!("{key}_reason")];
            assert_eq!(
                v[key].is_null() && v.get(key).is_some(),
                reason.is_string(),
                "{}: {key}: {stdout}",
                scene.display()
            );
        }
        if scene.ends_with("cuba.ron") {
            // 5 ms is too short for three spikes of one neuron at CUBA's rates.
            assert_eq!(v["mean_cv_isi_reason"], "no neuron has 3 spikes", "{stdout}");
        }
        checked += 1;
    }
    assert!(checked >= 7, "only {checked} network scenes");
}

#[test]
fn no_shipped_scene_prints_nan_or_inf_in_its_table() {
    for entry in std::fs::read_dir("scenes").unwrap() {
        let scene = entry.unwrap().path();
        if scene.to_string_lossy().contains("ctm") {
            continue;
        }
        let out = neuroplast().args(["run", scene.to_str().unwrap(), "--duration", "5ms"]).output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout).to_lowercase();
        assert!(out.status.success() && text.contains("mean rate"), "{}: {text}", scene.display());
        for word in text.split(|c: char| !c.is_ascii_alphanumeric()) {
            assert!(word != "nan" && word != "inf", "{}: {text}", scene.display());
        }
    }
}

#[test]
fn inhibitory_weights_are_summarised_against_their_own_bound() {
    let out = neuroplast().args(["run", "scenes/astro_liquid.ron", "--duration", "5ms", "--json"]).output().unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let summaries: Vec<_> =
        v.as_object().unwrap().iter().filter(|(k, _)| k.starts_with("weights:")).map(|(_, w)| w.clone()).collect();
    assert!(summaries.len() >= 6, "{v}");
    for w in summaries {
        let mean = w["mean_fraction"].as_f64().unwrap_or(f64::NAN);
        assert!((0.0..=1.0).contains(&mean), "{w}");
    }
}

#[test]
fn ctrl_c_keeps_the_statistics_and_the_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let snap = dir.path().join("stopped.snap");
    let mut child = neuroplast()
        .args(["run", "scenes/cuba.ron", "--duration", "1000s", "--save-snapshot", snap.to_str().unwrap()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The progress bar appears on standard error after a second of simulating: the handler is
    // listening by then.
    let mut stderr = child.stderr.take().unwrap();
    let mut first = [0u8; 1];
    stderr.read_exact(&mut first).expect("a line on standard error after a second of simulating");
    // The shell's builtin kill: no procps needed on a minimal machine.
    let sent = Command::new("sh").args(["-c", &format!("kill -INT {}", child.id())]).status().unwrap();
    assert!(sent.success());
    let status = child.wait().unwrap();
    let mut out = String::new();
    child.stdout.take().unwrap().read_to_string(&mut out).unwrap();
    let mut err = String::new();
    stderr.read_to_string(&mut err).unwrap();
    assert_eq!(status.code(), Some(130), "{out}\n{err}");
    assert!(err.contains("stopped by Ctrl-C"), "{err}");
    let line = out.lines().find(|l| l.starts_with("simulated")).unwrap_or_else(|| panic!("{out}"));
    assert!(line.contains("of 1000000.0 ms asked (Ctrl-C)"), "{line}");
    let ms: f64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    assert!(ms > 0.0 && ms < 1e6, "{line}");
    assert!(out.contains("mean rate"), "{out}");
    let resumed = neuroplast().args(["resume", snap.to_str().unwrap(), "--duration", "1ms"]).output().unwrap();
    let text = String::from_utf8_lossy(&resumed.stdout);
    assert!(resumed.status.success(), "{}", String::from_utf8_lossy(&resumed.stderr));
    assert!(text.contains(&format!("snapshot at {ms:.1} ms")), "{text} (stopped at {ms} ms)");
}
