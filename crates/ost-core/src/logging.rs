//! Logging set-up: `tracing` to the configured file (or stderr), once per process.

use std::sync::OnceLock;

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
            Some(f) => builder.with_writer(std::sync::Mutex::new(f)).try_init(),
            None => builder.with_writer(std::io::stderr).try_init(),
        };
        if result.is_err() {
            // Another subscriber is installed (host or test): keep it.
        }
    });
}
