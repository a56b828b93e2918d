//! A broken scene is reported with file, line, column and field — never a panic.

use neuroplast::scene::{Located, Scene, SceneError};

const GOOD: &str = r#"Scene(
    version: 1,
    dt: "0.1 ms",
    populations: [
        (name: "E", size: 10, model: LifCurrent(tau_m: "20 ms")),
        (name: "I", size: 5, model: LifCurrent()),
    ],
    projections: [
        (source: "E", target: "I", connectivity: Bernoulli(p: 0.5), weight: Constant("1 mV")),
    ],
)"#;

/// Parses and builds `text`, expecting an error; returns where it points.
fn error_of(text: &str) -> Located {
    let err = match Scene::parse(text, "broken.ron") {
        Err(e) => e,
        Ok(scene) => scene.build(None).expect_err("the scene should be refused"),
    };
    let located = err.located().expect("a located error").clone();
    let shown = err.to_string();
    assert!(shown.starts_with(&format!("broken.ron:{}:{}: ", located.line, located.column)), "{shown}");
    located
}

#[test]
fn the_good_scene_builds() {
    let net = Scene::parse(GOOD, "good.ron").unwrap().build(None).unwrap();
    assert_eq!(net.network.num_neurons(), 15);
}

#[test]
fn syntax_error() {
    let text = GOOD.replace(r#"size: 5,"#, r#"size: 5 model"#);
    let e = error_of(&text);
    assert_eq!((e.line, e.field.as_str()), (6, "populations[1].size"), "{e}");
}

#[test]
fn unknown_field() {
    let text = GOOD.replace(r#"tau_m: "20 ms""#, r#"tau_mem: "20 ms""#);
    let e = error_of(&text);
    assert_eq!(e.line, 5, "{e}");
    assert!(e.message.contains("tau_mem"), "{e}");
}

#[test]
fn wrong_unit() {
    let text = GOOD.replace(r#"tau_m: "20 ms""#, r#"tau_m: "20 mV""#);
    let e = error_of(&text);
    assert_eq!((e.line, e.field.as_str()), (5, "populations[0].model.tau_m"), "{e}");
    assert!(e.message.contains("expected a time"), "{e}");
}

#[test]
fn unknown_unit() {
    let text = GOOD.replace(r#"dt: "0.1 ms""#, r#"dt: "0.1 parsecs""#);
    let e = error_of(&text);
    assert_eq!((e.line, e.column, e.field.as_str()), (3, 10, "dt"), "{e}");
}

#[test]
fn negative_time_constant() {
    let text = GOOD.replace(r#"tau_m: "20 ms""#, r#"tau_m: "-20 ms""#);
    let e = error_of(&text);
    assert_eq!((e.line, e.column, e.field.as_str()), (5, 56, "populations[0].model.tau_m"), "{e}");
    assert!(e.message.contains("> 0"), "{e}");
}

#[test]
fn nan_parameter() {
    let text = GOOD.replace(r#"tau_m: "20 ms""#, r#"tau_m: "NaN ms""#);
    let e = error_of(&text);
    assert_eq!((e.line, e.field.as_str()), (5, "populations[0].model.tau_m"), "{e}");
    assert!(e.message.contains("not a finite number"), "{e}");
    let text = GOOD.replace("p: 0.5", "p: NaN");
    let e = error_of(&text);
    assert_eq!((e.line, e.field.as_str()), (9, "projections[0].connectivity"), "{e}");
}

#[test]
fn projection_to_a_population_that_does_not_exist() {
    let text = GOOD.replace(r#"target: "I""#, r#"target: "Inh""#);
    let e = error_of(&text);
    assert_eq!((e.line, e.column, e.field.as_str()), (9, 31, "projections[0].target"), "{e}");
    assert!(e.message.contains("no population `Inh`") && e.message.contains("E, I"), "{e}");
}

#[test]
fn weight_unit_that_does_not_fit_the_target_model() {
    let text = GOOD.replace(r#"Constant("1 mV")"#, r#"Constant("1 nS")"#);
    let e = error_of(&text);
    assert_eq!((e.line, e.field.as_str()), (9, "projections[0].weight"), "{e}");
    assert!(e.message.contains("current-based"), "{e}");
}

#[test]
fn unsupported_version_and_missing_field() {
    let e = error_of(&GOOD.replace("version: 1", "version: 9"));
    assert_eq!((e.line, e.field.as_str()), (2, "version"), "{e}");
    let e = error_of(&GOOD.replace("    dt: \"0.1 ms\",\n", ""));
    assert!(e.message.contains("dt"), "{e}");
}

#[test]
fn duplicate_population_and_empty_population() {
    let e = error_of(&GOOD.replace(r#"name: "I""#, r#"name: "E""#));
    assert_eq!((e.line, e.field.as_str()), (6, "populations[1].name"), "{e}");
    let e = error_of(&GOOD.replace("size: 5,", "size: 0,"));
    assert_eq!((e.line, e.field.as_str()), (6, "populations[1].size"), "{e}");
}

#[test]
fn missing_file() {
    let err = Scene::load(std::path::Path::new("scenes/does-not-exist.ron")).unwrap_err();
    assert!(matches!(err, SceneError::Io { .. }));
    assert!(err.to_string().starts_with("scenes/does-not-exist.ron: cannot read"), "{err}");
}

#[test]
fn every_shipped_scene_builds() {
    for entry in std::fs::read_dir("scenes").unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "ron") {
            // A CTM scene names a model and mazes: its model must load and fit its maze size.
            if neuroplast::ctm::scene::is_ctm_scene(&std::fs::read_to_string(&path).unwrap()) {
                let scene = neuroplast::ctm::scene::CtmScene::load(&path).unwrap_or_else(|e| panic!("{e:#}"));
                let model = neuroplast::ctm::CtmModel::load(&scene.model_dir(&path))
                    .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                assert!(scene.cells >= 2 && scene.cells <= model.config().max_cells(), "{}", path.display());
                continue;
            }
            let scene = Scene::load(&path).unwrap_or_else(|e| panic!("{e}"));
            scene.build(None).unwrap_or_else(|e| panic!("{e}"));
        }
    }
}

/// GOOD with a camera path; `keys` replaces the keyframe list.
fn with_camera(keys: &str) -> String {
    GOOD.replace("\n)", &format!("\n    camera: (keyframes: [\n{keys}\n    ]),\n)"))
}

#[test]
fn camera_path_keys_are_checked_with_their_field() {
    let ok = with_camera(
        "        (at: \"0 ms\", yaw: 0.0, pitch: 10.0),\n        (at: \"100 ms\", yaw: 90.0, zoom: 0.5, focus: 3),",
    );
    Scene::parse(&ok, "cam.ron").unwrap().build(None).unwrap();
    let cases = [
        (
            "        (at: \"0 ms\"),\n        (at: \"100 ms\", focus: 15),",
            13,
            "camera.keyframes[1].focus",
            "no neuron 15",
        ),
        ("        (at: \"50 ms\"),\n        (at: \"20 ms\"),", 13, "camera.keyframes[1].at", "after the previous"),
        ("        (at: \"0 ms\", pitch: 120.0),", 12, "camera.keyframes[0].pitch", "-85 and 85"),
        ("        (at: \"0 ms\", zoom: 0.0),", 12, "camera.keyframes[0].zoom", "(0, 100]"),
    ];
    for (keys, line, field, msg) in cases {
        let e = error_of(&with_camera(keys));
        assert_eq!((e.line, e.field.as_str()), (line, field), "{e}");
        assert!(e.message.contains(msg), "{e}");
    }
}

#[test]
fn camera_path_eases_between_keys_and_holds_outside_them() {
    let text = with_camera("        (at: \"100 ms\", yaw: 0.0),\n        (at: \"300 ms\", yaw: 90.0),");
    let scene = Scene::parse(&text, "cam.ron").unwrap();
    let path = scene.file.camera.as_ref().unwrap();
    let yaw = |t: f64| {
        let (a, b, s) = path.around(t).unwrap();
        a.yaw + (b.yaw - a.yaw) * s
    };
    assert_eq!(yaw(0.0), 0.0);
    assert_eq!(yaw(500.0), 90.0);
    // Smoothstep: halfway in time is halfway in angle, a quarter of the way is 15.6 %.
    assert!((yaw(200.0) - 45.0).abs() < 1e-9);
    assert!((yaw(150.0) - 90.0 * 0.15625).abs() < 1e-9);
}
