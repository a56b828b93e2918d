//! Structural change in the engine: stable synapse ids across insertion and removal, structural
//! events, snapshots that hold the structure, thread-count bit-identity with growth on, and each
//! structural rule against its reference: MSP (ALGORITHMS.md §9) driving calcium to its targets
//! with exact element bookkeeping, GraNet pruning (§11), attention edges (§12), neurogenesis (§10).

mod edits;
mod msp;
mod neurogenesis;
mod pruning;

use neuroplast::engine::Simulation;
use neuroplast::growth::attention::AttentionEdges;
use neuroplast::growth::msp::Msp;
use neuroplast::scene::{Scene, snapshot};
use neuroplast::sim::{NeuronId, NewSynapse, PopulationId, Receptor, SpikeLog, StepReport, StructuralEvent, SynapseId};

/// Runs `steps` steps; returns the spikes and the structural events.
pub fn run(net: &mut Simulation, steps: u64) -> (SpikeLog, Vec<StructuralEvent>) {
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
pub fn static_net() -> Simulation {
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
pub fn msp_scene(n_e: u32, n_i: u32, tau_ca: &str, beta: f64, nu_hz: f64, interval: &str) -> String {
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

/// Builds scene text (panics on an error: the scenes here are valid).
pub fn build(text: &str) -> Simulation {
    Scene::parse(text, "test").unwrap().build(None).unwrap()
}

/// Builds `text` and runs `steps` steps inside a pool of `threads` threads.
pub fn run_on_threads(text: &str, steps: u64, threads: usize) -> ((SpikeLog, Vec<StructuralEvent>), Simulation) {
    let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
    pool.install(|| {
        let mut net = build(text);
        let out = run(&mut net, steps);
        (out, net)
    })
}

/// Runs `text` for `steps` steps with one and with two threads, asserts that the runs are
/// bit-identical (events, spikes, the final network), and returns the spikes, events and network.
pub fn run_on_one_and_two_threads(text: &str, steps: u64) -> (SpikeLog, Vec<StructuralEvent>, Simulation) {
    let ((log1, ev1), net1) = run_on_threads(text, steps, 1);
    let ((log2, ev2), net2) = run_on_threads(text, steps, 2);
    assert_eq!(ev1, ev2);
    assert_eq!(log1, log2);
    assert_eq!(net1, net2);
    (log1, ev1, net1)
}

/// Where a broken growing scene's error points: (line, field, message).
pub fn scene_error(text: &str) -> (usize, String, String) {
    let err = match Scene::parse(text, "broken.ron") {
        Err(e) => e,
        Ok(scene) => scene.build(None).expect_err("the scene should be refused"),
    };
    let at = err.located().expect("a located error").clone();
    assert!(err.to_string().starts_with(&format!("broken.ron:{}:{}: ", at.line, at.column)), "{err}");
    (at.line, at.field, at.message)
}
