//! Size constants and plugin identity. Buffer sizes include the terminating NUL; the longest
//! accepted name is one byte shorter and equals the limit in `ost_model::limits` (checked at
//! compile time below, so the two can never drift).

use ost_model::limits;

/// Unit of write lengths: every `stspi_write_image` length is a multiple of it
/// (`STS_BLOCK_SIZE`: name V, value **chosen**; NetBackup writes 256 KiB multiples).
pub const STS_BLOCK_SIZE: u64 = 512;

/// Buffer size of a storage-server name (`STS_MAX_STSNAME`: name D, value chosen = limit + NUL).
pub const STS_MAX_STSNAME: usize = 1025;
/// Buffer size of an LSU name (`STS_MAX_LSUNAME`: name D, value chosen = S3 bucket limit + NUL).
pub const STS_MAX_LSUNAME: usize = 64;
/// Buffer size of an image base name (`STS_MAX_IMAGENAME`: name D, value chosen = limit + NUL).
pub const STS_MAX_IMAGENAME: usize = 257;
/// Buffer size of an interface list (`STS_MAX_IF`: name D, value chosen = limit + NUL).
pub const STS_MAX_IF: usize = 4097;
/// Buffer size of an image date `YYYYMMDDhhmmss` (chosen).
pub const STS_MAX_DATE: usize = 15;
/// Buffer size of a credential user name (chosen).
pub const STS_MAX_USER: usize = 256;
/// Buffer size of a credential password (chosen).
pub const STS_MAX_PASSWORD: usize = 256;
/// Buffer size of an LSU label (chosen).
pub const STS_MAX_LABEL: usize = 256;
/// Buffer size of informational text fields (cluster name, versions, severity) (chosen).
pub const STS_MAX_TEXT: usize = 256;
/// Buffer size of an event message (chosen).
pub const STS_MAX_EVMSG: usize = 1024;
/// Buffer size of the plugin identity strings of `stspi_plugin_info_t` (chosen).
pub const STS_MAX_PLUGIN_STR: usize = 128;
/// Longest image-metadata buffer one call moves (chosen: 64 MiB).
pub const STS_MAX_META_IO: u64 = 64 << 20;
/// Longest data buffer one read or write call moves (chosen: 1 GiB).
pub const STS_MAX_IO: u64 = 1 << 30;

/// Plugin prefix reported by `stspi_init` and matched by the core (R mechanism; value chosen).
pub const STSPI_PREFIX: &str = "vast:";
/// Plugin label reported by `stspi_init` (chosen).
pub const STSPI_LABEL: &str = "VAST Data OpenStorage plugin";
/// Vendor reported by `stspi_init` (chosen).
pub const STSPI_VENDOR: &str = "vast-ost";
/// Highest OST API version this plugin speaks (D: the `_v11` suffixes of the design notes).
pub const STSPI_API_VERSION: u32 = 11;
/// Lowest core API version accepted by `stspi_init` (D: the oldest suffix kept, `_v7`).
pub const STSPI_MIN_API_VERSION: u32 = 7;

const _: () = {
    assert!(STS_MAX_STSNAME == limits::MAX_SERVER_NAME_LEN + 1);
    assert!(STS_MAX_LSUNAME == limits::MAX_LSU_NAME_LEN + 1);
    assert!(STS_MAX_IMAGENAME == limits::MAX_IMAGE_NAME_LEN + 1);
    assert!(STS_MAX_IF == limits::MAX_INTERFACE_LIST_LEN + 1);
    assert!(STS_MAX_DATE == limits::IMAGE_DATE_LEN + 1);
    assert!((256 * 1024u64).is_multiple_of(STS_BLOCK_SIZE));
    assert!(STSPI_MIN_API_VERSION <= STSPI_API_VERSION);
};
