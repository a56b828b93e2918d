//! Crafted snapshots: payload bytes changed and the checksum recomputed, so the damage passes the
//! CRC. Every case must be refused with an error or resume and step without a panic and without
//! a NaN or infinite value in the state.

use std::panic::{AssertUnwindSafe, catch_unwind};

use neuroplast::engine::Simulation;
use neuroplast::scene::{Scene, snapshot};
use neuroplast::sim::StepReport;

const HEADER: usize = 24;
/// Seeded cases per scene (six scenes).
const CASES_PER_SCENE: usize = 2000;

/// Small simulations covering every kind of state a snapshot holds: CUBA with delays and inputs,
/// the growth scene (neurogenesis, attention, pruning), MSP, and the plastic scenes.
fn simulations() -> Vec<(String, Simulation)> {
    let mut out = Vec::new();
    for (file, scale) in [
        ("scenes/cuba.ron", 0.05),
        ("scenes/growth.ron", 1.0),
        ("scenes/msp_nest.ron", 0.1),
        ("scenes/stdp_song.ron", 0.2),
        ("scenes/astro_liquid.ron", 0.2),
        ("scenes/cuba_stdp.ron", 0.05),
    ] {
        let mut scene = Scene::load(std::path::Path::new(file)).unwrap();
        scene.scale(scale).unwrap();
        let mut text = Scene::to_ron(&scene.file);
        if file.ends_with("cuba.ron") {
            text = text.replacen("delay: Constant(\"0 ms\")", "delay: Uniform(low: \"0 ms\", high: \"3 ms\")", 1);
        }
        let mut sim = Scene::parse(&text, file).unwrap().build(Some(3)).unwrap();
        let mut report = StepReport::with_capacity(sim.network.num_neurons());
        sim.run(300, &mut report, |_| {});
        out.push((file.to_string(), sim));
    }
    out
}

/// SplitMix64: a seeded stream of mutations.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// One mutation of the payload: a byte, a run of 0x00/0xFF, a NaN or huge float, a deletion or
/// a duplication.
fn mutate(payload: &mut Vec<u8>, rng: &mut Rng) {
    let at = rng.below(payload.len());
    match rng.below(6) {
        0 => payload[at] = rng.next() as u8,
        1 => {
            let fill = if rng.below(2) == 0 { 0x00 } else { 0xFF };
            let end = (at + 1 + rng.below(8)).min(payload.len());
            payload[at..end].fill(fill);
        }
        2 => {
            let patterns: [u32; 4] = [f32::NAN.to_bits(), f32::INFINITY.to_bits(), f32::MAX.to_bits(), 0x8000_0001];
            let bytes = patterns[rng.below(4)].to_le_bytes();
            let end = (at + 4).min(payload.len());
            payload[at..end].copy_from_slice(&bytes[..end - at]);
        }
        3 => {
            let end = (at + 1 + rng.below(16)).min(payload.len());
            payload.drain(at..end);
        }
        4 => {
            let end = (at + 1 + rng.below(16)).min(payload.len());
            let copy: Vec<u8> = payload[at..end].to_vec();
            payload.splice(at..at, copy);
        }
        _ => payload[at] |= 0x80,
    }
}

/// The header re-made for a changed payload, so only the payload's meaning is wrong.
fn reseal(header: &[u8], payload: &[u8]) -> Vec<u8> {
    let mut out = header[..12].to_vec();
    out.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    out.extend_from_slice(&crc32fast::hash(payload).to_le_bytes());
    out.extend_from_slice(payload);
    out
}

fn all_finite(sim: &Simulation) -> Result<(), String> {
    let net = &sim.network;
    if let Some(v) = net.neurons.v.iter().find(|v| !v.is_finite()) {
        return Err(format!("membrane potential {v}"));
    }
    if let Some(w) = net.synapses.weight.iter().find(|w| !w.is_finite()) {
        return Err(format!("weight {w}"));
    }
    Ok(())
}

#[test]
fn crafted_snapshots_are_refused_or_resume_cleanly() {
    let mut rng = Rng(20261201);
    let (mut refused, mut resumed, mut failures) = (0usize, 0usize, Vec::new());
    for (name, sim) in simulations() {
        let bytes = snapshot::encode(&sim);
        let (header, payload) = bytes.split_at(HEADER);
        for case in 0..CASES_PER_SCENE {
            let mut damaged = payload.to_vec();
            for _ in 0..1 + rng.below(3) {
                mutate(&mut damaged, &mut rng);
            }
            let file = reseal(header, &damaged);
            let outcome = catch_unwind(AssertUnwindSafe(|| match snapshot::decode(&file, "crafted.snap") {
                Err(e) => {
                    let text = e.to_string();
                    assert!(text.starts_with("crafted.snap: "), "{text}");
                    Ok::<bool, String>(false)
                }
                Ok(mut sim) => {
                    all_finite(&sim).map_err(|e| format!("decoded with {e}"))?;
                    let mut report = StepReport::with_capacity(sim.network.num_neurons());
                    sim.run(50, &mut report, |_| {});
                    all_finite(&sim).map_err(|e| format!("after 50 steps: {e}"))?;
                    Ok(true)
                }
            }));
            match outcome {
                Ok(Ok(true)) => resumed += 1,
                Ok(Ok(false)) => refused += 1,
                Ok(Err(e)) => failures.push(format!("{name} case {case}: {e}")),
                Err(p) => {
                    let msg = p
                        .downcast_ref::<String>()
                        .cloned()
                        .or_else(|| p.downcast_ref::<&str>().map(ToString::to_string));
                    failures.push(format!("{name} case {case}: panicked: {}", msg.unwrap_or_default()));
                }
            }
        }
    }
    eprintln!("{refused} refused, {resumed} resumed");
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        refused + resumed + failures.len(),
        failures.join("\n")
    );
    assert!(refused > 0 && resumed > 0);
}
