//! `neuroplast record`: offscreen, frame-locked videos checked with ffprobe/ffmpeg — codec, frame
//! count, size, a living network (consecutive frames differ), the same seed giving the same video
//! frame by frame, the PNG fallback without ffmpeg, and refused options.
#![cfg(feature = "app")]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const SCENE: &str = r#"Scene(
    version: 1, name: "small", dt: "0.1 ms", seed: 4,
    populations: [
        (name: "E", size: 160, model: LifCurrent(c_m: "250 pF", tau_m: "20 ms", e_l: "-65 mV", v_th: "-50 mV", v_reset: "-60 mV", t_ref: "2 ms", tau_syn_ex: "5 ms", tau_syn_in: "10 ms"),
         layout: Box(center: (0.0, 0.0, 0.0), size: (400.0, 400.0, 400.0))),
    ],
    projections: [(source: "E", target: "E", connectivity: Bernoulli(p: 0.05), weight: Constant("0.5 mV"))],
    inputs: [Poisson(target: "E", sources: 40, rate: "40 Hz", weight: "3 mV")],
)"#;

fn dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("neuroplast-record-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    std::fs::write(d.join("small.ron"), SCENE).unwrap();
    d
}

fn record(d: &Path, out: &str, extra: &[&str], path_env: Option<&str>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_neuroplast"));
    cmd.arg("record").arg(d.join("small.ron")).arg("--out").arg(d.join(out));
    cmd.args(["--seconds", "2", "--fps", "10", "--size", "320x240", "--bio-ms-per-frame", "5"]).args(extra);
    if let Some(p) = path_env {
        cmd.env("PATH", p);
    }
    cmd.output().unwrap()
}

