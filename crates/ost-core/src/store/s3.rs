//! The S3 data path, all of it through `vast-s3-data`: segment objects (its writer and reader),
//! small objects (conditional create for descriptors), copies, listings, the stale-upload sweep
//! LSU labels and WORM policies (bucket tags), and object versions and their locks on WORM
//! LSUs. Every S3 error becomes an [`OstError`] in one place,
//! [`error::data`].

use std::sync::Arc;
use std::time::SystemTime;

use async_trait::async_trait;
use bytes::Bytes;
use futures::{StreamExt as _, TryStreamExt as _};
use ost_model::image_key::{data_prefix, staged_tail_key};
use ost_model::{ImageId, LsuName, OstError, RetentionMode, WormPolicy};
use vast_s3_data::copy::{CopyConfig, ObjectRef};
use vast_s3_data::listing::{ListEntry, ListRequest};
use vast_s3_data::multipart::{StaleUploads, SweepMode, UploadRange};
use vast_s3_data::object_lock::{self, LockMode};
use vast_s3_data::objects::PutCondition;
use vast_s3_data::{
    checksum, BufferBudget, Checkpoint, ImageLocation, ImageReader, ReaderConfig, S3Client,
    SegmentedWriter, WriterConfig,
};

use super::refusal::QuotaCheck;
use super::{
    DataLayout, DataStore, ImageRead, ImageWriter, KeyRange, ObjectEntry, ReadAhead, StagedTail,
    StoredCheckpoint, StoredVersion, VersionHold, Written,
};
use crate::error;
use crate::server::open::CapabilityGate;

/// The S3 data path of one storage server.
pub(crate) struct S3Store {
    client: S3Client,
    budget: BufferBudget,
    copy: CopyConfig,
    /// The endpoint's capabilities, made known before the first write.
    gate: Option<Arc<CapabilityGate>>,
    /// Asked when a write is refused ambiguously.
    quota: Option<Arc<QuotaCheck>>,
}

impl S3Store {
    /// A store over `client`, sharing `budget`.
    pub(crate) fn new(client: S3Client, budget: BufferBudget) -> Self {
        Self {
            client,
            budget,
            copy: CopyConfig::default(),
            gate: None,
            quota: None,
        }
    }

    /// The same store, probing the endpoint through `gate` before its first write and asking
    /// `quota` about ambiguous write refusals.
    pub(crate) fn with_checks(mut self, gate: Arc<CapabilityGate>, quota: Arc<QuotaCheck>) -> Self {
        self.gate = Some(gate);
        self.quota = Some(quota);
        self
    }

    /// Before a write into `lsu`: the endpoint's capabilities are known.
    async fn ready(&self, lsu: &LsuName) -> Result<(), OstError> {
        match &self.gate {
            Some(gate) => gate.ensure(lsu).await,
            None => Ok(()),
        }
    }

    fn location(lsu: &LsuName, id: &ImageId) -> ImageLocation {
        ImageLocation::with_prefix(lsu.as_str(), data_prefix(id))
    }

    fn image_writer(&self, writer: SegmentedWriter, lsu: &LsuName, id: &ImageId) -> S3Writer {
        S3Writer {
            writer,
            quota: self.quota.clone(),
            client: self.client.clone(),
            lsu: lsu.clone(),
            id: id.clone(),
        }
    }

    /// The staged tail a checkpoint recorded, checked against its length and CRC32C.
    async fn staged_tail(
        &self,
        lsu: &LsuName,
        id: &ImageId,
        tail: StagedTail,
    ) -> Result<Vec<u8>, OstError> {
        let key = staged_tail_key(id, tail.start);
        let bytes =
            get_object(&self.client, lsu, &key)
                .await?
                .ok_or_else(|| OstError::Corrupt {
                    cause: format!(
                        "{lsu}/{key}: the staged tail of image {id} ({} bytes at {}) is missing",
                        tail.len, tail.start
                    ),
                })?;
        // A tail rewritten by a later flush that never reached the descriptor is longer; its
        // first `len` bytes are the ones this checkpoint recorded.
        let len = usize::try_from(tail.len).unwrap_or(usize::MAX);
        if bytes.len() < len || checksum::crc32c(&bytes[..len]) != tail.crc32c {
            return Err(OstError::Corrupt {
                cause: format!(
                    "{lsu}/{key}: the staged tail of image {id} does not match its checkpoint \
                     ({} bytes found, {} recorded with CRC32C {:08x})",
                    bytes.len(),
                    tail.len,
                    tail.crc32c
                ),
            });
        }
        let mut bytes = bytes;
        bytes.truncate(len);
        Ok(bytes)
    }
}

