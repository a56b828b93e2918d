//! Level of detail: far from a large network, where a neuron would cover less than a pixel, its
//! neurons are drawn as bins (one cell of a grid over the positions shown, one population each),
//! each glowing by its neurons' mean spike glow; close up, the neurons themselves. The glow is
//! worked out from the engine's last-spike column, the same record the neuron shader reads.

use bevy::prelude::*;
use bevy::render::storage::ShaderBuffer;

use super::gpu::{GpuLodParams, GpuNeuron, LodMaterial, bytes, storage};
use super::meshes::quad_mesh;
use super::{ViewBuffers, ViewHandles, ViewSettings, redraw};
use crate::app::bridge::Sim;
use crate::app::camera::OrbitCamera;
use crate::sim::Network;

/// When the neurons give way to bins.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LodMode {
    /// Bins when the network has at least [`AUTO_MIN_NEURONS`] neurons and one would be drawn
    /// smaller than [`AUTO_MAX_PIXELS`] in radius.
    #[default]
    Auto,
    /// Always the neurons.
    Neurons,
    /// Always the bins.
    Bins,
}

impl LodMode {
    /// Parses `auto`, `neurons` or `bins`.
    pub fn parse(s: &str) -> Result<Self, String> {
        match s {
            "auto" => Ok(Self::Auto),
            "neurons" => Ok(Self::Neurons),
            "bins" => Ok(Self::Bins),
            other => Err(format!("`{other}`: the level of detail is auto, neurons or bins")),
        }
    }

    /// Its name, as `parse` reads it.
    pub fn name(self) -> &'static str {
        match self {
            Self::Auto => "auto",
            Self::Neurons => "neurons",
            Self::Bins => "bins",
        }
    }
}

/// Networks smaller than this are always drawn neuron by neuron in `auto`.
pub const AUTO_MIN_NEURONS: usize = 100_000;
/// In `auto`, bins are drawn when a neuron's radius on screen is below this (pixels).
pub const AUTO_MAX_PIXELS: f32 = 1.0;
/// Neurons per bin aimed at (the grid has at most 32 cells a side).
const NEURONS_PER_BIN: f64 = 256.0;
/// Entries of the glow table, over ages 0..[`GLOW_SPAN`] decay times.
const TABLE: usize = 1024;
/// Ages beyond this many decay times add no glow.
const GLOW_SPAN: f64 = 6.0;

/// Bins of neurons: where each neuron goes, and each bin's place, colour and size.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Bins {
    /// Per bin: centre (mean position), radius, colour and population.
    pub bins: Vec<GpuNeuron>,
    /// Per neuron: its bin.
    pub bin_of: Vec<u32>,
    /// Per bin: how many neurons it holds.
    pub counts: Vec<u32>,
    /// The centre and half-diagonal of the positions' box.
    pub bounds: (Vec3, f32),
    /// Cells along each side of the grid (about as many bins lie along a line of sight).
    pub side: usize,
}

impl Bins {
    /// Bins `positions` on a grid of about [`NEURONS_PER_BIN`] neurons a cell, one bin per cell
    /// and population present in it, coloured by `colors` (per population).
    pub fn of(net: &Network, positions: &[[f32; 3]], colors: &[[f32; 3]]) -> Self {
        let n = positions.len().min(net.num_neurons());
        if n == 0 {
            return Self::default();
        }
        let (mut lo, mut hi) = (Vec3::splat(f32::INFINITY), Vec3::splat(f32::NEG_INFINITY));
        for p in &positions[..n] {
            lo = lo.min(Vec3::from(*p));
            hi = hi.max(Vec3::from(*p));
        }
        let size = (hi - lo).max(Vec3::splat(1e-3));
        let side = ((n as f64 / NEURONS_PER_BIN).cbrt().ceil() as usize).clamp(1, 32);
        let cell = size / side as f32;
        let pops = net.populations.len().max(1);
        // Cell and population → bin, in order of first appearance.
        let mut slot = vec![u32::MAX; side * side * side * pops];
        let (mut sums, mut counts, mut pop_of) = (Vec::<Vec3>::new(), Vec::<u32>::new(), Vec::<usize>::new());
        let mut bin_of = Vec::with_capacity(n);
        for (i, p) in positions[..n].iter().enumerate() {
            let q = ((Vec3::from(*p) - lo) / cell).floor();
            let c = |v: f32| (v.max(0.0) as usize).min(side - 1);
            let pop = net.neurons.population[i].index();
            let key = ((c(q.x) * side + c(q.y)) * side + c(q.z)) * pops + pop.min(pops - 1);
            if slot[key] == u32::MAX {
                slot[key] = counts.len() as u32;
                sums.push(Vec3::ZERO);
                counts.push(0);
                pop_of.push(pop);
            }
            let b = slot[key] as usize;
            sums[b] += Vec3::from(*p);
            counts[b] += 1;
            bin_of.push(b as u32);
        }
        let radius = cell.max_element() * 0.8;
        let bins = sums
            .iter()
            .zip(&counts)
            .zip(&pop_of)
            .map(|((s, &c), &pop)| {
                let m = *s / c as f32;
                let rgb = colors.get(pop).copied().unwrap_or([1.0; 3]);
                GpuNeuron { pos_radius: [m.x, m.y, m.z, radius], color: [rgb[0], rgb[1], rgb[2], pop as f32] }
            })
            .collect();
        Self { bins, bin_of, counts, bounds: ((lo + hi) * 0.5, (hi - lo).length() * 0.5), side }
    }

