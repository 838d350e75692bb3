//! The S3 operations of versioning and object lock: bucket versioning, the object lock
//! configuration, per-version retention and legal hold, and the version listing. The rules
//! themselves are in `lock.rs`, the version bookkeeping in `versions.rs`.

use s3s::dto::*;
use s3s::{s3_error, S3Request, S3Response, S3Result};

use super::lock;
use super::meta::{timestamp, Retention};
use super::SimS3;

/// Seconds in a day, as S3 counts default retention days (a year is 365 days).
const DAY_SECS: i64 = 86_400;

impl SimS3 {
    pub(crate) async fn get_bucket_versioning(
        &self,
        req: S3Request<GetBucketVersioningInput>,
    ) -> S3Result<S3Response<GetBucketVersioningOutput>> {
        let status = self
            .store
            .with_bucket(&req.input.bucket, |b| b.meta.versioning.clone())?;
        Ok(S3Response::new(GetBucketVersioningOutput {
            status: status.map(BucketVersioningStatus::from),
            ..GetBucketVersioningOutput::default()
        }))
    }

    pub(crate) async fn put_bucket_versioning(
        &self,
        req: S3Request<PutBucketVersioningInput>,
    ) -> S3Result<S3Response<PutBucketVersioningOutput>> {
        let input = req.input;
        let status = match input
            .versioning_configuration
            .status
            .as_ref()
            .map(|s| s.as_str())
        {
            Some("Enabled") => "Enabled",
            Some("Suspended") => "Suspended",
            _ => {
                return Err(s3_error!(
                    MalformedXML,
                    "Versioning status must be Enabled or Suspended"
                ))
            }
        };
        let lock = self
            .store
            .with_bucket(&input.bucket, |b| b.meta.object_lock)?;
        if lock && status == "Suspended" {
            return Err(s3_error!(
                InvalidBucketState,
                "An Object Lock configuration is present on this bucket, so the versioning state cannot be changed."
            ));
        }
        self.store.update_bucket_meta(&input.bucket, |m| {
            m.versioning = Some(status.to_owned());
        })?;
        Ok(S3Response::new(PutBucketVersioningOutput {}))
    }

    pub(crate) async fn get_object_lock_configuration(
        &self,
        req: S3Request<GetObjectLockConfigurationInput>,
    ) -> S3Result<S3Response<GetObjectLockConfigurationOutput>> {
        let (enabled, default) = self.store.with_bucket(&req.input.bucket, |b| {
            (b.meta.object_lock, b.meta.default_retention.clone())
        })?;
        if !enabled {
            return Err(s3_error!(
                ObjectLockConfigurationNotFoundError,
                "Object Lock configuration does not exist for this bucket"
            ));
        }
        let rule = default.map(|d| ObjectLockRule {
            default_retention: Some(DefaultRetention {
                days: i32::try_from(d.secs / DAY_SECS).ok(),
                mode: Some(ObjectLockRetentionMode::from(d.mode)),
                years: None,
            }),
        });
        Ok(S3Response::new(GetObjectLockConfigurationOutput {
            object_lock_configuration: Some(ObjectLockConfiguration {
                object_lock_enabled: Some(ObjectLockEnabled::from_static(
                    ObjectLockEnabled::ENABLED,
                )),
                rule,
            }),
        }))
    }

    /// Enables object lock on a bucket with versioning enabled (it cannot be turned off) and
    /// sets or clears its default retention.
    pub(crate) async fn put_object_lock_configuration(
        &self,
        req: S3Request<PutObjectLockConfigurationInput>,
    ) -> S3Result<S3Response<PutObjectLockConfigurationOutput>> {
        let input = req.input;
        let config = input
            .object_lock_configuration
            .ok_or_else(|| s3_error!(MalformedXML, "ObjectLockConfiguration is required"))?;
        if config.object_lock_enabled.as_ref().map(|e| e.as_str())
            != Some(ObjectLockEnabled::ENABLED)
        {
            return Err(s3_error!(MalformedXML, "ObjectLockEnabled must be Enabled"));
        }
        let default = match config.rule.and_then(|r| r.default_retention) {
            None => None,
            Some(d) => {
                let mode = lock::mode(d.mode.as_ref().map_or("", |m| m.as_str()))?;
                let secs = match (d.days, d.years) {
                    (Some(days), None) if days > 0 => i64::from(days) * DAY_SECS,
                    (None, Some(years)) if years > 0 => i64::from(years) * 365 * DAY_SECS,
                    _ => {
                        return Err(s3_error!(
                            MalformedXML,
                            "DefaultRetention needs a positive Days or Years, not both"
                        ))
                    }
                };
                Some(super::meta::DefaultRetention { mode, secs })
            }
        };
        let versioned = self
            .store
            .with_bucket(&input.bucket, |b| b.meta.versioned())?;
        if !versioned {
            return Err(s3_error!(
                InvalidBucketState,
                "Versioning must be 'Enabled' on the bucket to apply a Object Lock configuration"
            ));
        }
        self.store.update_bucket_meta(&input.bucket, |m| {
            m.object_lock = true;
            m.default_retention = default;
        })?;
        Ok(S3Response::new(PutObjectLockConfigurationOutput::default()))
    }

