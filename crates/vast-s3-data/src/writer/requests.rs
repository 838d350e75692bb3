//! The S3 requests a writer makes, one function each.

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{ChecksumAlgorithm, CompletedMultipartUpload, CompletedPart};
use bytes::Bytes;

use crate::capabilities::{content_md5, ChecksumMode};
use crate::checksum;
use crate::client::S3Client;
use crate::error::{DataError, Result};
use crate::objects::PutCondition;

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

/// Starts a multipart upload (with CRC32C part checksums when the client sends them); returns
/// its upload id.
pub(crate) async fn create_upload(client: &S3Client, bucket: &str, key: &str) -> Result<String> {
    let crc32c = client.modes().checksum == ChecksumMode::Crc32c;
    let out = client
        .sdk()
        .create_multipart_upload()
        .bucket(bucket)
        .key(key)
        .set_checksum_algorithm(crc32c.then_some(ChecksumAlgorithm::Crc32C))
        .send()
        .await
        .map_err(|e| DataError::sdk("CreateMultipartUpload", target(bucket, key), e))?;
    out.upload_id
        .ok_or_else(|| DataError::Inconsistent(format!("no upload id for {}", target(bucket, key))))
}

/// Uploads one part with its CRC32C (or its MD5, or no checksum, as the client's modes say);
/// returns the ETag.
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
    // Throttled before the request exists: the S3 timeouts never include the wait.
    client.throttles().write.acquire(len as u64).await;
    let mut req = client
        .sdk()
        .upload_part()
        .bucket(bucket)
        .key(key)
        .upload_id(upload_id)
        .part_number(part_number)
        .content_length(i64::try_from(len).unwrap_or(i64::MAX));
    req = match client.modes().checksum {
        ChecksumMode::Crc32c => req.checksum_crc32_c(checksum::to_header(crc)),
        ChecksumMode::Md5 => req.content_md5(content_md5(&body)),
        ChecksumMode::None => req,
    };
    let req = req.body(ByteStream::from(body)).customize();
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

/// A part the server copied from a byte range of another object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CopiedPart {
    /// The part's ETag.
    pub(crate) etag: String,
    /// Its CRC32C, when the server computed one (an upload started with CRC32C checksums).
    pub(crate) crc32c: Option<u32>,
}

