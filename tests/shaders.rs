//! Our WGSL is parsed and validated on the CPU with naga (no GPU needed). Bevy's shader imports
//! are replaced by declarations of exactly what we use from them, with the same types; our own
//! `neuroplast::common` module is inlined (each shader must import every item of it that it uses).
//! The `Gpu*` structs of the app are held against naga's layout of the WGSL structs they mirror.

use std::path::Path;

/// What our shaders import from Bevy, declared as Bevy declares it (`bevy_render/src/view/view.wgsl`,
/// trimmed to the fields before and including the ones we read).
const VIEW_PRELUDE: &str = r#"
struct View {
    clip_from_world: mat4x4<f32>,
    unjittered_clip_from_world: mat4x4<f32>,
    world_from_clip: mat4x4<f32>,
    world_from_view: mat4x4<f32>,
    view_from_world: mat4x4<f32>,
    clip_from_view: mat4x4<f32>,
    view_from_clip: mat4x4<f32>,
    world_position: vec3<f32>,
    exposure: f32,
};
@group(0) @binding(0) var<uniform> view: View;
"#;

/// Bevy's mesh vertex output (`bevy_pbr/src/render/forward_io.wgsl`) as a mesh with UVs (our
/// rectangles) gets it.
const FORWARD_IO_PRELUDE: &str = r#"
struct VertexOutput {
    @builtin(position) position: vec4<f32>,
    @location(0) world_position: vec4<f32>,
    @location(1) world_normal: vec3<f32>,
    @location(2) uv: vec2<f32>,
};
"#;

/// The path a shared module declares (`#define_import_path`).
const COMMON_PATH: &str = "neuroplast::common";

/// Names defined at the top level of a WGSL module (structs, constants, functions).
fn top_level_names(text: &str) -> Vec<String> {
    let mut names = Vec::new();
    for line in text.lines() {
        for kw in ["struct ", "const ", "fn "] {
            if let Some(rest) = line.strip_prefix(kw) {
                let name: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
                names.push(name);
            }
        }
    }
    names
}

/// Whether `word` occurs in `text` as a whole identifier.
fn uses(text: &str, word: &str) -> bool {
    let ident = |c: char| c.is_alphanumeric() || c == '_';
    text.match_indices(word).any(|(i, _)| {
        let before = text[..i].chars().next_back();
        let after = text[i + word.len()..].chars().next();
        !before.is_some_and(ident) && !after.is_some_and(ident)
    })
}

/// `shaders/common.wgsl` without its `#define_import_path` line.
fn common_body() -> String {
    let text = std::fs::read_to_string("shaders/common.wgsl").unwrap();
    text.lines().filter(|l| !l.trim_start().starts_with("#define_import_path")).collect::<Vec<_>>().join("\n")
}

/// Inlines `#import neuroplast::common::{..}`, checking that the list names items the module has
/// and that the shader uses no item of it that it did not import (Bevy's composer would refuse it).
fn inline_common(path: &Path, line: &str, body: &str) -> Result<String, String> {
    let list = line.split_once("::{").and_then(|(_, r)| r.split_once('}')).map(|(l, _)| l).unwrap_or("");
    let imported: Vec<&str> = list.split(',').map(str::trim).filter(|n| !n.is_empty()).collect();
    let common = common_body();
    let defined = top_level_names(&common);
    for name in &imported {
        if !defined.iter().any(|d| d == name) {
            return Err(format!("{}: imports `{name}`, which {COMMON_PATH} does not define", path.display()));
        }
    }
    for name in &defined {
        if !imported.contains(&name.as_str()) && uses(body, name) {
            return Err(format!("{}: uses `{name}` from {COMMON_PATH} without importing it", path.display()));
        }
    }
    Ok(common + "\n")
}

fn validate(path: &Path) -> Result<naga::Module, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let body: String = text.lines().filter(|l| !l.trim_start().starts_with("#import")).collect::<Vec<_>>().join("\n");
    let mut source = String::new();
    for line in text.lines() {
        let trimmed = line.trim_start();
        if trimmed.starts_with("#import bevy_pbr::mesh_view_bindings::view") {
            source += VIEW_PRELUDE;
        } else if trimmed.starts_with("#import bevy_pbr::forward_io::VertexOutput") {
            source += FORWARD_IO_PRELUDE;
        } else if trimmed.starts_with(&format!("#import {COMMON_PATH}::")) {
            source += &inline_common(path, trimmed, &body)?;
        } else if trimmed.starts_with("#define_import_path") {
            continue;
        } else if trimmed.starts_with("#import") {
            return Err(format!("{}: unexpected import `{line}` (add it to the test prelude)", path.display()));
        } else {
            source += &line.replace("#{MATERIAL_BIND_GROUP}", "3");
            source.push('\n');
        }
    }
    let module = naga::front::wgsl::parse_str(&source).map_err(|e| e.emit_to_string(&source))?;
    naga::valid::Validator::new(naga::valid::ValidationFlags::all(), naga::valid::Capabilities::default())
        .validate(&module)
        .map_err(|e| format!("{}: {e:?}", path.display()))?;
    Ok(module)
}

#[test]
fn every_shader_in_shaders_validates() {
    let mut count = 0;
    for entry in std::fs::read_dir("shaders").unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "wgsl") {
            let module = validate(&path).unwrap_or_else(|e| panic!("{e}"));
            let text = std::fs::read_to_string(&path).unwrap();
            count += 1;
            if text.contains("#define_import_path") {
                // A shared module: declarations only.
                assert!(module.entry_points.is_empty(), "{}: a module with entry points", path.display());
                continue;
            }
            let names: Vec<&str> = module.entry_points.iter().map(|e| e.name.as_str()).collect();
            // A fragment stage always; a vertex stage unless the shader draws on Bevy's mesh
            // vertex stage (it then takes its VertexOutput).
            let own_vertex = !text.contains("forward_io::VertexOutput");
            assert!(
                names.contains(&"fragment") && (names.contains(&"vertex") || !own_vertex),
                "{}: entry points {names:?}",
                path.display()
            );
        }
    }
    assert!(count >= 4, "expected the common module and the neuron, synapse and maze shaders, found {count}");
}

