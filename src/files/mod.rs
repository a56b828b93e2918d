//! Files the program writes, kept safe: every output goes to a unique temporary file beside its
//! target and is renamed over it only when complete ([`AtomicFile`]); before any work a command
//! lists what it reads and writes in a [`FilePlan`], which refuses an output that is one of the
//! inputs or another output and checks that every output's folder can take a new file. Standard
//! output goes through [`stdout`] so a closed pipe or a full disk is an error, never a panic.

/// `println!` that returns an error from the enclosing function instead of panicking when standard
/// output is a closed pipe or a full disk (see [`print`]).
#[macro_export]
macro_rules! say {
    ($($arg:tt)*) => {
        $crate::files::print(&format!("{}\n", format_args!($($arg)*)))?
    };
}

mod atomic;
mod plan;
mod stdout;

pub use atomic::{AtomicFile, commit_folder, temporary_folder_beside, temporary_path_beside};
pub use plan::FilePlan;
pub use stdout::{BrokenPipe, print};

/// A file operation that failed: the file and what went wrong, in one line.
#[derive(Debug, thiserror::Error)]
#[error("{file}: {what}")]
pub struct FileError {
    /// The file, as the user named it.
    pub file: String,
    /// What went wrong, without repeating the file name.
    pub what: String,
}

impl FileError {
    /// An error about `path`.
    pub fn new(path: &std::path::Path, what: impl Into<String>) -> Self {
        Self { file: path.display().to_string(), what: what.into() }
    }

    /// An I/O error while doing `doing` (e.g. "cannot create") to `path`.
    pub fn io(path: &std::path::Path, doing: &str, e: &std::io::Error) -> Self {
        Self::new(path, format!("{doing}: {}", io_reason(e)))
    }
}

/// An I/O error's reason without Rust's "(os error N)" suffix, which says the same again, or the
/// temporary file's name that `tempfile` appends.
pub fn io_reason(e: &std::io::Error) -> String {
    let mut text = e.to_string();
    if let Some(at) = text.find(" at path \"") {
        text.truncate(at);
    }
    if let Some(at) = text.find(" (os error ")
        && let Some(len) = text[at..].find(')')
    {
        text.replace_range(at..at + len + 1, "");
    }
    text
}
