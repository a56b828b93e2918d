//! Picking neurons with the mouse: a click selects the neuron nearest the ray through the cursor
//! (ray–sphere test on the CPU, fine for 10⁵ neurons per click); Shift+click stimulates the
//! neurons around the picked one; hovering shows a tooltip (drawn by the UI).

use bevy::prelude::*;
use bevy::window::PrimaryWindow;
use bevy_egui::input::EguiWantsInput;

use super::bridge::{Selection, Sim, SimRequest};
use super::view::ViewBuffers;
use crate::sim::NeuronId;

/// The neuron under the cursor, if any (for the tooltip).
#[derive(Resource, Default, Debug, Clone, Copy, PartialEq)]
pub struct Hovered(pub Option<NeuronId>);

/// Stimulus delivered by Shift+click.
#[derive(Resource, Debug, Clone, Copy, PartialEq)]
pub struct StimulusSettings {
    /// Amplitude (pA).
    pub amplitude_pa: f64,
    /// Duration (ms).
    pub duration_ms: f64,
    /// Radius around the clicked neuron, in neuron radii.
    pub radius_in_radii: f32,
}

impl Default for StimulusSettings {
    fn default() -> Self {
        Self { amplitude_pa: 800.0, duration_ms: 20.0, radius_in_radii: 12.0 }
    }
}

/// Click-to-select, Shift+click to stimulate, hover.
pub struct PickingPlugin;

impl Plugin for PickingPlugin {
    fn build(&self, app: &mut App) {
        app.init_resource::<Hovered>()
            .init_resource::<StimulusSettings>()
            .add_systems(Update, pick_neurons.run_if(resource_exists::<Sim>));
    }
}

/// The nearest neuron whose sphere (of radius `radius`) the ray hits, by distance along the ray,
/// among those `shown`.
pub fn pick(ray: Ray3d, positions: &[[f32; 3]], radius: f32, shown: impl Fn(usize) -> bool) -> Option<NeuronId> {
    let dir = *ray.direction;
    let mut best: Option<(f32, u32)> = None;
    let r2 = radius * radius;
    for (i, p) in positions.iter().enumerate() {
        let to = Vec3::from_array(*p) - ray.origin;
        let t = to.dot(dir);
        if t <= 0.0 {
            continue;
        }
        let d2 = to.length_squared() - t * t;
        if d2 <= r2 && shown(i) && best.is_none_or(|(bt, _)| t < bt) {
            best = Some((t, i as u32));
        }
    }
    best.map(|(_, i)| NeuronId(i))
}

fn pick_neurons(
    buttons: Res<ButtonInput<MouseButton>>,
    keys: Res<ButtonInput<KeyCode>>,
    window: Query<&Window, With<PrimaryWindow>>,
    cameras: Query<(&Camera, &GlobalTransform)>,
    egui: Option<Res<EguiWantsInput>>,
    sim: Res<Sim>,
    cpu: Res<ViewBuffers>,
    stimulus: Res<StimulusSettings>,
    selection: Res<Selection>,
    mut hovered: ResMut<Hovered>,
    mut press: Local<Option<Vec2>>,
    mut requests: MessageWriter<SimRequest>,
    layout: Option<Res<crate::app::layout::ShownLayout>>,
    view: Res<crate::app::view::ViewSettings>,
    path: Option<ResMut<crate::app::path::PathView>>,
) {
    let Ok(window) = window.single() else { return };
    let Some(cursor) = window.cursor_position() else { return };
    let Ok((camera, cam_tf)) = cameras.single() else { return };
    if egui.as_ref().is_some_and(|e| e.wants_any_pointer_input()) {
        *press = None;
        return;
    }
    let Ok(ray) = camera.viewport_to_world(cam_tf, cursor) else { return };
    let radius = cpu.radius() * 1.5;
    let positions = crate::app::layout::shown_positions(layout.as_deref(), &sim.engine.network);
    if buttons.just_pressed(MouseButton::Left) {
        *press = Some(cursor);
    }
    let pops = &sim.engine.network.neurons.population;
    let now = pick(ray, positions, radius, |i| view.shows_population(pops[i].index()));
    if hovered.0 != now {
        hovered.0 = now;
    }
    if buttons.just_released(MouseButton::Left)
        && let Some(p) = press.take()
        && p.distance(cursor) < 4.0
    {
        let shift = keys.pressed(KeyCode::ShiftLeft) || keys.pressed(KeyCode::ShiftRight);
        let ctrl = keys.pressed(KeyCode::ControlLeft) || keys.pressed(KeyCode::ControlRight);
        if ctrl && selection.0.is_some() {
            // The path's end; Ctrl+click on empty space clears it.
            if let Some(mut path) = path {
                path.to = now;
            }
        } else if shift {
            if let Some(center) = now {
                let c = Vec3::from_array(positions[center.index()]);
                let reach = cpu.radius() * stimulus.radius_in_radii;
                let neurons: Vec<u32> = positions
                    .iter()
                    .enumerate()
                    .filter(|(_, p)| Vec3::from_array(**p).distance(c) <= reach)
                    .map(|(i, _)| i as u32)
                    .collect();
                requests.write(SimRequest::Stimulate {
                    neurons,
                    amplitude_pa: stimulus.amplitude_pa,
                    duration_ms: stimulus.duration_ms,
                });
            }
        } else if now != selection.0 {
            requests.write(SimRequest::Select(now));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pick_takes_the_nearest_hit_along_the_ray() {
        let ray = Ray3d::new(Vec3::new(0.0, 0.0, 10.0), Dir3::NEG_Z);
        let pos = [[0.0, 0.0, 0.0], [0.05, 0.0, 5.0], [3.0, 0.0, 8.0], [0.0, 0.0, 20.0]];
        assert_eq!(pick(ray, &pos, 0.1, |_| true), Some(NeuronId(1)));
        assert_eq!(pick(ray, &pos[2..], 0.1, |_| true), None);
        // A neuron not shown is looked through.
        assert_eq!(pick(ray, &pos, 0.1, |i| i != 1), Some(NeuronId(0)));
    }
}
