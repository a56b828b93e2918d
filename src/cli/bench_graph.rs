//! `neuroplast bench graph`: the graph measures' cost on the growth benchmark's network (CUBA with
//! 100 synapses per neuron: 10 M synapses at the default 100,000 neurons), each timed apart.

use std::time::Instant;

use anyhow::Result;

use neuroplast::analysis::graph::{
    SynapseGraph, betweenness, core_numbers, degrees, louvain, modularity, path_summary, reciprocity,
    strong_components, weak_components,
};
use neuroplast::analysis::layout::ForceLayout;
use neuroplast::say;
use neuroplast::scene::Scene;

/// Times each measure on a network of `neurons` neurons and prints one line per measure.
pub fn bench_graph(neurons: u32, per_neuron: f64) -> Result<()> {
    let text = neuroplast::scene::benchmark::growth_scene(neurons, per_neuron, 1.0);
    let started = Instant::now();
    let sim = Scene::parse(&text, "bench graph")?.build(None)?;
    say!(
        "network: {} neurons, {} synapses, built in {:.2} s; {} threads",
        sim.network.num_neurons(),
        sim.network.num_synapses(),
        started.elapsed().as_secs_f64(),
        rayon::current_num_threads()
    );
    let time = |name: &str, f: &mut dyn FnMut() -> String| -> Result<f64> {
        let t = Instant::now();
        let what = f();
        let secs = t.elapsed().as_secs_f64();
        say!("{name:<34} {secs:>8.3} s   {what}");
        Ok(secs)
    };
    let mut g = None;
    let build = time("graph (CSR, multapses merged)", &mut || {
        let built = SynapseGraph::of(&sim.network);
        let s = format!("{} edges", built.edges());
        g = Some(built);
        s
    })?;
    let g = g.expect("built above");
    let d = time("degrees and strengths", &mut || {
        let d = degrees(&g);
        format!("max in-degree {}", d.in_degree.iter().max().unwrap_or(&0))
    })?;
    let r = time("reciprocity", &mut || format!("{:.5}", reciprocity(&g)))?;
    let s = time("strong components (Kosaraju)", &mut || {
        let c = strong_components(&g);
        format!("{} components, largest {}", c.len(), c.first().map_or(0, Vec::len))
    })?;
    time("weak components (union-find)", &mut || {
        format!("largest {}", weak_components(&g).first().copied().unwrap_or(0))
    })?;
    say!("{:<34} {:>8.3} s   (goal ≤ 1 s)", "  degrees + reciprocity + SCCs", d + r + s);
    let mut u = None;
    let und = time("undirected graph beneath", &mut || {
        let built = g.undirected();
        let s = format!("{} edges", built.edges());
        u = Some(built);
        s
    })?;
    let u = u.expect("built above");
    let lv = time("Louvain communities + modularity", &mut || {
        let c = louvain(&u);
        format!("{} communities, Q {:.4}", c.iter().max().map_or(0, |m| m + 1), modularity(&u, &c))
    })?;
    say!("{:<34} {:>8.3} s   (goal ≤ 10 s)", "  communities from the network", build + und + lv);
    time("core numbers", &mut || format!("max core {}", core_numbers(&g).into_iter().max().unwrap_or(0)))?;
    let largest = strong_components(&g).into_iter().next().unwrap_or_default();
    time("path lengths, 32 sources", &mut || {
        let p = path_summary(&g, &largest, 32);
        format!("{:.3} hops over {} neurons", p.mean_hops, p.component)
    })?;
    // growth_scene's box is 10 µm × ∛n a side: 10 µm between neighbours; edges of 3 spacings.
    let spacing = 10.0;
    let mut layout = ForceLayout::new(&sim.network.neurons.position, spacing * 3.0);
    let iterations = 10;
    let secs = time("force layout, 10 iterations", &mut || {
        for _ in 0..iterations {
            layout.step(&u);
        }
        format!("{} iterations", layout.iterations)
    })?;
    say!("{:<34} {:>8.2} it/s (goal ≥ 10)", "  force layout", f64::from(iterations) / secs);
    time("betweenness, 32 sources", &mut || {
        let b = betweenness(&g, Some(32));
        format!("max {:.2e}", b.iter().copied().fold(0.0, f64::max))
    })?;
    Ok(())
}
