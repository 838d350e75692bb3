//! Picking up a suspended image from the server's own record (HEAD of segments + ListParts).

use std::collections::BTreeMap;

use aws_sdk_s3::primitives::ByteStream;

use super::requests::{self, DonePart};
use super::{Checkpoint, Segment, SegmentedWriter, WriterConfig};
use crate::budget::BufferBudget;
use crate::checksum::RunningCrc;
use crate::client::S3Client;
use crate::error::{DataError, Result};
use crate::keys::ImageLocation;
use crate::layout::Layout;
use crate::{listing, multipart};

impl SegmentedWriter {
    /// Reopens an image whose writer was suspended, flushed, failed or killed (here or in another
    /// process). Completed segments are found with HEAD, the open segment's parts with
    /// ListParts; the returned writer continues at [`SegmentedWriter::durable_offset`] (at least
    /// the checkpoint's offset: less means the server lost parts, an error), and a flushed tail
    /// goes back with [`SegmentedWriter::restore_tail`].
    ///
    /// With the suspend-time `checkpoint`, completed segments' checksums come from it;
    /// without, they are re-read from the server. Parts the server lists without a CRC32C (and
    /// that the checkpoint does not record), or after a missing part, are treated as not
    /// uploaded and get replaced.
    ///
    /// With a checkpoint, the writer resumes exactly at its offset: what a dead writer did
    /// after it is undone. A segment it completed past the checkpoint keeps the checkpointed
    /// parts (copied on the server into a new upload, then the object is deleted); segments and
    /// uploads past the open segment are removed, once every checkpointed byte is accounted for.
    pub async fn resume(
        client: S3Client,
        budget: BufferBudget,
        location: ImageLocation,
        config: WriterConfig,
        checkpoint: Option<&Checkpoint>,
    ) -> Result<Self> {
        let layout = config.layout()?;
        let bucket = location.bucket.clone();
        let mut segments = BTreeMap::new();
        let mut index = 0u64;
        // With a checkpoint, the writer resumes exactly there: what was uploaded after it (by a
        // writer that crashed before its next checkpoint) was never reported durable, so the
        // caller resends it and it is replaced, never silently adopted (the image's size would
        // then differ from what the descriptor told every other process).
        let limit = checkpoint.map(|c| c.offset);
        // The open segment rebuilt from one a dead writer completed after the checkpoint.
        let mut carried = None;
        // Completed segments: all full, in order.
        loop {
            let key = location.key(index);
            let Some(size) = head_size(&client, &bucket, &key).await? else {
                break;
            };
            if let Some(l) = limit.filter(|l| (index + 1) * layout.segment_size() > *l) {
                // Completed after the checkpoint: what it holds before the checkpoint is
                // carried into a new upload, the rest is written again from the resent bytes.
                carried = carry_over(&client, &location, &layout, index, l, checkpoint).await?;
                break;
            }
            if size != layout.segment_size() {
                return Err(DataError::Inconsistent(format!(
                    "segment {key} is complete with {size} bytes: the image is already finished"
                )));
            }
            let crc = match checkpoint.and_then(|c| c.segment_crcs.get(index as usize)) {
                Some(crc) => *crc,
                None => read_back_crc(&client, &bucket, &key, None).await?,
            };
            segments.insert(
                index,
                Segment {
                    completed: Some(RunningCrc::from_parts(crc, size)),
                    ours: true,
                    ..Segment::default()
                },
            );
            index += 1;
        }
        let mut frontier = layout.first_part_of(index);
        if let Some(segment) = carried {
            frontier += segment.parts.len() as u64;
            segments.insert(index, segment);
        } else if let Some(segment) =
            open_segment(&client, &location, &layout, index, limit, checkpoint).await?
        {
            frontier += segment.parts.len() as u64;
            segments.insert(index, segment);
        }
        let mut writer =
            SegmentedWriter::with_state(client, budget, location, config, layout, frontier);
        writer.segments = segments;
        if let Some(cp) = checkpoint.filter(|cp| cp.offset > writer.durable_offset()) {
            return Err(DataError::Inconsistent(format!(
                "the checkpoint records {} bytes uploaded but the server holds {}",
                cp.offset,
                writer.durable_offset()
            )));
        }
        // Only now, with every checkpointed byte accounted for: what lies past the open
        // segment was written after the checkpoint (or without one, past the first gap).
        remove_later_segments(&writer.client, &writer.location, index).await?;
        tracing::info!(image = ?writer.location, offset = writer.durable_offset(), "writer resumed");
        Ok(writer)
    }
}

