//! SONATA's JSON configurations: a circuit config (`manifest`, `components`, `networks.nodes[]`,
//! `networks.edges[]`) or a simulation config that names one (`network`) and sets `run.dt`.
//! `$NAME` in a path is replaced from the manifest (`$BASE_DIR` defaults to the config's folder);
//! relative paths are taken from the config's folder.

use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use crate::files::FileError;

/// One `networks.nodes[]` entry.
#[derive(Clone, Debug, PartialEq)]
pub struct NodeFiles {
    /// The HDF5 file.
    pub h5: PathBuf,
    /// The node types table.
    pub types: Option<PathBuf>,
}

/// What an edge population carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EdgeKind {
    /// Chemical synapses.
    Chemical,
    /// Electrical couplings (gap junctions).
    Electrical,
}

/// One `networks.edges[]` entry.
#[derive(Clone, Debug, PartialEq)]
pub struct EdgeFiles {
    /// The HDF5 file.
    pub h5: PathBuf,
    /// The edge types table.
    pub types: Option<PathBuf>,
    /// Populations the config declares, with their `type` (chemical when not said).
    pub kinds: Vec<(String, EdgeKind)>,
}

/// A circuit: where its files are.
#[derive(Clone, Debug, PartialEq)]
pub struct CircuitConfig {
    /// The config file read (the circuit config, after a simulation config pointing to it).
    pub path: PathBuf,
    /// Node files, in order.
    pub nodes: Vec<NodeFiles>,
    /// Edge files, in order.
    pub edges: Vec<EdgeFiles>,
    /// `components.point_neuron_models_dir`: where node types' `dynamics_params` files are.
    pub neuron_models_dir: Option<PathBuf>,
    /// The time step from a simulation config's `run.dt` (ms).
    pub dt_ms: Option<f64>,
}

/// The absolute folder of a config file (relative paths in it start there).
fn folder_of(path: &Path) -> PathBuf {
    let folder = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::path::absolute(folder).unwrap_or_else(|_| folder.to_path_buf())
}

fn err(path: &Path, what: impl Into<String>) -> FileError {
    FileError::new(path, what)
}

fn read_json(path: &Path) -> Result<Map<String, Value>, FileError> {
    let text = std::fs::read_to_string(path).map_err(|e| FileError::io(path, "cannot read", &e))?;
    match serde_json::from_str::<Value>(&text) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err(err(path, "line 1: a SONATA config is a JSON object")),
        Err(e) => Err(err(path, format!("line {}, column {}: {e}", e.line(), e.column()))),
    }
}

/// Expands `$NAME` from the manifest in string values, resolving names defined through others.
struct Manifest {
    vars: Vec<(String, String)>,
}

impl Manifest {
    fn new(path: &Path, json: &Map<String, Value>) -> Result<Self, FileError> {
        let base = &folder_of(path);
        let mut raw: Vec<(String, String)> = vec![("$BASE_DIR".into(), base.display().to_string())];
        if let Some(m) = json.get("manifest") {
            let Value::Object(m) = m else { return Err(err(path, "manifest: must be an object of paths")) };
            for (k, v) in m {
                let Value::String(v) = v else { return Err(err(path, format!("manifest.{k}: must be a string"))) };
                let name = if k.starts_with('$') { k.clone() } else { format!("${k}") };
                raw.retain(|(n, _)| *n != name);
                raw.push((name, v.clone()));
            }
        }
        // Longest names first, so `$BASE_DIR_2` is not read as `$BASE_DIR` + "_2".
        raw.sort_by_key(|(n, _)| std::cmp::Reverse(n.len()));
        let mut m = Self { vars: raw.clone() };
        for (name, value) in &raw {
            let expanded = m.expand(path, value, &format!("manifest.{name}"))?;
            let resolved = m.absolute(base, &expanded);
            if let Some(v) = m.vars.iter_mut().find(|(n, _)| n == name) {
                v.1 = resolved;
            }
        }
        Ok(m)
    }

