//! SONATA's node and edge type tables: space-separated CSV with a header, one row per type id
//! (`node_type_id` or `edge_type_id`) and its properties. `NULL`, `NONE` and empty cells are absent.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::files::FileError;

/// A type table: its file, its columns, and each type's cells.
#[derive(Clone, Debug, Default)]
pub struct TypeTable {
    /// The file read.
    pub path: PathBuf,
    columns: Vec<String>,
    rows: HashMap<u64, (usize, Vec<String>)>,
}

impl TypeTable {
    /// Reads `path`, whose type ids are in column `id_column`.
    pub fn read(path: &Path, id_column: &str) -> Result<Self, FileError> {
        let text = std::fs::read_to_string(path).map_err(|e| FileError::io(path, "cannot read", &e))?;
        Self::parse(&text, path, id_column)
    }

    fn parse(text: &str, path: &Path, id_column: &str) -> Result<Self, FileError> {
        let mut reader = csv::ReaderBuilder::new().delimiter(b' ').flexible(false).from_reader(text.as_bytes());
        let columns: Vec<String> = reader
            .headers()
            .map_err(|e| FileError::new(path, format!("line 1: {e}")))?
            .iter()
            .map(str::to_string)
            .collect();
        let Some(id_at) = columns.iter().position(|c| c == id_column) else {
            return Err(FileError::new(
                path,
                format!("line 1: no `{id_column}` column (columns: {})", columns.join(" ")),
            ));
        };
        let mut rows = HashMap::new();
        for (i, record) in reader.records().enumerate() {
            let line = i + 2;
            let record = record.map_err(|e| {
                let at = e.position().map_or(line as u64, csv::Position::line);
                FileError::new(path, format!("line {at}: {}", csv_reason(&e)))
            })?;
            let cell = record.get(id_at).unwrap_or("");
            let id: u64 = cell.parse().map_err(|_| {
                FileError::new(
                    path,
                    format!("line {line}, column `{id_column}`: `{cell}` is not a type id (a whole number)"),
                )
            })?;
            if let Some((first, _)) = rows.insert(id, (line, record.iter().map(str::to_string).collect())) {
                return Err(FileError::new(path, format!("line {line}: {id_column} {id} is already on line {first}")));
            }
        }
        Ok(Self { path: path.to_path_buf(), columns, rows })
    }

    /// Whether the table has type `id`.
    pub fn has(&self, id: u64) -> bool {
        self.rows.contains_key(&id)
    }

    /// The cell of type `id` in `column`, if both exist and the cell is not empty or `NULL`.
    pub fn get(&self, id: u64, column: &str) -> Option<&str> {
        let at = self.columns.iter().position(|c| c == column)?;
        let cell = self.rows.get(&id)?.1.get(at)?.as_str();
        (!cell.is_empty() && !cell.eq_ignore_ascii_case("null") && !cell.eq_ignore_ascii_case("none")).then_some(cell)
    }

    /// The columns and cells of type `id` that are not empty or `NULL`.
    pub fn cells(&self, id: u64) -> Vec<(&str, &str)> {
        self.columns.iter().filter_map(|c| Some((c.as_str(), self.get(id, c)?))).collect()
    }

    /// The line type `id` is on (for errors).
    pub fn line(&self, id: u64) -> usize {
        self.rows.get(&id).map_or(0, |r| r.0)
    }

    /// A number in the cell of type `id` in `column`; an error naming the line when it is not one.
    pub fn number(&self, id: u64, column: &str) -> Result<Option<f64>, FileError> {
        let Some(cell) = self.get(id, column) else { return Ok(None) };
        match cell.parse::<f64>() {
            Ok(v) if v.is_finite() => Ok(Some(v)),
            _ => Err(FileError::new(
                &self.path,
                format!("line {}, column `{column}`: `{cell}` is not a finite number", self.line(id)),
            )),
        }
    }
}

fn csv_reason(e: &csv::Error) -> String {
    match e.kind() {
        csv::ErrorKind::UnequalLengths { expected_len, len, .. } => {
            format!("{len} cells where the header has {expected_len} (cells are separated by single spaces)")
        }
        _ => e.to_string(),
    }
}

/// Writes a type table: the header, then one line per row (cells with spaces or quotes quoted).
pub fn write_table(columns: &[&str], rows: &[Vec<String>]) -> String {
    let mut w = csv::WriterBuilder::new().delimiter(b' ').from_writer(Vec::new());
    w.write_record(columns).expect("writing to memory");
    for r in rows {
        w.write_record(r).expect("writing to memory");
    }
    String::from_utf8(w.into_inner().expect("writing to memory")).expect("cells are text")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_are_read_by_type_and_column_with_null_absent() {
        let text = "node_type_id model_type pop_name dynamics_params\n100 point_neuron \"E cells\" e.json\n101 virtual NULL NONE\n";
        let t = TypeTable::parse(text, Path::new("t.csv"), "node_type_id").unwrap();
        assert_eq!(t.get(100, "pop_name"), Some("E cells"));
        assert_eq!(t.get(101, "pop_name"), None);
        assert_eq!(t.get(101, "dynamics_params"), None);
        assert_eq!(t.get(102, "model_type"), None);
        assert_eq!(t.line(101), 3);
        let back = write_table(&["node_type_id", "pop_name"], &[vec!["100".into(), "E cells".into()]]);
        let again = TypeTable::parse(&back, Path::new("b.csv"), "node_type_id").unwrap();
        assert_eq!(again.get(100, "pop_name"), Some("E cells"));
    }

    #[test]
    fn bad_tables_name_the_line() {
        let cases = [
            ("model_type\npoint\n", "no `node_type_id` column"),
            ("node_type_id model_type\n1 a\nx b\n", "line 3"),
            ("node_type_id model_type\n1 a\n1 b\n", "already on line 2"),
            ("node_type_id model_type\n1 a b\n", "line 2"),
        ];
        for (text, expect) in cases {
            let e = TypeTable::parse(text, Path::new("t.csv"), "node_type_id").unwrap_err().to_string();
            assert!(e.contains(expect) && e.starts_with("t.csv"), "{text:?}: {e}");
        }
        let t = TypeTable::parse("edge_type_id syn_weight\n5 abc\n", Path::new("e.csv"), "edge_type_id").unwrap();
        assert!(t.number(5, "syn_weight").unwrap_err().to_string().contains("line 2, column `syn_weight`"));
    }
}
