//! How the S3 face answers where VAST releases are not known to agree with AWS: conditional
//! creates, the AWS SDKs' flexible-checksum headers, and a write past a full quota. Each is a
//! switch of [`SimConfig`](crate::SimConfig) (and a `vast-sim` flag), so the plugin can be
//! tested against every answer it may meet on a real cluster.

/// What a write carrying `If-None-Match: *` (PutObject, CompleteMultipartUpload) gets.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum ConditionalCreate {
    /// Honoured: the write fails with 412 `PreconditionFailed` when the key exists (AWS).
    #[default]
    Honour,
    /// Ignored: the header is dropped and the write overwrites (VAST documents `If-None-Match`
    /// for reads only).
    Ignore,
    /// Refused: the write fails with 501 `NotImplemented`, whether the key exists or not.
    Refuse,
}

/// What a request carrying the flexible-checksum headers (`x-amz-checksum-*`,
/// `x-amz-sdk-checksum-algorithm`, an `x-amz-trailer` naming a checksum) gets.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum ChecksumHeaders {
    /// Accepted: verified (`BadDigest` on a mismatch) and stored (AWS).
    #[default]
    Accept,
    /// Refused with 400 `InvalidArgument`, as releases that predate the AWS SDKs' new default
    /// checksums are reported to do. `Content-MD5` is still accepted and verified.
    Refuse,
    /// Refused with 400 `InvalidArgument`, and `Content-MD5` too (no body checksum at all).
    RefuseAll,
}

impl ChecksumHeaders {
    /// True when a request carrying header `name` (value `value`) is refused.
    pub fn refuses(self, name: &str, value: &[u8]) -> bool {
        match self {
            ChecksumHeaders::Accept => false,
            ChecksumHeaders::Refuse => is_flexible_checksum_header(name, value),
            ChecksumHeaders::RefuseAll => {
                is_flexible_checksum_header(name, value) || name.eq_ignore_ascii_case("content-md5")
            }
        }
    }
}

/// The answer to a write past a bucket's hard quota (or into a bucket the fault plan marks
/// full). VAST's real answer is not documented.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum QuotaAnswer {
    /// HTTP 403 `QuotaExceeded` (what other S3 stores answer).
    #[default]
    QuotaExceeded,
    /// HTTP 403 `AccessDenied`: indistinguishable from a permission refusal.
    AccessDenied,
    /// HTTP 507 `InsufficientStorage`.
    InsufficientStorage,
    /// HTTP 500 `InternalError`: indistinguishable from a server fault.
    InternalError,
}

/// The S3 face's three switches together, as the handler consults them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct S3Modes {
    /// `If-None-Match: *` on writes.
    pub conditional_create: ConditionalCreate,
    /// Flexible-checksum headers.
    pub checksum_headers: ChecksumHeaders,
    /// A write past a full quota.
    pub quota_answer: QuotaAnswer,
}

/// True when a request header is one of the flexible-checksum headers [`ChecksumHeaders::Refuse`]
/// refuses.
pub fn is_flexible_checksum_header(name: &str, value: &[u8]) -> bool {
    let name = name.to_ascii_lowercase();
    name.starts_with("x-amz-checksum-")
        || name == "x-amz-sdk-checksum-algorithm"
        || (name == "x-amz-trailer"
            && String::from_utf8_lossy(value)
                .to_ascii_lowercase()
                .contains("x-amz-checksum-"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flexible_checksum_headers_are_recognised_and_content_md5_is_not() {
        assert!(is_flexible_checksum_header(
            "x-amz-checksum-crc32c",
            b"AAAA"
        ));
        assert!(is_flexible_checksum_header(
            "X-Amz-Checksum-Mode",
            b"ENABLED"
        ));
        assert!(is_flexible_checksum_header(
            "x-amz-sdk-checksum-algorithm",
            b"CRC32"
        ));
        assert!(is_flexible_checksum_header(
            "x-amz-trailer",
            b"x-amz-checksum-crc32"
        ));
        assert!(!is_flexible_checksum_header("content-md5", b"AAAA"));
        assert!(!is_flexible_checksum_header(
            "x-amz-content-sha256",
            b"UNSIGNED-PAYLOAD"
        ));
    }
}
