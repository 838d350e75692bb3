//! `ost-core`: the vast-ost plugin's brain in safe async Rust, with no C types.
//!
//! The C library (`ffi/`) drives one process-wide [`Plugin`]: every OST call is a **blocking**
//! method on it, safe to call from many NetBackup threads at once, returning
//! `Result<_, ost_model::OstError>` (the C layer returns [`OstError::code`]). Objects the C layer
//! keeps (servers, images, list cursors, operations, event channels) are small `Copy` ids
//! ([`ServerId`], [`ImageHandleId`], [`ListId`], [`OpId`], [`EventChannelId`]) checked against
//! tables inside the plugin: a stale or mixed-up id is an error, never a crash.
//!
//! | OST call | `Plugin` method |
//! |---|---|
//! | `stspi_init` / `stspi_terminate` | [`Plugin::init_global`] / [`Plugin::terminate_global`] |
//! | `stspi_claim` | [`Plugin::claim`] |
//! | `stspi_open_server` / `close_server` | [`Plugin::open_server`] / [`Plugin::close_server`] |
//! | `stspi_get_server_prop(_byname)` | [`Plugin::server_props`] / [`Plugin::server_props_by_name`] |
//! | `stspi_open_lsu_list` / `list_lsu` / `close_lsu_list` | [`Plugin::open_lsu_list`] / [`Plugin::next_lsu`] / [`Plugin::close_list`] |
//! | `stspi_get_lsu_prop_byname` / `label_lsu` | [`Plugin::lsu_info`] / [`Plugin::label_lsu`] |
//! | `stspi_create_image` / `open_image` | [`Plugin::create_image`] / [`Plugin::open_image`] |
//! | `stspi_write_image` / `read_image` / `flush` | [`Plugin::write_image`] / [`Plugin::read_image`] / [`Plugin::flush_image`] |
//! | `stspi_close_image` | [`Plugin::close_image`] (with [`CloseFlags`]) |
//! | `stspi_get_image_prop(_byname)` | [`Plugin::image_props`] / [`Plugin::image_props_by_name`] |
//! | `stspi_delete_image` | [`Plugin::delete_image`] |
//! | `stspi_open_image_list` / `list_image` | [`Plugin::open_image_list`] / [`Plugin::next_image`] |
//! | `stspi_write_image_meta` / `read_image_meta` | [`Plugin::write_image_meta`] / [`Plugin::read_image_meta`] |
//! | `stspi_copy_image` / `async_copy_image` | [`Plugin::copy_image`] / [`Plugin::async_copy_image`] |
//! | `stspi_query_operation` / `cancel_operation` | [`Plugin::query_operation`] / [`Plugin::cancel_operation`] |
//! | `stspi_open_evchannel` / `get_event` / `close_evchannel` | [`Plugin::open_event_channel`] / [`Plugin::next_event`] / [`Plugin::close_event_channel`] |
//! | health / get_config / set_config / statistics | [`Plugin::health_check`] / [`Plugin::get_config`] / [`Plugin::set_config`] / [`Plugin::statistics`] |
//! | (maintenance) | [`Plugin::sweep_orphans`] |
//! | (the `vast-ost` tool) | [`Plugin::check_server`], [`Plugin::verify_image`], [`Plugin::image_descriptor`], [`Plugin::sweep_lsu`] |
//!
//! Inside, `server` holds one open storage server (VMS session, data store, LSU cache, busy
//! registry, statistics, events), [`image`] the enforced image lifecycle, and `store` the
//! data-store trait with its S3 and NFS implementations. See `docs/ARCHITECTURE.md` for the
//! state machines and call flows, `docs/configuration.md` for every configuration key.
#![forbid(unsafe_code)]

pub mod bandwidth;
pub mod config;
pub mod events;
pub mod handles;
pub mod image;
pub mod ops;
pub mod plugin;
pub mod types;

mod error;
mod logging;
mod private_file;
mod server;
mod shared;
mod stats;
mod store;

pub use config::{DataPathKind, PluginConfig, PluginSection, ServerConfig, CONFIG_ENV};
pub use handles::{EventChannelId, ImageHandleId, ListId, OpId, ServerId};
pub use ost_model::{
    CloseFlags, CreateFlags, ImageDef, ImageId, ImageInfo, ImageInfoFlags, LsuInfo, LsuName,
    OpenMode, OstError, ServerName,
};
pub use plugin::Plugin;
pub use server::admin::VerifyReport;
pub use server::check::{CheckOutcome, CheckReport, CheckStep, CHECK_PROBE_KEY};
pub use types::{
    CopyRequest, Counters, Credentials, Event, EventKind, HealthCheck, HealthReport, ImageFilter,
    IssuedToken, LsuProps, OpState, OpStatus, ServerProps, Statistics, SweepReport,
};
pub use vast_vms_client::Secret;

/// Version of the plugin, as written into descriptors and reported in server properties.
pub const PLUGIN_VERSION: &str = env!("CARGO_PKG_VERSION");
