//! S3 errors the store makes itself.

use s3s::{S3Error, S3ErrorCode};

use crate::s3_modes::QuotaAnswer;

/// The error of a write refused by a bucket's quota, as `answer` selects.
///
/// VAST's answer to a write past a quota's hard limit is not documented; the default, HTTP 403
/// `QuotaExceeded`, is our assumption (AWS has no such code). The same answer is given for
/// buckets the fault plan marks as full.
pub(crate) fn quota_exceeded(bucket: &str, answer: QuotaAnswer) -> S3Error {
    let (code, status, message) = match answer {
        QuotaAnswer::QuotaExceeded => (
            S3ErrorCode::Custom("QuotaExceeded".into()),
            http::StatusCode::FORBIDDEN,
            format!("The quota of bucket {bucket} would be exceeded by this write"),
        ),
        QuotaAnswer::AccessDenied => (
            S3ErrorCode::AccessDenied,
            http::StatusCode::FORBIDDEN,
            "Access Denied".to_owned(),
        ),
        QuotaAnswer::InsufficientStorage => (
            S3ErrorCode::Custom("InsufficientStorage".into()),
            http::StatusCode::INSUFFICIENT_STORAGE,
            format!("Not enough space in bucket {bucket}"),
        ),
        QuotaAnswer::InternalError => (
            S3ErrorCode::InternalError,
            http::StatusCode::INTERNAL_SERVER_ERROR,
            "We encountered an internal error. Please try again.".to_owned(),
        ),
    };
    let mut e = S3Error::with_message(code, message);
    e.set_status_code(status);
    e
}

/// An I/O failure underneath, as `InternalError`.
pub(crate) fn io_error(e: std::io::Error) -> S3Error {
    s3s::s3_error!(InternalError, "object store I/O failed: {e}")
}
