//! SONATA in and out. Importing reads the whole circuit (so every error shows now, naming its file
//! and dataset) and returns a scene that names the circuit: its populations, synapses and couplings
//! are built from the files, and the scene's own inputs, populations and growth rules are added to
//! them. Exporting writes a network as a circuit folder (`sonata::write_circuit`), into a
//! temporary folder renamed when complete.

use std::path::{Component, Path, PathBuf};

use super::script::not_expressed;
use crate::engine::Simulation;
use crate::files::{FileError, commit_folder, temporary_folder_beside};
use crate::scene::format::{SCENE_VERSION, SceneFile, SonataSpec};
use crate::sim::{Dim, Quantity};
use crate::sonata::{Circuit, CircuitConfig, CircuitSizes, WriteReport, circuit_sizes, write_circuit};

/// The time step of an imported circuit whose config does not set `run.dt` (ms).
pub const DEFAULT_DT_MS: f64 = 0.1;

/// An imported circuit: the scene naming it, and what the import found.
pub struct SonataImport {
    /// The scene.
    pub scene: SceneFile,
    /// What was read (populations, synapses, couplings), then what was not used.
    pub report: Vec<String>,
    /// Neurons read.
    pub neurons: usize,
    /// Synapses read.
    pub synapses: usize,
}

/// Reads the circuit `config` (a circuit or simulation config) and returns a scene naming it by
/// `written_as` (the path the scene will hold: relative to the scene's folder, or absolute).
pub fn import(config: &Path, written_as: &str) -> Result<SonataImport, FileError> {
    let read = CircuitConfig::read(config)?;
    let dt = read.dt_ms.unwrap_or(DEFAULT_DT_MS);
    let circuit = Circuit::read_config(read, dt)?;
    let mut report = vec![format!(
        "SONATA: {} populations ({}), {} neurons, {} synapses, {} electrical couplings; dt {dt} ms{}",
        circuit.populations.len(),
        circuit.populations.iter().map(|p| format!("{} {}", p.name, p.size)).collect::<Vec<_>>().join(", "),
        circuit.num_neurons(),
        circuit.synapses.len(),
        circuit.couplings.len(),
        if circuit.config.dt_ms.is_some() { " (run.dt)" } else { " (the default: no run.dt)" },
    )];
    report.extend(circuit.notes.iter().map(|n| format!("note: {n}")));
    let sizes = CircuitSizes {
        nodes: circuit.num_neurons() as u64,
        synapses: circuit.synapses.len() as u64,
        couplings: circuit.couplings.len() as u64,
    };
    let scene = scene_for(config, written_as, dt, &sizes);
    Ok(SonataImport { scene, report, neurons: circuit.num_neurons(), synapses: circuit.synapses.len() })
}

/// A scene naming the circuit `config` by `written_as`, from its config and dataset shapes alone
/// (what opening it in the app needs: the circuit is read once, when the scene is built).
pub fn open(config: &Path, written_as: &str) -> Result<SceneFile, FileError> {
    let dt = CircuitConfig::read(config)?.dt_ms.unwrap_or(DEFAULT_DT_MS);
    Ok(scene_for(config, written_as, dt, &circuit_sizes(config)?))
}

fn scene_for(config: &Path, written_as: &str, dt: f64, sizes: &CircuitSizes) -> SceneFile {
    let name = std::path::absolute(config)
        .ok()
        .and_then(|p| p.parent().and_then(|d| d.file_name()).map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "SONATA circuit".into());
    SceneFile {
        version: SCENE_VERSION,
        name,
        description: format!(
            "The SONATA circuit {written_as}: {} neurons, {} synapses, {} couplings, built from its files.",
            sizes.nodes, sizes.synapses, sizes.couplings
        ),
        dt: Quantity::new(dt, Dim::Time),
        seed: 1,
        populations: Vec::new(),
        projections: Vec::new(),
        gap_junctions: Vec::new(),
        inputs: Vec::new(),
        structural_plasticity: None,
        attention_edges: None,
        camera: None,
        display_positions: Vec::new(),
        recording: None,
        sonata: Some(SonataSpec { config: written_as.to_string() }),
    }
}

/// `path` as seen from folder `from`: relative when both resolve, absolute otherwise.
pub fn path_from(path: &Path, from: &Path) -> String {
    let (Ok(p), Ok(f)) = (path.canonicalize(), from.canonicalize()) else {
        return std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf()).display().to_string();
    };
    let (pc, fc): (Vec<Component>, Vec<Component>) = (p.components().collect(), f.components().collect());
    let common = pc.iter().zip(&fc).take_while(|(a, b)| a == b).count();
    let mut rel = PathBuf::new();
    for _ in common..fc.len() {
        rel.push("..");
    }
    for c in &pc[common..] {
        rel.push(c);
    }
    rel.display().to_string()
}

/// Writes `sim`'s network as a SONATA circuit folder `dir` (which must not exist, or be empty;
/// `compress`: see [`write_circuit`]); the report lists what the circuit leaves out (inputs,
/// state, the rules).
pub fn export(sim: &Simulation, dir: &Path, compress: bool) -> Result<WriteReport, FileError> {
    let tmp = temporary_folder_beside(dir)?;
    let mut report = write_circuit(&sim.network, tmp.path(), compress)?;
    commit_folder(tmp, dir)?;
    report.left_out.extend(not_expressed(sim, None));
    Ok(report)
}