    fn expand(&self, path: &Path, value: &str, field: &str) -> Result<String, FileError> {
        let mut s = value.to_string();
        for _ in 0..16 {
            if !s.contains('$') {
                return Ok(s);
            }
            let before = s.clone();
            for (name, v) in &self.vars {
                s = s.replace(name.as_str(), v);
            }
            if s == before {
                if self.vars.iter().any(|(n, _)| s.contains(n.as_str())) {
                    break;
                }
                return Err(err(path, format!("{field}: `{value}` names a variable the manifest does not define")));
            }
        }
        Err(err(path, format!("{field}: `{value}`: the manifest's variables refer to each other in a circle")))
    }

    fn absolute(&self, base: &Path, p: &str) -> String {
        let p = Path::new(p);
        let joined = if p.is_absolute() { p.to_path_buf() } else { base.join(p) };
        // `a/./b` and `a/c/../b` as `a/b`, so messages show the path a person would write.
        let mut clean = PathBuf::new();
        for c in joined.components() {
            match c {
                std::path::Component::CurDir => {}
                std::path::Component::ParentDir if clean.file_name().is_some() => {
                    clean.pop();
                }
                other => clean.push(other),
            }
        }
        clean.display().to_string()
    }

    fn path(&self, config: &Path, value: &Value, field: &str) -> Result<PathBuf, FileError> {
        let Value::String(s) = value else { return Err(err(config, format!("{field}: must be a path (a string)"))) };
        Ok(PathBuf::from(self.absolute(&folder_of(config), &self.expand(config, s, field)?)))
    }
}

impl CircuitConfig {
    /// Reads a circuit config, or a simulation config and the circuit config it names.
    pub fn read(path: &Path) -> Result<Self, FileError> {
        let json = read_json(path)?;
        if json.contains_key("networks") {
            return Self::from_circuit(path, &json, None);
        }
        let manifest = Manifest::new(path, &json)?;
        let Some(network) = json.get("network") else {
            return Err(err(
                path,
                "neither `networks` (a circuit config) nor `network` (a simulation config naming one)",
            ));
        };
        let dt = match json.get("run").and_then(|r| r.get("dt")) {
            None => None,
            Some(v) => Some(
                v.as_f64()
                    .filter(|d| d.is_finite() && *d > 0.0)
                    .ok_or_else(|| err(path, format!("run.dt: {v} is not a positive time step in ms")))?,
            ),
        };
        let circuit = manifest.path(path, network, "network")?;
        if circuit == path {
            return Err(err(path, "network: names this file itself"));
        }
        let inner = read_json(&circuit)?;
        if !inner.contains_key("networks") {
            return Err(err(&circuit, "networks: missing (named by the simulation config's `network`)"));
        }
        Self::from_circuit(&circuit, &inner, dt)
    }

