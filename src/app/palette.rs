//! Colours and display ranges: excitatory populations warm, inhibitory cool, sources grey-green;
//! the voltage range of each model for colour-by-voltage.

use crate::sim::{Network, NeuronModel, PopulationId};

/// What a population mostly does to its targets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// Most outgoing synapses are excitatory.
    Excitatory,
    /// Most outgoing synapses are inhibitory.
    Inhibitory,
    /// An input source (Poisson generator).
    Source,
}

/// The role of every population, from its model and its outgoing synapses.
pub fn roles(net: &Network) -> Vec<Role> {
    let pops = net.populations.len();
    let mut inhibitory = vec![0u64; pops];
    let mut total = vec![0u64; pops];
    let syn = &net.synapses;
    // A sample of at most ~200k synapses is plenty to classify.
    let stride = (syn.len() / 200_000).max(1);
    for s in (0..syn.len()).step_by(stride) {
        let p = net.neurons.population[syn.pre(s).index()].index();
        total[p] += 1;
        if syn.target[s] & 1 == 1 {
            inhibitory[p] += 1;
        }
    }
    net.populations
        .iter()
        .enumerate()
        .map(|(p, pop)| {
            if matches!(pop.model, NeuronModel::PoissonSource { .. }) {
                Role::Source
            } else if total[p] > 0 && inhibitory[p] * 2 > total[p] {
                Role::Inhibitory
            } else {
                Role::Excitatory
            }
        })
        .collect()
}

const WARM: [[f32; 3]; 4] = [[1.0, 0.55, 0.2], [1.0, 0.8, 0.3], [0.95, 0.4, 0.45], [1.0, 0.65, 0.55]];
const COOL: [[f32; 3]; 4] = [[0.3, 0.6, 1.0], [0.45, 0.85, 0.95], [0.55, 0.5, 1.0], [0.3, 0.9, 0.75]];
const SOURCE: [[f32; 3]; 2] = [[0.55, 0.75, 0.5], [0.6, 0.6, 0.65]];

/// One linear-RGB colour per population: warm for excitatory, cool for inhibitory.
pub fn population_colors(roles: &[Role]) -> Vec<[f32; 3]> {
    let (mut e, mut i, mut s) = (0, 0, 0);
    roles
        .iter()
        .map(|r| match r {
            Role::Excitatory => {
                e += 1;
                WARM[(e - 1) % WARM.len()]
            }
            Role::Inhibitory => {
                i += 1;
                COOL[(i - 1) % COOL.len()]
            }
            Role::Source => {
                s += 1;
                SOURCE[(s - 1) % SOURCE.len()]
            }
        })
        .collect()
}

/// The (low, high) membrane potential (mV) mapped to 0..1 when colouring by voltage.
pub fn voltage_range(model: &NeuronModel) -> (f64, f64) {
    match model {
        NeuronModel::LifCurrent(m) => (m.v_reset, m.v_th),
        NeuronModel::LifConductance(m) => (m.v_reset, m.v_th),
        NeuronModel::Izhikevich(m) => (m.c, m.v_peak),
        NeuronModel::Izhikevich2007(m) => (m.v_r, m.v_peak),
        NeuronModel::AdEx(m) => (m.v_reset, m.v_t + 5.0 * m.delta_t),
        NeuronModel::PoissonSource { .. } => (0.0, 1.0),
    }
}

/// Converts an sRGB byte triple to the egui colour type's inputs.
pub fn to_srgb_u8(c: [f32; 3]) -> [u8; 3] {
    let f = |x: f32| (x.clamp(0.0, 1.0).powf(1.0 / 2.2) * 255.0).round() as u8;
    [f(c[0]), f(c[1]), f(c[2])]
}

/// The population of neuron `i`.
pub fn population_of(net: &Network, i: usize) -> PopulationId {
    net.neurons.population[i]
}

/// Viridis colour map at `t` in 0..1 (sRGB bytes), by linear interpolation of 9 stops.
pub fn viridis(t: f32) -> [u8; 3] {
    const STOPS: [[f32; 3]; 9] = [
        [68.0, 1.0, 84.0],
        [71.0, 44.0, 122.0],
        [59.0, 81.0, 139.0],
        [44.0, 113.0, 142.0],
        [33.0, 144.0, 141.0],
        [39.0, 173.0, 129.0],
        [92.0, 200.0, 99.0],
        [170.0, 220.0, 50.0],
        [253.0, 231.0, 37.0],
    ];
    let x = t.clamp(0.0, 1.0) * 8.0;
    let i = (x.floor() as usize).min(7);
    let f = x - i as f32;
    let c = |k: usize| (STOPS[i][k] + (STOPS[i + 1][k] - STOPS[i][k]) * f).round() as u8;
    [c(0), c(1), c(2)]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn viridis_ends() {
        assert_eq!(viridis(0.0), [68, 1, 84]);
        assert_eq!(viridis(1.0), [253, 231, 37]);
        assert_eq!(viridis(-3.0), viridis(0.0));
    }
}