fn writer_config(layout: DataLayout) -> WriterConfig {
    WriterConfig {
        part_size: layout.part_size,
        segment_size: layout.segment_size,
        max_in_flight: layout.max_in_flight,
        ..WriterConfig::default()
    }
}

/// Tag key holding a WORM LSU's policy (`<mode> <period>`) on its bucket.
pub(crate) const WORM_TAG: &str = "netbackup-worm";

/// Tag key holding an LSU's label on its bucket.
pub(crate) const LABEL_TAG: &str = "netbackup-label";

/// PutObject of a small object; with `create_only`, an existing one is
/// [`OstError::AlreadyExists`]. An ambiguous refusal is put to `quota`.
async fn put_object(
    client: &S3Client,
    lsu: &LsuName,
    key: &str,
    data: Bytes,
    create_only: bool,
    quota: Option<&QuotaCheck>,
) -> Result<(), OstError> {
    let condition = if create_only {
        PutCondition::CreateOnly
    } else {
        PutCondition::Always
    };
    match vast_s3_data::objects::put(client, lsu.as_str(), key, data, &condition).await {
        Ok(()) => Ok(()),
        Err(e) => Err(write_error(quota, lsu, e).await),
    }
}

/// Keys S3 returns per ListObjectsV2 page at most.
const S3_MAX_KEYS: usize = 1000;

/// An object of a listing as the store reports it (prefixes are not objects).
fn object_entry(e: ListEntry) -> Option<ObjectEntry> {
    match e {
        ListEntry::Object {
            key,
            size,
            last_modified_ms,
            ..
        } => Some(ObjectEntry {
            key,
            size,
            modified_unix: u64::try_from(last_modified_ms / 1000).unwrap_or(0),
        }),
        ListEntry::Prefix(_) => None,
    }
}

/// The OST error of a failed write into `lsu` (VMS asked about ambiguous refusals).
async fn write_error(
    quota: Option<&QuotaCheck>,
    lsu: &LsuName,
    err: vast_s3_data::DataError,
) -> OstError {
    match quota {
        Some(q) => q.write_error(lsu, err).await,
        None => error::data(err),
    }
}

/// GetObject of a small object, or `None` when it does not exist.
async fn get_object(
    client: &S3Client,
    lsu: &LsuName,
    key: &str,
) -> Result<Option<Vec<u8>>, OstError> {
    let object = vast_s3_data::objects::get(client, lsu.as_str(), key, None)
        .await
        .map_err(error::data)?;
    Ok(object.map(|o| o.data.to_vec()))
}

#[async_trait]
impl DataStore for S3Store {
    async fn prepare_lsu(&self, _lsu: &LsuName) -> Result<(), OstError> {
        Ok(())
    }

    async fn put(
        &self,
        lsu: &LsuName,
        key: &str,
        data: Vec<u8>,
        create_only: bool,
    ) -> Result<(), OstError> {
        self.ready(lsu).await?;
        put_object(
            &self.client,
            lsu,
            key,
            data.into(),
            create_only,
            self.quota.as_deref(),
        )
        .await
    }

    async fn get(&self, lsu: &LsuName, key: &str) -> Result<Option<Vec<u8>>, OstError> {
        get_object(&self.client, lsu, key).await
    }

    async fn delete(&self, lsu: &LsuName, keys: &[String]) -> Result<(), OstError> {
        self.ready(lsu).await?;
        vast_s3_data::delete::delete_keys(&self.client, lsu.as_str(), keys)
            .await
            .map(drop)
            .map_err(error::data)
    }

