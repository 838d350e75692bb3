//! `#[repr(C)]` structs and handle types of the C ABI. Struct and field names tagged V are the
//! public OST names; the layouts (field order, sizes) are **chosen**: the SDK's layouts are not
//! public. Strings are fixed `char` arrays holding NUL-terminated UTF-8.
#![allow(non_camel_case_types)]

use std::os::raw::c_char;

use super::constants::*;

/// An open storage server (`stspi_open_server`). Handles are opaque numbers checked against a
/// registry: 0 is never valid, a closed or forged handle is `STS_EINVAL` (chosen).
pub type sts_server_handle_t = u64;
/// An open image (`stspi_create_image_v10` / `stspi_open_image_v10`) (chosen).
pub type sts_image_handle_t = u64;
/// An open LSU or image list (chosen).
pub type sts_list_handle_t = u64;
/// An asynchronous operation (`stspi_async_copy_image_v11`) (chosen).
pub type sts_op_handle_t = u64;
/// An open event channel (`stspi_open_evchannel_v11`) (chosen).
pub type sts_evc_handle_t = u64;

/// What `stspi_init` reports about the plugin (R: prefix, label, build and vendor version, as
/// `bpstsinfo -pi` prints them; layout chosen).
#[repr(C)]
#[derive(Clone, Copy)]
pub struct stspi_plugin_info_t {
    /// Server-name prefix this plugin owns (`vast:`).
    pub spi_prefix: [c_char; STS_MAX_PLUGIN_STR],
    /// Human label.
    pub spi_label: [c_char; STS_MAX_PLUGIN_STR],
    /// Vendor name.
    pub spi_vendor: [c_char; STS_MAX_PLUGIN_STR],
    /// Plugin build version (the crate version).
    pub spi_build_version: [c_char; STS_MAX_PLUGIN_STR],
    /// Vendor version string.
    pub spi_vendor_version: [c_char; STS_MAX_PLUGIN_STR],
    /// OST API version the plugin speaks with this core: min(core version, `STSPI_API_VERSION`).
    pub spi_api_version: u32,
}

/// Credentials passed to `stspi_open_server` (`sts_cred_t`, `cr_type`: names D; layout chosen).
#[repr(C)]
#[derive(Clone, Copy)]
pub struct sts_cred_t {
    /// `STS_CRED_NONE` (use the configured credentials) or `STS_CRED_CLEAR`.
    pub cr_type: u32,
    /// VMS user name.
    pub cr_user: [c_char; STS_MAX_USER],
    /// Its password (never logged).
    pub cr_password: [c_char; STS_MAX_PASSWORD],
}

/// Storage-server properties (`sts_server_info_t`, `srv_flags`, `srv_cap`: names D; rest chosen).
#[repr(C)]
#[derive(Clone, Copy)]
pub struct sts_server_info_t {
    /// The storage-server name.
    pub srv_server: [c_char; STS_MAX_STSNAME],
    /// `STS_SRV_*` flags.
    pub srv_flags: u32,
    /// `STS_DATA_PATH_S3` or `STS_DATA_PATH_NFS`.
    pub srv_data_path: u32,
    /// `STS_SRVC_*` capabilities.
    pub srv_cap: u64,
    /// Usable capacity in bytes (0 when unknown).
    pub srv_capacity: u64,
    /// Free capacity in bytes (0 when unknown).
    pub srv_free: u64,
    /// Cluster name.
    pub srv_cluster: [c_char; STS_MAX_TEXT],
    /// Cluster software version.
    pub srv_cluster_version: [c_char; STS_MAX_TEXT],
    /// Cluster state (`ONLINE` when healthy).
    pub srv_cluster_state: [c_char; STS_MAX_TEXT],
    /// Plugin version.
    pub srv_plugin_version: [c_char; STS_MAX_TEXT],
}

/// An LSU of an open server (`sts_lsu_t`: name V "pairs a server handle with an LSU name";
/// layout chosen).
#[repr(C)]
#[derive(Clone, Copy)]
pub struct sts_lsu_t {
    /// The open server.
    pub lsu_server: sts_server_handle_t,
    /// The LSU (bucket) name.
    pub lsu_name: [c_char; STS_MAX_LSUNAME],
}

/// An LSU name as `stspi_list_lsu` returns it (chosen).
#[repr(C)]
#[derive(Clone, Copy)]
pub struct sts_lsu_name_t {
    /// The LSU name.
    pub sln_name: [c_char; STS_MAX_LSUNAME],
}

/// LSU properties, current API (`sts_lsu_info_t`, `lsu_capacity`, `lsu_used`, `lsu_used_phys`:
/// V; other fields and layout chosen).
#[repr(C)]
#[derive(Clone, Copy)]
pub struct sts_lsu_info_t {
    /// The LSU name.
    pub lsu_name: [c_char; STS_MAX_LSUNAME],
    /// `STS_LSUF_*` flags.
    pub lsu_flags: u32,
    /// Capacity in bytes (V).
    pub lsu_capacity: u64,
    /// Logical bytes used (V).
    pub lsu_used: u64,
    /// Physical bytes used after reduction (V).
    pub lsu_used_phys: u64,
    /// Administrator label (empty when none).
    pub lsu_label: [c_char; STS_MAX_LABEL],
}

