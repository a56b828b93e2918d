//! Our WGSL is parsed and validated on the CPU with naga (no GPU needed). Bevy's shader imports
//! are replaced by declarations of exactly what we use from them, with the same types.

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

fn validate(path: &Path) -> Result<naga::Module, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut source = String::new();
    for line in text.lines() {
        if line.trim_start().starts_with("#import bevy_pbr::mesh_view_bindings::view") {
            source += VIEW_PRELUDE;
        } else if line.trim_start().starts_with("#import bevy_pbr::forward_io::VertexOutput") {
            source += FORWARD_IO_PRELUDE;
        } else if line.trim_start().starts_with("#import") {
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
            let names: Vec<&str> = module.entry_points.iter().map(|e| e.name.as_str()).collect();
            // A fragment stage always; a vertex stage unless the shader draws on Bevy's mesh
            // vertex stage (it then takes its VertexOutput).
            let own_vertex = !std::fs::read_to_string(&path).unwrap().contains("forward_io::VertexOutput");
            assert!(
                names.contains(&"fragment") && (names.contains(&"vertex") || !own_vertex),
                "{}: entry points {names:?}",
                path.display()
            );
            count += 1;
        }
    }
    assert!(count >= 3, "expected the neuron, synapse and maze shaders, found {count}");
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