    async fn list(&self, lsu: &LsuName, prefix: &str) -> Result<Vec<ObjectEntry>, OstError> {
        let request = ListRequest {
            prefix: Some(prefix.to_owned()),
            ..ListRequest::default()
        };
        let entries: Vec<ListEntry> =
            vast_s3_data::listing::list(&self.client, lsu.as_str(), request)
                .try_collect()
                .await
                .map_err(error::data)?;
        Ok(entries.into_iter().filter_map(object_entry).collect())
    }

    async fn list_page(
        &self,
        lsu: &LsuName,
        prefix: &str,
        after: Option<&str>,
        max: usize,
    ) -> Result<Vec<ObjectEntry>, OstError> {
        let request = ListRequest {
            prefix: Some(prefix.to_owned()),
            start_after: after.map(str::to_owned),
            page_size: Some(i32::try_from(max.min(S3_MAX_KEYS)).unwrap_or(1000)),
            ..ListRequest::default()
        };
        // The stream fetches a page only when the one before is used up: taking `max` entries
        // asks for no page beyond them.
        let entries: Vec<ListEntry> =
            vast_s3_data::listing::list(&self.client, lsu.as_str(), request)
                .try_filter(|e| std::future::ready(matches!(e, ListEntry::Object { .. })))
                .take(max)
                .try_collect()
                .await
                .map_err(error::data)?;
        Ok(entries.into_iter().filter_map(object_entry).collect())
    }

    async fn create_writer(
        &self,
        lsu: &LsuName,
        id: &ImageId,
        layout: DataLayout,
    ) -> Result<Box<dyn ImageWriter>, OstError> {
        self.ready(lsu).await?;
        let w = SegmentedWriter::new(
            self.client.clone(),
            self.budget.clone(),
            Self::location(lsu, id),
            writer_config(layout),
        )
        .map_err(error::data)?;
        Ok(Box::new(self.image_writer(w, lsu, id)))
    }

    async fn resume_writer(
        &self,
        lsu: &LsuName,
        id: &ImageId,
        layout: DataLayout,
        checkpoint: Option<&StoredCheckpoint>,
    ) -> Result<Box<dyn ImageWriter>, OstError> {
        self.ready(lsu).await?;
        // No checkpoint yet: nothing was reported durable, so the writer resumes at 0.
        let parts = Some(checkpoint.map_or_else(Checkpoint::default, |c| Checkpoint {
            offset: c.parts_end(),
            crc32c: c.crc32c,
            segment_crcs: c.segment_crcs.clone(),
            part_crcs: c.part_crcs.clone(),
        }));
        let mut w = SegmentedWriter::resume(
            self.client.clone(),
            self.budget.clone(),
            Self::location(lsu, id),
            writer_config(layout),
            parts.as_ref(),
        )
        .await
        .map_err(error::data)?;
        if let Some(tail) = checkpoint.and_then(|c| c.tail) {
            let bytes = self.staged_tail(lsu, id, tail).await?;
            w.restore_tail(tail.start, &bytes)
                .await
                .map_err(error::data)?;
        }
        Ok(Box::new(self.image_writer(w, lsu, id)))
    }

    async fn open_reader(
        &self,
        lsu: &LsuName,
        id: &ImageId,
        segment_size: u64,
        length: u64,
        read_ahead: ReadAhead,
    ) -> Result<Box<dyn ImageRead>, OstError> {
        let config = ReaderConfig {
            chunk_size: read_ahead.chunk_size,
            read_ahead_chunks: read_ahead.chunks,
            ..ReaderConfig::default()
        };
        let r = ImageReader::new(
            self.client.clone(),
            self.budget.clone(),
            Self::location(lsu, id),
            segment_size,
            length,
            config,
        )
        .map_err(error::data)?;
        Ok(Box::new(S3Reader(r)))
    }