/// The open segment `index`, from the multipart upload of its key whose usable parts reach
/// furthest (the newest among equals): its parts up to the first one that is missing, short,
/// without a known CRC32C, or past `limit` (uploaded after the checkpoint: replaced when the
/// caller resends it). `None` when no upload holds a usable part; its uploads are then aborted
/// when the checkpoint ends at or before the segment's start (nothing in them is needed), so a
/// finish never completes an upload without parts.
async fn open_segment(
    client: &S3Client,
    location: &ImageLocation,
    layout: &Layout,
    index: u64,
    limit: Option<u64>,
    checkpoint: Option<&Checkpoint>,
) -> Result<Option<Segment>> {
    let (bucket, key) = (&location.bucket, location.key(index));
    let uploads: Vec<_> = multipart::list_uploads(client, bucket, &key)
        .await?
        .into_iter()
        .filter(|u| u.key == key)
        .collect();
    let mut best: Option<((usize, i64), Segment)> = None;
    for upload in &uploads {
        let listed = multipart::list_parts(client, bucket, &key, &upload.upload_id).await?;
        let parts = usable_parts(&key, listed, layout, index, limit, checkpoint)?;
        let rank = (parts.len(), upload.initiated_epoch_ms);
        if best.as_ref().is_none_or(|(b, _)| rank > *b) {
            let segment = Segment {
                upload_id: Some(upload.upload_id.clone()),
                parts,
                completed: None,
                ours: false,
            };
            best = Some((rank, segment));
        }
    }
    match best {
        Some((_, segment)) if !segment.parts.is_empty() => Ok(Some(segment)),
        _ => {
            if limit.is_some_and(|l| l <= index * layout.segment_size()) {
                for upload in &uploads {
                    requests::abort_upload(client, bucket, &key, &upload.upload_id).await?;
                    tracing::info!(bucket = %bucket, key = %key, "upload begun after the checkpoint aborted");
                }
            }
            Ok(None)
        }
    }
}

/// The parts of one upload of segment `index` a resume keeps, from 1 up to the first that is
/// missing, short, without a known CRC32C or past `limit` ([`checked_part_crc`]: a CRC32C on
/// the server that differs from the checkpoint's record is an error).
fn usable_parts(
    key: &str,
    listed: Vec<multipart::PartInfo>,
    layout: &Layout,
    index: u64,
    limit: Option<u64>,
    checkpoint: Option<&Checkpoint>,
) -> Result<BTreeMap<i32, DonePart>> {
    let mut parts = BTreeMap::new();
    let segment_start = index * layout.segment_size();
    for (expected, p) in (1..).zip(listed) {
        let part_end = segment_start + u64::from(p.part_number.unsigned_abs()) * layout.part_size();
        if limit.is_some_and(|l| part_end > l) {
            break;
        }
        let crc = checked_part_crc(key, p.part_number, p.crc32c, checkpoint, index)?;
        let usable = p.part_number == expected && p.size == layout.part_size() && crc.is_some();
        let Some(crc) = crc.filter(|_| usable) else {
            break;
        };
        parts.insert(
            p.part_number,
            DonePart {
                etag: p.etag,
                crc,
                len: p.size,
            },
        );
    }
    Ok(parts)
}

/// The CRC32C the checkpoint recorded for part `part_number` of segment `index`, when that
/// segment was the open one at the checkpoint.
fn recorded_part_crc(checkpoint: Option<&Checkpoint>, index: u64, part_number: i32) -> Option<u32> {
    checkpoint
        .filter(|c| c.segment_crcs.len() as u64 == index)
        .and_then(|c| {
            c.part_crcs
                .get(usize::try_from(part_number - 1).ok()?)
                .copied()
        })
}

/// The CRC32C of checkpointed part `part_number` of segment `index`: as the server stored it
/// (`server`), else as the checkpoint recorded it. The two differing is an error: the bytes
/// reported durable there were overwritten (a writer that lost its lease and went on).
fn checked_part_crc(
    key: &str,
    part_number: i32,
    server: Option<u32>,
    checkpoint: Option<&Checkpoint>,
    index: u64,
) -> Result<Option<u32>> {
    let recorded = recorded_part_crc(checkpoint, index, part_number);
    match (server, recorded) {
        (Some(server), Some(ours)) if server != ours => Err(DataError::Inconsistent(format!(
            "part {part_number} of {key} has CRC32C {server:08x} on the server but {ours:08x} \
             in the checkpoint: the bytes reported durable there were overwritten"
        ))),
        _ => Ok(server.or(recorded)),
    }
}

/// Segment `index` was completed by a writer that died after checkpointing at `limit`, inside
/// the segment. Its bytes before `limit` were reported durable and live nowhere else now (the
/// upload that held them became this object), so they are copied on the server into a new
/// upload of the same key (whole parts, each checked against the checkpoint's CRC32C) before
/// the object is deleted; the bytes after `limit` are written again from the caller's resent
/// bytes (segments are created only when absent). Returns the new upload as the open segment,
/// or `None` when the segment holds nothing from before the checkpoint.
async fn carry_over(
    client: &S3Client,
    location: &ImageLocation,
    layout: &Layout,
    index: u64,
    limit: u64,
    checkpoint: Option<&Checkpoint>,
) -> Result<Option<Segment>> {
    let (bucket, key) = (&location.bucket, location.key(index));
    let kept = limit.saturating_sub(index * layout.segment_size());
    if !kept.is_multiple_of(layout.part_size()) {
        return Err(DataError::Inconsistent(format!(
            "the checkpoint at byte {limit} is not at a part boundary of segment {key}"
        )));
    }
    let carried = if kept == 0 {
        None
    } else {
        Some(copy_parts(client, bucket, &key, layout, kept, index, checkpoint).await?)
    };
    requests::delete_object(client, bucket, &key).await?;
    tracing::info!(bucket = %bucket, key = %key, kept, "segment completed after the checkpoint: the bytes before it carried into a new upload, the object removed so the rest is written again");
    Ok(carried)
}

