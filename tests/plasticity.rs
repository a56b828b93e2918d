//! Learning rules against their references (ALGORITHMS.md §2–3): the pair-STDP window, the
//! triplet-rule frequency table, Song et al. (2000) competition, and live parameter edits.

use neuroplast::analysis::weight_summary;
use neuroplast::engine::Simulation;
use neuroplast::plasticity::{BcmRule, PairStdp, RewardStdp};
use neuroplast::scene::{Scene, snapshot};
use neuroplast::sim::Tunable;
use neuroplast::sim::{Dim, Quantity, SpikeLog, StepReport};

/// Two LIF neurons whose spikes are forced by huge, very brief input spikes at the listed times,
/// joined by one plastic synapse pre -> post with the given rule (RON) and initial weight.
fn forced_pair(pre_ms: &[f64], post_ms: &[f64], rule: &str, w0: &str) -> Simulation {
    let list = |ts: &[f64]| ts.iter().map(|t| format!("(0, \"{t} ms\")")).collect::<Vec<_>>().join(", ");
    let text = format!(
        r#"Scene(version: 1, dt: "0.1 ms", populations: [
            (name: "pre", size: 1, model: LifCurrent(tau_syn_ex: "0.01 ms", t_ref: "0.5 ms")),
            (name: "post", size: 1, model: LifCurrent(tau_syn_ex: "0.01 ms", t_ref: "0.5 ms")),
        ], projections: [
            (source: "pre", target: "post", connectivity: Pairs([(0, 0)]), weight: Constant("{w0}"), plasticity: {rule}),
        ], inputs: [
            SpikeTimes(target: "pre", spikes: [{}], weight: "10000000 pA"),
            SpikeTimes(target: "post", spikes: [{}], weight: "10000000 pA"),
        ])"#,
        list(pre_ms),
        list(post_ms)
    );
    Scene::parse(&text, "pair").unwrap().build(None).unwrap()
}

fn run_to(net: &mut Simulation, t_ms: f64) -> SpikeLog {
    let mut report = StepReport::with_capacity(net.network.num_neurons());
    let mut log = SpikeLog::default();
    let steps = (t_ms / net.network.dt_ms()).round() as u64 - net.network.step_count();
    net.run(steps, &mut report, |r| log.record(r));
    log
}

#[test]
fn pair_window_curve_is_the_two_exponentials() {
    let rule =
        PairStdp { a_plus: 1.0, a_minus: 1.0, w_max: Quantity::new(1.0, Dim::Dimensionless), ..Default::default() };
    for k in 0..41 {
        let dt = -100.0 + 5.0 * k as f64;
        let want = if dt > 0.0 {
            (-dt / 20.0f64).exp()
        } else if dt < 0.0 {
            -(dt / 20.0f64).exp()
        } else {
            0.0
        };
        assert!((rule.window(dt, 0.5) - want).abs() < 1e-12, "dt {dt}");
    }
    assert!((rule.window(10.0, 0.5) - 0.606531).abs() < 1e-6);
    assert!((rule.window(-20.0, 0.5) + 0.367879).abs() < 1e-6);
    assert!((rule.window(40.0, 0.5) - 0.135335).abs() < 1e-6);
}

#[test]
fn forced_spikes_land_where_intended() {
    let mut net = forced_pair(&[10.0, 30.0], &[20.0], "PairStdp()", "0 pA");
    let log = run_to(&mut net, 50.0);
    // One step after the input: grid indices 101 and 301 (pre), 201 (post).
    let grid =
        |n: u32| log.neurons.iter().zip(&log.grid).filter(|(k, _)| **k == n).map(|(_, g)| *g).collect::<Vec<_>>();
    assert_eq!(grid(0), vec![101, 301]);
    assert_eq!(grid(1), vec![201]);
}

#[test]
fn pair_stdp_in_the_network_gives_the_window() {
    // w_max 10 pA, A = 0.1: one pair changes w by ±10 · 0.1 · e^{-10/20} = ±0.606531 pA.
    let rule = r#"PairStdp(a_plus: 0.1, a_minus: 0.1, w_max: "10 pA")"#;
    for (lag, want) in [(10.0, 0.606531), (-10.0, -0.606531), (20.0, 0.367879), (-40.0, -0.135335)] {
        let (pre, post) = (100.0, 100.0 + lag);
        let mut net = forced_pair(&[pre], &[post], rule, "5 pA");
        run_to(&mut net, 200.0);
        let dw = net.network.synapses.weight[0] as f64 - 5.0;
        assert!((dw - want).abs() < 2e-6, "lag {lag}: dw {dw}, want {want}");
    }
}