    /// Each bin's mean spike glow, `exp(-age / tau)` averaged over its neurons (0 for those that
    /// never spiked or spiked more than six decay times ago), at grid index `now` (step `dt_ms`),
    /// into `out`.
    pub fn activity(&self, last_spike: &[u64], now: u64, dt_ms: f64, tau_ms: f64, out: &mut Vec<f32>) {
        use rayon::prelude::*;
        let table = glow_table();
        let entries_per_step = TABLE as f64 / (tau_ms * GLOW_SPAN / dt_ms);
        let span_steps = (tau_ms * GLOW_SPAN / dt_ms) as u64;
        let n = last_spike.len().min(self.bin_of.len());
        let bins = self.bins.len();
        // Per chunk of neurons a partial sum per bin, added up after.
        let chunk = n.div_ceil(rayon::current_num_threads().max(1)).max(1 << 16);
        let sums = (0..n)
            .into_par_iter()
            .step_by(chunk)
            .map(|start| {
                let mut part = vec![0f32; bins];
                let end = (start + chunk).min(n);
                for (&last, &b) in last_spike[start..end].iter().zip(&self.bin_of[start..end]) {
                    if last <= now && now - last < span_steps {
                        part[b as usize] += table[(((now - last) as f64 * entries_per_step) as usize).min(TABLE)];
                    }
                }
                part
            })
            .reduce(
                || vec![0f32; bins],
                |mut a, b| {
                    a.iter_mut().zip(&b).for_each(|(x, y)| *x += y);
                    a
                },
            );
        out.clear();
        out.extend(sums.iter().zip(&self.counts).map(|(&s, &c)| s / c.max(1) as f32));
    }
}

/// `exp(-x)` at TABLE + 1 points over 0..GLOW_SPAN, made once.
fn glow_table() -> &'static [f32] {
    static TABLE_VALUES: std::sync::OnceLock<Vec<f32>> = std::sync::OnceLock::new();
    TABLE_VALUES.get_or_init(|| (0..=TABLE).map(|k| (-(k as f64) * GLOW_SPAN / TABLE as f64).exp() as f32).collect())
}

/// The level of detail shown, its bins and their draw.
#[derive(Resource, Default)]
pub struct Lod {
    /// When bins are drawn (the Display section and `--lod` set it).
    pub mode: LodMode,
    /// Whether bins are drawn this frame (instead of the neurons).
    pub aggregated: bool,
    /// The bins, for the positions shown.
    pub bins: Bins,
    /// (neuron buffers' generation, layout generation) the bins were made for.
    built_for: Option<(u64, u64)>,
    activity: Vec<f32>,
    draw: Option<LodDraw>,
}

/// The bins' GPU side.
struct LodDraw {
    material: Handle<LodMaterial>,
    activity: Handle<ShaderBuffer>,
    entity: Entity,
}

