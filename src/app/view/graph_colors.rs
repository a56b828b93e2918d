//! Neurons coloured by a graph measure: the neuron statics' colours rewritten from the newest
//! graph computation when it, the choice or the network changes (never per frame).

use bevy::prelude::*;
use bevy::render::storage::ShaderBuffer;

use super::{ViewBuffers, ViewHandles, ViewSettings};
use crate::app::bridge::Sim;
use crate::app::graph::{GraphColor, GraphState};
use crate::app::palette;

/// Linear RGB of community `c`: hues spaced by the golden angle, so neighbours in label order
/// differ.
pub fn community_color(c: u32) -> [f32; 3] {
    let h = (f64::from(c) * 0.618_033_988_75).fract() as f32;
    hsv_to_linear(h, 0.7, 0.95)
}

/// Linear RGB of a value `x` against the largest `max` on the viridis map.
pub fn scalar_color(x: f64, max: f64) -> [f32; 3] {
    let t = if max > 0.0 { (x / max).clamp(0.0, 1.0) } else { 0.0 };
    let [r, g, b] = palette::viridis(t as f32);
    let lin = |v: u8| (f32::from(v) / 255.0).powf(2.2);
    [lin(r), lin(g), lin(b)]
}

fn hsv_to_linear(h: f32, s: f32, v: f32) -> [f32; 3] {
    let i = (h * 6.0).floor();
    let f = h * 6.0 - i;
    let (p, q, t) = (v * (1.0 - s), v * (1.0 - f * s), v * (1.0 - (1.0 - f) * s));
    let [r, g, b] = match i as i32 % 6 {
        0 => [v, t, p],
        1 => [q, v, p],
        2 => [p, v, t],
        3 => [p, q, v],
        4 => [t, p, v],
        _ => [v, p, q],
    };
    [r.powf(2.2), g.powf(2.2), b.powf(2.2)]
}

/// Per-neuron colours for `color` from `values`: communities by hue, the others on viridis up to
/// their 99th percentile.
pub fn colors_for(color: GraphColor, values: &[f64]) -> Vec<[f32; 3]> {
    match color {
        GraphColor::Community => values.iter().map(|&c| community_color(c as u32)).collect(),
        _ => {
            // The 99th percentile as the top of the map, so one hub does not darken the rest.
            let mut sorted: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
            sorted.sort_by(f64::total_cmp);
            let top = sorted.get((sorted.len().saturating_sub(1)) * 99 / 100).copied().unwrap_or(0.0);
            values.iter().map(|&x| scalar_color(x, top)).collect()
        }
    }
}

/// Rewrites the neuron colours when the choice, the graph computation or the neuron buffers
/// changed since they were last written.
pub fn apply_graph_colors(
    sim: Option<Res<Sim>>,
    settings: Res<ViewSettings>,
    graph: Option<Res<GraphState>>,
    cpu: Res<ViewBuffers>,
    handles: Option<Res<ViewHandles>>,
    mut buffers: ResMut<Assets<ShaderBuffer>>,
    mut applied: Local<Option<(GraphColor, u64, u64)>>,
) {
    let (Some(sim), Some(handles), Some(graph)) = (sim, handles, graph) else { return };
    let serial = graph.latest.as_ref().map_or(0, |s| s.serial);
    let key = (
        settings.graph_color,
        if settings.graph_color == GraphColor::Population { 0 } else { serial },
        cpu.neurons.generation,
    );
    if *applied == Some(key) {
        return;
    }
    let net = sim.network();
    let colors = match graph.latest.as_ref().and_then(|s| s.values(settings.graph_color)) {
        Some(values) => colors_for(settings.graph_color, &values),
        // Nothing computed yet for this choice: population colours until it is.
        None if settings.graph_color != GraphColor::Population => return,
        None => Vec::new(),
    };
    if let Some(mut b) = buffers.get_mut(&handles.neurons.neurons) {
        b.data = Some(cpu.neurons.statics(net, |i| colors.get(i).copied()));
    }
    *applied = Some(key);
}
