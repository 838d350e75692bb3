//! The data-store trait: how image bytes, small objects (descriptor, NetBackup metadata), LSU
//! labels and unfinished uploads reach the cluster: the state machines reach data through it
//! and nothing else. Two implementations: S3 ([`s3::S3Store`], over `vast-s3-data`, the only
//! code that talks S3) and files under an NFS mount ([`nfs::NfsStore`]). Keys are always the
//! `ost_model::image_key` object keys; the state machines never know which store they talk to.

pub(crate) mod nfs;
pub(crate) mod refusal;
pub(crate) mod s3;

use std::time::SystemTime;

use async_trait::async_trait;
use ost_model::{ImageId, LsuName, OstError, RetentionMode, WormPolicy};
use serde::{Deserialize, Serialize};

/// An object found by a listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ObjectEntry {
    /// Its key.
    pub(crate) key: String,
    /// Its size.
    pub(crate) size: u64,
    /// Last modification, Unix seconds (0 when unknown).
    pub(crate) modified_unix: u64,
}

/// One version or delete marker of an object on a WORM (versioned) LSU.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StoredVersion {
    /// The key.
    pub(crate) key: String,
    /// The version id.
    pub(crate) version_id: String,
    /// The key's latest version.
    pub(crate) is_latest: bool,
    /// A delete marker (holds no bytes, is never locked).
    pub(crate) delete_marker: bool,
}

/// What holds one object version: its object lock retention and legal hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct VersionHold {
    /// Retention mode and retain-until date (Unix seconds).
    pub(crate) retention: Option<(RetentionMode, u64)>,
    /// A legal hold is on.
    pub(crate) legal_hold: bool,
}

/// WORM needs S3 object lock; an NFS directory has none.
fn no_worm(lsu: &LsuName) -> OstError {
    OstError::NotSupported {
        cause: format!("LSU {lsu}: WORM needs the S3 data path (S3 object lock)"),
    }
}

/// Which open uploads of an LSU an upload sweep covers: keys under `prefix`, after `after`, up
/// to and including `until`, at most `max` uploads (each bound off when `None`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct KeyRange {
    /// Only keys starting with this.
    pub(crate) prefix: String,
    /// Only keys after this one.
    pub(crate) after: Option<String>,
    /// Only keys up to this one, itself included.
    pub(crate) until: Option<String>,
    /// At most this many uploads.
    pub(crate) max: Option<usize>,
}

impl KeyRange {
    /// Every key under `prefix`.
    pub(crate) fn under(prefix: impl Into<String>) -> Self {
        Self {
            prefix: prefix.into(),
            ..Self::default()
        }
    }
}

/// Geometry of an image's data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct DataLayout {
    /// Bytes per part.
    pub(crate) part_size: u64,
    /// Bytes per segment.
    pub(crate) segment_size: u64,
    /// Part uploads in flight.
    pub(crate) max_in_flight: usize,
}

/// Read-ahead of a reader, taken from the server's settings when the reader is opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ReadAhead {
    /// Bytes per read-ahead request.
    pub(crate) chunk_size: u64,
    /// Chunks fetched ahead of the caller (0: none).
    pub(crate) chunks: usize,
}

/// Where a checkpointed (flushed, or closed without complete) image stops; kept in the
/// descriptor (`checkpoint` field).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct StoredCheckpoint {
    /// Bytes durably stored from the start of the image (whole parts plus the staged tail);
    /// NetBackup resends from here.
    pub(crate) offset: u64,
    /// CRC32C of the bytes in whole parts: `[0, offset - tail.len)`.
    pub(crate) crc32c: u32,
    /// CRC32C of each completed segment.
    pub(crate) segment_crcs: Vec<u32>,
    /// CRC32C of each whole part of the open segment (S3 only; kept for clusters that store
    /// no part checksum, so a resumed writer still knows them).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) part_crcs: Vec<u32>,
    /// The bytes after the last whole part, stored as their own object (S3 only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) tail: Option<StagedTail>,
}

