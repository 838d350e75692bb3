//! The object store: buckets, objects and multipart uploads as files under one directory, with
//! an in-memory index rebuilt by a scan when the store opens.
//!
//! ```text
//! <dir>/buckets/<bucket>/bucket.json         creation time, tags
//! <dir>/buckets/<bucket>/objects/<id>.json   one object's sidecar (key, size, ETag, headers, checksums)
//! <dir>/buckets/<bucket>/objects/<id>.data   its bytes: a file, or a directory of parts (data.rs)
//! <dir>/uploads/<upload-id>/upload.json      an open multipart upload
//! <dir>/uploads/<upload-id>/<n>.part|.json   its parts
//! <dir>/tmp/                                 bodies being received (emptied at open)
//! ```
//!
//! Every write lands in `tmp/` first and is renamed into place, and an object becomes visible
//! only when its sidecar is renamed in under the index lock, so readers never see half an object
//! and conditional creates are decided atomically.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use s3s::{s3_error, S3Error, S3Result};

use super::error::{io_error, quota_exceeded};
use super::meta::{now_ms, read_json, write_json, BucketMeta, ObjectMeta, PartMeta, UploadMeta};
use super::StoreError;
use crate::control::{BucketLock, BucketUsage, DataPlane, DataPlaneError};
use crate::faults::Faults;

/// One bucket in the index.
#[derive(Debug, Default)]
pub(crate) struct Bucket {
    pub(crate) meta: BucketMeta,
    /// The current version of each key (absent when there is none or a delete marker is latest).
    pub(crate) objects: BTreeMap<String, ObjectMeta>,
    /// The other versions and the delete markers of each key, oldest first (versioned buckets
    /// only; a delete marker at the end is the key's latest version).
    pub(crate) history: BTreeMap<String, Vec<ObjectMeta>>,
    /// Bytes of completed objects (every version held).
    pub(crate) bytes: u64,
    /// Bytes of parts of open multipart uploads.
    pub(crate) pending: u64,
    /// Bytes promised to writes in flight.
    pub(crate) reserved: u64,
    /// Open multipart uploads.
    pub(crate) uploads: usize,
}

impl Bucket {
    fn used(&self) -> u64 {
        self.bytes + self.pending + self.reserved
    }
}

/// One open multipart upload in the index.
#[derive(Debug)]
pub(crate) struct Upload {
    pub(crate) meta: UploadMeta,
    pub(crate) parts: BTreeMap<i32, PartMeta>,
}

#[derive(Debug, Default)]
pub(crate) struct State {
    pub(crate) buckets: BTreeMap<String, Bucket>,
    pub(crate) uploads: HashMap<String, Upload>,
}

/// Buckets and objects as files under one directory.
pub struct ObjectStore {
    dir: PathBuf,
    state: Mutex<State>,
    seq: AtomicU64,
}

impl std::fmt::Debug for ObjectStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ObjectStore")
            .field("dir", &self.dir)
            .finish_non_exhaustive()
    }
}

/// Bytes promised to one write in flight; given back when dropped.
pub(crate) struct Reservation {
    store: Arc<ObjectStore>,
    bucket: String,
    bytes: u64,
}

impl Drop for Reservation {
    fn drop(&mut self) {
        if self.bytes > 0 {
            if let Some(bucket) = self.store.lock().buckets.get_mut(&self.bucket) {
                bucket.reserved = bucket.reserved.saturating_sub(self.bytes);
            }
        }
    }
}

/// What a quota check needs to know about the bucket's limits.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Limits {
    /// The enforced hard limit in bytes, if any.
    pub(crate) hard_limit: Option<u64>,
    /// The fault plan marks the bucket as full.
    pub(crate) full: bool,
    /// How a refused write is answered.
    pub(crate) answer: crate::s3_modes::QuotaAnswer,
}