/// Whether a neuron of `radius` (world units) at `distance` from a perspective camera of vertical
/// field `fov_y` is drawn smaller than [`AUTO_MAX_PIXELS`] on a viewport `height` pixels high.
pub fn below_a_pixel(radius: f32, distance: f32, fov_y: f32, height: f32) -> bool {
    let px = radius / (distance.max(1e-3) * (fov_y * 0.5).tan()) * height * 0.5;
    px < AUTO_MAX_PIXELS
}

/// Builds the bins when the network or the layout shown changes (at most four times a second
/// while a layout moves), decides the level of detail from the camera, and writes the bins' glow.
#[expect(clippy::too_many_arguments, reason = "one system: the bins, their draw and the camera")]
pub fn update_lod(
    mut commands: Commands,
    sim: Res<Sim>,
    settings: Res<ViewSettings>,
    cpu: Res<ViewBuffers>,
    view: Res<ViewHandles>,
    mut lod: ResMut<Lod>,
    layout: Option<Res<crate::app::layout::ShownLayout>>,
    mut meshes: ResMut<Assets<Mesh>>,
    mut buffers: ResMut<Assets<ShaderBuffer>>,
    mut materials: ResMut<Assets<LodMaterial>>,
    mut visibility: Query<&mut Visibility>,
    cams: Query<(&GlobalTransform, &Projection, &Camera), With<OrbitCamera>>,
    time: Res<Time<Real>>,
    options: Option<Res<crate::app::AppOptions>>,
    mut last_build: Local<f64>,
    mut started: Local<bool>,
) {
    if !std::mem::replace(&mut *started, true)
        && let Some(o) = &options
    {
        lod.mode = o.lod;
    }
    let net = sim.network();
    let lod = &mut *lod;
    let key = (cpu.neurons.generation, layout.as_ref().map_or(0, |l| l.generation));
    let now_s = time.elapsed_secs_f64();
    if lod.built_for != Some(key) && (lod.built_for.map(|k| k.0) != Some(key.0) || now_s - *last_build > 0.25) {
        let positions = crate::app::layout::shown_positions(layout.as_deref(), net);
        lod.bins = Bins::of(net, positions, &cpu.neurons.colors);
        lod.built_for = Some(key);
        *last_build = now_s;
        respawn(&mut commands, lod, &mut meshes, &mut buffers, &mut materials, lod.aggregated);
    }
    let far = cams.iter().next().is_some_and(|(at, proj, cam)| match proj {
        Projection::Perspective(p) => {
            let height = cam.physical_viewport_size().map_or(900.0, |s| s.y as f32);
            let distance = at.translation().distance(lod.bins.bounds.0);
            below_a_pixel(cpu.neurons.radius * settings.radius_scale, distance, p.fov, height)
        }
        _ => false,
    });
    lod.aggregated = match lod.mode {
        LodMode::Neurons => false,
        LodMode::Bins => true,
        LodMode::Auto => net.num_neurons() >= AUTO_MIN_NEURONS && far,
    } && !lod.bins.bins.is_empty();
    let Some(draw) = &lod.draw else { return };
    for (entity, shown) in [(view.neuron_entity, !lod.aggregated), (draw.entity, lod.aggregated)] {
        if let Ok(mut v) = visibility.get_mut(entity) {
            let want = if shown { Visibility::Visible } else { Visibility::Hidden };
            if *v != want {
                *v = want;
            }
        }
    }
    if !lod.aggregated {
        return;
    }
    lod.bins.activity(
        &net.neurons.last_spike,
        net.step_count(),
        net.dt_ms(),
        settings.glow_tau_ms.max(0.1) as f64,
        &mut lod.activity,
    );
    if let Some(mut b) = buffers.get_mut(&draw.activity) {
        b.data = Some(bytes(&lod.activity));
    }
    if let Some(mut m) = materials.get_mut(&draw.material) {
        // Light adds up along a line of sight through about `side` bins: each gives its share, so
        // the whole looks as bright at rest as its neurons would, whatever the grid.
        let depth = lod.bins.side.max(1) as f32;
        m.params = GpuLodParams {
            gain: 10.0 / depth,
            base_intensity: 0.3 / depth,
            hidden_pops: settings.hidden_populations,
            radius_scale: settings.radius_scale,
        };
    }
}

