//! Orbit / pan / zoom camera: left-drag orbits, right- or middle-drag pans, the wheel zooms, F
//! focuses the picked neuron. Input is ignored while egui has the pointer.

use bevy::core_pipeline::tonemapping::Tonemapping;
use bevy::input::mouse::{AccumulatedMouseMotion, AccumulatedMouseScroll, MouseScrollUnit};
use bevy::prelude::*;
use bevy_egui::input::EguiWantsInput;

use super::bridge::{Selection, Sim, SimulationInstalled};

/// The orbit state of the 3D camera.
#[derive(Component, Clone, Copy, Debug, PartialEq)]
pub struct OrbitCamera {
    /// Point looked at.
    pub target: Vec3,
    /// Distance from the target.
    pub radius: f32,
    /// Rotation about the vertical axis (radians).
    pub yaw: f32,
    /// Elevation (radians).
    pub pitch: f32,
    /// Where the camera is gliding to (focus animation).
    pub goal: Option<(Vec3, f32)>,
    /// Whether the distance follows the viewport's shape so the whole network stays in view
    /// (until the user orbits, pans, zooms or focuses).
    pub auto_fit: bool,
    /// Whether the camera flies the scene's camera path (until the user takes over).
    pub follow_path: bool,
}

impl OrbitCamera {
    /// The camera transform for this orbit state.
    pub fn transform(&self) -> Transform {
        let rot = Quat::from_euler(EulerRot::YXZ, self.yaw, -self.pitch, 0.0);
        let eye = self.target + rot * Vec3::new(0.0, 0.0, self.radius);
        Transform::from_translation(eye).looking_at(self.target, Vec3::Y)
    }

    /// An orbit that shows the whole network (its bounding sphere) from a pleasant angle.
    pub fn framing(sim: &Sim) -> Self {
        let (center, extent) = bounds(sim);
        let follow_path = sim.scene.file.camera.as_ref().is_some_and(|c| !c.keyframes.is_empty());
        Self {
            target: center,
            radius: (extent * 1.6).max(1.0),
            yaw: 0.5,
            pitch: 0.35,
            goal: None,
            auto_fit: true,
            follow_path,
        }
    }
}

/// Distance at which a sphere of radius `extent` fills a perspective view of vertical field of view
/// `fov_y` and `aspect` (width / height); the sphere bounds the box of positions loosely, so a
/// little less distance still shows every neuron.
pub fn fit_distance(extent: f32, fov_y: f32, aspect: f32) -> f32 {
    let half_y = fov_y * 0.5;
    let half_x = (half_y.tan() * aspect.max(1e-3)).atan();
    (extent * 0.9 / half_y.min(half_x).sin()).max(1.0)
}

/// Centre and radius of the neurons' bounding sphere, computed again only when the number of
/// neurons changes (neurons are added, never moved).
fn cached_bounds(sim: &Sim, cache: &mut (usize, Vec3, f32)) -> (Vec3, f32) {
    let n = sim.network().num_neurons();
    if cache.0 != n || n == 0 {
        let (c, r) = bounds(sim);
        *cache = (n, c, r);
    }
    (cache.1, cache.2)
}

/// Centre and radius of the neurons' bounding sphere.
pub fn bounds(sim: &Sim) -> (Vec3, f32) {
    crate::app::layout::box_bounds(&sim.engine.network.neurons.position)
        .map_or((Vec3::ZERO, 10.0), |(c, r)| (c, r.max(1.0)))
}

/// The orbit camera (spawned at start-up, framed on each network installed).
pub struct CameraPlugin;

impl Plugin for CameraPlugin {
    fn build(&self, app: &mut App) {
        app.add_systems(Startup, spawn_camera).add_systems(
            Update,
            (
                (orbit_input, refit_on_new_network, keep_fit, follow_camera_path).run_if(resource_exists::<Sim>),
                apply_orbit,
            )
                .chain(),
        );
    }
}

fn spawn_camera(mut commands: Commands) {
    let orbit = OrbitCamera {
        target: Vec3::ZERO,
        radius: 1000.0,
        yaw: 0.5,
        pitch: 0.35,
        goal: None,
        auto_fit: false,
        follow_path: false,
    };
    commands.spawn((
        Camera3d::default(),
        Msaa::Off,
        Tonemapping::TonyMcMapface,
        Projection::Perspective(PerspectiveProjection { far: orbit.radius * 20.0, ..default() }),
        orbit.transform(),
        orbit,
    ));
}

fn refit_on_new_network(
    sim: Res<Sim>,
    mut installed: MessageReader<SimulationInstalled>,
    mut cams: Query<(&mut OrbitCamera, &mut Projection)>,
) {
    // Refit only when a whole new network arrives (open, reset, snapshot), not when it grows.
    if installed.read().count() > 0 {
        for (mut cam, mut proj) in &mut cams {
            *cam = OrbitCamera::framing(&sim);
            if let Projection::Perspective(p) = proj.as_mut() {
                p.far = cam.radius * 20.0;
            }
        }
    }
}

