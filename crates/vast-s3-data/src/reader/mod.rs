//! Reading an image back: ranged GETs over its segments, with a read-ahead pipeline for
//! sequential restores.
//!
//! A read that starts where the previous one ended is sequential: it is served from a queue of
//! chunk downloads running ahead of the caller (`read_ahead_chunks` ranged GETs of `chunk_size`
//! bytes in flight, each chunk's memory taken from the shared [`BufferBudget`]). Any other read
//! drops the queue and fetches exactly the requested range.

use std::collections::VecDeque;

use tokio::task::JoinHandle;

use crate::budget::{BufferBudget, FrozenBuffer};
use crate::client::S3Client;
use crate::error::{DataError, Result};
use crate::keys::ImageLocation;
use crate::writer::head_size;

mod fetch;

use fetch::{fetch_chunk, get_range, SliceSink};

/// Read-ahead tuning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReaderConfig {
    /// Bytes per read-ahead GET (default 8 MiB).
    pub chunk_size: u64,
    /// Chunks fetched ahead of the caller (default 8, i.e. 64 MiB per sequential reader);
    /// 0 turns read-ahead off.
    pub read_ahead_chunks: usize,
    /// Consecutive sequential reads before read-ahead starts (default 1: the second read that
    /// continues the previous one).
    pub sequential_after: u32,
}

impl Default for ReaderConfig {
    fn default() -> Self {
        Self {
            chunk_size: 8 << 20,
            read_ahead_chunks: 8,
            sequential_after: 1,
        }
    }
}

/// A chunk being fetched or fetched.
struct Chunk {
    start: u64,
    end: u64,
    task: Option<JoinHandle<Result<FrozenBuffer>>>,
    data: Option<FrozenBuffer>,
}

impl Drop for Chunk {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

/// Random and sequential reads of one image.
pub struct ImageReader {
    client: S3Client,
    budget: BufferBudget,
    location: ImageLocation,
    segment_size: u64,
    length: u64,
    config: ReaderConfig,
    last_end: Option<u64>,
    streak: u32,
    pipeline: VecDeque<Chunk>,
    next_fetch: u64,
}

impl std::fmt::Debug for ImageReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImageReader")
            .field("location", &self.location)
            .field("length", &self.length)
            .field("read_ahead", &self.pipeline.len())
            .finish()
    }
}

impl ImageReader {
    /// A reader for an image of known `length` (from its metadata document).
    pub fn new(
        client: S3Client,
        budget: BufferBudget,
        location: ImageLocation,
        segment_size: u64,
        length: u64,
        config: ReaderConfig,
    ) -> Result<Self> {
        if segment_size == 0 || config.chunk_size == 0 {
            return Err(DataError::Config(
                "segment and chunk sizes must be positive".to_owned(),
            ));
        }
        Ok(Self {
            client,
            budget,
            location,
            segment_size,
            length,
            config,
            last_end: None,
            streak: 0,
            pipeline: VecDeque::new(),
            next_fetch: 0,
        })
    }

    /// A reader that finds the image's length itself, by HEAD of its segments. Segment 0 must
    /// exist.
    pub async fn open(
        client: S3Client,
        budget: BufferBudget,
        location: ImageLocation,
        segment_size: u64,
        config: ReaderConfig,
    ) -> Result<Self> {
        let mut length = 0;
        let mut index = 0;
        loop {
            let key = location.key(index);
            match head_size(&client, &location.bucket, &key).await? {
                Some(size) => {
                    length += size;
                    if size != segment_size {
                        break;
                    }
                }
                None if index == 0 => return Err(DataError::MissingSegment { index, key }),
                None => break,
            }
            index += 1;
        }
        Self::new(client, budget, location, segment_size, length, config)
    }

    /// The image's length.
    pub fn len(&self) -> u64 {
        self.length
    }

    /// True for an empty image.
    pub fn is_empty(&self) -> bool {
        self.length == 0
    }

    /// Reads up to `len` bytes at `offset`. Fewer bytes come back only at the end of the image
    /// (none at or past it).
    pub async fn read_at(&mut self, offset: u64, len: usize) -> Result<Vec<u8>> {
        let n = self.available(offset, len);
        let mut out = vec![0u8; n];
        let got = self.read_into(offset, &mut out).await?;
        out.truncate(got);
        Ok(out)
    }

