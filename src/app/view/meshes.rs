//! The meshes the instanced draws run over: one quad per neuron or per edge slot (the shaders place
//! them from the buffers), and segmented ribbons for the attention arcs.

use bevy::asset::RenderAssetUsages;
use bevy::mesh::{Indices, PrimitiveTopology};
use bevy::prelude::*;

/// A mesh of `count` quads whose vertices carry (x, y, index): corners ±1 when `ribbon` is
/// false; (t ∈ {0, 1}, side ±1) when true.
pub fn quad_mesh(count: usize, ribbon: bool) -> Mesh {
    let count = count.max(1);
    let mut positions = Vec::with_capacity(count * 4);
    let mut indices = Vec::with_capacity(count * 6);
    let corners: [[f32; 2]; 4] = if ribbon {
        [[0.0, -1.0], [1.0, -1.0], [1.0, 1.0], [0.0, 1.0]]
    } else {
        [[-1.0, -1.0], [1.0, -1.0], [1.0, 1.0], [-1.0, 1.0]]
    };
    for i in 0..count {
        let base = (i * 4) as u32;
        for c in corners {
            positions.push([c[0], c[1], i as f32]);
        }
        indices.extend_from_slice(&[base, base + 1, base + 2, base, base + 2, base + 3]);
    }
    Mesh::new(PrimitiveTopology::TriangleList, RenderAssetUsages::RENDER_WORLD)
        .with_inserted_attribute(Mesh::ATTRIBUTE_POSITION, positions)
        .with_inserted_indices(Indices::U32(indices))
}

/// Segmented ribbons for the slots `items` (the attention edges), drawn as arcs by the synapse
/// shader: vertices carry (t, side ±2, slot).
pub fn arc_mesh(items: &[u32]) -> Mesh {
    const SEGMENTS: u32 = 12;
    let count = items.len().max(1);
    let mut positions = Vec::with_capacity(count * (SEGMENTS as usize + 1) * 2);
    let mut indices = Vec::with_capacity(count * SEGMENTS as usize * 6);
    for i in 0..count {
        let base = positions.len() as u32;
        for k in 0..=SEGMENTS {
            let t = k as f32 / SEGMENTS as f32;
            let index = items.get(i).copied().unwrap_or(0) as f32;
            positions.push([t, -2.0, index]);
            positions.push([t, 2.0, index]);
        }
        for k in 0..SEGMENTS {
            let v = base + 2 * k;
            indices.extend_from_slice(&[v, v + 2, v + 3, v, v + 3, v + 1]);
        }
    }
    Mesh::new(PrimitiveTopology::TriangleList, RenderAssetUsages::RENDER_WORLD)
        .with_inserted_attribute(Mesh::ATTRIBUTE_POSITION, positions)
        .with_inserted_indices(Indices::U32(indices))
}
