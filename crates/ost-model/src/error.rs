//! [`OstError`]: one variant per OST status family, each with a human cause (the VAST / S3
//! reason). The mapping to numbers lives in `status`. Causes must never contain secrets.

use crate::descriptor::DescriptorError;
use crate::endpoint::EndpointError;
use crate::image_date::ImageDateError;
use crate::image_key::KeyError;
use crate::image_name::ImageNameError;
use crate::lsu_name::LsuNameError;
use crate::server_name::{InterfaceListError, ServerNameError};

/// An error returned from an OST operation.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OstError {
    /// The server name is not ours (`stspi_claim`).
    #[error("not a vast-ost storage server: {cause}")]
    Claim {
        /// Why.
        cause: String,
    },
    /// An argument is invalid.
    #[error("invalid argument: {cause}")]
    InvalidArgument {
        /// Why.
        cause: String,
    },
    /// The image, LSU or object does not exist.
    #[error("not found: {cause}")]
    NotFound {
        /// Why.
        cause: String,
    },
    /// A list has no more entries.
    #[error("no more entries: {cause}")]
    NoMoreEntries {
        /// Which list.
        cause: String,
    },
    /// The image or LSU already exists.
    #[error("already exists: {cause}")]
    AlreadyExists {
        /// Why.
        cause: String,
    },
    /// Authentication failed.
    #[error("authentication failed: {cause}")]
    Auth {
        /// Why (never the credential itself).
        cause: String,
    },
    /// Network or connection failure.
    #[error("network error: {cause}")]
    Network {
        /// Why.
        cause: String,
    },
    /// No space or quota exceeded.
    #[error("no space: {cause}")]
    NoSpace {
        /// Why.
        cause: String,
    },
    /// The resource is busy (e.g. image open for writing).
    #[error("busy: {cause}")]
    Busy {
        /// Why.
        cause: String,
    },
    /// Access denied.
    #[error("permission denied: {cause}")]
    PermissionDenied {
        /// Why.
        cause: String,
    },
    /// Out of memory.
    #[error("out of memory: {cause}")]
    OutOfMemory {
        /// Why.
        cause: String,
    },
    /// A bug or unexpected state in the plugin.
    #[error("internal error: {cause}")]
    Internal {
        /// Why.
        cause: String,
    },
    /// The operation is not supported.
    #[error("not supported: {cause}")]
    NotSupported {
        /// Why.
        cause: String,
    },
    /// Refused because the image is WORM / retention locked.
    #[error("WORM locked: {cause}")]
    WormLocked {
        /// Why, ideally with the lock expiry.
        cause: String,
    },
    /// Timed out.
    #[error("timed out: {cause}")]
    Timeout {
        /// Why.
        cause: String,
    },
    /// Cancelled.
    #[error("cancelled: {cause}")]
    Cancelled {
        /// Why.
        cause: String,
    },
    /// Temporary failure (throttling, 503); retrying may succeed.
    #[error("temporary failure: {cause}")]
    TryAgain {
        /// Why.
        cause: String,
    },
    /// Stored data or metadata is corrupt or unreadable.
    #[error("corrupt: {cause}")]
    Corrupt {
        /// Why.
        cause: String,
    },
}

impl OstError {
    /// The human cause text.
    pub fn cause(&self) -> &str {
        match self {
            Self::Claim { cause }
            | Self::InvalidArgument { cause }
            | Self::NotFound { cause }
            | Self::NoMoreEntries { cause }
            | Self::AlreadyExists { cause }
            | Self::Auth { cause }
            | Self::Network { cause }
            | Self::NoSpace { cause }
            | Self::Busy { cause }
            | Self::PermissionDenied { cause }
            | Self::OutOfMemory { cause }
            | Self::Internal { cause }
            | Self::NotSupported { cause }
            | Self::WormLocked { cause }
            | Self::Timeout { cause }
            | Self::Cancelled { cause }
            | Self::TryAgain { cause }
            | Self::Corrupt { cause } => cause,
        }
    }

    /// The `stspi_claim` answer for a name that is not ours.
    pub fn claim(err: &ServerNameError) -> Self {
        Self::Claim {
            cause: err.to_string(),
        }
    }

