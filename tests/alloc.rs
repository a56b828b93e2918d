//! `Simulation::step` allocates nothing once the network is prepared: counted with a global
//! allocator, on the serial path and on the parallel path, with delays and every input kind.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use neuroplast::scene::Scene;
use neuroplast::sim::StepReport;

struct Counting;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// The counter is global: tests that count take turns.
static TURN: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn allocations_during_steps(scale: u32, threads: usize) -> (usize, usize) {
    let text = std::fs::read_to_string("scenes/cuba.ron")
        .unwrap()
        .replace("size: 3200", &format!("size: {}", 3200 * scale))
        .replace("size: 800", &format!("size: {}", 800 * scale))
        .replace("p: 0.02", &format!("p: {}", 0.02 / scale as f64))
        .replace(
            r#"weight: Constant("-9 mV"),"#,
            r#"weight: Constant("-9 mV"), delay: Uniform(low: "0.5 ms", high: "2 ms"),"#,
        )
        .replacen(
            "    projections:",
            r#"    inputs: [
        Poisson(target: "E", sources: 20, rate: "5 Hz", weight: "0.5 mV"),
        Current(target: "I", amplitude: "100 pA", start: "5 ms", stop: "15 ms"),
        SpikeTimes(target: "E", spikes: [(1, "3 ms"), (2, "12 ms")], weight: "5 mV"),
    ],
    projections:"#,
            1,
        );
    let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
    pool.install(|| {
        let mut net = Scene::parse(&text, "alloc").unwrap().build(None).unwrap();
        let mut report = StepReport::with_capacity(net.network.num_neurons());
        // Warm up: rayon starts its workers lazily.
        for _ in 0..20 {
            net.step(&mut report);
        }
        let before = ALLOCATIONS.load(Ordering::SeqCst);
        let mut spikes = 0;
        for _ in 0..300 {
            net.step(&mut report);
            spikes += report.spikes.len();
        }
        (ALLOCATIONS.load(Ordering::SeqCst) - before, spikes)
    })
}

/// Allocations during 2000 steps of a shipped scene, after 200 warm-up steps (1 thread).
fn allocations_in_scene(path: &str) -> usize {
    let mut net = Scene::load(std::path::Path::new(path)).unwrap().build(None).unwrap();
    let mut report = StepReport::with_capacity(net.network.num_neurons());
    for _ in 0..200 {
        net.step(&mut report);
    }
    let before = ALLOCATIONS.load(Ordering::SeqCst);
    for _ in 0..2000 {
        net.step(&mut report);
    }
    ALLOCATIONS.load(Ordering::SeqCst) - before
}

#[test]
fn plastic_steps_do_not_allocate() {
    let _turn = TURN.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    // Pair STDP on CUBA, and the Song scene (Poisson sources drawing their gaps).
    assert_eq!(allocations_in_scene("scenes/cuba_stdp.ron"), 0);
    assert_eq!(allocations_in_scene("scenes/stdp_song.ron"), 0);
}

#[test]
fn step_does_not_allocate() {
    let _turn = TURN.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let (serial, spikes) = allocations_during_steps(1, 1);
    assert!(spikes > 0, "the network is active");
    assert_eq!(serial, 0, "allocations in 300 serial steps");
    let (parallel, spikes) = allocations_during_steps(6, 2);
    assert!(spikes > 0);
    assert_eq!(parallel, 0, "allocations in 300 parallel steps");
}
