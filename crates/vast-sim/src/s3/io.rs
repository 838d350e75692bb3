//! Moving bytes without holding them: request bodies into files (hashing on the way), objects
//! out as response streams, object-to-file copies. Chunks are 1 MiB; disk work runs on the blocking
//! pool, and at most a few chunks per transfer are in memory at once. Response chunks' buffers
//! are kept for reuse once sent (`Chunk`).

use std::fs::File;
use std::io::{IoSlice, Read, Write};
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::{Mutex, PoisonError};
use std::task::{Context, Poll};

use bytes::Bytes;
use futures::{Stream, StreamExt};
use md5::{Digest, Md5};
use s3s::checksum::ChecksumHasher;
use s3s::dto::StreamingBlob;
use s3s::stream::{ByteStream, RemainingLength};
use s3s::{s3_error, S3Result, StdError};
use tokio::sync::mpsc;

use super::checksum::finish;
use super::data::ObjectReader;
use super::error::io_error;
use super::meta::Checksums;

/// Size of the chunks written to and read from disk.
pub(crate) const CHUNK: usize = 1 << 20;
/// Chunks queued between the network and the disk per transfer.
const QUEUE: usize = 4;

/// A body stored in a file.
#[derive(Debug)]
pub(crate) struct Received {
    pub(crate) size: u64,
    pub(crate) md5: [u8; 16],
    pub(crate) checksums: Checksums,
}

/// Why a body could not be stored.
#[derive(Debug)]
pub(crate) enum ReceiveError {
    /// More bytes came than allowed.
    TooLarge,
    /// The body broke off or the disk failed.
    S3(s3s::S3Error),
}

/// Streams `body` into a new file at `path`, computing its MD5 and the checksums `hasher` was
/// set up for. Stops with `TooLarge` past `max` bytes. The file is removed on any failure.
pub(crate) async fn receive(
    mut body: StreamingBlob,
    path: PathBuf,
    hasher: ChecksumHasher,
    max: Option<u64>,
) -> Result<Received, ReceiveError> {
    let (tx, mut rx) = mpsc::channel::<Vec<Bytes>>(QUEUE);
    let writer_path = path.clone();
    let writer = tokio::task::spawn_blocking(move || -> std::io::Result<Received> {
        let mut file = File::create(&writer_path)?;
        let mut md5 = Md5::new();
        let mut hasher = hasher;
        let mut size = 0u64;
        while let Some(batch) = rx.blocking_recv() {
            for chunk in &batch {
                md5.update(chunk);
                hasher.update(chunk);
                size += chunk.len() as u64;
            }
            write_all_chunks(&mut file, &batch)?;
        }
        Ok(Received {
            size,
            md5: md5.finalize().into(),
            checksums: finish(hasher),
        })
    });

    // The body's own chunks go to the writer in batches of about CHUNK bytes: no copy.
    let mut batch = Vec::new();
    let mut batched = 0;
    let mut total = 0u64;
    let mut failure = None;
    while let Some(chunk) = body.next().await {
        let chunk = match chunk {
            Ok(chunk) => chunk,
            Err(e) => {
                failure = Some(ReceiveError::S3(s3_error!(
                    IncompleteBody,
                    "reading the request body failed: {e}"
                )));
                break;
            }
        };
        total += chunk.len() as u64;
        if max.is_some_and(|max| total > max) {
            failure = Some(ReceiveError::TooLarge);
            break;
        }
        batched += chunk.len();
        batch.push(chunk);
        if batched >= CHUNK {
            batched = 0;
            if tx.send(std::mem::take(&mut batch)).await.is_err() {
                break; // the writer failed: its error is reported below
            }
        }
    }
    if failure.is_none() && !batch.is_empty() {
        let _ = tx.send(batch).await;
    }
    drop(tx);
    let written = writer
        .await
        .map_err(|e| std::io::Error::other(e.to_string()));
    let result = match (failure, written) {
        (Some(failure), _) => Err(failure),
        (None, Ok(Ok(received))) => Ok(received),
        (None, Ok(Err(e)) | Err(e)) => Err(ReceiveError::S3(io_error(e))),
    };
    if result.is_err() {
        let _ = tokio::fs::remove_file(&path).await;
    }
    result
}