/// What replaces what in a quota check.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Replacing<'a> {
    /// An object of this key (its bytes are freed by the write).
    Object(&'a str),
    /// A part of an upload (its bytes are freed by the write).
    Part(&'a str, i32),
}

impl ObjectStore {
    /// Opens (or creates) the store under `dir`, rebuilding the index from the files.
    pub fn open(dir: &Path, _faults: Arc<Faults>) -> Result<Arc<Self>, StoreError> {
        let io = |what: &str, path: &Path, e: std::io::Error| {
            StoreError::Io(format!("{what} {}: {e}", path.display()))
        };
        for sub in ["buckets", "uploads", "tmp"] {
            let path = dir.join(sub);
            std::fs::create_dir_all(&path).map_err(|e| io("creating", &path, e))?;
        }
        let tmp = dir.join("tmp");
        std::fs::remove_dir_all(&tmp).map_err(|e| io("emptying", &tmp, e))?;
        std::fs::create_dir_all(&tmp).map_err(|e| io("creating", &tmp, e))?;

        let mut state = State::default();
        let mut max_seq = 0;
        let buckets_dir = dir.join("buckets");
        for entry in std::fs::read_dir(&buckets_dir).map_err(|e| io("reading", &buckets_dir, e))? {
            let entry = entry.map_err(|e| io("reading", &buckets_dir, e))?;
            let Some(name) = entry.file_name().to_str().map(str::to_owned) else {
                continue;
            };
            let bucket_json = entry.path().join("bucket.json");
            let Ok(meta) = read_json::<BucketMeta>(&bucket_json) else {
                continue;
            };
            let mut bucket = Bucket {
                meta,
                ..Bucket::default()
            };
            let objects_dir = entry.path().join("objects");
            scan_objects(&objects_dir, &mut bucket, &mut max_seq)
                .map_err(|e| io("scanning", &objects_dir, e))?;
            state.buckets.insert(name, bucket);
        }
        let uploads_dir = dir.join("uploads");
        for entry in std::fs::read_dir(&uploads_dir).map_err(|e| io("reading", &uploads_dir, e))? {
            let entry = entry.map_err(|e| io("reading", &uploads_dir, e))?;
            let path = entry.path();
            let Ok(meta) = read_json::<UploadMeta>(&path.join("upload.json")) else {
                let _ = std::fs::remove_dir_all(&path);
                continue;
            };
            let Some(bucket) = state.buckets.get_mut(&meta.bucket) else {
                let _ = std::fs::remove_dir_all(&path);
                continue;
            };
            let mut parts = BTreeMap::new();
            for part in std::fs::read_dir(&path).map_err(|e| io("reading", &path, e))? {
                let part = part.map_err(|e| io("reading", &path, e))?.path();
                let is_part_meta = part.extension().is_some_and(|e| e == "json")
                    && part.file_name().is_some_and(|n| n != "upload.json");
                if !is_part_meta {
                    continue;
                }
                if let Ok(p) = read_json::<PartMeta>(&part) {
                    bucket.pending += p.size;
                    parts.insert(p.number, p);
                }
            }
            bucket.uploads += 1;
            state
                .uploads
                .insert(meta.id.clone(), Upload { meta, parts });
        }
        Ok(Arc::new(Self {
            dir: dir.to_owned(),
            state: Mutex::new(state),
            seq: AtomicU64::new(max_seq),
        }))
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A sequence number larger than every one handed out or found on disk.
    pub(crate) fn next_seq(&self) -> u64 {
        self.seq.fetch_add(1, Ordering::SeqCst) + 1
    }

    pub(crate) fn tmp_path(&self) -> PathBuf {
        self.dir.join("tmp").join(super::meta::new_id())
    }

    pub(super) fn bucket_dir(&self, bucket: &str) -> PathBuf {
        self.dir.join("buckets").join(bucket)
    }

    pub(crate) fn data_path(&self, bucket: &str, id: &str) -> PathBuf {
        self.bucket_dir(bucket)
            .join("objects")
            .join(format!("{id}.data"))
    }

    pub(super) fn sidecar_path(&self, bucket: &str, id: &str) -> PathBuf {
        self.bucket_dir(bucket)
            .join("objects")
            .join(format!("{id}.json"))
    }

    pub(crate) fn upload_dir(&self, upload_id: &str) -> PathBuf {
        self.dir.join("uploads").join(upload_id)
    }

    pub(crate) fn part_path(&self, upload_id: &str, number: i32) -> PathBuf {
        self.upload_dir(upload_id).join(format!("{number}.part"))
    }

    /// Whether a bucket of that name exists.
    pub(crate) fn has_bucket(&self, bucket: &str) -> bool {
        self.lock().buckets.contains_key(bucket)
    }

    /// Runs `f` on a bucket, or fails with `NoSuchBucket`.
    pub(crate) fn with_bucket<R>(
        &self,
        bucket: &str,
        f: impl FnOnce(&mut Bucket) -> R,
    ) -> S3Result<R> {
        let mut state = self.lock();
        let bucket = state
            .buckets
            .get_mut(bucket)
            .ok_or_else(|| s3_error!(NoSuchBucket))?;
        Ok(f(bucket))
    }

    /// Saves a bucket's record after `f` changed it.
    pub(crate) fn update_bucket_meta(
        &self,
        bucket: &str,
        f: impl FnOnce(&mut BucketMeta),
    ) -> S3Result<()> {
        let mut state = self.lock();
        let b = state
            .buckets
            .get_mut(bucket)
            .ok_or_else(|| s3_error!(NoSuchBucket))?;
        f(&mut b.meta);
        write_json(&self.bucket_dir(bucket).join("bucket.json"), &b.meta).map_err(io_error)
    }

    /// The current object of `key`, or `NoSuchBucket`/`NoSuchKey`.
    pub(crate) fn object(&self, bucket: &str, key: &str) -> S3Result<ObjectMeta> {
        let state = self.lock();
        let b = state
            .buckets
            .get(bucket)
            .ok_or_else(|| s3_error!(NoSuchBucket))?;
        b.objects
            .get(key)
            .cloned()
            .ok_or_else(|| s3_error!(NoSuchKey))
    }

    /// Promises `bytes` more to a write into `bucket`, or fails with `QuotaExceeded` when the
    /// bucket is marked full or the write would take its used bytes past the hard limit.
    pub(crate) fn reserve(
        self: &Arc<Self>,
        bucket: &str,
        replacing: Replacing<'_>,
        bytes: u64,
        limits: Limits,
    ) -> S3Result<Reservation> {
        let mut state = self.lock();
        let freed = match replacing {
            Replacing::Object(key) => state
                .buckets
                .get(bucket)
                .and_then(|b| b.objects.get(key))
                .map_or(0, |o| o.size),
            Replacing::Part(upload, number) => state
                .uploads
                .get(upload)
                .and_then(|u| u.parts.get(&number))
                .map_or(0, |p| p.size),
        };
        let b = state
            .buckets
            .get_mut(bucket)
            .ok_or_else(|| s3_error!(NoSuchBucket))?;
        if limits.full {
            return Err(quota_exceeded(bucket, limits.answer));
        }
        if let Some(limit) = limits.hard_limit {
            if b.used().saturating_sub(freed).saturating_add(bytes) > limit {
                return Err(quota_exceeded(bucket, limits.answer));
            }
        }
        b.reserved += bytes;
        Ok(Reservation {
            store: self.clone(),
            bucket: bucket.to_owned(),
            bytes,
        })
    }

    /// Makes an object whose bytes are already at `data_path(bucket, meta.id)` visible, replacing
    /// the key's previous object (in a versioned bucket the previous one becomes a noncurrent
    /// version and the new one gets a version id, returned). With `if_none_match` it fails with
    /// `PreconditionFailed` when the key exists; with `if_match` when the key's ETag differs.
    /// Object lock: a retention asked for needs a bucket with object lock; the bucket's default
    /// retention applies to a version that asks for none. On failure the caller removes the
    /// data file.
    pub(crate) fn commit_object(
        &self,
        bucket: &str,
        mut meta: ObjectMeta,
        if_none_match: bool,
        if_match: Option<&str>,
    ) -> S3Result<Option<String>> {
        let old = {
            let mut state = self.lock();
            let b = state
                .buckets
                .get_mut(bucket)
                .ok_or_else(|| s3_error!(NoSuchBucket))?;
            let existing = b.objects.get(&meta.key);
            if if_none_match && existing.is_some() {
                return Err(s3_error!(
                    PreconditionFailed,
                    "At least one of the pre-conditions you specified did not hold"
                ));
            }
            if let Some(expected) = if_match {
                if existing.is_none_or(|o| o.etag != expected && expected != "*") {
                    return Err(s3_error!(
                        PreconditionFailed,
                        "At least one of the pre-conditions you specified did not hold"
                    ));
                }
            }
            super::lock::apply_on_write(&b.meta, &mut meta, now_ms())?;
            if b.meta.keeps_versions() {
                if b.meta.versioned() {
                    meta.version_id = Some(super::meta::new_id());
                }
                let replaced = super::versions::keep_previous(b, &meta, now_ms())?;
                write_json(&self.sidecar_path(bucket, &meta.id), &meta).map_err(io_error)?;
                let version = meta.version_id.clone();
                b.bytes += meta.size;
                b.objects.insert(meta.key.clone(), meta);
                if let Some(old) = &replaced {
                    b.bytes = b.bytes.saturating_sub(old.size);
                }
                drop(state);
                if let Some(old) = replaced {
                    self.remove_object_files(bucket, &old.id);
                }
                return Ok(version);
            }
            write_json(&self.sidecar_path(bucket, &meta.id), &meta).map_err(io_error)?;
            b.bytes += meta.size;
            let old = b.objects.insert(meta.key.clone(), meta);
            if let Some(old) = &old {
                b.bytes = b.bytes.saturating_sub(old.size);
            }
            old
        };
        if let Some(old) = old {
            self.remove_object_files(bucket, &old.id);
        }
        Ok(None)
    }

    /// Removes an object; a missing key is not an error (S3 semantics). In a bucket that keeps
    /// versions nothing is removed: a delete marker becomes the key's latest version (its
    /// version id is returned).
    pub(crate) fn delete_object(&self, bucket: &str, key: &str) -> S3Result<Option<String>> {
        let old = {
            let mut state = self.lock();
            let b = state
                .buckets
                .get_mut(bucket)
                .ok_or_else(|| s3_error!(NoSuchBucket))?;
            if b.meta.keeps_versions() {
                let marker = super::versions::add_delete_marker(b, key, self.next_seq())?;
                write_json(&self.sidecar_path(bucket, &marker.id), &marker).map_err(io_error)?;
                let version = marker.version_id.clone();
                b.history.entry(key.to_owned()).or_default().push(marker);
                return Ok(version.or_else(|| Some("null".to_owned())));
            }
            let old = b.objects.remove(key);
            if let Some(old) = &old {
                b.bytes = b.bytes.saturating_sub(old.size);
            }
            old
        };
        if let Some(old) = old {
            self.remove_object_files(bucket, &old.id);
        }
        Ok(None)
    }

    pub(super) fn remove_object_files(&self, bucket: &str, id: &str) {
        let _ = std::fs::remove_file(self.sidecar_path(bucket, id));
        super::data::remove(&self.data_path(bucket, id));
    }

    /// Records a new multipart upload.
    pub(crate) fn create_upload(&self, meta: UploadMeta) -> S3Result<()> {
        let mut state = self.lock();
        let b = state
            .buckets
            .get_mut(&meta.bucket)
            .ok_or_else(|| s3_error!(NoSuchBucket))?;
        let dir = self.upload_dir(&meta.id);
        std::fs::create_dir_all(&dir).map_err(io_error)?;
        write_json(&dir.join("upload.json"), &meta).map_err(io_error)?;
        b.uploads += 1;
        state.uploads.insert(
            meta.id.clone(),
            Upload {
                meta,
                parts: BTreeMap::new(),
            },
        );
        Ok(())
    }

    /// An open upload of `bucket`/`key`, with its parts, or `NoSuchUpload`.
    pub(crate) fn upload(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
    ) -> S3Result<(UploadMeta, Vec<PartMeta>)> {
        let state = self.lock();
        if !state.buckets.contains_key(bucket) {
            return Err(s3_error!(NoSuchBucket));
        }
        match state.uploads.get(upload_id) {
            Some(u) if u.meta.bucket == bucket && u.meta.key == key => {
                Ok((u.meta.clone(), u.parts.values().cloned().collect()))
            }
            _ => Err(s3_error!(NoSuchUpload)),
        }
    }

    /// Every open upload of a bucket, by key then initiation time.
    pub(crate) fn uploads_of(&self, bucket: &str) -> S3Result<Vec<UploadMeta>> {
        let state = self.lock();
        if !state.buckets.contains_key(bucket) {
            return Err(s3_error!(NoSuchBucket));
        }
        let mut uploads: Vec<UploadMeta> = state
            .uploads
            .values()
            .filter(|u| u.meta.bucket == bucket)
            .map(|u| u.meta.clone())
            .collect();
        uploads
            .sort_by(|a, b| (&a.key, a.initiated_ms, &a.id).cmp(&(&b.key, b.initiated_ms, &b.id)));
        Ok(uploads)
    }

    /// Makes a part whose bytes are already at `part_path(upload_id, part.number)` count.
    pub(crate) fn commit_part(&self, upload_id: &str, part: PartMeta) -> S3Result<()> {
        let mut state = self.lock();
        let upload = state
            .uploads
            .get_mut(upload_id)
            .ok_or_else(|| s3_error!(NoSuchUpload))?;
        write_json(
            &self
                .upload_dir(upload_id)
                .join(format!("{}.json", part.number)),
            &part,
        )
        .map_err(io_error)?;
        let bucket = upload.meta.bucket.clone();
        let new = part.size;
        let old = upload.parts.insert(part.number, part).map_or(0, |p| p.size);
        if let Some(b) = state.buckets.get_mut(&bucket) {
            b.pending = (b.pending + new).saturating_sub(old);
        }
        Ok(())
    }

    /// Forgets an upload and removes its files (after completion or on abort).
    pub(crate) fn finish_upload(&self, upload_id: &str) -> S3Result<()> {
        {
            let mut state = self.lock();
            let upload = state
                .uploads
                .remove(upload_id)
                .ok_or_else(|| s3_error!(NoSuchUpload))?;
            let bytes: u64 = upload.parts.values().map(|p| p.size).sum();
            if let Some(b) = state.buckets.get_mut(&upload.meta.bucket) {
                b.pending = b.pending.saturating_sub(bytes);
                b.uploads = b.uploads.saturating_sub(1);
            }
        }
        let _ = std::fs::remove_dir_all(self.upload_dir(upload_id));
        Ok(())
    }

    pub(crate) fn create_bucket_checked(&self, name: &str) -> Result<(), DataPlaneError> {
        let mut state = self.lock();
        if state.buckets.contains_key(name) {
            return Err(DataPlaneError::BucketExists(name.to_owned()));
        }
        let dir = self.bucket_dir(name);
        let meta = BucketMeta {
            created_ms: now_ms(),
            ..BucketMeta::default()
        };
        std::fs::create_dir_all(dir.join("objects"))
            .and_then(|()| write_json(&dir.join("bucket.json"), &meta))
            .map_err(|e| DataPlaneError::Io(e.to_string()))?;
        state.buckets.insert(
            name.to_owned(),
            Bucket {
                meta,
                ..Bucket::default()
            },
        );
        Ok(())
    }

    pub(crate) fn delete_bucket_checked(&self, name: &str) -> Result<(), DataPlaneError> {
        let mut state = self.lock();
        let b = state
            .buckets
            .get(name)
            .ok_or_else(|| DataPlaneError::NoSuchBucket(name.to_owned()))?;
        if !b.objects.is_empty() || !b.history.is_empty() || b.uploads > 0 || b.reserved > 0 {
            return Err(DataPlaneError::BucketNotEmpty(name.to_owned()));
        }
        state.buckets.remove(name);
        // Removing the directory under the lock keeps a concurrent re-create from racing it.
        let _ = std::fs::remove_dir_all(self.bucket_dir(name));
        Ok(())
    }
}

fn scan_objects(dir: &Path, bucket: &mut Bucket, max_seq: &mut u64) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let keep_versions = bucket.meta.keeps_versions();
    let mut data_files = Vec::new();
    let mut all: Vec<ObjectMeta> = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        match path.extension().and_then(|e| e.to_str()) {
            Some("json") => {
                let Ok(meta) = read_json::<ObjectMeta>(&path) else {
                    let _ = std::fs::remove_file(&path);
                    continue;
                };
                *max_seq = (*max_seq).max(meta.seq);
                if keep_versions {
                    all.push(meta);
                    continue;
                }
                let stale = match bucket.objects.get(&meta.key) {
                    Some(existing) if existing.seq >= meta.seq => Some(meta.id.clone()),
                    _ => bucket
                        .objects
                        .insert(meta.key.clone(), meta)
                        .map(|old| old.id),
                };
                if let Some(id) = stale {
                    let _ = std::fs::remove_file(dir.join(format!("{id}.json")));
                    super::data::remove(&dir.join(format!("{id}.data")));
                }
            }
            Some("data") => data_files.push(path),
            // Leftovers: a half-written sidecar, or parts of a removal cut short (`.gone`).
            _ => super::data::remove(&path),
        }
    }
    if keep_versions {
        super::versions::rebuild(bucket, all);
    }
    let live: std::collections::HashSet<&str> = bucket
        .objects
        .values()
        .chain(bucket.history.values().flatten())
        .filter(|o| !o.delete_marker)
        .map(|o| o.id.as_str())
        .collect();
    for path in data_files {
        let id = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default();
        if !live.contains(id) {
            super::data::remove(&path);
        }
    }
    bucket.bytes = bucket
        .objects
        .values()
        .chain(bucket.history.values().flatten())
        .map(|o| o.size)
        .sum();
    Ok(())
}

