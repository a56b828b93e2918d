//! NeuroML2 networks as scenes: `iafCell` / `iafRefCell` cells (LIF, the leak a conductance),
//! `adExIaFCell` (adaptive exponential) and `izhikevich2007Cell` (both under current synapses) —
//! conductance-based under `expOneSynapse` (a target's excitatory and inhibitory reversal
//! potentials and time constants come from the synapses onto it), current-based under
//! `expCurrentSynapse` / `alphaCurrentSynapse` (the sign from `ibase`) — `gapJunction` couplings,
//! `pulseGenerator` and `poissonFiringSynapse` inputs, and a `network` of `population`s (a size,
//! or `instance`s with their `location`), `projection`s of `connection` / `connectionWD` (weights
//! scale the base, delays as written), `electricalProjection`s and `inputList`s. Units are read as
//! written ("1.0 nF", "-50mV"). Anything else in the file is refused by name, with its line,
//! rather than ignored.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use quick_xml::events::Event;

use crate::scene::format::{Dist, InitSpec, InputSpec, Layout, PopulationSpec, SCENE_VERSION, SceneFile};
mod cells;

use cells::{AdExPart, Cell, CellKind, IzhPart};

use crate::sim::{Dim, PscShape, Quantity, Receptor};

/// One element: its name, attributes, parent and line.
struct Element {
    name: String,
    attrs: HashMap<String, String>,
    parent: Option<usize>,
    line: usize,
}

/// The elements of an XML text, in document order.
fn elements(text: &str, file: &str) -> Result<Vec<Element>, String> {
    let mut reader = quick_xml::Reader::from_str(text);
    let line_of = |offset: u64| text[..(offset as usize).min(text.len())].matches('\n').count() + 1;
    let (mut out, mut open): (Vec<Element>, Vec<usize>) = (Vec::new(), Vec::new());
    loop {
        let before = reader.buffer_position();
        let event =
            reader.read_event().map_err(|e| format!("{file}:{}: not XML: {e}", line_of(reader.error_position())))?;
        let (start, empty) = match &event {
            Event::Start(s) => (s, false),
            Event::Empty(s) => (s, true),
            Event::End(_) => {
                open.pop();
                continue;
            }
            Event::Eof => break,
            _ => continue,
        };
        let name = String::from_utf8_lossy(start.local_name().as_ref()).into_owned();
        let mut attrs = HashMap::new();
        for a in start.attributes() {
            let a = a.map_err(|e| format!("{file}:{}: bad attribute: {e}", line_of(before)))?;
            let key = String::from_utf8_lossy(a.key.local_name().as_ref()).into_owned();
            let value = a
                .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .map_err(|e| format!("{file}:{}: bad attribute {key}: {e}", line_of(before)))?;
            attrs.insert(key, value.into_owned());
        }
        out.push(Element { name, attrs, parent: open.last().copied(), line: line_of(before) });
        if !empty {
            open.push(out.len() - 1);
        }
    }
    Ok(out)
}

/// A NeuroML quantity ("10 nS", "-50mV", "0.5nA", "5ms") in our engine unit for `dim`.
fn quantity(text: &str, dim: Dim) -> Result<f64, String> {
    let t = text.trim();
    let split = t.find(|c: char| c.is_ascii_alphabetic() && c != 'e' && c != 'E').unwrap_or(t.len());
    let (number, unit) = (t[..split].trim(), t[split..].trim());
    let value: f64 = number.parse().map_err(|_| format!("`{text}` is not a number with a unit"))?;
    let factor = match (dim, unit) {
        (Dim::Time, "ms") => 1.0,
        (Dim::Time, "s") => 1e3,
        (Dim::Voltage, "mV") => 1.0,
        (Dim::Voltage, "V") => 1e3,
        (Dim::Capacitance, "pF") => 1.0,
        (Dim::Capacitance, "nF") => 1e3,
        (Dim::Capacitance, "uF") => 1e6,
        (Dim::Conductance, "nS") => 1.0,
        (Dim::Conductance, "pS") => 1e-3,
        (Dim::Conductance, "uS") => 1e3,
        (Dim::Conductance, "mS") => 1e6,
        (Dim::Current, "pA") => 1.0,
        (Dim::Current, "nA") => 1e3,
        (Dim::Current, "uA") => 1e6,
        (Dim::Dimensionless, "") => 1.0,
        (Dim::Rate, "Hz") => 1.0,
        (Dim::Rate, "per_s") => 1.0,
        (Dim::Rate, "per_ms") => 1e3,
        _ => return Err(format!("`{text}`: unit `{unit}` is not one NeuroML uses for {}", dim.describe())),
    };
    let v = value * factor;
    if v.is_finite() && v.abs() <= Quantity::MAGNITUDE { Ok(v) } else { Err(format!("`{text}` is out of range")) }
}

