//! The network's step: injected and gap-junction currents, the neuron update over fixed chunks
//! (in parallel for large networks), spike gathering in id order, event-driven propagation through
//! the delay ring, and external input spikes.

use rayon::prelude::*;

use super::{Network, PARALLEL_MIN_NEURONS, Work};
use crate::sim::columns::ColumnPointers;
use crate::sim::ids::NeuronId;
use crate::sim::inputs::Input;
use crate::sim::models::NeuronSlices;
use crate::sim::report::{StepReport, StructuralEvent};
use crate::sim::rng::{CounterRng, stream};

impl Network {
    /// Recomputes the injected current of every `Current` input active at the current step.
    fn refresh_injected_current(&mut self) {
        let step = self.step;
        self.neurons.i_inj.fill(0.0);
        for input in &self.inputs {
            if let Input::Current(c) = input
                && c.active_at(step)
            {
                for &t in &c.targets {
                    self.neurons.i_inj[t as usize] += c.amplitude_pa;
                }
            }
        }
    }

    /// Whether some current input starts or stops at the current step.
    fn current_changes_now(&self) -> bool {
        let step = self.step;
        self.inputs.iter().any(|i| matches!(i, Input::Current(c) if c.start_step == step || c.stop_step == Some(step)))
    }

    /// Whether the step's buffers must be rebuilt (after a load) before the next step.
    pub fn needs_prepare(&self) -> bool {
        self.scratch.chunk_spikes.is_empty() && !self.segments.is_empty()
    }

    /// Advances the network by one `dt`: injected and gap currents, neuron update (parallel over
    /// chunks for large populations), spike gathering, propagation through the delay ring, and
    /// input spikes. Fills `report` (its structural events are left to the caller, see
    /// [`Network::step`]); allocates nothing once the network is prepared.
    pub fn step(&mut self, report: &mut StepReport) {
        report.events.clear();
        report.events.append(&mut self.pending_events);
        self.advance(report);
    }

    /// Moves the structural events of edits made since the last step into `events`.
    pub fn take_pending_events(&mut self, events: &mut Vec<StructuralEvent>) {
        events.append(&mut self.pending_events);
    }

