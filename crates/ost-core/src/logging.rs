//! Logging set-up: `tracing` to the configured file (or stderr), once per process.
//!
//! The writers take no lock: a parent thread writing a line at the instant of a `fork()` must
//! not leave a lock held forever in the child. The log file is opened for append and each line
//! is one `write` (appends of a line are not interleaved); stderr is written to through a
//! duplicate of descriptor 2 (a plain `File`, one `write(2)` per line) instead of through
//! `std::io::stderr`, whose lock has the same problem. The duplicate is taken once, at set-up:
//! a host that later points descriptor 2 elsewhere keeps our log lines where they were going.

use std::os::fd::AsFd;
use std::sync::{Arc, OnceLock};

use crate::config::PluginSection;

static INIT: OnceLock<()> = OnceLock::new();

/// Installs the global subscriber on the first call; later calls change nothing (a subscriber
/// already installed by the host, e.g. a test harness, is kept).
pub(crate) fn init(section: &PluginSection) {
    INIT.get_or_init(|| {
        let filter = tracing_subscriber::EnvFilter::try_new(&section.log_level)
            .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
        let builder = tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_ansi(false);
        let file = section.log_file.as_ref().and_then(|path| {
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .ok()
        });
        let result = match file.or_else(stderr_file) {
            Some(f) => builder.with_writer(Arc::new(f)).try_init(),
            // Descriptor 2 could not be duplicated (no descriptor left): the locked stderr.
            None => builder.with_writer(std::io::stderr).try_init(),
        };
        if result.is_err() {
            // Another subscriber is installed (host or test): keep it.
        }
    });
}

/// A duplicate of descriptor 2 as a `File`: written to without a lock.
fn stderr_file() -> Option<std::fs::File> {
    std::io::stderr()
        .as_fd()
        .try_clone_to_owned()
        .ok()
        .map(std::fs::File::from)
}
