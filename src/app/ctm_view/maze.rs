//! The maze quad and the per-head strip, drawn by `shaders/ctm_maze.wgsl`; clicking the big maze
//! moves the start (left button) or the goal (right button).

use bevy::asset::{RenderAssetUsages, uuid_handle};
use bevy::prelude::*;
use bevy::render::render_resource::{AsBindGroup, ShaderType};
use bevy::render::storage::ShaderBuffer;
use bevy::shader::ShaderRef;
use bevy::window::PrimaryWindow;
use bevy_egui::input::EguiWantsInput;

use super::{CtmCamera, CtmState};
use crate::app::view::bytes;

/// The maze shader, embedded so the app runs from any directory.
pub const MAZE_SHADER: Handle<Shader> = uuid_handle!("3e9d3a52-7c1f-4d6b-9f0e-1a2b3c4d5e6f");
/// WGSL source of the maze shader.
pub const MAZE_WGSL: &str = include_str!("../../../shaders/ctm_maze.wgsl");

/// Side of the big maze quad (world units) and where it sits.
const MAZE_SIDE: f32 = 3.2;
const MAZE_CENTER: Vec3 = Vec3::new(-1.0, 0.35, 0.0);
/// Side of a head's quad in the strip below.
const HEAD_SIDE: f32 = 0.74;

/// The maze shader's uniforms.
#[derive(ShaderType, Clone, Copy, Debug, Default)]
pub struct MazeParams {
    /// Pixels per canvas side.
    pub canvas: u32,
    /// Token grid side.
    pub cells: u32,
    /// -1: mean over heads; else this head.
    pub head: i32,
    /// Number of heads.
    pub heads: u32,
    /// Attention scale (1 / the largest value shown).
    pub attention_gain: f32,
    /// Route length.
    pub route_steps: u32,
    /// 1 when the shown tick is the most certain.
    pub certain: u32,
    /// 1: draw the route.
    pub show_route: u32,
}

/// Material of a maze quad.
#[derive(Asset, TypePath, AsBindGroup, Clone, Debug)]
pub struct MazeMaterial {
    /// Uniforms.
    #[uniform(0)]
    pub params: MazeParams,
    /// Per canvas pixel: 0 wall, 1 open, 2 start, 3 goal.
    #[storage(1, read_only)]
    pub pixels: Handle<ShaderBuffer>,
    /// Attention of the shown tick, heads × tokens.
    #[storage(2, read_only)]
    pub attention: Handle<ShaderBuffer>,
    /// Per canvas pixel: the route step visiting it, or -1.
    #[storage(3, read_only)]
    pub route: Handle<ShaderBuffer>,
}

impl Material for MazeMaterial {
    fn fragment_shader() -> ShaderRef {
        ShaderRef::Handle(MAZE_SHADER)
    }
}

/// Handles of the maze buffers and materials.
#[derive(Resource)]
struct MazeHandles {
    pixels: Handle<ShaderBuffer>,
    attention: Handle<ShaderBuffer>,
    route: Handle<ShaderBuffer>,
    /// The big maze first, then one per head.
    materials: Vec<Handle<MazeMaterial>>,
    shown: u64,
}

/// The maze quads.
pub struct MazeViewPlugin;

impl Plugin for MazeViewPlugin {
    fn build(&self, app: &mut App) {
        let _ = app
            .world_mut()
            .resource_mut::<Assets<Shader>>()
            .insert(MAZE_SHADER.id(), Shader::from_wgsl(MAZE_WGSL, "shaders/ctm_maze.wgsl"));
        app.add_plugins(MaterialPlugin::<MazeMaterial>::default())
            .add_systems(Startup, setup)
            .add_systems(Update, click_maze)
            .add_systems(PostUpdate, refresh);
    }
}

fn setup(
    mut commands: Commands,
    state: Res<CtmState>,
    mut meshes: ResMut<Assets<Mesh>>,
    mut buffers: ResMut<Assets<ShaderBuffer>>,
    mut materials: ResMut<Assets<MazeMaterial>>,
) {
    let c = state.model.config();
    let n = c.canvas * c.canvas;
    let mut storage =
        |len: usize| buffers.add(ShaderBuffer::new(&vec![0u8; (len * 4).max(16)], RenderAssetUsages::RENDER_WORLD));
    let (pixels, attention, route) = (storage(n), storage(c.heads * c.tokens()), storage(n));
    let mut handles = Vec::new();
    for head in -1..c.heads as i32 {
        let m = materials.add(MazeMaterial {
            params: MazeParams { head, ..default() },
            pixels: pixels.clone(),
            attention: attention.clone(),
            route: route.clone(),
        });
        let (side, pos) = if head < 0 {
            (MAZE_SIDE, MAZE_CENTER)
        } else {
            let x = MAZE_CENTER.x - MAZE_SIDE / 2.0 + HEAD_SIDE / 2.0 + head as f32 * (HEAD_SIDE + 0.08);
            (HEAD_SIDE, Vec3::new(x, MAZE_CENTER.y - MAZE_SIDE / 2.0 - HEAD_SIDE / 2.0 - 0.12, 0.0))
        };
        commands.spawn((
            Name::new(if head < 0 { "maze".to_string() } else { format!("head {head}") }),
            Mesh3d(meshes.add(Rectangle::new(side, side))),
            MeshMaterial3d(m.clone()),
            Transform::from_translation(pos),
            MazeQuad,
        ));
        handles.push(m);
    }
    commands.insert_resource(MazeHandles { pixels, attention, route, materials: handles, shown: u64::MAX });
}