fn orbit_input(
    buttons: Res<ButtonInput<MouseButton>>,
    keys: Res<ButtonInput<KeyCode>>,
    motion: Res<AccumulatedMouseMotion>,
    scroll: Res<AccumulatedMouseScroll>,
    egui: Option<Res<EguiWantsInput>>,
    selection: Res<Selection>,
    sim: Res<Sim>,
    mut cams: Query<&mut OrbitCamera>,
    layout: Option<Res<crate::app::layout::ShownLayout>>,
) {
    let egui_pointer = egui.as_ref().is_some_and(|e| e.wants_any_pointer_input());
    let egui_keys = egui.as_ref().is_some_and(|e| e.wants_any_keyboard_input());
    for mut cam in &mut cams {
        if !egui_pointer {
            let d = motion.delta;
            if buttons.pressed(MouseButton::Left) && d != Vec2::ZERO {
                cam.yaw -= d.x * 0.006;
                cam.pitch = (cam.pitch + d.y * 0.006).clamp(-1.5, 1.5);
                cam.goal = None;
                cam.auto_fit = false;
                cam.follow_path = false;
            }
            if (buttons.pressed(MouseButton::Right) || buttons.pressed(MouseButton::Middle)) && d != Vec2::ZERO {
                let rot = Quat::from_euler(EulerRot::YXZ, cam.yaw, -cam.pitch, 0.0);
                let k = cam.radius * 0.0015;
                let delta = rot * Vec3::new(-d.x * k, d.y * k, 0.0);
                cam.target += delta;
                cam.goal = None;
                cam.auto_fit = false;
                cam.follow_path = false;
            }
            let lines = match scroll.unit {
                MouseScrollUnit::Line => scroll.delta.y,
                MouseScrollUnit::Pixel => scroll.delta.y / 40.0,
            };
            if lines != 0.0 {
                cam.radius = (cam.radius * (1.0 - 0.12 * lines)).max(1e-3);
                cam.auto_fit = false;
                cam.follow_path = false;
            }
        }
        if !egui_keys
            && keys.just_pressed(KeyCode::KeyF)
            && let Some(sel) = selection.0
            && let Some(p) = crate::app::layout::shown_positions(layout.as_deref(), sim.network()).get(sel.index())
        {
            let (_, extent) = bounds(&sim);
            cam.goal = Some((Vec3::from_array(*p), (extent * 0.35).max(1.0)));
            cam.auto_fit = false;
            cam.follow_path = false;
        }
    }
}

/// Keeps an untouched camera's whole network in view as panels open, close or resize.
fn keep_fit(sim: Res<Sim>, mut cache: Local<(usize, Vec3, f32)>, mut cams: Query<(&mut OrbitCamera, &Projection)>) {
    for (mut cam, proj) in &mut cams {
        if let (true, false, Projection::Perspective(p)) = (cam.auto_fit, cam.follow_path, proj) {
            let r = fit_distance(cached_bounds(&sim, &mut cache).1, p.fov, p.aspect_ratio);
            if (cam.radius - r).abs() > r * 1e-3 {
                cam.radius = r;
            }
        }
    }
}

/// Flies the scene's camera path: keys on the biological-time axis, eased in between; zoom is
/// relative to the distance that shows the whole network.
fn follow_camera_path(
    sim: Res<Sim>,
    mut cache: Local<(usize, Vec3, f32)>,
    mut cams: Query<(&mut OrbitCamera, &Projection)>,
    layout: Option<Res<crate::app::layout::ShownLayout>>,
) {
    let Some(path) = sim.scene.file.camera.as_ref() else { return };
    let Some((a, b, s)) = path.around(sim.engine.network.time_ms()) else { return };
    let (center, extent) = cached_bounds(&sim, &mut cache);
    let look_at = |focus: Option<u32>| {
        let shown = crate::app::layout::shown_positions(layout.as_deref(), sim.network());
        focus.and_then(|n| shown.get(n as usize)).map_or(center, |p| Vec3::from_array(*p))
    };
    let mix = |x: f64, y: f64| (x + (y - x) * s) as f32;
    for (mut cam, proj) in &mut cams {
        let Projection::Perspective(p) = proj else { continue };
        if !cam.follow_path {
            continue;
        }
        cam.yaw = mix(a.yaw, b.yaw).to_radians();
        cam.pitch = mix(a.pitch, b.pitch).to_radians();
        cam.radius = mix(a.zoom, b.zoom) * fit_distance(extent, p.fov, p.aspect_ratio);
        cam.target = look_at(a.focus).lerp(look_at(b.focus), s as f32);
        cam.goal = None;
    }
}

fn apply_orbit(time: Res<Time>, mut cams: Query<(&mut OrbitCamera, &mut Transform)>) {
    for (mut cam, mut tf) in &mut cams {
        if let Some((target, radius)) = cam.goal {
            let k = 1.0 - (-8.0 * time.delta_secs()).exp();
            cam.target = cam.target.lerp(target, k);
            cam.radius += (radius - cam.radius) * k;
            if cam.target.distance(target) < radius * 1e-3 {
                cam.goal = None;
            }
        }
        let t = cam.transform();
        if *tf != t {
            *tf = t;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::fit_distance;

    #[test]
    fn a_narrow_view_moves_the_camera_back() {
        let fov = std::f32::consts::FRAC_PI_4;
        let wide = fit_distance(100.0, fov, 2.0);
        let square = fit_distance(100.0, fov, 1.0);
        let tall = fit_distance(100.0, fov, 0.5);
        // Wider than tall: the vertical field of view limits, as for a square view.
        assert!((wide - square).abs() < 1e-3 && (wide - 90.0 / (fov / 2.0).sin()).abs() < 1e-2);
        // Half as wide: the horizontal half-angle atan(tan(fov/2)/2) limits.
        let half_x = ((fov / 2.0).tan() * 0.5).atan();
        assert!((tall - 90.0 / half_x.sin()).abs() < 1e-2 && tall > 1.8 * square);
    }
}
