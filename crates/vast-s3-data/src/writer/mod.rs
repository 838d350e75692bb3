//! Streaming writes of an image into segment objects.
//!
//! [`SegmentedWriter`] buffers `write(offset, bytes)` calls into part buffers taken from the
//! shared [`BufferBudget`], uploads every full part in the background (at most
//! [`WriterConfig::max_in_flight`] at once) while the caller keeps writing, completes each
//! segment's multipart upload as soon as all its parts are in, and on [`SegmentedWriter::finish`]
//! uploads the tail and returns the length and CRC32C of the whole image.
//!
//! What a writer has stored is kept unless the caller asks otherwise: a writer that hits an error
//! or is dropped unfinished leaves its completed segments and open multipart uploads on the
//! server, so that [`SegmentedWriter::resume`] (here or in another process) continues from the
//! last durable point; only [`SegmentedWriter::abort`] removes them. (Uploads nobody resumes are
//! the stale-upload sweep's, see [`crate::multipart`].)
//!
//! [`SegmentedWriter::flush`] makes every byte written so far durable or hands it back: full
//! parts are uploaded, and the short run of bytes after the last full part (the *tail*, which S3
//! cannot take as a middle part of an upload: parts but the last must be at least 5 MiB) is
//! returned for the caller to store as an object of its own and to give back to
//! [`SegmentedWriter::restore_tail`] after a resume.

mod cleanup;
mod config;
pub(crate) mod requests;
mod resume;
mod tracker;

pub(crate) use resume::head_size;

use std::collections::BTreeMap;

use tokio::task::JoinSet;

pub use config::WriterConfig;

use crate::budget::{BudgetBuffer, BufferBudget};
use crate::checksum::{self, RunningCrc};
use crate::client::S3Client;
use crate::error::{DataError, Result};
use crate::keys::ImageLocation;
use crate::layout::Layout;
use crate::objects::PutCondition;
use cleanup::Cleanup;
use requests::DonePart;
use tracker::PartTracker;

/// What a finished image looks like.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WriteSummary {
    /// Image length in bytes.
    pub length: u64,
    /// CRC32C of the whole image, for the metadata document.
    pub crc32c: u32,
    /// Number of segment objects written.
    pub segments: u64,
}

/// What is uploaded: keep it (e.g. in the image's checkpoint record) and pass it to
/// [`SegmentedWriter::resume`]; resuming without it works too but re-reads completed segments to
/// rebuild the image checksum.
/// `Default` is the checkpoint of an empty image (nothing uploaded; CRC32C of no bytes is 0).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Checkpoint {
    /// Bytes durably uploaded (whole parts) from the start of the image.
    pub offset: u64,
    /// CRC32C of `[0, offset)`.
    pub crc32c: u32,
    /// CRC32C of each completed (full) segment, in order.
    pub segment_crcs: Vec<u32>,
    /// CRC32C of each whole part of the open segment below `offset`, in part order: a resume
    /// takes a part's CRC32C from here when the server stores none (Content-MD5 or no
    /// checksum on the wire, see [`crate::capabilities::ChecksumMode`]).
    pub part_crcs: Vec<u32>,
}

/// The result of [`SegmentedWriter::flush`]: the uploaded parts, and the bytes written after
/// them that are not a whole part yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlushPoint {
    /// Whole parts uploaded.
    pub checkpoint: Checkpoint,
    /// The bytes `[checkpoint.offset, checkpoint.offset + tail.len())`, shorter than a part:
    /// durable only once the caller has stored them.
    pub tail: bytes::Bytes,
}