/// Copies the first `kept` bytes of the object `key` into a new upload of the same key, one
/// part per `layout` part, each checked with [`checked_part_crc`]; on any failure the upload is
/// aborted and the object left as it was.
async fn copy_parts(
    client: &S3Client,
    bucket: &str,
    key: &str,
    layout: &Layout,
    kept: u64,
    index: u64,
    checkpoint: Option<&Checkpoint>,
) -> Result<Segment> {
    let upload_id = requests::create_upload(client, bucket, key).await?;
    let source = crate::copy::copy_source(bucket, key);
    let copied = async {
        let mut parts = BTreeMap::new();
        for n in 1..=kept / layout.part_size() {
            let number = i32::try_from(n).map_err(|_| {
                DataError::Inconsistent(format!("part {n} of {key} is past S3's part numbers"))
            })?;
            let (first, len) = ((n - 1) * layout.part_size(), layout.part_size());
            let part = requests::copy_part(
                client,
                bucket,
                key,
                &upload_id,
                number,
                &source,
                first,
                first + len - 1,
            )
            .await?;
            let crc = match checked_part_crc(key, number, part.crc32c, checkpoint, index)? {
                Some(crc) => crc,
                None => read_back_crc(client, bucket, key, Some((first, len))).await?,
            };
            parts.insert(
                number,
                DonePart {
                    etag: part.etag,
                    crc,
                    len,
                },
            );
        }
        Ok(parts)
    }
    .await;
    match copied {
        Ok(parts) => Ok(Segment {
            upload_id: Some(upload_id),
            parts,
            completed: None,
            ours: false,
        }),
        Err(err) => {
            if let Err(e) = requests::abort_upload(client, bucket, key, &upload_id).await {
                tracing::warn!(key, error = %e, "aborting the upload of a failed carry-over failed");
            }
            Err(err)
        }
    }
}

/// Deletes the segment objects after segment `open` and aborts their uploads: a writer that
/// died left them past its checkpoint, and the resent bytes write them again.
async fn remove_later_segments(
    client: &S3Client,
    location: &ImageLocation,
    open: u64,
) -> Result<()> {
    let bucket = &location.bucket;
    let later = |key: &str| location.segment_of(key).is_some_and(|i| i > open);
    for key in listing::list_keys(client, bucket, location.prefix()).await? {
        if later(&key) {
            requests::delete_object(client, bucket, &key).await?;
            tracing::info!(bucket = %bucket, key = %key, "segment completed after the checkpoint removed so it is written again");
        }
    }
    for upload in multipart::list_uploads(client, bucket, location.prefix()).await? {
        if later(&upload.key) {
            requests::abort_upload(client, bucket, &upload.key, &upload.upload_id).await?;
            tracing::info!(bucket = %bucket, key = %upload.key, "upload begun after the checkpoint aborted");
        }
    }
    Ok(())
}

/// Size of an object, or `None` when it does not exist.
pub(crate) async fn head_size(client: &S3Client, bucket: &str, key: &str) -> Result<Option<u64>> {
    match client
        .sdk()
        .head_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
    {
        Ok(out) => Ok(Some(out.content_length.unwrap_or(0).max(0) as u64)),
        Err(e) => {
            let err = DataError::sdk("HeadObject", format!("{bucket}/{key}"), e);
            if err.is_not_found() {
                Ok(None)
            } else {
                Err(err)
            }
        }
    }
}

/// CRC32C of an object, or of `(first, len)` bytes of it, streamed.
async fn read_back_crc(
    client: &S3Client,
    bucket: &str,
    key: &str,
    range: Option<(u64, u64)>,
) -> Result<u32> {
    let out = client
        .sdk()
        .get_object()
        .bucket(bucket)
        .key(key)
        .set_range(range.map(|(first, len)| format!("bytes={first}-{}", first + len - 1)))
        .send()
        .await
        .map_err(|e| DataError::sdk("GetObject", format!("{bucket}/{key}"), e))?;
    let mut body: ByteStream = out.body;
    let mut crc = RunningCrc::new();
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|e| DataError::Body {
            key: key.to_owned(),
            message: crate::error::describe_chain(&e),
        })?;
        crc.update(&chunk);
    }
    Ok(crc.value())
}