    async fn copy_object(
        &self,
        src_lsu: &LsuName,
        src_key: &str,
        dst_lsu: &LsuName,
        dst_key: &str,
    ) -> Result<u64, OstError> {
        self.ready(dst_lsu).await?;
        vast_s3_data::copy::copy_object(
            &self.client,
            ObjectRef {
                bucket: src_lsu.as_str(),
                key: src_key,
            },
            ObjectRef {
                bucket: dst_lsu.as_str(),
                key: dst_key,
            },
            &self.copy,
        )
        .await
        .map_err(error::data)
    }

    async fn sweep_uploads(
        &self,
        lsu: &LsuName,
        range: &KeyRange,
        older_than: Option<SystemTime>,
        keep: &[String],
        dry_run: bool,
    ) -> Result<usize, OstError> {
        let which = StaleUploads {
            prefix: range.prefix.clone(),
            cutoff: older_than,
            keep: keep.to_vec(),
        };
        let bounds = UploadRange {
            after: range.after.clone(),
            until: range.until.clone(),
            max_uploads: range.max,
        };
        let mode = if dry_run {
            SweepMode::DryRun
        } else {
            SweepMode::Abort
        };
        vast_s3_data::multipart::sweep_stale_in(&self.client, lsu.as_str(), &which, &bounds, mode)
            .await
            .map(|taken| taken.len())
            .map_err(error::data)
    }

    fn creates_atomically(&self) -> bool {
        self.client.modes().uses_if_none_match()
    }

    fn keys_are_exact(&self) -> bool {
        true
    }

    fn keeps_labels(&self) -> bool {
        true
    }

    async fn lsu_label(&self, lsu: &LsuName) -> Result<Option<String>, OstError> {
        let tags = vast_s3_data::buckets::get_tags(&self.client, lsu.as_str())
            .await
            .map_err(error::data)?;
        Ok(tags
            .into_iter()
            .find(|(k, _)| k == LABEL_TAG)
            .map(|(_, v)| v))
    }

    async fn set_lsu_label(&self, lsu: &LsuName, label: &str) -> Result<(), OstError> {
        self.ready(lsu).await?;
        let mut tags = vast_s3_data::buckets::get_tags(&self.client, lsu.as_str())
            .await
            .map_err(error::data)?;
        tags.retain(|(k, _)| k != LABEL_TAG);
        tags.push((LABEL_TAG.to_owned(), label.to_owned()));
        vast_s3_data::buckets::put_tags(&self.client, lsu.as_str(), &tags)
            .await
            .map_err(error::data)
    }

    fn can_lock(&self) -> bool {
        true
    }

    async fn worm_policy(&self, lsu: &LsuName) -> Result<Option<WormPolicy>, OstError> {
        let tags = vast_s3_data::buckets::get_tags(&self.client, lsu.as_str())
            .await
            .map_err(error::data)?;
        match tags.into_iter().find(|(k, _)| k == WORM_TAG) {
            None => Ok(None),
            Some((_, v)) => {
                v.parse()
                    .map(Some)
                    .map_err(|e: ost_model::WormError| OstError::Corrupt {
                        cause: format!("LSU {lsu}: bucket tag {WORM_TAG}={v:?}: {e}"),
                    })
            }
        }
    }

    async fn set_worm_policy(&self, lsu: &LsuName, policy: &WormPolicy) -> Result<(), OstError> {
        self.ready(lsu).await?;
        let mut tags = vast_s3_data::buckets::get_tags(&self.client, lsu.as_str())
            .await
            .map_err(error::data)?;
        tags.retain(|(k, _)| k != WORM_TAG);
        tags.push((WORM_TAG.to_owned(), policy.to_string()));
        vast_s3_data::buckets::put_tags(&self.client, lsu.as_str(), &tags)
            .await
            .map_err(error::data)
    }

    async fn versions(&self, lsu: &LsuName, prefix: &str) -> Result<Vec<StoredVersion>, OstError> {
        let found = object_lock::list_versions(&self.client, lsu.as_str(), prefix)
            .await
            .map_err(error::data)?;
        Ok(found
            .into_iter()
            .map(|v| StoredVersion {
                key: v.key,
                version_id: v.version_id,
                is_latest: v.is_latest,
                delete_marker: v.delete_marker,
            })
            .collect())
    }