impl StoredCheckpoint {
    /// Where the whole parts end (the staged tail, if any, starts here).
    pub(crate) fn parts_end(&self) -> u64 {
        self.tail.as_ref().map_or(self.offset, |t| t.start)
    }
}

/// The short run of bytes after the last whole part at a checkpoint. S3 cannot take it as a
/// middle part of a multipart upload (parts but the last must be at least 5 MiB), so it is kept
/// as an object of its own (`image_key::staged_tail_key(id, start)`) until a resumed writer
/// folds it back into its first part.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct StagedTail {
    /// Image offset of its first byte.
    pub(crate) start: u64,
    /// Its length (less than a part).
    pub(crate) len: u64,
    /// Its CRC32C.
    pub(crate) crc32c: u32,
}

/// A finished image's data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Written {
    /// Image size.
    pub(crate) length: u64,
    /// CRC32C of the whole image.
    pub(crate) crc32c: u32,
}

/// Streams one image's bytes in. Dropping a writer removes nothing: what it stored stays for a
/// resume (or the orphan sweep).
#[async_trait]
pub(crate) trait ImageWriter: Send {
    /// Writes `data` at `offset`.
    async fn write(&mut self, offset: u64, data: &[u8]) -> Result<(), OstError>;
    /// Stores everything and returns length and checksum.
    async fn finish(&mut self) -> Result<Written, OstError>;
    /// Makes every byte written contiguously from the start durable and returns the resume
    /// point; the writer stays open. Bytes written past a hole are not covered (the returned
    /// offset is then below [`ImageWriter::written`]).
    async fn checkpoint(&mut self) -> Result<StoredCheckpoint, OstError>;
    /// One past the highest byte written.
    fn written(&self) -> u64;
}

/// Reads one image's bytes.
#[async_trait]
pub(crate) trait ImageRead: Send {
    /// Reads into `buf` at `offset`; short only at the end.
    async fn read_into(&mut self, offset: u64, buf: &mut [u8]) -> Result<usize, OstError>;
}

