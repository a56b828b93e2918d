//! Scene errors that name the file, the line, the column and the field.

use std::fmt;

/// A scene that could not be read, parsed or built.
#[derive(Debug, thiserror::Error)]
pub enum SceneError {
    /// The file could not be read.
    #[error(transparent)]
    Io(#[from] crate::files::FileError),
    /// The text is not a valid scene.
    #[error("{0}")]
    Invalid(Box<Located>),
}

/// A problem at a place in a scene file.
#[derive(Clone, Debug, PartialEq)]
pub struct Located {
    /// The file's path (or a label for text that came from elsewhere).
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// Field path, such as `projections[1].weight` (empty when unknown).
    pub field: String,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for Located {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}: ", self.file, self.line, self.column)?;
        if !self.field.is_empty() {
            write!(f, "field `{}`: ", self.field)?;
        }
        f.write_str(&self.message)
    }
}

impl SceneError {
    /// The located problem, if this is not an I/O error.
    pub fn located(&self) -> Option<&Located> {
        match self {
            SceneError::Invalid(l) => Some(l),
            SceneError::Io(_) => None,
        }
    }
}

/// A problem found after parsing, attached to a field path; located in the text later.
#[derive(Clone, Debug, PartialEq)]
pub struct Problem {
    /// Field path.
    pub path: String,
    /// What is wrong.
    pub message: String,
}

impl Problem {
    /// A problem at `path`.
    pub fn at(path: impl Into<String>, message: impl Into<String>) -> Self {
        Self { path: path.into(), message: message.into() }
    }
}
