//! Layouts: the Barnes–Hut repulsion equals the direct sum when no cell is taken whole, the force
//! layout is the same for any thread count and pulls connected clusters together, and the circular
//! and population-layer layouts place every neuron.

use neuroplast::analysis::graph::SynapseGraph;
use neuroplast::analysis::layout::{ForceLayout, circular, population_layers};
use neuroplast::scene::Scene;
use neuroplast::scene::relayout::with_display_positions;

/// Four cliques of 16, each joined to the next by one synapse, scattered at random.
fn four_cliques() -> (SynapseGraph, Vec<[f32; 3]>) {
    let mut edges = Vec::new();
    for c in 0..4u32 {
        for a in 0..16 {
            for b in 0..16 {
                if a != b {
                    edges.push((16 * c + a, 16 * c + b));
                }
            }
        }
        edges.push((16 * c, 16 * ((c + 1) % 4)));
    }
    edges.sort_unstable();
    let edges: Vec<_> = edges
        .into_iter()
        .map(|(a, b)| (a, b, neuroplast::analysis::graph::PairEdge { weight: 1.0, synapses: 1 }))
        .collect();
    let g = SynapseGraph::from_edges(64, &edges);
    // A fixed scatter (a linear congruential sequence), clusters interleaved.
    let mut x = 12345u64;
    let mut next = || {
        x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        ((x >> 33) as f32 / (1u64 << 31) as f32 - 0.5) * 1000.0
    };
    let start = (0..64).map(|_| [next(), next(), next()]).collect();
    (g, start)
}

fn mean_distance(p: &[[f32; 3]], pairs: impl Iterator<Item = (usize, usize)>) -> f32 {
    let (mut sum, mut n) = (0.0, 0.0);
    for (a, b) in pairs {
        let d: f32 = (0..3).map(|k| (p[a][k] - p[b][k]).powi(2)).sum::<f32>().sqrt();
        sum += d;
        n += 1.0;
    }
    sum / n
}

#[test]
fn the_force_layout_gathers_each_clique_and_is_the_same_for_any_thread_count() {
    let (g, start) = four_cliques();
    let u = g.undirected();
    let run = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        pool.install(|| {
            let mut layout = ForceLayout::new(&start, 30.0);
            for _ in 0..300 {
                layout.step(&u);
            }
            layout.to_arrays()
        })
    };
    let (one, two) = (run(1), run(2));
    assert_eq!(one, two, "1 and 2 threads give the same layout");
    let same = mean_distance(
        &start,
        (0..64).flat_map(|a| (0..64).filter(move |&b| a / 16 == b / 16 && a < b).map(move |b| (a, b))),
    );
    let other = mean_distance(
        &start,
        (0..64).flat_map(|a| (0..64).filter(move |&b| a / 16 != b / 16 && a < b).map(move |b| (a, b))),
    );
    assert!((same / other - 1.0).abs() < 0.2, "the start mixes the cliques: {same} vs {other}");
    let same = mean_distance(
        &one,
        (0..64).flat_map(|a| (0..64).filter(move |&b| a / 16 == b / 16 && a < b).map(move |b| (a, b))),
    );
    let other = mean_distance(
        &one,
        (0..64).flat_map(|a| (0..64).filter(move |&b| a / 16 != b / 16 && a < b).map(move |b| (a, b))),
    );
    assert!(same < 0.4 * other, "within a clique {same:.1}, between cliques {other:.1}");
    assert!(one.iter().flatten().all(|v| v.is_finite()));
}

/// Neurons without synapses feel only repulsion; gravity keeps them near the rest (a layout whose
/// isolated neurons flew away would shrink the connected ones to a dot when fitted to the view).
#[test]
fn isolated_neurons_stay_near_the_connected_ones() {
    let mut edges = Vec::new();
    for a in 0..30u32 {
        for b in 0..30u32 {
            if a != b {
                edges.push((a, b, neuroplast::analysis::graph::PairEdge { weight: 1.0, synapses: 1 }));
            }
        }
    }
    let g = SynapseGraph::from_edges(40, &edges).undirected();
    let start: Vec<[f32; 3]> = (0..40).map(|i| [i as f32 * 7.0 % 50.0, i as f32 * 13.0 % 50.0, i as f32]).collect();
    let mut layout = ForceLayout::new(&start, 30.0);
    for _ in 0..300 {
        layout.step(&g);
    }
    let p = layout.to_arrays();
    let r = |i: usize| p[i].iter().map(|v| v * v).sum::<f32>().sqrt();
    let clique = (0..30).map(r).fold(0.0, f32::max);
    let isolated = (30..40).map(r).fold(0.0, f32::max);
    assert!(isolated < 4.0 * clique, "isolated neurons at {isolated:.0}, the clique within {clique:.0}");
    layout.gravity = 0.0;
    for _ in 0..300 {
        layout.step(&g);
    }
    let p = layout.to_arrays();
    let r = |i: usize| p[i].iter().map(|v| v * v).sum::<f32>().sqrt();
    let (clique, isolated) = ((0..30).map(r).fold(0.0, f32::max), (30..40).map(r).fold(0.0, f32::max));
    assert!(isolated > 4.0 * clique, "without gravity they drift: {isolated:.0} vs {clique:.0}");
}

