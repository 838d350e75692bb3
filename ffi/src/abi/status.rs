//! Status codes: every number comes from `ost_model::status` (the single table); this module
//! only names the C type. The header generator prints `STATUS_TABLE` as `#define`s with tags.

pub use ost_model::status::{OstStatus, STATUS_TABLE};

/// What every entry point returns: `STS_EOK` (0) or an OST error number in 2060000..=2060999
/// (`sts_status_t`: chosen name; the 2060000 range is I, 2060013 and 2060069 are V).
#[allow(non_camel_case_types)]
pub type sts_status_t = i32;

/// Success.
pub(crate) const OK: sts_status_t = ost_model::status::STS_EOK.code();
/// Internal software error: returned for panics and calls before `stspi_init`.
pub(crate) const EINTERNAL: sts_status_t = ost_model::status::STS_EINTERNAL.code();
