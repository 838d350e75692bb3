//! Small objects (an OST plugin's descriptors, metadata, staged tails): stored whole with one
//! PutObject (with its CRC32C) and read whole with one GetObject, with ETag conditions
//! (`If-None-Match: *` to create only, `If-Match` to replace or read only a known version).

use aws_sdk_s3::primitives::ByteStream;
use bytes::Bytes;

use crate::checksum;
use crate::client::S3Client;
use crate::error::{DataError, Result};
use crate::writer::requests;

/// When a PutObject may store its object.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum PutCondition {
    /// Always: creates the object or replaces the one there.
    #[default]
    Always,
    /// Only when no object has the key (`If-None-Match: *`); otherwise
    /// [`DataError::AlreadyExists`].
    CreateOnly,
    /// Only when the object there has this ETag (`If-Match`, the ETag as [`get`] returned it);
    /// otherwise an S3 error whose [`DataError::is_precondition_failed`] is true.
    IfMatch(String),
}

/// A small object read whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmallObject {
    /// Its bytes.
    pub data: Bytes,
    /// Its ETag as the server sent it (quotes included), for a later [`PutCondition::IfMatch`]
    /// or `if_match` read; `None` when the server sent none.
    pub etag: Option<String>,
}

/// Stores `data` as `bucket/key` with one PutObject under `condition`. A request the SDK
/// retried after it had succeeded (so the retry's condition fails on our own object) is
/// recognised by the object's size and CRC32C, and is a success.
pub async fn put(
    client: &S3Client,
    bucket: &str,
    key: &str,
    data: Bytes,
    condition: &PutCondition,
) -> Result<()> {
    let crc = checksum::crc32c(&data);
    requests::put_single(client, bucket, key, data, crc, condition).await
}

/// Reads `bucket/key` whole, or `None` when it does not exist. With `if_match`, an object whose
/// ETag has changed is an S3 error whose [`DataError::is_precondition_failed`] is true.
pub async fn get(
    client: &S3Client,
    bucket: &str,
    key: &str,
    if_match: Option<&str>,
) -> Result<Option<SmallObject>> {
    let target = format!("{bucket}/{key}");
    let out = match client
        .sdk()
        .get_object()
        .bucket(bucket)
        .key(key)
        .set_if_match(if_match.map(str::to_owned))
        .send()
        .await
    {
        Ok(out) => out,
        Err(e) => {
            let err = DataError::sdk("GetObject", target, e);
            return if err.is_not_found() {
                Ok(None)
            } else {
                Err(err)
            };
        }
    };
    let etag = out.e_tag;
    let data = collect(out.body, &target).await?;
    Ok(Some(SmallObject { data, etag }))
}

async fn collect(body: ByteStream, target: &str) -> Result<Bytes> {
    body.collect()
        .await
        .map(|b| b.into_bytes())
        .map_err(|e| DataError::Body {
            key: target.to_owned(),
            message: crate::error::describe_chain(&e),
        })
}
