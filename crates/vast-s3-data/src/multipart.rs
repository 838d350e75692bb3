//! Multipart uploads on the server: starting and listing them (for resume and for the orphan
//! sweep), their parts, and sweeping stale ones (one rule, with a dry run).

use std::time::{Duration, SystemTime};

use crate::checksum;
use crate::client::list_parts_root::ListPartsRoot;
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
    list_uploads_in(client, bucket, prefix, &UploadRange::default()).await
}

/// A run of keys a bounded listing or sweep of uploads covers, in key order: keys after
/// `after` up to and including `until`, at most `max_uploads` uploads (each bound off when
/// `None`). The listing stops at the first page that goes past `until` or fills `max_uploads`,
/// so a bounded sweep of a huge bucket costs a bounded number of requests.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UploadRange {
    /// Only keys after this one (S3's `key-marker`).
    pub after: Option<String>,
    /// Only keys up to this one, itself included.
    pub until: Option<String>,
    /// At most this many uploads.
    pub max_uploads: Option<usize>,
}

impl UploadRange {
    fn past_end(&self, key: &str) -> bool {
        self.until.as_deref().is_some_and(|u| key > u)
    }
}

/// The open multipart uploads whose key starts with `prefix`, within `range`.
pub async fn list_uploads_in(
    client: &S3Client,
    bucket: &str,
    prefix: &str,
    range: &UploadRange,
) -> Result<Vec<UploadInfo>> {
    let mut out = Vec::new();
    let mut key_marker: Option<String> = range.after.clone();
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
            if range.past_end(key) || range.max_uploads.is_some_and(|m| out.len() >= m) {
                return Ok(out);
            }
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

/// Starts a multipart upload of `key` (parts carry CRC32C); returns its upload id.
pub async fn create_upload(client: &S3Client, bucket: &str, key: &str) -> Result<String> {
    crate::writer::requests::create_upload(client, bucket, key).await
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
            .customize()
            .interceptor(ListPartsRoot)
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

/// Which open uploads a sweep takes: those under `prefix` started at or before `cutoff` (of any
/// age when `None`), except those under one of the `keep` prefixes. [`StaleUploads::is_stale`]
/// is the one rule: [`sweep_stale`] applies it the same way with and without a dry run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StaleUploads {
    /// Only uploads whose key starts with this.
    pub prefix: String,
    /// Only uploads started at or before this instant; `None`: every upload.
    pub cutoff: Option<SystemTime>,
    /// Uploads whose key starts with one of these stay.
    pub keep: Vec<String>,
}

impl StaleUploads {
    /// Uploads under `prefix` that are at least `age` old now.
    pub fn older_than(prefix: impl Into<String>, age: Duration) -> Self {
        Self {
            prefix: prefix.into(),
            cutoff: Some(
                SystemTime::now()
                    .checked_sub(age)
                    .unwrap_or(SystemTime::UNIX_EPOCH),
            ),
            keep: Vec::new(),
        }
    }

    /// The cut-off in milliseconds since the Unix epoch (the unit of
    /// [`UploadInfo::initiated_epoch_ms`]).
    fn cutoff_ms(&self) -> Option<i64> {
        self.cutoff.map(|t| {
            t.duration_since(SystemTime::UNIX_EPOCH)
                .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        })
    }

    /// Whether the sweep takes `upload`: under the prefix, started at or before the cut-off (an
    /// upload whose start is unknown counts as old), not under a kept prefix.
    pub fn is_stale(&self, upload: &UploadInfo) -> bool {
        upload.key.starts_with(&self.prefix)
            && self
                .cutoff_ms()
                .is_none_or(|c| upload.initiated_epoch_ms <= c)
            && !self.keep.iter().any(|k| upload.key.starts_with(k.as_str()))
    }
}

/// What [`sweep_stale`] does with the stale uploads it finds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SweepMode {
    /// Only reports them.
    DryRun,
    /// Aborts them.
    Abort,
}

/// The open uploads of `bucket` that `which` takes: aborted with [`SweepMode::Abort`] (an
/// upload already gone is skipped, not counted), only listed with [`SweepMode::DryRun`].
/// Returns them.
pub async fn sweep_stale(
    client: &S3Client,
    bucket: &str,
    which: &StaleUploads,
    mode: SweepMode,
) -> Result<Vec<UploadInfo>> {
    sweep_stale_in(client, bucket, which, &UploadRange::default(), mode).await
}

/// [`sweep_stale`] over the uploads of one [`UploadRange`] only (a bounded sweep).
pub async fn sweep_stale_in(
    client: &S3Client,
    bucket: &str,
    which: &StaleUploads,
    range: &UploadRange,
    mode: SweepMode,
) -> Result<Vec<UploadInfo>> {
    let mut taken = Vec::new();
    for upload in list_uploads_in(client, bucket, &which.prefix, range).await? {
        if !which.is_stale(&upload) {
            continue;
        }
        if mode == SweepMode::DryRun {
            taken.push(upload);
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
            Ok(_) => taken.push(upload),
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
    Ok(taken)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn upload(key: &str, initiated_epoch_ms: i64) -> UploadInfo {
        UploadInfo {
            key: key.to_owned(),
            upload_id: "u".to_owned(),
            initiated_epoch_ms,
        }
    }

    #[test]
    fn the_cutoff_is_inclusive_to_the_millisecond_and_keep_wins() {
        let which = StaleUploads {
            prefix: "netbackup/".to_owned(),
            cutoff: Some(SystemTime::UNIX_EPOCH + Duration::from_millis(1_700_000_000_500)),
            keep: vec!["netbackup/live/".to_owned()],
        };
        assert!(which.is_stale(&upload("netbackup/a/1", 1_700_000_000_500)));
        assert!(which.is_stale(&upload("netbackup/a/1", 1_700_000_000_000)));
        assert!(which.is_stale(&upload("netbackup/a/1", 0)), "unknown start");
        assert!(!which.is_stale(&upload("netbackup/a/1", 1_700_000_000_501)));
        assert!(!which.is_stale(&upload("netbackup/live/1", 0)));
        assert!(!which.is_stale(&upload("other/a/1", 0)));
        let all = StaleUploads {
            prefix: String::new(),
            ..StaleUploads::default()
        };
        assert!(all.is_stale(&upload("x", i64::MAX)));
    }

    #[test]
    fn older_than_puts_the_cutoff_age_ago() {
        let now = SystemTime::now();
        let which = StaleUploads::older_than("p/", Duration::from_secs(60));
        let cutoff = which.cutoff.unwrap();
        let age = now.duration_since(cutoff).unwrap();
        assert!(
            age <= Duration::from_secs(60) && age > Duration::from_secs(59),
            "{age:?}"
        );
        assert_eq!(
            StaleUploads::older_than("p/", Duration::MAX).cutoff,
            Some(SystemTime::UNIX_EPOCH)
        );
    }
}
