//! OST status codes and the mapping of [`OstError`] to them: the ONE table of error numbers.
//!
//! OST errors are 7-digit numbers in the 2060000 range (ost-api.md 1.10). Only two numbers are
//! verified: 2060013 "no more entries" (Veritas' S3 plugin answers it for a missing image, V) and
//! 2060069 (delete refused by WORM, V). A few more are commonly quoted (R). All others are
//! **chosen** by vast-ost in 2060900..=2060999, away from the quoted low numbers; correct them
//! here against a real SDK. Nothing outside [`OST_ERROR_MIN`]..=[`OST_ERROR_MAX`] (or 0) is ever
//! returned: use [`OstStatus::sanitize`] on any number of unknown origin.

use std::fmt;

use crate::error::OstError;

/// How sure we are of a name or value (tags of ost-api.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Confidence {
    /// Verified in a public source.
    Verified,
    /// Inferred from verified facts.
    Inferred,
    /// Reported / commonly quoted, not verified.
    Reported,
    /// From the original design notes only.
    Design,
    /// Chosen by vast-ost.
    Chosen,
}

/// Lowest OST error number.
pub const OST_ERROR_MIN: i32 = 2_060_000;
/// Highest OST error number we allow ourselves to return.
pub const OST_ERROR_MAX: i32 = 2_060_999;

/// An OST status code as returned from every plugin entry point.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OstStatus(i32);

/// Success (`STS_EOK`; name D, value 0 D).
pub const STS_EOK: OstStatus = OstStatus(0);
/// One or more invalid arguments (`STS_EINVAL`; name D, value R).
pub const STS_EINVAL: OstStatus = OstStatus(2_060_001);
/// No more entries / not found (value V: what Veritas' S3 plugin returns for HTTP 404).
pub const STS_ENOENT: OstStatus = OstStatus(2_060_013);
/// Alias of [`STS_ENOENT`]: end of a list (V).
pub const STS_ENO_MORE_ENTRIES: OstStatus = STS_ENOENT;
/// Network / socket error (`STS_ENET`; value R "network socket error").
pub const STS_ENET: OstStatus = OstStatus(2_060_019);
/// Internal software error (`STS_EINTERNAL`; value R "software error").
pub const STS_EINTERNAL: OstStatus = OstStatus(2_060_022);
/// Delete refused: image under WORM / retention lock (value V, seen on MSDP).
pub const STS_EWORM: OstStatus = OstStatus(2_060_069);
/// Not this plugin's storage server (`STS_ECLAIM`; name D, value chosen).
pub const STS_ECLAIM: OstStatus = OstStatus(2_060_901);
/// Already exists (`STS_EEXIST`; value chosen).
pub const STS_EEXIST: OstStatus = OstStatus(2_060_902);
/// Authentication failed (`STS_EAUTH`; name D, value chosen).
pub const STS_EAUTH: OstStatus = OstStatus(2_060_903);
/// No space / quota exceeded (`STS_ENOSPC`; name D, value chosen).
pub const STS_ENOSPC: OstStatus = OstStatus(2_060_904);
/// Busy, e.g. image open for write elsewhere (`STS_EBUSY`; name D, value chosen).
pub const STS_EBUSY: OstStatus = OstStatus(2_060_905);
/// Access denied (`STS_EPERM`; value chosen).
pub const STS_EPERM: OstStatus = OstStatus(2_060_906);
/// Out of memory (`STS_ENOMEM`; value chosen).
pub const STS_ENOMEM: OstStatus = OstStatus(2_060_907);
/// Operation not supported (`STS_ENOTSUP`; value chosen).
pub const STS_ENOTSUP: OstStatus = OstStatus(2_060_908);
/// Timed out (`STS_ETIMEDOUT`; value chosen).
pub const STS_ETIMEDOUT: OstStatus = OstStatus(2_060_909);
/// Cancelled (`STS_ECANCELED`; value chosen).
pub const STS_ECANCELED: OstStatus = OstStatus(2_060_910);
/// Temporary failure, retry (`STS_EAGAIN`; name D, value chosen).
pub const STS_EAGAIN: OstStatus = OstStatus(2_060_911);
/// Stored data or metadata is corrupt or unreadable (`STS_ECORRUPT`; value chosen).
pub const STS_ECORRUPT: OstStatus = OstStatus(2_060_912);

