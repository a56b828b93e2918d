//! Structural change in the engine: stable synapse ids across insertion and removal, structural
//! events, snapshots that hold the structure, thread-count bit-identity with growth on, and MSP
//! (ALGORITHMS.md §9) driving calcium to its targets with exact element bookkeeping.

use neuroplast::engine::Simulation;
use neuroplast::growth::attention::AttentionEdges;
use neuroplast::growth::msp::Msp;
use neuroplast::scene::{Scene, snapshot};
use neuroplast::sim::{NeuronId, NewSynapse, PopulationId, Receptor, SpikeLog, StepReport, StructuralEvent, SynapseId};

fn run(net: &mut Simulation, steps: u64) -> (SpikeLog, Vec<StructuralEvent>) {
    let mut report = StepReport::with_capacity(net.network.num_neurons());
    let (mut log, mut events) = (SpikeLog::default(), Vec::new());
    net.run(steps, &mut report, |r| {
        log.record(r);
        events.extend_from_slice(&r.events);
    });
    (log, events)
}

/// A small static E/I network (CUBA at 1/20 of its size) with delays and an STDP projection, so
/// edits must carry delays, projection indices and per-synapse rule state.
fn static_net() -> Simulation {
    let text = std::fs::read_to_string("scenes/cuba.ron")
        .unwrap()
        .replace("size: 3200", "size: 160")
        .replace("size: 800", "size: 40")
        .replace("p: 0.02", "p: 0.2")
        .replace(
            r#"weight: Constant("-9 mV"),"#,
            r#"weight: Constant("-9 mV"), delay: Uniform(low: "0.5 ms", high: "2 ms"),"#,
        );
    Scene::parse(&text, "cuba-small").unwrap().build(Some(3)).unwrap()
}

/// A growing network: `n_e` + `n_i` LIF neurons driven by Poisson input, no synapses at first,
/// MSP with linear growth curves (elements grow from calcium 0, so synapses appear within
/// `interval`s) at the given calcium time constant and growth rate.
fn msp_scene(n_e: u32, n_i: u32, tau_ca: &str, beta: f64, nu_hz: f64, interval: &str) -> String {
    format!(
        r#"Scene(
    version: 1,
    dt: "0.1 ms",
    seed: 5,
    populations: [
        (name: "E", size: {n_e}, model: LifCurrent(psc: Alpha), layout: Box(center: (0.0, 0.0, 0.0), size: (500.0, 500.0, 500.0))),
        (name: "I", size: {n_i}, model: LifCurrent(psc: Alpha), layout: Box(center: (600.0, 0.0, 0.0), size: (200.0, 500.0, 500.0))),
    ],
    inputs: [
        Poisson(target: "E", sources: 1, rate: "10 kHz", weight: "6.2 pA"),
        Poisson(target: "I", sources: 1, rate: "10 kHz", weight: "6.2 pA"),
    ],
    structural_plasticity: (
        update_interval: "{interval}",
        populations: [
            (population: "E", calcium: (tau: "{tau_ca}", beta: {beta}), elements: [
                (name: "Den_ex", curve: Gaussian(eta: 0.0, eps: 0.05), growth_rate: "{nu_hz} Hz"),
                (name: "Den_in", curve: Gaussian(eta: 0.0, eps: 0.05), growth_rate: "{nu_hz} Hz"),
                (name: "Axon_ex", curve: Gaussian(eta: 0.0, eps: 0.05), growth_rate: "{nu_hz} Hz"),
            ]),
            (population: "I", calcium: (tau: "{tau_ca}", beta: {beta}), elements: [
                (name: "Den_ex", curve: Gaussian(eta: 0.0, eps: 0.2), growth_rate: "{nu_i} Hz"),
                (name: "Den_in", curve: Gaussian(eta: 0.0, eps: 0.2), growth_rate: "{nu_hz} Hz"),
                (name: "Axon_in", curve: Gaussian(eta: 0.0, eps: 0.2), growth_rate: "{nu_hz} Hz"),
            ]),
        ],
        synapses: [
            (name: "ex", pre_element: "Axon_ex", post_element: "Den_ex", weight: "585 pA", delay: "1 ms", receptor: Excitatory),
            (name: "in", pre_element: "Axon_in", post_element: "Den_in", weight: "-585 pA", delay: "1 ms", receptor: Inhibitory),
        ],
    ),
)"#,
        nu_i = 4.0 * nu_hz
    )
}

