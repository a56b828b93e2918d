//! Values that parse but mean nothing are refused at their field: layouts beyond reach, negative
//! conductances, a membrane-less source given currents or couplings, empty names, a dt no run can
//! use, clipping plasticity on inhibitory weights, a bound in the wrong unit, overflowing values.

use neuroplast::scene::Scene;

/// `file` with `from` replaced by `to` (once; it must occur).
fn edited(file: &str, from: &str, to: &str) -> String {
    let text = std::fs::read_to_string(file).unwrap();
    assert!(text.contains(from), "{file}: {from}");
    text.replacen(from, to, 1)
}

/// The field and message of the refusal of `text`.
fn refusal(text: &str) -> (String, String) {
    let err = match Scene::parse(text, "nonsense.ron") {
        Err(e) => e,
        Ok(scene) => match scene.build(None) {
            Err(e) => e,
            Ok(_) => panic!("accepted"),
        },
    };
    let l = err.located().expect("located").clone();
    (l.field, l.message)
}

#[test]
fn each_kind_of_nonsense_is_refused_at_its_field() {
    let cuba = "scenes/cuba.ron";
    let cases = [
        (
            edited(cuba, "center: (-300.0, 0.0, 0.0)", "center: (1e300, 0.0, 0.0)"),
            "populations[0].layout",
            "finite number of µm",
        ),
        (
            edited(cuba, "size: (1000.0, 1000.0, 1000.0)", "size: (-5.0, 1000.0, 1000.0)"),
            "populations[0].layout",
            ">= 0",
        ),
        (edited("scenes/default.ron", "spacing: 70.0", "spacing: 0.0"), "populations[0].layout", "> 0"),
        (edited(cuba, "name: \"E\",\n", "name: \"\",\n"), "populations[0].name", "needs a name"),
        (
            edited("scenes/coba.ron", "Constant(\"6 nS\")", "Constant(\"-6 nS\")"),
            "projections[0].weight",
            "must not be negative",
        ),
        (
            edited("scenes/coba.ron", "Constant(\"6 nS\")", "Normal(mean: \"-4 nS\", sd: \"1 nS\")"),
            "projections[0].weight",
            "must not be negative",
        ),
        (
            edited(
                "scenes/astro_liquid.ron",
                "projections: [",
                "inputs: [Current(target: \"in\", amplitude: \"100 pA\")],\n    projections: [",
            ),
            "inputs[0].target",
            "has no membrane",
        ),
        (
            edited(
                "scenes/astro_liquid.ron",
                "projections: [",
                "gap_junctions: [(source: \"in\", target: \"E\", connectivity: Bernoulli(p: 0.1), conductance: Constant(\"1 nS\"))],\n    projections: [",
            ),
            "gap_junctions[0].source",
            "has no membrane",
        ),
        (edited(cuba, "dt: \"0.1 ms\"", "dt: \"1 s\""), "dt", "0.0001 ms to 10 ms"),
        (edited(cuba, "dt: \"0.1 ms\"", "dt: \"1e-300 ms\""), "dt", "0.0001 ms to 10 ms"),
        (
            edited(
                cuba,
                "Constant(\"-9 mV\"), receptor: Inhibitory)",
                "Constant(\"-9 mV\"), receptor: Inhibitory, plasticity: PairStdp(w_max: \"10 mV\"))",
            ),
            "projections[2].plasticity",
            "clipped to 0",
        ),
        (
            edited("scenes/astro_liquid.ron", "w_min: \"-255 pA\"", "w_min: \"-255 ms\""),
            "projections[0].plasticity.w_min",
            "unit of w_max",
        ),
        (edited(cuba, "c_m: \"250 pF\"", "c_m: \"1e300 pF\""), "populations[0].model.c_m", "beyond the engine's range"),
        (
            edited("scenes/growth.ron", "weight_jitter: 0.1", "weight_jitter: 1e300"),
            "populations[1].neurogenesis.weight_jitter",
            "fraction from 0 to 1",
        ),
        (edited(cuba, "Constant(\"1.62 mV\")", "Constant(\"1e25 mV\")"), "projections[0].weight", "beyond ±1e12"),
    ];
    for (text, field, message) in cases {
        let (f, m) = refusal(&text);
        assert_eq!(f, field, "{m}");
        assert!(m.contains(message), "{field}: {m}");
    }
}