#[test]
fn multiplicative_stdp_scales_with_the_weight() {
    // Guetig/NEST multiplicative: potentiation ∝ (1 - w/w_max), depression ∝ w/w_max.
    let rule = r#"PairStdp(a_plus: 0.01, a_minus: 0.01, mu_plus: 1.0, mu_minus: 1.0, w_max: "100 pA")"#;
    let mut up = forced_pair(&[100.0], &[110.0], rule, "50 pA");
    let mut down = forced_pair(&[110.0], &[100.0], rule, "50 pA");
    run_to(&mut up, 200.0);
    run_to(&mut down, 200.0);
    let e = (-0.5f64).exp();
    assert!((up.network.synapses.weight[0] as f64 - (50.0 + 100.0 * 0.01 * 0.5 * e)).abs() < 1e-4);
    assert!((down.network.synapses.weight[0] as f64 - (50.0 - 100.0 * 0.01 * 0.5 * e)).abs() < 1e-4);
}

/// Total weight change after 60 pairings at `rho` Hz with lag `lag` ms (w0 = 1, no bounds).
fn triplet_pairing(rule: &str, rho: f64, lag: f64) -> f64 {
    let period = 1000.0 / rho;
    let pre: Vec<f64> = (0..60).map(|k| 100.0 + k as f64 * period).collect();
    let post: Vec<f64> = pre.iter().map(|t| t + lag).collect();
    let mut net = forced_pair(&pre, &post, rule, "1 pA");
    let end = pre.last().unwrap().max(*post.last().unwrap()) + 50.0;
    let log = run_to(&mut net, end);
    assert_eq!(log.len(), 120, "every forced spike happened once");
    net.network.synapses.weight[0] as f64 - 1.0
}

#[test]
fn triplet_frequency_table() {
    // ALGORITHMS.md §3: (rho, full +10, full -10, minimal +10, minimal -10).
    let table = [
        (0.1, 0.0000, -0.3122, 0.0000, -0.3166),
        (1.0, 0.0001, -0.3122, 0.0000, -0.3166),
        (5.0, 0.0493, -0.3146, 0.0426, -0.3174),
        (10.0, 0.1321, -0.3336, 0.1186, -0.3322),
        (20.0, 0.2470, -0.3516, 0.2278, -0.3417),
        (30.0, 0.3707, -0.2047, 0.3554, -0.1892),
        (40.0, 0.5337, 0.1548, 0.5321, 0.1737),
        (50.0, 0.7409, 0.7272, 0.7627, 0.7492),
    ];
    let full = r#"TripletStdp(w_max: "1 pA", clip: false)"#;
    let minimal = r#"TripletStdp(a2_plus: 0.0, a3_plus: 0.0065, a2_minus: 0.0071, a3_minus: 0.0, tau_y: "114 ms", w_max: "1 pA", clip: false)"#;
    for (rho, fp, fm, mp, mm) in table {
        for (rule, lag, want) in [(full, 10.0, fp), (full, -10.0, fm), (minimal, 10.0, mp), (minimal, -10.0, mm)] {
            let dw = triplet_pairing(rule, rho, lag);
            assert!((dw - want).abs() < 1e-4 + 1e-6, "rho {rho} Hz, lag {lag}: {dw:.5} vs {want}");
        }
    }
}

#[test]
fn triplet_single_pair_closed_forms() {
    use neuroplast::plasticity::TripletStdp;
    let r = TripletStdp { clip: false, ..Default::default() };
    // +10 ms: A2+ e^{-10/16.8}; -10 ms: -A2- e^{-10/33.7} (single pair, no triplet term).
    let up = r.potentiated(0.0, (-10.0f64 / 16.8).exp(), 0.0, 1.0);
    let down = r.depressed(0.0, (-10.0f64 / 33.7).exp(), 0.0, 1.0);
    assert!((up - 2.757156e-10).abs() < 1e-9 * 2.757156e-10 * 1e3, "{up}");
    assert!((down + 5.202682e-3).abs() < 1e-9, "{down}");
}

