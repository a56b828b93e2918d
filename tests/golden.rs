//! Golden hashes pinned before the engine was restructured (rules moved onto hooks): the same
//! scene and seed must keep giving bit-identical spike trains, weights and structural events.
//! A change here is a change of results for users: when it is intended, say so in the commit
//! and replace the constant with the value the failure prints.

use neuroplast::engine::Simulation;
use neuroplast::scene::Scene;
use neuroplast::sim::{StepReport, StructuralEvent};

/// FNV-1a over a stream of little-endian words.
struct Fnv(u64);

impl Fnv {
    fn new() -> Self {
        Self(0xcbf2_9ce4_8422_2325)
    }

    fn word(&mut self, v: u64) {
        for b in v.to_le_bytes() {
            self.0 ^= b as u64;
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
}

/// What a run produced, hashed by kind.
struct Hashes {
    spikes: u64,
    events: u64,
    weights: u64,
    counts: (usize, usize, usize),
}

fn build(text: &str, seed: Option<u64>) -> Simulation {
    Scene::parse(text, "golden").unwrap().build(seed).unwrap()
}

fn scene_text(file: &str) -> String {
    std::fs::read_to_string(format!("{}/scenes/{file}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

/// Runs `net` for `seconds` and hashes every spike (step, neuron), every structural event (step,
/// kind, fields) and the final weights (id, bits) in CSR order.
fn run_hashed(net: Simulation, seconds: f64) -> Hashes {
    run_hashed_as(net, seconds, false)
}

/// [`run_hashed`], with the structural rounds run as a phase of their own before each step when
/// `phased` (as the app's growth systems run them): the same events in the same steps.
fn run_hashed_as(mut net: Simulation, seconds: f64, phased: bool) -> Hashes {
    let steps = (seconds * 1000.0 / net.network.dt_ms()).round() as u64;
    let mut report = StepReport::with_capacity(net.network.num_neurons());
    let (mut spikes, mut events) = (Fnv::new(), Fnv::new());
    let (mut n_spikes, mut n_events) = (0, 0);
    let mut rounds = Vec::new();
    for _ in 0..steps {
        if phased && net.structural_rounds_due() {
            net.run_structural_rounds(&mut rounds);
            assert!(!net.structural_rounds_due(), "rounds run once per step");
        }
        net.step(&mut report);
        // A phased round's events belong to the step it ran at the start of.
        let mut all = std::mem::take(&mut rounds);
        all.extend_from_slice(&report.events);
        report.events = all;
        let r = &report;
        for s in &r.spikes {
            spikes.word(r.step);
            spikes.word(s.0 as u64);
        }
        n_spikes += r.spikes.len();
        n_events += r.events.len();
        for e in &r.events {
            events.word(r.step);
            match *e {
                StructuralEvent::NeuronBorn { id, parent } => {
                    events.word(1);
                    events.word(id.0 as u64);
                    events.word(parent.map_or(u64::MAX, |p| p.0 as u64));
                }
                StructuralEvent::SynapseFormed { id, pre, post, kind } => {
                    events.word(2);
                    events.word(id.0 as u64);
                    events.word(pre.0 as u64);
                    events.word(post.0 as u64);
                    events.word(kind as u64);
                }
                StructuralEvent::SynapsePruned { id } => {
                    events.word(3);
                    events.word(id.0 as u64);
                }
                StructuralEvent::AttentionEdgeFormed { id, a, b } => {
                    events.word(4);
                    events.word(id as u64);
                    events.word(a.0 as u64);
                    events.word(b.0 as u64);
                }
                StructuralEvent::AttentionEdgeDecayed { id } => {
                    events.word(5);
                    events.word(id as u64);
                }
            }
        }
    }
    let mut weights = Fnv::new();
    for s in net.network.synapse_views() {
        weights.word(s.id.0 as u64);
        weights.word(s.pre.0 as u64);
        weights.word(s.post.0 as u64);
        weights.word(s.weight.to_bits() as u64);
    }
    for v in &net.network.neurons.v {
        weights.word(v.to_bits());
    }
    Hashes {
        spikes: spikes.0,
        events: events.0,
        weights: weights.0,
        counts: (n_spikes, n_events, net.network.num_synapses()),
    }
}

fn check(name: &str, got: Hashes, want: (u64, u64, u64)) {
    let have = (got.spikes, got.events, got.weights);
    assert_eq!(
        have, want,
        "{name}: results changed (spikes, events, synapses) = {:?}; hashes (spikes, events, weights) = ({:#018x}, \
         {:#018x}, {:#018x})",
        got.counts, have.0, have.1, have.2
    );
}

#[test]
fn cuba_spike_train_seed_1_one_second() {
    let got = run_hashed(build(&scene_text("cuba.ron"), Some(1)), 1.0);
    check("cuba.ron", got, (0xb23cf9aba3762bcb, 0xcbf29ce484222325, 0x9876c05285da5f49));
}

#[test]
fn growth_scene_structural_events_seed_11_three_seconds() {
    let got = run_hashed(build(&scene_text("growth.ron"), Some(11)), 3.0);
    check("growth.ron", got, (0x482fc81de0d37d46, 0xb5be1ac108056bc6, 0x14679a6a67a994ff));
}

#[test]
fn growth_rounds_run_as_their_own_phase_give_the_same_hashes() {
    let got = run_hashed_as(build(&scene_text("growth.ron"), Some(11)), 3.0, true);
    check("growth.ron, phased", got, (0x482fc81de0d37d46, 0xb5be1ac108056bc6, 0x14679a6a67a994ff));
}

#[test]
fn default_scene_plasticity_pruning_attention_one_second() {
    let got = run_hashed(build(&scene_text("default.ron"), None), 1.0);
    check("default.ron", got, (0xcc6f65b3cd220f8f, 0xde627fd984097306, 0x00b69bb04834241a));
}

#[test]
fn msp_scene_fast_growth_two_seconds() {
    // The NEST example with growth 100 times faster, so synapses form and retract within 2 s.
    let text = scene_text("msp_nest.ron").replace("\"0.1 Hz\"", "\"10 Hz\"").replace("\"0.4 Hz\"", "\"40 Hz\"");
    let got = run_hashed(build(&text, None), 2.0);
    check("msp_nest.ron", got, (0x153648574f46f66f, 0xb55f3fb0442ca531, 0x1c0ff22fd0afe54a));
}

#[test]
fn astrocyte_liquid_half_a_second() {
    let got = run_hashed(build(&scene_text("astro_liquid.ron"), None), 0.5);
    check("astro_liquid.ron", got, (0x0c67f6f2c19fbe25, 0xcbf29ce484222325, 0x6c8afff4aa19d922));
}

/// Every synaptic and intrinsic rule at once, with rewards, on a small recurrent network.
#[test]
fn every_learning_rule_two_seconds() {
    let text = r#"Scene(version: 1, dt: "0.1 ms", seed: 5, populations: [
        (name: "in", size: 40, model: PoissonSource(rate: "20 Hz")),
        (name: "E", size: 60, model: LifCurrent(tau_syn_ex: "2 ms"), init: (v: Uniform(low: "-70 mV", high: "-55 mV")),
         intrinsic: ThresholdAdaptation(eta: "0.1 mV", target_rate: "8 Hz")),
        (name: "Q", size: 30, model: LifCurrent(), init: (v: Uniform(low: "-70 mV", high: "-55 mV"))),
    ], projections: [
        (name: "pair", source: "in", target: "E", connectivity: Bernoulli(p: 0.3), weight: Uniform(low: "50 pA", high: "400 pA"),
         plasticity: PairStdp(w_max: "600 pA")),
        (name: "triplet", source: "E", target: "E", connectivity: Bernoulli(p: 0.1), weight: Constant("80 pA"),
         delay: Constant("1.5 ms"), plasticity: TripletStdp(w_max: "300 pA")),
        (name: "reward", source: "in", target: "Q", connectivity: Bernoulli(p: 0.3), weight: Constant("300 pA"),
         plasticity: RewardStdp(w_max: "600 pA")),
        (name: "oja", source: "E", target: "Q", connectivity: Bernoulli(p: 0.2), weight: Constant("100 pA"),
         delay: Constant("0.7 ms"), plasticity: Oja(w_ref: "400 pA")),
        (name: "bcm", source: "Q", target: "E", connectivity: Bernoulli(p: 0.2), weight: Constant("50 pA"),
         plasticity: Bcm(w_ref: "400 pA")),
        (name: "scaling", source: "in", target: "E", connectivity: Bernoulli(p: 0.1), weight: Constant("200 pA"),
         plasticity: SynapticScaling(target_rate: "5 Hz", tau_rate: "200 ms", tau_scale: "2 s", interval: "10 ms")),
    ], gap_junctions: [(source: "Q", target: "Q", connectivity: Bernoulli(p: 0.05), conductance: Constant("2 nS"))],
    inputs: [
        Reward(times: ["300 ms", "900 ms", "1500 ms"], amount: 1.0),
        Current(target: "Q", amplitude: "200 pA", start: "100 ms", stop: "1200 ms"),
    ])"#;
    let got = run_hashed(build(text, None), 2.0);
    check("every learning rule", got, (0xc22df02db074ebbc, 0xcbf29ce484222325, 0x44b93bdac06a00c3));
}

/// Izhikevich and AdEx neurons, alpha synapses, gap junctions and current steps.
#[test]
fn other_neuron_models_one_second() {
    let text = r#"Scene(version: 1, dt: "0.1 ms", seed: 9, populations: [
        (name: "in", size: 20, model: PoissonSource(rate: "40 Hz")),
        (name: "izh", size: 30, model: Izhikevich(), init: (v: Uniform(low: "-70 mV", high: "-60 mV"))),
        (name: "adex", size: 30, model: AdEx(), init: (v: Uniform(low: "-70 mV", high: "-60 mV"))),
        (name: "alpha", size: 30, model: LifCurrent(psc: Alpha), init: (v: Uniform(low: "-70 mV", high: "-55 mV"))),
        (name: "coba", size: 30, model: LifConductance(), init: (v: Uniform(low: "-70 mV", high: "-55 mV"))),
    ], projections: [
        (source: "in", target: "izh", connectivity: Bernoulli(p: 0.3), weight: Constant("5")),
        (source: "in", target: "adex", connectivity: Bernoulli(p: 0.3), weight: Constant("300 pA")),
        (source: "in", target: "alpha", connectivity: Bernoulli(p: 0.3), weight: Constant("300 pA")),
        (source: "in", target: "coba", connectivity: Bernoulli(p: 0.3), weight: Constant("6 nS"), delay: Constant("2 ms")),
        (source: "alpha", target: "coba", connectivity: Bernoulli(p: 0.2), weight: Constant("3 nS"), delay: Constant("1 ms")),
    ], gap_junctions: [(source: "adex", target: "adex", connectivity: Bernoulli(p: 0.1), conductance: Constant("1 nS"))],
    inputs: [
        Current(target: "adex", amplitude: "300 pA", start: "200 ms", stop: "600 ms"),
        Poisson(target: "alpha", sources: 10, rate: "50 Hz", weight: "100 pA"),
    ])"#;
    let got = run_hashed(build(text, None), 1.0);
    check("other neuron models", got, (0x8ecde4261e9b784e, 0xcbf29ce484222325, 0x670f66ba5ed4d744));
}