/// `file:line: <element>: message`.
fn located(file: &str, e: &Element, m: String) -> String {
    format!("{file}:{}: <{}>: {m}", e.line, e.name)
}

/// An attribute that must be there.
fn attribute<'e>(file: &str, e: &'e Element, key: &str) -> Result<&'e str, String> {
    e.attrs.get(key).map(String::as_str).ok_or_else(|| located(file, e, format!("no `{key}`")))
}

/// A synapse of the file: a conductance with its reversal potential, or a current of a shape.
#[derive(Clone, Copy)]
struct Synapse {
    /// gbase (nS) or ibase (pA).
    base: f64,
    kind: SynapseKind,
    /// Decay time constant (ms).
    tau: f64,
    /// Rise time (ms; 0 but for an `expTwoSynapse`).
    rise: f64,
}

#[derive(Clone, Copy, PartialEq)]
enum SynapseKind {
    Conductance { e_rev: f64 },
    Current(PscShape),
}

/// How a population's neurons take their synapses (all alike: our models have one kind).
#[derive(Clone, Copy, PartialEq)]
enum Mode {
    Conductance,
    Current(PscShape),
}

impl Synapse {
    fn mode(&self) -> Mode {
        match self.kind {
            SynapseKind::Conductance { .. } => Mode::Conductance,
            SynapseKind::Current(shape) => Mode::Current(shape),
        }
    }

    /// Whether it inhibits a cell of threshold `v_th` with weight `w`.
    fn inhibits(&self, v_th: f64, w: f64) -> bool {
        match self.kind {
            SynapseKind::Conductance { e_rev } => e_rev < v_th,
            SynapseKind::Current(_) => self.base * w < 0.0,
        }
    }

    /// The receptor it asks of its target.
    fn receptor(&self) -> ReceptorKind {
        let e_rev = match self.kind {
            SynapseKind::Conductance { e_rev } => e_rev,
            SynapseKind::Current(_) => 0.0,
        };
        ReceptorKind { e_rev, tau: self.tau, rise: self.rise }
    }

    fn dim(&self) -> Dim {
        if self.mode() == Mode::Conductance { Dim::Conductance } else { Dim::Current }
    }
}

/// What one population's synapses ask of its model: one mode, and per receptor (excitatory,
/// inhibitory) one reversal potential and time course.
#[derive(Clone, Copy, Default)]
struct Receptors {
    mode: Option<Mode>,
    of: [Option<ReceptorKind>; 2],
}

/// The receptor a synapse asks of its target: reversal potential (mV; 0 for a current), decay and
/// rise time (ms).
#[derive(Clone, Copy, PartialEq)]
pub(super) struct ReceptorKind {
    pub e_rev: f64,
    pub tau: f64,
    pub rise: f64,
}

/// Records that a population `pop` takes synapse `s` on its inhibitory or excitatory receptor;
/// refuses a second kind our model cannot hold beside the first.
fn takes(r: &mut Receptors, s: &Synapse, inhibits: bool, pop: &str) -> Result<(), String> {
    match r.mode {
        Some(m) if m != s.mode() => {
            return Err(format!(
                "`{pop}` receives both conductance and current synapses (or two current shapes): our models take one kind"
            ));
        }
        _ => r.mode = Some(s.mode()),
    }
    let k = usize::from(inhibits);
    match r.of[k] {
        None => r.of[k] = Some(s.receptor()),
        Some(prev) if prev != s.receptor() => {
            let which = if inhibits { "inhibitory" } else { "excitatory" };
            let r = s.receptor();
            return Err(format!(
                "a second {which} synapse kind onto `{pop}` (erev {} mV, decay {} ms, rise {} ms after {} mV, {} ms, {} ms): a population has one of each",
                r.e_rev, r.tau, r.rise, prev.e_rev, prev.tau, prev.rise
            ));
        }
        Some(_) => {}
    }
    Ok(())
}