#[test]
fn song_2000_weights_become_bimodal() {
    // ALGORITHMS.md §2.1 acceptance: after 100 s, fraction in the two extreme deciles >= 0.35
    // (Brian2: 0.234 + 0.185), mean w/g_max in [0.35, 0.60], post rate in [12, 30] Hz.
    let mut net = Scene::load(std::path::Path::new("scenes/stdp_song.ron")).unwrap().build(None).unwrap();
    let log = run_to(&mut net, 100_000.0);
    let b = &net.synaptic[0];
    let s = weight_summary(&b.weights(&net.network.synapses), b.w_bound_engine().unwrap(), 10);
    assert_eq!(s.count, 1000);
    assert!(s.below_10pct + s.above_90pct >= 0.35, "{s:?}");
    assert!((0.35..=0.60).contains(&s.mean_fraction), "{s:?}");
    let post_spikes = log.neurons.iter().filter(|&&n| n == 1000).count();
    let rate = post_spikes as f64 / 100.0;
    assert!((12.0..=30.0).contains(&rate), "post rate {rate} Hz");
}

#[test]
fn parameter_edits_take_effect_next_step_are_recorded_and_survive_snapshots() {
    let rule = r#"PairStdp(a_plus: 0.1, a_minus: 0.1, w_max: "10 pA")"#;
    let mut net = forced_pair(&[100.0, 300.0], &[110.0, 310.0], rule, "5 pA");
    run_to(&mut net, 200.0);
    let after_first = net.network.synapses.weight[0];
    assert!((after_first as f64 - 5.606531).abs() < 2e-6);
    // Switch potentiation off at 200 ms: the second causal pair no longer potentiates.
    net.set_synaptic_param(0, "a_plus", 0.0).unwrap();
    let change = net.param_changes.last().unwrap().clone();
    assert_eq!((change.step, change.param.as_str(), change.old, change.new), (2000, "a_plus", 0.1, 0.0));
    assert_eq!(change.target, "projection pre->post");
    assert_eq!(change.time_ms, 200.0);
    let restored = snapshot::decode(&snapshot::encode(&net), "mem").unwrap();
    assert_eq!(restored.param_changes, net.param_changes);
    assert_eq!(restored.synaptic[0].get("a_plus"), Some(0.0));
    let mut resumed = restored;
    run_to(&mut net, 400.0);
    run_to(&mut resumed, 400.0);
    // Only the second pre spike's depression (from the post spike 190 ms before) remains.
    let want = after_first as f64 - (-190.0f64 / 20.0).exp();
    assert!(
        (net.network.synapses.weight[0] as f64 - want).abs() < 1e-6,
        "{} vs {want}",
        net.network.synapses.weight[0]
    );
    assert_eq!(resumed, net);
}

#[test]
fn invalid_edits_are_refused_and_leave_the_network_untouched() {
    let mut net = forced_pair(&[10.0], &[20.0], "PairStdp()", "0.5 pA");
    run_to(&mut net, 15.0);
    let before = net.clone();
    for (name, value, says) in [
        ("a_plus", f64::NAN, "not a finite number"),
        ("tau_plus", -5.0, "out of range"),
        ("a_minus", 3.0, "out of range"),
        ("tau_plus", f64::INFINITY, "not a finite number"),
        ("learning_rate", 0.1, "no parameter `learning_rate`"),
    ] {
        let err = net.set_synaptic_param(0, name, value).unwrap_err().to_string();
        assert!(err.contains("PairStdp") && err.contains(says), "{name}: {err}");
        assert_eq!(net, before);
    }
    assert!(net.set_synaptic_param(3, "a_plus", 0.1).is_err());
    assert_eq!(net, before);
}

#[test]
fn every_parameter_has_a_schema_entry_with_its_default_in_range() {
    for spec in PairStdp::schema().iter().chain(neuroplast::plasticity::TripletStdp::schema()) {
        assert!(spec.min <= spec.default && spec.default <= spec.max, "{spec:?}");
    }
    let rule = PairStdp::default();
    for spec in PairStdp::schema() {
        assert!(rule.get(spec.name).is_some(), "{}", spec.name);
    }
}

