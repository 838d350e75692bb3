//! Request checksums (`x-amz-checksum-*` headers or aws-chunked trailers, `Content-MD5`):
//! which to compute while a body streams in, and whether what came matches what was sent.

use base64::Engine as _;
use s3s::checksum::ChecksumHasher;
use s3s::dto::ChecksumAlgorithm;
use s3s::{s3_error, S3Result, TrailingHeaders};

use super::meta::Checksums;

/// The `x-amz-trailer` header of a request: which checksum will follow an aws-chunked body.
pub(crate) fn trailer_header(headers: &http::HeaderMap) -> Option<String> {
    headers
        .get("x-amz-trailer")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// The checksums a client sent (headers, later completed from trailers) and the algorithm it
/// named.
#[derive(Clone, Debug, Default)]
pub(crate) struct Expected {
    pub(crate) given: Checksums,
    pub(crate) algorithm: Option<String>,
    pub(crate) content_md5: Option<String>,
}

impl Expected {
    /// A hasher for every algorithm that was sent or named.
    pub(crate) fn hasher(&self) -> ChecksumHasher {
        let mut hasher = ChecksumHasher::default();
        let named = self.algorithm.as_deref().map(str::to_ascii_uppercase);
        let named = named.as_deref();
        if self.given.crc32.is_some() || named == Some(ChecksumAlgorithm::CRC32) {
            hasher.crc32 = Some(Default::default());
        }
        if self.given.crc32c.is_some() || named == Some(ChecksumAlgorithm::CRC32C) {
            hasher.crc32c = Some(Default::default());
        }
        if self.given.crc64nvme.is_some() || named == Some(ChecksumAlgorithm::CRC64NVME) {
            hasher.crc64nvme = Some(Default::default());
        }
        if self.given.sha1.is_some() || named == Some(ChecksumAlgorithm::SHA1) {
            hasher.sha1 = Some(Default::default());
        }
        if self.given.sha256.is_some() || named == Some(ChecksumAlgorithm::SHA256) {
            hasher.sha256 = Some(Default::default());
        }
        hasher
    }

    /// Names the algorithm from an `x-amz-trailer` header when no algorithm header came.
    pub(crate) fn name_trailer(&mut self, trailer: Option<&str>) {
        if self.algorithm.is_none() {
            self.algorithm = trailer.and_then(|t| {
                t.trim()
                    .to_ascii_lowercase()
                    .strip_prefix("x-amz-checksum-")
                    .map(str::to_ascii_uppercase)
            });
        }
    }

    /// Adds checksums that arrived as aws-chunked trailers.
    pub(crate) fn add_trailers(&mut self, trailers: Option<&TrailingHeaders>) {
        let Some(headers) = trailers.and_then(TrailingHeaders::take) else {
            return;
        };
        let get = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let given = &mut self.given;
        given.crc32 = given.crc32.take().or_else(|| get("x-amz-checksum-crc32"));
        given.crc32c = given.crc32c.take().or_else(|| get("x-amz-checksum-crc32c"));
        given.crc64nvme = given
            .crc64nvme
            .take()
            .or_else(|| get("x-amz-checksum-crc64nvme"));
        given.sha1 = given.sha1.take().or_else(|| get("x-amz-checksum-sha1"));
        given.sha256 = given.sha256.take().or_else(|| get("x-amz-checksum-sha256"));
    }

    /// Compares what was computed with what was sent (`BadDigest` on a mismatch) and returns
    /// the checksums to store.
    pub(crate) fn verify(&self, md5: &[u8; 16], computed: Checksums) -> S3Result<Checksums> {
        if let Some(content_md5) = &self.content_md5 {
            let sent = base64::engine::general_purpose::STANDARD
                .decode(content_md5)
                .map_err(|_| s3_error!(InvalidDigest))?;
            if sent.as_slice() != md5.as_slice() {
                return Err(s3_error!(
                    BadDigest,
                    "The Content-MD5 you specified did not match what we received."
                ));
            }
        }
        let pairs = [
            ("CRC32", &self.given.crc32, &computed.crc32),
            ("CRC32C", &self.given.crc32c, &computed.crc32c),
            ("CRC64NVME", &self.given.crc64nvme, &computed.crc64nvme),
            ("SHA1", &self.given.sha1, &computed.sha1),
            ("SHA256", &self.given.sha256, &computed.sha256),
        ];
        for (name, given, computed) in pairs {
            if let Some(given) = given {
                if Some(given) != computed.as_ref() {
                    return Err(s3_error!(
                        BadDigest,
                        "The {name} you specified did not match the calculated checksum."
                    ));
                }
            }
        }
        Ok(computed)
    }
}

/// A hasher computing the same algorithms as the stored checksums (for copies).
pub(crate) fn hasher_like(stored: &Checksums) -> ChecksumHasher {
    Expected {
        given: stored.clone(),
        ..Expected::default()
    }
    .hasher()
}

/// Turns a finished hasher into stored checksums.
pub(crate) fn finish(hasher: ChecksumHasher) -> Checksums {
    let c = hasher.finalize();
    Checksums {
        crc32: c.checksum_crc32,
        crc32c: c.checksum_crc32c,
        crc64nvme: c.checksum_crc64nvme,
        sha1: c.checksum_sha1,
        sha256: c.checksum_sha256,
    }
}
