//! The S3 requests a writer makes, one function each.

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{ChecksumAlgorithm, CompletedMultipartUpload, CompletedPart};
use bytes::Bytes;

use crate::checksum;
use crate::client::S3Client;
use crate::error::{DataError, Result};

/// A part the server has acknowledged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DonePart {
    /// The part's ETag.
    pub(crate) etag: String,
    /// Its CRC32C.
    pub(crate) crc: u32,
    /// Its length.
    pub(crate) len: u64,
}

fn target(bucket: &str, key: &str) -> String {
    format!("{bucket}/{key}")
}

/// Maps a failed conditional create to [`DataError::AlreadyExists`].
fn conditional(err: DataError, bucket: &str, key: &str) -> DataError {
    if err.code() == Some("PreconditionFailed") || err.status() == Some(412) {
        DataError::AlreadyExists {
            bucket: bucket.to_owned(),
            key: key.to_owned(),
        }
    } else {
        err
    }
}

/// Starts a multipart upload with CRC32C part checksums; returns its upload id.
pub(crate) async fn create_upload(client: &S3Client, bucket: &str, key: &str) -> Result<String> {
    let out = client
        .sdk()
        .create_multipart_upload()
        .bucket(bucket)
        .key(key)
        .checksum_algorithm(ChecksumAlgorithm::Crc32C)
        .send()
        .await
        .map_err(|e| DataError::sdk("CreateMultipartUpload", target(bucket, key), e))?;
    out.upload_id
        .ok_or_else(|| DataError::Inconsistent(format!("no upload id for {}", target(bucket, key))))
}

/// Uploads one part with its CRC32C; returns the ETag.
pub(crate) async fn upload_part(
    client: &S3Client,
    bucket: &str,
    key: &str,
    upload_id: &str,
    part_number: i32,
    body: Bytes,
    crc: u32,
) -> Result<String> {
    let len = body.len();
    let req = client
        .sdk()
        .upload_part()
        .bucket(bucket)
        .key(key)
        .upload_id(upload_id)
        .part_number(part_number)
        .content_length(i64::try_from(len).unwrap_or(i64::MAX))
        .checksum_crc32_c(checksum::to_header(crc))
        .body(ByteStream::from(body))
        .customize();
    let req = if client.signs_payload() {
        req
    } else {
        req.disable_payload_signing()
    };
    let out = req.send().await.map_err(|e| {
        DataError::sdk(
            "UploadPart",
            format!("{}#{part_number}", target(bucket, key)),
            e,
        )
    })?;
    Ok(out.e_tag.unwrap_or_default())
}

/// Completes an upload with its parts (sorted by part number).
pub(crate) async fn complete_upload(
    client: &S3Client,
    bucket: &str,
    key: &str,
    upload_id: &str,
    parts: &[(i32, DonePart)],
    if_none_match: bool,
) -> Result<()> {
    let completed = parts
        .iter()
        .map(|(number, p)| {
            CompletedPart::builder()
                .part_number(*number)
                .e_tag(p.etag.clone())
                .checksum_crc32_c(checksum::to_header(p.crc))
                .build()
        })
        .collect::<Vec<_>>();
    let mut req = client
        .sdk()
        .complete_multipart_upload()
        .bucket(bucket)
        .key(key)
        .upload_id(upload_id)
        .multipart_upload(
            CompletedMultipartUpload::builder()
                .set_parts(Some(completed))
                .build(),
        );
    if if_none_match {
        req = req.if_none_match("*");
    }
    req.send()
        .await
        .map_err(|e| DataError::sdk("CompleteMultipartUpload", target(bucket, key), e))
        .map_err(|e| conditional(e, bucket, key))?;
    Ok(())
}

/// Aborts an upload; an upload already gone is not an error.
pub(crate) async fn abort_upload(
    client: &S3Client,
    bucket: &str,
    key: &str,
    upload_id: &str,
) -> Result<()> {
    match client
        .sdk()
        .abort_multipart_upload()
        .bucket(bucket)
        .key(key)
        .upload_id(upload_id)
        .send()
        .await
    {
        Ok(_) => Ok(()),
        Err(e) => {
            let err = DataError::sdk("AbortMultipartUpload", target(bucket, key), e);
            if err.is_not_found() {
                Ok(())
            } else {
                Err(err)
            }
        }
    }
}

/// Stores a whole (small) object with one PutObject and its CRC32C.
pub(crate) async fn put_single(
    client: &S3Client,
    bucket: &str,
    key: &str,
    body: Bytes,
    crc: u32,
    if_none_match: bool,
) -> Result<()> {
    let mut req = client
        .sdk()
        .put_object()
        .bucket(bucket)
        .key(key)
        .content_length(i64::try_from(body.len()).unwrap_or(i64::MAX))
        .checksum_crc32_c(checksum::to_header(crc))
        .body(ByteStream::from(body));
    if if_none_match {
        req = req.if_none_match("*");
    }
    let req = req.customize();
    let req = if client.signs_payload() {
        req
    } else {
        req.disable_payload_signing()
    };
    req.send()
        .await
        .map_err(|e| DataError::sdk("PutObject", target(bucket, key), e))
        .map_err(|e| conditional(e, bucket, key))?;
    Ok(())
}

/// Deletes one object; a missing object is not an error.
pub(crate) async fn delete_object(client: &S3Client, bucket: &str, key: &str) -> Result<()> {
    match client
        .sdk()
        .delete_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
    {
        Ok(_) => Ok(()),
        Err(e) => {
            let err = DataError::sdk("DeleteObject", target(bucket, key), e);
            if err.is_not_found() {
                Ok(())
            } else {
                Err(err)
            }
        }
    }
}