    pub(crate) async fn get_object_retention(
        &self,
        req: S3Request<GetObjectRetentionInput>,
    ) -> S3Result<S3Response<GetObjectRetentionOutput>> {
        let input = req.input;
        let meta =
            self.store
                .object_version(&input.bucket, &input.key, input.version_id.as_deref())?;
        let r = meta.retention.ok_or_else(|| {
            s3_error!(
                NoSuchObjectLockConfiguration,
                "The specified object does not have a ObjectLock configuration"
            )
        })?;
        Ok(S3Response::new(GetObjectRetentionOutput {
            retention: Some(ObjectLockRetention {
                mode: Some(ObjectLockRetentionMode::from(r.mode)),
                retain_until_date: Some(timestamp(r.until_ms)),
            }),
        }))
    }

    /// Sets a version's retention; the bypass header was authorised by `auth.rs`.
    pub(crate) async fn put_object_retention(
        &self,
        req: S3Request<PutObjectRetentionInput>,
    ) -> S3Result<S3Response<PutObjectRetentionOutput>> {
        let input = req.input;
        let retention = match input.retention {
            Some(ObjectLockRetention {
                mode: Some(m),
                retain_until_date: Some(u),
            }) => Some(Retention {
                mode: lock::mode(m.as_str())?,
                until_ms: lock::timestamp_ms(&u),
            }),
            Some(ObjectLockRetention {
                mode: None,
                retain_until_date: None,
            })
            | None => None,
            Some(_) => {
                return Err(s3_error!(
                    MalformedXML,
                    "Retention needs both Mode and RetainUntilDate"
                ))
            }
        };
        self.store.set_retention(
            &input.bucket,
            &input.key,
            input.version_id.as_deref(),
            retention,
            input.bypass_governance_retention.unwrap_or(false),
        )?;
        Ok(S3Response::new(PutObjectRetentionOutput::default()))
    }

    pub(crate) async fn get_object_legal_hold(
        &self,
        req: S3Request<GetObjectLegalHoldInput>,
    ) -> S3Result<S3Response<GetObjectLegalHoldOutput>> {
        let input = req.input;
        let meta =
            self.store
                .object_version(&input.bucket, &input.key, input.version_id.as_deref())?;
        let lock_enabled = self
            .store
            .with_bucket(&input.bucket, |b| b.meta.object_lock)?;
        if !lock_enabled {
            return Err(s3_error!(
                InvalidRequest,
                "Bucket is missing Object Lock Configuration"
            ));
        }
        let status = if meta.legal_hold {
            ObjectLockLegalHoldStatus::ON
        } else {
            ObjectLockLegalHoldStatus::OFF
        };
        Ok(S3Response::new(GetObjectLegalHoldOutput {
            legal_hold: Some(ObjectLockLegalHold {
                status: Some(ObjectLockLegalHoldStatus::from_static(status)),
            }),
        }))
    }

    pub(crate) async fn put_object_legal_hold(
        &self,
        req: S3Request<PutObjectLegalHoldInput>,
    ) -> S3Result<S3Response<PutObjectLegalHoldOutput>> {
        let input = req.input;
        let on = match input
            .legal_hold
            .and_then(|h| h.status)
            .as_ref()
            .map(|s| s.as_str().to_ascii_uppercase())
            .as_deref()
        {
            Some("ON") => true,
            Some("OFF") => false,
            _ => {
                return Err(s3_error!(
                    MalformedXML,
                    "LegalHold Status must be ON or OFF"
                ))
            }
        };
        self.store
            .set_legal_hold(&input.bucket, &input.key, input.version_id.as_deref(), on)?;
        Ok(S3Response::new(PutObjectLegalHoldOutput::default()))
    }

