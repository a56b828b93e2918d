//! Astrocyte-modulated STDP on a 1000-neuron liquid (NALSM-style: 80/20 E/I, distance-dependent
//! connectivity c·exp(−(D/3)²), 100 Poisson inputs at 200 Hz, density 0.15). The astrocyte pulls the
//! liquid's spike count toward the input's (A* = w_A (L − I) + b_A): plain STDP with A fixed at η₊
//! runs away to ~300 Hz, the modulated liquid settles where L ≈ I.

use neuroplast::analysis::branching_factor;
use neuroplast::engine::Simulation;
use neuroplast::scene::Scene;
use neuroplast::sim::{SpikeLog, StepReport};

/// One weight unit of NALSM's [−3, 3] scale: a ~2 mV jump with these neurons.
const UNIT_PA: f64 = 85.0;

fn liquid(w_a: f64) -> Simulation {
    let astro = |lo: f64, hi: f64| {
        format!(
            r#"AstroStdp(eta_plus: {}, tau_trace: "10 ms", trace_step: 0.1, w_a: {}, b_a: {}, tau_astro: "100 ms", w_min: "{} pA", w_max: "{} pA")"#,
            0.15 * UNIT_PA,
            w_a * UNIT_PA,
            0.15 * UNIT_PA,
            lo * UNIT_PA,
            hi * UNIT_PA
        )
    };
    let lif = r#"LifCurrent(c_m: "64 pF", tau_m: "64 ms", e_l: "0 mV", v_th: "20 mV", v_reset: "0 mV", t_ref: "2 ms", tau_syn_ex: "1.5 ms", tau_syn_in: "1.5 ms")"#;
    let w = 2.0 * UNIT_PA;
    let text = format!(
        r#"Scene(version: 1, dt: "0.1 ms", seed: 2, populations: [
        (name: "in", size: 100, model: PoissonSource(rate: "200 Hz")),
        (name: "E", size: 800, model: {lif}, layout: Box(center: (0.0, 0.0, 0.0), size: (10.0, 10.0, 10.0))),
        (name: "I", size: 200, model: {lif}, layout: Box(center: (0.0, 0.0, 0.0), size: (10.0, 10.0, 10.0))),
    ], projections: [
        (source: "in", target: "E", connectivity: Bernoulli(p: 0.15), weight: Uniform(low: "0 pA", high: "{w} pA"), plasticity: {a_in}),
        (source: "in", target: "I", connectivity: Bernoulli(p: 0.15), weight: Uniform(low: "0 pA", high: "{w} pA"), plasticity: {a_in}),
        (source: "E", target: "E", connectivity: Gaussian(c: 0.2, lambda: 3.0, autapses: false), weight: Uniform(low: "0 pA", high: "{w} pA"), plasticity: {a_e}),
        (source: "E", target: "I", connectivity: Gaussian(c: 0.1, lambda: 3.0), weight: Uniform(low: "0 pA", high: "{w} pA"), plasticity: {a_e}),
        (source: "I", target: "E", connectivity: Gaussian(c: 0.3, lambda: 3.0), weight: Uniform(low: "-{w} pA", high: "0 pA"), receptor: Inhibitory, plasticity: {a_i}),
        (source: "I", target: "I", connectivity: Gaussian(c: 0.05, lambda: 3.0, autapses: false), weight: Uniform(low: "-{w} pA", high: "0 pA"), receptor: Inhibitory, plasticity: {a_i}),
    ])"#,
        a_in = astro(-3.0, 3.0),
        a_e = astro(0.0, 3.0),
        a_i = astro(-3.0, 0.0)
    );
    Scene::parse(&text, "liquid").unwrap().build(None).unwrap()
}

/// Runs 20 s; returns (liquid rate in Hz, branching factor) over the last 5 s.
fn settle(net: &mut Simulation) -> (f64, f64) {
    let mut report = StepReport::with_capacity(net.network.num_neurons());
    net.run(150_000, &mut report, |_| {});
    let mut log = SpikeLog::default();
    net.run(50_000, &mut report, |r| log.record(r));
    let offset = (net.network.time_ms() / 0.1).round() as u64 - 50_000;
    log.grid.iter_mut().for_each(|g| *g -= offset);
    let liquid = log.neurons.iter().filter(|&&n| n >= 100).count();
    (liquid as f64 / 1000.0 / 5.0, branching_factor(&log, &net.network.synapses, 100..1100, 0.1, 4.0, 25.0, 5000.0))
}

#[test]
fn the_astrocyte_holds_the_liquid_at_the_input_count() {
    let (rate, sigma) = settle(&mut liquid(0.015));
    // Input: 100 × 200 Hz = 20 spikes/ms; the liquid (1000 neurons) settles near 20 Hz each.
    assert!((rate / 20.0 - 1.0).abs() < 0.2, "liquid rate {rate} Hz");
    let (runaway_rate, runaway_sigma) = settle(&mut liquid(0.0));
    assert!(runaway_rate > 100.0, "fixed A: {runaway_rate} Hz");
    // ALGORITHMS.md §8 [T]: at the edge of chaos with the astrocyte, closer to 1 than without.
    assert!((0.9..=1.1).contains(&sigma), "branching factor {sigma} with the astrocyte");
    assert!(
        (sigma - 1.0).abs() < (runaway_sigma - 1.0).abs(),
        "sigma {sigma} (modulated) vs {runaway_sigma} (fixed A)"
    );
}
