//! Receiving the body of a write (PutObject, UploadPart): streamed into a temporary file, its
//! length checked against `Content-Length`, quota reserved afterwards for a body that came
//! without a length, and its checksums (headers, trailers, `Content-MD5`) verified.

use std::path::PathBuf;

use s3s::dto::StreamingBlob;
use s3s::{s3_error, S3Result, TrailingHeaders};

use super::checksum::Expected;
use super::io::{receive, ReceiveError};
use super::meta::Checksums;
use super::objects::hex;
use super::store::{ObjectStore, Reservation};

/// A write's body, on disk in a temporary file and verified; ready to be installed.
pub(crate) struct VerifiedBody {
    /// The temporary file holding the bytes (the caller installs or removes it).
    pub(crate) tmp: PathBuf,
    /// Bytes received.
    pub(crate) size: u64,
    /// The hex MD5 of the bytes (the object's or part's ETag).
    pub(crate) etag: String,
    /// The verified checksums to store.
    pub(crate) checksums: Checksums,
    /// Quota reserved only once the size was known (bodies sent without `Content-Length`);
    /// held until the body is installed.
    pub(crate) _late_reservation: Option<Reservation>,
}

/// Receives `body` into a temporary file of `store` and verifies it against `expected`
/// (completed from `trailers`). A body of undeclared length reserves its quota with
/// `reserve_late` once its size is known. On any failure the temporary file is removed.
pub(crate) async fn receive_verified(
    store: &ObjectStore,
    body: Option<StreamingBlob>,
    mut expected: Expected,
    trailers: Option<&TrailingHeaders>,
    declared: Option<u64>,
    reserve_late: impl FnOnce(u64) -> S3Result<Reservation>,
) -> S3Result<VerifiedBody> {
    let tmp = store.tmp_path();
    let body = body.unwrap_or_else(|| {
        StreamingBlob::wrap(futures::stream::empty::<Result<bytes::Bytes, std::io::Error>>())
    });
    let received = receive(body, tmp.clone(), expected.hasher(), declared)
        .await
        .map_err(|e| match e {
            ReceiveError::TooLarge => {
                s3_error!(IncompleteBody, "The body is longer than its Content-Length")
            }
            ReceiveError::S3(e) => e,
        })?;
    let cleanup = |e: s3s::S3Error| {
        let _ = std::fs::remove_file(&tmp);
        e
    };
    if declared.is_some_and(|d| d != received.size) {
        return Err(cleanup(s3_error!(
            IncompleteBody,
            "The body does not match its Content-Length"
        )));
    }
    let late_reservation = match declared {
        Some(_) => None,
        None => Some(reserve_late(received.size).map_err(cleanup)?),
    };
    expected.add_trailers(trailers);
    let checksums = expected
        .verify(&received.md5, received.checksums)
        .map_err(cleanup)?;
    Ok(VerifiedBody {
        etag: hex(&received.md5),
        tmp,
        size: received.size,
        checksums,
        _late_reservation: late_reservation,
    })
}
