// The CTM's maze as it sees it, on a quad: walls dark, passages light, start red, goal green; the
// attention of the shown tick (the mean over heads, or one head) blended over it in viridis, cell by
// cell as the model's tokens are the cell centres; the route predicted at that tick drawn as a
// chain of dots coloured from the first step (white) to the last (orange), brighter at the most
// certain tick.

#import bevy_pbr::forward_io::VertexOutput

struct MazeParams {
    canvas: u32,        // pixels per canvas side
    cells: u32,         // token grid side (canvas cells)
    head: i32,          // -1: mean over heads, else one head
    heads: u32,
    attention_gain: f32,
    route_steps: u32,   // route length (for the colour ramp)
    certain: u32,       // 1 when the shown tick is the most certain one
    show_route: u32,
};

@group(#{MATERIAL_BIND_GROUP}) @binding(0) var<uniform> params: MazeParams;
// Per canvas pixel: 0 wall or outside the maze, 1 open, 2 start, 3 goal.
@group(#{MATERIAL_BIND_GROUP}) @binding(1) var<storage, read> pixels: array<u32>;
// Attention of the shown tick, heads × tokens (tokens row-major over the cells).
@group(#{MATERIAL_BIND_GROUP}) @binding(2) var<storage, read> attention: array<f32>;
// Per canvas pixel: the route step that visits it (0-based), or -1.
@group(#{MATERIAL_BIND_GROUP}) @binding(3) var<storage, read> route: array<i32>;

fn viridis(t: f32) -> vec3<f32> {
    let c0 = vec3<f32>(0.2777, 0.0054, 0.3341);
    let c1 = vec3<f32>(0.1051, 1.4046, 1.3846);
    let c2 = vec3<f32>(-0.3309, 0.2148, 0.0951);
    let c3 = vec3<f32>(-4.6342, -5.7991, -19.3324);
    let c4 = vec3<f32>(6.2283, 14.1799, 56.6906);
    let c5 = vec3<f32>(4.7764, -13.7451, -65.3530);
    let c6 = vec3<f32>(-5.4355, 4.6459, 26.3124);
    let x = clamp(t, 0.0, 1.0);
    return c0 + x * (c1 + x * (c2 + x * (c3 + x * (c4 + x * (c5 + x * c6)))));
}

fn token_attention(token: u32) -> f32 {
    let n = params.cells * params.cells;
    if (params.head >= 0) {
        return attention[u32(params.head) * n + token];
    }
    var s = 0.0;
    for (var h = 0u; h < params.heads; h = h + 1u) {
        s = s + attention[h * n + token];
    }
    return s / f32(params.heads);
}

@fragment
fn fragment(in: VertexOutput) -> @location(0) vec4<f32> {
    let p = f32(params.canvas);
    let uv = clamp(in.uv, vec2<f32>(0.0), vec2<f32>(0.99999));
    let px = u32(uv.x * p);
    let py = u32(uv.y * p);
    let idx = py * params.canvas + px;
    let kind = pixels[idx];
    var color = vec3<f32>(0.05, 0.05, 0.07);
    if (kind == 1u) {
        color = vec3<f32>(0.82, 0.82, 0.80);
    } else if (kind == 2u) {
        color = vec3<f32>(0.95, 0.15, 0.15);
    } else if (kind == 3u) {
        color = vec3<f32>(0.15, 0.85, 0.25);
    }
    // Attention: each pixel takes the token of the cell it belongs to (cell centres are the odd
    // pixels; walls between cells take the cell up-left of them).
    let cx = min(px / 2u, params.cells - 1u);
    let cy = min(py / 2u, params.cells - 1u);
    let a = clamp(token_attention(cy * params.cells + cx) * params.attention_gain, 0.0, 1.0);
    // Strong over passages, faint over walls so the maze stays readable.
    color = mix(color, viridis(a), select(0.35, 0.75, kind != 0u) * a);
    // Route dots.
    let step = route[idx];
    if (params.show_route == 1u && step >= 0) {
        let f = fract(uv * p) - vec2<f32>(0.5);
        let d = length(f);
        let ramp = f32(step) / max(f32(params.route_steps) - 1.0, 1.0);
        let dot_color = mix(vec3<f32>(1.0, 1.0, 1.0), vec3<f32>(1.0, 0.45, 0.05), ramp);
        let r = select(0.24, 0.3, params.certain == 1u);
        if (d < r) {
            color = dot_color;
        } else if (d < r + 0.06) {
            color = vec3<f32>(0.0);
        }
    }
    // Thin grid lines between pixels.
    let g = fract(uv * p);
    let edge = min(min(g.x, g.y), min(1.0 - g.x, 1.0 - g.y));
    if (edge < 0.02) {
        color = color * 0.8;
    }
    return vec4<f32>(color, 1.0);
}
