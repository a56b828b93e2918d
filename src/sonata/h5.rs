//! Reading SONATA's HDF5 files through `hdf5-pure` (no system library): the root's `magic` and
//! `version`, groups and their members, and columns read in windows with their dtype checked,
//! every error naming the file and the dataset.

use std::path::{Path, PathBuf};

use hdf5_pure::{AttrValue, DType, Dataset, File, Group};

use crate::files::FileError;

/// SONATA's magic number, the root attribute `magic`.
pub const MAGIC: u64 = 0x0A7A;
/// The SONATA versions this reader knows (major).
pub const MAJOR_VERSIONS: std::ops::RangeInclusive<u64> = 0..=2;
/// Rows read at once from a long column: 1 M (8 MB of 64-bit values; an edge window of every
/// column is about 64 MB).
pub const WINDOW: u64 = 1 << 20;

/// An open SONATA HDF5 file.
pub struct H5 {
    /// Its path.
    pub path: PathBuf,
    file: File,
}

/// A group's datasets and subgroups, by name.
pub struct Members {
    /// Datasets.
    pub datasets: Vec<String>,
    /// Subgroups, sorted.
    pub groups: Vec<String>,
}

fn attr_integers(v: &AttrValue) -> Option<Vec<u64>> {
    let signed = |x: i64| u64::try_from(x).ok();
    Some(match v {
        AttrValue::U8(x) => vec![*x as u64],
        AttrValue::U16(x) => vec![*x as u64],
        AttrValue::U32(x) => vec![*x as u64],
        AttrValue::U64(x) => vec![*x],
        AttrValue::I8(x) => vec![signed(*x as i64)?],
        AttrValue::I16(x) => vec![signed(*x as i64)?],
        AttrValue::I32(x) => vec![signed(*x as i64)?],
        AttrValue::I64(x) => vec![signed(*x)?],
        AttrValue::U8Array(a) => a.iter().map(|&x| x as u64).collect(),
        AttrValue::U16Array(a) => a.iter().map(|&x| x as u64).collect(),
        AttrValue::U32Array(a) => a.iter().map(|&x| x as u64).collect(),
        AttrValue::U64Array(a) => a.clone(),
        AttrValue::I32Array(a) => a.iter().map(|&x| signed(x as i64)).collect::<Option<_>>()?,
        AttrValue::I64Array(a) => a.iter().map(|&x| signed(x)).collect::<Option<_>>()?,
        _ => return None,
    })
}

/// A string attribute's text, whichever string type it was written with.
pub fn attr_text(v: &AttrValue) -> Option<String> {
    match v {
        AttrValue::String(s)
        | AttrValue::AsciiString(s)
        | AttrValue::VarLenString(s)
        | AttrValue::VarLenAsciiString(s) => Some(s.clone()),
        AttrValue::StringSized { value, .. } | AttrValue::AsciiStringSized { value, .. } => Some(value.clone()),
        AttrValue::StringArray(a) | AttrValue::AsciiStringArray(a) | AttrValue::VarLenStringArray(a)
            if a.len() == 1 =>
        {
            Some(a[0].clone())
        }
        _ => None,
    }
}

impl H5 {
    /// Opens `path` (streaming: only what is read is held) and checks its `magic` and `version`:
    /// wrong ones are refused; missing ones (PyNN's export writes none) are noted in `notes`.
    pub fn open(path: &Path, notes: &mut Vec<String>) -> Result<Self, FileError> {
        if !path.is_file() {
            return Err(FileError::new(path, "no such file"));
        }
        let file =
            File::open_streaming(path).map_err(|e| FileError::new(path, format!("not a readable HDF5 file: {e}")))?;
        let h5 = Self { path: path.to_path_buf(), file };
        let attrs = h5.file.root().attrs().map_err(|e| h5.err("/", format!("cannot read its attributes: {e}")))?;
        let mut missing = Vec::new();
        match attrs.get("magic").map(attr_integers) {
            None => missing.push("magic"),
            Some(Some(m)) if m == [MAGIC] => {}
            Some(v) => {
                return Err(h5.err("/", format!("attribute `magic` is {v:?}, not 0x0A7A (2682): not a SONATA file")));
            }
        }
        match attrs.get("version").map(attr_integers) {
            None => missing.push("version"),
            Some(Some(v)) if !v.is_empty() && MAJOR_VERSIONS.contains(&v[0]) => {}
            Some(v) => {
                return Err(h5.err("/", format!("attribute `version` is {v:?}; this build reads SONATA 0.x to 2.x")));
            }
        }
        if !missing.is_empty() {
            notes.push(format!(
                "{}: no `{}` attribute at its root (SONATA writes magic = 0x0A7A and version; PyNN's export does not): read as SONATA",
                path.display(),
                missing.join("` or `")
            ));
        }
        Ok(h5)
    }

    /// An error about object `at` in this file.
    pub fn err(&self, at: &str, what: impl std::fmt::Display) -> FileError {
        FileError::new(&self.path, format!("{at}: {what}"))
    }

