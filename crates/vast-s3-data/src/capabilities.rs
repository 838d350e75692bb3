//! What the cluster's S3 endpoint does with the requests this crate relies on, probed once:
//! whether `If-None-Match: *` makes a write create-only, and which body checksum it accepts.
//! An [`S3Client`] carries the [`S3Modes`] its requests follow ([`S3Client::set_modes`]).
//!
//! - [`ConditionalCreate`]: a second create-only PUT of the same key answers 412 (honoured),
//!   succeeds (ignored: it overwrote), or the first one is already refused (400/501). When not
//!   honoured, [`crate::objects::put`] with [`crate::objects::PutCondition::CreateOnly`] falls
//!   back to *check, write, read back*: the object must not exist before, and must hold exactly
//!   our bytes after. Two writers whose check and write interleave within one round trip can
//!   both see their own bytes; callers put a unique token (an OST writer lease) in what they
//!   create and check it again before later writes.
//! - [`ChecksumMode`]: parts and small objects carry `x-amz-checksum-crc32c` (the server
//!   verifies and stores it), or `Content-MD5` (verified, nothing stored), or nothing.

use aws_sdk_s3::primitives::ByteStream;
use base64::Engine as _;
use bytes::Bytes;
use md5::{Digest as _, Md5};

use crate::checksum;
use crate::client::S3Client;
use crate::error::{DataError, Result};

/// Which body checksum requests carry.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum ChecksumMode {
    /// `x-amz-checksum-crc32c` on parts and objects, and in the completion's part list.
    #[default]
    Crc32c,
    /// `Content-MD5` on parts and objects (and on the requests S3 requires a checksum for).
    Md5,
    /// No body checksum (TLS and the caller's own CRC32C of the whole image still hold).
    None,
}

impl ChecksumMode {
    /// The configuration spelling (`crc32c`, `md5`, `none`).
    pub fn as_str(self) -> &'static str {
        match self {
            ChecksumMode::Crc32c => "crc32c",
            ChecksumMode::Md5 => "md5",
            ChecksumMode::None => "none",
        }
    }

    /// Parses the configuration spelling.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "crc32c" => Some(ChecksumMode::Crc32c),
            "md5" => Some(ChecksumMode::Md5),
            "none" => Some(ChecksumMode::None),
            _ => None,
        }
    }
}

/// What the endpoint does with `If-None-Match: *` on a write.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum ConditionalCreate {
    /// A write onto an existing key fails with 412: used as is.
    #[default]
    Honoured,
    /// The header is ignored (the write overwrites): not sent; check, write, read back.
    Ignored,
    /// Writes carrying it are refused (400/501): not sent; check, write, read back.
    Refused,
}

impl ConditionalCreate {
    /// The report spelling (`honoured`, `ignored`, `refused`).
    pub fn as_str(self) -> &'static str {
        match self {
            ConditionalCreate::Honoured => "honoured",
            ConditionalCreate::Ignored => "ignored",
            ConditionalCreate::Refused => "refused",
        }
    }

    /// Parses the report spelling.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "honoured" => Some(ConditionalCreate::Honoured),
            "ignored" => Some(ConditionalCreate::Ignored),
            "refused" => Some(ConditionalCreate::Refused),
            _ => None,
        }
    }
}

/// How a client's requests are shaped for its endpoint.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct S3Modes {
    /// The body checksum.
    pub checksum: ChecksumMode,
    /// Whether `If-None-Match: *` is sent (only when honoured).
    pub conditional_create: ConditionalCreate,
}

impl S3Modes {
    /// True when create-only writes may rely on `If-None-Match: *`.
    pub fn uses_if_none_match(&self) -> bool {
        self.conditional_create == ConditionalCreate::Honoured
    }
}

/// Base64 MD5 of `data`, for `Content-MD5`.
pub fn content_md5(data: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(Md5::digest(data))
}

/// True when an answer means "this request shape is not supported" (501, the codes S3 stores
/// give for an unsupported header, or a 400 without a code), as opposed to a failure worth
/// reporting. A 400 with another code (`EntityTooLarge`, `InvalidBucketName`, ...) is not a
/// verdict on the header: a probe must not cache "refused" because of it.
pub fn is_refusal(err: &DataError) -> bool {
    match err.code() {
        Some("NotImplemented" | "InvalidArgument" | "InvalidRequest" | "UnsupportedHeader") => true,
        Some(_) => err.status() == Some(501),
        None => matches!(err.status(), Some(400 | 501)),
    }
}

/// Deletes a probe object; a failure leaves only a small object under the probe prefix, so it
/// is logged and does not change what the probe found.
async fn remove_probe(client: &S3Client, bucket: &str, key: &str) {
    if let Err(e) = crate::writer::requests::delete_object(client, bucket, key).await {
        tracing::warn!(bucket, key, error = %e, "deleting an S3 capability probe object failed; it stays");
    }
}

fn probe_key(prefix: &str, what: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("{prefix}{what}-{}-{nanos}", std::process::id())
}

