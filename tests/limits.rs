//! Sizes a machine cannot hold are refused from the scene file, at their field, before anything
//! is allocated: each case runs under a 3 GB address-space limit, so a build that tried would
//! abort instead of printing the located error.

use std::process::Command;

/// The CUBA scene with `from` replaced by `to` (each must occur).
fn cuba_with(edits: &[(&str, &str)]) -> String {
    let mut text = std::fs::read_to_string("scenes/cuba.ron").unwrap();
    for (from, to) in edits {
        assert!(text.contains(from), "{from}");
        text = text.replacen(from, to, 1);
    }
    text
}

/// Runs `neuroplast run` on `text` under `ulimit -v` of 3 GB; returns (exit code, stderr).
fn run_limited(text: &str, extra: &str) -> (Option<i32>, String) {
    let dir = tempfile::tempdir().unwrap();
    let scene = dir.path().join("big.ron");
    std::fs::write(&scene, text).unwrap();
    let exe = env!("CARGO_BIN_EXE_neuroplast");
    let script = format!("ulimit -v 3000000; exec timeout 60 '{exe}' run '{}' --duration 1ms {extra}", scene.display());
    let out = Command::new("sh").args(["-c", &script]).output().unwrap();
    (out.status.code(), String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn each_impossible_size_is_refused_at_its_field_without_allocating_it() {
    let mut cases: Vec<(&str, String, &str)> = vec![
        ("3e9 neurons", cuba_with(&[("size: 3200", "size: 3000000000")]), "populations[0].size"),
        (
            "Bernoulli(p: 1.0) on 100k neurons",
            cuba_with(&[("size: 3200", "size: 100000"), ("Bernoulli(p: 0.02)", "Bernoulli(p: 1.0)")]),
            "projections[0].connectivity",
        ),
        (
            "FixedIndegree(k: 4e9)",
            cuba_with(&[("Bernoulli(p: 0.02)", "FixedIndegree(k: 4000000000)")]),
            "projections[0].connectivity",
        ),
        (
            "a 6 s delay on 100k neurons",
            cuba_with(&[
                ("size: 3200", "size: 100000"),
                (
                    "weight: Constant(\"1.62 mV\"), receptor",
                    "weight: Constant(\"1.62 mV\"), delay: Constant(\"6 s\"), receptor",
                ),
            ]),
            "projections[0].delay",
        ),
        (
            "neurogenesis max_size 1e9",
            cuba_with(&[(
                "init: (v: Uniform(low: \"-60 mV\", high: \"-50 mV\")),\n        ),",
                "init: (v: Uniform(low: \"-60 mV\", high: \"-50 mV\")),\n            neurogenesis: (interval: \"100 ms\", signal_tau: \"5 s\", threshold: 30, max_size: 1000000000, offset: \"25 um\", weight_jitter: 0.1),\n        ),",
            )]),
            "populations[0].neurogenesis.max_size",
        ),
        (
            "gap junctions Bernoulli(1.0) on 100k neurons",
            cuba_with(&[
                ("size: 3200", "size: 100000"),
                (
                    "projections: [",
                    "gap_junctions: [(source: \"E\", target: \"E\", connectivity: Bernoulli(p: 1.0), conductance: Constant(\"1 nS\"))],\n    projections: [",
                ),
            ]),
            "gap_junctions[0].connectivity",
        ),
    ];
    let default = std::fs::read_to_string("scenes/default.ron").unwrap();
    let tables = default.replacen("top_k: 40,", "top_k: 40, tables: 4000000000,", 1);
    cases.push(("attention tables: 4e9", tables, "attention_edges.tables"));
    for (what, text, field) in cases {
        let (code, err) = run_limited(&text, "");
        assert_eq!(code, Some(1), "{what}: {err}");
        assert!(err.contains(&format!("field `{field}`")), "{what}: {err}");
        assert!(err.contains("memory available") || err.contains("fit the engine"), "{what}: {err}");
        assert!(!err.contains("memory allocation") && !err.contains("panicked"), "{what}: {err}");
    }
}

#[test]
fn max_memory_lowers_the_budget_and_names_the_estimate() {
    let cuba = std::fs::read_to_string("scenes/cuba.ron").unwrap();
    let (code, err) = run_limited(&cuba, "--max-memory '1 MB'");
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("the scene needs about") && err.contains("more than the 1 MB"), "{err}");
    let (code, err) = run_limited(&cuba, "--max-memory '1 GB'");
    assert_eq!(code, Some(0), "{err}");
}

#[test]
fn more_populations_than_16_bit_ids_are_refused() {
    let mut text = String::from("Scene(version: 1, name: \"many\", dt: \"0.1 ms\", populations: [\n");
    for k in 0..65_537 {
        text.push_str(&format!(
            "(name: \"p{k}\", size: 1, model: LifCurrent(c_m: \"250 pF\", tau_m: \"20 ms\", e_l: \"-49 mV\", v_th: \"-50 mV\", v_reset: \"-60 mV\", t_ref: \"5 ms\", tau_syn_ex: \"5 ms\", tau_syn_in: \"10 ms\", i_e: \"0 pA\")),\n"
        ));
    }
    text.push_str("])\n");
    let (code, err) = run_limited(&text, "");
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("65537 populations; at most 65536"), "{err}");
}

#[test]
fn attention_work_is_bounded() {
    let default = std::fs::read_to_string("scenes/default.ron").unwrap();
    for (field, value) in [("tables", "100"), ("samples", "4000000000"), ("bucket_cap", "100000")] {
        let text = default.replacen("top_k: 40,", &format!("top_k: 40, {field}: {value},"), 1);
        let (code, err) = run_limited(&text, "");
        assert_eq!(code, Some(1), "{field}: {err}");
        assert!(
            err.contains(&format!("attention_edges.{field}")) && err.contains("out of range (must be 1 to"),
            "{err}"
        );
    }
}
