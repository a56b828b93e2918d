//! Scenes generated for the benchmarks (`neuroplast bench growth`, `bench frame`), at any size.

/// The growth benchmark's network: CUBA (80 % E, 20 % I, `per_neuron` synapses per neuron) with
/// GraNet pruning and regrowth on E→E and attention edges over E, both every 100 ms of biological
/// time.
pub fn growth_scene(neurons: u32, per_neuron: f64, duration_s: f64) -> String {
    let (ne, ni) = (neurons * 4 / 5, neurons - neurons * 4 / 5);
    let p = per_neuron / neurons as f64;
    let side = 10.0 * (neurons as f64).cbrt();
    format!(
        r#"Scene(
    version: 1, dt: "0.1 ms", seed: 1,
    populations: [
        (name: "E", size: {ne}, model: LifCurrent(c_m: "250 pF", tau_m: "20 ms", e_l: "-49 mV", v_th: "-50 mV", v_reset: "-60 mV", t_ref: "5 ms", tau_syn_ex: "5 ms", tau_syn_in: "10 ms"),
         layout: Box(center: (0.0, 0.0, 0.0), size: ({side}, {side}, {side})), init: (v: Uniform(low: "-60 mV", high: "-50 mV"))),
        (name: "I", size: {ni}, model: LifCurrent(c_m: "250 pF", tau_m: "20 ms", e_l: "-49 mV", v_th: "-50 mV", v_reset: "-60 mV", t_ref: "5 ms", tau_syn_ex: "5 ms", tau_syn_in: "10 ms"),
         layout: Box(center: (0.0, 0.0, 0.0), size: ({side}, {side}, {side})), init: (v: Uniform(low: "-60 mV", high: "-50 mV"))),
    ],
    projections: [
        (name: "E->E", source: "E", target: "E", connectivity: Bernoulli(p: {p}), weight: Constant("1.62 mV"),
         pruning: (interval: "100 ms", end: "{end} s", final_density: {d_final}, death_rate: 0.02, death_rate_min: 0.005,
                   regrow_weight: "1.62 mV", trace_tau: "20 ms")),
        (source: "E", target: "I", connectivity: Bernoulli(p: {p}), weight: Constant("1.62 mV")),
        (source: "I", target: "E", connectivity: Bernoulli(p: {p}), weight: Constant("-9 mV"), receptor: Inhibitory),
        (source: "I", target: "I", connectivity: Bernoulli(p: {p}), weight: Constant("-9 mV"), receptor: Inhibitory),
    ],
    attention_edges: (populations: ["E"], interval: "100 ms", min_distance: "{far} um", top_k: 1000, weight: "20 pA"),
)"#,
        end = duration_s.max(0.2),
        d_final = 0.9 * p,
        far = side / 3.0,
    )
}