#[test]
fn circular_and_layer_layouts_place_every_neuron_apart() {
    let c = circular(100, 10.0);
    assert_eq!(c.len(), 100);
    let d01 = ((c[0][0] - c[1][0]).powi(2) + (c[0][1] - c[1][1]).powi(2)).sqrt();
    assert!((d01 - 10.0).abs() < 0.1, "neighbours {d01} apart");
    let sim = Scene::load(std::path::Path::new("scenes/default.ron")).unwrap().build(None).unwrap();
    let layers = population_layers(&sim.network, 10.0);
    assert_eq!(layers.len(), sim.network.num_neurons());
    let mut seen = std::collections::HashSet::new();
    assert!(layers.iter().all(|p| seen.insert(p.map(f32::to_bits))), "two neurons at one place");
    // Each population is one layer (one y).
    for p in 0..sim.network.populations.len() {
        let ys: std::collections::HashSet<u32> = sim
            .network
            .population_neurons(neuroplast::sim::PopulationId(p as u16))
            .map(|i| layers[i as usize][1].to_bits())
            .collect();
        assert_eq!(ys.len(), 1, "population {p}");
    }
    // Layers are evenly spaced, the first population on top.
    let y_of =
        |p: u16| layers[sim.network.population_neurons(neuroplast::sim::PopulationId(p)).next().unwrap() as usize][1];
    let ys: Vec<f32> = (0..sim.network.populations.len() as u16).map(y_of).collect();
    assert!(ys.windows(2).all(|w| w[0] > w[1]), "{ys:?}");
    assert!(ys.windows(3).all(|w| ((w[0] - w[1]) - (w[1] - w[2])).abs() < 1e-3), "{ys:?}");
}

/// A layout saved into the scene comes back with it (to 0.01 µm), and the network it builds is
/// the scene's: positions, wiring and all.
#[test]
fn a_layout_saved_into_the_scene_reopens_in_place() {
    let scene = Scene::load(std::path::Path::new("scenes/default.ron")).unwrap();
    let sim = scene.build(None).unwrap();
    let ring = circular(sim.network.num_neurons(), 5.0);
    let saved = with_display_positions(&scene.file, &ring).unwrap();
    let text = Scene::to_ron(&saved);
    let reopened = Scene::parse(&text, "saved layout").unwrap();
    assert_eq!(reopened.file.display_positions.len(), ring.len());
    for (a, b) in reopened.file.display_positions.iter().zip(&ring) {
        assert!([a.0 - b[0], a.1 - b[1], a.2 - b[2]].iter().all(|d| d.abs() <= 0.006), "{a:?} vs {b:?}");
    }
    let rebuilt = reopened.build(None).unwrap();
    assert_eq!(rebuilt.network.neurons.position, sim.network.neurons.position, "the network's own positions");
    assert_eq!(rebuilt.network.num_synapses(), sim.network.num_synapses(), "the wiring is the scene's");
    // A position that is not finite is refused, naming the neuron.
    let mut bad = ring.clone();
    bad[3][1] = f32::NAN;
    let err = with_display_positions(&scene.file, &bad).unwrap_err();
    assert!(err.contains("neuron 3") && err.contains("finite"), "{err}");
    // A scene whose saved layout does not fit its neurons is refused at the field.
    let mut long = saved.clone();
    long.display_positions.push((1.0, 2.0, 3.0));
    let err = match Scene::parse(&Scene::to_ron(&long), "long").unwrap().build(None) {
        Ok(_) => panic!("a layout of 1065 positions for 1064 neurons was accepted"),
        Err(e) => e.to_string(),
    };
    assert!(err.contains("display_positions") && err.contains("1065 positions for the 1064 neurons"), "{err}");
}
