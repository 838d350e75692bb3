//! Ranged GETs into a caller's slice or a read-ahead chunk.

use bytes::Bytes;

use crate::budget::{BudgetCharge, BufferBudget};
use crate::client::S3Client;
use crate::error::{DataError, Result};

/// Downloads one read-ahead chunk, keeping the body's frames as the HTTP stack delivered them
/// (no copy) and charging their size to the budget before the GET is sent.
pub(super) async fn fetch_chunk(
    client: S3Client,
    budget: BufferBudget,
    bucket: String,
    key: String,
    segment: u64,
    inner: u64,
    len: u64,
) -> Result<HeldChunk> {
    let size = usize::try_from(len).unwrap_or(usize::MAX);
    let charge = budget.charge(size).await?;
    let mut chunk = HeldChunk {
        frames: Vec::new(),
        starts: Vec::new(),
        len: 0,
        _charge: charge,
    };
    get_range(&client, &bucket, &key, segment, inner, len, &mut chunk).await?;
    Ok(chunk)
}

/// A read-ahead chunk: the GET body's own frames, charged to the budget until dropped.
#[derive(Debug)]
pub(super) struct HeldChunk {
    frames: Vec<Bytes>,
    /// Where each frame starts within the chunk.
    starts: Vec<usize>,
    len: usize,
    _charge: BudgetCharge,
}

impl HeldChunk {
    /// Copies the chunk's bytes from `from` on into `dst`, which must fit inside the chunk.
    pub(super) fn copy_to(&self, from: usize, dst: &mut [u8]) -> bool {
        if from + dst.len() > self.len {
            return false;
        }
        // The frame holding `from`: the last one starting at or before it.
        let mut index = self.starts.partition_point(|&start| start <= from);
        let mut at = from;
        let mut done = 0;
        while done < dst.len() {
            let Some(frame) = index.checked_sub(1).and_then(|i| self.frames.get(i)) else {
                return false;
            };
            let skip = at - self.starts[index - 1];
            let take = (frame.len() - skip).min(dst.len() - done);
            dst[done..done + take].copy_from_slice(&frame[skip..skip + take]);
            done += take;
            at += take;
            index += 1;
        }
        true
    }
}

/// Where a ranged GET's body goes.
pub(super) trait Sink: Send {
    fn put(&mut self, data: Bytes) -> bool;
    fn filled(&self) -> usize;
}

pub(super) struct SliceSink<'a> {
    pub(super) buf: &'a mut [u8],
    pub(super) pos: usize,
}

impl Sink for SliceSink<'_> {
    fn put(&mut self, data: Bytes) -> bool {
        let Some(dst) = self.buf.get_mut(self.pos..self.pos + data.len()) else {
            return false;
        };
        dst.copy_from_slice(&data);
        self.pos += data.len();
        true
    }
    fn filled(&self) -> usize {
        self.pos
    }
}

impl Sink for HeldChunk {
    fn put(&mut self, data: Bytes) -> bool {
        if !data.is_empty() {
            self.starts.push(self.len);
            self.len += data.len();
            self.frames.push(data);
        }
        true
    }
    fn filled(&self) -> usize {
        self.len
    }
}

/// GETs `len` bytes at `inner` of a segment object into `sink`, resuming after the bytes
/// already received when the connection breaks during the body (the SDK retries failed
/// requests, not a body cut after the headers arrived), up to the client's attempt count.
pub(super) async fn get_range(
    client: &S3Client,
    bucket: &str,
    key: &str,
    segment: u64,
    inner: u64,
    len: u64,
    sink: &mut (dyn Sink + Send),
) -> Result<()> {
    let base = sink.filled() as u64;
    let mut attempt = 0;
    loop {
        attempt += 1;
        let got = sink.filled() as u64 - base;
        // Throttled before each GET is sent, never while its body streams in.
        client.throttles().read.acquire(len - got).await;
        match get_once(client, bucket, key, segment, inner + got, len - got, sink).await {
            Err(DataError::Body { message, .. })
                if attempt < client.max_attempts() && !message.starts_with(NOT_RETRYABLE) =>
            {
                tracing::debug!(key, attempt, error = %message, "ranged GET body broke off; resuming");
                tokio::time::sleep(std::time::Duration::from_millis(50 * u64::from(attempt))).await;
            }
            other => return other,
        }
    }
}

/// Prefix of body errors that a retry cannot fix.
const NOT_RETRYABLE: &str = "server sent";

async fn get_once(
    client: &S3Client,
    bucket: &str,
    key: &str,
    segment: u64,
    inner: u64,
    len: u64,
    sink: &mut (dyn Sink + Send),
) -> Result<()> {
    let start = sink.filled() as u64;
    let range = format!("bytes={}-{}", inner, inner + len - 1);
    let out = match client
        .sdk()
        .get_object()
        .bucket(bucket)
        .key(key)
        .range(range)
        .send()
        .await
    {
        Ok(out) => out,
        Err(e) => {
            let err = DataError::sdk("GetObject", format!("{bucket}/{key}"), e);
            return Err(
                if err.code() == Some("NoSuchKey") || err.status() == Some(404) {
                    DataError::MissingSegment {
                        index: segment,
                        key: key.to_owned(),
                    }
                } else {
                    err
                },
            );
        }
    };
    let mut body = out.body;
    while let Some(frame) = body.next().await {
        let frame: Bytes = frame.map_err(|e| DataError::Body {
            key: key.to_owned(),
            message: crate::error::describe_chain(&e),
        })?;
        if sink.filled() as u64 - start + frame.len() as u64 > len || !sink.put(frame) {
            return Err(DataError::Body {
                key: key.to_owned(),
                message: format!("server sent more than the {len} bytes asked for"),
            });
        }
    }
    let got = sink.filled() as u64 - start;
    if got != len {
        return Err(DataError::Body {
            key: key.to_owned(),
            message: format!("server sent {got} of {len} bytes: body ended early"),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_chunk_copies_across_its_frames() {
        let budget = BufferBudget::new(1 << 20);
        let mut chunk = HeldChunk {
            frames: Vec::new(),
            starts: Vec::new(),
            len: 0,
            _charge: budget.charge(10).await.unwrap(),
        };
        for frame in [&b"abc"[..], b"", b"d", b"efghij"] {
            assert!(chunk.put(Bytes::copy_from_slice(frame)));
        }
        assert_eq!(chunk.filled(), 10);
        for from in 0..10 {
            for len in 0..=10 - from {
                let mut dst = vec![0u8; len];
                assert!(chunk.copy_to(from, &mut dst));
                assert_eq!(&dst[..], &b"abcdefghij"[from..from + len]);
            }
        }
        let mut past = [0u8; 2];
        assert!(!chunk.copy_to(9, &mut past), "past the end is refused");
        assert_eq!(budget.stats().in_use_bytes, 1024, "charged while held");
        drop(chunk);
        assert_eq!(budget.stats().in_use_bytes, 0);
    }
}
