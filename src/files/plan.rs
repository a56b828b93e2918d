//! The files a command reads and writes, checked before it does any work.

use std::path::{Path, PathBuf};

use super::FileError;

/// One file of a plan: what the command calls it (a flag, "the scene") and how it is identified.
struct Entry {
    role: String,
    /// The absolute path with links resolved (of the folder, when the file does not exist yet).
    key: Option<PathBuf>,
    /// Device and inode of an existing file, which also catches hard links.
    id: Option<(u64, u64)>,
}

/// The inputs and outputs of one command. [`FilePlan::output`] refuses an output that is an input
/// or another output, a folder, or in a folder that cannot take a new file — before the command
/// simulates anything, so a mistake costs nothing and overwrites nothing.
#[derive(Default)]
pub struct FilePlan {
    inputs: Vec<Entry>,
    outputs: Vec<Entry>,
}

impl FilePlan {
    /// An empty plan.
    pub fn new() -> Self {
        Self::default()
    }

    /// Notes a file the command reads (`role` names it in errors, e.g. "the scene"). A missing
    /// input is left for its reader to report.
    pub fn input(mut self, role: &str, path: &Path) -> Self {
        self.inputs.push(entry(role, path));
        self
    }

    /// Adds an output (`role` is its flag, e.g. "--spikes"); `None` (the flag not given) passes.
    pub fn output(mut self, role: &str, path: Option<&Path>) -> Result<Self, FileError> {
        let Some(path) = path else { return Ok(self) };
        if path.is_dir() {
            return Err(FileError::new(path, format!("{role} names a folder, not a file")));
        }
        let new = entry(role, path);
        let clash = |e: &&Entry| (new.id.is_some() && new.id == e.id) || (new.key.is_some() && new.key == e.key);
        if let Some(input) = self.inputs.iter().find(clash) {
            return Err(FileError::new(
                path,
                format!("{role} would overwrite {}, which this command reads", input.role),
            ));
        }
        if let Some(other) = self.outputs.iter().find(clash) {
            return Err(FileError::new(path, format!("{role} and {} name the same file", other.role)));
        }
        // The folder must take a new file now, not after the run.
        drop(super::atomic::temporary_beside(path)?);
        self.outputs.push(new);
        Ok(self)
    }
}

impl FilePlan {
    /// Adds an output folder (written whole, then renamed into place): refused when it is a file,
    /// holds files already, is an input or another output, or its parent cannot take a new folder.
    pub fn output_folder(mut self, role: &str, path: &Path) -> Result<Self, FileError> {
        if path.exists() && !path.is_dir() {
            return Err(FileError::new(path, format!("{role} names a file; it must be a new or empty folder")));
        }
        if path.read_dir().is_ok_and(|mut d| d.next().is_some()) {
            return Err(FileError::new(path, format!("{role} holds files already; name a new or empty folder")));
        }
        let new = entry(role, path);
        let clash = |e: &&Entry| new.key.is_some() && new.key == e.key;
        if let Some(other) = self.inputs.iter().chain(&self.outputs).find(clash) {
            return Err(FileError::new(path, format!("{role} is also {}", other.role)));
        }
        drop(super::atomic::temporary_folder_beside(path)?);
        self.outputs.push(new);
        Ok(self)
    }
}

fn entry(role: &str, path: &Path) -> Entry {
    let key = path.canonicalize().ok().or_else(|| {
        let (name, dir) = super::atomic::name_and_folder(path).ok()?;
        Some(dir.canonicalize().ok()?.join(name))
    });
    Entry { role: role.to_string(), key, id: file_id(path) }
}

#[cfg(unix)]
fn file_id(path: &Path) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(path).ok().map(|m| (m.dev(), m.ino()))
}

#[cfg(not(unix))]
fn file_id(_: &Path) -> Option<(u64, u64)> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_output_may_not_be_an_input_another_output_or_a_folder() {
        let dir = tempfile::tempdir().unwrap();
        let scene = dir.path().join("s.ron");
        std::fs::write(&scene, "x").unwrap();
        let err = |r: Result<FilePlan, FileError>| r.err().expect("refused").to_string();
        let plan = || FilePlan::new().input("the scene", &scene);
        let e = err(plan().output("--spikes", Some(&scene)));
        assert!(e.contains("--spikes would overwrite the scene"), "{e}");
        // The same file by another spelling, and by a hard link.
        let e = err(plan().output("--spikes", Some(&dir.path().join(".").join("s.ron"))));
        assert!(e.contains("overwrite the scene"), "{e}");
        let link = dir.path().join("link.ron");
        std::fs::hard_link(&scene, &link).unwrap();
        assert!(err(plan().output("--spikes", Some(&link))).contains("overwrite the scene"));
        let out = dir.path().join("out.csv");
        let e = err(plan().output("--spikes", Some(&out)).unwrap().output("--growth-log", Some(&out)));
        assert!(e.contains("--growth-log and --spikes name the same file"), "{e}");
        assert!(err(plan().output("--spikes", Some(dir.path()))).contains("names a folder"));
        let e = err(plan().output("--spikes", Some(&dir.path().join("missing/out.csv"))));
        assert!(e.contains("missing/out.csv: cannot create"), "{e}");
        assert!(plan().output("--spikes", Some(&out)).unwrap().output("--save-snapshot", None).is_ok());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2, "checks leave no file behind");
    }

    #[test]
    fn an_output_folder_must_be_new_or_empty_and_not_an_input() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("a.txt");
        std::fs::write(&file, "x").unwrap();
        let err = |r: Result<FilePlan, FileError>| r.err().expect("refused").to_string();
        assert!(err(FilePlan::new().output_folder("--out", &file)).contains("names a file"));
        assert!(err(FilePlan::new().output_folder("--out", dir.path())).contains("holds files already"));
        let new = dir.path().join("new");
        assert!(
            err(FilePlan::new().input("the scene", &new).output_folder("--out", &new)).contains("is also the scene")
        );
        assert!(FilePlan::new().output_folder("--out", &new).is_ok());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "checks leave nothing behind");
    }
}