    /// [`Network::step`] without touching `report.events`: for a caller that reports structural
    /// events of its own in the same step.
    pub fn advance(&mut self, report: &mut StepReport) {
        if self.needs_prepare() {
            self.prepare();
        }
        let step = self.step;
        report.rewards.clear();
        let n = self.num_neurons();

        // 1. Injected current (event-driven: only when an input starts or stops) and gap junctions.
        if !self.scratch.i_ext_valid || self.current_changes_now() {
            self.refresh_injected_current();
            self.scratch.i_ext.copy_from_slice(&self.neurons.i_inj);
            self.scratch.i_ext_valid = true;
            self.scratch.ext_active = self.scratch.gap_each_step || self.neurons.i_inj.iter().any(|&x| x != 0.0);
        }
        if self.scratch.gap_each_step {
            let gj = &self.gap_junctions;
            let v = &self.neurons.v;
            for (i, out) in self.scratch.i_ext.iter_mut().enumerate() {
                let mut sum = 0.0;
                for k in gj.row_start[i] as usize..gj.row_start[i + 1] as usize {
                    sum += gj.g_ns[k] as f64 * (v[gj.partner[k] as usize] - v[i]);
                }
                *out = self.neurons.i_inj[i] + sum;
            }
        }

        // 2. Neuron update over work items (in parallel for large networks); input delivered at
        //    the end of the previous step is read (and cleared) from its ring slot.
        let slot_prev = ((step + self.ring_len as u64 - 1) as usize) & (self.ring_len - 1);
        let inbox = (self.ring_len > 1).then(|| &mut self.inbox[slot_prev * 2 * n..(slot_prev + 1) * 2 * n]);
        let columns = ColumnPointers::of(&mut self.neurons, inbox);
        let i_ext = self.scratch.ext_active.then_some(&self.scratch.i_ext[..]);
        let theta = self.theta_active.then_some(&self.neurons.theta[..]);
        let (populations, seed) = (&self.populations, self.seed);
        let body = |(w, buf): (&Work, &mut Vec<u32>)| {
            buf.clear();
            // SAFETY: work items cover disjoint index ranges inside 0..n (built by `prepare`), so
            // each call gets exclusive access to its part of every column.
            let (state, inbox) = unsafe { columns.slices(w.start, w.end) };
            let (i_ext, theta) = (i_ext.map(|x| &x[w.start..w.end]), theta.map(|x| &x[w.start..w.end]));
            let slices = NeuronSlices { state, i_ext, theta, inbox };
            populations[w.population].kernel.update(slices, w.start as u32, seed, step, buf);
        };
        let work = &self.scratch.work;
        let bufs = &mut self.scratch.chunk_spikes;
        if rayon::current_num_threads() > 1 && n >= PARALLEL_MIN_NEURONS {
            work.par_iter().zip(bufs.par_iter_mut()).for_each(body);
        } else {
            work.iter().zip(bufs.iter_mut()).for_each(body);
        }

        // 3. Gather spikes in id order.
        report.spikes.clear();
        report.step = step;
        report.time_ms = (step + 1) as f64 * self.dt_ms;
        for buf in &self.scratch.chunk_spikes {
            for &id in buf {
                report.spikes.push(NeuronId(id));
                let nn = &mut self.neurons;
                nn.prev_spike[id as usize] = nn.last_spike[id as usize];
                nn.last_spike[id as usize] = step + 1;
            }
        }

        // 4. Event-driven propagation. A delay of d steps lands at the end of step + d: d = 0 goes
        //    straight into the targets' synaptic variables (before the next update), longer delays
        //    wait in the ring slot that the update of step + d + 1 reads.
        let mask = self.ring_len - 1;
        let syn = &self.synapses;
        let (syn_ex, syn_in) = (&mut self.neurons.syn_ex, &mut self.neurons.syn_in);
        // The target word is (post << 1) | receptor; rows of one projection share the receptor, so
        // the branch is well predicted.
        let mut deliver = |t: u32, w: f64| {
            let post = (t >> 1) as usize;
            if t & 1 == 0 { syn_ex[post] += w } else { syn_in[post] += w }
        };
        for id in &report.spikes {
            let r = syn.row(*id);
            if syn.delay.is_empty() {
                for (t, w) in syn.target[r.clone()].iter().zip(&syn.weight[r]) {
                    deliver(*t, *w as f64);
                }
            } else {
                for s in r {
                    let d = syn.delay[s] as usize;
                    if d == 0 {
                        deliver(syn.target[s], syn.weight[s] as f64);
                    } else {
                        let slot = (step as usize + d) & mask;
                        self.inbox[slot * 2 * n + syn.target[s] as usize] += syn.weight[s];
                    }
                }
            }
        }

        // 5. External spikes arrive at the end of this step.
        for (k, input) in self.inputs.iter_mut().enumerate() {
            match input {
                Input::Poisson(p) => {
                    let r = p.receptor.index();
                    for &t in &p.targets {
                        let mut rng = CounterRng::new(self.seed, step, t as u64, stream::POISSON_INPUT + k as u64);
                        let count = rng.poisson(p.lambda);
                        if count > 0 {
                            deliver((t << 1) | r, count as f64 * p.weight as f64);
                        }
                    }
                }
                Input::SpikeList(s) => {
                    let r = s.receptor.index();
                    while s.cursor < s.events.len() && s.events[s.cursor].0 <= step {
                        let (at, t) = s.events[s.cursor];
                        if at == step {
                            deliver((t << 1) | r, s.weight as f64);
                        }
                        s.cursor += 1;
                    }
                }
                Input::Reward(rw) => {
                    while rw.cursor < rw.events.len() && rw.events[rw.cursor].0 <= step {
                        let (at, amount) = rw.events[rw.cursor];
                        if at == step {
                            report.rewards.push(amount);
                        }
                        rw.cursor += 1;
                    }
                }
                Input::Current(_) => {}
            }
        }

        self.step += 1;
    }

    /// Takes one step whose spikes are given, not computed (a recording replayed): `spikes`, in
    /// ascending id order without repeats, are written into the spike-time columns and `report` as
    /// [`Network::advance`] would write them; nothing is integrated, propagated or delivered.
    pub fn impose_step(&mut self, spikes: &[u32], report: &mut StepReport) {
        let step = self.step;
        report.spikes.clear();
        report.rewards.clear();
        report.step = step;
        report.time_ms = (step + 1) as f64 * self.dt_ms;
        let nn = &mut self.neurons;
        for &id in spikes {
            if let Some(last) = nn.last_spike.get_mut(id as usize) {
                nn.prev_spike[id as usize] = *last;
                *last = step + 1;
                report.spikes.push(NeuronId(id));
            }
        }
        self.step += 1;
    }

    /// Moves the clock to `step` with no spike remembered (every neuron's spike times cleared):
    /// where a replay jumps to; the caller then imposes what came just before.
    pub fn restart_clock_at(&mut self, step: u64) {
        self.step = step;
        self.neurons.last_spike.fill(u64::MAX);
        self.neurons.prev_spike.fill(u64::MAX);
    }

    /// Runs `steps` steps, calling `on_step` after each with its report.
    pub fn run(&mut self, steps: u64, report: &mut StepReport, mut on_step: impl FnMut(&StepReport)) {
        for _ in 0..steps {
            self.step(report);
            on_step(report);
        }
    }
}