fn build(text: &str) -> Simulation {
    Scene::parse(text, "test").unwrap().build(None).unwrap()
}

/// Builds `text` and runs `steps` steps inside a pool of `threads` threads.
fn run_on_threads(text: &str, steps: u64, threads: usize) -> ((SpikeLog, Vec<StructuralEvent>), Simulation) {
    let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
    pool.install(|| {
        let mut net = build(text);
        let out = run(&mut net, steps);
        (out, net)
    })
}

/// Runs `text` for `steps` steps with one and with two threads, asserts that the runs are
/// bit-identical (events, spikes, the final network), and returns the spikes, events and network.
fn run_on_one_and_two_threads(text: &str, steps: u64) -> (SpikeLog, Vec<StructuralEvent>, Simulation) {
    let ((log1, ev1), net1) = run_on_threads(text, steps, 1);
    let ((log2, ev2), net2) = run_on_threads(text, steps, 2);
    assert_eq!(ev1, ev2);
    assert_eq!(log1, log2);
    assert_eq!(net1, net2);
    (log1, ev1, net1)
}

#[test]
fn synapse_ids_survive_insertion_and_removal() {
    let mut net = static_net();
    assert!(!net.network.synapses.delay.is_empty() && net.network.num_synapses() > 1000);
    let before: Vec<_> = net.network.synapse_views().collect();
    run(&mut net, 50);
    // Remove every 7th synapse, then add three multapses between the same pair and one more.
    let gone: Vec<SynapseId> = before.iter().step_by(7).map(|s| s.id).collect();
    net.remove_synapses(&gone).unwrap();
    let pair = (NeuronId(5), NeuronId(170));
    let new: Vec<NewSynapse> =
        [(pair.0, pair.1, 30.0), (pair.0, pair.1, 31.0), (pair.0, pair.1, 32.0), (NeuronId(199), NeuronId(0), -40.0)]
            .iter()
            .map(|&(pre, post, w)| NewSynapse {
                pre,
                post,
                receptor: if w < 0.0 { Receptor::Inhibitory } else { Receptor::Excitatory },
                weight: w,
                delay_steps: 7,
                projection: neuroplast::sim::NO_PROJECTION,
            })
            .collect();
    let ids = net.add_synapses(&new).unwrap();
    let first = before.len() as u32;
    assert_eq!(ids, (first..first + 4).map(SynapseId).collect::<Vec<_>>());
    assert_eq!(net.network.num_synapses(), before.len() - gone.len() + 4);
    // Survivors keep id, ends, weight and delay; removed ids are gone; new ids are what was asked.
    for s in &before {
        match net.network.synapse(s.id) {
            Some(now) if !gone.contains(&s.id) => {
                assert_eq!(
                    (now.pre, now.post, now.receptor, now.delay_steps),
                    (s.pre, s.post, s.receptor, s.delay_steps)
                );
            }
            None if gone.contains(&s.id) => {}
            other => panic!("synapse {:?}: {other:?}", s.id),
        }
    }
    for (id, a) in ids.iter().zip(&new) {
        let v = net.network.synapse(*id).unwrap();
        assert_eq!((v.pre, v.post, v.weight, v.delay_steps), (a.pre, a.post, a.weight, 7));
    }
    // The multapses are three distinct synapses; removing one leaves the other two.
    net.remove_synapses(&ids[1..2]).unwrap();
    assert!(net.network.synapse(ids[1]).is_none());
    assert_eq!(net.network.synapse(ids[0]).unwrap().weight, 30.0);
    assert_eq!(net.network.synapse(ids[2]).unwrap().weight, 32.0);
    let count = net.network.synapse_views().filter(|v| (v.pre, v.post) == pair && v.weight >= 30.0).count();
    assert_eq!(count, 2);
    assert!(net.remove_synapses(&ids[1..2]).is_err(), "a removed id cannot be removed again");
    // Every slot's id maps back to that slot, and ids are never handed out twice.
    for (slot, v) in net.network.synapse_views().enumerate() {
        assert_eq!(net.network.synapse_slot(v.id), Some(slot));
    }
    assert_eq!(net.network.next_synapse_id(), SynapseId(first + 4));
    // The STDP rule follows its synapses: the network keeps running and learning.
    let (log, _) = run(&mut net, 500);
    assert!(!log.is_empty());
}

