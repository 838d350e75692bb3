//! Versioned buckets: every write keeps the previous version, a delete without a version id
//! adds a delete marker, and a version is removed only by naming it (and only when object lock
//! allows, `lock.rs`). The current version of a key stays in `Bucket::objects`, so reads,
//! listings and quotas of unversioned buckets are unchanged; the rest is `Bucket::history`.

use s3s::{s3_error, S3Result};

use super::error::io_error;
use super::lock;
use super::meta::{now_ms, write_json, ObjectMeta, Retention};
use super::store::{Bucket, ObjectStore};

/// What a version id names: a version of `key`, `null` being the null version.
fn matches(meta: &ObjectMeta, version: &str) -> bool {
    match &meta.version_id {
        Some(v) => v == version,
        None => version == "null",
    }
}

/// Before `new` becomes the current version of its key: the current one moves to the history,
/// except a null version that `new` (a null version too: versioning suspended) replaces, which
/// is returned for removal (refused while locked).
pub(crate) fn keep_previous(
    b: &mut Bucket,
    new: &ObjectMeta,
    now: i64,
) -> S3Result<Option<ObjectMeta>> {
    let key = &new.key;
    if new.version_id.is_none() {
        if let Some(cur) = b.objects.get(key).filter(|c| c.version_id.is_none()) {
            lock::check_removable(cur, false, now)?;
            return Ok(b.objects.remove(key));
        }
        if let Some(h) = b.history.get_mut(key) {
            if let Some(i) = h.iter().position(|v| v.version_id.is_none()) {
                lock::check_removable(&h[i], false, now)?;
                let old = h.remove(i);
                if h.is_empty() {
                    b.history.remove(key);
                }
                if let Some(cur) = b.objects.remove(key) {
                    b.history.entry(key.clone()).or_default().push(cur);
                }
                return Ok(Some(old));
            }
        }
    }
    if let Some(cur) = b.objects.remove(key) {
        b.history.entry(key.clone()).or_default().push(cur);
    }
    Ok(None)
}

/// A delete marker for `key` (the current version, if any, moved to the history first).
pub(crate) fn add_delete_marker(b: &mut Bucket, key: &str, seq: u64) -> S3Result<ObjectMeta> {
    if let Some(cur) = b.objects.remove(key) {
        b.history.entry(key.to_owned()).or_default().push(cur);
    }
    Ok(ObjectMeta {
        key: key.to_owned(),
        id: super::meta::new_id(),
        size: 0,
        etag: String::new(),
        last_modified_ms: now_ms(),
        seq,
        headers: Default::default(),
        checksums: Default::default(),
        parts_count: None,
        version_id: b.meta.versioned().then(super::meta::new_id),
        delete_marker: true,
        retention: None,
        legal_hold: false,
    })
}

/// Rebuilds a versioned bucket's index from all its sidecars: per key the newest is the
/// latest (current unless it is a delete marker), the rest history.
pub(crate) fn rebuild(b: &mut Bucket, mut all: Vec<ObjectMeta>) {
    all.sort_by(|x, y| (&x.key, x.seq).cmp(&(&y.key, y.seq)));
    for meta in all {
        if let Some(cur) = b.objects.remove(&meta.key) {
            b.history.entry(cur.key.clone()).or_default().push(cur);
        }
        if meta.delete_marker {
            b.history.entry(meta.key.clone()).or_default().push(meta);
        } else {
            b.objects.insert(meta.key.clone(), meta);
        }
    }
}

/// One entry of a version listing.
#[derive(Clone, Debug)]
pub(crate) struct Listed {
    pub(crate) meta: ObjectMeta,
    pub(crate) is_latest: bool,
}

impl ObjectStore {
    /// A version of `key` (the current one when `version` is `None`): `NoSuchKey`,
    /// `NoSuchVersion`, or `MethodNotAllowed` for a delete marker named by its version id.
    pub(crate) fn object_version(
        &self,
        bucket: &str,
        key: &str,
        version: Option<&str>,
    ) -> S3Result<ObjectMeta> {
        let Some(version) = version else {
            return self.object(bucket, key);
        };
        let state = self.lock();
        let b = state
            .buckets
            .get(bucket)
            .ok_or_else(|| s3_error!(NoSuchBucket))?;
        let found = b
            .objects
            .get(key)
            .into_iter()
            .chain(b.history.get(key).into_iter().flatten())
            .find(|m| matches(m, version))
            .cloned()
            .ok_or_else(|| s3_error!(NoSuchVersion))?;
        if found.delete_marker {
            return Err(s3_error!(
                MethodNotAllowed,
                "The specified method is not allowed against this resource."
            ));
        }
        Ok(found)
    }

