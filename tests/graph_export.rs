//! `neuroplast export`: GraphML and GEXF hold every neuron and every synapse (summed per pair and
//! kind, with their count), gap junctions both ways, names and positions; a snapshot exports as
//! saved; the structure at `--at` is the grown one. (`tools/check_export_networkx.py` reads the
//! same files with networkx.)

use std::process::Command;

fn export(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_neuroplast")).arg("export").args(args).output().unwrap();
    (out.status.success(), String::from_utf8_lossy(&out.stdout).into(), String::from_utf8_lossy(&out.stderr).into())
}

/// (nodes, synapses counted on chemical edges, contacts counted on electrical edges).
fn tally(text: &str, count_attr: &str) -> (usize, u64, u64) {
    let nodes = text.matches("<node ").count();
    let (mut chemical, mut electrical) = (0, 0);
    for edge in text.split("<edge ").skip(1) {
        let count: u64 = edge.split(count_attr).nth(1).unwrap().split(['<', '"']).next().unwrap().parse().unwrap();
        if edge.contains("electrical") {
            electrical += count;
        } else {
            chemical += count;
        }
    }
    (nodes, chemical, electrical)
}

#[test]
fn graphml_and_gexf_hold_every_neuron_synapse_and_coupling() {
    let dir = tempfile::tempdir().unwrap();
    let graphml = dir.path().join("c.graphml");
    let gexf = dir.path().join("c.gexf");
    let (ok, out, err) = export(&["scenes/celegans.ron", "--to", "graphml", "-o", graphml.to_str().unwrap()]);
    assert!(ok && out.contains("448 neurons, 27019 synapses, 6333 gap junctions"), "{out}{err}");
    let text = std::fs::read_to_string(&graphml).unwrap();
    assert_eq!(tally(&text, "<data key=\"count\">"), (448, 27019, 2 * 6333));
    assert!(text.contains("<data key=\"name\">AVAL</data>"));
    assert!(export(&["scenes/celegans.ron", "--to", "gexf", "-o", gexf.to_str().unwrap()]).0);
    let text = std::fs::read_to_string(&gexf).unwrap();
    assert_eq!(tally(&text, "for=\"count\" value=\""), (448, 27019, 2 * 6333));
    assert!(text.contains("label=\"AVAL\"") && text.contains("<viz:position x="));
}

#[test]
fn a_snapshot_exports_as_saved_and_a_grown_network_at_its_time() {
    let dir = tempfile::tempdir().unwrap();
    let snap = dir.path().join("g.snap");
    let run = Command::new(env!("CARGO_BIN_EXE_neuroplast"))
        .args(["run", "scenes/growth.ron", "--duration", "3s", "--json", "--save-snapshot", snap.to_str().unwrap()])
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    let (n, s) = (json["neurons"].as_u64().unwrap() as usize, json["synapses"].as_u64().unwrap());
    let from_snapshot = dir.path().join("s.graphml");
    assert!(export(&[snap.to_str().unwrap(), "--to", "graphml", "-o", from_snapshot.to_str().unwrap()]).0);
    let (nodes, synapses, _) = tally(&std::fs::read_to_string(&from_snapshot).unwrap(), "<data key=\"count\">");
    assert_eq!((nodes, synapses), (n, s));
    let at = dir.path().join("at.graphml");
    assert!(export(&["scenes/growth.ron", "--to", "graphml", "--at", "3s", "-o", at.to_str().unwrap()]).0);
    let grown = tally(&std::fs::read_to_string(&at).unwrap(), "<data key=\"count\">");
    assert_eq!((grown.0, grown.1), (n, s), "--at 3s is the network the 3 s run ended with");
    assert!(n > 20, "the growth scene grew ({n} neurons)");
    let (ok, _, err) = export(&["scenes/growth.ron", "--to", "graphml", "-o", "scenes/growth.ron"]);
    assert!(!ok && err.contains("would overwrite the input"), "{err}");
}