#[test]
fn a_synapse_table_with_a_repeated_id_is_refused_and_the_network_kept() {
    let mut net = static_net();
    let first: Vec<SynapseId> = net.network.synapse_views().take(3).map(|v| v.id).collect();
    net.remove_synapses(&first[..1]).unwrap(); // ids and slots now differ: the index is in use
    let before: Vec<_> = net.network.synapse_views().collect();
    let mut bad = net.network.synapses.clone();
    bad.id[1] = bad.id[0];
    let err = net.network.set_synapses(bad).unwrap_err().to_string();
    assert!(err.contains("used twice"), "{err}");
    assert_eq!(net.network.synapse_views().collect::<Vec<_>>(), before);
    for v in &before {
        assert_eq!(net.network.synapse(v.id), Some(*v));
    }
    assert!(net.network.synapse(first[0]).is_none());
}

#[test]
fn edits_and_new_neurons_deliver_exact_events_in_the_next_report() {
    let mut net = static_net();
    run(&mut net, 10);
    let victim = net.network.synapse_id(3);
    net.remove_synapses(&[victim]).unwrap();
    let born = net.add_neurons(PopulationId(0), &[([1.0, 2.0, 3.0], Some(NeuronId(4))), ([0.0; 3], None)]).unwrap();
    assert_eq!(born, 200..202);
    let syn = NewSynapse {
        pre: NeuronId(200),
        post: NeuronId(201),
        receptor: Receptor::Excitatory,
        weight: 10.0,
        delay_steps: 0,
        projection: neuroplast::sim::NO_PROJECTION,
    };
    let id = net.add_synapses(&[syn]).unwrap()[0];
    let mut report = StepReport::with_capacity(net.network.num_neurons());
    net.step(&mut report);
    assert_eq!(
        report.events,
        vec![
            StructuralEvent::SynapsePruned { id: victim },
            StructuralEvent::NeuronBorn { id: NeuronId(200), parent: Some(NeuronId(4)) },
            StructuralEvent::NeuronBorn { id: NeuronId(201), parent: None },
            StructuralEvent::SynapseFormed { id, pre: NeuronId(200), post: NeuronId(201), kind: Receptor::Excitatory },
        ]
    );
    net.step(&mut report);
    assert!(report.events.is_empty(), "events are reported once");
    assert_eq!(net.network.num_neurons(), 202);
    assert_eq!(net.network.neurons.position[200], [1.0, 2.0, 3.0]);
    assert_eq!(net.network.populations[0].size, 162);
    assert_eq!(net.network.population_neurons(PopulationId(0)).count(), 162);
    run(&mut net, 200);
}