#[test]
fn a_broken_shader_is_caught() {
    let dir = std::env::temp_dir().join(format!("neuroplast-wgsl-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("bad.wgsl");
    let good = std::fs::read_to_string("shaders/neuron.wgsl").unwrap();
    std::fs::write(&bad, good.replace("let d2 = dot(in.corner, in.corner);", "let d2 = dot(in.corner, 1.0);")).unwrap();
    assert!(validate(&bad).is_err());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn an_item_of_the_common_module_used_without_its_import_is_caught() {
    let dir = std::env::temp_dir().join(format!("neuroplast-wgsl-import-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let good = std::fs::read_to_string("shaders/neuron.wgsl").unwrap();
    let unlisted = dir.join("unlisted.wgsl");
    let without = good.replace("spike_age_ms, population_hidden}", "population_hidden}");
    assert_ne!(without, good, "the import list changed: update this test");
    std::fs::write(&unlisted, without).unwrap();
    let e = validate(&unlisted).unwrap_err();
    assert!(e.contains("spike_age_ms") && e.contains("without importing"), "{e}");
    let unknown = dir.join("unknown.wgsl");
    std::fs::write(&unknown, good.replace("population_hidden}", "population_hidden, spike_age_s}")).unwrap();
    assert!(validate(&unknown).unwrap_err().contains("does not define"));
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The app's `Gpu*` structs have the size and field offsets naga gives the WGSL structs they fill.
#[cfg(feature = "app")]
mod layouts {
    use super::validate;
    use neuroplast::app::bridge::EdgeKind;
    use neuroplast::app::view::gpu::*;
    use std::mem::{offset_of, size_of};
    use std::path::Path;

    /// Size and (name, offset) of each member of the WGSL struct `name` in `shader`.
    fn wgsl_layout(shader: &str, name: &str) -> (u32, Vec<(String, u32)>) {
        let module = validate(Path::new(shader)).unwrap();
        let ty = module.types.iter().find(|(_, t)| t.name.as_deref() == Some(name));
        let Some((_, ty)) = ty else { panic!("{shader} has no struct {name}") };
        let naga::TypeInner::Struct { members, span } = &ty.inner else { panic!("{name} is not a struct") };
        let fields = members
            .iter()
            .map(|m| (m.name.clone().unwrap_or_default().trim_start_matches('_').to_string(), m.offset))
            .collect();
        (*span, fields)
    }

    macro_rules! rust_layout {
        ($t:ty { $($f:ident),* $(,)? }) => {
            (size_of::<$t>() as u32, vec![$((stringify!($f).to_string(), offset_of!($t, $f) as u32)),*])
        };
    }

    #[test]
    fn the_gpu_structs_match_the_wgsl_they_fill() {
        let cases = [
            ("shaders/common.wgsl", "GpuNeuron", rust_layout!(GpuNeuron { pos_radius, color })),
            ("shaders/common.wgsl", "GpuEdge", rust_layout!(GpuEdge { pre, post, kind, plastic })),
            ("shaders/common.wgsl", "GpuEdgeLook", rust_layout!(GpuEdgeLook { weight, opacity })),
            ("shaders/common.wgsl", "GpuNeuronLook", rust_layout!(GpuNeuronLook { voltage, opacity })),
            (
                "shaders/neuron.wgsl",
                "GpuNeuronParams",
                rust_layout!(GpuNeuronParams {
                    glow_tau_ms,
                    radius_scale,
                    color_mode,
                    sync_gain,
                    base_intensity,
                    selected,
                    now_step,
                    dt_ms,
                    hidden_pops,
                    pad_a,
                    pad_b,
                    pad_c,
                    sync
                }),
            ),
            (
                "shaders/synapse.wgsl",
                "GpuSynapseParams",
                rust_layout!(GpuSynapseParams {
                    width,
                    pulse_ms,
                    show_pulses,
                    intensity,
                    now_step,
                    dt_ms,
                    ego,
                    hidden_pops,
                    kinds,
                    weight_lo,
                    weight_hi,
                    highlight
                }),
            ),
            (
                "shaders/lod.wgsl",
                "GpuLodParams",
                rust_layout!(GpuLodParams { gain, base_intensity, hidden_pops, radius_scale }),
            ),
        ];
        for (shader, name, rust) in cases {
            assert_eq!(wgsl_layout(shader, name), rust, "{name}: (size, fields) in {shader} vs Rust");
        }
    }

    #[test]
    fn the_edge_kinds_and_the_never_step_agree() {
        let module = validate(Path::new("shaders/common.wgsl")).unwrap();
        let value = |name: &str| {
            let (_, c) = module.constants.iter().find(|(_, c)| c.name.as_deref() == Some(name)).unwrap();
            match module.global_expressions[c.init] {
                naga::Expression::Literal(naga::Literal::U32(v)) => v,
                ref e => panic!("{name} = {e:?}"),
            }
        };
        assert_eq!(value("EDGE_EXCITATORY"), EdgeKind::EXCITATORY.0);
        assert_eq!(value("EDGE_INHIBITORY"), EdgeKind::INHIBITORY.0);
        assert_eq!(value("EDGE_ATTENTION"), EdgeKind::ATTENTION.0);
        assert_eq!(value("NEVER"), NEVER);
    }
}