fn tool(name: &str, args: &[&str]) -> String {
    let out = Command::new(name)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{name} is needed for the recording tests (apt-get install ffmpeg): {e}"));
    assert!(out.status.success(), "{name} failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// MD5 of each decoded frame.
fn frame_hashes(video: &Path) -> Vec<String> {
    tool("ffmpeg", &["-v", "error", "-i", video.to_str().unwrap(), "-f", "framemd5", "-"])
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| l.rsplit(',').next().unwrap().trim().to_string())
        .collect()
}

/// Mean luminance of a PNG and how many pixels are brighter than 100.
fn image_stats(path: &Path) -> (f64, usize) {
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(path).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    let ch = info.color_type.samples();
    let lum: Vec<f64> = buf[..info.buffer_size()]
        .chunks(ch)
        .map(|p| 0.2126 * p[0] as f64 + 0.7152 * p[1] as f64 + 0.0722 * p[2] as f64)
        .collect();
    (lum.iter().sum::<f64>() / lum.len() as f64, lum.iter().filter(|&&l| l > 100.0).count())
}

#[test]
fn a_two_second_clip_has_the_right_codec_frames_and_size_and_is_reproducible() {
    let d = dir("mp4");
    for out in ["a.mp4", "b.mp4"] {
        let o = record(&d, out, &["--no-overlay"], None);
        assert!(o.status.success(), "record failed: {}", String::from_utf8_lossy(&o.stderr));
    }
    let probe = tool(
        "ffprobe",
        &[
            "-v",
            "error",
            "-count_frames",
            "-select_streams",
            "v:0",
            "-show_entries",
            "stream=codec_name,width,height,pix_fmt,nb_read_frames",
            "-of",
            "default=noprint_wrappers=1",
            d.join("a.mp4").to_str().unwrap(),
        ],
    );
    for want in ["codec_name=h264", "width=320", "height=240", "pix_fmt=yuv420p", "nb_read_frames=20"] {
        assert!(probe.lines().any(|l| l == want), "ffprobe: want {want}, got\n{probe}");
    }
    let (a, b) = (frame_hashes(&d.join("a.mp4")), frame_hashes(&d.join("b.mp4")));
    // The first frame shows the network on the dark background (not a blank or white target).
    let first = d.join("first.png");
    tool(
        "ffmpeg",
        &["-v", "error", "-y", "-i", d.join("a.mp4").to_str().unwrap(), "-vframes", "1", first.to_str().unwrap()],
    );
    let (mean, bright) = image_stats(&first);
    assert!(mean < 60.0 && bright > 100, "first frame: mean luminance {mean:.1}, {bright} bright pixels");
    assert_eq!(a.len(), 20);
    // Alive: without the overlay, only the network changes between frames.
    let changed = a.windows(2).filter(|w| w[0] != w[1]).count();
    assert!(changed >= 15, "only {changed} of 19 consecutive frame pairs differ");
    assert_eq!(a, b, "two recordings with the same seed differ");
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn without_ffmpeg_it_says_so_and_writes_png_frames() {
    let d = dir("nofmpeg");
    let o = record(&d, "clip.mp4", &[], Some("/nonexistent"));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "record failed: {err}");
    assert!(err.contains("ffmpeg was not found"), "{err}");
    let frames = std::fs::read_dir(d.join("clip.frames")).unwrap().count();
    assert_eq!(frames, 20);
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn impossible_options_are_refused_with_the_option_named() {
    let d = dir("bad");
    for (args, needle) in [
        (&["--fps", "0"][..], "--fps"),
        (&["--bio-ms-per-frame", "NaN"][..], "--bio-ms-per-frame"),
        (&["--size", "321x240"][..], "even width and height"),
    ] {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_neuroplast"));
        let o =
            cmd.arg("record").arg(d.join("small.ron")).arg("--out").arg(d.join("x.mp4")).args(args).output().unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(!o.status.success() && err.contains(needle), "{args:?}: {err}");
    }
    let o = Command::new(env!("CARGO_BIN_EXE_neuroplast")).args(["record", "missing.ron"]).output().unwrap();
    assert!(!o.status.success() && String::from_utf8_lossy(&o.stderr).contains("missing.ron"));
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn the_ctm_scene_records_one_tick_per_frame() {
    let d = dir("ctm");
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let video = d.join("ctm.mp4");
    let o = Command::new(env!("CARGO_BIN_EXE_neuroplast"))
        .arg("record")
        .arg(root.join("scenes/ctm_maze.ron"))
        .arg("--out")
        .arg(&video)
        .args(["--seconds", "1", "--fps", "12", "--size", "320x180", "--no-overlay"])
        .current_dir(root)
        .output()
        .unwrap();
    assert!(o.status.success(), "record failed: {}", String::from_utf8_lossy(&o.stderr));
    let hashes = frame_hashes(&video);
    assert_eq!(hashes.len(), 12);
    // Ticks 1..10 then the held answer: the thinking frames change, the held ones do not (the
    // neuron shell turns slowly, so some change remains).
    let changed = hashes.windows(2).filter(|w| w[0] != w[1]).count();
    assert!(changed >= 8, "only {changed} of 11 consecutive frame pairs differ");
    std::fs::remove_dir_all(&d).unwrap();
}

/// `record --spikes`: a video of a recording replayed into the scene, not of the scene running.
/// Every neuron's one recorded spike is at 50 ms: the frames before it show the neurons at rest
/// (the scene's own Poisson drive does not run), the frame at 50 ms lights up.
#[test]
fn a_replay_records_as_a_video_of_the_recorded_spikes() {
    let d = dir("replay");
    let mut csv = String::from("time_ms,neuron\n");
    for n in 0..160 {
        csv.push_str(&format!("50.0,{n}\n"));
    }
    std::fs::write(d.join("burst.csv"), csv).unwrap();
    let spikes = d.join("burst.csv");
    let o = record(&d, "frames", &["--spikes", spikes.to_str().unwrap()], None);
    assert!(o.status.success(), "record failed: {}", String::from_utf8_lossy(&o.stderr));
    let bright: Vec<usize> = (0..20).map(|k| image_stats(&d.join(format!("frames/frame_{k:05}.png"))).1).collect();
    // Frame k shows t = 5k ms: frame 10 is the first with the burst.
    let dark = *bright[..10].iter().max().unwrap();
    assert!(bright[10] * 10 > dark * 14, "bright pixels per frame: {bright:?}");
    let first_lit = bright.iter().position(|&b| b * 10 > dark * 14);
    assert_eq!(first_lit, Some(10), "bright pixels per frame: {bright:?}");
    std::fs::remove_dir_all(&d).unwrap();
}