/// One row of the status table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatusInfo {
    /// The code.
    pub status: OstStatus,
    /// Its `STS_*` name.
    pub name: &'static str,
    /// Confidence in the numeric value.
    pub value_confidence: Confidence,
    /// Short text.
    pub text: &'static str,
}

const fn row(
    status: OstStatus,
    name: &'static str,
    value_confidence: Confidence,
    text: &'static str,
) -> StatusInfo {
    StatusInfo {
        status,
        name,
        value_confidence,
        text,
    }
}

/// Every status code vast-ost may return, each once.
pub const STATUS_TABLE: &[StatusInfo] = &[
    row(STS_EOK, "STS_EOK", Confidence::Design, "success"),
    row(
        STS_EINVAL,
        "STS_EINVAL",
        Confidence::Reported,
        "one or more invalid arguments",
    ),
    row(
        STS_ENOENT,
        "STS_ENOENT",
        Confidence::Verified,
        "no more entries / not found",
    ),
    row(STS_ENET, "STS_ENET", Confidence::Reported, "network error"),
    row(
        STS_EINTERNAL,
        "STS_EINTERNAL",
        Confidence::Reported,
        "internal software error",
    ),
    row(
        STS_EWORM,
        "STS_EWORM",
        Confidence::Verified,
        "image is WORM / retention locked",
    ),
    row(
        STS_ECLAIM,
        "STS_ECLAIM",
        Confidence::Chosen,
        "not a vast-ost storage server",
    ),
    row(
        STS_EEXIST,
        "STS_EEXIST",
        Confidence::Chosen,
        "already exists",
    ),
    row(
        STS_EAUTH,
        "STS_EAUTH",
        Confidence::Chosen,
        "authentication failed",
    ),
    row(
        STS_ENOSPC,
        "STS_ENOSPC",
        Confidence::Chosen,
        "no space left",
    ),
    row(STS_EBUSY, "STS_EBUSY", Confidence::Chosen, "busy"),
    row(STS_EPERM, "STS_EPERM", Confidence::Chosen, "access denied"),
    row(
        STS_ENOMEM,
        "STS_ENOMEM",
        Confidence::Chosen,
        "out of memory",
    ),
    row(
        STS_ENOTSUP,
        "STS_ENOTSUP",
        Confidence::Chosen,
        "operation not supported",
    ),
    row(
        STS_ETIMEDOUT,
        "STS_ETIMEDOUT",
        Confidence::Chosen,
        "timed out",
    ),
    row(
        STS_ECANCELED,
        "STS_ECANCELED",
        Confidence::Chosen,
        "cancelled",
    ),
    row(
        STS_EAGAIN,
        "STS_EAGAIN",
        Confidence::Chosen,
        "temporary failure, retry",
    ),
    row(
        STS_ECORRUPT,
        "STS_ECORRUPT",
        Confidence::Chosen,
        "stored data is corrupt",
    ),
];

impl OstStatus {
    /// The number returned across the C ABI.
    pub const fn code(self) -> i32 {
        self.0
    }

    /// True for [`STS_EOK`].
    pub const fn is_ok(self) -> bool {
        self.0 == 0
    }

