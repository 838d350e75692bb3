//! Multipart uploads on the server: listing them (for resume and for the orphan sweep), their
//! parts, and aborting stale ones.

use std::time::SystemTime;

use crate::checksum;
use crate::client::S3Client;
use crate::error::{DataError, Result};

/// An open multipart upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadInfo {
    /// The object key it will create.
    pub key: String,
    /// Its upload id.
    pub upload_id: String,
    /// When it was started, in milliseconds since the Unix epoch (0 when unknown).
    pub initiated_epoch_ms: i64,
}

/// A part of an open upload, as the server records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartInfo {
    /// S3 part number (from 1).
    pub part_number: i32,
    /// Its size.
    pub size: u64,
    /// Its ETag.
    pub etag: String,
    /// Its CRC32C when the server recorded one.
    pub crc32c: Option<u32>,
}

/// All open multipart uploads whose key starts with `prefix`.
pub async fn list_uploads(
    client: &S3Client,
    bucket: &str,
    prefix: &str,
) -> Result<Vec<UploadInfo>> {
    let mut out = Vec::new();
    let mut key_marker: Option<String> = None;
    let mut id_marker: Option<String> = None;
    loop {
        let page = client
            .sdk()
            .list_multipart_uploads()
            .bucket(bucket)
            .prefix(prefix)
            .set_key_marker(key_marker.clone())
            .set_upload_id_marker(id_marker.clone())
            .send()
            .await
            .map_err(|e| DataError::sdk("ListMultipartUploads", bucket, e))?;
        for u in page.uploads() {
            let (Some(key), Some(id)) = (u.key(), u.upload_id()) else {
                continue;
            };
            out.push(UploadInfo {
                key: key.to_owned(),
                upload_id: id.to_owned(),
                initiated_epoch_ms: u.initiated().and_then(|t| t.to_millis().ok()).unwrap_or(0),
            });
        }
        let more = page.is_truncated().unwrap_or(false);
        let next_key = page.next_key_marker().map(str::to_owned);
        let next_id = page.next_upload_id_marker().map(str::to_owned);
        if !more
            || (next_key.is_none() && next_id.is_none())
            || (next_key == key_marker && next_id == id_marker)
        {
            break;
        }
        key_marker = next_key;
        id_marker = next_id;
    }
    Ok(out)
}

/// The parts of one open upload, by part number.
pub async fn list_parts(
    client: &S3Client,
    bucket: &str,
    key: &str,
    upload_id: &str,
) -> Result<Vec<PartInfo>> {
    let mut out = Vec::new();
    let mut marker: Option<String> = None;
    loop {
        let page = client
            .sdk()
            .list_parts()
            .bucket(bucket)
            .key(key)
            .upload_id(upload_id)
            .set_part_number_marker(marker.clone())
            .send()
            .await
            .map_err(|e| DataError::sdk("ListParts", format!("{bucket}/{key}"), e))?;
        for p in page.parts() {
            out.push(PartInfo {
                part_number: p.part_number().unwrap_or(0),
                size: p.size().unwrap_or(0).max(0) as u64,
                etag: p.e_tag().unwrap_or_default().to_owned(),
                crc32c: p.checksum_crc32_c().and_then(checksum::from_header),
            });
        }
        let next = page.next_part_number_marker().map(str::to_owned);
        if !page.is_truncated().unwrap_or(false) || next.is_none() || next == marker {
            break;
        }
        marker = next;
    }
    out.sort_by_key(|p| p.part_number);
    Ok(out)
}

/// Aborts every open upload under `prefix` started before `older_than` (all of them when
/// `None`). Returns the uploads aborted.
pub async fn abort_stale(
    client: &S3Client,
    bucket: &str,
    prefix: &str,
    older_than: Option<SystemTime>,
) -> Result<Vec<UploadInfo>> {
    let cutoff_ms = older_than.map(|t| {
        t.duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
    });
    let mut aborted = Vec::new();
    for upload in list_uploads(client, bucket, prefix).await? {
        if cutoff_ms.is_some_and(|c| upload.initiated_epoch_ms >= c) {
            continue;
        }
        match client
            .sdk()
            .abort_multipart_upload()
            .bucket(bucket)
            .key(&upload.key)
            .upload_id(&upload.upload_id)
            .send()
            .await
        {
            Ok(_) => aborted.push(upload),
            Err(e) => {
                let err = DataError::sdk(
                    "AbortMultipartUpload",
                    format!("{bucket}/{}", upload.key),
                    e,
                );
                if !err.is_not_found() {
                    return Err(err);
                }
            }
        }
    }
    Ok(aborted)
}
