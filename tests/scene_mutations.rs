//! Every number of every shipped scene replaced in turn by 0, −1, NaN, inf, −inf, 1e300 and
//! 1e-300, and every scene cut at 20 offsets: each case either builds and runs 1 ms of
//! biological time or fails with an error naming the file, line, column and field — never a
//! panic, an abort or work without end.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use rayon::prelude::*;

use neuroplast::scene::Scene;
use neuroplast::sim::StepReport;

const VALUES: [&str; 7] = ["0", "-1", "NaN", "inf", "-inf", "1e300", "1e-300"];
/// Far above any case (the slowest takes well under a second): a case running this long is
/// taken for work without end.
const ENDLESS: Duration = Duration::from_secs(60);

/// Byte ranges of the numbers in `text` (outside comments and identifiers).
fn numbers(text: &str) -> Vec<(usize, usize)> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'/' && b.get(i + 1) == Some(&b'/') {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
            continue;
        }
        let starts = b[i].is_ascii_digit() && (i == 0 || !(b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_'));
        if starts {
            let start = if i > 0 && b[i - 1] == b'-' { i - 1 } else { i };
            let mut j = i;
            while j < b.len() && (b[j].is_ascii_digit() || b[j] == b'.') {
                j += 1;
            }
            if j < b.len()
                && (b[j] == b'e' || b[j] == b'E')
                && b.get(j + 1).is_some_and(|c| c.is_ascii_digit() || *c == b'-')
            {
                j += 2;
                while j < b.len() && b[j].is_ascii_digit() {
                    j += 1;
                }
            }
            out.push((start, j));
            i = j;
        } else {
            i += 1;
        }
    }
    out
}

/// Scenes with more numbers than this (a connectome's pair lists) are mutated at one number of
/// each field (element indices aside) and at 100 numbers spread evenly through the file; every
/// other scene at every number.
const EVERY_NUMBER_UP_TO: usize = 2000;

/// The numbers to mutate in `text`.
fn chosen(text: &str, all: Vec<(usize, usize)>) -> Vec<(usize, usize)> {
    if all.len() <= EVERY_NUMBER_UP_TO {
        return all;
    }
    let index = neuroplast::scene::locate::PathIndex::new(text);
    let line_starts: Vec<usize> = std::iter::once(0).chain(text.match_indices('\n').map(|(k, _)| k + 1)).collect();
    let mut seen = std::collections::HashSet::new();
    let stride = all.len() / 100;
    all.iter()
        .enumerate()
        .filter(|&(k, &(a, _))| {
            let line = line_starts.partition_point(|&s| s <= a);
            let column = text[line_starts[line - 1]..a].chars().count() + 1;
            let path = index.path_at((line, column)).unwrap_or_default();
            let field: String = path.split('[').map(|p| p.split_once(']').map_or(p, |(_, rest)| rest)).collect();
            seen.insert(field) || k % stride == 0
        })
        .map(|(_, &n)| n)
        .collect()
}

/// What one case did.
enum Outcome {
    Ran,
    Refused,
    Failed(String),
}

/// Parses, builds (within 2 GB) and runs 1 ms of `text`, as `neuroplast run --duration 1ms`.
fn network_case(text: &str, origin: &str) -> Outcome {
    let mut scene = match Scene::parse(text, origin) {
        Ok(s) => s,
        Err(e) => return located(&e.to_string(), origin),
    };
    scene.set_memory_limit(2e9);
    match scene.build(None) {
        Err(e) => located(&e.to_string(), origin),
        Ok(mut sim) => {
            let steps = (1.0 / sim.network.dt_ms()).round() as u64;
            let mut report = StepReport::with_capacity(sim.network.num_neurons());
            sim.run(steps, &mut report, |_| {});
            Outcome::Ran
        }
    }
}