    /// The table row of a known code.
    pub fn info(self) -> Option<&'static StatusInfo> {
        STATUS_TABLE.iter().find(|r| r.status == self)
    }

    /// The `STS_*` name, or `"STS_UNKNOWN"`.
    pub fn name(self) -> &'static str {
        self.info().map_or("STS_UNKNOWN", |r| r.name)
    }

    /// The status of a known code number.
    pub fn from_code(code: i32) -> Option<Self> {
        STATUS_TABLE
            .iter()
            .find(|r| r.status.0 == code)
            .map(|r| r.status)
    }

    /// A code number of unknown origin made safe to return: known codes pass, anything else
    /// becomes [`STS_EINTERNAL`].
    pub fn sanitize(code: i32) -> Self {
        Self::from_code(code).unwrap_or(STS_EINTERNAL)
    }
}

impl fmt::Display for OstStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.name(), self.0)
    }
}

impl OstError {
    /// The status code of this error. Every error maps to exactly one non-zero code in range.
    pub fn status(&self) -> OstStatus {
        match self {
            Self::Claim { .. } => STS_ECLAIM,
            Self::InvalidArgument { .. } => STS_EINVAL,
            Self::NotFound { .. } | Self::NoMoreEntries { .. } => STS_ENOENT,
            Self::AlreadyExists { .. } => STS_EEXIST,
            Self::Auth { .. } => STS_EAUTH,
            Self::Network { .. } => STS_ENET,
            Self::NoSpace { .. } => STS_ENOSPC,
            Self::Busy { .. } => STS_EBUSY,
            Self::PermissionDenied { .. } => STS_EPERM,
            Self::OutOfMemory { .. } => STS_ENOMEM,
            Self::Internal { .. } => STS_EINTERNAL,
            Self::NotSupported { .. } => STS_ENOTSUP,
            Self::WormLocked { .. } => STS_EWORM,
            Self::Timeout { .. } => STS_ETIMEDOUT,
            Self::Cancelled { .. } => STS_ECANCELED,
            Self::TryAgain { .. } => STS_EAGAIN,
            Self::Corrupt { .. } => STS_ECORRUPT,
        }
    }

    /// The status code number of this error.
    pub fn code(&self) -> i32 {
        self.status().code()
    }
}

/// The status to return for a result: [`STS_EOK`] or the error's code.
pub fn status_of<T>(result: &Result<T, OstError>) -> OstStatus {
    match result {
        Ok(_) => STS_EOK,
        Err(e) => e.status(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn table_is_unique_and_in_range() {
        let mut codes = HashSet::new();
        let mut names = HashSet::new();
        for r in STATUS_TABLE {
            assert!(codes.insert(r.status.code()), "duplicate {}", r.name);
            assert!(names.insert(r.name));
            assert!(
                r.status.is_ok() || (OST_ERROR_MIN..=OST_ERROR_MAX).contains(&r.status.code()),
                "{} out of range",
                r.name
            );
        }
    }

    #[test]
    fn verified_values() {
        assert_eq!(STS_ENO_MORE_ENTRIES.code(), 2_060_013);
        assert_eq!(STS_EWORM.code(), 2_060_069);
        assert_eq!(STS_EOK.code(), 0);
        assert_eq!(
            STS_ENOENT.info().map(|r| r.value_confidence),
            Some(Confidence::Verified)
        );
        assert_eq!(STS_ECLAIM.to_string(), "STS_ECLAIM (2060901)");
    }

    #[test]
    fn sanitize_never_lets_foreign_numbers_out() {
        assert_eq!(OstStatus::sanitize(227), STS_EINTERNAL);
        assert_eq!(OstStatus::sanitize(-1), STS_EINTERNAL);
        assert_eq!(OstStatus::sanitize(2_060_013), STS_ENOENT);
        assert_eq!(OstStatus::from_code(2_060_500), None);
    }

    #[test]
    fn status_of_results() {
        let ok: Result<(), OstError> = Ok(());
        assert_eq!(status_of(&ok), STS_EOK);
        let err: Result<(), OstError> = Err(OstError::WormLocked {
            cause: "object lock until 2030".into(),
        });
        assert_eq!(status_of(&err).code(), 2_060_069);
    }
}
