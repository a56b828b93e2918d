//! A network as a graph file for Gephi, Cytoscape and networkx: GraphML or GEXF 1.2 (the version Gephi and networkx both read). Nodes are the
//! neurons (population, name, position in µm); edges are the chemical synapses summed per
//! (pre, post, receptor) — `weight` is the summed weight in the target's engine unit (pA or nS),
//! `count` the synapses joined (multapses) — and the gap junctions, written once each way (kind
//! `electrical`, weight the conductance in nS), so every edge of the file is directed.

use std::collections::BTreeMap;
use std::fmt::Write;

use crate::sim::Network;

/// One edge of the exported graph.
struct GraphEdge {
    source: u32,
    target: u32,
    weight: f64,
    count: u32,
    kind: &'static str,
}

/// The edges of `net`, in (source, target, kind) order.
fn edges(net: &Network) -> Vec<GraphEdge> {
    let mut summed: BTreeMap<(u32, u32, &'static str), (f64, u32)> = BTreeMap::new();
    let syn = &net.synapses;
    for pre in 0..net.num_neurons() as u32 {
        for s in syn.row(crate::sim::NeuronId(pre)) {
            let kind = if syn.target[s] & 1 == 0 { "excitatory" } else { "inhibitory" };
            let e = summed.entry((pre, syn.post(s).0, kind)).or_insert((0.0, 0));
            e.0 += f64::from(syn.weight[s]);
            e.1 += 1;
        }
    }
    let gap = &net.gap_junctions;
    if !gap.partner.is_empty() {
        for i in 0..net.num_neurons() {
            for k in gap.row_start[i] as usize..gap.row_start[i + 1] as usize {
                let e = summed.entry((i as u32, gap.partner[k], "electrical")).or_insert((0.0, 0));
                e.0 += f64::from(gap.g_ns[k]);
                e.1 += 1;
            }
        }
    }
    summed
        .into_iter()
        .map(|((source, target, kind), (weight, count))| GraphEdge { source, target, weight, count, kind })
        .collect()
}

/// Text safe inside an XML attribute or element.
fn xml(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// The population name and the own name (empty without one) of every neuron.
fn labels(net: &Network, names: &[Vec<String>]) -> Vec<(String, String)> {
    let mut out = vec![(String::new(), String::new()); net.num_neurons()];
    for (p, pop) in net.populations.iter().enumerate() {
        let own = names.get(p).filter(|n| !n.is_empty());
        for (local, i) in net.population_neurons(crate::sim::PopulationId(p as u16)).enumerate() {
            let name = own.and_then(|n| n.get(local)).cloned().unwrap_or_default();
            out[i as usize] = (pop.name.clone(), name);
        }
    }
    out
}

/// `net` as GraphML; `names[p]` are population p's neuron names (may be empty).
pub fn graphml(net: &Network, names: &[Vec<String>]) -> String {
    let mut s = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    s.push_str("<graphml xmlns=\"http://graphml.graphdrawing.org/xmlns\">\n");
    for (id, on, ty) in [
        ("population", "node", "string"),
        ("name", "node", "string"),
        ("x", "node", "double"),
        ("y", "node", "double"),
        ("z", "node", "double"),
        ("weight", "edge", "double"),
        ("count", "edge", "int"),
        ("kind", "edge", "string"),
    ] {
        let _ = writeln!(s, "  <key id=\"{id}\" for=\"{on}\" attr.name=\"{id}\" attr.type=\"{ty}\"/>");
    }
    s.push_str("  <graph id=\"network\" edgedefault=\"directed\">\n");
    for (i, (pop, name)) in labels(net, names).iter().enumerate() {
        let p = net.neurons.position[i];
        let _ = write!(s, "    <node id=\"n{i}\"><data key=\"population\">{}</data>", xml(pop));
        if !name.is_empty() {
            let _ = write!(s, "<data key=\"name\">{}</data>", xml(name));
        }
        let _ = writeln!(
            s,
            "<data key=\"x\">{}</data><data key=\"y\">{}</data><data key=\"z\">{}</data></node>",
            p[0], p[1], p[2]
        );
    }
    for (k, e) in edges(net).iter().enumerate() {
        let _ = writeln!(
            s,
            "    <edge id=\"e{k}\" source=\"n{}\" target=\"n{}\"><data key=\"weight\">{}</data><data key=\"count\">{}</data><data key=\"kind\">{}</data></edge>",
            e.source, e.target, e.weight, e.count, e.kind
        );
    }
    s.push_str("  </graph>\n</graphml>\n");
    s
}

/// `net` as GEXF 1.2 (positions as `viz:position`, what Gephi draws).
pub fn gexf(net: &Network, names: &[Vec<String>]) -> String {
    let mut s = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    s.push_str(
        "<gexf xmlns=\"http://www.gexf.net/1.2draft\" xmlns:viz=\"http://www.gexf.net/1.2draft/viz\" version=\"1.2\">\n",
    );
    s.push_str("  <meta><creator>Neuroplast</creator><description>neurons and synapses; weights in pA or nS</description></meta>\n");
    s.push_str("  <graph defaultedgetype=\"directed\" mode=\"static\">\n");
    s.push_str("    <attributes class=\"node\"><attribute id=\"population\" title=\"population\" type=\"string\"/></attributes>\n");
    s.push_str("    <attributes class=\"edge\"><attribute id=\"count\" title=\"count\" type=\"integer\"/><attribute id=\"kind\" title=\"kind\" type=\"string\"/></attributes>\n");
    s.push_str("    <nodes>\n");
    for (i, (pop, name)) in labels(net, names).iter().enumerate() {
        let p = net.neurons.position[i];
        let label = if name.is_empty() { i.to_string() } else { xml(name) };
        let _ = writeln!(
            s,
            "      <node id=\"{i}\" label=\"{label}\"><attvalues><attvalue for=\"population\" value=\"{}\"/></attvalues><viz:position x=\"{}\" y=\"{}\" z=\"{}\"/></node>",
            xml(pop),
            p[0],
            p[1],
            p[2]
        );
    }
    s.push_str("    </nodes>\n    <edges>\n");
    for (k, e) in edges(net).iter().enumerate() {
        let _ = writeln!(
            s,
            "      <edge id=\"{k}\" source=\"{}\" target=\"{}\" weight=\"{}\"><attvalues><attvalue for=\"count\" value=\"{}\"/><attvalue for=\"kind\" value=\"{}\"/></attvalues></edge>",
            e.source, e.target, e.weight, e.count, e.kind
        );
    }
    s.push_str("    </edges>\n  </graph>\n</gexf>\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_in_names_is_escaped() {
        assert_eq!(xml("a<b & \"c\">"), "a&lt;b &amp; &quot;c&quot;&gt;");
    }
}
