//! The wrapper every entry point runs in: catches panics, turns `OstError` into its OST status
//! code, and logs one line per failure naming the call, storage server, LSU and image.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

use ost_core::{ImageHandleId, OstError, Plugin, ServerId};

use crate::abi::{status::EINTERNAL, status::OK, sts_status_t};

/// What a failing call was about, filled in as arguments are decoded.
#[derive(Debug, Default)]
pub(crate) struct Ctx {
    server: Option<String>,
    lsu: Option<String>,
    image: Option<String>,
    /// An image handle named only if the call fails.
    image_on_failure: Option<u64>,
}

impl Ctx {
    /// Names the server by its name.
    pub(crate) fn server_name(&mut self, name: &str) {
        self.server = Some(name.to_owned());
    }

    /// Names the server of a handle (its name when open, else the number).
    pub(crate) fn server_handle(&mut self, handle: u64) {
        self.server =
            Some(server_name_of(handle).unwrap_or_else(|| format!("server handle {handle}")));
    }

    /// Names the LSU.
    pub(crate) fn lsu(&mut self, lsu: &str) {
        self.lsu = Some(lsu.to_owned());
    }

    /// Names the image.
    pub(crate) fn image(&mut self, image: impl std::fmt::Display) {
        self.image = Some(image.to_string());
    }

    /// Names server, LSU and image of an open image handle (or the number when unknown).
    pub(crate) fn image_handle(&mut self, plugin: &Plugin, handle: u64) {
        match plugin.image_identity(ImageHandleId::from_raw(handle)) {
            Ok((server, lsu, id)) => {
                self.server_handle(server.raw());
                self.lsu(lsu.as_str());
                self.image(id);
            }
            Err(_) => self.image = Some(format!("image handle {handle}")),
        }
    }

    /// Names the server, LSU and image of an image handle if the call fails, and costs
    /// nothing when it succeeds: for the data calls (`write_image`, `read_image`), made once
    /// per buffer, whose handle is still open when they return.
    pub(crate) fn image_handle_on_failure(&mut self, handle: u64) {
        self.image_on_failure = Some(handle);
    }

    /// Resolves a name [`Ctx::image_handle_on_failure`] deferred.
    fn resolve_deferred(&mut self) {
        if let (Some(handle), Ok(plugin)) = (self.image_on_failure.take(), Plugin::global()) {
            self.image_handle(&plugin, handle);
        }
    }
}

/// The name of an open server handle, for log lines (ost-core keeps it; no lock of its own
/// here, so a forked child never meets one a vanished parent thread held).
fn server_name_of(handle: u64) -> Option<String> {
    Plugin::global()
        .ok()
        .and_then(|p| p.server_name(ServerId::from_raw(handle)))
}

/// The initialised plugin, or `STS_EINTERNAL` before `stspi_init` / after `stspi_terminate`.
pub(crate) fn plugin() -> Result<Arc<Plugin>, OstError> {
    Plugin::global()
}

/// Runs one entry point: panics become `STS_EINTERNAL`, errors their OST code; each failure
/// is logged once (end of a list or no event at `debug`, everything else at `warn`).
pub(crate) fn entry(
    call: &'static str,
    f: impl FnOnce(&mut Ctx) -> Result<(), OstError>,
) -> sts_status_t {
    let mut ctx = Ctx::default();
    let outcome = catch_unwind(AssertUnwindSafe(|| f(&mut ctx)));
    if !matches!(outcome, Ok(Ok(()))) {
        ctx.resolve_deferred();
    }
    let none = "-";
    let server = ctx.server.as_deref().unwrap_or(none);
    let lsu = ctx.lsu.as_deref().unwrap_or(none);
    let image = ctx.image.as_deref().unwrap_or(none);
    match outcome {
        Ok(Ok(())) => OK,
        Ok(Err(e)) => {
            let code = e.code();
            if matches!(e, OstError::NoMoreEntries { .. }) {
                tracing::debug!(call, server, lsu, image, status = code, "{e}");
            } else {
                tracing::warn!(
                    call,
                    server,
                    lsu,
                    image,
                    status = code,
                    "{call} failed: {e}"
                );
            }
            code
        }
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".to_owned());
            tracing::error!(
                call,
                server,
                lsu,
                image,
                status = EINTERNAL,
                "{call} panicked: {what}"
            );
            EINTERNAL
        }
    }
}