    /// ListObjectVersions: prefix, key and version-id markers, max-keys (no delimiter).
    pub(crate) async fn list_object_versions(
        &self,
        req: S3Request<ListObjectVersionsInput>,
    ) -> S3Result<S3Response<ListObjectVersionsOutput>> {
        let input = req.input;
        if input.delimiter.as_deref().is_some_and(|d| !d.is_empty()) {
            return Err(s3_error!(
                NotImplemented,
                "Delimiters in version listings are not supported"
            ));
        }
        let prefix = input.prefix.clone().unwrap_or_default();
        let max = input
            .max_keys
            .map_or(1000, |m| usize::try_from(m.clamp(0, 1000)).unwrap_or(1000));
        let all = self.store.list_versions(&input.bucket, &prefix)?;
        // Resume after (key-marker, version-id-marker): the marker's key from that version on,
        // or, without a version marker, the keys after key-marker.
        let start = match (&input.key_marker, &input.version_id_marker) {
            (Some(k), Some(v)) if !v.is_empty() => all
                .iter()
                .position(|l| &l.meta.key == k && l.meta.version() == *v)
                .map_or_else(
                    || {
                        all.iter()
                            .position(|l| &l.meta.key > k)
                            .unwrap_or(all.len())
                    },
                    |i| i + 1,
                ),
            (Some(k), _) if !k.is_empty() => all
                .iter()
                .position(|l| &l.meta.key > k)
                .unwrap_or(all.len()),
            _ => 0,
        };
        let page: Vec<_> = all.iter().skip(start).take(max).cloned().collect();
        let truncated = start + page.len() < all.len();
        let (next_key, next_version) = match (truncated, page.last()) {
            (true, Some(last)) => (Some(last.meta.key.clone()), Some(last.meta.version())),
            _ => (None, None),
        };
        let mut versions = Vec::new();
        let mut markers = Vec::new();
        for l in page {
            if l.meta.delete_marker {
                markers.push(DeleteMarkerEntry {
                    is_latest: Some(l.is_latest),
                    key: Some(l.meta.key.clone()),
                    last_modified: Some(timestamp(l.meta.last_modified_ms)),
                    version_id: Some(l.meta.version()),
                    ..DeleteMarkerEntry::default()
                });
            } else {
                versions.push(ObjectVersion {
                    e_tag: Some(ETag::Strong(l.meta.etag.clone())),
                    is_latest: Some(l.is_latest),
                    key: Some(l.meta.key.clone()),
                    last_modified: Some(timestamp(l.meta.last_modified_ms)),
                    size: i64::try_from(l.meta.size).ok(),
                    storage_class: Some(ObjectVersionStorageClass::from_static(
                        ObjectVersionStorageClass::STANDARD,
                    )),
                    version_id: Some(l.meta.version()),
                    ..ObjectVersion::default()
                });
            }
        }
        Ok(S3Response::new(ListObjectVersionsOutput {
            delete_markers: (!markers.is_empty()).then_some(markers),
            versions: (!versions.is_empty()).then_some(versions),
            is_truncated: Some(truncated),
            key_marker: input.key_marker,
            version_id_marker: input.version_id_marker,
            max_keys: input.max_keys,
            name: Some(input.bucket),
            next_key_marker: next_key,
            next_version_id_marker: next_version,
            prefix: input.prefix,
            ..ListObjectVersionsOutput::default()
        }))
    }
}

/// The lock headers of a version, as GET and HEAD answer them.
pub(crate) fn lock_headers(
    meta: &super::meta::ObjectMeta,
) -> (
    Option<ObjectLockMode>,
    Option<Timestamp>,
    Option<ObjectLockLegalHoldStatus>,
) {
    let (mode, until) = match &meta.retention {
        Some(r) => (
            Some(ObjectLockMode::from(r.mode.clone())),
            Some(timestamp(r.until_ms)),
        ),
        None => (None, None),
    };
    let hold = meta
        .legal_hold
        .then(|| ObjectLockLegalHoldStatus::from_static(ObjectLockLegalHoldStatus::ON));
    (mode, until, hold)
}
