//! Neurogenesis by replication (NDP), and the shipped growth scene.

use super::*;

/// Neurogenesis (NDP replication, ALGORITHMS.md §10): a seed of `n_e` driven E neurons that divide
/// up to `cap`, with E→E (autapses allowed), E→I and delayed inhibitory I→E synapses to inherit.
fn ndp_scene(seed: u64, n_e: u32, cap: u32, p_ee: f64, interval: &str, threshold: f64) -> String {
    format!(
        r#"Scene(
    version: 1,
    dt: "0.1 ms",
    seed: {seed},
    populations: [
        (name: "E", size: {n_e}, model: LifCurrent(tau_m: "20 ms"),
         layout: Box(center: (0.0, 0.0, 0.0), size: (100.0, 100.0, 100.0)),
         neurogenesis: (interval: "{interval}", signal_tau: "500 ms", threshold: {threshold}, max_size: {cap},
                        offset: "15 um", weight_jitter: 0.1)),
        (name: "I", size: 5, model: LifCurrent(tau_m: "10 ms"), layout: Box(center: (200.0, 0.0, 0.0), size: (50.0, 50.0, 50.0))),
    ],
    projections: [
        (source: "E", target: "E", connectivity: Bernoulli(p: {p_ee}), weight: Uniform(low: "0.1 mV", high: "0.5 mV"),
         delay: Constant("1 ms")),
        (source: "E", target: "I", connectivity: Bernoulli(p: 0.3), weight: Constant("0.5 mV")),
        (source: "I", target: "E", connectivity: Bernoulli(p: 0.5), weight: Constant("-1 mV"), delay: Constant("2 ms"),
         receptor: Inhibitory),
    ],
    inputs: [
        Poisson(target: "E", sources: 10, rate: "500 Hz", weight: "2 mV"),
        Poisson(target: "I", sources: 10, rate: "300 Hz", weight: "2 mV"),
    ],
)"#
    )
}

/// Synapses as comparable tuples: (pre, post, receptor index, delay).
fn ends(v: &neuroplast::sim::SynapseView) -> (u32, u32, u32, u16) {
    (v.pre.0, v.post.0, v.receptor.index(), v.delay_steps)
}

