//! MSP as a rule: its hooks (checks of a decoded state, rounds, activity), its sliders (calcium,
//! growth target, rate and decay, each set for every population and element) and its growth curve
//! with the mean calcium marked.

use super::{GrowthCurve, Msp, NONE};
use crate::sim::edit::Edits;
use crate::sim::network::Network;
use crate::sim::params::{Curve, ParamSpec, Tunable};
use crate::sim::rule::{Activity, RuleCurve, StructuralRule, tunable_hooks};
use crate::sim::{Dim, ParamError, PopulationId};

/// MSP's sliders: each sets the value for every growing population and element (the value shown
/// is the first's).
const MSP_SCHEMA: &[ParamSpec] = &[
    ParamSpec::new("tau_ca", Dim::Time, 1.0, 1e6, 10_000.0, "calcium time constant"),
    ParamSpec::new("beta_ca", Dim::Dimensionless, 0.0, 1.0, 0.001, "calcium added per spike"),
    ParamSpec::new(
        "target_ca",
        Dim::Dimensionless,
        1e-6,
        10.0,
        0.05,
        "growth curve's target ε (elements grow below it)",
    ),
    ParamSpec::new("growth_rate", Dim::Dimensionless, 0.0, 10.0, 1e-4, "ν: elements grown per ms at the curve's peak"),
    ParamSpec::new("tau_vacant", Dim::Dimensionless, 0.0, 1.0, 0.1, "fraction of vacant elements lost per update"),
];

impl Tunable for Msp {
    const RULE: &'static str = "structural plasticity";

    fn schema() -> &'static [ParamSpec] {
        MSP_SCHEMA
    }

    fn get(&self, name: &str) -> Option<f64> {
        let spec = MSP_SCHEMA.iter().find(|s| s.name == name)?;
        let pop = self.populations.first();
        let element = pop.and_then(|p| p.elements.first());
        let value = match name {
            "tau_ca" => pop.map(|p| p.calcium.tau_ms),
            "beta_ca" => pop.map(|p| p.calcium.beta),
            "target_ca" => element.map(|e| match e.curve {
                GrowthCurve::Linear { eps } | GrowthCurve::Gaussian { eps, .. } | GrowthCurve::Sigmoid { eps, .. } => {
                    eps
                }
            }),
            "growth_rate" => element.map(|e| e.growth_rate),
            "tau_vacant" => element.map(|e| e.tau_vacant),
            _ => None,
        };
        // A rule without populations shows the defaults.
        Some(value.unwrap_or(spec.default))
    }

    fn put(&mut self, name: &str, value: f64) -> bool {
        for p in &mut self.populations {
            match name {
                "tau_ca" => p.calcium.tau_ms = value,
                "beta_ca" => p.calcium.beta = value,
                _ => {}
            }
            for e in &mut p.elements {
                match name {
                    "target_ca" => match &mut e.curve {
                        GrowthCurve::Linear { eps }
                        | GrowthCurve::Gaussian { eps, .. }
                        | GrowthCurve::Sigmoid { eps, .. } => {
                            *eps = value;
                        }
                    },
                    "growth_rate" => e.growth_rate = value,
                    "tau_vacant" => e.tau_vacant = value,
                    _ => {}
                }
            }
        }
        MSP_SCHEMA.iter().any(|s| s.name == name)
    }

    /// A target set for every curve must suit each (a Gaussian's ε above its η).
    fn check_related(&self) -> Result<(), ParamError> {
        for e in self.populations.iter().flat_map(|p| &p.elements) {
            e.curve.validate().map_err(|(_, reason)| ParamError { model: Self::RULE, param: "target_ca", reason })?;
        }
        Ok(())
    }
}

impl Msp {
    /// The mean calcium of the neurons of growing population `k`.
    fn mean_calcium(&self, k: usize) -> f64 {
        let (mut sum, mut n) = (0.0, 0usize);
        for (&m, &ca) in self.member.iter().zip(&self.ca) {
            if m as usize == k {
                sum += ca;
                n += 1;
            }
        }
        if n == 0 { 0.0 } else { sum / n as f64 }
    }
}

impl StructuralRule for Msp {
    tunable_hooks!();

