//! The S3 face: path-style S3 over [`s3s`] (request parsing, SigV4 and aws-chunked decoding,
//! XML), with our own file-backed [`ObjectStore`] underneath.
//!
//! - **Auth.** SigV4 secrets are looked up with [`ControlPlane::s3_identity`]: an unknown or
//!   disabled key gets 403 `InvalidAccessKeyId`, a wrong signature `SignatureDoesNotMatch`, an
//!   anonymous request `AccessDenied`. Keys may hold `/` and `+`, as VAST's do: the credential
//!   scope is split from the right (`credential.rs`). Every request naming an existing bucket (and a copy's
//!   source, and every key of a DeleteObjects) must pass [`ControlPlane::may_access`] for the
//!   operation's IAM action (`auth::iam_action`): the bucket's owner, an S3 superuser of its
//!   tenant, or an identity policy grant, a Deny winning. The region is not checked.
//! - **Buckets.** `CreateBucket` needs `allow_create_bucket` and is reported with
//!   [`ControlPlane::bucket_created_over_s3`]; `DeleteBucket` needs `allow_delete_bucket`, only
//!   empties a bucket with no objects and no open multipart uploads, and is reported with
//!   [`ControlPlane::bucket_deleted_over_s3`].
//! - **Objects** are streamed to and from files in 1 MiB chunks, never held whole; `Content-MD5`
//!   and the `x-amz-checksum-*` headers or aws-chunked trailers the AWS SDKs send (CRC32,
//!   CRC32C, CRC64NVME, SHA1, SHA256) are verified (`BadDigest`) and stored. `If-None-Match: *`
//!   creates only (decided atomically, also on `CompleteMultipartUpload`); `If-Match` compares
//!   ETags. Keys are limited as on VAST (1024 characters, 200 slashes).
//! - **Multipart.** Completing links the parts into the object (`data.rs`), copying no bytes.
//!   ETag = MD5 of the parts' MD5s + `-N`; `InvalidPart` / `InvalidPartOrder` /
//!   `EntityTooSmall` (parts but the last ≥ 5 MiB, AWS's limit) as on AWS.
//! - **Quotas.** A write (PutObject, UploadPart, CopyObject, UploadPartCopy) that would take the
//!   bucket's used bytes (completed objects + parts of open uploads + writes in flight) past
//!   [`ControlPlane::bucket_hard_limit`], or any write into a bucket the fault plan marks full,
//!   fails with **HTTP 403 `QuotaExceeded`** and leaves nothing behind. That status and code
//!   are our assumption of VAST's answer (not verified on hardware).
//! - **Modes** ([`S3Modes`], from `SimConfig`): `If-None-Match: *` on writes honoured, ignored
//!   or refused (501); flexible-checksum headers accepted or refused (400 `InvalidArgument`,
//!   before the request is read; `RefuseAll` refuses `Content-MD5` too); the quota answer above as 403 `QuotaExceeded` (default),
//!   403 `AccessDenied`, 507 `InsufficientStorage` or 500 `InternalError`.
//! - **Counters.** Each operation counts `s3.op.<Operation>`, each error answer
//!   `s3.error.<Code>`, in [`Faults`].

mod auth;
mod buckets;
mod checksum;
mod credential;
mod data;
mod error;
mod io;
mod list;
mod lock;
mod meta;
mod multipart;
mod object_lock;
mod objects;
mod service;
mod store;
mod upload;
mod versions;

use std::sync::Arc;

use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper::Request;

use self::store::Limits;
pub use self::store::ObjectStore;
use crate::control::ControlPlane;
use crate::faults::Faults;
use crate::http::{FaceBody, FaceFuture, Handler};
use crate::s3_modes::{ChecksumHeaders, S3Modes};

/// Why the object store could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The store's directory failed.
    #[error("object store: {0}")]
    Io(String),
}

/// The `s3s::S3` implementation: the store plus the control plane and fault plan it consults.
pub(crate) struct SimS3 {
    pub(crate) store: Arc<ObjectStore>,
    pub(crate) control: Arc<dyn ControlPlane>,
    pub(crate) faults: Arc<Faults>,
    pub(crate) modes: S3Modes,
}