impl FlushPoint {
    /// One past the last byte this point covers (uploaded parts plus the tail).
    pub fn end(&self) -> u64 {
        self.checkpoint.offset + self.tail.len() as u64
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Open,
    Finished,
    Aborted,
    Failed,
    Suspended,
}

/// One segment object's upload.
#[derive(Debug, Default)]
struct Segment {
    upload_id: Option<String>,
    parts: BTreeMap<i32, DonePart>,
    /// Set once the object exists: its checksum and length.
    completed: Option<RunningCrc>,
    /// True when this writer created the object (so an abort may delete it).
    ours: bool,
}

/// A finished part upload, reported by its task.
#[derive(Debug)]
struct PartResult {
    index: u64,
    part: DonePart,
}

/// Writes one image as segment objects through concurrent multipart uploads.
pub struct SegmentedWriter {
    client: S3Client,
    budget: BufferBudget,
    location: ImageLocation,
    config: WriterConfig,
    layout: Layout,
    tracker: PartTracker,
    buffers: BTreeMap<u64, BudgetBuffer>,
    segments: BTreeMap<u64, Segment>,
    in_flight: JoinSet<Result<PartResult>>,
    state: State,
    /// Set while a call is running; still set at the next call when a call's future was
    /// dropped half-way, which leaves the writer unusable (its state may be torn).
    busy: bool,
}

impl std::fmt::Debug for SegmentedWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SegmentedWriter")
            .field("location", &self.location)
            .field("state", &self.state)
            .field("written", &self.tracker.high_water())
            .field("in_flight", &self.in_flight.len())
            .finish()
    }
}

impl SegmentedWriter {
    /// A writer for a new image at `location`. Nothing is sent until the first part fills.
    pub fn new(
        client: S3Client,
        budget: BufferBudget,
        location: ImageLocation,
        config: WriterConfig,
    ) -> Result<Self> {
        let layout = config.layout()?;
        Ok(Self::with_state(
            client, budget, location, config, layout, 0,
        ))
    }

    fn with_state(
        client: S3Client,
        budget: BufferBudget,
        location: ImageLocation,
        config: WriterConfig,
        layout: Layout,
        frontier: u64,
    ) -> Self {
        let config = WriterConfig {
            max_in_flight: config.max_in_flight.max(1),
            window_parts: config.window_parts.max(1),
            ..config
        };
        Self {
            tracker: PartTracker::new(layout, config.window_parts, frontier),
            client,
            budget,
            location,
            config,
            layout,
            buffers: BTreeMap::new(),
            segments: BTreeMap::new(),
            in_flight: JoinSet::new(),
            state: State::Open,
            busy: false,
        }
    }

    /// The part/segment geometry.
    pub fn layout(&self) -> Layout {
        self.layout
    }

    /// One past the highest byte written so far.
    pub fn written(&self) -> u64 {
        self.tracker.high_water()
    }

    /// Bytes uploaded contiguously from the start of the image.
    pub fn durable_offset(&self) -> u64 {
        self.layout.part_start(self.tracker.frontier())
    }

    fn ensure_open(&self) -> Result<()> {
        if self.busy {
            return Err(DataError::WriterClosed(
                "interrupted: an earlier call was cancelled",
            ));
        }
        match self.state {
            State::Open => Ok(()),
            State::Finished => Err(DataError::WriterClosed("finished")),
            State::Aborted => Err(DataError::WriterClosed("aborted")),
            State::Failed => Err(DataError::WriterClosed("failed")),
            State::Suspended => Err(DataError::WriterClosed("suspended")),
        }
    }

    /// Writes `data` at `offset` of the image. Offsets normally increase; a write may also land
    /// in any part not yet uploaded, up to [`WriterConfig::window_parts`] parts ahead.
    ///
    /// Waits when the buffer budget is used up or `max_in_flight` uploads are running. A write
    /// into an uploaded part or beyond the window is refused without changing anything; an S3
    /// failure leaves the writer failed (what was uploaded stays for a resume).
    pub async fn write(&mut self, offset: u64, data: &[u8]) -> Result<()> {
        self.ensure_open()?;
        let pieces = self.tracker.plan(offset, data.len())?;
        self.busy = true;
        let outcome = async {
            self.reap_ready().await?;
            for piece in pieces {
                if !self.buffers.contains_key(&piece.part) {
                    let size = usize::try_from(self.layout.part_size()).unwrap_or(usize::MAX);
                    let buf = self.budget.acquire(size).await?;
                    self.buffers.insert(piece.part, buf);
                }
                if let Some(buf) = self.buffers.get_mut(&piece.part) {
                    buf.write_at(piece.inner, &data[piece.range.clone()]);
                }
                if self.tracker.record(&piece) {
                    self.dispatch(piece.part).await?;
                }
            }
            Ok(())
        }
        .await;
        let result = self.fail_on_error(outcome).await;
        self.busy = false;
        result
    }