    fn name(&self) -> &'static str {
        "structural plasticity"
    }

    fn label(&self, net: &Network) -> String {
        let names: Vec<&str> = self
            .populations
            .iter()
            .filter_map(|p| net.populations.get(p.population.index()).map(|q| q.name.as_str()))
            .collect();
        format!("structural plasticity (MSP) in {}", names.join(", "))
    }

    /// Each element's growth rate ν·curve(Ca) against calcium, the first population's, with its
    /// mean calcium now marked on every curve.
    fn curve(&self, _net: &Network) -> Option<RuleCurve> {
        let p = self.populations.first()?;
        let e = p.elements.first()?;
        let eps = match e.curve {
            GrowthCurve::Linear { eps } | GrowthCurve::Gaussian { eps, .. } | GrowthCurve::Sigmoid { eps, .. } => eps,
        };
        let ca_now = self.mean_calcium(0);
        let top = (2.0 * eps).max(1.2 * ca_now).max(1e-9);
        let points = (0..=100)
            .map(|j| {
                let ca = top * f64::from(j) / 100.0;
                [ca, e.growth_rate * e.curve.rate(ca)]
            })
            .collect();
        let now = p.elements.iter().take(1).map(|e| [ca_now, e.growth_rate * e.curve.rate(ca_now)]).collect();
        Some(RuleCurve {
            curve: Curve { x_label: "calcium (mean now marked)", y_label: "dz/dt (elements / ms)", points },
            now,
            level: Some((0.0, "no growth")),
        })
    }

    fn check_decoded(&self, net: &Network) -> Result<(), String> {
        let (n, k, pops) = (net.num_neurons(), self.element_names.len(), net.populations.len());
        let cells = n.checked_mul(k).ok_or("too many synaptic elements")?;
        if self.member.len() != n
            || self.ca.len() != n
            || self.z.len() != cells
            || self.connected.len() != cells
            || self.acc.len() != cells
        {
            return Err("structural plasticity state does not match the neurons".into());
        }
        if self.interval_steps == 0 || self.member.iter().any(|&m| m != NONE && m as usize >= pops) {
            return Err("structural plasticity names a population that does not exist".into());
        }
        for p in &self.populations {
            let calcium_ok = p.calcium.tau_ms.is_finite()
                && p.calcium.tau_ms > 0.0
                && p.calcium.beta.is_finite()
                && p.calcium.beta >= 0.0;
            if p.population.index() >= pops || !calcium_ok {
                return Err("a growing population is out of range".into());
            }
            for e in &p.elements {
                e.curve.validate().map_err(|(field, m)| format!("{field}: {m}"))?;
                let ok = (e.element as usize) < k
                    && e.growth_rate.is_finite()
                    && e.growth_rate >= 0.0
                    && (0.0..=1.0).contains(&e.tau_vacant);
                if !ok {
                    return Err("a synaptic element is out of range".into());
                }
            }
        }
        if self
            .synapse_models
            .iter()
            .any(|m| m.pre_element as usize >= k || m.post_element as usize >= k || !m.weight.is_finite())
        {
            return Err("a structural synapse kind is out of range".into());
        }
        // Element counts bound the vacancies a round walks: far above any network, far below a
        // loop without end.
        let counts_ok = self.z.iter().all(|z| z.is_finite() && (0.0..=1e6).contains(z))
            && self.connected.iter().all(|&c| (0..=1_000_000).contains(&c))
            && self.ca.iter().chain(&self.acc).all(|x| x.is_finite());
        if counts_ok { Ok(()) } else { Err("a synaptic element count is out of range".into()) }
    }

    fn due(&self, step: u64) -> bool {
        step.is_multiple_of(self.interval_steps)
    }

    fn plan(&mut self, net: &Network, edits: &mut Edits) {
        let (remove, add) = self.plan_round(&net.synapses, net.seed(), net.step_count());
        (edits.remove, edits.add) = (remove, add);
    }

    fn after_step(&mut self, a: &Activity) {
        self.integrate(a.segments, a.spikes, a.dt_ms);
    }

    fn neurons_added(&mut self, population_of: &[PopulationId]) {
        self.resize(population_of);
    }
}
