//! Ctrl-C (SIGINT) during a long command: the first asks it to stop after the current step and
//! keep what it computed (statistics, snapshot, logs, video); a second ends the process at once.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};

static REQUESTED: AtomicBool = AtomicBool::new(false);
static INSTALLED: OnceLock<Result<(), String>> = OnceLock::new();

/// Exit status of a command stopped by Ctrl-C (128 + SIGINT), after it has written its outputs.
pub const EXIT_STATUS: u8 = 130;

/// The command stopped early on Ctrl-C; its outputs are written.
#[derive(Debug, thiserror::Error)]
#[error("stopped by Ctrl-C; the statistics and files above cover the time simulated")]
pub struct Interrupted;

/// Starts listening for Ctrl-C (once per process). Without a handler (a platform refusing it) the
/// default applies: Ctrl-C ends the process.
pub fn listen() {
    let installed = INSTALLED.get_or_init(|| {
        ctrlc::set_handler(|| {
            if REQUESTED.swap(true, Ordering::Relaxed) {
                eprintln!("\nsecond Ctrl-C: stopping now");
                std::process::exit(i32::from(EXIT_STATUS));
            }
            eprintln!("\nCtrl-C: stopping after this step (press again to quit at once)");
        })
        .map_err(|e| e.to_string())
    });
    if let Err(e) = installed {
        eprintln!("warning: Ctrl-C will end the process without saving ({e})");
    }
}

/// Whether Ctrl-C was pressed since [`listen`].
pub fn requested() -> bool {
    REQUESTED.load(Ordering::Relaxed)
}
