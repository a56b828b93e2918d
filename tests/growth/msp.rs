//! Structural plasticity (MSP): bookkeeping, resumption, thread identity, calcium targets, errors.

use super::*;

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