/// The bin draw from the first frame, over one bin of radius 0 (no pixel): as the view's other
/// draws, it must exist before the camera's first frame to be drawn when it is respawned later.
pub fn setup_lod(
    mut commands: Commands,
    mut lod: ResMut<Lod>,
    mut meshes: ResMut<Assets<Mesh>>,
    mut buffers: ResMut<Assets<ShaderBuffer>>,
    mut materials: ResMut<Assets<LodMaterial>>,
) {
    respawn(&mut commands, &mut lod, &mut meshes, &mut buffers, &mut materials, true);
}

/// A new bin draw over new buffers for `lod.bins` (the old one despawned), `visible` or not.
fn respawn(
    commands: &mut Commands,
    lod: &mut Lod,
    meshes: &mut Assets<Mesh>,
    buffers: &mut Assets<ShaderBuffer>,
    materials: &mut Assets<LodMaterial>,
    visible: bool,
) {
    let n = lod.bins.bins.len();
    let none = [GpuNeuron { pos_radius: [0.0; 4], color: [0.0; 4] }];
    let bins = storage(buffers, bytes(if n == 0 { &none[..] } else { &lod.bins.bins[..] }));
    let activity = storage(buffers, bytes(&vec![0f32; n.max(1)]));
    let material = materials.add(LodMaterial { params: GpuLodParams::default(), bins, activity: activity.clone() });
    let old = lod.draw.take();
    if let Some(old) = &old {
        materials.remove(&old.material);
    }
    let mesh = meshes.add(quad_mesh(n, false));
    let entity = redraw(commands, old.map(|d| d.entity), "neuron bins", mesh, &material, visible);
    lod.draw = Some(LodDraw { material, activity, entity });
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A network of two populations in a box: every neuron in exactly one bin of its own
    /// population, bins centred on their neurons; the glow of a bin is its neurons' mean glow.
    #[test]
    fn bins_hold_their_neurons_and_glow_by_their_mean_spike_glow() {
        let text = r#"Scene(version: 1, name: "box", dt: "0.1 ms", seed: 1,
            populations: [
                (name: "A", size: 3000, model: LifCurrent(), layout: Box(center: (0.0, 0.0, 0.0), size: (100.0, 100.0, 100.0))),
                (name: "B", size: 1000, model: LifCurrent(), layout: Box(center: (0.0, 0.0, 0.0), size: (100.0, 100.0, 100.0))),
            ])"#;
        let sim = crate::scene::Scene::parse(text, "box").unwrap().build(None).unwrap();
        let net = &sim.network;
        let bins = Bins::of(net, &net.neurons.position, &[[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]);
        assert_eq!(bins.counts.iter().sum::<u32>(), 4000);
        assert!(bins.bins.len() >= 16 && bins.bins.len() <= 2 * 27, "{} bins", bins.bins.len());
        for (i, &b) in bins.bin_of.iter().enumerate() {
            let bin = &bins.bins[b as usize];
            assert_eq!(bin.color[3] as usize, net.neurons.population[i].index(), "a bin holds one population");
            let d = Vec3::from(net.neurons.position[i]).distance(Vec3::new(
                bin.pos_radius[0],
                bin.pos_radius[1],
                bin.pos_radius[2],
            ));
            assert!(d <= 2.0 * bin.pos_radius[3], "neuron {i} is {d} from its bin's centre");
        }
        // Half of bin 0's neurons spiked 1 decay time ago, the others never: mean glow e^-1 / 2.
        let mut last = vec![u64::MAX; 4000];
        let members: Vec<usize> = (0..4000).filter(|&i| bins.bin_of[i] == 0).collect();
        for &i in members.iter().step_by(2) {
            last[i] = 1000 - 120; // 12 ms ago at dt 0.1 ms
        }
        let mut out = Vec::new();
        bins.activity(&last, 1000, 0.1, 12.0, &mut out);
        let want = (-1.0f64).exp() * members.len().div_ceil(2) as f64 / members.len() as f64;
        assert!((out[0] as f64 - want).abs() < 0.01, "{} vs {want}", out[0]);
        assert!(out[1..].iter().all(|&a| a == 0.0));
    }

    /// A neuron a micrometre wide seen from far is below a pixel; close, it is not.
    #[test]
    fn far_neurons_are_below_a_pixel() {
        assert!(below_a_pixel(1.0, 20_000.0, 0.8, 900.0));
        assert!(!below_a_pixel(1.0, 100.0, 0.8, 900.0));
    }
}
