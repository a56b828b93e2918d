//! NeuroML2 networks as scenes: `iafCell` / `iafRefCell` cells (as conductance-based LIF, the
//! leak a conductance), `expOneSynapse` synapses (a target's excitatory and inhibitory reversal
//! potentials and time constants come from the synapses onto it), `gapJunction` couplings,
//! `pulseGenerator` inputs, and a `network` of `population`s (a size, or `instance`s with their
//! `location`), `projection`s of `connection` / `connectionWD` (weights scale `gbase`, delays as
//! written), `electricalProjection`s and `inputList`s. Units are read as written ("1.0 nF",
//! "-50mV"). Anything else in the file is refused by name, with its line, rather than ignored.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use quick_xml::events::Event;

use crate::scene::format::{
    Connectivity, Dist, GapJunctionSpec, InitSpec, InputSpec, Layout, PopulationSpec, ProjectionSpec, SCENE_VERSION,
    SceneFile,
};
use crate::sim::{Dim, LifConductance, NeuronModel, Quantity, Receptor};

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

/// A cell of the file.
#[derive(Clone, Copy)]
struct Cell {
    c_pf: f64,
    g_ns: f64,
    e_l: f64,
    v_th: f64,
    v_reset: f64,
    t_ref: f64,
}

/// A synapse of the file.
#[derive(Clone, Copy)]
struct Synapse {
    g_ns: f64,
    e_rev: f64,
    tau: f64,
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
                let cell = Cell {
                    c_pf: q(e, "C", Dim::Capacitance)?,
                    g_ns: q(e, "leakConductance", Dim::Conductance)?,
                    e_l: q(e, "leakReversal", Dim::Voltage)?,
                    v_th: q(e, "thresh", Dim::Voltage)?,
                    v_reset: q(e, "reset", Dim::Voltage)?,
                    t_ref,
                };
                cells.insert(id()?, cell);
            }
            "expOneSynapse" => {
                let s = Synapse {
                    g_ns: q(e, "gbase", Dim::Conductance)?,
                    e_rev: q(e, "erev", Dim::Voltage)?,
                    tau: q(e, "tauDecay", Dim::Time)?,
                };
                synapses.insert(id()?, s);
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
                        "`{other}` is not imported (supported: iafCell, iafRefCell, expOneSynapse, gapJunction, pulseGenerator, network)"
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
    let mut receptor_of: Vec<[Option<(f64, f64)>; 2]> = vec![[None, None]; pops.len()];
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
                    // A synapse reversing above threshold excites.
                    let r = usize::from(s.e_rev < pops[pt].1.v_th);
                    match receptor_of[pt][r] {
                        None => receptor_of[pt][r] = Some((s.e_rev, s.tau)),
                        Some(prev) if prev != (s.e_rev, s.tau) => {
                            return Err(at(
                                e,
                                format!(
                                    "a second {} synapse kind onto `{}` (erev {} mV, tau {} ms after {} mV, {} ms): a population has one of each",
                                    if r == 0 { "excitatory" } else { "inhibitory" },
                                    pops[pt].0,
                                    s.e_rev,
                                    s.tau,
                                    prev.0,
                                    prev.1
                                ),
                            ));
                        }
                        Some(_) => {}
                    }
                    groups
                        .entry((ps, pt, name.to_string(), (s.g_ns * w).to_bits(), d.to_bits()))
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
                if !pulses.contains_key(&component) {
                    return Err(at(e, format!("no pulseGenerator `{component}` in the file")));
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
            let [ex, inh] = receptor_of[p];
            let (e_ex, tau_ex) = ex.unwrap_or((0.0, 5.0));
            let (e_in, tau_in) = inh.unwrap_or((-80.0, 10.0));
            PopulationSpec {
                name: name.clone(),
                size: *size,
                model: NeuronModel::LifConductance(LifConductance {
                    c_m: cell.c_pf,
                    g_l: cell.g_ns,
                    e_l: cell.e_l,
                    v_th: cell.v_th,
                    v_reset: cell.v_reset,
                    t_ref: cell.t_ref,
                    e_ex,
                    e_in,
                    tau_syn_ex: tau_ex,
                    tau_syn_in: tau_in,
                    i_e: 0.0,
                }),
                layout: if positions.is_empty() { Layout::default() } else { Layout::Positions(positions.clone()) },
                init: InitSpec {
                    v: Some(Dist::Constant(Quantity::new(cell.e_l, Dim::Voltage))),
                    ..InitSpec::default()
                },
                intrinsic: None,
                neurogenesis: None,
                neuron_names: Vec::new(),
            }
        })
        .collect();
    let name = |p: usize| pops[p].0.clone();
    let projections = groups
        .into_iter()
        .enumerate()
        .map(|(n, ((s, t, syn, g, d), pairs))| {
            let inhibitory = synapses[&syn].e_rev < pops[t].1.v_th;
            ProjectionSpec {
                name: format!("{syn} {}->{} #{n}", name(s), name(t)),
                source: name(s),
                target: name(t),
                connectivity: Connectivity::Pairs(pairs),
                weight: Dist::Constant(Quantity::new(f64::from_bits(g), Dim::Conductance)),
                delay: Dist::Constant(Quantity::new(f64::from_bits(d), Dim::Time)),
                receptor: if inhibitory { Receptor::Inhibitory } else { Receptor::Excitatory },
                plasticity: None,
                pruning: None,
            }
        })
        .collect();
    let gap_junctions = electrical
        .into_iter()
        .map(|((s, t, g), pairs)| GapJunctionSpec {
            source: name(s),
            target: name(t),
            connectivity: Connectivity::Pairs(pairs),
            conductance: Dist::Constant(Quantity::new(f64::from_bits(g), Dim::Conductance)),
        })
        .collect();
    let inputs = inputs
        .into_iter()
        .map(|((p, component), neurons)| {
            let (amp, start, stop) = pulses[&component];
            InputSpec::Current {
                target: name(p),
                neurons: Some(neurons),
                amplitude: Quantity::new(amp, Dim::Current),
                start: Some(Quantity::new(start, Dim::Time)),
                stop: Some(Quantity::new(stop, Dim::Time)),
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
