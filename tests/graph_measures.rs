//! The graph measures (`analysis::graph`, over petgraph) held to networkx 3.4's on three graphs:
//! the C. elegans connectome, a seeded random network and a network grown for 3 s. The reference
//! values are tests/fixtures/networkx/*.json, written by `python3 tools/compare_networkx.py` from
//! the GraphML export of the same scenes. Counts, degrees, components, clustering, triads, path
//! lengths, cores, the rich club and betweenness are deterministic and must agree to rounding;
//! Louvain's communities depend on the visiting order, so our modularity must come within 0.02 of
//! networkx's (seeded) run, and our modularity of networkx's own partition must equal networkx's.

use std::process::Command;

use neuroplast::analysis::graph::{
    Effort, GraphMeasures, PairEdge, SmallWorldEffort, SynapseGraph, TRIAD_NAMES, betweenness, clustering,
    core_numbers, degrees, hop_distances_from, louvain, modularity, path_summary, rich_club, shortest_synapse_path,
    small_world, strong_components, triad_census, weak_components,
};
use neuroplast::scene::Scene;
use neuroplast::sim::{NeuronId, StepReport};
use serde_json::Value;

fn graph_of(scene: &str, at_ms: f64) -> SynapseGraph {
    let mut sim = Scene::load(std::path::Path::new(scene)).unwrap().build(None).unwrap();
    let steps = (at_ms / sim.network.dt_ms()).round() as u64;
    let mut report = StepReport::with_capacity(sim.network.num_neurons());
    sim.run(steps, &mut report, |_| {});
    SynapseGraph::of(&sim.network)
}

fn numbers(v: &Value) -> Vec<f64> {
    v.as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect()
}

fn close(ours: &[f64], theirs: &[f64], tol: f64, what: &str) {
    assert_eq!(ours.len(), theirs.len(), "{what}: lengths");
    for (i, (a, b)) in ours.iter().zip(theirs).enumerate() {
        assert!((a - b).abs() <= tol * b.abs().max(1.0), "{what}[{i}]: ours {a}, networkx {b}");
    }
}