#[test]
fn broken_plasticity_in_a_scene_is_located() {
    let text = std::fs::read_to_string("scenes/stdp_song.ron").unwrap();
    let bad = text.replace(r#"tau_plus: "20 ms""#, r#"tau_plus: "-20 ms""#);
    let err = Scene::parse(&bad, "song.ron").unwrap().build(None).unwrap_err().to_string();
    assert!(err.contains("projections[0].plasticity.tau_plus") && err.contains("out of range"), "{err}");
    let bad = text.replace("a_plus: 0.01", "a_plus: NaN");
    let err = Scene::parse(&bad, "song.ron").unwrap().build(None).unwrap_err().to_string();
    assert!(err.contains("projections[0].plasticity.a_plus") && err.contains("not a finite"), "{err}");
    let bad = text.replace(r#"w_max: "0.1 nS""#, r#"w_max: "0.1 pA""#);
    let err = Scene::parse(&bad, "song.ron").unwrap().build(None).unwrap_err().to_string();
    assert!(err.contains("plasticity.w_max") && err.contains("conductance"), "{err}");
    let bad = text.replace("a_plus: 0.01", "a_pluss: 0.01");
    let err = Scene::parse(&bad, "song.ron").unwrap_err().to_string();
    assert!(err.contains("a_pluss"), "{err}");
}

/// The forced pair with reward pulses at the given times.
fn rewarded_pair(pre_ms: f64, post_ms: f64, rewards: &str) -> Simulation {
    let text = format!(
        r#"Scene(version: 1, dt: "0.1 ms", populations: [
            (name: "pre", size: 1, model: LifCurrent(tau_syn_ex: "0.01 ms", t_ref: "0.5 ms")),
            (name: "post", size: 1, model: LifCurrent(tau_syn_ex: "0.01 ms", t_ref: "0.5 ms")),
        ], projections: [
            (source: "pre", target: "post", connectivity: Pairs([(0, 0)]), weight: Constant("5 pA"),
             plasticity: RewardStdp(a_plus: 0.1, a_minus: 0.1, w_max: "10 pA", learning_rate: "10 Hz",
                                    tau_eligibility: "1000 ms", tau_dopamine: "200 ms", interval: "0.1 ms")),
        ], inputs: [
            SpikeTimes(target: "pre", spikes: [(0, "{pre_ms} ms")], weight: "10000000 pA"),
            SpikeTimes(target: "post", spikes: [(0, "{post_ms} ms")], weight: "10000000 pA"),
            Reward(times: [{rewards}], amount: 1.0),
        ])"#
    );
    Scene::parse(&text, "rstdp").unwrap().build(None).unwrap()
}

#[test]
fn reward_stdp_needs_the_third_factor() {
    // A causal pair without reward leaves an eligibility trace but no weight change.
    let mut net = rewarded_pair(100.0, 110.0, "");
    run_to(&mut net, 200.0);
    assert_eq!(net.network.synapses.weight[0], 5.0);
    let c = net.synaptic[0].get_as::<RewardStdp>().unwrap().state.of(0);
    let want = 10.0 * 0.1 * (-0.5f64).exp() * (-(200.0 - 110.1) / 1000.0f64).exp();
    assert!((c - want).abs() < 1e-3 * want, "eligibility {c} vs {want}");
}