/// Writes `chunks` in order with as few system calls as the kernel allows (`writev`).
fn write_all_chunks(file: &mut File, chunks: &[Bytes]) -> std::io::Result<()> {
    let mut slices: Vec<IoSlice<'_>> = chunks.iter().map(|c| IoSlice::new(c)).collect();
    let mut left = &mut slices[..];
    IoSlice::advance_slices(&mut left, 0);
    while !left.is_empty() {
        match file.write_vectored(left) {
            Ok(0) => return Err(std::io::ErrorKind::WriteZero.into()),
            Ok(n) => IoSlice::advance_slices(&mut left, n),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// A response body streaming `len` bytes of the object stored at `path` from `offset`.
pub(crate) async fn file_body(path: PathBuf, offset: u64, len: u64) -> S3Result<StreamingBlob> {
    let mut file = tokio::task::spawn_blocking(move || ObjectReader::open(&path, offset, len))
        .await
        .map_err(|e| io_error(std::io::Error::other(e.to_string())))?
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => s3_error!(NoSuchKey),
            _ => io_error(e),
        })?;
    let (tx, rx) = mpsc::channel::<Result<Bytes, StdError>>(2);
    tokio::task::spawn_blocking(move || {
        let mut scratch = vec![0; SCRATCH];
        let mut left = len;
        while left > 0 {
            let n = usize::try_from(left).unwrap_or(CHUNK).min(CHUNK);
            let mut buf = Chunk::buffer();
            if let Err(e) = read_through(&mut file, &mut scratch, &mut buf, n) {
                let _ = tx.blocking_send(Err(Box::new(e)));
                return;
            }
            left -= n as u64;
            if tx.blocking_send(Ok(Bytes::from_owner(Chunk(buf)))).is_err() {
                return; // the client went away
            }
        }
    });
    Ok(StreamingBlob::new(FileStream { rx, left: len }))
}

/// Size of the buffer the kernel copies file data into: small enough to stay in the CPU's
/// cache. The kernel's copy into memory that is not cached is slow (measured on an AMD EPYC VM,
/// reading 1 GiB from tmpfs straight into 1 MiB buffers: 0.45 - 0.5 s of CPU; through a 64 KiB
/// buffer and a user-space copy out of it: 0.19 - 0.23 s).
const SCRATCH: usize = 64 << 10;

/// Appends the next `n` bytes of `file` to `out`, read through `scratch` (see `SCRATCH`).
fn read_through(
    file: &mut impl Read,
    scratch: &mut [u8],
    out: &mut Vec<u8>,
    n: usize,
) -> std::io::Result<()> {
    let end = out.len() + n;
    while out.len() < end {
        let part = &mut scratch[..(end - out.len()).min(SCRATCH)];
        file.read_exact(part)?;
        out.extend_from_slice(part);
    }
    Ok(())
}

/// Buffers of response chunks already sent, kept for the next ones: a new buffer costs a page
/// fault and a cleared page per 4 KiB whenever the allocator has just returned that memory to
/// the kernel (after a backup, 90 000 faults per GiB restored: a third of the buffers).
static SPARE: Mutex<Vec<Vec<u8>>> = Mutex::new(Vec::new());
/// Spare buffers kept at most (`CHUNK` bytes each); more are freed.
const SPARE_MAX: usize = 32;

/// A response chunk's bytes; its buffer goes back to `SPARE` when the chunk is dropped.
struct Chunk(Vec<u8>);

impl Chunk {
    /// An empty buffer with room for `CHUNK` bytes: a spare one, or a new one.
    fn buffer() -> Vec<u8> {
        let spare = SPARE.lock().unwrap_or_else(PoisonError::into_inner).pop();
        spare.unwrap_or_else(|| Vec::with_capacity(CHUNK))
    }
}

impl AsRef<[u8]> for Chunk {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl Drop for Chunk {
    fn drop(&mut self) {
        let mut buf = std::mem::take(&mut self.0);
        buf.clear();
        let mut spare = SPARE.lock().unwrap_or_else(PoisonError::into_inner);
        if spare.len() < SPARE_MAX {
            spare.push(buf);
        }
    }
}

/// Chunks of a file as a stream of known length.
struct FileStream {
    rx: mpsc::Receiver<Result<Bytes, StdError>>,
    left: u64,
}

impl Stream for FileStream {
    type Item = Result<Bytes, StdError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let polled = self.rx.poll_recv(cx);
        if let Poll::Ready(Some(Ok(chunk))) = &polled {
            self.left = self.left.saturating_sub(chunk.len() as u64);
        }
        polled
    }
}

impl ByteStream for FileStream {
    fn remaining_length(&self) -> RemainingLength {
        RemainingLength::new_exact(usize::try_from(self.left).unwrap_or(usize::MAX))
    }
}

/// Copies `len` bytes of the object stored at `src` from `offset` into a new file `dst`,
/// computing MD5 and the checksums `hasher` was set up for. Blocking: run on the blocking pool.
pub(crate) fn copy_range(
    src: &Path,
    offset: u64,
    len: u64,
    dst: &Path,
    mut hasher: ChecksumHasher,
) -> std::io::Result<Received> {
    let mut from = ObjectReader::open(src, offset, len)?;
    let mut to = File::create(dst)?;
    let mut md5 = Md5::new();
    let mut buf = vec![0u8; SCRATCH];
    let mut left = len;
    while left > 0 {
        let n = usize::try_from(left).unwrap_or(SCRATCH).min(SCRATCH);
        from.read_exact(&mut buf[..n])?;
        md5.update(&buf[..n]);
        hasher.update(&buf[..n]);
        to.write_all(&buf[..n])?;
        left -= n as u64;
    }
    Ok(Received {
        size: len,
        md5: md5.finalize().into(),
        checksums: finish(hasher),
    })
}

/// Runs blocking disk work on the blocking pool.
pub(crate) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> std::io::Result<T> + Send + 'static,
) -> S3Result<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| io_error(std::io::Error::other(e.to_string())))?
        .map_err(io_error)
}
