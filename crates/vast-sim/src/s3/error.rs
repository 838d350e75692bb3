//! S3 errors the store makes itself.

use s3s::{S3Error, S3ErrorCode};

/// The error of a write refused by a bucket's quota.
///
/// Assumption: VAST answers a write past a quota's hard limit with HTTP 403 and the code
/// `QuotaExceeded` (not verified on hardware; AWS has no such code). The same answer is given
/// for buckets the fault plan marks as full.
pub(crate) fn quota_exceeded(bucket: &str) -> S3Error {
    let mut e = S3Error::with_message(
        S3ErrorCode::Custom("QuotaExceeded".into()),
        format!("The quota of bucket {bucket} would be exceeded by this write"),
    );
    e.set_status_code(http::StatusCode::FORBIDDEN);
    e
}

/// An I/O failure underneath, as `InternalError`.
pub(crate) fn io_error(e: std::io::Error) -> S3Error {
    s3s::s3_error!(InternalError, "object store I/O failed: {e}")
}
