//! A scene with a SONATA circuit: the circuit's populations put before the scene's own, and its
//! synapse rows joined with the rows the scene's projections draw.

use crate::scene::format::{Dist, InitSpec, Layout, PopulationSpec, SceneFile};
use crate::sim::{Dim, NO_PROJECTION, Quantity, Synapses};
use crate::sonata::Circuit;

/// `scene` with the circuit's populations first (positions as read, or on a grid).
pub(super) fn scene_with(scene: &SceneFile, circuit: &Circuit) -> SceneFile {
    let mut out = scene.clone();
    let mut pops: Vec<PopulationSpec> = circuit
        .populations
        .iter()
        .map(|p| PopulationSpec {
            name: p.name.clone(),
            size: p.size,
            model: p.model.clone(),
            layout: match &p.positions {
                Some(xyz) => Layout::Positions(xyz.iter().map(|q| (q[0], q[1], q[2])).collect()),
                None => Layout::Grid { center: (0.0, 0.0, 0.0), spacing: 20.0 },
            },
            init: InitSpec {
                v: p.v_init.map(|v| Dist::Constant(Quantity::new(v, Dim::Voltage))),
                ..InitSpec::default()
            },
            intrinsic: None,
            neurogenesis: None,
            neuron_names: Vec::new(),
        })
        .collect();
    pops.append(&mut out.populations);
    out.populations = pops;
    out
}

/// The circuit's rows (over its neurons, the first ones) followed, row by row, by the scene's
/// (over every neuron). Circuit synapses belong to no projection.
pub(super) fn merge_rows(mut circuit: Synapses, scene: Synapses, with_projection: bool) -> Synapses {
    let n = scene.row_start.len() - 1;
    if scene.is_empty() && !with_projection {
        let last = *circuit.row_start.last().unwrap_or(&0);
        circuit.row_start.resize(n + 1, last);
        return circuit;
    }
    let circuit_rows = circuit.row_start.len().saturating_sub(1);
    let total = circuit.len() + scene.len();
    let with_delay = !circuit.delay.is_empty() || !scene.delay.is_empty();
    let mut out = Synapses {
        row_start: Vec::with_capacity(n + 1),
        target: Vec::with_capacity(total),
        weight: Vec::with_capacity(total),
        delay: Vec::with_capacity(if with_delay { total } else { 0 }),
        projection: Vec::with_capacity(if with_projection { total } else { 0 }),
        id: Vec::new(),
    };
    out.row_start.push(0);
    for i in 0..n {
        if i < circuit_rows {
            let row = circuit.row_start[i] as usize..circuit.row_start[i + 1] as usize;
            take(&mut out, &circuit, row, Some(NO_PROJECTION), (with_delay, with_projection));
        }
        let row = scene.row_start[i] as usize..scene.row_start[i + 1] as usize;
        take(&mut out, &scene, row, None, (with_delay, with_projection));
        out.row_start.push(out.target.len() as u64);
    }
    out
}

/// Appends slots `range` of `from` to `out`, in the projection `projection` (or their own).
fn take(
    out: &mut Synapses,
    from: &Synapses,
    range: std::ops::Range<usize>,
    projection: Option<u16>,
    (with_delay, with_projection): (bool, bool),
) {
    out.target.extend_from_slice(&from.target[range.clone()]);
    out.weight.extend_from_slice(&from.weight[range.clone()]);
    if with_delay {
        if from.delay.is_empty() {
            out.delay.extend(std::iter::repeat_n(0, range.len()));
        } else {
            out.delay.extend_from_slice(&from.delay[range.clone()]);
        }
    }
    if with_projection {
        match projection {
            Some(p) => out.projection.extend(std::iter::repeat_n(p, range.len())),
            None => out.projection.extend_from_slice(&from.projection[range]),
        }
    }
}