async fn put_probe(
    client: &S3Client,
    bucket: &str,
    key: &str,
    body: &'static [u8],
    shape: ProbeShape,
) -> Result<()> {
    let mut req = client
        .sdk()
        .put_object()
        .bucket(bucket)
        .key(key)
        .content_length(body.len() as i64)
        .body(ByteStream::from(Bytes::from_static(body)));
    req = match shape {
        ProbeShape::IfNoneMatch => req.if_none_match("*"),
        ProbeShape::Crc32c => req.checksum_crc32_c(checksum::to_header(checksum::crc32c(body))),
        ProbeShape::Md5 => req.content_md5(content_md5(body)),
    };
    req.send()
        .await
        .map(drop)
        .map_err(|e| DataError::sdk("PutObject", format!("{bucket}/{key}"), e))
}

#[derive(Clone, Copy)]
enum ProbeShape {
    IfNoneMatch,
    Crc32c,
    Md5,
}

/// Probes `If-None-Match: *` with two create-only PUTs of a fresh key under `prefix` in
/// `bucket` (then deletes it). Errors other than a refusal are returned as they are.
pub async fn probe_conditional_create(
    client: &S3Client,
    bucket: &str,
    prefix: &str,
) -> Result<ConditionalCreate> {
    let key = probe_key(prefix, "conditional-create");
    let outcome = async {
        match put_probe(client, bucket, &key, b"first", ProbeShape::IfNoneMatch).await {
            Ok(()) => {}
            Err(e) if is_refusal(&e) => return Ok(ConditionalCreate::Refused),
            Err(e) => return Err(e),
        }
        match put_probe(client, bucket, &key, b"second", ProbeShape::IfNoneMatch).await {
            Ok(()) => Ok(ConditionalCreate::Ignored),
            Err(e) if e.is_precondition_failed() => Ok(ConditionalCreate::Honoured),
            Err(e) if is_refusal(&e) => Ok(ConditionalCreate::Refused),
            Err(e) => Err(e),
        }
    }
    .await;
    remove_probe(client, bucket, &key).await;
    outcome
}

/// Probes the body checksums: a PUT with `x-amz-checksum-crc32c`, else one with `Content-MD5`,
/// else none, of a fresh key under `prefix` in `bucket` (then deleted). Errors other than a
/// refusal are returned as they are.
pub async fn probe_checksum(client: &S3Client, bucket: &str, prefix: &str) -> Result<ChecksumMode> {
    let key = probe_key(prefix, "checksum");
    let outcome = async {
        for (shape, mode) in [
            (ProbeShape::Crc32c, ChecksumMode::Crc32c),
            (ProbeShape::Md5, ChecksumMode::Md5),
        ] {
            match put_probe(client, bucket, &key, b"checksum probe", shape).await {
                Ok(()) => return Ok(mode),
                Err(e) if is_refusal(&e) => {
                    tracing::info!(error = %e, mode = mode.as_str(), "S3 refused this checksum");
                }
                Err(e) => return Err(e),
            }
        }
        Ok(ChecksumMode::None)
    }
    .await;
    remove_probe(client, bucket, &key).await;
    outcome
}

/// For a request S3 requires a body checksum on (DeleteObjects, PutBucketTagging), as the
/// client's `mode` wants it: the flexible checksum the SDK adds is kept (CRC32C mode), replaced
/// by `Content-MD5` (MD5 mode) or dropped (no checksum). Runs just before signing, through
/// `customize().mutate_request`.
pub(crate) fn required_checksum(
    mode: ChecksumMode,
) -> Option<fn(&mut aws_smithy_runtime_api::client::orchestrator::HttpRequest)> {
    match mode {
        ChecksumMode::Crc32c => None,
        ChecksumMode::Md5 => Some(md5_instead_of_flexible),
        ChecksumMode::None => Some(strip_flexible),
    }
}

/// `req`, an operation S3 requires a checksum on (DeleteObjects, PutBucketTagging,
/// PutObjectRetention), with the checksum the client's mode wants ([`required_checksum`]).
pub(crate) fn with_required_checksum<T, E, B>(
    client: &crate::client::S3Client,
    req: aws_sdk_s3::client::customize::CustomizableOperation<T, E, B>,
) -> aws_sdk_s3::client::customize::CustomizableOperation<T, E, B> {
    match required_checksum(client.modes().checksum) {
        Some(shape) => req.mutate_request(shape),
        None => req,
    }
}

fn strip_flexible(req: &mut aws_smithy_runtime_api::client::orchestrator::HttpRequest) {
    let flexible: Vec<String> = req
        .headers()
        .iter()
        .map(|(name, _)| name.to_owned())
        .filter(|name| {
            let name = name.to_ascii_lowercase();
            name.starts_with("x-amz-checksum-") || name == "x-amz-sdk-checksum-algorithm"
        })
        .collect();
    for name in flexible {
        req.headers_mut().remove(name);
    }
}

fn md5_instead_of_flexible(req: &mut aws_smithy_runtime_api::client::orchestrator::HttpRequest) {
    strip_flexible(req);
    if let Some(body) = req.body().bytes() {
        let md5 = content_md5(body);
        req.headers_mut().insert("content-md5", md5);
    }
}
