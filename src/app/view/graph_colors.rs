//! Neurons coloured by a graph measure and drawn where the layout puts them: the neuron statics
//! rewritten from the newest graph computation and the layout shown when either, the choice or
//! the network changes (per frame only while neurons move).

use bevy::prelude::*;
use bevy::render::storage::ShaderBuffer;

use super::{ViewBuffers, ViewHandles, ViewSettings};
use crate::app::bridge::Sim;
use crate::app::graph::{GraphColor, GraphState};
use crate::app::layout::{ShownLayout, shown_positions};
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

/// Radius factors from degrees: 0.6 for none up to 2 at the 99th percentile (and above), by the
/// square root, so a neuron's area grows with its degree.
pub fn degree_sizes(degrees: &[u32]) -> Vec<f32> {
    let mut sorted = degrees.to_vec();
    sorted.sort_unstable();
    // The 99th percentile, rounded up to the largest in graphs of fewer than 100 neurons.
    let at = (sorted.len().saturating_sub(1) as f64 * 0.99).round() as usize;
    let top = sorted.get(at).copied().unwrap_or(0).max(1) as f32;
    degrees.iter().map(|&d| 0.6 + 1.4 * (d as f32 / top).min(1.0).sqrt()).collect()
}

/// Rewrites the neuron statics when the colouring, the graph computation, the neuron buffers or
/// the layout shown changed since they were last written: colours from the graph measure chosen
/// (the previous ones until its first computation arrives), positions from the layout.
pub fn write_statics(
    sim: Option<Res<Sim>>,
    settings: Res<ViewSettings>,
    graph: Option<Res<GraphState>>,
    layout: Option<Res<ShownLayout>>,
    cpu: Res<ViewBuffers>,
    handles: Option<Res<ViewHandles>>,
    mut buffers: ResMut<Assets<ShaderBuffer>>,
    mut applied: Local<Option<((GraphColor, u64, u64), u64, u64)>>,
    mut colors: Local<Vec<[f32; 3]>>,
    mut sizes: Local<Vec<f32>>,
) {
    let (Some(sim), Some(handles)) = (sim, handles) else { return };
    let serial = graph.as_ref().and_then(|g| g.latest.as_ref()).map_or(0, |s| s.serial);
    let color_key = (
        settings.graph_color,
        if settings.graph_color == GraphColor::Population { 0 } else { serial },
        cpu.neurons.generation,
    );
    let sizes_key = if settings.size_by_degree { serial + 1 } else { 0 };
    let key = (color_key, layout.as_ref().map_or(0, |l| l.generation), sizes_key);
    if *applied == Some(key) {
        return;
    }
    if applied.is_none_or(|(c, _, _)| c != color_key) {
        match graph.as_ref().and_then(|g| g.latest.as_ref()).and_then(|s| s.values(settings.graph_color)) {
            Some(values) => *colors = colors_for(settings.graph_color, &values),
            None if settings.graph_color == GraphColor::Population => colors.clear(),
            // Nothing computed yet for this choice: the colours shown until it is.
            None => {}
        }
    }
    // Sizes follow a new measurement or the switch, not each frame a layout moves.
    if applied.is_none_or(|(_, _, s)| s != sizes_key) {
        let degrees = graph.as_ref().and_then(|g| g.latest.as_ref()).map(|s| s.degree.as_slice()).unwrap_or(&[]);
        *sizes = if settings.size_by_degree { degree_sizes(degrees) } else { Vec::new() };
    }
    let net = sim.network();
    let positions = shown_positions(layout.as_deref(), net);
    if let Some(mut b) = buffers.get_mut(&handles.neurons.neurons) {
        let size_of = |i: usize| sizes.get(i).copied().unwrap_or(1.0);
        b.data = Some(cpu.neurons.statics_sized(net, positions, |i| colors.get(i).copied(), size_of));
    }
    *applied = Some(key);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn degree_sizes_run_from_small_to_twice_the_radius() {
        let degrees: Vec<u32> = (0..=100).collect();
        let s = degree_sizes(&degrees);
        assert!((s[0] - 0.6).abs() < 1e-6 && (s[99] - 2.0).abs() < 1e-6 && (s[100] - 2.0).abs() < 1e-6);
        assert!(s.windows(2).all(|w| w[1] >= w[0]), "larger with degree");
        assert!(degree_sizes(&[]).is_empty());
        // A small star: the hub is the largest.
        let star = degree_sizes(&[16, 2, 2, 2, 2, 2, 2, 2, 2]);
        assert!((star[0] - 2.0).abs() < 1e-6 && star[1] < 1.2, "{star:?}");
    }
}