    fn from_circuit(path: &Path, json: &Map<String, Value>, dt_ms: Option<f64>) -> Result<Self, FileError> {
        let manifest = Manifest::new(path, json)?;
        let networks =
            json.get("networks").and_then(Value::as_object).ok_or_else(|| err(path, "networks: must be an object"))?;
        let list = |key: &str| -> Result<Vec<Map<String, Value>>, FileError> {
            match networks.get(key) {
                None => Ok(Vec::new()),
                Some(Value::Array(a)) => a
                    .iter()
                    .enumerate()
                    .map(|(i, e)| {
                        e.as_object()
                            .cloned()
                            .ok_or_else(|| err(path, format!("networks.{key}[{i}]: must be an object")))
                    })
                    .collect(),
                Some(_) => Err(err(path, format!("networks.{key}: must be a list"))),
            }
        };
        let optional = |e: &Map<String, Value>, key: &str, field: String| -> Result<Option<PathBuf>, FileError> {
            e.get(key).map(|v| manifest.path(path, v, &field)).transpose()
        };
        let required = |e: &Map<String, Value>, key: &str, field: String| -> Result<PathBuf, FileError> {
            optional(e, key, field.clone())?.ok_or_else(|| err(path, format!("{field}: missing")))
        };
        let mut nodes = Vec::new();
        for (i, e) in list("nodes")?.iter().enumerate() {
            nodes.push(NodeFiles {
                h5: required(e, "nodes_file", format!("networks.nodes[{i}].nodes_file"))?,
                types: optional(e, "node_types_file", format!("networks.nodes[{i}].node_types_file"))?,
            });
        }
        if nodes.is_empty() {
            return Err(err(path, "networks.nodes: a circuit needs at least one node file"));
        }
        let mut edges = Vec::new();
        for (i, e) in list("edges")?.iter().enumerate() {
            let mut kinds = Vec::new();
            if let Some(pops) = e.get("populations") {
                let field = format!("networks.edges[{i}].populations");
                let pops = pops.as_object().ok_or_else(|| err(path, format!("{field}: must be an object")))?;
                for (name, p) in pops {
                    let kind = match p.get("type").and_then(Value::as_str) {
                        None | Some("chemical") => EdgeKind::Chemical,
                        Some("electrical") => EdgeKind::Electrical,
                        Some(other) => {
                            return Err(err(
                                path,
                                format!(
                                    "{field}.{name}.type: `{other}` edges are not read (chemical and electrical are)"
                                ),
                            ));
                        }
                    };
                    kinds.push((name.clone(), kind));
                }
            }
            edges.push(EdgeFiles {
                h5: required(e, "edges_file", format!("networks.edges[{i}].edges_file"))?,
                types: optional(e, "edge_types_file", format!("networks.edges[{i}].edge_types_file"))?,
                kinds,
            });
        }
        let neuron_models_dir = match json.get("components").and_then(|c| c.get("point_neuron_models_dir")) {
            Some(v) => Some(manifest.path(path, v, "components.point_neuron_models_dir")?),
            None => None,
        };
        Ok(Self { path: path.to_path_buf(), nodes, edges, neuron_models_dir, dt_ms })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifest_variables_expand_through_each_other_and_relative_to_the_config() {
        let dir = tempfile::tempdir().unwrap();
        let cfg = dir.path().join("circuit_config.json");
        std::fs::write(
            &cfg,
            r#"{"manifest": {"$NETWORK_DIR": "$BASE_DIR/network", "$COMPONENTS": "comp"},
                "components": {"point_neuron_models_dir": "$COMPONENTS/point"},
                "networks": {"nodes": [{"nodes_file": "$NETWORK_DIR/n.h5", "node_types_file": "$NETWORK_DIR/t.csv"}],
                             "edges": [{"edges_file": "$NETWORK_DIR/e.h5", "populations": {"gj": {"type": "electrical"}}}]}}"#,
        )
        .unwrap();
        let c = CircuitConfig::read(&cfg).unwrap();
        assert_eq!(c.nodes[0].h5, dir.path().join("network/n.h5"));
        assert_eq!(c.neuron_models_dir, Some(dir.path().join("comp/point")));
        assert_eq!(c.edges[0].kinds, vec![("gj".to_string(), EdgeKind::Electrical)]);
        let sim = dir.path().join("simulation_config.json");
        std::fs::write(&sim, r#"{"network": "circuit_config.json", "run": {"dt": 0.025, "tstop": 100}}"#).unwrap();
        let c = CircuitConfig::read(&sim).unwrap();
        assert_eq!((c.dt_ms, c.path.clone()), (Some(0.025), cfg));
    }

    #[test]
    fn bad_configs_name_the_field() {
        let dir = tempfile::tempdir().unwrap();
        let cases = [
            (r#"{"networks": {"nodes": [{"nodes_file": "$NOPE/n.h5"}]}}"#, "networks.nodes[0].nodes_file"),
            (r#"{"networks": {"nodes": []}}"#, "networks.nodes"),
            (r#"{"networks": {"nodes": [{"node_types_file": "t.csv"}]}}"#, "nodes_file: missing"),
            (r#"{"manifest": {"$A": "$B", "$B": "$A"}, "networks": {"nodes": [{"nodes_file": "$A"}]}}"#, "circle"),
            (r#"{"network": "c.json", "run": {"dt": -1}}"#, "run.dt"),
            (
                r#"{"networks": {"nodes": [{"nodes_file": "n.h5"}], "edges": [{"edges_file": "e.h5", "populations": {"a": {"type": "endfoot"}}}]}}"#,
                "endfoot",
            ),
            ("{\"networks\": \n [", "line 2"),
        ];
        for (text, expect) in cases {
            let p = dir.path().join("c.json");
            std::fs::write(&p, text).unwrap();
            let e = CircuitConfig::read(&p).unwrap_err().to_string();
            assert!(e.contains(expect) && e.contains("c.json"), "{text}: {e}");
        }
    }
}