fn check(name: &str) {
    let text = std::fs::read_to_string(format!("tests/fixtures/networkx/{name}.json")).unwrap();
    let nx: Value = serde_json::from_str(&text).unwrap();
    let at_ms = match nx["at"].as_str().unwrap() {
        "0ms" => 0.0,
        "3s" => 3000.0,
        other => panic!("{other}"),
    };
    let g = graph_of(nx["scene"].as_str().unwrap(), at_ms);
    assert_eq!(
        (g.nodes(), g.edges()),
        (nx["nodes"].as_u64().unwrap() as usize, nx["edges"].as_u64().unwrap() as usize)
    );
    let d = degrees(&g);
    let as_f = |v: &[u32]| v.iter().map(|&x| f64::from(x)).collect::<Vec<f64>>();
    close(&as_f(&d.in_degree), &numbers(&nx["in_degree"]), 0.0, "in-degree");
    close(&as_f(&d.out_degree), &numbers(&nx["out_degree"]), 0.0, "out-degree");
    close(&d.in_strength, &numbers(&nx["in_strength"]), 1e-12, "in-strength");
    let m = GraphMeasures::of(&g, at_ms, Effort::default());
    close(
        &[m.density, m.reciprocity],
        &[nx["density"].as_f64().unwrap(), nx["reciprocity"].as_f64().unwrap()],
        1e-12,
        "density, reciprocity",
    );
    let sizes = |v: Vec<usize>| v.into_iter().map(|s| s as f64).collect::<Vec<f64>>();
    close(&sizes(weak_components(&g)), &numbers(&nx["weak_components"]), 0.0, "weak components");
    let strong = strong_components(&g);
    close(&sizes(strong.iter().map(Vec::len).collect()), &numbers(&nx["strong_components"]), 0.0, "strong components");
    close(&clustering(&g), &numbers(&nx["clustering"]), 1e-12, "clustering");
    close(
        &[m.clustering.unwrap(), m.transitivity.unwrap()],
        &[nx["average_clustering"].as_f64().unwrap(), nx["transitivity"].as_f64().unwrap()],
        1e-12,
        "clustering, transitivity",
    );
    let triads = triad_census(&g);
    for (k, name) in TRIAD_NAMES.iter().enumerate() {
        assert_eq!(triads[k], nx["triads"][name].as_u64().unwrap(), "triad {name}");
    }
    let paths = path_summary(&g, &strong[0], usize::MAX);
    assert_eq!(paths.component, nx["largest_scc"].as_u64().unwrap() as usize);
    assert_eq!(paths.diameter as u64, nx["diameter"].as_u64().unwrap());
    close(
        &[paths.mean_hops, paths.mean_weighted],
        &[nx["mean_hops"].as_f64().unwrap(), nx["mean_weighted"].as_f64().unwrap()],
        1e-12,
        "path lengths",
    );
    close(&as_f(&core_numbers(&g)), &numbers(&nx["core_number"]), 0.0, "core numbers");
    let u = g.undirected();
    close(&rich_club(&u), &numbers(&nx["rich_club"]), 1e-12, "rich club");
    close(&betweenness(&g, None), &numbers(&nx["betweenness"]), 1e-9, "betweenness");
    let theirs: Vec<u32> = nx["louvain_label"].as_array().unwrap().iter().map(|x| x.as_u64().unwrap() as u32).collect();
    let q_theirs = nx["louvain_modularity"].as_f64().unwrap();
    close(&[modularity(&u, &theirs)], &[q_theirs], 1e-12, "modularity of networkx's partition");
    let q_ours = modularity(&u, &louvain(&u));
    assert!((q_ours - q_theirs).abs() <= 0.02, "{name}: Louvain modularity ours {q_ours}, networkx {q_theirs}");
}

#[test]
fn the_celegans_connectome_measures_as_networkx_measures_it() {
    check("celegans");
}

#[test]
fn a_seeded_random_network_measures_as_networkx_measures_it() {
    check("random");
}

#[test]
fn a_grown_network_measures_as_networkx_measures_it() {
    check("grown");
}

#[test]
fn sampled_sources_scale_betweenness_as_networkx_k_does() {
    let g = graph_of("tests/fixtures/graph_random.ron", 0.0);
    let (exact, sampled) = (betweenness(&g, None), betweenness(&g, Some(100)));
    let (se, ss): (f64, f64) = (exact.iter().sum(), sampled.iter().sum());
    assert!((ss / se - 1.0).abs() < 0.1, "sampled total {ss} vs exact {se}");
    assert_ne!(exact, sampled);
}

fn graph_cli(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_neuroplast")).arg("graph").args(args).output().unwrap();
    (out.status.success(), String::from_utf8_lossy(&out.stdout).into(), String::from_utf8_lossy(&out.stderr).into())
}