#[test]
fn neurogenesis_grows_a_ten_neuron_seed_to_the_cap_with_exact_events() {
    let text = ndp_scene(7, 10, 200, 0.3, "50 ms", 8.0);
    let mut net = build(&text);
    let e = PopulationId(0);
    let mut report = StepReport::with_capacity(net.network.num_neurons());
    let mut alive: std::collections::BTreeSet<SynapseId> = net.network.synapse_views().map(|v| v.id).collect();
    let (mut born, mut inherited, mut w_parent, mut w_child, mut changed) = (0u32, 0usize, 0.0f64, 0.0f64, 0usize);
    let mut log = SpikeLog::default();
    for _ in 0..30_000 {
        let before: Vec<_> = net.network.synapse_views().collect();
        net.step(&mut report);
        log.record(&report);
        if report.events.is_empty() {
            continue;
        }
        // One NeuronBorn per new neuron, in id order, each next to a parent of its population.
        let mut children = Vec::new();
        for ev in &report.events {
            if let StructuralEvent::NeuronBorn { id, parent } = *ev {
                assert_eq!(id.0, 15 + born, "ids are dense and follow the seed");
                born += 1;
                let p = parent.expect("a child has a parent");
                assert!(
                    p < id
                        && net.network.neurons.population[p.index()] == e
                        && net.network.neurons.population[id.index()] == e
                );
                let (a, b) = (net.network.neurons.position[p.index()], net.network.neurons.position[id.index()]);
                let d = ((0..3).map(|k| (a[k] - b[k]) as f64 * (a[k] - b[k]) as f64).sum::<f64>()).sqrt();
                assert!((d - 15.0).abs() < 1e-3, "child {id:?} is {d} um from its parent");
                children.push((id, p));
            }
        }
        assert!(!children.is_empty(), "only births change this network: {:?}", report.events);
        // Old synapses keep their ids, ends and weights.
        for v in &before {
            assert_eq!(net.network.synapse(v.id), Some(*v));
        }
        // Each child's synapses are its parent's (as they were), the parent's autapse becoming a
        // pair parent <-> child, announced by one SynapseFormed each.
        let formed: Vec<_> = report
            .events
            .iter()
            .filter_map(|ev| match *ev {
                StructuralEvent::SynapseFormed { id, pre, post, kind } => {
                    let v = net.network.synapse(id).expect("a formed synapse exists");
                    assert_eq!((v.pre, v.post, v.receptor), (pre, post, kind));
                    assert!(alive.insert(id));
                    Some(v)
                }
                _ => None,
            })
            .collect();
        assert_eq!(formed.len() + before.len(), net.network.num_synapses());
        for &(c, p) in &children {
            let mut want: Vec<((u32, u32, u32, u16), f32)> = Vec::new();
            for v in before.iter().filter(|v| v.pre == p || v.post == p) {
                let (pre, post, r, d) = ends(v);
                if pre == p.0 {
                    want.push(((c.0, post, r, d), v.weight));
                }
                if post == p.0 {
                    want.push(((pre, c.0, r, d), v.weight));
                }
            }
            let mut got: Vec<((u32, u32, u32, u16), f32)> =
                formed.iter().filter(|v| v.pre == c || v.post == c).map(|v| (ends(v), v.weight)).collect();
            assert_eq!(got.len(), want.len(), "child {c:?} of {p:?}");
            want.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)));
            got.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)));
            for (g, w) in got.iter().zip(&want) {
                assert_eq!(g.0, w.0, "child {c:?} of {p:?}");
                assert!(g.1.signum() == w.1.signum() || g.1 == 0.0, "a weight kept its sign");
                w_parent += w.1.abs() as f64;
                w_child += g.1.abs() as f64;
                changed += usize::from(g.1 != w.1);
            }
            inherited += got.len();
        }
        assert_eq!(alive.len(), net.network.num_synapses());
    }
    assert_eq!(net.network.num_neurons(), 205);
    assert_eq!(born, 190);
    assert_eq!((net.network.populations[0].size, net.network.population_neurons(e).count()), (200, 200));
    assert_eq!(alive.len(), net.network.num_synapses());
    // Weights are perturbed copies: different one by one, the same on average (jitter 0.1).
    assert!(inherited > 5_000 && changed > inherited * 9 / 10, "{changed} of {inherited} changed");
    assert!((w_child / w_parent - 1.0).abs() < 0.01, "mean ratio {}", w_child / w_parent);
    // Children receive the parents' drive: every E neuron fired in the last second.
    let late: std::collections::BTreeSet<u32> =
        log.neurons.iter().zip(&log.grid).filter(|(_, g)| **g > 20_000).map(|(n, _)| *n).collect();
    assert!(net.network.population_neurons(e).all(|i| late.contains(&i)), "silent children");
}

/// (neurons, positions, synapses as (id, pre, post, weight)) of a network.
type Shape = (usize, Vec<[f32; 3]>, Vec<(u32, u32, u32, f32)>);

fn shape(net: &Simulation) -> Shape {
    let syn = net.network.synapse_views().map(|v| (v.id.0, v.pre.0, v.post.0, v.weight)).collect();
    (net.network.num_neurons(), net.network.neurons.position.clone(), syn)
}

#[test]
fn neurogenesis_is_deterministic_for_a_seed_and_differs_across_seeds() {
    let grow = |seed: u64| {
        let mut net = build(&ndp_scene(seed, 10, 200, 0.3, "50 ms", 8.0));
        let (log, events) = run(&mut net, 15_000);
        (shape(&net), log, events)
    };
    let (a, b, c) = (grow(7), grow(7), grow(8));
    assert!(a.0.0 > 100, "{} neurons after 1.5 s", a.0.0);
    assert_eq!(a, b);
    assert_ne!(a.0.1, c.0.1, "another seed places other neurons");
    assert_ne!(a.0.2, c.0.2, "another seed makes other synapses");
}

#[test]
fn resumed_neurogenesis_run_is_bit_identical() {
    let text = ndp_scene(7, 10, 200, 0.3, "50 ms", 8.0);
    let mut whole = build(&text);
    run(&mut whole, 8_000);
    let (tail_whole, ev_whole) = run(&mut whole, 5_000);

    let mut half = build(&text);
    run(&mut half, 8_000);
    let grown = half.network.num_neurons();
    assert!(grown > 15 && grown < 150, "{grown} neurons at the snapshot");
    let mut resumed = snapshot::decode(&snapshot::encode(&half), "mem").unwrap();
    drop(half);
    let (tail_resumed, ev_resumed) = run(&mut resumed, 5_000);
    let births = ev_whole.iter().filter(|e| matches!(e, StructuralEvent::NeuronBorn { .. })).count();
    assert!(births > 20, "{births} births after the snapshot");
    assert_eq!(ev_resumed, ev_whole);
    assert_eq!(tail_resumed, tail_whole);
    assert_eq!(resumed, whole);
}