#[test]
fn reward_stdp_matches_the_eligibility_dopamine_integral() {
    // c(t) = c0 e^{-(t - t_pair)/τc}, d(t) = e^{-(t - t_r)/τd} after the reward at t_r:
    // Δw = lr · c0 e^{-(t_r - t_pair)/τc} · τc τd / (τc + τd).
    let (t_pair, t_r) = (110.1, 500.0);
    let c0 = 10.0 * 0.1 * (-0.5f64).exp();
    let expected = 0.01 * c0 * (-(t_r - t_pair) / 1000.0f64).exp() * (1000.0 * 200.0 / 1200.0);
    let mut up = rewarded_pair(100.0, 110.0, r#""500 ms""#);
    run_to(&mut up, 5000.0);
    let dw = up.network.synapses.weight[0] as f64 - 5.0;
    assert!((dw / expected - 1.0).abs() < 0.01, "dw {dw} vs {expected}");
    // The anti-causal pair, rewarded the same way, weakens the synapse as much.
    let mut down = rewarded_pair(110.0, 100.0, r#""500 ms""#);
    run_to(&mut down, 5000.0);
    let dw = down.network.synapses.weight[0] as f64 - 5.0;
    assert!((dw / expected + 1.0).abs() < 0.01, "dw {dw} vs {}", -expected);
}

#[test]
fn reward_button_and_bad_rewards() {
    let mut net = rewarded_pair(100.0, 110.0, "");
    run_to(&mut net, 300.0);
    let before = net.clone();
    assert!(net.deliver_reward(f64::NAN).is_err());
    assert_eq!(net, before);
    net.deliver_reward(1.0).unwrap();
    assert_eq!(net.synaptic[0].get_as::<RewardStdp>().unwrap().state.dopamine, 1.0);
    run_to(&mut net, 2000.0);
    assert!(net.network.synapses.weight[0] > 5.0);
}

/// Pre fires every 50 ms (20 Hz), post every 100 ms (10 Hz), for `seconds`; one plastic synapse.
fn regular_pair(rule: &str, seconds: f64) -> Simulation {
    let train = |period: f64, offset: f64| {
        (0..((seconds * 1000.0 - offset) / period) as usize)
            .map(|k| format!("(0, \"{} ms\")", offset + period * k as f64))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let text = format!(
        r#"Scene(version: 1, dt: "0.1 ms", populations: [
            (name: "pre", size: 1, model: LifCurrent(tau_syn_ex: "0.01 ms", t_ref: "0.5 ms")),
            (name: "post", size: 1, model: LifCurrent(tau_syn_ex: "0.01 ms", t_ref: "0.5 ms")),
        ], projections: [
            (source: "pre", target: "post", connectivity: Pairs([(0, 0)]), weight: Constant("5 pA"), plasticity: {rule}),
        ], inputs: [
            SpikeTimes(target: "pre", spikes: [{}], weight: "10000000 pA"),
            SpikeTimes(target: "post", spikes: [{}], weight: "10000000 pA"),
        ])"#,
        train(50.0, 10.0),
        train(100.0, 35.0)
    );
    Scene::parse(&text, "rates").unwrap().build(None).unwrap()
}

#[test]
fn oja_on_spike_rates_settles_at_its_fixed_point() {
    // x̂ = 20/10 = 2, ŷ = 10/10 = 1: dŵ/dt = η ŷ (x̂ − ŷ ŵ) -> ŵ* = x̂ / ŷ = 2, i.e. w = 20 pA.
    let mut net = regular_pair(r#"Oja(eta: "0.3 Hz", tau_rate: "1000 ms", rate_ref: "10 Hz", w_ref: "10 pA")"#, 40.0);
    run_to(&mut net, 40_000.0);
    let w = net.network.synapses.weight[0] as f64;
    assert!((w / 20.0 - 1.0).abs() < 0.03, "w = {w} pA");
}

#[test]
fn bcm_on_spike_rates_slides_its_threshold_to_the_squared_rate() {
    // ŷ = 1: θ -> ŷ² = 1; while θ < ŷ early on the synapse potentiates, then it stops.
    let mut net = regular_pair(
        r#"Bcm(eta: "0.05 Hz", tau_rate: "500 ms", tau_theta: "2000 ms", rate_ref: "10 Hz", w_ref: "10 pA")"#,
        30.0,
    );
    run_to(&mut net, 10_000.0);
    let w_mid = net.network.synapses.weight[0] as f64;
    run_to(&mut net, 30_000.0);
    let theta = net.synaptic[0].get_as::<BcmRule>().unwrap().state.threshold(1);
    assert!((theta - 1.0).abs() < 0.05, "theta {theta}");
    let w_end = net.network.synapses.weight[0] as f64;
    assert!(w_mid > 5.5, "potentiated while theta < y: {w_mid}");
    assert!((w_end - w_mid).abs() < 0.02 * w_mid, "stable once theta = y^2: {w_mid} -> {w_end}");
}

#[test]
fn rule_curves_follow_their_parameters() {
    use neuroplast::engine::PlasticityRule;
    let mut rule = PlasticityRule::PairStdp(PairStdp { a_plus: 1.0, a_minus: 1.0, ..Default::default() });
    let c = rule.curve(41);
    assert_eq!(c.points.len(), 41);
    let at = |c: &neuroplast::sim::Curve, t: f64| c.points.iter().find(|p| (p[0] - t).abs() < 1e-9).unwrap()[1];
    assert!((at(&c, 10.0) - 0.606531).abs() < 1e-6 && (at(&c, -10.0) + 0.606531).abs() < 1e-6);
    // Moving a slider moves the curve.
    rule.set("tau_plus", 10.0).unwrap();
    assert!((at(&rule.curve(41), 10.0) - (-1.0f64).exp()).abs() < 1e-9);
    let scaling = PlasticityRule::SynapticScaling(neuroplast::plasticity::SynapticScaling::default());
    let c = scaling.curve(5);
    assert!(c.points[0][1] > 1.0 && c.points[4][1] < 1.0, "scales up when silent, down when fast");
}
