//! The neurogenesis lineage: neurons born by division as a petgraph tree (parent → child), drawn
//! as nested lists from each founder (a neuron of the scene that divided); clicking one picks it.

use bevy_egui::egui;
use petgraph::Direction;
use petgraph::graphmap::DiGraphMap;

use super::UiView;
use crate::app::bridge::SimRequest;
use crate::sim::NeuronId;

/// Most neurons listed (the tree's counts cover them all).
const LISTED: usize = 400;

/// The lineage forest: an edge from each parent to each child, weighted by the birth time (ms).
#[derive(Debug, Default)]
pub struct Lineage {
    /// The forest.
    pub tree: DiGraphMap<u32, f64>,
}

impl Lineage {
    /// The forest of `births`: (child, parent, time of birth in ms); births without a parent are
    /// roots of their own.
    pub fn from_births(births: impl IntoIterator<Item = (u32, Option<u32>, f64)>) -> Self {
        let mut tree = DiGraphMap::new();
        for (child, parent, time) in births {
            tree.add_node(child);
            if let Some(p) = parent {
                tree.add_edge(p, child, time);
            }
        }
        Self { tree }
    }

    /// The founders: neurons with children and no parent in the forest, in id order.
    pub fn founders(&self) -> Vec<u32> {
        let mut f: Vec<u32> = self
            .tree
            .nodes()
            .filter(|&n| self.tree.neighbors_directed(n, Direction::Incoming).next().is_none())
            .collect();
        f.sort_unstable();
        f
    }

    /// A neuron's children, oldest first (by birth time, then id).
    pub fn children(&self, n: u32) -> Vec<(u32, f64)> {
        let mut c: Vec<(u32, f64)> = self.tree.edges(n).map(|(_, child, &t)| (child, t)).collect();
        c.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
        c
    }

    /// Generations below `n` (0 for a neuron without children).
    pub fn depth(&self, n: u32) -> usize {
        self.tree.neighbors(n).map(|c| 1 + self.depth(c)).max().unwrap_or(0)
    }
}

/// The Lineage section: counts, then each founder's descendants as nested lists.
pub fn lineage_section(ui: &mut egui::Ui, view: &UiView, out: &mut Vec<SimRequest>) {
    let births = view.lineage.iter().map(|(n, b)| (n.0.0, b.parent.map(|p| p.0), b.time_ms));
    let lineage = Lineage::from_births(births);
    let born = view.lineage.iter().count();
    if born == 0 {
        return;
    }
    let founders = lineage.founders();
    let deepest = founders.iter().map(|&f| lineage.depth(f)).max().unwrap_or(0);
    egui::CollapsingHeader::new(format!("Lineage: {born} born, {} founders", founders.len()))
        .id_salt("lineage")
        .default_open(false)
        .show(ui, |ui| {
            ui.label(egui::RichText::new(format!("{deepest} generations at most; click a neuron to pick it")).small());
            let mut listed = 0;
            for f in founders {
                node(ui, &lineage, f, None, &mut listed, out);
            }
            if listed >= LISTED {
                ui.label(egui::RichText::new(format!("… the first {LISTED} listed")).small());
            }
        });
}

/// One neuron and, folded, its descendants.
fn node(
    ui: &mut egui::Ui,
    lineage: &Lineage,
    n: u32,
    born_ms: Option<f64>,
    listed: &mut usize,
    out: &mut Vec<SimRequest>,
) {
    if *listed >= LISTED {
        return;
    }
    *listed += 1;
    let label = match born_ms {
        Some(t) => format!("neuron {n} · born {t:.1} ms"),
        None => format!("neuron {n} · founder"),
    };
    let children = lineage.children(n);
    if children.is_empty() {
        if ui.link(label).clicked() {
            out.push(SimRequest::Select(Some(NeuronId(n))));
        }
        return;
    }
    let count = match children.len() {
        1 => "1 child".to_string(),
        k => format!("{k} children"),
    };
    let header = egui::CollapsingHeader::new(format!("{label} · {count}")).id_salt(("lineage", n)).default_open(true);
    let response = header.show(ui, |ui| {
        for (c, t) in children {
            node(ui, lineage, c, Some(t), listed, out);
        }
    });
    if response.header_response.secondary_clicked() || response.header_response.double_clicked() {
        out.push(SimRequest::Select(Some(NeuronId(n))));
    }
    response.header_response.on_hover_text("double-click to pick this neuron");
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two founders: 0 divides into 10 and 11, 10 into 12; 5 into 13. Founders, children in birth
    /// order and depths follow.
    #[test]
    fn the_forest_follows_the_births() {
        let l =
            Lineage::from_births([(11, Some(0), 30.0), (10, Some(0), 20.0), (12, Some(10), 40.0), (13, Some(5), 25.0)]);
        assert_eq!(l.founders(), [0, 5]);
        assert_eq!(l.children(0), [(10, 20.0), (11, 30.0)]);
        assert_eq!((l.depth(0), l.depth(5), l.depth(12)), (2, 1, 0));
        assert!(Lineage::from_births([]).founders().is_empty());
    }
}