#[test]
fn neurogenesis_is_bit_identical_for_one_and_two_threads() {
    // 16,000 E neurons growing past the parallel threshold to 20,000: two threads really split
    // the neuron update, and the work items change as segments are added.
    let text = ndp_scene(3, 16_000, 20_000, 0.0005, "10 ms", 3.0);
    let (_, events, net) = run_on_one_and_two_threads(&text, 1_500);
    let births = events.iter().filter(|e| matches!(e, StructuralEvent::NeuronBorn { .. })).count();
    assert!(
        births > 1_000 && net.network.num_neurons() > neuroplast::sim::network::PARALLEL_MIN_NEURONS,
        "{births} births"
    );
}

#[test]
fn bad_neurogenesis_values_name_file_line_and_field() {
    let good = ndp_scene(7, 10, 200, 0.3, "50 ms", 8.0);
    build(&good);
    let line = good.lines().position(|l| l.contains("neurogenesis: (")).unwrap() + 1;
    let field = "populations[0].neurogenesis";
    let cases = [
        ("threshold: 8", "threshold: -1", "threshold", "> 0"),
        ("threshold: 8", "threshold: NaN", "threshold", "> 0"),
        ("max_size: 200", "max_size: 9", "max_size", "population's size (10)"),
        ("interval: \"50 ms\"", "interval: \"50 mV\"", "interval", "time"),
        ("interval: \"50 ms\"", "interval: \"0 ms\"", "interval", "one step"),
        ("signal_tau: \"500 ms\"", "signal_tau: \"-5 ms\"", "signal_tau", "one step"),
        ("offset: \"15 um\"", "offset: \"15 ms\"", "offset", "length"),
        ("offset: \"15 um\"", "offset: \"-15 um\"", "offset", "from 0 to 1e9 um"),
        ("weight_jitter: 0.1", "weight_jitter: -0.1", "weight_jitter", "fraction from 0 to 1"),
        ("weight_jitter: 0.1", "weight_jitter: 1e300", "weight_jitter", "fraction from 0 to 1"),
    ];
    for (from, to, name, says) in cases {
        let (at, got, msg) = scene_error(&good.replacen(from, to, 1));
        assert_eq!(got, format!("{field}.{name}"), "{to}: {msg}");
        let want = good.lines().position(|l| l.contains(from)).unwrap() + 1;
        assert_eq!(at, want, "{to}");
        assert!(msg.contains(says), "{to}: {msg}");
    }
    // A typo in a field name, and a missing required field.
    let (at, _, msg) = scene_error(&good.replacen("weight_jitter", "weight_jiter", 1));
    assert!(msg.contains("weight_jiter"), "{msg}");
    assert!(at >= line, "line {at}");
    let (_, _, msg) = scene_error(&good.replacen("max_size: 200,", "", 1));
    assert!(msg.contains("max_size"), "{msg}");
}