    /// Maps an HTTP status from the S3 or VMS API to an error family. `cause` should name the
    /// request and the server's error code (e.g. `"GET key: 404 NoSuchKey"`).
    pub fn from_http_status(status: u16, cause: impl Into<String>) -> Self {
        let cause = cause.into();
        match status {
            400 | 411 | 414 | 416 => Self::InvalidArgument { cause },
            401 => Self::Auth { cause },
            403 => Self::PermissionDenied { cause },
            404 => Self::NotFound { cause },
            405 | 501 => Self::NotSupported { cause },
            408 | 504 => Self::Timeout { cause },
            409 | 412 | 423 => Self::Busy { cause },
            413 | 507 => Self::NoSpace { cause },
            429 | 503 => Self::TryAgain { cause },
            500 | 502 => Self::Network { cause },
            _ => Self::Internal { cause },
        }
    }

    /// Every variant with an example cause (for exhaustive tests and docs).
    pub fn examples() -> Vec<Self> {
        let c = |s: &str| s.to_owned();
        vec![
            Self::Claim { cause: c("claim") },
            Self::InvalidArgument { cause: c("arg") },
            Self::NotFound { cause: c("404") },
            Self::NoMoreEntries { cause: c("end") },
            Self::AlreadyExists { cause: c("exists") },
            Self::Auth { cause: c("401") },
            Self::Network { cause: c("reset") },
            Self::NoSpace { cause: c("quota") },
            Self::Busy { cause: c("open") },
            Self::PermissionDenied { cause: c("403") },
            Self::OutOfMemory { cause: c("alloc") },
            Self::Internal { cause: c("bug") },
            Self::NotSupported { cause: c("nope") },
            Self::WormLocked { cause: c("locked") },
            Self::Timeout { cause: c("slow") },
            Self::Cancelled { cause: c("stop") },
            Self::TryAgain { cause: c("503") },
            Self::Corrupt {
                cause: c("bad json"),
            },
        ]
    }
}

macro_rules! invalid_argument_from {
    ($($t:ty),* $(,)?) => {$(
        impl From<$t> for OstError {
            fn from(e: $t) -> Self {
                Self::InvalidArgument { cause: e.to_string() }
            }
        }
    )*};
}

invalid_argument_from!(
    ServerNameError,
    EndpointError,
    InterfaceListError,
    LsuNameError,
    ImageNameError,
    ImageDateError,
    KeyError,
);

impl From<DescriptorError> for OstError {
    fn from(e: DescriptorError) -> Self {
        let cause = e.to_string();
        match e {
            DescriptorError::UnsupportedMajor { .. } => Self::NotSupported { cause },
            _ => Self::Corrupt { cause },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::status::{OstStatus, OST_ERROR_MAX, OST_ERROR_MIN};

    #[test]
    fn every_error_has_cause_and_code_in_range() {
        let all = OstError::examples();
        assert_eq!(all.len(), 18);
        for e in &all {
            let code = e.code();
            assert!((OST_ERROR_MIN..=OST_ERROR_MAX).contains(&code), "{e:?}");
            assert_eq!(OstStatus::from_code(code), Some(e.status()));
            assert!(!e.cause().is_empty());
            assert!(e.to_string().ends_with(e.cause()));
        }
    }

    #[test]
    fn not_found_is_no_more_entries_code() {
        assert_eq!(OstError::from_http_status(404, "GET k").code(), 2_060_013);
        assert_eq!(OstError::from_http_status(403, "x").code(), 2_060_906);
        assert!(matches!(
            OstError::from_http_status(503, "SlowDown"),
            OstError::TryAgain { .. }
        ));
        assert!(matches!(
            OstError::from_http_status(999, "?"),
            OstError::Internal { .. }
        ));
    }

    #[test]
    fn conversions() {
        let e: OstError = "ab".parse::<crate::LsuName>().unwrap_err().into();
        assert!(matches!(e, OstError::InvalidArgument { .. }));
        assert!(e.cause().contains("at least 3"));
        let e: OstError = DescriptorError::Json("x".into()).into();
        assert!(matches!(e, OstError::Corrupt { .. }));
        let err = "x://y".parse::<crate::ServerName>().unwrap_err();
        assert_eq!(OstError::claim(&err).code(), 2_060_901);
    }
}
