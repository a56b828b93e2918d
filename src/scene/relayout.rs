//! A scene that remembers the layout it was seen in: the app's positions written into the scene's
//! `display_positions`, so the saved scene opens drawn as it was. The network's own positions
//! (which distance-dependent wiring and rules read) are left as the populations' layouts.

use super::format::SceneFile;

/// `file` drawn at `positions` (one per neuron the scene builds, in id order), rounded to 0.01 µm.
/// Refused, naming the neuron, when a position is not finite.
pub fn with_display_positions(file: &SceneFile, positions: &[[f32; 3]]) -> Result<SceneFile, String> {
    let r = |v: f32| (v * 100.0).round() / 100.0;
    let mut placed = Vec::with_capacity(positions.len());
    for (i, &[x, y, z]) in positions.iter().enumerate() {
        if !(x.is_finite() && y.is_finite() && z.is_finite()) {
            return Err(format!("neuron {i} has no finite position"));
        }
        placed.push((r(x), r(y), r(z)));
    }
    Ok(SceneFile { display_positions: placed, ..file.clone() })
}