impl SimS3 {
    /// The quota limits of a bucket now.
    pub(crate) fn limits(&self, bucket: &str) -> Limits {
        Limits {
            hard_limit: self.control.bucket_hard_limit(bucket).filter(|l| *l > 0),
            full: self.faults.bucket_full(bucket),
            answer: self.modes.quota_answer,
        }
    }
}

/// Largest error body read back to count its code.
const MAX_ERROR_BODY: u64 = 64 * 1024;

/// The S3 face's request handler, with the default [`S3Modes`].
pub fn handler(
    store: Arc<ObjectStore>,
    control: Arc<dyn ControlPlane>,
    faults: Arc<Faults>,
) -> Handler {
    handler_with_modes(store, control, faults, S3Modes::default())
}

/// The S3 face's request handler, answering as `modes` says.
pub fn handler_with_modes(
    store: Arc<ObjectStore>,
    control: Arc<dyn ControlPlane>,
    faults: Arc<Faults>,
    modes: S3Modes,
) -> Handler {
    let mut builder = s3s::service::S3ServiceBuilder::new(SimS3 {
        store: store.clone(),
        control: control.clone(),
        faults: faults.clone(),
        modes,
    });
    builder.set_auth(auth::KeyAuth {
        control: control.clone(),
    });
    builder.set_access(auth::BucketAccess {
        control,
        store,
        faults: faults.clone(),
    });
    let service = builder.build();
    Arc::new(move |mut req: Request<Incoming>| -> FaceFuture {
        credential::escape_authorization(req.headers_mut());
        let service = service.clone();
        let faults = faults.clone();
        Box::pin(async move {
            if modes.checksum_headers != ChecksumHeaders::Accept {
                if let Some(name) = req
                    .headers()
                    .iter()
                    .find(|(n, v)| modes.checksum_headers.refuses(n.as_str(), v.as_bytes()))
                    .map(|(n, _)| n.as_str().to_owned())
                {
                    faults.count("s3.error.InvalidArgument");
                    return Ok(crate::http::xml_response(
                        hyper::StatusCode::BAD_REQUEST,
                        format!(
                            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>InvalidArgument</Code>\
                             <Message>Unsupported header {}</Message></Error>",
                            xml_escape(&name)
                        ),
                    ));
                }
            }
            let response = match service.call(req.map(s3s::Body::from)).await {
                Ok(response) => response,
                Err(e) => {
                    faults.count("s3.error.InternalError");
                    let e: s3s::StdError = e.into();
                    return Ok(crate::http::xml_response(
                        hyper::StatusCode::INTERNAL_SERVER_ERROR,
                        format!(
                            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>InternalError</Code>\
                             <Message>{}</Message></Error>",
                            xml_escape(&e.to_string())
                        ),
                    ));
                }
            };
            Ok(count_errors(response, &faults).await)
        })
    })
}

/// Counts `s3.error.<Code>` for error answers (reading the small XML error body) and converts
/// the body to the face's body type.
async fn count_errors(
    response: http::Response<s3s::Body>,
    faults: &Faults,
) -> http::Response<FaceBody> {
    let (parts, body) = response.into_parts();
    let status = parts.status;
    if !(status.is_client_error() || status.is_server_error()) {
        return http::Response::from_parts(
            parts,
            body.map_err(std::io::Error::other).boxed_unsync(),
        );
    }
    use hyper::body::Body as _;
    let small = body
        .size_hint()
        .upper()
        .is_some_and(|u| u <= MAX_ERROR_BODY);
    if !small {
        faults.count(&format!("s3.error.http{}", status.as_u16()));
        return http::Response::from_parts(
            parts,
            body.map_err(std::io::Error::other).boxed_unsync(),
        );
    }
    let bytes = match body.collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(_) => bytes::Bytes::new(),
    };
    let text = String::from_utf8_lossy(&bytes);
    let code = text
        .split_once("<Code>")
        .and_then(|(_, rest)| rest.split_once("</Code>"))
        .map(|(code, _)| code.to_owned())
        .unwrap_or_else(|| format!("http{}", status.as_u16()));
    faults.count(&format!("s3.error.{code}"));
    http::Response::from_parts(parts, crate::http::full_body(bytes))
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}