    /// Removes one version of `key` (object lock permitting; `bypass` is the authorised
    /// governance bypass). Removing the current version makes the newest remaining one
    /// current. Returns whether the removed version was a delete marker; a version that does
    /// not exist is not an error (S3 semantics).
    pub(crate) fn delete_version(
        &self,
        bucket: &str,
        key: &str,
        version: &str,
        bypass: bool,
    ) -> S3Result<bool> {
        let removed = {
            let mut state = self.lock();
            let b = state
                .buckets
                .get_mut(bucket)
                .ok_or_else(|| s3_error!(NoSuchBucket))?;
            let now = now_ms();
            let removed = if b.objects.get(key).is_some_and(|c| matches(c, version)) {
                lock::check_removable(&b.objects[key], bypass, now)?;
                let removed = b.objects.remove(key);
                let promote = b
                    .history
                    .get(key)
                    .and_then(|h| h.last())
                    .is_some_and(|last| !last.delete_marker);
                if promote {
                    if let Some(h) = b.history.get_mut(key) {
                        if let Some(next) = h.pop() {
                            b.objects.insert(key.to_owned(), next);
                        }
                    }
                }
                removed
            } else {
                let Some(h) = b.history.get_mut(key) else {
                    return Ok(false);
                };
                let Some(i) = h.iter().position(|m| matches(m, version)) else {
                    return Ok(false);
                };
                lock::check_removable(&h[i], bypass, now)?;
                let removed = h.remove(i);
                // A delete marker that no longer hides anything is latest only if it is last.
                if i == h.len() && !b.objects.contains_key(key) {
                    if let Some(last) = h.last().filter(|l| !l.delete_marker).cloned() {
                        h.pop();
                        b.objects.insert(key.to_owned(), last);
                    }
                }
                Some(removed)
            };
            if b.history.get(key).is_some_and(Vec::is_empty) {
                b.history.remove(key);
            }
            if let Some(r) = &removed {
                b.bytes = b.bytes.saturating_sub(r.size);
            }
            removed
        };
        match removed {
            Some(r) => {
                self.remove_object_files(bucket, &r.id);
                Ok(r.delete_marker)
            }
            None => Ok(false),
        }
    }

    /// Runs `f` on one version (the current one when `version` is `None`) and saves its
    /// sidecar; `NoSuchKey` / `NoSuchVersion` when there is none, `MethodNotAllowed` on a
    /// delete marker.
    fn update_version<R>(
        &self,
        bucket: &str,
        key: &str,
        version: Option<&str>,
        f: impl FnOnce(&mut ObjectMeta) -> S3Result<R>,
    ) -> S3Result<R> {
        let mut state = self.lock();
        let b = state
            .buckets
            .get_mut(bucket)
            .ok_or_else(|| s3_error!(NoSuchBucket))?;
        if !b.meta.object_lock {
            return Err(s3_error!(
                InvalidRequest,
                "Bucket is missing Object Lock Configuration"
            ));
        }
        let meta = match version {
            None => b.objects.get_mut(key).ok_or_else(|| s3_error!(NoSuchKey))?,
            Some(v) => {
                let in_current = b.objects.get(key).is_some_and(|c| matches(c, v));
                if in_current {
                    b.objects.get_mut(key).ok_or_else(|| s3_error!(NoSuchKey))?
                } else {
                    b.history
                        .get_mut(key)
                        .and_then(|h| h.iter_mut().find(|m| matches(m, v)))
                        .ok_or_else(|| s3_error!(NoSuchVersion))?
                }
            }
        };
        if meta.delete_marker {
            return Err(s3_error!(
                MethodNotAllowed,
                "The specified method is not allowed against this resource."
            ));
        }
        let mut changed = meta.clone();
        let result = f(&mut changed)?;
        write_json(&self.sidecar_path(bucket, &changed.id), &changed).map_err(io_error)?;
        *meta = changed;
        Ok(result)
    }

    /// PutObjectRetention.
    pub(crate) fn set_retention(
        &self,
        bucket: &str,
        key: &str,
        version: Option<&str>,
        retention: Option<Retention>,
        bypass: bool,
    ) -> S3Result<()> {
        self.update_version(bucket, key, version, |m| {
            lock::check_retention_change(m, retention.as_ref(), bypass, now_ms())?;
            m.retention = retention;
            Ok(())
        })
    }

    /// PutObjectLegalHold.
    pub(crate) fn set_legal_hold(
        &self,
        bucket: &str,
        key: &str,
        version: Option<&str>,
        on: bool,
    ) -> S3Result<()> {
        self.update_version(bucket, key, version, |m| {
            m.legal_hold = on;
            Ok(())
        })
    }

    /// Every version and delete marker of the keys under `prefix`, by key, newest first.
    pub(crate) fn list_versions(&self, bucket: &str, prefix: &str) -> S3Result<Vec<Listed>> {
        let state = self.lock();
        let b = state
            .buckets
            .get(bucket)
            .ok_or_else(|| s3_error!(NoSuchBucket))?;
        let mut keys: Vec<&String> = b
            .objects
            .keys()
            .chain(b.history.keys())
            .filter(|k| k.starts_with(prefix))
            .collect();
        keys.sort();
        keys.dedup();
        let mut out = Vec::new();
        for key in keys {
            let mut all: Vec<&ObjectMeta> = b
                .objects
                .get(key)
                .into_iter()
                .chain(b.history.get(key).into_iter().flatten())
                .collect();
            all.sort_by_key(|m| std::cmp::Reverse(m.seq));
            for (i, m) in all.into_iter().enumerate() {
                out.push(Listed {
                    meta: m.clone(),
                    is_latest: i == 0,
                });
            }
        }
        Ok(out)
    }
}