    /// The group at `at`.
    pub fn group(&self, at: &str) -> Result<Group, FileError> {
        self.file.group(at).map_err(|e| self.err(at, format!("missing group ({e})")))
    }

    /// The datasets and subgroups of the group at `at`.
    pub fn members(&self, at: &str) -> Result<Members, FileError> {
        let g = self.group(at)?;
        let datasets = g.datasets().map_err(|e| self.err(at, format!("cannot list its datasets: {e}")))?;
        let mut groups = g.groups().map_err(|e| self.err(at, format!("cannot list its groups: {e}")))?;
        groups.sort();
        Ok(Members { datasets, groups })
    }

    /// The dataset at `at`, which must be one-dimensional; returns it and its length.
    pub fn column(&self, at: &str) -> Result<Column<'_>, FileError> {
        let ds = self.file.dataset(at).map_err(|e| self.err(at, format!("missing dataset ({e})")))?;
        let shape = ds.shape().map_err(|e| self.err(at, format!("cannot read its shape: {e}")))?;
        let len = match shape.as_slice() {
            [n] => *n,
            other => return Err(self.err(at, format!("has shape {other:?}; SONATA columns are one-dimensional"))),
        };
        let dtype = ds.dtype().map_err(|e| self.err(at, format!("cannot read its datatype: {e}")))?;
        Ok(Column { h5: self, at: at.to_string(), ds, len, dtype })
    }
}

/// One column of a SONATA table.
pub struct Column<'a> {
    h5: &'a H5,
    /// Its path in the file.
    pub at: String,
    ds: Dataset,
    /// Its number of rows.
    pub len: u64,
    dtype: DType,
}

impl Column<'_> {
    /// An error about this column.
    pub fn err(&self, what: impl std::fmt::Display) -> FileError {
        self.h5.err(&self.at, what)
    }

    /// Requires exactly `n` rows (as many as the table's other columns).
    pub fn expect_len(&self, n: u64, of: &str) -> Result<(), FileError> {
        if self.len != n {
            return Err(self.err(format!("{} rows where {of} has {n}", self.len)));
        }
        Ok(())
    }

    /// The attribute `name` as text.
    pub fn text_attr(&self, name: &str) -> Result<Option<String>, FileError> {
        let attrs = self.ds.attrs().map_err(|e| self.err(format!("cannot read its attributes: {e}")))?;
        match attrs.get(name) {
            None => Ok(None),
            Some(v) => attr_text(v).map(Some).ok_or_else(|| self.err(format!("attribute `{name}` is not a string"))),
        }
    }

    /// Rows `start..start + n` as non-negative integers (an integer dtype is required).
    pub fn ids(&self, start: u64, n: u64) -> Result<Vec<u64>, FileError> {
        let read = |r: Result<Vec<u64>, hdf5_pure::Error>| {
            r.map_err(|e| self.err(format!("cannot read rows from {start}: {e}")))
        };
        match self.dtype {
            DType::U8 | DType::U16 | DType::U32 | DType::U64 => read(self.ds.read_u64_rows(start, n)),
            DType::I8 | DType::I16 | DType::I32 | DType::I64 => {
                let v = self
                    .ds
                    .read_i64_rows(start, n)
                    .map_err(|e| self.err(format!("cannot read rows from {start}: {e}")))?;
                if let Some(k) = v.iter().position(|&x| x < 0) {
                    return Err(self.err(format!("row {}: {} is negative", start + k as u64, v[k])));
                }
                Ok(v.into_iter().map(|x| x as u64).collect())
            }
            ref other => Err(self.err(format!("holds {other} values; it must hold integers"))),
        }
    }

    /// Every row as integers.
    pub fn all_ids(&self) -> Result<Vec<u64>, FileError> {
        self.ids(0, self.len)
    }

    /// Rows `start..start + n` as numbers (an integer or float dtype is required); a value that is
    /// not finite is an error naming its row.
    pub fn numbers(&self, start: u64, n: u64) -> Result<Vec<f64>, FileError> {
        let v = match self.dtype {
            DType::F32
            | DType::F64
            | DType::U8
            | DType::U16
            | DType::U32
            | DType::U64
            | DType::I8
            | DType::I16
            | DType::I32
            | DType::I64 => {
                self.ds.read_f64_rows(start, n).map_err(|e| self.err(format!("cannot read rows from {start}: {e}")))?
            }
            ref other => return Err(self.err(format!("holds {other} values; it must hold numbers"))),
        };
        if let Some(k) = v.iter().position(|x| !x.is_finite()) {
            return Err(self.err(format!("row {}: {} is not a finite number", start + k as u64, v[k])));
        }
        Ok(v)
    }

    /// Every row as numbers.
    pub fn all_numbers(&self) -> Result<Vec<f64>, FileError> {
        self.numbers(0, self.len)
    }
}
