//! A scene saved from the app (`Scene::to_ron`) opens again as the same scene, for every shipped
//! network scene.

use neuroplast::scene::Scene;

#[test]
fn every_shipped_scene_survives_a_save_and_reload() {
    let mut checked = 0;
    for entry in std::fs::read_dir("scenes").unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        let Ok(scene) = Scene::parse(&text, &path.display().to_string()) else { continue };
        let saved = Scene::to_ron(&scene.file);
        let again = Scene::parse(&saved, "saved").unwrap_or_else(|e| panic!("{}: {e}\n{saved}", path.display()));
        assert_eq!(again.file, scene.file, "{}", path.display());
        checked += 1;
    }
    assert!(checked >= 8, "{checked}");
}
