//! GraNet pruning with regrowth, and long-range attention edges.

use super::*;

#[test]
fn pruning_and_attention_are_bit_identical_for_one_and_two_threads() {
    // Large enough that every parallel part splits into several blocks: 6,000 rows for the CSR
    // merge (blocks of 2,048), ~460,000 E->E synapses for the pruning keys (blocks of 65,536) and
    // 4,800 attention rows (blocks of 1,024).
    let text = r#"Scene(
    version: 1, dt: "0.1 ms", seed: 5,
    populations: [
        (name: "E", size: 4800, model: LifCurrent(tau_m: "20 ms", e_l: "-49 mV", v_th: "-50 mV", v_reset: "-60 mV", t_ref: "5 ms"),
         layout: Box(center: (0.0, 0.0, 0.0), size: (2000.0, 2000.0, 2000.0)), init: (v: Uniform(low: "-60 mV", high: "-50 mV"))),
        (name: "I", size: 1200, model: LifCurrent(tau_m: "20 ms", e_l: "-49 mV", v_th: "-50 mV", v_reset: "-60 mV", t_ref: "5 ms"),
         layout: Box(center: (0.0, 0.0, 0.0), size: (2000.0, 2000.0, 2000.0)), init: (v: Uniform(low: "-60 mV", high: "-50 mV"))),
    ],
    projections: [
        (name: "E->E", source: "E", target: "E", connectivity: Bernoulli(p: 0.02),
         weight: Uniform(low: "0.1 mV", high: "0.5 mV"), delay: Uniform(low: "0.5 ms", high: "2 ms"),
         pruning: (interval: "50 ms", end: "1 s", final_density: 0.015, death_rate: 0.1, death_rate_min: 0.01,
                   regrow_weight: "0.3 mV", trace_tau: "20 ms")),
        (source: "E", target: "I", connectivity: Bernoulli(p: 0.02), weight: Constant("0.3 mV")),
        (source: "I", target: "E", connectivity: Bernoulli(p: 0.02), weight: Constant("-1.5 mV"), receptor: Inhibitory),
    ],
    attention_edges: (populations: ["E"], interval: "50 ms", min_distance: "500 um", top_k: 500, weight: "20 pA"),
)"#;
    let (log, events, _) = run_on_one_and_two_threads(text, 2_000);
    let count = |f: fn(&StructuralEvent) -> bool| events.iter().filter(|e| f(e)).count();
    let pruned = count(|e| matches!(e, StructuralEvent::SynapsePruned { .. }));
    let formed = count(|e| matches!(e, StructuralEvent::SynapseFormed { .. }));
    let edges = count(|e| matches!(e, StructuralEvent::AttentionEdgeFormed { .. }));
    assert!(pruned > 10_000 && formed > 1_000 && edges > 100, "{pruned} pruned, {formed} formed, {edges} edges");
    assert!(log.len() > 10_000, "{} spikes", log.len());
}

/// GraNet on E→E: 300 neurons, 30 of them driven hard (co-active), weights of varied magnitude.
fn pruned_scene() -> String {
    let group: Vec<String> = (0..30).map(|i| i.to_string()).collect();
    format!(
        r#"Scene(
    version: 1,
    dt: "0.1 ms",
    seed: 9,
    populations: [(name: "E", size: 300, model: LifCurrent(tau_m: "20 ms"))],
    projections: [
        (name: "EE", source: "E", target: "E", connectivity: Bernoulli(p: 0.1),
         weight: Uniform(low: "0.01 mV", high: "0.3 mV"), delay: Constant("1 ms"),
         pruning: (interval: "50 ms", start: "100 ms", end: "1 s", final_density: 0.05,
                   death_rate: 0.3, death_rate_min: 0.01, regrow_weight: "0.2 mV", trace_tau: "50 ms")),
    ],
    inputs: [
        Poisson(target: "E", neurons: [{}], sources: 50, rate: "100 Hz", weight: "2 mV"),
        Poisson(target: "E", sources: 10, rate: "10 Hz", weight: "1 mV"),
    ],
)"#,
        group.join(", ")
    )
}

