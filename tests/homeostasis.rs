//! Homeostasis (ALGORITHMS.md §5): synaptic scaling and threshold adaptation bring a neuron driven
//! at ~77 Hz to its 5 Hz target.

use neuroplast::engine::Simulation;
use neuroplast::scene::Scene;
use neuroplast::sim::StepReport;

/// One LIF (τ_m 20 ms, E_L −70, V_th −54, V_reset −60 mV, t_ref 2 ms) with near-delta synapses
/// (a 0.6 mV jump per spike) from 200 Poisson inputs at 10 Hz.
fn scene(plasticity: &str, intrinsic: &str) -> Simulation {
    let text = format!(
        r#"Scene(version: 1, dt: "0.1 ms", seed: 3, populations: [
            (name: "inputs", size: 200, model: PoissonSource(rate: "10 Hz")),
            (name: "n", size: 1, model: LifCurrent(c_m: "250 pF", tau_m: "20 ms", e_l: "-70 mV", v_th: "-54 mV",
                v_reset: "-60 mV", t_ref: "2 ms", tau_syn_ex: "0.01 ms"), intrinsic: {intrinsic}),
        ], projections: [
            (source: "inputs", target: "n", connectivity: AllToAll(), weight: Uniform(low: "14000 pA", high: "16000 pA"),
             plasticity: {plasticity}),
        ])"#
    );
    Scene::parse(&text, "homeostasis").unwrap().build(None).unwrap()
}

/// Simulates to `to_s` seconds; returns the neuron's spike times (s).
fn post_spikes(net: &mut Simulation, to_s: f64) -> Vec<f64> {
    let mut report = StepReport::with_capacity(net.network.num_neurons());
    let mut out = Vec::new();
    let steps = (to_s * 1e4).round() as u64 - net.network.step_count();
    net.run(steps, &mut report, |r| out.extend(r.spikes.iter().filter(|s| s.0 == 200).map(|_| r.time_ms * 1e-3)));
    out
}

fn rate(spikes: &[f64], from: f64, to: f64) -> f64 {
    spikes.iter().filter(|&&t| t >= from && t < to).count() as f64 / (to - from)
}

#[test]
fn without_homeostasis_the_neuron_fires_fast() {
    let mut net = scene("None", "None");
    let s = post_spikes(&mut net, 10.0);
    let r = rate(&s, 0.0, 10.0);
    assert!((60.0..95.0).contains(&r), "{r} Hz (reference: 74-78 Hz with exact delta synapses)");
}

#[test]
fn synaptic_scaling_reaches_the_target_and_keeps_weight_ratios() {
    let mut net = scene(r#"SynapticScaling(target_rate: "5 Hz", tau_rate: "1 s", tau_scale: "10 s")"#, "None");
    let w0: Vec<f32> = net.network.synapses.weight.clone();
    let s = post_spikes(&mut net, 120.0);
    let late = rate(&s, 60.0, 120.0);
    assert!((late - 5.0).abs() <= 0.75, "mean rate over 60-120 s: {late} Hz");
    let w = &net.network.synapses.weight;
    assert!(w.iter().zip(&w0).all(|(a, b)| a < b), "weights fell");
    // Multiplicative: every weight onto the neuron is its initial weight times one common gain,
    // rounded once to f32 (so ratios hold to f32 precision, not drifting with each rescaling).
    let f0 = w[0] as f64 / w0[0] as f64;
    for (a, b) in w.iter().zip(&w0) {
        let drift = ((*a as f64 / *b as f64) / f0 - 1.0).abs();
        assert!(drift < 2.5e-7, "ratio drift {drift}");
    }
}

#[test]
fn threshold_adaptation_reaches_the_target() {
    let mut net = scene("None", r#"ThresholdAdaptation(eta: "0.05 mV", target_rate: "5 Hz")"#);
    let s = post_spikes(&mut net, 120.0);
    let late = rate(&s, 60.0, 120.0);
    assert!((late - 5.0).abs() <= 1.0, "mean rate over 60-120 s: {late} Hz");
    assert!(net.network.neurons.theta[200] > 5.0, "threshold rose by {} mV", net.network.neurons.theta[200]);
}

#[test]
fn intrinsic_edits_are_validated_and_recorded() {
    let mut net = scene("None", r#"ThresholdAdaptation(eta: "0.05 mV", target_rate: "5 Hz")"#);
    post_spikes(&mut net, 0.5);
    let before = net.clone();
    assert!(net.set_intrinsic_param(0, "target_rate", f64::NAN).is_err());
    assert!(net.set_intrinsic_param(0, "eta", -1.0).is_err());
    assert_eq!(net, before);
    net.set_intrinsic_param(0, "target_rate", 2.0).unwrap();
    let c = net.param_changes.last().unwrap();
    assert_eq!(
        (c.target.as_str(), c.param.as_str(), c.old, c.new, c.step),
        ("population n", "target_rate", 5.0, 2.0, 5000)
    );
}