    /// Uploads the rest, completes every segment and returns the image's length and checksum.
    ///
    /// A hole (bytes never written below the highest one written) is reported as
    /// [`DataError::Hole`] and leaves the writer open, so the caller may write the missing bytes
    /// and call `finish` again.
    pub async fn finish(&mut self) -> Result<WriteSummary> {
        self.ensure_open()?;
        let total = self.tracker.high_water();
        self.tracker.check_complete(total)?;
        self.busy = true;
        let outcome = self.finish_inner(total).await;
        let summary = self.fail_on_error(outcome).await;
        self.busy = false;
        if summary.is_ok() {
            self.state = State::Finished;
        }
        summary
    }

    async fn finish_inner(&mut self, total: u64) -> Result<WriteSummary> {
        for index in self.tracker.open_parts() {
            let loc = self.layout.locate(index);
            let has_upload = self
                .segments
                .get(&loc.segment)
                .is_some_and(|s| s.upload_id.is_some());
            if loc.part_number == 1 && !has_upload {
                self.put_whole_segment(index).await?;
            } else {
                self.dispatch(index).await?;
            }
        }
        while !self.in_flight.is_empty() {
            self.reap_one().await?;
        }
        let pending: Vec<u64> = self
            .segments
            .iter()
            .filter(|(_, s)| s.completed.is_none() && s.upload_id.is_some())
            .map(|(i, _)| *i)
            .collect();
        for segment in pending {
            self.complete_segment(segment).await?;
        }
        if total == 0 {
            self.put_empty_segment().await?;
        }
        let mut whole = RunningCrc::new();
        for seg in self.segments.values() {
            if let Some(c) = seg.completed {
                whole.push(c.value(), c.len());
            }
        }
        if whole.len() != total {
            return Err(DataError::Inconsistent(format!(
                "segments hold {} bytes but {total} were written",
                whole.len()
            )));
        }
        Ok(WriteSummary {
            length: total,
            crc32c: whole.value(),
            segments: self.segments.len() as u64,
        })
    }

    /// Waits until every full part written so far is uploaded (completing the segments that
    /// are whole) and returns the checkpoint with the tail: the bytes after the last full part,
    /// up to the first byte never written. The writer stays open.
    ///
    /// A byte written past a hole (out of order, inside the window) is not covered: compare
    /// [`FlushPoint::end`] with [`SegmentedWriter::written`].
    pub async fn flush(&mut self) -> Result<FlushPoint> {
        self.ensure_open()?;
        self.busy = true;
        let outcome = async {
            while !self.in_flight.is_empty() {
                self.reap_one().await?;
            }
            Ok(())
        }
        .await;
        let flushed = self.fail_on_error(outcome).await;
        self.busy = false;
        flushed?;
        let frontier = self.tracker.frontier();
        let tail_len = usize::try_from(self.tracker.contiguous_in(frontier)).unwrap_or(usize::MAX);
        let tail = self
            .buffers
            .get(&frontier)
            .map(|b| bytes::Bytes::copy_from_slice(&b.as_slice()[..tail_len.min(b.len())]))
            .unwrap_or_default();
        Ok(FlushPoint {
            checkpoint: self.uploaded(),
            tail,
        })
    }

    /// [`SegmentedWriter::flush`], then the writer takes no more writes; its open multipart
    /// upload stays for [`SegmentedWriter::resume`].
    pub async fn suspend(&mut self) -> Result<FlushPoint> {
        let point = self.flush().await?;
        for index in self.tracker.open_parts() {
            self.tracker.discard(index);
        }
        self.buffers.clear();
        self.state = State::Suspended;
        Ok(point)
    }

    /// The checkpoint of what is uploaded (whole parts below the frontier). A segment past the
    /// frontier (whole already, written out of order after a hole) is not part of it.
    fn uploaded(&self) -> Checkpoint {
        let mut crc = RunningCrc::new();
        let mut segment_crcs = Vec::new();
        let mut part_crcs = Vec::new();
        for (&number, seg) in &self.segments {
            if self.layout.first_part_of(number) >= self.tracker.frontier() {
                break;
            }
            if let Some(c) = seg.completed {
                segment_crcs.push(c.value());
                crc.push(c.value(), c.len());
                continue;
            }
            let first = self.layout.first_part_of(number);
            for (&pn, part) in &seg.parts {
                if first + (pn as u64 - 1) < self.tracker.frontier() {
                    crc.push(part.crc, part.len);
                    part_crcs.push(part.crc);
                }
            }
        }
        Checkpoint {
            offset: self.durable_offset(),
            crc32c: crc.value(),
            segment_crcs,
            part_crcs,
        }
    }

