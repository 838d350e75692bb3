//! Ranged GETs into a caller's slice or a budget buffer.

use bytes::Bytes;

use crate::budget::{BudgetBuffer, BufferBudget, FrozenBuffer};
use crate::client::S3Client;
use crate::error::{DataError, Result};

/// Downloads one chunk into a budget buffer.
pub(super) async fn fetch_chunk(
    client: S3Client,
    budget: BufferBudget,
    bucket: String,
    key: String,
    segment: u64,
    inner: u64,
    len: u64,
) -> Result<FrozenBuffer> {
    let size = usize::try_from(len).unwrap_or(usize::MAX);
    let mut buf = budget.acquire(size).await?;
    let mut sink = BufferSink { buf: &mut buf };
    get_range(&client, &bucket, &key, segment, inner, len, &mut sink).await?;
    Ok(buf.freeze())
}

/// Where a ranged GET's body goes.
pub(super) trait Sink: Send {
    fn put(&mut self, data: &[u8]) -> bool;
    fn filled(&self) -> usize;
}

pub(super) struct SliceSink<'a> {
    pub(super) buf: &'a mut [u8],
    pub(super) pos: usize,
}

impl Sink for SliceSink<'_> {
    fn put(&mut self, data: &[u8]) -> bool {
        let Some(dst) = self.buf.get_mut(self.pos..self.pos + data.len()) else {
            return false;
        };
        dst.copy_from_slice(data);
        self.pos += data.len();
        true
    }
    fn filled(&self) -> usize {
        self.pos
    }
}

struct BufferSink<'a> {
    buf: &'a mut BudgetBuffer,
}

impl Sink for BufferSink<'_> {
    fn put(&mut self, data: &[u8]) -> bool {
        self.buf.extend_from_slice(data);
        true
    }
    fn filled(&self) -> usize {
        self.buf.len()
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
        if sink.filled() as u64 - start + frame.len() as u64 > len || !sink.put(&frame) {
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