/// Copies bytes `first..=last` of `source` (an `x-amz-copy-source` value: `bucket/key`,
/// percent-encoded) into part `part_number` of an upload, on the server.
#[allow(clippy::too_many_arguments)] // one request's parameters, each named
pub(crate) async fn copy_part(
    client: &S3Client,
    bucket: &str,
    key: &str,
    upload_id: &str,
    part_number: i32,
    source: &str,
    first: u64,
    last: u64,
) -> Result<CopiedPart> {
    let out = client
        .sdk()
        .upload_part_copy()
        .bucket(bucket)
        .key(key)
        .upload_id(upload_id)
        .part_number(part_number)
        .copy_source(source)
        .copy_source_range(format!("bytes={first}-{last}"))
        .send()
        .await
        .map_err(|e| {
            DataError::sdk(
                "UploadPartCopy",
                format!("{}#{part_number}", target(bucket, key)),
                e,
            )
        })?;
    let result = out.copy_part_result();
    Ok(CopiedPart {
        etag: result
            .and_then(|r| r.e_tag())
            .unwrap_or_default()
            .to_owned(),
        crc32c: result
            .and_then(|r| r.checksum_crc32_c())
            .and_then(checksum::from_header),
    })
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
    let modes = client.modes();
    let crc32c = modes.checksum == ChecksumMode::Crc32c;
    // Without a usable If-None-Match the segment is completed plainly: only the holder of the
    // image's writer lease writes its segments.
    let if_none_match = if_none_match && modes.uses_if_none_match();
    let completed = parts
        .iter()
        .map(|(number, p)| {
            CompletedPart::builder()
                .part_number(*number)
                .e_tag(p.etag.clone())
                .set_checksum_crc32_c(crc32c.then(|| checksum::to_header(p.crc)))
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
    match req.send().await {
        Ok(_) => Ok(()),
        Err(e) => {
            let err = DataError::sdk("CompleteMultipartUpload", target(bucket, key), e);
            // A retry after a connection lost while the server completed the upload finds it
            // gone or the object present: that is success if the object is ours.
            let maybe_done = err.is_precondition_failed() || err.code() == Some("NoSuchUpload");
            if maybe_done
                && head_etag(client, bucket, key).await?
                    == Some(checksum::multipart_etag(
                        &parts
                            .iter()
                            .map(|(_, p)| p.etag.as_str())
                            .collect::<Vec<_>>(),
                    ))
            {
                tracing::debug!(key, "completion was retried after it succeeded");
                return Ok(());
            }
            Err(conditional(err, bucket, key))
        }
    }
}

/// The ETag of an object without quotes, or `None` when it does not exist.
async fn head_etag(client: &S3Client, bucket: &str, key: &str) -> Result<Option<String>> {
    match client
        .sdk()
        .head_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
    {
        Ok(out) => Ok(out.e_tag.map(|e| e.trim_matches('"').to_owned())),
        Err(e) => {
            let err = DataError::sdk("HeadObject", target(bucket, key), e);
            if err.is_not_found() {
                Ok(None)
            } else {
                Err(err)
            }
        }
    }
}

/// Size and CRC32C (when stored) of an object, or `None` when it does not exist.
async fn head_checksum(
    client: &S3Client,
    bucket: &str,
    key: &str,
) -> Result<Option<(u64, Option<String>)>> {
    match client
        .sdk()
        .head_object()
        .bucket(bucket)
        .key(key)
        .checksum_mode(aws_sdk_s3::types::ChecksumMode::Enabled)
        .send()
        .await
    {
        Ok(out) => Ok(Some((
            out.content_length.unwrap_or(0).max(0) as u64,
            out.checksum_crc32_c,
        ))),
        Err(e) => {
            let err = DataError::sdk("HeadObject", target(bucket, key), e);
            if err.is_not_found() {
                Ok(None)
            } else {
                Err(err)
            }
        }
    }
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

/// Stores a whole (small) object with one PutObject and its CRC32C (or MD5, or no checksum,
/// as the client's modes say), under `condition`. A create-only put on an endpoint that does
/// not honour `If-None-Match` is [`create_by_read_back`].
pub(crate) async fn put_single(
    client: &S3Client,
    bucket: &str,
    key: &str,
    body: Bytes,
    crc: u32,
    condition: &PutCondition,
) -> Result<()> {
    let modes = client.modes();
    if *condition == PutCondition::CreateOnly && !modes.uses_if_none_match() {
        return create_by_read_back(client, bucket, key, body, crc).await;
    }
    let len = body.len() as u64;
    let mut req = client
        .sdk()
        .put_object()
        .bucket(bucket)
        .key(key)
        .content_length(i64::try_from(body.len()).unwrap_or(i64::MAX));
    req = match modes.checksum {
        ChecksumMode::Crc32c => req.checksum_crc32_c(checksum::to_header(crc)),
        ChecksumMode::Md5 => req.content_md5(content_md5(&body)),
        ChecksumMode::None => req,
    };
    let mut req = req.body(ByteStream::from(body));
    req = match condition {
        PutCondition::Always => req,
        PutCondition::CreateOnly => req.if_none_match("*"),
        PutCondition::IfMatch(etag) => req.if_match(etag),
    };
    let req = req.customize();
    let req = if client.signs_payload() {
        req
    } else {
        req.disable_payload_signing()
    };
    match req.send().await {
        Ok(_) => Ok(()),
        Err(e) => {
            let err = DataError::sdk("PutObject", target(bucket, key), e);
            // As for completions: a retried conditional put may find its own object.
            if err.is_precondition_failed() && modes.checksum == ChecksumMode::Crc32c {
                let expected = (len, Some(checksum::to_header(crc)));
                if head_checksum(client, bucket, key).await? == Some(expected) {
                    tracing::debug!(key, "conditional put was retried after it succeeded");
                    return Ok(());
                }
            }
            match condition {
                PutCondition::CreateOnly => Err(conditional(err, bucket, key)),
                _ => Err(err),
            }
        }
    }
}

/// A create-only put without `If-None-Match` (the endpoint ignores or refuses it): the key
/// must not exist (HEAD), then the object is written, then read back: it must hold exactly
/// `body`, else another writer's object replaced ours and the create is lost
/// ([`DataError::AlreadyExists`]). Two writers whose HEADs both come before either write, and
/// whose read-backs each come before the other's write lands, both succeed: callers put a unique
/// token in `body` (an OST writer lease) and check it before their later writes.
async fn create_by_read_back(
    client: &S3Client,
    bucket: &str,
    key: &str,
    body: Bytes,
    crc: u32,
) -> Result<()> {
    let lost = || DataError::AlreadyExists {
        bucket: bucket.to_owned(),
        key: key.to_owned(),
    };
    if head_etag(client, bucket, key).await?.is_some() {
        return Err(lost());
    }
    Box::pin(put_single(
        client,
        bucket,
        key,
        body.clone(),
        crc,
        &PutCondition::Always,
    ))
    .await?;
    match crate::objects::get(client, bucket, key, None).await? {
        Some(back) if back.data == body => Ok(()),
        _ => {
            tracing::info!(
                bucket,
                key,
                "create lost: the object read back is another writer's"
            );
            Err(lost())
        }
    }
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
