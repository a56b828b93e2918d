//! Standard output that reports a failure instead of panicking like `println!`.

use std::io::Write;

/// Standard output was closed by its reader (`neuroplast run … | head -1`): the command stops
/// quietly, as other command-line tools do.
#[derive(Debug, thiserror::Error)]
#[error("standard output was closed")]
pub struct BrokenPipe;

/// Writes `text` to standard output and flushes it. A closed pipe is [`BrokenPipe`]; any other
/// failure (a full disk) is an error naming standard output.
pub fn print(text: &str) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Err(BrokenPipe.into()),
        Err(e) => Err(anyhow::anyhow!("cannot write to standard output: {}", super::io_reason(&e))),
    }
}