#[test]
fn the_graph_command_prints_measures_a_series_and_refuses_nonsense() {
    let (ok, out, err) = graph_cli(&["scenes/celegans.ron"]);
    assert!(ok, "{err}");
    assert!(out.contains("reciprocity          0.2871") && out.contains("275 of 448 neurons"), "{out}");
    let (ok, out, _) = graph_cli(&["tests/fixtures/graph_random.ron", "--json"]);
    let j: Value = serde_json::from_str(&out).unwrap();
    assert!(ok && j["edges"] == 3606 && j["triads"].as_array().unwrap().len() == 16, "{out}");
    // A series while the growth scene grows: one row at 0 and every 500 ms to 1.5 s.
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("g.csv");
    let (ok, _, err) =
        graph_cli(&["scenes/growth.ron", "--at", "1.5s", "--every", "500ms", "--out", csv.to_str().unwrap()]);
    assert!(ok, "{err}");
    let text = std::fs::read_to_string(&csv).unwrap();
    let times: Vec<&str> = text.lines().skip(1).map(|l| l.split(',').next().unwrap()).collect();
    assert_eq!(times, ["0", "500", "1000", "1500"], "{text}");
    // An empty network: every measure defined, no NaN; paths said to be undefined.
    let empty = dir.path().join("empty.ron");
    std::fs::write(
        &empty,
        r#"Scene(version: 1, name: "empty", dt: "0.1 ms", seed: 1, populations: [(name: "A", size: 5, model: LifCurrent(), layout: Box(center: (0.0, 0.0, 0.0), size: (10.0, 10.0, 10.0)))], projections: [])"#,
    )
    .unwrap();
    let (ok, out, err) = graph_cli(&[empty.to_str().unwrap()]);
    assert!(ok, "{err}");
    assert!(!out.to_lowercase().contains("nan") && out.contains("path length          undefined"), "{out}");
    for (args, expect) in [
        (vec!["scenes/celegans.ron", "--every", "1s"], "--every and --out go together"),
        (vec!["scenes/celegans.ron", "--every", "1s", "--out", "x.csv"], "--every needs --at"),
        (vec!["scenes/celegans.ron", "--at", "1e12 s"], "more steps than one run takes"),
        (vec!["scenes/celegans.ron", "--sources", "0"], "--sources must be at least 1"),
        (vec!["/nonexistent/scene.ron"], "/nonexistent/scene.ron"),
    ] {
        let (ok, _, err) = graph_cli(&args);
        assert!(!ok && err.contains(expect), "{args:?}: {err}");
    }
}

/// σ and ω against seeded degree-preserving null models, held to networkx's `sigma` and `omega` on
/// three Watts–Strogatz rings (p = 0, 0.1, 1; `tests/fixtures/networkx/small_world.json`). The
/// graphs' own clustering and path length are deterministic and agree to rounding; the references
/// are random in both, so σ must come within 20 % of networkx's and ω within 0.1, and both must
/// order the three graphs as networkx does: ω rises from lattice to random, σ is largest for the
/// small world.
#[test]
fn small_world_coefficients_agree_with_networkx() {
    let text = std::fs::read_to_string("tests/fixtures/networkx/small_world.json").unwrap();
    let nx: Value = serde_json::from_str(&text).unwrap();
    let n = nx["n"].as_u64().unwrap() as usize;
    let effort = SmallWorldEffort {
        niter_sigma: nx["niter_sigma"].as_u64().unwrap() as u32,
        niter_omega: nx["niter_omega"].as_u64().unwrap() as u32,
        nrand: nx["nrand"].as_u64().unwrap() as u32,
        seed: 1,
    };
    let mut ours = Vec::new();
    for g in nx["graphs"].as_array().unwrap() {
        let p = g["p"].as_f64().unwrap();
        let mut edges = Vec::new();
        for e in g["edges"].as_array().unwrap() {
            let (a, b) = (e[0].as_u64().unwrap() as u32, e[1].as_u64().unwrap() as u32);
            edges.push((a, b, PairEdge { weight: 1.0, synapses: 1 }));
            edges.push((b, a, PairEdge { weight: 1.0, synapses: 1 }));
        }
        edges.sort_unstable_by_key(|&(a, b, _)| (a, b));
        let u = SynapseGraph::from_edges(n, &edges).undirected();
        let sw = small_world(&u, effort).expect("a connected ring of 100");
        assert_eq!(sw.nodes, n);
        close(&[sw.transitivity], &[g["transitivity"].as_f64().unwrap()], 1e-12, "transitivity");
        close(&[sw.clustering], &[g["average_clustering"].as_f64().unwrap()], 1e-12, "average clustering");
        close(&[sw.path_length], &[g["path_length"].as_f64().unwrap()], 1e-12, "path length");
        let (sigma, omega) = (sw.sigma.expect("random references have triangles"), sw.omega);
        let (nx_sigma, nx_omega) = (g["sigma"].as_f64().unwrap(), g["omega"].as_f64().unwrap());
        assert!((sigma / nx_sigma - 1.0).abs() < 0.2, "p = {p}: σ ours {sigma:.3}, networkx {nx_sigma:.3}");
        assert!((omega - nx_omega).abs() < 0.1, "p = {p}: ω ours {omega:.3}, networkx {nx_omega:.3}");
        // The same seed gives the same references.
        assert_eq!(small_world(&u, effort), Some(sw), "p = {p}: reproducible");
        ours.push((sigma, omega));
    }
    assert!(ours[0].1 < ours[1].1 && ours[1].1 < ours[2].1, "ω orders lattice < small world < random: {ours:?}");
    assert!(ours[1].0 > 1.0 && ours[1].0 > ours[2].0, "σ > 1 for the small world, above the random graph's: {ours:?}");
    // Too small, or complete: no references can be drawn.
    let tiny = SynapseGraph::from_edges(3, &[(0, 1, PairEdge { weight: 1.0, synapses: 1 })]).undirected();
    assert_eq!(small_world(&tiny, effort), None);
}

