//! Logging set-up: `tracing` to the configured file (or stderr), once per process.
//!
//! The writers take no lock: a parent thread writing a line at the instant of a `fork()` must
//! not leave a lock held forever in the child. The log file is opened for append and each line
//! is one `write` (appends of a line are not interleaved); stderr is written to with `write(2)`
//! directly instead of through `std::io::stderr`, whose lock has the same problem.

use std::io::Write;
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
        let result = match file {
            Some(f) => builder.with_writer(Arc::new(f)).try_init(),
            None => builder.with_writer(|| RawStderr).try_init(),
        };
        if result.is_err() {
            // Another subscriber is installed (host or test): keep it.
        }
    });
}

/// File descriptor 2, written to without a lock.
struct RawStderr;

impl Write for RawStderr {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        // SAFETY: writes `buf.len()` readable bytes of `buf` to descriptor 2, which the
        // process owns; the call touches no memory of ours besides `buf`.
        let n = unsafe { libc::write(libc::STDERR_FILENO, buf.as_ptr().cast(), buf.len()) };
        usize::try_from(n).map_err(|_| std::io::Error::last_os_error())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