    /// Puts back the tail a [`SegmentedWriter::flush`] returned, after a resume: the bytes
    /// `[start, start + tail.len())`. A tail that whole parts on the server already cover
    /// (uploaded after that flush) is skipped; one that starts past the uploaded parts means the
    /// server lost data and is an error.
    pub async fn restore_tail(&mut self, start: u64, tail: &[u8]) -> Result<()> {
        let uploaded = self.durable_offset();
        if start + tail.len() as u64 <= uploaded {
            return Ok(());
        }
        if start != uploaded {
            return Err(DataError::Inconsistent(format!(
                "the staged tail starts at byte {start} but the parts on the server end at {uploaded}"
            )));
        }
        self.write(start, tail).await
    }

    /// Abandons the image: stops the uploads, aborts the open multipart uploads and deletes the
    /// segment objects this writer completed (also after a failure).
    pub async fn abort(&mut self) -> Result<()> {
        if self.state == State::Aborted {
            return Ok(());
        }
        let result = self.take_cleanup().run().await;
        self.state = State::Aborted;
        result
    }

    async fn fail_on_error<T>(&mut self, outcome: Result<T>) -> Result<T> {
        if let Err(err) = &outcome {
            tracing::warn!(image = ?self.location, error = %err, "image write failed; what was uploaded stays for a resume");
            self.in_flight.abort_all();
            while self.in_flight.join_next().await.is_some() {}
            self.buffers.clear();
            self.state = State::Failed;
        }
        outcome
    }

    fn take_cleanup(&mut self) -> Cleanup {
        self.in_flight.abort_all();
        self.buffers.clear();
        let mut cleanup = Cleanup::new(self.client.clone(), self.location.bucket.clone());
        for (&number, seg) in &self.segments {
            let key = self.location.key(number);
            if seg.completed.is_some() {
                if seg.ours {
                    cleanup.delete(key);
                }
            } else if let Some(id) = &seg.upload_id {
                cleanup.abort(key, id.clone());
            }
        }
        cleanup.with_tasks(std::mem::take(&mut self.in_flight))
    }

    /// Hands a part to an upload task.
    async fn dispatch(&mut self, index: u64) -> Result<()> {
        let Some(buf) = self.buffers.remove(&index) else {
            return Err(DataError::Inconsistent(format!(
                "part {index} has no buffer"
            )));
        };
        self.tracker.mark_dispatched(index);
        let loc = self.layout.locate(index);
        let upload_id = self.ensure_upload(loc.segment).await?;
        while self.in_flight.len() >= self.config.max_in_flight {
            self.reap_one().await?;
        }
        let frozen = buf.freeze();
        let crc = checksum::crc32c(frozen.as_slice());
        let client = self.client.clone();
        let bucket = self.location.bucket.clone();
        let key = self.location.key(loc.segment);
        self.in_flight.spawn(async move {
            let len = frozen.len() as u64;
            let etag = requests::upload_part(
                &client,
                &bucket,
                &key,
                &upload_id,
                loc.part_number,
                frozen.bytes(),
                crc,
            )
            .await?;
            // Dropping the buffer here returns its memory to the budget for the next part.
            drop(frozen);
            Ok(PartResult {
                index,
                part: DonePart { etag, crc, len },
            })
        });
        Ok(())
    }

    async fn ensure_upload(&mut self, segment: u64) -> Result<String> {
        if let Some(id) = self
            .segments
            .get(&segment)
            .and_then(|s| s.upload_id.clone())
        {
            return Ok(id);
        }
        let key = self.location.key(segment);
        if self.config.conditional_create
            && head_size(&self.client, &self.location.bucket, &key)
                .await?
                .is_some()
        {
            // Fail before uploading a whole segment; If-None-Match at completion stays the
            // real guard against a writer that starts at the same time.
            return Err(DataError::AlreadyExists {
                bucket: self.location.bucket.clone(),
                key,
            });
        }
        let id = requests::create_upload(&self.client, &self.location.bucket, &key).await?;
        self.segments.entry(segment).or_default().upload_id = Some(id.clone());
        Ok(id)
    }