    /// Reads into `buf` at `offset`; returns the bytes read (short only at the end of the image).
    pub async fn read_into(&mut self, offset: u64, buf: &mut [u8]) -> Result<usize> {
        let n = self.available(offset, buf.len());
        if n == 0 {
            return Ok(0);
        }
        let buf = &mut buf[..n];
        if self.last_end == Some(offset) {
            self.streak = self.streak.saturating_add(1);
        } else {
            self.streak = 0;
        }
        let read_ahead =
            self.config.read_ahead_chunks > 0 && self.streak >= self.config.sequential_after;
        if read_ahead {
            self.read_sequential(offset, buf).await?;
        } else {
            self.pipeline.clear();
            self.read_direct(offset, buf).await?;
        }
        self.last_end = Some(offset + n as u64);
        Ok(n)
    }

    fn available(&self, offset: u64, len: usize) -> usize {
        let left = self.length.saturating_sub(offset);
        usize::try_from(left).map_or(len, |left| left.min(len))
    }

    async fn read_direct(&self, offset: u64, buf: &mut [u8]) -> Result<()> {
        let mut filled = 0usize;
        for (segment, inner, take) in split(self.segment_size, offset, buf.len() as u64) {
            let key = self.location.key(segment);
            let end = filled + usize::try_from(take).unwrap_or(usize::MAX);
            let mut sink = SliceSink {
                buf: &mut buf[filled..end],
                pos: 0,
            };
            get_range(
                &self.client,
                &self.location.bucket,
                &key,
                segment,
                inner,
                take,
                &mut sink,
            )
            .await?;
            filled = end;
        }
        Ok(())
    }

    async fn read_sequential(&mut self, offset: u64, buf: &mut [u8]) -> Result<()> {
        // Drop chunks behind the reader; restart the pipeline if it does not hold `offset`.
        while self.pipeline.front().is_some_and(|c| c.end <= offset) {
            self.pipeline.pop_front();
        }
        if self.pipeline.front().is_none_or(|c| c.start > offset) {
            self.pipeline.clear();
            self.next_fetch = offset;
        }
        self.refill();
        let mut pos = offset;
        let end = offset + buf.len() as u64;
        while pos < end {
            let Some(chunk) = self.pipeline.front_mut() else {
                return Err(DataError::Inconsistent(
                    "read-ahead queue ran dry".to_owned(),
                ));
            };
            if chunk.data.is_none() {
                if let Some(task) = chunk.task.as_mut() {
                    let joined = task.await.map_err(|e| DataError::Task(e.to_string()));
                    chunk.task = None;
                    match joined.and_then(|r| r) {
                        Ok(data) => chunk.data = Some(data),
                        Err(e) => {
                            // Start over at the next call instead of serving a broken queue.
                            self.pipeline.clear();
                            self.last_end = None;
                            return Err(e);
                        }
                    }
                }
            }
            let Some(data) = chunk.data.as_ref() else {
                return Err(DataError::Inconsistent(
                    "read-ahead chunk has no data".to_owned(),
                ));
            };
            let from = usize::try_from(pos - chunk.start).unwrap_or(usize::MAX);
            let take = usize::try_from((chunk.end.min(end)) - pos).unwrap_or(usize::MAX);
            let at = usize::try_from(pos - offset).unwrap_or(usize::MAX);
            buf[at..at + take].copy_from_slice(&data.as_slice()[from..from + take]);
            pos += take as u64;
            if pos >= chunk.end {
                self.pipeline.pop_front();
                self.refill();
            }
        }
        Ok(())
    }

    /// Keeps `read_ahead_chunks` chunk downloads queued.
    fn refill(&mut self) {
        while self.pipeline.len() < self.config.read_ahead_chunks && self.next_fetch < self.length {
            let start = self.next_fetch;
            let segment = start / self.segment_size;
            let segment_end = ((segment + 1) * self.segment_size).min(self.length);
            let end = (start + self.config.chunk_size).min(segment_end);
            let task = tokio::spawn(fetch_chunk(
                self.client.clone(),
                self.budget.clone(),
                self.location.bucket.clone(),
                self.location.key(segment),
                segment,
                start - segment * self.segment_size,
                end - start,
            ));
            self.pipeline.push_back(Chunk {
                start,
                end,
                task: Some(task),
                data: None,
            });
            self.next_fetch = end;
        }
    }
}

/// `(segment, offset inside it, length)` pieces of a range.
fn split(segment_size: u64, offset: u64, len: u64) -> Vec<(u64, u64, u64)> {
    let mut out = Vec::new();
    let mut done = 0;
    while done < len {
        let pos = offset + done;
        let segment = pos / segment_size;
        let inner = pos - segment * segment_size;
        let take = (segment_size - inner).min(len - done);
        out.push((segment, inner, take));
        done += take;
    }
    out
}
