//! The maze CTM: the Rust forward pass equals PyTorch's on the stored golden mazes, the maze
//! generator makes perfect mazes with shortest routes, a weights file that does not fit its config
//! is a clear error, and the evaluation's walking and re-application rules.
//!
//! Reads only committed files in assets/ctm/ (no torch needed).

use std::collections::VecDeque;
use std::path::Path;
use std::sync::Arc;

use neuroplast::ctm::eval::{MAX_BUMPS, correct_steps, reapply};
use neuroplast::ctm::maze::{DOWN, LEFT, RIGHT, UP, WAIT};
use neuroplast::ctm::{CtmError, CtmModel, Maze, Thinker, walk};
use safetensors::SafeTensors;

const DIR: &str = "assets/ctm";

/// Counts allocations made by the current thread (tests run in parallel threads).
struct Counting;

thread_local! {
    static ALLOCS: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

unsafe impl std::alloc::GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: std::alloc::Layout) -> *mut u8 {
        let _ = ALLOCS.try_with(|c| c.set(c.get() + 1));
        unsafe { std::alloc::System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: std::alloc::Layout) {
        unsafe { std::alloc::System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: std::alloc::Layout, new_size: usize) -> *mut u8 {
        let _ = ALLOCS.try_with(|c| c.set(c.get() + 1));
        unsafe { std::alloc::System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocations() -> usize {
    ALLOCS.with(std::cell::Cell::get)
}

fn model() -> Arc<CtmModel> {
    Arc::new(CtmModel::load(Path::new(DIR)).expect("assets/ctm loads"))
}

fn f32s(st: &SafeTensors, name: &str) -> (Vec<f32>, Vec<usize>) {
    let v = st.tensor(name).unwrap_or_else(|_| panic!("golden tensor {name}"));
    let data = v.data().chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect();
    (data, v.shape().to_vec())
}

fn i32s(st: &SafeTensors, name: &str) -> Vec<i32> {
    st.tensor(name).unwrap().data().chunks_exact(4).map(|b| i32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect()
}

fn max_abs_diff(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, f32::max)
}

/// The Rust forward pass against the golden vectors stored beside the model in `dir`.
fn check_golden(dir: &str) {
    let m = Arc::new(CtmModel::load(Path::new(dir)).expect("the model loads"));
    let c = m.config().clone();
    let bytes = std::fs::read(Path::new(dir).join("golden.safetensors")).unwrap();
    let st = SafeTensors::deserialize(&bytes).unwrap();
    let (inputs, shape) = f32s(&st, "inputs");
    let n = shape[0];
    assert_eq!(n, 8, "8 golden mazes");
    let grids = i32s(&st, "grids");
    let (starts, goals) = (i32s(&st, "starts"), i32s(&st, "goals"));
    let per_input = 3 * c.canvas * c.canvas;
    let (logits, _) = f32s(&st, "logits");
    let (cert, _) = f32s(&st, "certainty");
    let (attn, _) = f32s(&st, "attention");
    let (pre, _) = f32s(&st, "pre");
    let (post, _) = f32s(&st, "post");
    let (sync_out, _) = f32s(&st, "sync_out");
    let (sync_action, _) = f32s(&st, "sync_action");
    let (mut e_logit, mut e_cert, mut e_attn, mut e_state) = (0f32, 0f32, 0f32, 0f32);
    for b in 0..n {
        // The Rust renderer draws the same input from the stored grid, start and goal.
        let p = c.canvas;
        let maze = Maze {
            cells: p / 2,
            size: p,
            open: grids[b * p * p..(b + 1) * p * p].iter().map(|&v| v != 0).collect(),
            start: (starts[2 * b] as usize, starts[2 * b + 1] as usize),
            goal: (goals[2 * b] as usize, goals[2 * b + 1] as usize),
        };
        let input = &inputs[b * per_input..(b + 1) * per_input];
        assert_eq!(maze.render(p), input, "maze {b}: Rust rendering differs from the stored input");
        let run = m.run(input);
        assert_eq!(run.ticks, c.ticks);
        let slice = |v: &[f32], w: usize| v[b * c.ticks * w..(b + 1) * c.ticks * w].to_vec();
        e_logit = e_logit.max(max_abs_diff(&run.logits, &slice(&logits, c.route_len * 5)));
        e_cert = e_cert.max(max_abs_diff(&run.certainty, &slice(&cert, 1)));
        e_attn = e_attn.max(max_abs_diff(&run.attention, &slice(&attn, c.heads * c.tokens())));
        e_state = e_state
            .max(max_abs_diff(&run.pre, &slice(&pre, c.d_model)))
            .max(max_abs_diff(&run.post, &slice(&post, c.d_model)))
            .max(max_abs_diff(&run.sync_out, &slice(&sync_out, c.n_sync_out)))
            .max(max_abs_diff(&run.sync_action, &slice(&sync_action, c.n_sync_action)));
    }
    println!(
        "max |Rust − PyTorch|: logits {e_logit:.2e}, certainty {e_cert:.2e}, attention {e_attn:.2e}, pre/post/sync {e_state:.2e}"
    );
    assert!(e_logit <= 1e-4, "logits differ by {e_logit:e}");
    assert!(e_cert <= 1e-4, "certainty differs by {e_cert:e}");
    assert!(e_attn <= 1e-5, "attention differs by {e_attn:e}");
    assert!(e_state <= 1e-4, "pre/post-activations or sync differ by {e_state:e}");
}

#[test]
fn rust_forward_matches_pytorch_golden_vectors() {
    // The shipped 11-pixel model and the 19-pixel one fine-tuned from it (assets/ctm19).
    for dir in [DIR, "assets/ctm19"] {
        check_golden(dir);
    }
}

#[test]
fn stepping_a_thinker_equals_the_whole_run_and_reset_restarts() {
    let m = model();
    let a = Maze::generate(5, 3, 0);
    let b = Maze::generate(5, 3, 1);
    let run = m.run_maze(&a);
    let mut th = Thinker::new(m.clone());
    th.reset_maze(&b);
    for _ in 0..5 {
        th.step();
    }
    th.reset_maze(&a); // a reset mid-run starts over from the learned state
    assert_eq!(th.tick(), 0);
    let k = m.config().route_len;
    let mut route = vec![0u8; k];
    let mut t = 0;
    while th.step() {
        assert_eq!(th.logits(), &run.logits[t * k * 5..(t + 1) * k * 5], "tick {t}");
        assert_eq!(th.logits(), run.logits_at(t));
        assert_eq!(th.attention(), run.attention_at(t));
        assert_eq!(th.attention_head(1), &run.attention_at(t)[m.config().tokens()..2 * m.config().tokens()]);
        assert_eq!(th.pre_activation(), run.pre_at(t));
        assert_eq!(th.post_activation(), run.post_at(t));
        assert_eq!(th.sync_out(), run.sync_out_at(t));
        assert_eq!(th.sync_action(), run.sync_action_at(t));
        assert_eq!(th.certainty(), run.certainty[t]);
        th.route_into(&mut route);
        assert_eq!(route, run.route_at(t));
        assert_eq!(th.history().len(), m.config().d_model * m.config().memory);
        assert_eq!(&th.history()[m.config().memory - 1], &th.pre_activation()[0], "newest history entry is a^t");
        t += 1;
    }
    assert_eq!(t, m.config().ticks);
    assert!(!th.step(), "no tick beyond T");
}

#[test]
fn thinker_reset_and_ticks_allocate_nothing() {
    let m = model();
    let maze = Maze::generate(5, 9, 0);
    let input = maze.render(m.config().canvas);
    let mut th = Thinker::new(m.clone());
    let mut route = vec![0u8; m.config().route_len];
    let before = allocations();
    for _ in 0..3 {
        th.reset(&input);
        while th.step() {
            th.route_into(&mut route);
        }
        th.reset_maze(&maze);
        th.step();
    }
    assert_eq!(allocations() - before, 0, "allocations in reset + {} ticks", 3 * (m.config().ticks + 1));
    // The counter works: a whole run records every tick into new vectors.
    let before = allocations();
    let _run = m.run(&input);
    assert!(allocations() > before);
}

/// Cells reachable from the start cell, and open pixels, checked against a tree.
fn check_perfect(m: &Maze) {
    let n = m.cells;
    let open_count = m.open.iter().filter(|&&o| o).count();
    // A spanning tree on n² cells has n² − 1 passages: open pixels = n² + n² − 1.
    assert_eq!(open_count, 2 * n * n - 1, "{n}×{n}: open pixels");
    for y in 0..m.size {
        for x in 0..m.size {
            let o = m.open[y * m.size + x];
            if y % 2 == 1 && x % 2 == 1 {
                assert!(o, "cell pixel ({y},{x}) is open");
            }
            if y % 2 == 0 && x % 2 == 0 {
                assert!(!o, "corner pixel ({y},{x}) is wall");
            }
            if y == 0 || x == 0 || y == m.size - 1 || x == m.size - 1 {
                assert!(!o, "border ({y},{x}) is wall");
            }
        }
    }
    // Connected: BFS from the start reaches every open pixel; with n²−1 passages that is a tree.
    let dist = bfs(m, m.start);
    assert_eq!(dist.iter().filter(|d| d.is_some()).count(), open_count, "connected");
}

fn bfs(m: &Maze, from: (usize, usize)) -> Vec<Option<usize>> {
    let mut dist = vec![None; m.size * m.size];
    dist[from.0 * m.size + from.1] = Some(0);
    let mut q = VecDeque::from([from]);
    while let Some((y, x)) = q.pop_front() {
        let d = dist[y * m.size + x].unwrap();
        for (dy, dx) in [(-1i64, 0i64), (1, 0), (0, -1), (0, 1)] {
            let (ny, nx) = (y as i64 + dy, x as i64 + dx);
            if m.is_open(ny, nx) && dist[ny as usize * m.size + nx as usize].is_none() {
                dist[ny as usize * m.size + nx as usize] = Some(d + 1);
                q.push_back((ny as usize, nx as usize));
            }
        }
    }
    dist
}

#[test]
fn generated_mazes_are_perfect_with_a_valid_shortest_route() {
    for cells in [2, 3, 5, 7, 9, 15] {
        for i in 0..40 {
            let m = Maze::generate(cells, 11, i);
            assert_eq!(m.size, 2 * cells + 1);
            check_perfect(&m);
            assert_ne!(m.start, m.goal, "distinct endpoints");
            for p in [m.start, m.goal] {
                assert!(p.0 % 2 == 1 && p.1 % 2 == 1, "endpoints are cells");
            }
            let route = m.route();
            let w = walk(&m, m.start, &route, 0);
            assert!(w.reached && w.bumps == 0 && w.moved == route.len(), "the route walks to the goal without bumps");
            let d = bfs(&m, m.start)[m.goal.0 * m.size + m.goal.1].unwrap();
            assert_eq!(route.len(), d, "route is shortest");
            assert_eq!(route.len() % 2, 0, "cell to cell is an even number of pixel steps");
            let t = m.targets(16);
            assert_eq!(t.len(), 16);
            assert!(t[route.len().min(16)..].iter().all(|&c| c == WAIT), "wait padding");
        }
    }
}

#[test]
fn maze_generation_is_deterministic_per_seed() {
    for cells in [3, 5, 9] {
        assert_eq!(Maze::generate(cells, 42, 7), Maze::generate(cells, 42, 7));
        let distinct = (0..20).map(|i| Maze::generate(cells, 42, i)).collect::<std::collections::HashSet<_>>().len();
        assert!(distinct >= 19, "{distinct} distinct mazes of 20");
        assert_ne!(Maze::generate(cells, 42, 0), Maze::generate(cells, 43, 0));
    }
}

fn rewrite_weights(drop: Option<&str>, reshape: Option<(&str, Vec<usize>)>) -> Vec<u8> {
    let bytes = std::fs::read(Path::new(DIR).join("weights.safetensors")).unwrap();
    let st = SafeTensors::deserialize(&bytes).unwrap();
    let mut owned: Vec<(String, safetensors::Dtype, Vec<usize>, Vec<u8>)> = Vec::new();
    for (name, v) in st.tensors() {
        if Some(name.as_str()) == drop {
            continue;
        }
        let mut shape = v.shape().to_vec();
        let mut data = v.data().to_vec();
        if let Some((r, s)) = &reshape
            && *r == name
        {
            shape = s.clone();
            data.resize(shape.iter().product::<usize>() * 4, 0);
        }
        owned.push((name, v.dtype(), shape, data));
    }
    let views: Vec<(String, safetensors::tensor::TensorView)> = owned
        .iter()
        .map(|(n, d, s, b)| (n.clone(), safetensors::tensor::TensorView::new(*d, s.clone(), b).unwrap()))
        .collect();
    safetensors::serialize(views, None).unwrap()
}

#[test]
fn weights_that_do_not_match_the_config_are_a_clear_error() {
    let config = std::fs::read_to_string(Path::new(DIR).join("config.json")).unwrap();
    let weights = std::fs::read(Path::new(DIR).join("weights.safetensors")).unwrap();
    assert!(CtmModel::from_bytes(&config, &weights).is_ok());

    let missing = rewrite_weights(Some("syn.weight"), None);
    let err = CtmModel::from_bytes(&config, &missing).unwrap_err();
    assert!(matches!(&err, CtmError::Missing(n) if n == "syn.weight"), "{err}");
    assert!(err.to_string().contains("`syn.weight` is missing"), "{err}");

    let reshaped = rewrite_weights(None, Some(("out_proj.weight", vec![7, 128])));
    let err = CtmModel::from_bytes(&config, &reshaped).unwrap_err();
    assert!(err.to_string().contains("`out_proj.weight` has shape [7, 128]"), "{err}");

    // A config with more neurons than the weights were trained with: the first tensor sized by D fails.
    let v: serde_json::Value = serde_json::from_str(&config).unwrap();
    let mut v2 = v.clone();
    v2["d_model"] = serde_json::json!(256);
    let err = CtmModel::from_bytes(&v2.to_string(), &weights).unwrap_err();
    assert!(matches!(err, CtmError::Shape { .. }), "{err}");
    assert!(err.to_string().contains("the config needs"), "{err}");

    let mut v3 = v;
    v3.as_object_mut().unwrap().remove("heads");
    let err = CtmModel::from_bytes(&v3.to_string(), &weights).unwrap_err();
    assert!(err.to_string().contains("heads"), "{err}");

    let err = CtmModel::from_bytes(&config, b"not a safetensors file").unwrap_err();
    assert!(matches!(err, CtmError::Format(_)), "{err}");
    let err = CtmModel::load(Path::new("assets/no-such-ctm")).unwrap_err();
    assert!(err.to_string().contains("config.json"), "{err}");
}

const HAND: &str = "
###########
#S..#.....#
###.#.###.#
#...#...#.#
#.#####.#.#
#.....#.#G#
#####.#.###
#.....#...#
#.#######.#
#.........#
###########";

#[test]
fn walk_skips_wall_moves_and_stops_after_two_bumps_or_wait() {
    let m = Maze::from_ascii(HAND).unwrap();
    assert_eq!((m.start, m.goal, m.cells), ((1, 1), (5, 9), 5));
    // Right twice, a bump up, a bump right ((1,4) is wall), then down: two bumps are tolerated.
    let w = walk(&m, m.start, &[RIGHT, RIGHT, UP, RIGHT, DOWN], MAX_BUMPS);
    assert_eq!(w, neuroplast::ctm::maze::Walk { end: (2, 3), reached: false, moved: 3, bumps: 2 });
    // A third bump stops the walk before the last move.
    let w = walk(&m, m.start, &[UP, UP, LEFT, RIGHT], MAX_BUMPS);
    assert_eq!((w.end, w.moved, w.bumps), ((1, 1), 0, 3));
    // Wait stops it.
    let w = walk(&m, m.start, &[RIGHT, WAIT, RIGHT], MAX_BUMPS);
    assert_eq!((w.end, w.moved), ((1, 2), 1));
    // The true route reaches the goal; moves after the goal are ignored.
    let mut r = m.route();
    let len = r.len();
    r.extend([LEFT, LEFT]);
    let w = walk(&m, m.start, &r, 0);
    assert!(w.reached && w.moved == len);
    assert_eq!(correct_steps(&[RIGHT, RIGHT, DOWN, WAIT], &[RIGHT, RIGHT, DOWN, DOWN]), 3);
}

#[test]
fn reapplication_continues_from_where_the_walk_stopped() {
    let m = Maze::from_ascii(HAND).unwrap();
    let full = m.route();
    // A predictor that knows the way but only says 4 steps at a time: reaches the goal in
    // ceil(len / 4) applications, each from where the last stopped.
    let mut starts = Vec::new();
    let r = reapply(&m, 20, MAX_BUMPS, |mm| {
        starts.push(mm.start);
        let mut r = mm.route();
        r.truncate(4);
        r
    });
    assert!(r.reached);
    assert_eq!(r.applications, full.len().div_ceil(4));
    assert_eq!(starts[0], m.start);
    assert_eq!(starts[1], (3, 3), "second application starts 4 steps along");
    // Too few applications: not reached, stops at the limit.
    let r = reapply(&m, 2, MAX_BUMPS, |mm| mm.route()[..4].to_vec());
    assert!(!r.reached && r.applications == 2);
    // A predictor that only bumps into walls makes no move: stops after one application.
    let r = reapply(&m, 20, MAX_BUMPS, |_| vec![UP, UP, UP, UP]);
    assert!(!r.reached && r.applications == 1 && r.end == m.start);
    // A detour (there and back) still reaches the goal on the next application.
    let mut n = 0;
    let r = reapply(&m, 20, MAX_BUMPS, |mm| {
        n += 1;
        if n == 1 { vec![RIGHT, RIGHT, LEFT, LEFT] } else { mm.route() }
    });
    assert!(r.reached && r.applications == 2);
}

#[test]
fn eval_command_prints_the_metrics() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_neuroplast"))
        .args(["ctm", "eval", "--cells", "5", "--mazes", "40", "--seed", "3"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    for key in ["per-step accuracy", "full-route accuracy", "goal reach", "µs per tick"] {
        assert!(text.contains(key), "missing `{key}` in\n{text}");
    }
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_neuroplast"))
        .args(["ctm", "eval", "--cells", "12"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--cells must be"));
}
