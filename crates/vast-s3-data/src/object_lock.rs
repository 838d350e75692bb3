//! S3 object lock and versions: set and read a version's retention, list every version and
//! delete marker under a prefix, and remove versions by id (optionally with the governance
//! bypass, which the caller must reserve for an administrator's explicit act).
//!
//! Object lock needs a versioned bucket: there a plain DELETE only adds a delete marker and an
//! overwrite adds a version, so the locked versions stay; only a delete naming a version removes
//! bytes, and the server refuses it (403 `AccessDenied`) while the version is retained.

use aws_sdk_s3::primitives::DateTime;
use aws_sdk_s3::types::{ObjectLockLegalHoldStatus, ObjectLockRetention, ObjectLockRetentionMode};

use crate::capabilities::with_required_checksum;
use crate::client::S3Client;
use crate::delete;
use crate::error::{DataError, Result};

/// An object lock retention mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LockMode {
    /// `GOVERNANCE`: removable before the date only with the bypass permission and header.
    Governance,
    /// `COMPLIANCE`: no one removes it or shortens its retention before the date.
    Compliance,
}

impl LockMode {
    /// The S3 spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Governance => "GOVERNANCE",
            Self::Compliance => "COMPLIANCE",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        match s.to_ascii_uppercase().as_str() {
            "GOVERNANCE" => Some(Self::Governance),
            "COMPLIANCE" => Some(Self::Compliance),
            _ => None,
        }
    }
}

/// What holds one object version.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct VersionLock {
    /// Retention mode and retain-until date (Unix seconds), if any.
    pub retention: Option<(LockMode, i64)>,
    /// A legal hold is on.
    pub legal_hold: bool,
}

impl VersionLock {
    /// Whether the version cannot be removed at `now` (Unix seconds) without a bypass.
    pub fn holds_at(&self, now: i64) -> bool {
        self.legal_hold || self.retention.is_some_and(|(_, until)| until > now)
    }
}

/// One version or delete marker of a listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionEntry {
    /// The key.
    pub key: String,
    /// Its version id (`null` for the null version).
    pub version_id: String,
    /// The key's latest version.
    pub is_latest: bool,
    /// A delete marker (no bytes).
    pub delete_marker: bool,
    /// Bytes (0 for a delete marker).
    pub size: u64,
}

/// Sets the retention of `key` (the version `version_id`, or the current one) to `mode` until
/// `until_unix` seconds. Extending is always allowed; shortening is refused by the server.
pub async fn set_retention(
    client: &S3Client,
    bucket: &str,
    key: &str,
    version_id: Option<&str>,
    mode: LockMode,
    until_unix: i64,
) -> Result<()> {
    let retention = ObjectLockRetention::builder()
        .mode(ObjectLockRetentionMode::from(mode.as_str()))
        .retain_until_date(DateTime::from_secs(until_unix))
        .build();
    let req = client
        .sdk()
        .put_object_retention()
        .bucket(bucket)
        .key(key)
        .set_version_id(version_id.map(str::to_owned))
        .retention(retention)
        .customize();
    // S3 requires a checksum on PutObjectRetention, as on DeleteObjects.
    let req = with_required_checksum(client, req);
    req.send()
        .await
        .map_err(|e| DataError::sdk("PutObjectRetention", format!("{bucket}/{key}"), e))?;
    Ok(())
}

/// The lock on one version (HEAD with its version id): retention and legal hold.
pub async fn version_lock(
    client: &S3Client,
    bucket: &str,
    key: &str,
    version_id: &str,
) -> Result<VersionLock> {
    let out = client
        .sdk()
        .head_object()
        .bucket(bucket)
        .key(key)
        .version_id(version_id)
        .send()
        .await
        .map_err(|e| {
            DataError::sdk(
                "HeadObject",
                format!("{bucket}/{key}?versionId={version_id}"),
                e,
            )
        })?;
    let retention = match (out.object_lock_mode(), out.object_lock_retain_until_date()) {
        (Some(m), Some(until)) => LockMode::parse(m.as_str()).map(|m| (m, until.secs())),
        _ => None,
    };
    Ok(VersionLock {
        retention,
        legal_hold: out.object_lock_legal_hold_status() == Some(&ObjectLockLegalHoldStatus::On),
    })
}

/// Every version and delete marker of the keys under `prefix`.
pub async fn list_versions(
    client: &S3Client,
    bucket: &str,
    prefix: &str,
) -> Result<Vec<VersionEntry>> {
    let mut out = Vec::new();
    let mut key_marker: Option<String> = None;
    let mut version_marker: Option<String> = None;
    loop {
        let page = client
            .sdk()
            .list_object_versions()
            .bucket(bucket)
            .prefix(prefix)
            .set_key_marker(key_marker.clone())
            .set_version_id_marker(version_marker.clone())
            .send()
            .await
            .map_err(|e| DataError::sdk("ListObjectVersions", bucket, e))?;
        for v in page.versions() {
            out.push(VersionEntry {
                key: v.key().unwrap_or_default().to_owned(),
                version_id: v.version_id().unwrap_or("null").to_owned(),
                is_latest: v.is_latest().unwrap_or(false),
                delete_marker: false,
                size: v.size().unwrap_or(0).max(0) as u64,
            });
        }
        for m in page.delete_markers() {
            out.push(VersionEntry {
                key: m.key().unwrap_or_default().to_owned(),
                version_id: m.version_id().unwrap_or("null").to_owned(),
                is_latest: m.is_latest().unwrap_or(false),
                delete_marker: true,
                size: 0,
            });
        }
        let next = (
            page.next_key_marker().map(str::to_owned),
            page.next_version_id_marker().map(str::to_owned),
        );
        let moved = next.0 != key_marker || next.1 != version_marker;
        if !page.is_truncated().unwrap_or(false) || next.0.is_none() || !moved {
            break;
        }
        (key_marker, version_marker) = next;
    }
    Ok(out)
}

/// Removes the given versions (`(key, version_id)`) in DeleteObjects batches. With `bypass`,
/// sends `x-amz-bypass-governance-retention: true` (an administrator's act, never the
/// plugin's). Fails on the first version the server refused to remove (a retained one:
/// `AccessDenied`); a version that no longer exists is fine.
pub async fn delete_versions(
    client: &S3Client,
    bucket: &str,
    versions: &[(String, String)],
    bypass: bool,
) -> Result<usize> {
    let objects: Vec<(&str, Option<&str>)> = versions
        .iter()
        .map(|(k, v)| (k.as_str(), Some(v.as_str())))
        .collect();
    delete::delete_objects(client, bucket, &objects, bypass).await
}

/// Whether object lock is enabled on `bucket` (GetObjectLockConfiguration; a bucket without it
/// answers `ObjectLockConfigurationNotFoundError`).
pub async fn lock_enabled(client: &S3Client, bucket: &str) -> Result<bool> {
    match client
        .sdk()
        .get_object_lock_configuration()
        .bucket(bucket)
        .send()
        .await
    {
        Ok(out) => Ok(out
            .object_lock_configuration()
            .and_then(|c| c.object_lock_enabled())
            .is_some_and(|e| e.as_str() == "Enabled")),
        Err(e) => {
            let e = DataError::sdk("GetObjectLockConfiguration", bucket, e);
            if e.code() == Some("ObjectLockConfigurationNotFoundError") {
                Ok(false)
            } else {
                Err(e)
            }
        }
    }
}