#[test]
fn pruning_follows_the_cubic_schedule_and_regrows_between_coactive_neurons() {
    use neuroplast::growth::granet::density;
    let mut net = build(&pruned_scene());
    let count = |net: &Simulation| net.network.synapses.projection.iter().filter(|&&p| p == 0).count();
    let capacity = 300.0 * 300.0;
    let d_init = count(&net) as f64 / capacity;
    let (start, end) = (1000.0, 10_000.0);
    let mut report = StepReport::with_capacity(net.network.num_neurons());
    let (mut rounds, mut first_round_checked) = (0, false);
    for _ in 0..12_000 {
        let before = count(&net);
        net.step(&mut report);
        if report.events.is_empty() {
            continue;
        }
        rounds += 1;
        let step = report.step as f64;
        let want = (density(step, start, end, d_init, 0.05) * capacity).round();
        let got = count(&net) as f64;
        assert!((got - want).abs() <= 0.01 * want, "step {step}: {got} synapses, schedule {want}");
        let formed: Vec<(NeuronId, NeuronId)> = report
            .events
            .iter()
            .filter_map(|e| match *e {
                StructuralEvent::SynapseFormed { pre, post, .. } => Some((pre, post)),
                _ => None,
            })
            .collect();
        let pruned = report.events.iter().filter(|e| matches!(e, StructuralEvent::SynapsePruned { .. })).count();
        assert_eq!(before + formed.len() - pruned, count(&net));
        assert!(formed.iter().all(|(a, b)| a != b), "no autapses regrown");
        if !first_round_checked && step >= start {
            // The most co-active unconnected pairs come first: all inside the driven group.
            let inside = formed.iter().take(300).filter(|(a, b)| a.0 < 30 && b.0 < 30).count();
            assert_eq!(inside, formed.len().min(300), "regrown pairs outside the co-active group");
            first_round_checked = true;
        }
    }
    assert_eq!(rounds, 19, "a round every 50 ms from 100 ms to 1 s");
    let final_nnz = count(&net) as f64;
    assert!((final_nnz - 0.05 * capacity).abs() <= 0.01 * 0.05 * capacity, "{final_nnz} synapses at the end");
}

/// Two far-apart groups (A, B) driven by the same Poisson sources, a third (C) by other sources.
fn attention_scene(seed: u64) -> String {
    let group = |name: &str, x: f32, y: f32| {
        format!(
            r#"(name: "{name}", size: 40, model: LifCurrent(tau_m: "20 ms"), layout: Box(center: ({x}, {y}, 0.0), size: (100.0, 100.0, 100.0)))"#
        )
    };
    format!(
        r#"Scene(
    version: 1,
    dt: "0.1 ms",
    seed: {seed},
    populations: [
        (name: "in1", size: 20, model: PoissonSource(rate: "20 Hz")),
        (name: "in2", size: 20, model: PoissonSource(rate: "20 Hz")),
        {}, {}, {},
    ],
    projections: [
        (source: "in1", target: "A", connectivity: AllToAll(), weight: Constant("40 mV")),
        (source: "in1", target: "B", connectivity: AllToAll(), weight: Constant("40 mV")),
        (source: "in2", target: "C", connectivity: AllToAll(), weight: Constant("40 mV")),
    ],
    inputs: [
        Poisson(target: "A", sources: 10, rate: "10 Hz", weight: "5 mV"),
        Poisson(target: "B", sources: 10, rate: "10 Hz", weight: "5 mV"),
        Poisson(target: "C", sources: 10, rate: "10 Hz", weight: "5 mV"),
    ],
    attention_edges: (populations: ["A", "B", "C"], interval: "100 ms", min_distance: "500 um", top_k: 100, weight: "20 pA"),
)"#,
        group("A", -1000.0, 0.0),
        group("B", 1000.0, 0.0),
        group("C", 0.0, 1000.0)
    )
}

#[test]
fn attention_edges_join_far_groups_that_share_input_and_not_unrelated_ones() {
    for seed in [4, 5, 6] {
        attention_case(seed);
    }
}

fn attention_case(seed: u64) {
    let mut net = build(&attention_scene(seed));
    let (log, events) = run(&mut net, 20_000);
    let pops = net.network.neurons.population.clone();
    let group = |i: u32| ["in1", "in2", "A", "B", "C"][pops[i as usize].index()];
    // C is as active as A and B: it is left out for its timing, not its silence.
    let rate = |g: &str| log.neurons.iter().filter(|&&i| group(i) == g).count() as f64 / 40.0 / 2.0;
    let (ra, rc) = (rate("A"), rate("C"));
    assert!(rc > 0.5 * ra && ra > 5.0, "rates A {ra} Hz, C {rc} Hz");
    let att = net.structural_rule::<AttentionEdges>().unwrap();
    let edges = att.edges();
    assert!(edges.len() >= 50, "{} edges", edges.len());
    for e in edges {
        let pair = (group(e.from), group(e.to));
        assert!(matches!(pair, ("A", "B") | ("B", "A")), "edge between {pair:?}");
        assert!(e.attention > 0.0 && e.strength > 0.0 && e.strength <= 1.0);
    }
    let formed = events.iter().filter(|e| matches!(e, StructuralEvent::AttentionEdgeFormed { .. })).count();
    let decayed = events.iter().filter(|e| matches!(e, StructuralEvent::AttentionEdgeDecayed { .. })).count();
    assert_eq!(formed - decayed, edges.len());
    // Edges are ordered by id and every live id was announced.
    for e in edges {
        assert!(events.iter().any(|x| matches!(x, StructuralEvent::AttentionEdgeFormed { id, .. } if *id == e.id)));
    }
    // Bit-identical after a snapshot round trip.
    let mut copy = snapshot::decode(&snapshot::encode(&net), "mem").unwrap();
    let (a, ea) = run(&mut net, 3_000);
    let (b, eb) = run(&mut copy, 3_000);
    assert_eq!((a, ea), (b, eb));
}
