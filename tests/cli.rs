//! The `neuroplast` binary: run, snapshot + resume, errors with exit status 1.

use std::process::Command;

fn neuroplast(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_neuroplast")).args(args).output().unwrap();
    (out.status.success(), String::from_utf8_lossy(&out.stdout).into(), String::from_utf8_lossy(&out.stderr).into())
}

fn json_field(json: &str, key: &str) -> f64 {
    json.split(&format!("\"{key}\":")).nth(1).unwrap().split([',', '}']).next().unwrap().parse().unwrap()
}

#[test]
fn run_prints_statistics_and_writes_spikes() {
    let dir = std::env::temp_dir().join(format!("neuroplast-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let csv = dir.join("spikes.csv");
    let (ok, out, err) = neuroplast(&[
        "run",
        "scenes/cuba.ron",
        "--duration",
        "300ms",
        "--seed",
        "2",
        "--spikes",
        csv.to_str().unwrap(),
    ]);
    assert!(ok, "{err}");
    for key in ["neurons      4000", "synapses", "spikes", "mean rate", "CV ISI", "wall time", "realtime"] {
        assert!(out.contains(key), "missing `{key}` in\n{out}");
    }
    let text = std::fs::read_to_string(&csv).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "time_ms,neuron");
    let spikes: usize =
        out.lines().find(|l| l.starts_with("spikes")).unwrap().split_whitespace().nth(1).unwrap().parse().unwrap();
    assert_eq!(lines.len() - 1, spikes);
    assert!(spikes > 1000);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn snapshot_then_resume_equals_one_run() {
    let dir = std::env::temp_dir().join(format!("neuroplast-resume-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (snap, a, b) = (dir.join("s.npsnap"), dir.join("a.csv"), dir.join("b.csv"));
    let p = |x: &std::path::Path| x.to_str().unwrap().to_string();
    let (ok, _, err) =
        neuroplast(&["run", "scenes/coba.ron", "--duration", "100ms", "--save-snapshot", &p(&snap), "--json"]);
    assert!(ok, "{err}");
    let (ok, _, err) = neuroplast(&["resume", &p(&snap), "--duration", "100ms", "--spikes", &p(&a), "--json"]);
    assert!(ok, "{err}");
    let (ok, _, err) =
        neuroplast(&["run", "scenes/coba.ron", "--duration", "200ms", "--spikes", &p(&b), "--threads", "1", "--json"]);
    assert!(ok, "{err}");
    let tail_of_b: Vec<String> = std::fs::read_to_string(&b)
        .unwrap()
        .lines()
        .skip(1)
        .filter(|l| l.split(',').next().unwrap().parse::<f64>().unwrap() > 100.0 + 1e-6)
        .map(String::from)
        .collect();
    let a_lines: Vec<String> = std::fs::read_to_string(&a).unwrap().lines().skip(1).map(String::from).collect();
    assert!(a_lines.len() > 100);
    assert_eq!(a_lines, tail_of_b);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn json_output_and_scale() {
    let (ok, out, err) = neuroplast(&["run", "scenes/cuba.ron", "--duration", "50ms", "--scale", "2", "--json"]);
    assert!(ok, "{err}");
    assert_eq!(json_field(&out, "neurons"), 8000.0);
    // In-degree is kept: about 80 synapses per neuron.
    let per_neuron = json_field(&out, "synapses") / 8000.0;
    assert!((per_neuron - 80.0).abs() < 2.0, "{per_neuron}");
}

#[test]
fn bad_input_gives_a_located_error_and_exit_status_1() {
    let dir = std::env::temp_dir().join(format!("neuroplast-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("bad.ron");
    let text = std::fs::read_to_string("scenes/cuba.ron")
        .unwrap()
        .replace(r#"target: "I", connectivity"#, r#"target: "X", connectivity"#);
    std::fs::write(&bad, text).unwrap();
    let (ok, _, err) = neuroplast(&["run", bad.to_str().unwrap(), "--duration", "10ms"]);
    assert!(!ok);
    assert!(
        err.contains("bad.ron:35:45:") && err.contains("projections[1].target") && err.contains("no population `X`"),
        "{err}"
    );
    let (ok, _, err) = neuroplast(&["run", "scenes/cuba.ron", "--duration", "ten"]);
    assert!(!ok && err.contains("--duration"), "{err}");
    let (ok, _, err) = neuroplast(&["resume", bad.to_str().unwrap()]);
    assert!(!ok && err.contains("not a Neuroplast snapshot"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The app launched with `args` and no display to open a window on: its status and standard error.
#[cfg(feature = "app")]
fn without_display(args: &[&str]) -> (std::process::Output, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_neuroplast"))
        .args(args)
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    (out, err)
}

#[cfg(feature = "app")]
#[test]
fn app_refuses_an_impossible_scale_before_opening_a_window() {
    for bad in ["0", "NaN", "-2"] {
        let (out, err) = without_display(&["scenes/cuba.ron", &format!("--scale={bad}")]);
        assert_eq!(out.status.code(), Some(1), "--scale {bad}: {err}");
        assert!(err.contains("--scale must be a positive number"), "--scale {bad}: {err}");
        assert!(!err.contains("panicked"), "--scale {bad}: {err}");
    }
}

#[cfg(feature = "app")]
#[test]
fn app_refuses_impossible_filters_and_layouts_before_opening_a_window() {
    for (flag, bad, says) in [
        ("--weight-range", "0.8,0.2", "0 <= LO <= HI <= 1"),
        ("--weight-range", "0.5,NaN", "0 <= LO <= HI <= 1"),
        ("--weight-range", "half", "must look like 0.5,1"),
        ("--synapse-kinds", "excitatory,gap", "`gap`: synapse kinds are excitatory, inhibitory and attention"),
        ("--layout", "spiral", "spiral"),
    ] {
        let (out, err) = without_display(&["scenes/cuba.ron", flag, bad]);
        assert_eq!(out.status.code(), Some(2), "{flag} {bad}: {err}");
        assert!(err.contains(says) && err.contains(flag), "{flag} {bad}: {err}");
        assert!(!err.contains("panicked"), "{flag} {bad}: {err}");
    }
}

#[cfg(feature = "app")]
#[test]
fn app_without_a_display_names_the_headless_commands() {
    let (out, err) = without_display(&["scenes/cuba.ron"]);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("no display") && err.contains("neuroplast run SCENE") && err.contains("neuroplast record"),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn growth_benchmark_runs_small_and_refuses_impossible_sizes() {
    let (ok, out, err) = neuroplast(&["bench", "growth", "--growth-neurons", "300", "--duration", "200ms"]);
    assert!(ok, "{err}");
    assert!(out.contains("300 neurons") && out.contains("structural parts per biological second"), "{out}");
    let (ok, _, err) = neuroplast(&["bench", "growth", "--growth-neurons", "5"]);
    assert!(!ok && err.contains("--growth-neurons") && err.contains("got 5"), "{err}");
    let (ok, _, err) = neuroplast(&["bench", "growth", "--duration", "0 s"]);
    assert!(!ok && err.contains("--duration") && err.contains("positive"), "{err}");
}
