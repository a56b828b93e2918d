//! The per-neuron columns, listed once: [`Neurons`] (the struct-of-arrays the network owns),
//! [`NeuronValues`] (one neuron's values, what adding a neuron pushes), [`StateSlices`] (the columns
//! the neuron update changes, for one run of neurons) and the raw column pointers that hand
//! disjoint runs to parallel work items.

use serde::{Deserialize, Serialize};

use super::ids::PopulationId;

/// Generates the column types from one list: first the columns the neuron update changes, then
/// the others.
macro_rules! neuron_columns {
    (
        updated { $($(#[$udoc:meta])* $u:ident: $ut:ty,)* }
        other { $($(#[$odoc:meta])* $o:ident: $ot:ty,)* }
    ) => {
        /// Per-neuron state columns, indexed by `NeuronId`.
        #[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
        pub struct Neurons {
            $($(#[$udoc])* pub $u: Vec<$ut>,)*
            $($(#[$odoc])* pub $o: Vec<$ot>,)*
        }

        /// The values of one neuron, in every column.
        #[derive(Clone, Copy, Debug, PartialEq)]
        pub struct NeuronValues {
            $($(#[$udoc])* pub $u: $ut,)*
            $($(#[$odoc])* pub $o: $ot,)*
        }

        impl Neurons {
            /// Appends one neuron.
            pub fn push(&mut self, n: NeuronValues) {
                $(self.$u.push(n.$u);)*
                $(self.$o.push(n.$o);)*
            }

            /// The first column whose length is not `n` (a decoded file must not be trusted).
            pub fn column_not_of_length(&self, n: usize) -> Option<&'static str> {
                $(if self.$u.len() != n { return Some(stringify!($u)); })*
                $(if self.$o.len() != n { return Some(stringify!($o)); })*
                None
            }
        }

        /// The columns the neuron update changes, for one contiguous run of neurons.
        pub struct StateSlices<'a> {
            $($(#[$udoc])* pub $u: &'a mut [$ut],)*
        }

        /// Raw pointers to the updated columns and to the delayed input arriving now (two values
        /// per neuron), so that disjoint runs can be updated in parallel.
        #[derive(Clone, Copy)]
        pub(crate) struct ColumnPointers {
            $($u: *mut $ut,)*
            inbox: *mut f32,
            len: usize,
        }

        impl ColumnPointers {
            /// Pointers into `neurons`' updated columns and into `inbox` (interleaved excitatory and
            /// inhibitory input per neuron, if any).
            pub(crate) fn of(neurons: &mut Neurons, inbox: Option<&mut [f32]>) -> Self {
                let len = neurons.v.len();
                let inbox = match inbox {
                    Some(slot) => {
                        assert_eq!(slot.len(), 2 * len, "two inbox values per neuron");
                        slot.as_mut_ptr()
                    }
                    None => std::ptr::null_mut(),
                };
                Self { $($u: neurons.$u.as_mut_ptr(),)* inbox, len }
            }

            /// The columns' elements `a..b`, and their inbox values.
            ///
            /// # Safety
            /// `a <= b <= len`, the columns outlive `'a` unmoved, and no two live results overlap.
            pub(crate) unsafe fn slices<'a>(&self, a: usize, b: usize) -> (StateSlices<'a>, Option<&'a mut [f32]>) {
                assert!(a <= b && b <= self.len);
                let m = b - a;
                // SAFETY: in bounds by the assert; exclusive and alive by the caller's contract.
                unsafe {
                    let state = StateSlices { $($u: std::slice::from_raw_parts_mut(self.$u.add(a), m),)* };
                    let inbox = (!self.inbox.is_null()).then(|| std::slice::from_raw_parts_mut(self.inbox.add(2 * a), 2 * m));
                    (state, inbox)
                }
            }
        }
    };
}

neuron_columns! {
    updated {
        /// Membrane potential (mV).
        v: f64,
        /// Excitatory synaptic current (pA) or conductance (nS).
        syn_ex: f64,
        /// Inhibitory synaptic current (pA) or conductance (nS).
        syn_in: f64,
        /// Excitatory alpha-shaped current (pA) of neurons with alpha synapses (0 for other models).
        psc_ex: f64,
        /// Inhibitory alpha-shaped current (pA) of neurons with alpha synapses (0 for other models).
        psc_in: f64,
        /// Adaptation (Izhikevich u, AdEx w; a Poisson source's next spike step).
        adapt: f64,
        /// Remaining refractory steps.
        refractory: u32,
    }
    other {
        /// Grid index (time / dt: the end of the step) of the last spike; `u64::MAX` if it never
        /// spiked. The one record of spike times the UI, the plots and the GPU read.
        last_spike: u64,
        /// Grid index of the spike before the last (`u64::MAX`: fewer than two spikes), for the
        /// last inter-spike interval.
        prev_spike: u64,
        /// Owning population.
        population: PopulationId,
        /// Position in space (µm), for layouts, distance rules and the 3D view.
        position: [f32; 3],
        /// Current injected by `Current` inputs (pA), refreshed when one starts or stops.
        i_inj: f64,
        /// Threshold offset from intrinsic plasticity (mV), added to the model's threshold.
        theta: f64,
    }
}

// SAFETY: the pointers are only turned into slices for disjoint ranges (see
// `ColumnPointers::slices`), each used by one work item at a time.
unsafe impl Send for ColumnPointers {}
unsafe impl Sync for ColumnPointers {}

impl NeuronValues {
    /// A neuron of `population` at `position` with membrane potential `v`, synaptic variables
    /// `(ex, inh)` and adaptation `adapt`; everything else at rest (no spike yet, no injected
    /// current, no threshold offset).
    pub fn at_rest(population: PopulationId, position: [f32; 3], v: f64, (ex, inh): (f64, f64), adapt: f64) -> Self {
        Self {
            v,
            syn_ex: ex,
            syn_in: inh,
            psc_ex: 0.0,
            psc_in: 0.0,
            adapt,
            refractory: 0,
            last_spike: u64::MAX,
            prev_spike: u64::MAX,
            population,
            position,
            i_inj: 0.0,
            theta: 0.0,
        }
    }
}
