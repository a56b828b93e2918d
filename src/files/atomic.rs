//! An output file written to a unique temporary file in its target's folder and renamed over the
//! target only on [`AtomicFile::commit`]: until then the old file (if any) is untouched, and a
//! file dropped uncommitted (an error, a panic) leaves nothing behind.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use super::FileError;

/// An output being written; see the module documentation.
pub struct AtomicFile {
    out: BufWriter<tempfile::NamedTempFile>,
    target: PathBuf,
}

impl AtomicFile {
    /// Starts writing `target`: creates `.<name>.<random>.part` in the same folder.
    pub fn create(target: &Path) -> Result<Self, FileError> {
        let tmp = temporary_beside(target)?;
        Ok(Self { out: BufWriter::with_capacity(1 << 20, tmp), target: target.to_path_buf() })
    }

    /// Writes `bytes` to `target` atomically in one call.
    pub fn save(target: &Path, bytes: &[u8]) -> Result<(), FileError> {
        let mut file = Self::create(target)?;
        file.write_all(bytes).map_err(|e| FileError::io(target, "cannot write", &e))?;
        file.commit()
    }

    /// The file this will become.
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// Flushes, syncs and renames the temporary file over the target.
    pub fn commit(self) -> Result<(), FileError> {
        let target = self.target;
        let tmp = self.out.into_inner().map_err(|e| FileError::io(&target, "cannot write", e.error()))?;
        tmp.as_file().sync_all().map_err(|e| FileError::io(&target, "cannot write", &e))?;
        tmp.persist(&target).map_err(|e| FileError::io(&target, "cannot replace", &e.error))?;
        Ok(())
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.out.write(buf)
    }

    fn write_all(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.out.write_all(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }
}

/// A new, uniquely named temporary file in `target`'s folder (so the final rename stays on one
/// file system), readable like a file the user made.
pub(super) fn temporary_beside(target: &Path) -> Result<tempfile::NamedTempFile, FileError> {
    let (name, dir) = name_and_folder(target)?;
    let prefix = format!(".{name}.");
    readable(tempfile::Builder::new().prefix(&prefix).suffix(".part"))
        .tempfile_in(dir)
        .map_err(|e| FileError::io(target, "cannot create a file in its folder", &e))
}

/// A path for a new file beside `target` that ends like it (`.out.mp4.<random>.mp4`), so a program
/// that picks the format by extension writes the same kind; the file is removed when the path is
/// dropped, unless persisted over the target (`TempPath::persist`).
pub fn temporary_path_beside(target: &Path) -> Result<tempfile::TempPath, FileError> {
    let ext = target.extension().map(|e| format!(".{}", e.to_string_lossy())).unwrap_or_default();
    let (name, dir) = name_and_folder(target)?;
    let prefix = format!(".{name}.");
    readable(tempfile::Builder::new().prefix(&prefix).suffix(&ext))
        .tempfile_in(dir)
        .map(tempfile::NamedTempFile::into_temp_path)
        .map_err(|e| FileError::io(target, "cannot create a file in its folder", &e))
}

/// A new empty folder beside `target`, removed with its contents when dropped unless committed.
pub fn temporary_folder_beside(target: &Path) -> Result<tempfile::TempDir, FileError> {
    let (name, dir) = name_and_folder(target)?;
    tempfile::Builder::new()
        .prefix(&format!(".{name}."))
        .tempdir_in(dir)
        .map_err(|e| FileError::io(target, "cannot create a folder beside it", &e))
}

/// Renames a completed temporary folder to `target`, which must not exist or be an empty folder;
/// when it holds files they stay, and the new folder is kept under its temporary name (named in
/// the error) so nothing is lost.
pub fn commit_folder(tmp: tempfile::TempDir, target: &Path) -> Result<(), FileError> {
    if target.is_dir() && std::fs::remove_dir(target).is_err() {
        let kept = tmp.keep();
        return Err(FileError::new(target, format!("already holds files; the new ones are in {}", kept.display())));
    }
    std::fs::rename(tmp.path(), target).map_err(|e| FileError::io(target, "cannot rename the finished folder", &e))?;
    // Renamed away: nothing is left for the guard to remove.
    let _ = tmp.keep();
    Ok(())
}

/// Files readable like one the user made (`tempfile` makes them private).
fn readable<'a, 'b>(builder: &'b mut tempfile::Builder<'a, 'a>) -> &'b mut tempfile::Builder<'a, 'a> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o644));
    }
    builder
}

/// The file name of `target` and the folder it is in (`.` for a bare name).
pub(super) fn name_and_folder(target: &Path) -> Result<(String, &Path), FileError> {
    let name = target.file_name().ok_or_else(|| FileError::new(target, "is not a file name"))?;
    let dir = match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    Ok((name.to_string_lossy().into_owned(), dir))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_old_file_stays_until_commit_and_nothing_is_left_when_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.csv");
        std::fs::write(&path, "old").unwrap();
        let mut f = AtomicFile::create(&path).unwrap();
        f.write_all(b"new").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "old");
        drop(f);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "old");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "the temporary file is removed");
        let mut f = AtomicFile::create(&path).unwrap();
        f.write_all(b"new").unwrap();
        f.commit().unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "new");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn two_writers_of_one_target_do_not_share_a_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.snap");
        std::fs::write(dir.path().join("a.tmp-snapshot"), "mine").unwrap();
        let mut a = AtomicFile::create(&path).unwrap();
        let mut b = AtomicFile::create(&path).unwrap();
        a.write_all(b"first").unwrap();
        b.write_all(b"second").unwrap();
        a.commit().unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "first");
        b.commit().unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "second");
        assert_eq!(std::fs::read_to_string(dir.path().join("a.tmp-snapshot")).unwrap(), "mine");
    }

    #[test]
    fn a_folder_replaces_only_an_empty_one_and_is_kept_otherwise() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("frames");
        let tmp = temporary_folder_beside(&target).unwrap();
        std::fs::write(tmp.path().join("frame_00000.png"), "a").unwrap();
        commit_folder(tmp, &target).unwrap();
        assert_eq!(std::fs::read_to_string(target.join("frame_00000.png")).unwrap(), "a");
        let tmp = temporary_folder_beside(&target).unwrap();
        std::fs::write(tmp.path().join("frame_00000.png"), "b").unwrap();
        let e = commit_folder(tmp, &target).unwrap_err().to_string();
        assert!(e.contains("already holds files; the new ones are in"), "{e}");
        assert_eq!(std::fs::read_to_string(target.join("frame_00000.png")).unwrap(), "a");
        let kept = std::fs::read_dir(dir.path()).unwrap().count();
        assert_eq!(kept, 2, "the new frames are kept beside the old");
    }

    #[test]
    fn a_missing_folder_is_named() {
        let e = AtomicFile::create(Path::new("/nonexistent-np-dir/x.csv")).err().unwrap().to_string();
        assert!(e.starts_with("/nonexistent-np-dir/x.csv: cannot create"), "{e}");
        assert!(!e.contains("os error"), "{e}");
    }
}
