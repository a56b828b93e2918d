//! Importers and exporters of other tools' formats. Each turns a file into an ordinary
//! [`SceneFile`](crate::scene::SceneFile) (so plasticity and growth can be attached, and the result
//! saved, snapshotted and recorded), with errors naming the file, the line and the column.

pub mod edge_list;
pub mod graph_export;
pub mod nest_script;
pub mod neuroml;