impl DataPlane for ObjectStore {
    fn create_bucket(&self, name: &str) -> Result<(), DataPlaneError> {
        self.create_bucket_checked(name)
    }

    fn delete_bucket(&self, name: &str) -> Result<(), DataPlaneError> {
        self.delete_bucket_checked(name)
    }

    fn set_bucket_lock(&self, name: &str, lock: &BucketLock) -> Result<(), DataPlaneError> {
        let mut state = self.lock();
        let b = state
            .buckets
            .get_mut(name)
            .ok_or_else(|| DataPlaneError::NoSuchBucket(name.to_owned()))?;
        if lock.versioning || lock.object_lock {
            b.meta.versioning = Some("Enabled".to_owned());
        }
        b.meta.object_lock |= lock.object_lock;
        b.meta.default_retention =
            lock.default_retention
                .as_ref()
                .map(|(mode, secs)| super::meta::DefaultRetention {
                    mode: mode.clone(),
                    secs: *secs,
                });
        write_json(&self.bucket_dir(name).join("bucket.json"), &b.meta)
            .map_err(|e| DataPlaneError::Io(e.to_string()))
    }

    fn bucket_usage(&self, name: &str) -> Option<BucketUsage> {
        let state = self.lock();
        // A file system counts the parts of open uploads as used space, as the quota does.
        state.buckets.get(name).map(|b| BucketUsage {
            bytes: b.bytes + b.pending,
            objects: b.objects.len() as u64,
        })
    }
}

/// Maps a data-plane refusal to the S3 error a client sees.
pub(crate) fn data_plane_error(e: DataPlaneError) -> S3Error {
    match e {
        DataPlaneError::BucketExists(_) => s3_error!(BucketAlreadyExists),
        DataPlaneError::NoSuchBucket(_) => s3_error!(NoSuchBucket),
        DataPlaneError::BucketNotEmpty(_) => s3_error!(BucketNotEmpty),
        DataPlaneError::Io(msg) => s3_error!(InternalError, "{msg}"),
    }
}