#[test]
fn neurogenesis_divides_the_strongest_first_up_to_the_cap_and_splits_the_signal() {
    use neuroplast::growth::neurogenesis::Neurogenesis;
    use neuroplast::sim::Segment;
    use neuroplast::sim::StructuralRule;
    let (e, other) = (PopulationId(0), PopulationId(1));
    // Neurons 0-5 in E, 6-7 in another population; signal tau 1000 steps, threshold 3 spikes.
    let segments = [Segment { start: 0, end: 6, population: e }, Segment { start: 6, end: 8, population: other }];
    let population: Vec<PopulationId> = (0..8).map(|i| if i < 6 { e } else { other }).collect();
    let mut g = Neurogenesis::new(e, 100, 1000.0, 3.0, 9, 10.0, 0.0, true, 8);
    // Spikes at step 10: neuron k fires k times (other-population neurons fire often).
    for k in 0..7u32 {
        let spikes: Vec<NeuronId> = (0..8).filter(|&i| i >= 6 || i > k).map(NeuronId).collect();
        g.record_spikes(&spikes, &population, 10);
    }
    let at = |g: &Neurogenesis, i: usize| g.signal(i, 100);
    let decay = (-90.0f64 / 1000.0).exp();
    assert!((at(&g, 5) - 5.0 * decay).abs() < 1e-12);
    assert_eq!((at(&g, 0), at(&g, 6)), (0.0, 0.0), "silent, and of another population");
    // Room for 3 (cap 9, size 6); neurons 3, 4, 5 pass the threshold (3, 4, 5 spikes decayed: only
    // 4 and 5 stay above 3), and the other population never divides.
    let parents = g.choose_parents(&segments, 6, 100);
    assert_eq!(parents, vec![4, 5]);
    assert!((at(&g, 5) - 2.5 * decay).abs() < 1e-12, "the parent keeps half its signal");
    g.resize(9);
    g.inherit_signal(5, 8, 100);
    assert_eq!(at(&g, 8), at(&g, 5), "the child gets the other half");
    // With room for one only the strongest divides; at the cap nobody does.
    let mut g2 = Neurogenesis::new(e, 100, 1000.0, 3.0, 7, 10.0, 0.0, true, 8);
    let mut g3 = g2.clone();
    g3.max_size = 6;
    for k in 0..7u32 {
        let spikes: Vec<NeuronId> = (0..6).filter(|&i| i > k).map(NeuronId).collect();
        g2.record_spikes(&spikes, &population, 10);
        g3.record_spikes(&spikes, &population, 10);
    }
    assert_eq!(g2.choose_parents(&segments, 6, 100), vec![5]);
    assert!(g3.choose_parents(&segments, 6, 100).is_empty());
    assert!(g.due(200) && !g.due(0) && !g.due(150));
    // A child is `offset` away, in a direction that depends on the step and the parent only.
    let p = [1.0, 2.0, 3.0];
    let c = g.child_position(p, &mut Neurogenesis::rng(5, 100, 4));
    let d = ((0..3).map(|k| ((c[k] - p[k]) as f64).powi(2)).sum::<f64>()).sqrt();
    assert!((d - 10.0).abs() < 1e-5, "{d}");
    assert_eq!(c, g.child_position(p, &mut Neurogenesis::rng(5, 100, 4)));
    assert_ne!(c, g.child_position(p, &mut Neurogenesis::rng(5, 100, 3)));
    // Without jitter the inherited weight is the parent's.
    assert_eq!(g.perturb(-3.25, &mut Neurogenesis::rng(5, 100, 4)), -3.25);
}

/// scenes/growth.ron: the seed grows to both caps within 6 s, each founder group into a lineage
/// (an assembly) whose E->E synapses stay mostly inside it, and the attention edges join the two
/// lineages that share their input (A and B), not the third (C).
#[test]
fn growth_scene_grows_into_assemblies_joined_by_long_range_edges() {
    let scene = Scene::load(std::path::Path::new("scenes/growth.ron")).unwrap();
    let mut net = scene.build(None).unwrap();
    assert_eq!(net.network.num_neurons(), 20);
    let (_, events) = run(&mut net, 60_000);
    let (e, i) = (net.network.population_by_name("E").unwrap(), net.network.population_by_name("I").unwrap());
    assert_eq!((net.network.populations[e.index()].size, net.network.populations[i.index()].size), (240, 60));
    // The founder of every E neuron (E founders are neurons 4-15: A 4-7, B 8-11, C 12-15).
    let mut founder: Vec<u32> = (0..net.network.num_neurons() as u32).collect();
    for ev in &events {
        if let StructuralEvent::NeuronBorn { id, parent: Some(p) } = *ev {
            founder[id.index()] = founder[p.index()];
        }
    }
    let lineage = |n: u32| match founder[n as usize] {
        4..=7 => 'A',
        8..=11 => 'B',
        12..=15 => 'C',
        _ => '-',
    };
    let ee = scene.file.projections.iter().position(|p| p.name == "E->E").unwrap() as u16;
    let (mut inside, mut total) = (0, 0);
    for v in net.network.synapse_views() {
        if net.network.synapses.projection[net.network.synapse_slot(v.id).unwrap()] == ee {
            total += 1;
            inside += usize::from(lineage(v.pre.0) == lineage(v.post.0));
        }
    }
    assert!(total > 500 && inside * 10 > total * 9, "{inside} of {total} E->E synapses inside a lineage");
    let edges = net.structural_rule::<AttentionEdges>().unwrap().edges();
    let ab = edges.iter().filter(|x| matches!((lineage(x.from), lineage(x.to)), ('A', 'B') | ('B', 'A'))).count();
    assert!(edges.len() >= 50 && ab * 10 >= edges.len() * 6, "{ab} of {} attention edges join A and B", edges.len());
}