/// `../pop/3/cell`, `../pop[3]` or `pop[3]`: (population, index).
fn cell_ref(text: &str) -> Option<(String, u32)> {
    let t = text.trim().trim_start_matches("../");
    if let Some((pop, rest)) = t.split_once('[') {
        return Some((pop.to_string(), rest.trim_end_matches(']').parse().ok()?));
    }
    let mut parts = t.split('/');
    Some((parts.next()?.to_string(), parts.next()?.parse().ok()?))
}

/// Reads a NeuroML2 file and builds the scene.
pub fn import(path: &Path) -> Result<SceneFile, String> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| format!("{file}: cannot read: {e}"))?;
    let all = elements(&text, &file)?;
    let at = |e: &Element, m: String| located(&file, e, m);
    let q = |e: &Element, key: &str, dim: Dim| {
        attribute(&file, e, key).and_then(|v| quantity(v, dim).map_err(|m| at(e, format!("{key}: {m}"))))
    };
    // A cell's leak part, its leak conductance and reversal under the names `(g, el)`.
    let leaky = |e: &Element, (g, el): (&str, &str), t_ref: f64, kind: CellKind| -> Result<Cell, String> {
        Ok(Cell {
            c_pf: q(e, "C", Dim::Capacitance)?,
            g_ns: q(e, g, Dim::Conductance)?,
            e_l: q(e, el, Dim::Voltage)?,
            v_th: q(e, "thresh", Dim::Voltage)?,
            v_reset: q(e, "reset", Dim::Voltage)?,
            t_ref,
            kind,
        })
    };
    let mut poisson: HashMap<String, (f64, String, usize)> = HashMap::new();
    let (mut cells, mut synapses, mut gaps, mut pulses) =
        (HashMap::new(), HashMap::new(), HashMap::new(), HashMap::new());
    all.first()
        .filter(|e| e.name == "neuroml")
        .ok_or_else(|| format!("{file}: not a NeuroML2 document (no <neuroml> root)"))?;
    let mut network = None;
    for (k, e) in all.iter().enumerate() {
        if e.parent != Some(0) {
            continue;
        }
        let id = || attribute(&file, e, "id").map(str::to_string);
        match e.name.as_str() {
            "iafCell" | "iafRefCell" => {
                let t_ref = if e.name == "iafRefCell" { q(e, "refract", Dim::Time)? } else { 0.0 };
                cells.insert(id()?, leaky(e, ("leakConductance", "leakReversal"), t_ref, CellKind::Lif)?);
            }
            "adExIaFCell" => {
                let adex = AdExPart {
                    v_t: q(e, "VT", Dim::Voltage)?,
                    delta_t: q(e, "delT", Dim::Voltage)?,
                    a: q(e, "a", Dim::Conductance)?,
                    tau_w: q(e, "tauw", Dim::Time)?,
                    b: q(e, "b", Dim::Current)?,
                };
                cells.insert(id()?, leaky(e, ("gL", "EL"), q(e, "refract", Dim::Time)?, CellKind::AdEx(adex))?);
            }
            "izhikevich2007Cell" => {
                let number = |key: &str, units: &[(&str, f64)]| -> Result<f64, String> {
                    let text = attribute(&file, e, key)?;
                    cells::with_unit(text, units).map_err(|m| at(e, format!("{key}: {m}")))
                };
                let izh = IzhPart {
                    k: number("k", &[("nS_per_mV", 1.0), ("pS_per_mV", 1e-3), ("uS_per_mV", 1e3)])?,
                    v_r: q(e, "vr", Dim::Voltage)?,
                    v_t: q(e, "vt", Dim::Voltage)?,
                    a: number("a", &[("per_ms", 1.0), ("per_s", 1e-3)])?,
                    b: q(e, "b", Dim::Conductance)?,
                    d: q(e, "d", Dim::Current)?,
                    v0: q(e, "v0", Dim::Voltage)?,
                };
                let cell = Cell {
                    c_pf: q(e, "C", Dim::Capacitance)?,
                    g_ns: 0.0,
                    e_l: izh.v_r,
                    v_th: q(e, "vpeak", Dim::Voltage)?,
                    v_reset: q(e, "c", Dim::Voltage)?,
                    t_ref: 0.0,
                    kind: CellKind::Izhikevich2007(izh),
                };
                cells.insert(id()?, cell);
            }
            "expOneSynapse" | "expTwoSynapse" => {
                let rise = if e.name == "expTwoSynapse" { q(e, "tauRise", Dim::Time)? } else { 0.0 };
                if e.name == "expTwoSynapse" && rise <= 0.0 {
                    return Err(at(e, format!("tauRise: {rise} ms must be above 0 (an expOneSynapse has none)")));
                }
                let s = Synapse {
                    base: q(e, "gbase", Dim::Conductance)?,
                    kind: SynapseKind::Conductance { e_rev: q(e, "erev", Dim::Voltage)? },
                    tau: q(e, "tauDecay", Dim::Time)?,
                    rise,
                };
                synapses.insert(id()?, s);
            }
            "expCurrentSynapse" | "alphaCurrentSynapse" => {
                let shape = if e.name == "expCurrentSynapse" { PscShape::Exponential } else { PscShape::Alpha };
                let s = Synapse {
                    base: q(e, "ibase", Dim::Current)?,
                    kind: SynapseKind::Current(shape),
                    tau: q(e, "tau", Dim::Time)?,
                    rise: 0.0,
                };
                synapses.insert(id()?, s);
            }
            "poissonFiringSynapse" => {
                let rate = q(e, "averageRate", Dim::Rate)?;
                let synapse = attribute(&file, e, "synapse")?.to_string();
                poisson.insert(id()?, (rate, synapse, e.line));
            }
            "gapJunction" => {
                gaps.insert(id()?, q(e, "conductance", Dim::Conductance)?);
            }
            "pulseGenerator" => {
                let (delay, duration) = (q(e, "delay", Dim::Time)?, q(e, "duration", Dim::Time)?);
                pulses.insert(id()?, (q(e, "amplitude", Dim::Current)?, delay, delay + duration));
            }
            "network" => network = Some(k),
            "notes" | "annotation" | "include" | "property" => {}
            other => {
                return Err(at(
                    e,
                    format!(
                        "`{other}` is not imported (supported: iafCell, iafRefCell, adExIaFCell, izhikevich2007Cell, expOneSynapse, expTwoSynapse, expCurrentSynapse, alphaCurrentSynapse, gapJunction, pulseGenerator, poissonFiringSynapse, network)"
                    ),
                ));
            }
        }
    }
    let net = network.ok_or_else(|| format!("{file}: no <network>"))?;
    let children = |parent: usize| all.iter().enumerate().filter(move |(_, e)| e.parent == Some(parent));
    // Populations.
    let mut pops: Vec<(String, Cell, Vec<(f32, f32, f32)>, u32)> = Vec::new();
    for (k, e) in children(net) {
        if e.name != "population" {
            continue;
        }
        let component = attribute(&file, e, "component")?;
        let cell = *cells.get(component).ok_or_else(|| at(e, format!("no cell `{component}` in the file")))?;
        let mut positions = Vec::new();
        for (i, inst) in children(k).filter(|(_, c)| c.name == "instance") {
            let loc = children(i)
                .find(|(_, c)| c.name == "location")
                .map(|(_, c)| c)
                .ok_or_else(|| at(inst, "no <location>".into()))?;
            let c = |key: &str| {
                attribute(&file, loc, key)?.parse::<f32>().map_err(|_| at(loc, format!("{key} is not a number")))
            };
            positions.push((c("x")?, c("y")?, c("z")?));
        }
        let size = match e.attrs.get("size") {
            Some(s) => s.parse::<u32>().map_err(|_| at(e, format!("size `{s}` is not a count")))?,
            None => positions.len() as u32,
        };
        if !positions.is_empty() && positions.len() != size as usize {
            return Err(at(e, format!("size {size} but {} instances", positions.len())));
        }
        pops.push((attribute(&file, e, "id")?.to_string(), cell, positions, size));
    }
    if pops.is_empty() {
        return Err(format!("{file}: the network has no population"));
    }
    let pop_index = |name: &str| pops.iter().position(|p| p.0 == name);
    let resolve = |e: &Element, key: &str| -> Result<(usize, u32), String> {
        let v = attribute(&file, e, key)?;
        let (pop, i) = cell_ref(v).ok_or_else(|| at(e, format!("{key} `{v}` is not a cell reference")))?;
        let p = pop_index(&pop).ok_or_else(|| at(e, format!("{key}: no population `{pop}`")))?;
        if i >= pops[p].3 {
            return Err(at(e, format!("{key}: `{pop}` has {} cells, not {}", pops[p].3, i + 1)));
        }
        Ok((p, i))
    };
    // Chemical connections, grouped by (source, target, synapse, weight, delay).
    let mut groups: BTreeMap<(usize, usize, String, u64, u64), Vec<(u32, u32)>> = BTreeMap::new();
    let mut receptor_of: Vec<Receptors> = vec![Receptors::default(); pops.len()];
    let mut electrical: BTreeMap<(usize, usize, u64), Vec<(u32, u32)>> = BTreeMap::new();
    let mut inputs: BTreeMap<(usize, String), Vec<u32>> = BTreeMap::new();
    for (k, e) in children(net) {
        match e.name.as_str() {
            "population" => {}
            "projection" => {
                let name = attribute(&file, e, "synapse")?;
                let s = *synapses.get(name).ok_or_else(|| at(e, format!("no synapse `{name}` in the file")))?;
                for (_, c) in children(k) {
                    let ((ps, i), (pt, j)) = (resolve(c, "preCellId")?, resolve(c, "postCellId")?);
                    let w = match c.attrs.get("weight") {
                        Some(w) => w.parse::<f64>().map_err(|_| at(c, format!("weight `{w}` is not a number")))?,
                        None => 1.0,
                    };
                    let d = c
                        .attrs
                        .get("delay")
                        .map(|d| quantity(d, Dim::Time).map_err(|m| at(c, m)))
                        .transpose()?
                        .unwrap_or(0.0);
                    let inhibits = s.inhibits(pops[pt].1.v_th, w);
                    takes(&mut receptor_of[pt], &s, inhibits, &pops[pt].0).map_err(|m| at(e, m))?;
                    groups
                        .entry((ps, pt, name.to_string(), (s.base * w).to_bits(), d.to_bits()))
                        .or_default()
                        .push((i, j));
                }
            }
            "electricalProjection" => {
                for (_, c) in children(k) {
                    let ((ps, i), (pt, j)) = (resolve(c, "preCell")?, resolve(c, "postCell")?);
                    let name = attribute(&file, c, "synapse")?;
                    let g = *gaps.get(name).ok_or_else(|| at(c, format!("no gapJunction `{name}` in the file")))?;
                    electrical.entry((ps, pt, g.to_bits())).or_default().push((i, j));
                }
            }
            "inputList" => {
                let component = attribute(&file, e, "component")?.to_string();
                if let Some((_, syn, line)) = poisson.get(&component) {
                    let s =
                        *synapses.get(syn).ok_or_else(|| format!("{file}:{line}: no synapse `{syn}` in the file"))?;
                    let p = pop_index(attribute(&file, e, "population")?)
                        .ok_or_else(|| at(e, "no such population".into()))?;
                    takes(&mut receptor_of[p], &s, s.inhibits(pops[p].1.v_th, 1.0), &pops[p].0)
                        .map_err(|m| at(e, m))?;
                } else if !pulses.contains_key(&component) {
                    return Err(at(e, format!("no pulseGenerator or poissonFiringSynapse `{component}` in the file")));
                }
                for (_, c) in children(k) {
                    let (p, i) = resolve(c, "target")?;
                    inputs.entry((p, component.clone())).or_default().push(i);
                }
            }
            other => return Err(at(e, format!("`{other}` in a network is not imported"))),
        }
    }
    let populations = pops
        .iter()
        .enumerate()
        .map(|(p, (name, cell, positions, size))| {
            let Receptors { mode, of: [ex, inh] } = receptor_of[p];
            let model = cells::model(cell, mode, (ex, inh)).map_err(|m| format!("{file}: population `{name}`: {m}"))?;
            Ok(PopulationSpec {
                name: name.clone(),
                size: *size,
                model,
                layout: if positions.is_empty() { Layout::default() } else { Layout::Positions(positions.clone()) },
                init: InitSpec {
                    v: Some(Dist::Constant(Quantity::new(cell.v_init(), Dim::Voltage))),
                    ..InitSpec::default()
                },
                intrinsic: None,
                neurogenesis: None,
                neuron_names: Vec::new(),
            })
        })
        .collect::<Result<Vec<_>, String>>()?;
    let name = |p: usize| pops[p].0.clone();
    let projections = groups
        .into_iter()
        .enumerate()
        .map(|(n, ((s, t, syn, g, d), pairs))| {
            let kind = synapses[&syn];
            let inhibitory = kind.inhibits(pops[t].1.v_th, f64::from_bits(g) / kind.base);
            super::pairs_projection(
                format!("{syn} {}->{} #{n}", name(s), name(t)),
                (name(s), name(t)),
                pairs,
                (Quantity::new(f64::from_bits(g), kind.dim()), Quantity::new(f64::from_bits(d), Dim::Time)),
                if inhibitory { Receptor::Inhibitory } else { Receptor::Excitatory },
            )
        })
        .collect();
    let gap_junctions = electrical
        .into_iter()
        .map(|((s, t, g), pairs)| {
            super::pairs_coupling((name(s), name(t)), pairs, Quantity::new(f64::from_bits(g), Dim::Conductance))
        })
        .collect();
    let inputs = inputs
        .into_iter()
        .map(|((p, component), neurons)| match poisson.get(&component) {
            Some((rate, syn, _)) => {
                let s = synapses[syn];
                InputSpec::Poisson {
                    target: name(p),
                    neurons: Some(neurons),
                    sources: 1,
                    rate: Quantity::new(*rate, Dim::Rate),
                    weight: Quantity::new(s.base, s.dim()),
                    receptor: if s.inhibits(pops[p].1.v_th, 1.0) { Receptor::Inhibitory } else { Receptor::Excitatory },
                }
            }
            None => {
                let (amp, start, stop) = pulses[&component];
                InputSpec::Current {
                    target: name(p),
                    neurons: Some(neurons),
                    amplitude: Quantity::new(amp, Dim::Current),
                    start: Some(Quantity::new(start, Dim::Time)),
                    stop: Some(Quantity::new(stop, Dim::Time)),
                }
            }
        })
        .collect();
    Ok(SceneFile {
        version: SCENE_VERSION,
        name: all[net].attrs.get("id").cloned().unwrap_or_else(|| "NeuroML network".into()),
        description: format!("Imported from the NeuroML2 file {file}."),
        dt: Quantity::new(0.1, Dim::Time),
        seed: 1,
        populations,
        projections,
        gap_junctions,
        inputs,
        structural_plasticity: None,
        attention_edges: None,
        camera: None,
        display_positions: Vec::new(),
        recording: None,
        sonata: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn neuroml_units_and_cell_references() {
        assert_eq!(quantity("1.0 nF", Dim::Capacitance).unwrap(), 1000.0);
        assert_eq!(quantity("-50mV", Dim::Voltage).unwrap(), -50.0);
        assert_eq!(quantity("0.5nA", Dim::Current).unwrap(), 500.0);
        assert_eq!(quantity("200pS", Dim::Conductance).unwrap(), 0.2);
        assert_eq!(quantity("1e-3 s", Dim::Time).unwrap(), 1.0);
        assert!(quantity("5 parsec", Dim::Time).is_err());
        assert_eq!(cell_ref("../popA/3/iaf"), Some(("popA".into(), 3)));
        assert_eq!(cell_ref("../popB[12]"), Some(("popB".into(), 12)));
        assert_eq!(cell_ref("nonsense"), None);
    }
}