/// A maze quad (the big one or a head's).
#[derive(Component)]
pub struct MazeQuad;

/// Writes the shown tick into the buffers and uniforms when it changed.
fn refresh(
    state: Res<CtmState>,
    mut handles: ResMut<MazeHandles>,
    mut buffers: ResMut<Assets<ShaderBuffer>>,
    mut materials: ResMut<Assets<MazeMaterial>>,
) {
    if handles.shown == state.version || state.run.ticks == 0 {
        return;
    }
    handles.shown = state.version;
    let c = state.model.config();
    let (p, maze) = (c.canvas, &state.maze);
    let tick = state.tick.min(state.run.ticks - 1);
    let mut pixels = vec![0u32; p * p];
    for y in 0..maze.size {
        for x in 0..maze.size {
            pixels[y * p + x] = u32::from(maze.open[y * maze.size + x]);
        }
    }
    pixels[maze.start.0 * p + maze.start.1] = 2;
    pixels[maze.goal.0 * p + maze.goal.1] = 3;
    let mut route = vec![-1i32; p * p];
    for (k, &(y, x)) in state.route_pixels(tick).iter().enumerate() {
        route[y * p + x] = k as i32;
    }
    let attention = state.run.attention_at(tick);
    let max = attention.iter().fold(1e-9f32, |m, &a| m.max(a));
    for (h, data) in
        [(&handles.pixels, bytes(&pixels)), (&handles.attention, bytes(attention)), (&handles.route, bytes(&route))]
    {
        if let Some(mut b) = buffers.get_mut(h) {
            b.data = Some(data);
        }
    }
    let certain = u32::from(tick == state.run.most_certain_tick());
    for (k, m) in handles.materials.iter().enumerate() {
        if let Some(mut m) = materials.get_mut(m) {
            let head = if k == 0 { state.head } else { k as i32 - 1 };
            m.params = MazeParams {
                canvas: p as u32,
                cells: ((p - 1) / 2) as u32,
                head,
                heads: c.heads as u32,
                attention_gain: 1.0 / max,
                route_steps: c.route_len as u32,
                certain,
                show_route: u32::from(k == 0),
            };
        }
    }
}

/// Left click on the big maze moves the start, right click the goal.
fn click_maze(
    buttons: Res<ButtonInput<MouseButton>>,
    egui: Option<Res<EguiWantsInput>>,
    window: Query<&Window, With<PrimaryWindow>>,
    camera: Query<(&Camera, &GlobalTransform), With<CtmCamera>>,
    mut state: ResMut<CtmState>,
) {
    let goal = buttons.just_pressed(MouseButton::Right);
    if !(goal || buttons.just_pressed(MouseButton::Left)) || egui.is_some_and(|e| e.wants_any_pointer_input()) {
        return;
    }
    let (Ok(window), Ok((cam, tf))) = (window.single(), camera.single()) else { return };
    let Some(cursor) = window.cursor_position() else { return };
    let Ok(ray) = cam.viewport_to_world(tf, cursor) else { return };
    if let Some(px) = maze_pixel(ray, state.model.config().canvas) {
        state.move_endpoint(px, goal);
    }
}

/// The canvas pixel (row, column) a ray hits on the big maze quad, if any.
pub fn maze_pixel(ray: Ray3d, canvas: usize) -> Option<(usize, usize)> {
    let d = ray.direction.as_vec3();
    if d.z.abs() < 1e-6 {
        return None;
    }
    let t = (MAZE_CENTER.z - ray.origin.z) / d.z;
    let hit = ray.origin + d * t;
    let u = (hit.x - (MAZE_CENTER.x - MAZE_SIDE / 2.0)) / MAZE_SIDE;
    let v = ((MAZE_CENTER.y + MAZE_SIDE / 2.0) - hit.y) / MAZE_SIDE;
    if t < 0.0 || !(0.0..1.0).contains(&u) || !(0.0..1.0).contains(&v) {
        return None;
    }
    Some(((v * canvas as f32) as usize, (u * canvas as f32) as usize))
}