/// For every neuron, bound elements equal the synapses of each structural kind it takes part in,
/// and each event matches a real change of the synapse set.
fn check_bookkeeping(net: &Simulation) {
    let msp = net.structural_rule::<Msp>().unwrap();
    let n = net.network.num_neurons();
    for m in &msp.synapse_models {
        let (mut out, mut inc) = (vec![0i32; n], vec![0i32; n]);
        for v in net.network.synapse_views() {
            if net.network.synapses.projection[net.network.synapse_slot(v.id).unwrap()] == m.projection {
                out[v.pre.index()] += 1;
                inc[v.post.index()] += 1;
            }
        }
        for i in 0..n {
            assert_eq!(msp.element(i, m.pre_element as usize).1, out[i], "neuron {i} {}", m.name);
            assert_eq!(msp.element(i, m.post_element as usize).1, inc[i], "neuron {i} {}", m.name);
        }
    }
}

#[test]
fn msp_events_match_the_synapse_set_and_elements_match_synapses() {
    let mut net = build(&msp_scene(160, 40, "1 s", 0.01, 5.0, "20 ms"));
    let (mut alive, mut formed, mut pruned) = (std::collections::BTreeSet::new(), 0, 0);
    let mut report = StepReport::with_capacity(net.network.num_neurons());
    for _ in 0..30 {
        for _ in 0..1000 {
            net.step(&mut report);
            for e in &report.events {
                match *e {
                    StructuralEvent::SynapseFormed { id, pre, post, .. } => {
                        let v = net.network.synapse(id).expect("a formed synapse exists");
                        assert_eq!((v.pre, v.post), (pre, post));
                        assert!(alive.insert(id));
                        formed += 1;
                    }
                    StructuralEvent::SynapsePruned { id } => {
                        assert!(net.network.synapse(id).is_none());
                        assert!(alive.remove(&id));
                        pruned += 1;
                    }
                    other => panic!("unexpected {other:?}"),
                }
            }
        }
        check_bookkeeping(&net);
        assert_eq!(alive.len(), net.network.num_synapses());
    }
    assert!(formed > 500 && pruned > 0, "formed {formed}, pruned {pruned}");
}

#[test]
fn resumed_growing_run_is_bit_identical() {
    let text = msp_scene(160, 40, "1 s", 0.01, 5.0, "20 ms");
    let mut whole = build(&text);
    run(&mut whole, 20_000);
    let (tail_whole, ev_whole) = run(&mut whole, 5_000);

    let mut half = build(&text);
    run(&mut half, 20_000);
    assert!(half.network.num_synapses() > 100, "structure grew before the snapshot");
    let mut resumed = snapshot::decode(&snapshot::encode(&half), "mem").unwrap();
    drop(half);
    let (tail_resumed, ev_resumed) = run(&mut resumed, 5_000);
    assert!(!ev_whole.is_empty());
    assert_eq!(ev_resumed, ev_whole);
    assert_eq!(tail_resumed, tail_whole);
    assert_eq!(resumed, whole);
}

#[test]
fn growing_network_is_bit_identical_for_one_and_two_threads() {
    // Above the parallel threshold, so two threads really split the neuron update.
    let text = msp_scene(16_000, 4_000, "100 ms", 0.1, 200.0, "5 ms");
    let (log, events, _) = run_on_one_and_two_threads(&text, 1_500);
    assert!(events.len() > 1000 && log.len() > 1000, "{} events, {} spikes", events.len(), log.len());
}

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

/// MSP on a 10× faster clock (τ_Ca 1 s with β 0.01 keeps the targets at 5 and 20 Hz; growth
/// rates ×10, update every 10 ms): the NEST example's network settles on both calcium targets.
#[test]
fn msp_calcium_reaches_its_targets() {
    let mut net = build(&msp_scene(800, 200, "1 s", 0.01, 1.0, "10 ms"));
    let msp_pops: Vec<Vec<u32>> = (0..2).map(|p| net.network.population_neurons(PopulationId(p)).collect()).collect();
    let mut report = StepReport::with_capacity(net.network.num_neurons());
    let (mut sum, mut samples) = ([0.0f64; 2], 0);
    for k in 0..300_000u64 {
        net.step(&mut report);
        if k >= 200_000 && k % 1000 == 999 {
            let msp = net.structural_rule::<Msp>().unwrap();
            for (p, ids) in msp_pops.iter().enumerate() {
                sum[p] += ids.iter().map(|&i| msp.calcium(i as usize)).sum::<f64>() / ids.len() as f64;
            }
            samples += 1;
        }
    }
    let (ca_e, ca_i) = (sum[0] / samples as f64, sum[1] / samples as f64);
    assert!((ca_e - 0.05).abs() < 0.005, "Ca_E {ca_e}");
    assert!((ca_i - 0.2).abs() < 0.02, "Ca_I {ca_i}");
    check_bookkeeping(&net);
}

