//! `stspi_init`, `stspi_claim`, `stspi_terminate`.

use std::os::raw::c_char;

use ost_core::{OstError, Plugin};

use crate::abi::*;
use crate::guard::{self, entry};
use crate::marshal::{self, put_str};

/// Initialises the plugin (configuration from `VAST_OST_CONFIG`, else
/// `/usr/openv/lib/ost-plugins/vast-ost.toml`) and reports its identity in `info`.
/// `core_api_version` is the API version of the calling core; below `STSPI_MIN_API_VERSION`
/// is `STS_ENOTSUP`; an unreadable or invalid configuration is `STS_EINVAL` (the cause goes to
/// stderr, as logging is not set up yet). Calling it again while initialised is fine.
///
/// # Safety
/// `info` must be NULL or point to a writable `stspi_plugin_info_t`.
#[no_mangle]
pub unsafe extern "C" fn stspi_init(
    core_api_version: u32,
    info: *mut stspi_plugin_info_t,
) -> sts_status_t {
    entry("stspi_init", |_| {
        // SAFETY: forwarded contract (NULL or writable for its type; checked here).
        let info = unsafe { marshal::out(info, "info") }?;
        if core_api_version < STSPI_MIN_API_VERSION {
            return Err(OstError::NotSupported {
                cause: format!(
                    "core API version {core_api_version} is older than {STSPI_MIN_API_VERSION}"
                ),
            });
        }
        crate::fork_hooks::install();
        if let Err(e) = Plugin::init_global() {
            // Logging is configured by the plugin itself, so a failed start (a bad
            // configuration file, typically) can only be told on stderr.
            eprintln!("vast-ost: stspi_init failed: {e}");
            return Err(e);
        }
        if crate::sigpipe::ignore_if_default() {
            tracing::info!(
                "SIGPIPE was at its default action (kill the process); now ignored, so a \
                 closed connection fails a write with EPIPE instead"
            );
        }
        let mut out = stspi_plugin_info_t::zeroed();
        put_str(&mut out.spi_prefix, STSPI_PREFIX);
        put_str(&mut out.spi_label, STSPI_LABEL);
        put_str(&mut out.spi_vendor, STSPI_VENDOR);
        put_str(&mut out.spi_build_version, ost_core::PLUGIN_VERSION);
        put_str(
            &mut out.spi_vendor_version,
            &format!("vast-ost {}", ost_core::PLUGIN_VERSION),
        );
        out.spi_api_version = core_api_version.min(STSPI_API_VERSION);
        info.set(out);
        Ok(())
    })
}

/// `STS_EOK` when `server_name` is this plugin's (`vast://host[:port]`), `STS_ECLAIM` otherwise.
///
/// # Safety
/// `server_name` must be NULL or a readable string (checked up to `STS_MAX_STSNAME` bytes).
#[no_mangle]
pub unsafe extern "C" fn stspi_claim(server_name: *const c_char) -> sts_status_t {
    entry("stspi_claim", |ctx| {
        // SAFETY: forwarded contract.
        let name = unsafe { marshal::c_str(server_name, STS_MAX_STSNAME - 1, "server name") }?;
        ctx.server_name(name);
        guard::plugin()?.claim(name).map(drop)
    })
}

/// Closes every server and handle and stops the plugin (its threads are gone on return, so
/// `dlclose` is safe). Always `STS_EOK` (also when not initialised). In a child forked after
/// `stspi_init`, the parent's plugin is left alone.
#[no_mangle]
pub extern "C" fn stspi_terminate() -> sts_status_t {
    entry("stspi_terminate", |_| {
        Plugin::terminate_global();
        Ok(())
    })
}
