//! Every length limit and fixed string of the model, in one place.
//!
//! The OST SDK header is not public (ost-api.md 1.6): the names `STS_MAX_STSNAME`, `STS_MAX_LSUNAME`,
//! `STS_MAX_IMAGENAME` and `STS_MAX_IF` come from the original design notes (tag D) and their values
//! are unknown. The values below are **chosen** by vast-ost; correct them here against a real SDK.

/// Longest storage-server name accepted, in bytes (`STS_MAX_STSNAME`; name D, value chosen).
pub const MAX_SERVER_NAME_LEN: usize = 1024;

/// Longest storage-server interface list accepted, in bytes (`STS_MAX_IF`; name D, value chosen).
pub const MAX_INTERFACE_LIST_LEN: usize = 4096;

/// Longest DNS host name (RFC 1035), in bytes.
pub const MAX_HOSTNAME_LEN: usize = 253;

/// Longest DNS label (RFC 1035), in bytes.
pub const MAX_HOSTNAME_LABEL_LEN: usize = 63;

/// Shortest LSU name: an LSU is an S3 bucket and S3 bucket names have at least 3 characters.
pub const MIN_LSU_NAME_LEN: usize = 3;

/// Longest LSU name (`STS_MAX_LSUNAME`; name D). Bounded by the S3 bucket-name limit of 63.
pub const MAX_LSU_NAME_LEN: usize = 63;

/// Longest image base name, in bytes (`STS_MAX_IMAGENAME`; name D, value chosen so that every
/// object key stays well below the S3 key limit).
pub const MAX_IMAGE_NAME_LEN: usize = 256;

/// Length of an image creation date string (`YYYYMMDDhhmmss`, UTC; format chosen, see `image_date`).
pub const IMAGE_DATE_LEN: usize = 14;

/// Longest S3 object key, in bytes (S3 limit).
pub const MAX_OBJECT_KEY_LEN: usize = 1024;

/// Digits a data segment number is printed with (zero-padded) in object keys.
pub const SEGMENT_DIGITS: usize = 6;

/// Scheme prefix every vast-ost storage-server name starts with (project choice, ost-api.md 6).
pub const SERVER_SCHEME: &str = "vast://";

/// First path component of every object the plugin writes in an LSU bucket.
pub const KEY_ROOT: &str = "netbackup";

/// Path component holding the data segments of an image.
pub const KEY_DATA_DIR: &str = "data";

/// Object name of the image descriptor (vast-ost's own JSON document).
pub const KEY_DESCRIPTOR: &str = "metadata";

/// Object name of NetBackup's own image metadata (what `write_image_meta` stores).
pub const KEY_NBMETA: &str = "nbmeta";

/// Path component holding the staged tails of a pending image (the bytes after its last whole
/// part at a checkpoint).
pub const KEY_TAIL_DIR: &str = "tail";

/// Digits of the byte offset in a staged tail's key (zero-padded: every `u64` fits, and keys
/// sort like the offsets).
pub const TAIL_OFFSET_DIGITS: usize = 20;
