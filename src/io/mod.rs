//! Importers and exporters of other tools' formats. Each turns a file into an ordinary
//! [`SceneFile`](crate::scene::SceneFile) (so plasticity and growth can be attached, and the result
//! saved, snapshotted and recorded), with errors naming the file, the line and the column.

pub mod edge_list;
pub mod graph_export;
mod nest_row;
pub mod nest_script;
pub mod neuroml;
pub mod pynn_script;
pub mod recording;
mod recording_h5;
pub mod recording_voltage;
pub mod replay;
mod script;
pub mod sonata;
pub mod spike_index;
pub mod spike_source;

use std::path::Path;

use crate::scene::Scene;
use crate::scene::format::{Connectivity, Dist, GapJunctionSpec, ProjectionSpec};
use crate::sim::{Quantity, Receptor};

/// A projection of explicit (source, target) index pairs with one weight and one delay, as the
/// importers write them (no plasticity, no pruning).
fn pairs_projection(
    name: String,
    (source, target): (String, String),
    pairs: Vec<(u32, u32)>,
    (weight, delay): (Quantity, Quantity),
    receptor: Receptor,
) -> ProjectionSpec {
    ProjectionSpec {
        name,
        source,
        target,
        connectivity: Connectivity::Pairs(pairs),
        weight: Dist::Constant(weight),
        delay: Dist::Constant(delay),
        receptor,
        plasticity: None,
        pruning: None,
    }
}

/// Gap junctions between explicit index pairs with one conductance.
fn pairs_coupling(
    (source, target): (String, String),
    pairs: Vec<(u32, u32)>,
    conductance: Quantity,
) -> GapJunctionSpec {
    GapJunctionSpec {
        source,
        target,
        connectivity: Connectivity::Pairs(pairs),
        conductance: Dist::Constant(conductance),
    }
}

/// The file kinds `open` turns into a scene, by extension.
pub const OPENABLE: &[&str] = &["ron", "nml", "xml", "csv", "json"];

/// The other tools' files among them (the app's Import…).
pub const IMPORTABLE: &[&str] = &["json", "nml", "xml", "csv"];

/// Opens a scene file, or imports a NeuroML2 network (`.nml`, `.xml`), a connectome edge list
/// (`.csv`, with the import's defaults: 1 mV per chemical contact, 0.1 nS per electrical one, no
/// positions or classes) or a SONATA circuit or simulation config (`.json`) as one; errors name
/// the file.
pub fn open(path: &Path) -> Result<Scene, String> {
    let ext = path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase);
    let file = match ext.as_deref() {
        Some("nml" | "xml") => neuroml::import(path)?,
        Some("csv") => edge_list::import(&edge_list::EdgeListImport::defaults(path))?.scene,
        Some("json") => {
            let absolute = std::path::absolute(path).map_err(|e| format!("{}: {e}", path.display()))?;
            sonata::open(path, &absolute.display().to_string()).map_err(|e| e.to_string())?
        }
        _ => return Scene::load(path).map_err(|e| e.to_string()),
    };
    Scene::parse(&Scene::to_ron(&file), &path.display().to_string()).map_err(|e| e.to_string())
}
