//! Snapshots: the whole simulation state (network, time, seed, pending synaptic input, inputs'
//! progress, every rule's state and the parameter log) in a compact binary file that resumes
//! bit-identically.
//!
//! Layout: 8-byte magic `NPSNAP\0\n`, format version (u32 LE), payload length (u64 LE), CRC-32 of
//! the payload (u32 LE), then the payload (postcard encoding of [`Simulation`]).
//!
//! Versions: 4 held a network that owned its rules; 5 (rules attached by `engine::Simulation`)
//! holds the simulation. A file of another version is refused with both numbers named.

use std::path::Path;

use crate::engine::Simulation;

const MAGIC: &[u8; 8] = b"NPSNAP\0\n";
/// The snapshot format version this build reads and writes.
pub const SNAPSHOT_VERSION: u32 = 6;
const HEADER: usize = 8 + 4 + 8 + 4;

/// A snapshot that could not be written or read.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    /// The file could not be read or written.
    #[error(transparent)]
    File(#[from] crate::files::FileError),
    /// The file is not a snapshot, is truncated, corrupted, or of another version.
    #[error("{file}: {reason}")]
    Invalid {
        /// The file's path.
        file: String,
        /// What is wrong.
        reason: String,
    },
}

/// Encodes a simulation's state.
pub fn encode(net: &Simulation) -> Vec<u8> {
    let payload = postcard::to_stdvec(net).expect("a network always encodes");
    let mut out = Vec::with_capacity(HEADER + payload.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&SNAPSHOT_VERSION.to_le_bytes());
    out.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    out.extend_from_slice(&crc32fast::hash(&payload).to_le_bytes());
    out.extend_from_slice(&payload);
    out
}

/// Decodes a snapshot; `file` names it in errors.
pub fn decode(bytes: &[u8], file: &str) -> Result<Simulation, SnapshotError> {
    let invalid = |reason: String| SnapshotError::Invalid { file: file.to_string(), reason };
    if bytes.len() < MAGIC.len() || &bytes[..MAGIC.len()] != MAGIC {
        return Err(invalid("not a Neuroplast snapshot (wrong magic bytes)".into()));
    }
    if bytes.len() < HEADER {
        return Err(invalid(format!("truncated: {} bytes, shorter than the {HEADER}-byte header", bytes.len())));
    }
    let version = u32::from_le_bytes(bytes[8..12].try_into().expect("4 bytes"));
    if version != SNAPSHOT_VERSION {
        let why = if version < SNAPSHOT_VERSION {
            "written by an older Neuroplast; resume it with that version, or start again from its scene"
        } else {
            "written by a newer Neuroplast"
        };
        return Err(invalid(format!("snapshot format version {version}, this build reads {SNAPSHOT_VERSION} ({why})")));
    }
    let len = u64::from_le_bytes(bytes[12..20].try_into().expect("8 bytes"));
    let crc = u32::from_le_bytes(bytes[20..24].try_into().expect("4 bytes"));
    let payload = &bytes[HEADER..];
    if (payload.len() as u64) < len {
        return Err(invalid(format!("truncated: {} of {len} payload bytes", payload.len())));
    }
    if payload.len() as u64 > len {
        return Err(invalid(format!("{} bytes of trailing data after the payload", payload.len() as u64 - len)));
    }
    if crc32fast::hash(payload) != crc {
        return Err(invalid("corrupted: checksum mismatch".into()));
    }
    let mut sim: Simulation = postcard::from_bytes(payload).map_err(|e| invalid(format!("corrupted payload: {e}")))?;
    // Every length, index and value checked before anything relies on them (a crafted file whose
    // checksum was recomputed must not reach the step).
    sim.check_decoded().map_err(|e| invalid(format!("corrupted payload: {e}")))?;
    sim.prepare().map_err(|e| invalid(format!("corrupted payload: {e}")))?;
    Ok(sim)
}

/// Writes a snapshot file (atomically: to a temporary file, then renamed).
pub fn save(net: &Simulation, path: &Path) -> Result<(), SnapshotError> {
    write(&encode(net), path)
}

/// Writes encoded snapshot bytes to `path` (atomically: to a unique temporary file beside it, then
/// renamed), so a caller can encode on one thread and write on another.
pub fn write(bytes: &[u8], path: &Path) -> Result<(), SnapshotError> {
    Ok(crate::files::AtomicFile::save(path, bytes)?)
}

/// Reads a snapshot file.
pub fn load(path: &Path) -> Result<Simulation, SnapshotError> {
    let file = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| crate::files::FileError::io(path, "cannot read", &e))?;
    decode(&bytes, &file)
}