/// Everything the state machines need from a data path.
#[async_trait]
pub(crate) trait DataStore: Send + Sync {
    /// Prepares the LSU's storage (the NFS path makes its directory; on S3 the bucket view
    /// exists already).
    async fn prepare_lsu(&self, lsu: &LsuName) -> Result<(), OstError>;
    /// Writes a small object whole; with `create_only` an existing one is
    /// [`OstError::AlreadyExists`].
    async fn put(
        &self,
        lsu: &LsuName,
        key: &str,
        data: Vec<u8>,
        create_only: bool,
    ) -> Result<(), OstError>;
    /// A small object, or `None` when it does not exist.
    async fn get(&self, lsu: &LsuName, key: &str) -> Result<Option<Vec<u8>>, OstError>;
    /// Deletes objects; missing ones are fine.
    async fn delete(&self, lsu: &LsuName, keys: &[String]) -> Result<(), OstError>;
    /// Objects under `prefix`.
    async fn list(&self, lsu: &LsuName, prefix: &str) -> Result<Vec<ObjectEntry>, OstError>;
    /// One page of the objects under `prefix` in key order: those after `after`, at most
    /// `max` (fewer only at the end). S3 asks for just the page, NFS walks directories in key
    /// order.
    async fn list_page(
        &self,
        lsu: &LsuName,
        prefix: &str,
        after: Option<&str>,
        max: usize,
    ) -> Result<Vec<ObjectEntry>, OstError>;
    /// A writer for a new image.
    async fn create_writer(
        &self,
        lsu: &LsuName,
        id: &ImageId,
        layout: DataLayout,
    ) -> Result<Box<dyn ImageWriter>, OstError>;
    /// A writer continuing a checkpointed image at its checkpoint (or further, when the server
    /// holds more whole parts); less than the checkpoint on the server is an error.
    async fn resume_writer(
        &self,
        lsu: &LsuName,
        id: &ImageId,
        layout: DataLayout,
        checkpoint: Option<&StoredCheckpoint>,
    ) -> Result<Box<dyn ImageWriter>, OstError>;
    /// A reader for a complete image of `length` bytes, reading ahead as `read_ahead` says
    /// (where the data path reads ahead).
    async fn open_reader(
        &self,
        lsu: &LsuName,
        id: &ImageId,
        segment_size: u64,
        length: u64,
        read_ahead: ReadAhead,
    ) -> Result<Box<dyn ImageRead>, OstError>;
    /// Copies one object on the server side; returns its size.
    async fn copy_object(
        &self,
        src_lsu: &LsuName,
        src_key: &str,
        dst_lsu: &LsuName,
        dst_key: &str,
    ) -> Result<u64, OstError>;
    /// The unfinished uploads in `range` started at or before `older_than` (all when
    /// `None`), except those whose key starts with one of `keep`: aborted, or with `dry_run`
    /// only counted, by the same rule; returns how many.
    async fn sweep_uploads(
        &self,
        lsu: &LsuName,
        range: &KeyRange,
        older_than: Option<SystemTime>,
        keep: &[String],
        dry_run: bool,
    ) -> Result<usize, OstError>;
    /// Whether a create-only [`DataStore::put`] is atomic: of two creates of one key exactly
    /// one succeeds (S3 honouring `If-None-Match`, a file created exclusively). Without it two
    /// creators may both succeed, and callers must check their writer lease before later writes.
    fn creates_atomically(&self) -> bool;
    /// Whether an image's objects are exactly the keys written to it: a crash leaves no
    /// temporary object beside them (S3; NFS writes whole objects through temporary files).
    fn keys_are_exact(&self) -> bool;
    /// Whether this store keeps LSU labels ([`DataStore::lsu_label`]).
    fn keeps_labels(&self) -> bool;
    /// The label of `lsu`, `None` when it has none; [`OstError::NotSupported`] when the store
    /// keeps no labels.
    async fn lsu_label(&self, lsu: &LsuName) -> Result<Option<String>, OstError>;
    /// Labels `lsu` (replacing its label); [`OstError::NotSupported`] when the store keeps no
    /// labels.
    async fn set_lsu_label(&self, lsu: &LsuName, label: &str) -> Result<(), OstError>;

    /// Whether this store can lock images (S3 object lock): WORM LSUs.
    fn can_lock(&self) -> bool {
        false
    }
    /// The WORM policy stored with `lsu`, `None` when it has none (or the store cannot lock).
    async fn worm_policy(&self, _lsu: &LsuName) -> Result<Option<WormPolicy>, OstError> {
        Ok(None)
    }
    /// Stores the WORM policy with `lsu`.
    async fn set_worm_policy(&self, lsu: &LsuName, _policy: &WormPolicy) -> Result<(), OstError> {
        Err(no_worm(lsu))
    }
    /// Every version and delete marker under `prefix` of a versioned LSU.
    async fn versions(&self, lsu: &LsuName, _prefix: &str) -> Result<Vec<StoredVersion>, OstError> {
        Err(no_worm(lsu))
    }
    /// What holds one version.
    async fn version_hold(
        &self,
        lsu: &LsuName,
        _key: &str,
        _version_id: &str,
    ) -> Result<VersionHold, OstError> {
        Err(no_worm(lsu))
    }
    /// Locks one version in `mode` until `until_unix` (an existing longer lock stays).
    async fn lock_version(
        &self,
        lsu: &LsuName,
        _key: &str,
        _version_id: &str,
        _mode: RetentionMode,
        _until_unix: u64,
    ) -> Result<(), OstError> {
        Err(no_worm(lsu))
    }
    /// Removes versions and delete markers (`(key, version_id)`); `bypass_governance` sends
    /// the governance bypass (an administrator's act only: never from an OST call).
    async fn delete_versions(
        &self,
        lsu: &LsuName,
        _versions: &[(String, String)],
        _bypass_governance: bool,
    ) -> Result<(), OstError> {
        Err(no_worm(lsu))
    }
}