/// `graph --small-world` adds σ and ω: C. elegans is a small world (σ > 1, ω near 0); the JSON
/// carries them; an impossible effort is refused.
#[test]
fn the_graph_command_reports_the_connectome_as_a_small_world() {
    let (ok, out, err) =
        graph_cli(&["scenes/celegans.ron", "--small-world", "--nrand", "2", "--niter", "20", "--json"]);
    assert!(ok, "{err}");
    let v: Value = serde_json::from_str(out.trim()).unwrap();
    let sw = &v["small_world"];
    let (sigma, omega) = (sw["sigma"].as_f64().unwrap(), sw["omega"].as_f64().unwrap());
    assert!(sigma > 1.5, "σ {sigma}");
    assert!(omega.abs() < 0.3, "ω {omega}");
    assert_eq!(sw["nodes"].as_u64(), Some(380), "the largest connected component");
    let (ok, _, err) = graph_cli(&["scenes/celegans.ron", "--small-world", "--nrand", "0"]);
    assert!(!ok && err.contains("--nrand and --niter must be at least 1"), "{err}");
}

/// The fewest-hop path between two neurons over the network's synapses: its length equals the BFS
/// distance of the graph measures, every synapse starts where the last ended, and an unreachable
/// target gives none.
#[test]
fn the_shortest_synapse_path_is_a_chain_as_long_as_the_hop_distance() {
    let sim = Scene::load(std::path::Path::new("scenes/celegans.ron")).unwrap().build(None).unwrap();
    let net = &sim.network;
    let g = SynapseGraph::of(net);
    let mut dist = Vec::new();
    let from = 10usize;
    hop_distances_from(&g, from, &mut dist);
    let (mut reached, mut unreached) = (0, 0);
    for (to, &d) in dist.iter().enumerate() {
        let path = shortest_synapse_path(net, NeuronId(from as u32), NeuronId(to as u32));
        match (path, d) {
            (Some(p), d) if d != u32::MAX => {
                assert_eq!(p.len(), d as usize, "to {to}");
                let mut at = NeuronId(from as u32);
                for &s in &p {
                    assert_eq!(net.synapses.pre(s), at, "to {to}: a chain");
                    at = net.synapses.post(s);
                }
                assert_eq!(at.index(), to);
                reached += 1;
            }
            (None, u32::MAX) => unreached += 1,
            (p, d) => panic!("to {to}: path {p:?}, distance {d}"),
        }
    }
    assert!(reached > 200 && unreached > 10, "{reached} reached, {unreached} not");
    assert_eq!(shortest_synapse_path(net, NeuronId(0), NeuronId(u32::MAX)), None);
}
