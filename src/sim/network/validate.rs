//! Checks of a network decoded from a file before anything steps it: every length, index, order
//! and value the step relies on, so a crafted snapshot is refused instead of reaching a panic, an
//! endless loop, a huge allocation or a NaN.

use super::{Network, NetworkError, input_problem, synapse_problem};

/// The largest magnitude a decoded state value may have (mV, pA, nS, steps): far beyond any
/// network, far below what a step turns into an overflow.
const STATE_MAGNITUDE: f64 = 1e12;

/// Finite and within [`STATE_MAGNITUDE`].
fn plausible(x: f64) -> bool {
    x.is_finite() && x.abs() <= STATE_MAGNITUDE
}

impl Network {
    /// Checks a decoded network and re-derives what follows from the rest (each population's
    /// kernel from its model and `dt`), so no stored copy can disagree with its source.
    pub fn check_decoded(&mut self) -> Result<(), NetworkError> {
        let bad = |m: String| Err(NetworkError::Invalid(m));
        if !(self.dt_ms.is_finite() && self.dt_ms > 0.0) {
            return bad(format!("dt {} ms is not a positive number", self.dt_ms));
        }
        if self.step > u64::MAX / 4 {
            return bad(format!("step count {} is beyond any run", self.step));
        }
        let n = self.neurons.v.len();
        if n >= 1 << 31 {
            return bad(format!("{n} neurons, more than 2^31"));
        }
        if let Some(column) = self.neurons.column_not_of_length(n) {
            return bad(format!("neuron column `{column}` does not have one value per neuron ({n})"));
        }
        let nn = &self.neurons;
        let columns: [(&str, &[f64]); 8] = [
            ("v", &nn.v),
            ("syn_ex", &nn.syn_ex),
            ("syn_in", &nn.syn_in),
            ("psc_ex", &nn.psc_ex),
            ("psc_in", &nn.psc_in),
            ("adapt", &nn.adapt),
            ("i_inj", &nn.i_inj),
            ("theta", &nn.theta),
        ];
        for (name, column) in columns {
            if let Some(k) = column.iter().position(|&x| !plausible(x)) {
                return bad(format!("neuron {k}: `{name}` is {}", column[k]));
            }
        }
        if let Some(k) = nn.position.iter().position(|p| !p.iter().all(|c| c.is_finite())) {
            return bad(format!("neuron {k}: position {:?} is not finite", nn.position[k]));
        }
        let future = |t: u64| t != u64::MAX && t > self.step;
        if let Some(k) = (0..n).find(|&k| future(nn.last_spike[k]) || future(nn.prev_spike[k])) {
            return bad(format!("neuron {k}: a spike after the current step"));
        }
        if let Some(w) = self.synapses.weight.iter().find(|&&w| !plausible(w.into())) {
            return bad(format!("synaptic weight {w} is out of range"));
        }
        self.check_populations(n)?;
        if let Some(e) = synapse_problem(&self.synapses, n) {
            return Err(e);
        }
        self.check_gap_junctions(n)?;
        if let Some(e) = self.inputs.iter().find_map(|i| input_problem(i, n)) {
            return Err(e);
        }
        if let Some(&max) = self.synapses.id.iter().max()
            && (self.next_synapse_id <= max || self.next_synapse_id == u32::MAX)
        {
            return bad(format!("next synapse id {} is not above the largest id {max}", self.next_synapse_id));
        }
        let max_delay = self.synapses.delay.iter().copied().max().unwrap_or(0) as usize;
        let ring_len = (max_delay + 1).next_power_of_two();
        let inbox_len = if ring_len > 1 { ring_len * 2 * n } else { 0 };
        if self.ring_len != ring_len || self.inbox.len() != inbox_len {
            return bad("the delay ring does not match the delays".into());
        }
        if let Some(x) = self.inbox.iter().find(|&&x| !plausible(x.into())) {
            return bad(format!("pending synaptic input {x} is not finite"));
        }
        for p in &mut self.populations {
            p.kernel = p.model.kernel(self.dt_ms);
        }
        Ok(())
    }

    /// Populations, their segments and every neuron's population agree.
    fn check_populations(&self, n: usize) -> Result<(), NetworkError> {
        let bad = |m: String| Err(NetworkError::Invalid(m));
        let pops = self.populations.len();
        if pops > 1 << 16 {
            return bad(format!("{pops} populations, more than 16-bit ids hold"));
        }
        for p in &self.populations {
            p.model.validate()?;
        }
        let mut next = 0u32;
        let mut sizes = vec![0u64; pops];
        for s in &self.segments {
            if s.start != next || s.end <= s.start || s.end as usize > n || s.population.index() >= pops {
                return bad(format!("segment {}..{} does not continue the neurons before it", s.start, s.end));
            }
            if let Some(k) = (s.start..s.end).find(|&k| self.neurons.population[k as usize] != s.population) {
                return bad(format!("neuron {k} is not in the population of its segment"));
            }
            sizes[s.population.index()] += u64::from(s.end - s.start);
            next = s.end;
        }
        if next as usize != n {
            return bad(format!("segments cover {next} of {n} neurons"));
        }
        if let Some((p, size)) = self.populations.iter().zip(&sizes).find(|(p, size)| u64::from(p.size) != **size) {
            return bad(format!("population `{}` says {} neurons, its segments hold {size}", p.name, p.size));
        }
        Ok(())
    }

    /// Gap junctions: none, or rows covering every neuron with partners among them.
    fn check_gap_junctions(&self, n: usize) -> Result<(), NetworkError> {
        let g = &self.gap_junctions;
        if g.row_start.is_empty() && g.partner.is_empty() && g.g_ns.is_empty() {
            return Ok(());
        }
        let rows_ok = g.row_start.len() == n + 1
            && g.row_start[0] == 0
            && g.row_start.is_sorted()
            && *g.row_start.last().unwrap_or(&0) as usize == g.partner.len()
            && g.g_ns.len() == g.partner.len();
        let values_ok =
            g.partner.iter().all(|&p| (p as usize) < n) && g.g_ns.iter().all(|g| g.is_finite() && *g >= 0.0);
        if rows_ok && values_ok { Ok(()) } else { Err(NetworkError::Invalid("gap junctions out of range".into())) }
    }
}