/// LSU properties as `stspi_get_lsu_prop_byname_v9` returns them (chosen: v11 without
/// `lsu_used_phys` and the label).
#[repr(C)]
#[derive(Clone, Copy)]
pub struct sts_lsu_info_v9_t {
    /// The LSU name.
    pub lsu_name: [c_char; STS_MAX_LSUNAME],
    /// `STS_LSUF_*` flags.
    pub lsu_flags: u32,
    /// Capacity in bytes.
    pub lsu_capacity: u64,
    /// Logical bytes used.
    pub lsu_used: u64,
}

/// An image definition (`sts_image_def_t`: name V; base name + date I; layout chosen).
#[repr(C)]
#[derive(Clone, Copy)]
pub struct sts_image_def_t {
    /// NetBackup image base name.
    pub img_basename: [c_char; STS_MAX_IMAGENAME],
    /// Creation date `YYYYMMDDhhmmss` (UTC).
    pub img_date: [c_char; STS_MAX_DATE],
    /// Copy number (0: from the `_C<n>` part of the name).
    pub img_copy: u32,
    /// Fragment number (0: from the `_F<n>` part of the name).
    pub img_fragment: u32,
    /// `STS_IMG_*` flags.
    pub img_flags: u32,
}

/// Image properties (`sts_image_info_t`, `imo_size`: V; layout chosen).
#[repr(C)]
#[derive(Clone, Copy)]
pub struct sts_image_info_t {
    /// The image definition.
    pub imo_def: sts_image_def_t,
    /// `STS_II_*` flags.
    pub imo_flags: u32,
    /// Image size in bytes (V), current while writing.
    pub imo_size: u64,
}

/// The content description `write_image` receives (V: "stat structure"; its fields are not
/// public, so all are chosen and the plugin only checks `st_version`).
#[repr(C)]
#[derive(Clone, Copy)]
pub struct sts_stat_t {
    /// Structure version; must be `STS_STAT_VERSION`.
    pub st_version: u32,
    /// Content kind flags (opaque to the plugin).
    pub st_flags: u32,
    /// Bytes of the image described so far (informational).
    pub st_size: u64,
}

/// `sts_stat_t.st_version` this plugin understands (chosen).
pub const STS_STAT_VERSION: u32 = 1;

/// Which images `stspi_open_image_list_v10` returns (chosen).
#[repr(C)]
#[derive(Clone, Copy)]
pub struct sts_image_filter_t {
    /// Only base names starting with this (empty: all).
    pub if_prefix: [c_char; STS_MAX_IMAGENAME],
    /// Only images created at or after this Unix time (0: no bound).
    pub if_created_after: u64,
    /// Only images created before this Unix time (0: no bound).
    pub if_created_before: u64,
    /// `STS_IF_*` flags.
    pub if_flags: u32,
}

/// Progress of an asynchronous operation (`stspi_query_operation_v11`: name D; layout chosen).
#[repr(C)]
#[derive(Clone, Copy)]
pub struct sts_op_status_t {
    /// `STS_OP_*` state.
    pub op_state: u32,
    /// Status code of the failure when `op_state` is `STS_OP_FAILED`, else 0.
    pub op_error: i32,
    /// Bytes copied so far.
    pub op_bytes_done: u64,
    /// Bytes to copy in all.
    pub op_bytes_total: u64,
}

/// One event of an event channel (`stspi_get_event_v11`: name D; layout chosen).
#[repr(C)]
#[derive(Clone, Copy)]
pub struct sts_event_t {
    /// `STS_EV_*` kind.
    pub ev_kind: u32,
    /// Operation handle for copy events, else 0.
    pub ev_op: sts_op_handle_t,
    /// Unix time of the event.
    pub ev_time: u64,
    /// Severity (`INFO`, `ERROR`, or VMS severities).
    pub ev_severity: [c_char; STS_MAX_TEXT],
    /// LSU for image and copy events (empty otherwise).
    pub ev_lsu: [c_char; STS_MAX_LSUNAME],
    /// Image for image and copy events (empty otherwise; copy and fragment 0).
    pub ev_image: sts_image_def_t,
    /// Human text.
    pub ev_message: [c_char; STS_MAX_EVMSG],
}

macro_rules! zeroed_pod {
    ($($t:ty),*) => {$(
        impl $t {
            /// An all-zero value (every field is an integer or a `char` array).
            pub fn zeroed() -> Self {
                // SAFETY: the type is `repr(C)` plain data (integers and integer arrays only),
                // for which the all-zero bit pattern is a valid value.
                unsafe { std::mem::zeroed() }
            }
        }
    )*};
}

zeroed_pod!(
    stspi_plugin_info_t,
    sts_cred_t,
    sts_server_info_t,
    sts_lsu_t,
    sts_lsu_name_t,
    sts_lsu_info_t,
    sts_lsu_info_v9_t,
    sts_image_def_t,
    sts_image_info_t,
    sts_stat_t,
    sts_image_filter_t,
    sts_op_status_t,
    sts_event_t
);
