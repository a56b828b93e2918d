//! [`SynapseGraph`] seen through petgraph's visitor traits, so petgraph's algorithms run on it
//! with both directions (its own CSR has no in-edges, which Kosaraju's algorithm needs).

use std::iter::Copied;
use std::ops::Range;
use std::slice::Iter;

use petgraph::Direction;
use petgraph::visit::{GraphBase, IntoNeighbors, IntoNeighborsDirected, IntoNodeIdentifiers, Visitable};

use super::{OutEdges, SynapseGraph};

impl GraphBase for SynapseGraph {
    type NodeId = u32;
    type EdgeId = (u32, u32);
}

impl<'a> IntoNeighbors for &'a SynapseGraph {
    type Neighbors = Copied<Iter<'a, u32>>;
    fn neighbors(self, a: u32) -> Self::Neighbors {
        self.successors(a as usize).iter().copied()
    }
}

impl<'a> IntoNeighborsDirected for &'a SynapseGraph {
    type NeighborsDirected = Copied<Iter<'a, u32>>;
    fn neighbors_directed(self, a: u32, d: Direction) -> Self::NeighborsDirected {
        match d {
            Direction::Outgoing => self.successors(a as usize).iter().copied(),
            Direction::Incoming => self.predecessors(a as usize).iter().copied(),
        }
    }
}

impl IntoNodeIdentifiers for &SynapseGraph {
    type NodeIdentifiers = Range<u32>;
    fn node_identifiers(self) -> Range<u32> {
        0..self.nodes() as u32
    }
}

impl Visitable for SynapseGraph {
    type Map = <OutEdges as Visitable>::Map;
    fn visit_map(&self) -> Self::Map {
        self.out.visit_map()
    }
    fn reset_map(&self, map: &mut Self::Map) {
        self.out.reset_map(map);
    }
}
