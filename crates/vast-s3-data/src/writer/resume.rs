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
use crate::multipart;

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
        // Completed segments: all full, in order.
        loop {
            let key = location.key(index);
            let Some(size) = head_size(&client, &bucket, &key).await? else {
                break;
            };
            if limit.is_some_and(|l| (index + 1) * layout.segment_size() > l) {
                // Completed after the checkpoint: removed, so the resent bytes can complete it
                // again (segments are created only when absent).
                tracing::info!(bucket = %bucket, key = %key, "segment completed after the checkpoint; removed so it is written again");
                requests::delete_object(&client, &bucket, &key).await?;
                break;
            }
            if size != layout.segment_size() {
                return Err(DataError::Inconsistent(format!(
                    "segment {key} is complete with {size} bytes: the image is already finished"
                )));
            }
            let crc = match checkpoint.and_then(|c| c.segment_crcs.get(index as usize)) {
                Some(crc) => *crc,
                None => read_back_crc(&client, &bucket, &key).await?,
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
        // The open segment, if its upload exists.
        let key = location.key(index);
        let mut frontier = layout.first_part_of(index);
        let uploads = multipart::list_uploads(&client, &bucket, &key).await?;
        let open = uploads
            .into_iter()
            .filter(|u| u.key == key)
            .max_by_key(|u| u.initiated_epoch_ms);
        if let Some(upload) = open {
            let listed = multipart::list_parts(&client, &bucket, &key, &upload.upload_id).await?;
            let mut parts = BTreeMap::new();
            // A part's CRC32C as the server stored it, else as the checkpoint recorded it (when
            // this segment was the open one at the checkpoint).
            let recorded = |n: i32| {
                checkpoint
                    .filter(|c| c.segment_crcs.len() as u64 == index)
                    .and_then(|c| c.part_crcs.get(usize::try_from(n - 1).ok()?).copied())
            };
            let segment_start = index * layout.segment_size();
            for (expected, p) in (1..).zip(listed) {
                let part_end =
                    segment_start + u64::from(p.part_number.unsigned_abs()) * layout.part_size();
                if limit.is_some_and(|l| part_end > l) {
                    // Uploaded after the checkpoint: replaced when the caller resends it.
                    break;
                }
                let crc = p.crc32c.or_else(|| recorded(p.part_number));
                let usable =
                    p.part_number == expected && p.size == layout.part_size() && crc.is_some();
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
            frontier += parts.len() as u64;
            segments.insert(
                index,
                Segment {
                    upload_id: Some(upload.upload_id),
                    parts,
                    completed: None,
                    ours: false,
                },
            );
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
        tracing::info!(image = ?writer.location, offset = writer.durable_offset(), "writer resumed");
        Ok(writer)
    }
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

/// CRC32C of a whole object, streamed.
async fn read_back_crc(client: &S3Client, bucket: &str, key: &str) -> Result<u32> {
    let out = client
        .sdk()
        .get_object()
        .bucket(bucket)
        .key(key)
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
