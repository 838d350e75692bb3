//! Server-side copies: CopyObject up to a limit, concurrent UploadPartCopy above it.

use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
use futures::{StreamExt as _, TryStreamExt as _};

use crate::client::S3Client;
use crate::error::{DataError, Result};
use crate::keys::ImageLocation;
use crate::writer::requests;

/// How copies are made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyConfig {
    /// Largest object copied with one CopyObject (default 5 GiB, the S3 limit). Larger objects
    /// are copied part by part. Tests lower it to exercise the multipart path.
    pub single_copy_limit: u64,
    /// Bytes per UploadPartCopy (default 512 MiB; at most 10,000 parts per object).
    pub part_size: u64,
    /// UploadPartCopy requests in flight (default 8).
    pub max_in_flight: usize,
}

impl Default for CopyConfig {
    fn default() -> Self {
        Self {
            single_copy_limit: 5 << 30,
            part_size: 512 << 20,
            max_in_flight: 8,
        }
    }
}

/// An object to copy from or to.
#[derive(Debug, Clone, Copy)]
pub struct ObjectRef<'a> {
    /// Bucket.
    pub bucket: &'a str,
    /// Key.
    pub key: &'a str,
}

/// Copies one object on the server; returns its size. A missing source is
/// reported as a not-found [`DataError::S3`].
pub async fn copy_object(
    client: &S3Client,
    src: ObjectRef<'_>,
    dst: ObjectRef<'_>,
    config: &CopyConfig,
) -> Result<u64> {
    let size = crate::writer::head_size(client, src.bucket, src.key)
        .await?
        .ok_or_else(|| DataError::S3 {
            operation: "HeadObject",
            target: format!("{}/{}", src.bucket, src.key),
            code: Some("NoSuchKey".to_owned()),
            status: Some(404),
            message: "copy source does not exist".to_owned(),
        })?;
    let source = copy_source(src.bucket, src.key);
    if size <= config.single_copy_limit {
        client
            .sdk()
            .copy_object()
            .bucket(dst.bucket)
            .key(dst.key)
            .copy_source(&source)
            .send()
            .await
            .map_err(|e| DataError::sdk("CopyObject", format!("{}/{}", dst.bucket, dst.key), e))?;
        return Ok(size);
    }
    copy_multipart(client, &source, size, dst, config).await?;
    Ok(size)
}

async fn copy_multipart(
    client: &S3Client,
    source: &str,
    size: u64,
    dst: ObjectRef<'_>,
    config: &CopyConfig,
) -> Result<()> {
    let part_size = config.part_size.max(size.div_ceil(10_000)).max(1);
    let upload_id = client
        .sdk()
        .create_multipart_upload()
        .bucket(dst.bucket)
        .key(dst.key)
        .send()
        .await
        .map_err(|e| {
            DataError::sdk(
                "CreateMultipartUpload",
                format!("{}/{}", dst.bucket, dst.key),
                e,
            )
        })?
        .upload_id
        .ok_or_else(|| DataError::Inconsistent("no upload id for copy".to_owned()))?;
    let ranges: Vec<(i32, u64, u64)> = (0..size.div_ceil(part_size))
        .map(|i| {
            let start = i * part_size;
            let end = (start + part_size).min(size) - 1;
            (i32::try_from(i + 1).unwrap_or(i32::MAX), start, end)
        })
        .collect();
    let result: Result<Vec<CompletedPart>> = futures::stream::iter(ranges)
        .map(|(number, start, end)| {
            let upload_id = upload_id.clone();
            async move {
                let part = requests::copy_part(
                    client, dst.bucket, dst.key, &upload_id, number, source, start, end,
                )
                .await?;
                Ok(CompletedPart::builder()
                    .part_number(number)
                    .e_tag(part.etag)
                    .build())
            }
        })
        .buffered(config.max_in_flight.max(1))
        .try_collect()
        .await;
    let completed = async {
        let parts = result?;
        client
            .sdk()
            .complete_multipart_upload()
            .bucket(dst.bucket)
            .key(dst.key)
            .upload_id(&upload_id)
            .multipart_upload(
                CompletedMultipartUpload::builder()
                    .set_parts(Some(parts))
                    .build(),
            )
            .send()
            .await
            .map_err(|e| {
                DataError::sdk(
                    "CompleteMultipartUpload",
                    format!("{}/{}", dst.bucket, dst.key),
                    e,
                )
            })?;
        Ok(())
    }
    .await;
    if completed.is_err() {
        if let Err(e) = requests::abort_upload(client, dst.bucket, dst.key, &upload_id).await {
            tracing::warn!(error = %e, "aborting a failed copy upload failed");
        }
    }
    completed
}

/// Copies the `segments` segment objects of an image (the caller copies the metadata document
/// afterwards, so a copy is visible only once its data is complete). Returns the bytes copied.
pub async fn copy_image(
    client: &S3Client,
    src: &ImageLocation,
    dst: &ImageLocation,
    segments: u64,
    config: &CopyConfig,
) -> Result<u64> {
    let mut total = 0;
    for index in 0..segments {
        let (sk, dk) = (src.key(index), dst.key(index));
        total += copy_object(
            client,
            ObjectRef {
                bucket: &src.bucket,
                key: &sk,
            },
            ObjectRef {
                bucket: &dst.bucket,
                key: &dk,
            },
            config,
        )
        .await?;
    }
    Ok(total)
}

/// The `x-amz-copy-source` value: `bucket/key`, percent-encoded except for `/`.
pub(crate) fn copy_source(bucket: &str, key: &str) -> String {
    let mut out = String::with_capacity(bucket.len() + key.len() + 1);
    for (i, part) in [bucket, key].iter().enumerate() {
        if i > 0 {
            out.push('/');
        }
        for b in part.bytes() {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b'/') {
                out.push(b as char);
            } else {
                out.push_str(&format!("%{b:02X}"));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_source_is_percent_encoded() {
        assert_eq!(copy_source("b", "a/b c+d"), "b/a/b%20c%2Bd");
        assert_eq!(copy_source("bk", "x/000001"), "bk/x/000001");
    }
}