    async fn version_hold(
        &self,
        lsu: &LsuName,
        key: &str,
        version_id: &str,
    ) -> Result<VersionHold, OstError> {
        let lock = object_lock::version_lock(&self.client, lsu.as_str(), key, version_id)
            .await
            .map_err(error::data)?;
        Ok(VersionHold {
            retention: lock.retention.map(|(mode, until)| {
                let mode = match mode {
                    LockMode::Governance => RetentionMode::Governance,
                    LockMode::Compliance => RetentionMode::Compliance,
                };
                (mode, u64::try_from(until).unwrap_or(0))
            }),
            legal_hold: lock.legal_hold,
        })
    }

    async fn lock_version(
        &self,
        lsu: &LsuName,
        key: &str,
        version_id: &str,
        mode: RetentionMode,
        until_unix: u64,
    ) -> Result<(), OstError> {
        let mode = match mode {
            RetentionMode::Governance => LockMode::Governance,
            RetentionMode::Compliance => LockMode::Compliance,
        };
        let until = i64::try_from(until_unix).unwrap_or(i64::MAX);
        object_lock::set_retention(
            &self.client,
            lsu.as_str(),
            key,
            Some(version_id),
            mode,
            until,
        )
        .await
        .map_err(error::data)
    }

    async fn delete_versions(
        &self,
        lsu: &LsuName,
        versions: &[(String, String)],
        bypass_governance: bool,
    ) -> Result<(), OstError> {
        object_lock::delete_versions(&self.client, lsu.as_str(), versions, bypass_governance)
            .await
            .map(|_| ())
            .map_err(error::data)
    }
}

/// An image writer on S3: the segmented writer plus where its staged tails go.
struct S3Writer {
    writer: SegmentedWriter,
    quota: Option<Arc<QuotaCheck>>,
    client: S3Client,
    lsu: LsuName,
    id: ImageId,
}

#[async_trait]
impl ImageWriter for S3Writer {
    async fn write(&mut self, offset: u64, data: &[u8]) -> Result<(), OstError> {
        match self.writer.write(offset, data).await {
            Ok(()) => Ok(()),
            Err(e) => Err(write_error(self.quota.as_deref(), &self.lsu, e).await),
        }
    }

    async fn finish(&mut self) -> Result<Written, OstError> {
        let s = match self.writer.finish().await {
            Ok(s) => s,
            Err(e) => return Err(write_error(self.quota.as_deref(), &self.lsu, e).await),
        };
        Ok(Written {
            length: s.length,
            crc32c: s.crc32c,
        })
    }

    async fn checkpoint(&mut self) -> Result<StoredCheckpoint, OstError> {
        let point = match self.writer.flush().await {
            Ok(p) => p,
            Err(e) => return Err(write_error(self.quota.as_deref(), &self.lsu, e).await),
        };
        let tail = if point.tail.is_empty() {
            None
        } else {
            let start = point.checkpoint.offset;
            let staged = StagedTail {
                start,
                len: point.tail.len() as u64,
                crc32c: checksum::crc32c(&point.tail),
            };
            let key = staged_tail_key(&self.id, start);
            put_object(
                &self.client,
                &self.lsu,
                &key,
                point.tail.clone(),
                false,
                self.quota.as_deref(),
            )
            .await?;
            Some(staged)
        };
        Ok(StoredCheckpoint {
            offset: point.end(),
            crc32c: point.checkpoint.crc32c,
            segment_crcs: point.checkpoint.segment_crcs,
            part_crcs: point.checkpoint.part_crcs,
            tail,
        })
    }

    fn written(&self) -> u64 {
        self.writer.written()
    }
}

struct S3Reader(ImageReader);

#[async_trait]
impl ImageRead for S3Reader {
    async fn read_into(&mut self, offset: u64, buf: &mut [u8]) -> Result<usize, OstError> {
        self.0.read_into(offset, buf).await.map_err(error::data)
    }
}
