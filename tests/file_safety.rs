//! No user file is ever lost: an output that is an input or another output is refused before any
//! work, a failed run leaves existing files byte-identical, and saving never deletes a file the
//! program did not create.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn neuroplast(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_neuroplast")).args(args).output().unwrap()
}

/// A folder holding a copy of the CUBA scene and two files of the user's.
struct Workspace {
    dir: tempfile::TempDir,
}

impl Workspace {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        std::fs::copy("scenes/cuba.ron", dir.path().join("s.ron")).unwrap();
        std::fs::write(dir.path().join("old.csv"), "the user's data\n").unwrap();
        std::fs::write(dir.path().join("a.tmp-snapshot"), "the user's own file\n").unwrap();
        Self { dir }
    }

    fn path(&self, name: &str) -> String {
        self.dir.path().join(name).to_str().unwrap().to_string()
    }

    /// Every file in the folder with its bytes.
    fn contents(&self) -> Vec<(PathBuf, Vec<u8>)> {
        let mut files: Vec<_> = std::fs::read_dir(self.dir.path())
            .unwrap()
            .map(|e| e.unwrap().path())
            .map(|p| {
                let bytes = std::fs::read(&p).unwrap();
                (p, bytes)
            })
            .collect();
        files.sort();
        files
    }
}

/// Runs `args` (with `{name}` standing for a file of the workspace), expects a refusal whose
/// message contains `expect`, and the workspace unchanged.
fn refused_and_untouched(ws: &Workspace, args: &[&str], expect: &str) {
    let before = ws.contents();
    let args: Vec<String> = args
        .iter()
        .map(|a| match a.strip_prefix('{').and_then(|a| a.strip_suffix('}')) {
            Some(name) => ws.path(name),
            None => a.to_string(),
        })
        .collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = neuroplast(&args);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
    assert!(err.contains(expect), "{args:?}: {err}");
    assert!(!err.contains("panicked"), "{args:?}: {err}");
    assert!(ws.contents() == before, "{args:?} changed the user's files");
}

#[test]
fn an_output_that_is_an_input_or_another_output_is_refused_before_any_work() {
    let ws = Workspace::new();
    let ok = neuroplast(&["run", &ws.path("s.ron"), "--duration", "20ms", "--save-snapshot", &ws.path("a.snap")]);
    assert!(ok.status.success(), "{}", String::from_utf8_lossy(&ok.stderr));
    let run = ["run", "{s.ron}", "--duration", "10ms"];
    let with = |extra: &[&'static str]| -> Vec<&'static str> { run.iter().chain(extra).copied().collect() };
    refused_and_untouched(&ws, &with(&["--spikes", "{s.ron}"]), "--spikes would overwrite the scene");
    refused_and_untouched(&ws, &with(&["--growth-log", "{s.ron}"]), "--growth-log would overwrite the scene");
    refused_and_untouched(&ws, &with(&["--save-snapshot", "{s.ron}"]), "--save-snapshot would overwrite the scene");
    refused_and_untouched(
        &ws,
        &with(&["--spikes", "{old.csv}", "--growth-log", "{old.csv}"]),
        "--growth-log and --spikes name the same file",
    );
    refused_and_untouched(
        &ws,
        &with(&["--spikes", "{old.csv}", "--save-snapshot", "{old.csv}"]),
        "--save-snapshot and --spikes name the same file",
    );
    // The later output's folder is missing: refused before the run, the earlier output untouched.
    refused_and_untouched(
        &ws,
        &with(&["--spikes", "{old.csv}", "--growth-log", "{missing-dir/g.csv}"]),
        "missing-dir/g.csv: cannot create a file in its folder",
    );
    refused_and_untouched(&ws, &with(&["--spikes", "{.}"]), "--spikes names a folder");
    let resume = |extra: &[&'static str]| -> Vec<&'static str> {
        ["resume", "{a.snap}", "--duration", "10ms"].iter().chain(extra).copied().collect()
    };
    refused_and_untouched(&ws, &resume(&["--spikes", "{a.snap}"]), "--spikes would overwrite the snapshot");
    refused_and_untouched(
        &ws,
        &resume(&["--save-snapshot", "{a.snap}"]),
        "--save-snapshot would overwrite the snapshot",
    );
}

#[test]
fn a_run_that_fails_leaves_existing_outputs_as_they_were() {
    let ws = Workspace::new();
    // Fails after the outputs were checked: the scene's dt is longer than the run.
    refused_and_untouched(
        &ws,
        &["run", "{s.ron}", "--duration", "0.01ms", "--spikes", "{old.csv}"],
        "shorter than one step",
    );
    // A broken scene, with every output in a writable folder.
    std::fs::write(ws.dir.path().join("bad.ron"), "(name: \"x\", dt: ").unwrap();
    refused_and_untouched(
        &ws,
        &["run", "{bad.ron}", "--spikes", "{old.csv}", "--save-snapshot", "{new.snap}"],
        "bad.ron",
    );
}

#[test]
fn saving_replaces_only_its_target_and_two_saves_at_once_both_land_whole() {
    let ws = Workspace::new();
    let snap = ws.path("a.snap");
    let run = |seed: &str| {
        Command::new(env!("CARGO_BIN_EXE_neuroplast"))
            .args(["run", &ws.path("s.ron"), "--duration", "30ms", "--seed", seed, "--save-snapshot", &snap])
            .args(["--spikes", &ws.path(&format!("spikes{seed}.csv"))])
            .spawn()
            .unwrap()
    };
    let (mut a, mut b) = (run("1"), run("2"));
    assert!(a.wait().unwrap().success() && b.wait().unwrap().success());
    assert_eq!(std::fs::read_to_string(ws.path("a.tmp-snapshot")).unwrap(), "the user's own file\n");
    let resumed = neuroplast(&["resume", &snap, "--duration", "10ms", "--json"]);
    assert!(resumed.status.success(), "{}", String::from_utf8_lossy(&resumed.stderr));
    let names: Vec<String> = std::fs::read_dir(ws.dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(names.iter().all(|n| !n.ends_with(".part")), "temporary files left: {names:?}");
    assert!(Path::new(&ws.path("spikes1.csv")).exists() && Path::new(&ws.path("spikes2.csv")).exists());
}