    async fn reap_ready(&mut self) -> Result<()> {
        while let Some(joined) = self.in_flight.try_join_next() {
            self.record_result(joined).await?;
        }
        Ok(())
    }

    async fn reap_one(&mut self) -> Result<()> {
        if let Some(joined) = self.in_flight.join_next().await {
            self.record_result(joined).await?;
        }
        Ok(())
    }

    async fn record_result(
        &mut self,
        joined: std::result::Result<Result<PartResult>, tokio::task::JoinError>,
    ) -> Result<()> {
        let done = joined.map_err(|e| DataError::Task(e.to_string()))??;
        let loc = self.layout.locate(done.index);
        let seg = self.segments.entry(loc.segment).or_default();
        seg.parts.insert(loc.part_number, done.part);
        if seg.completed.is_none() && seg.parts.len() as u64 == self.layout.parts_per_segment() {
            self.complete_segment(loc.segment).await?;
        }
        Ok(())
    }

    async fn complete_segment(&mut self, segment: u64) -> Result<()> {
        let key = self.location.key(segment);
        let Some(seg) = self.segments.get_mut(&segment) else {
            return Ok(());
        };
        let Some(upload_id) = seg.upload_id.clone() else {
            return Ok(());
        };
        let parts: Vec<(i32, DonePart)> = seg.parts.iter().map(|(n, p)| (*n, p.clone())).collect();
        // Parts must be 1..=n without gaps.
        if let Some((pos, (n, _))) = parts
            .iter()
            .enumerate()
            .find(|(pos, (n, _))| *n as usize != pos + 1)
        {
            return Err(DataError::Inconsistent(format!(
                "segment {segment} is missing part {} (found {n} at position {pos})",
                pos + 1
            )));
        }
        requests::complete_upload(
            &self.client,
            &self.location.bucket,
            &key,
            &upload_id,
            &parts,
            self.config.conditional_create,
        )
        .await?;
        let mut crc = RunningCrc::new();
        for (_, p) in &parts {
            crc.push(p.crc, p.len);
        }
        seg.completed = Some(crc);
        seg.ours = true;
        seg.upload_id = None;
        seg.parts.clear();
        tracing::debug!(key, bytes = crc.len(), "segment completed");
        Ok(())
    }

    /// A segment made of a single short part goes up as one PutObject.
    async fn put_whole_segment(&mut self, index: u64) -> Result<()> {
        let Some(buf) = self.buffers.remove(&index) else {
            return Err(DataError::Inconsistent(format!(
                "part {index} has no buffer"
            )));
        };
        self.tracker.mark_dispatched(index);
        let segment = self.layout.locate(index).segment;
        let frozen = buf.freeze();
        let crc = checksum::crc32c(frozen.as_slice());
        let key = self.location.key(segment);
        self.client
            .throttles()
            .write
            .acquire(frozen.len() as u64)
            .await;
        requests::put_single(
            &self.client,
            &self.location.bucket,
            &key,
            frozen.bytes(),
            crc,
            &self.create_condition(),
        )
        .await?;
        let seg = self.segments.entry(segment).or_default();
        seg.completed = Some(RunningCrc::from_parts(crc, frozen.len() as u64));
        seg.ours = true;
        Ok(())
    }

    /// The condition of a segment's PutObject.
    fn create_condition(&self) -> PutCondition {
        if self.config.conditional_create {
            PutCondition::CreateOnly
        } else {
            PutCondition::Always
        }
    }

    async fn put_empty_segment(&mut self) -> Result<()> {
        if self.segments.contains_key(&0) {
            return Ok(());
        }
        let key = self.location.key(0);
        let crc = checksum::crc32c(&[]);
        requests::put_single(
            &self.client,
            &self.location.bucket,
            &key,
            bytes::Bytes::new(),
            crc,
            &self.create_condition(),
        )
        .await?;
        let seg = self.segments.entry(0).or_default();
        seg.completed = Some(RunningCrc::from_parts(crc, 0));
        seg.ours = true;
        Ok(())
    }
}

impl Drop for SegmentedWriter {
    fn drop(&mut self) {
        if self.state == State::Open && !self.segments.is_empty() {
            tracing::debug!(image = ?self.location, "unfinished writer dropped; its uploads stay for a resume or the stale-upload sweep");
        }
        // Dropping the JoinSet stops the part uploads still running.
    }
}
