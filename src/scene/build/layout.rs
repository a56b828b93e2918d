//! Where neurons sit (layouts drawn from the counter-based generator) and the camera path a scene
//! names.

use super::Result;
use crate::scene::error::Problem;
use crate::scene::format::{CameraPath, Layout};
use crate::sim::Dim;
use crate::sim::rng::{CounterRng, stream};

/// Positions of `n` neurons with ids starting at `first`.
pub(super) fn layout_positions(
    layout: &Layout,
    n: u32,
    seed: u64,
    first: u64,
) -> std::result::Result<Vec<[f32; 3]>, String> {
    check_layout(layout)?;
    let draw = |id: u64| {
        let mut r = CounterRng::new(seed, 0, id, stream::LAYOUT);
        [r.uniform() as f32, r.uniform() as f32, r.uniform() as f32]
    };
    Ok(match layout {
        Layout::Box { center, size } => (0..n as u64)
            .map(|k| {
                let u = draw(first + k);
                [center.0 + (u[0] - 0.5) * size.0, center.1 + (u[1] - 0.5) * size.1, center.2 + (u[2] - 0.5) * size.2]
            })
            .collect(),
        Layout::Sphere { center, radius } => (0..n as u64)
            .map(|k| {
                // Rejection sampling in the unit cube, keyed by (id, attempt) so it stays pure.
                let mut attempt = 0u64;
                loop {
                    let mut r = CounterRng::new(seed, attempt, first + k, stream::LAYOUT);
                    let u = [
                        r.uniform() as f32 * 2.0 - 1.0,
                        r.uniform() as f32 * 2.0 - 1.0,
                        r.uniform() as f32 * 2.0 - 1.0,
                    ];
                    if u[0] * u[0] + u[1] * u[1] + u[2] * u[2] <= 1.0 {
                        break [center.0 + radius * u[0], center.1 + radius * u[1], center.2 + radius * u[2]];
                    }
                    attempt += 1;
                }
            })
            .collect(),
        Layout::Grid { center, spacing } => {
            let side = (n as f64).cbrt().ceil() as u32;
            let half = (side as f32 - 1.0) * spacing / 2.0;
            (0..n)
                .map(|k| {
                    let (x, y, z) = (k % side, (k / side) % side, k / (side * side));
                    [
                        center.0 + x as f32 * spacing - half,
                        center.1 + y as f32 * spacing - half,
                        center.2 + z as f32 * spacing - half,
                    ]
                })
                .collect()
        }
        Layout::Positions(list) => {
            if list.len() != n as usize {
                return Err(format!("{} positions for {n} neurons", list.len()));
            }
            list.iter().map(|p| [p.0, p.1, p.2]).collect()
        }
    })
}

/// The largest coordinate a layout may name (µm): a kilometre, far beyond any tissue, far below
/// what the view's 32-bit positions lose precision on.
const MAX_COORDINATE: f32 = 1e9;

/// Every coordinate finite and within [`MAX_COORDINATE`]; sizes and radii not negative, spacing
/// positive.
fn check_layout(layout: &Layout) -> std::result::Result<(), String> {
    let coordinate = |what: &str, v: f32| {
        if v.is_finite() && v.abs() <= MAX_COORDINATE {
            Ok(())
        } else {
            Err(format!("{what} {v} must be a finite number of µm within ±{MAX_COORDINATE:e}"))
        }
    };
    let point = |what: &str, p: &(f32, f32, f32)| [p.0, p.1, p.2].into_iter().try_for_each(|v| coordinate(what, v));
    let length = |what: &str, v: f32, positive: bool| {
        coordinate(what, v)?;
        if v < 0.0 || (positive && v == 0.0) {
            return Err(format!("{what} {v} must be {}", if positive { "> 0" } else { ">= 0" }));
        }
        Ok(())
    };
    match layout {
        Layout::Box { center, size } => {
            point("center", center)?;
            [size.0, size.1, size.2].into_iter().try_for_each(|v| length("size", v, false))
        }
        Layout::Sphere { center, radius } => {
            point("center", center)?;
            length("radius", *radius, false)
        }
        Layout::Grid { center, spacing } => {
            point("center", center)?;
            length("spacing", *spacing, true)
        }
        Layout::Positions(list) => list.iter().try_for_each(|p| point("position", p)),
    }
}

/// A layout saved from the app: one finite position per neuron the scene builds.
pub(super) fn check_display_positions(positions: &[(f32, f32, f32)], neurons: usize) -> Result<()> {
    if !positions.is_empty() && positions.len() != neurons {
        return Err(Problem::at(
            "display_positions",
            format!("{} positions for the {neurons} neurons the scene builds", positions.len()),
        ));
    }
    if let Some(i) = positions.iter().position(|&(x, y, z)| !(x.is_finite() && y.is_finite() && z.is_finite())) {
        return Err(Problem::at(format!("display_positions[{i}]"), "must be finite coordinates (µm)"));
    }
    Ok(())
}

/// A recording to replay: at least one spike file, and a start time >= 0 (the files themselves
/// are read, and checked, when the app replays them).
pub(super) fn check_recording(r: &crate::scene::format::RecordingSpec) -> Result<()> {
    if r.spikes.is_empty() {
        return Err(Problem::at("recording.spikes", "names no spike file"));
    }
    if let Some(at) = &r.at {
        let t = at.expect(Dim::Time).map_err(|m| Problem::at("recording.at", m))?;
        if t < 0.0 {
            return Err(Problem::at("recording.at", format!("{t} ms: the replay starts at a time >= 0")));
        }
    }
    Ok(())
}

/// A camera path's keys: times increasing, angles and zoom in range, focus on an existing neuron.
pub(super) fn check_camera(c: &CameraPath, neurons: usize) -> Result<()> {
    let mut last = f64::NEG_INFINITY;
    for (i, k) in c.keyframes.iter().enumerate() {
        let p = format!("camera.keyframes[{i}]");
        let at = k.at.expect(Dim::Time).map_err(|m| Problem::at(format!("{p}.at"), m))?;
        if !(at.is_finite() && at >= 0.0 && at > last) {
            return Err(Problem::at(
                format!("{p}.at"),
                format!("must be a time >= 0 after the previous key's, got {at} ms"),
            ));
        }
        last = at;
        let checks = [
            ("yaw", k.yaw.is_finite(), "must be a finite angle in degrees"),
            ("pitch", k.pitch.is_finite() && k.pitch.abs() <= 85.0, "must be between -85 and 85 degrees"),
            ("zoom", k.zoom.is_finite() && k.zoom > 0.0 && k.zoom <= 100.0, "must be in (0, 100]"),
        ];
        for (field, ok, msg) in checks {
            if !ok {
                return Err(Problem::at(format!("{p}.{field}"), msg.to_string()));
            }
        }
        if let Some(n) = k.focus.filter(|&n| n as usize >= neurons) {
            return Err(Problem::at(
                format!("{p}.focus"),
                format!("there is no neuron {n} (the network has {neurons})"),
            ));
        }
    }
    Ok(())
}