/// Where a broken growing scene's error points: (line, field, message).
fn scene_error(text: &str) -> (usize, String, String) {
    let err = match Scene::parse(text, "broken.ron") {
        Err(e) => e,
        Ok(scene) => scene.build(None).expect_err("the scene should be refused"),
    };
    let at = err.located().expect("a located error").clone();
    assert!(err.to_string().starts_with(&format!("broken.ron:{}:{}: ", at.line, at.column)), "{err}");
    (at.line, at.field, at.message)
}

#[test]
fn bad_structural_plasticity_values_name_file_line_and_field() {
    let good = msp_scene(8, 2, "10 s", 0.001, 0.1, "100 ms");
    build(&good);
    let line_of = |needle: &str| good.lines().position(|l| l.contains(needle)).unwrap() + 1;
    // eps below eta on the second element of I.
    let text = good.replacen(
        "Gaussian(eta: 0.0, eps: 0.2), growth_rate: \"0.1 Hz\"",
        "Gaussian(eta: 0.3, eps: 0.2), growth_rate: \"0.1 Hz\"",
        1,
    );
    let (line, field, msg) = scene_error(&text);
    assert_eq!(field, "structural_plasticity.populations[1].elements[1].curve.eps", "{msg}");
    assert_eq!(line, line_of("(name: \"Den_in\", curve: Gaussian(eta: 0.0, eps: 0.2)"));
    assert!(msg.contains("above eta"), "{msg}");
    // A growth rate that is not a rate.
    let text = good.replacen("growth_rate: \"0.1 Hz\"", "growth_rate: \"0.1 ms\"", 1);
    let (_, field, msg) = scene_error(&text);
    assert_eq!(field, "structural_plasticity.populations[0].elements[0].growth_rate", "{msg}");
    // A synapse kind between elements nobody grows.
    let text = good.replace("pre_element: \"Axon_in\"", "pre_element: \"Axon_xx\"");
    let (line, field, msg) = scene_error(&text);
    assert_eq!(field, "structural_plasticity.synapses[1].pre_element", "{msg}");
    assert_eq!(line, line_of("(name: \"in\", pre_element:"));
    assert!(msg.contains("Axon_xx"), "{msg}");
    // NaN calcium increment, a population that does not exist, a typo in a field name.
    let (_, field, _) = scene_error(&good.replacen("beta: 0.001", "beta: NaN", 1));
    assert_eq!(field, "structural_plasticity.populations[0].calcium.beta");
    let (_, field, _) = scene_error(&good.replacen("(population: \"I\"", "(population: \"X\"", 1));
    assert_eq!(field, "structural_plasticity.populations[1].population");
    let (_, _, msg) =
        scene_error(&good.replacen("tau_vacant", "tau_vacnt", 1).replacen("update_interval", "update_intervall", 1));
    assert!(msg.contains("update_intervall"), "{msg}");
    // A voltage-jump weight cannot be a structural synapse's weight.
    let (_, field, _) = scene_error(&good.replacen("weight: \"585 pA\"", "weight: \"1 mV\"", 1));
    assert_eq!(field, "structural_plasticity.synapses[0].weight");
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
        ("offset: \"15 um\"", "offset: \"-15 um\"", "offset", ">= 0"),
        ("weight_jitter: 0.1", "weight_jitter: -0.1", "weight_jitter", ">= 0"),
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
