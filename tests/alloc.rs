//! `Network::step` allocates nothing once the network is prepared: counted with a global
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
        let mut report = StepReport::with_capacity(net.num_neurons());
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

#[test]
fn step_does_not_allocate() {
    let (serial, spikes) = allocations_during_steps(1, 1);
    assert!(spikes > 0, "the network is active");
    assert_eq!(serial, 0, "allocations in 300 serial steps");
    let (parallel, spikes) = allocations_during_steps(6, 2);
    assert!(spikes > 0);
    assert_eq!(parallel, 0, "allocations in 300 parallel steps");
}
