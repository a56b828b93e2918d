//! Stable synapse ids and structural events of edits made between steps.

use super::*;

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

#[test]
fn a_snapshot_between_a_phased_round_and_its_step_resumes_without_repeating_it() {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/scenes/growth.ron")).unwrap();
    let mut sim = build(&text);
    let mut report = StepReport::with_capacity(sim.network.num_neurons());
    // Up to the first round that changes the structure (the neurons divide after ~1 s).
    let mut events = Vec::new();
    while events.is_empty() {
        while !sim.structural_rounds_due() {
            sim.step(&mut report);
        }
        sim.run_structural_rounds(&mut events);
        assert!(sim.network.step_count() < 30_000, "no structural change within 3 s");
    }
    let mut resumed = snapshot::decode(&snapshot::encode(&sim), "between").unwrap();
    assert!(!resumed.structural_rounds_due(), "the snapshot knows the round has run");
    let (a, b) = (run(&mut sim, 5000), run(&mut resumed, 5000));
    assert_eq!(a, b);
    assert_eq!(sim, resumed);
}