#[cfg(feature = "app")]
fn ctm_case(text: &str, origin: &str) -> Outcome {
    let dir = std::env::temp_dir().join(format!("np-mut-{}-{:?}", std::process::id(), std::thread::current().id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(origin.rsplit('/').next().unwrap());
    std::fs::write(&path, text).unwrap();
    match neuroplast::app::open_scene_file(&path) {
        Ok(_) => Outcome::Ran,
        Err(e) => {
            let text = format!("{e:#}");
            if text.contains(&path.display().to_string()) {
                Outcome::Refused
            } else {
                Outcome::Failed(format!("unlocated: {text}"))
            }
        }
    }
}

#[cfg(not(feature = "app"))]
fn ctm_case(_text: &str, _origin: &str) -> Outcome {
    Outcome::Ran
}

/// A refusal must name the file, a line and a column.
fn located(message: &str, origin: &str) -> Outcome {
    let rest = message.strip_prefix(&format!("{origin}:")).unwrap_or("");
    let mut parts = rest.splitn(3, ':');
    let line_col = parts.next().is_some_and(|l| l.parse::<u32>().is_ok())
        && parts.next().is_some_and(|c| c.parse::<u32>().is_ok());
    if line_col { Outcome::Refused } else { Outcome::Failed(format!("unlocated error: {message}")) }
}

#[test]
fn every_number_replaced_and_every_cut_is_run_or_refused_at_its_place() {
    let mut cases: Vec<(String, String, bool)> = Vec::new();
    let mut scenes: Vec<_> = std::fs::read_dir("scenes").unwrap().map(|e| e.unwrap().path()).collect();
    scenes.sort();
    for path in &scenes {
        let text = std::fs::read_to_string(path).unwrap();
        let ctm = text.contains("CtmScene") || path.to_string_lossy().contains("ctm");
        let name = path.display().to_string();
        for (k, &(a, b)) in chosen(&text, numbers(&text)).iter().enumerate() {
            for v in VALUES {
                cases.push((format!("{name}#n{k}={v}"), format!("{}{v}{}", &text[..a], &text[b..]), ctm));
            }
        }
        for cut in 1..=20 {
            let mut at = text.len() * cut / 21;
            while !text.is_char_boundary(at) {
                at -= 1;
            }
            cases.push((format!("{name}#cut{at}"), text[..at].to_string(), ctm));
        }
    }
    let slowest = Mutex::new((Duration::ZERO, String::new()));
    let running = Mutex::new(std::collections::HashMap::<String, Instant>::new());
    let done = std::sync::atomic::AtomicBool::new(false);
    let results: Vec<(String, Outcome)> = std::thread::scope(|s| {
        // The watchdog: a case that has not finished after ENDLESS fails the whole test at once.
        s.spawn(|| {
            while !done.load(std::sync::atomic::Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(200));
                if let Some((case, _)) = running.lock().unwrap().iter().find(|(_, t)| t.elapsed() > ENDLESS) {
                    eprintln!("{case}: still running after {ENDLESS:?}: work without end");
                    std::process::exit(101);
                }
            }
        });
        let results = cases
            .par_iter()
            .map(|(label, text, ctm)| {
                let origin = label.split('#').next().unwrap().to_string();
                running.lock().unwrap().insert(label.clone(), Instant::now());
                let t0 = Instant::now();
                let outcome = catch_unwind(AssertUnwindSafe(|| {
                    if *ctm { ctm_case(text, &origin) } else { network_case(text, &origin) }
                }))
                .unwrap_or_else(|p| {
                    let msg = p
                        .downcast_ref::<String>()
                        .cloned()
                        .or_else(|| p.downcast_ref::<&str>().map(ToString::to_string));
                    Outcome::Failed(format!("panicked: {}", msg.unwrap_or_default()))
                });
                running.lock().unwrap().remove(label);
                let took = t0.elapsed();
                let mut slow = slowest.lock().unwrap();
                if took > slow.0 {
                    *slow = (took, label.clone());
                }
                (label.clone(), outcome)
            })
            .collect();
        done.store(true, std::sync::atomic::Ordering::Relaxed);
        results
    });
    let failures: Vec<String> = results
        .iter()
        .filter_map(|(label, o)| match o {
            Outcome::Failed(why) => Some(format!("{label}: {why}")),
            _ => None,
        })
        .collect();
    let ran = results.iter().filter(|(_, o)| matches!(o, Outcome::Ran)).count();
    let (took, label) = slowest.into_inner().unwrap();
    eprintln!(
        "{} cases: {ran} ran 1 ms, {} refused; slowest {label} in {took:?}",
        results.len(),
        results.len() - ran - failures.len()
    );
    assert!(failures.is_empty(), "{} of {} cases failed:\n{}", failures.len(), results.len(), failures.join("\n"));
    assert!(ran > 100 && results.len() > 2000);
}
