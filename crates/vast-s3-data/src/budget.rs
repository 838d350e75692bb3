//! One process-wide memory budget for every buffer the data path holds.
//!
//! The budget is a semaphore counted in KiB. A writer's part buffer or a reader's read-ahead chunk
//! takes its size from the budget before it exists and gives it back when it is dropped, so all
//! images of the process together never hold more than the configured bytes: when the budget is
//! used up, the next writer or reader waits (back-pressure) until an upload or a consumer frees one.
//!
//! Released buffers go to a free pool and are handed out again, so a steady stream of parts reuses
//! the same allocations. Pooled plus lent-out bytes never exceed the budget: when a buffer of a new
//! size is needed, pooled buffers are dropped first to make room.

use std::sync::{Arc, Mutex, MutexGuard};

use bytes::{Bytes, BytesMut};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::error::{DataError, Result};

const UNIT: usize = 1024;

/// A shared memory budget for data-path buffers. Cheap to clone: clones share one budget.
#[derive(Clone)]
pub struct BufferBudget {
    inner: Arc<Inner>,
}

struct Inner {
    semaphore: Arc<Semaphore>,
    total_units: usize,
    pool: Mutex<Pool>,
}

#[derive(Default)]
struct Pool {
    free: Vec<BytesMut>,
    pooled_bytes: usize,
    allocations: u64,
    reuses: u64,
}

/// Counters describing the budget, for tests, logs and benchmarks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BudgetStats {
    /// The budget, in bytes.
    pub total_bytes: usize,
    /// Bytes currently lent out (rounded up to KiB per buffer).
    pub in_use_bytes: usize,
    /// Bytes held in free buffers waiting for reuse.
    pub pooled_bytes: usize,
    /// Buffers allocated so far.
    pub allocations: u64,
    /// Buffer requests served from the free pool.
    pub reuses: u64,
}

impl std::fmt::Debug for BufferBudget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BufferBudget")
            .field("stats", &self.stats())
            .finish()
    }
}

impl BufferBudget {
    /// A budget of `bytes` (rounded down to whole KiB, at least 1 KiB).
    pub fn new(bytes: usize) -> Self {
        let total_units = (bytes / UNIT).clamp(1, Semaphore::MAX_PERMITS);
        Self {
            inner: Arc::new(Inner {
                semaphore: Arc::new(Semaphore::new(total_units)),
                total_units,
                pool: Mutex::new(Pool::default()),
            }),
        }
    }

    /// The budget in bytes.
    pub fn total_bytes(&self) -> usize {
        self.inner.total_units * UNIT
    }

    /// A snapshot of the budget's counters.
    pub fn stats(&self) -> BudgetStats {
        let pool = self.inner.lock_pool();
        BudgetStats {
            total_bytes: self.total_bytes(),
            in_use_bytes: self.in_use_units() * UNIT,
            pooled_bytes: pool.pooled_bytes,
            allocations: pool.allocations,
            reuses: pool.reuses,
        }
    }

    fn in_use_units(&self) -> usize {
        self.inner
            .total_units
            .saturating_sub(self.inner.semaphore.available_permits())
    }

    /// Takes `size` bytes from the budget, waiting while it is used up, and returns an empty
    /// buffer with at least that capacity.
    pub async fn acquire(&self, size: usize) -> Result<BudgetBuffer> {
        let units = self.units_for(size)?;
        let permit = Arc::clone(&self.inner.semaphore)
            .acquire_many_owned(units)
            .await
            .map_err(|_| DataError::Task("buffer budget closed".to_owned()))?;
        Ok(self.buffer_for(size, permit))
    }

    /// Like [`BufferBudget::acquire`] but returns `None` instead of waiting.
    pub fn try_acquire(&self, size: usize) -> Result<Option<BudgetBuffer>> {
        let units = self.units_for(size)?;
        match Arc::clone(&self.inner.semaphore).try_acquire_many_owned(units) {
            Ok(permit) => Ok(Some(self.buffer_for(size, permit))),
            Err(_) => Ok(None),
        }
    }

    fn units_for(&self, size: usize) -> Result<u32> {
        let units = size.div_ceil(UNIT).max(1);
        if units > self.inner.total_units {
            return Err(DataError::Config(format!(
                "a buffer of {size} bytes exceeds the whole buffer budget of {} bytes",
                self.total_bytes()
            )));
        }
        u32::try_from(units)
            .map_err(|_| DataError::Config(format!("buffer of {size} bytes is too large")))
    }

    fn buffer_for(&self, size: usize, permit: OwnedSemaphorePermit) -> BudgetBuffer {
        let mut pool = self.inner.lock_pool();
        let buf = match take_fitting(&mut pool.free, size) {
            Some(mut buf) => {
                pool.pooled_bytes = pool.pooled_bytes.saturating_sub(buf.capacity());
                pool.reuses += 1;
                buf.clear();
                buf
            }
            None => {
                // Make room: pooled + lent-out + this one must stay within the budget.
                let limit = self.total_bytes();
                let in_use = self.in_use_units() * UNIT;
                while pool.pooled_bytes + in_use > limit {
                    match pool.free.pop() {
                        Some(dropped) => {
                            pool.pooled_bytes = pool.pooled_bytes.saturating_sub(dropped.capacity())
                        }
                        None => break,
                    }
                }
                pool.allocations += 1;
                BytesMut::with_capacity(size)
            }
        };
        BudgetBuffer {
            buf,
            permit: Some(permit),
            budget: Arc::clone(&self.inner),
        }
    }
}

/// Takes the smallest free buffer whose capacity is at least `size`.
fn take_fitting(free: &mut Vec<BytesMut>, size: usize) -> Option<BytesMut> {
    let index = free
        .iter()
        .enumerate()
        .filter(|(_, b)| b.capacity() >= size)
        .min_by_key(|(_, b)| b.capacity())
        .map(|(i, _)| i)?;
    Some(free.swap_remove(index))
}

impl Inner {
    fn lock_pool(&self) -> MutexGuard<'_, Pool> {
        // A poisoned pool only means a panic elsewhere; its contents are still valid buffers.
        self.pool.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn give_back(&self, mut buf: BytesMut) {
        let capacity = buf.capacity();
        if capacity == 0 {
            return;
        }
        buf.clear();
        let mut pool = self.lock_pool();
        let limit = self.total_units * UNIT;
        if pool.pooled_bytes + capacity <= limit {
            pool.pooled_bytes += capacity;
            pool.free.push(buf);
        }
    }
}

/// A writable buffer charged to the budget. Dropping it returns the memory to the budget.
pub struct BudgetBuffer {
    buf: BytesMut,
    permit: Option<OwnedSemaphorePermit>,
    budget: Arc<Inner>,
}

impl std::fmt::Debug for BudgetBuffer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BudgetBuffer")
            .field("len", &self.buf.len())
            .field("capacity", &self.buf.capacity())
            .finish()
    }
}

impl BudgetBuffer {
    /// The bytes written so far.
    pub fn as_slice(&self) -> &[u8] {
        &self.buf
    }

    /// Number of bytes held.
    pub fn len(&self) -> usize {
        self.buf.len()
    }

    /// True when no bytes are held.
    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// Appends bytes.
    pub fn extend_from_slice(&mut self, data: &[u8]) {
        self.buf.extend_from_slice(data);
    }

    /// Writes `data` at `pos`, zero-filling any gap before it and growing the buffer as needed.
    pub fn write_at(&mut self, pos: usize, data: &[u8]) {
        if pos > self.buf.len() {
            self.buf.resize(pos, 0);
        }
        let overlap = (self.buf.len() - pos).min(data.len());
        self.buf[pos..pos + overlap].copy_from_slice(&data[..overlap]);
        self.buf.extend_from_slice(&data[overlap..]);
    }

    /// Turns the buffer into shareable bytes, still charged to the budget until the returned
    /// value is dropped.
    pub fn freeze(mut self) -> FrozenBuffer {
        let buf = std::mem::take(&mut self.buf);
        FrozenBuffer {
            bytes: buf.freeze(),
            permit: self.permit.take(),
            budget: Arc::clone(&self.budget),
        }
    }
}

impl Drop for BudgetBuffer {
    fn drop(&mut self) {
        let buf = std::mem::take(&mut self.buf);
        self.budget.give_back(buf);
        // The permit drops after the buffer is in the pool.
        drop(self.permit.take());
    }
}

/// Immutable bytes charged to the budget; clones of [`FrozenBuffer::bytes`] may be handed to
/// requests. On drop the allocation goes back to the pool when no clone is left.
pub struct FrozenBuffer {
    bytes: Bytes,
    permit: Option<OwnedSemaphorePermit>,
    budget: Arc<Inner>,
}

impl std::fmt::Debug for FrozenBuffer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FrozenBuffer")
            .field("len", &self.bytes.len())
            .finish()
    }
}

impl FrozenBuffer {
    /// A cheap reference-counted handle to the bytes.
    pub fn bytes(&self) -> Bytes {
        self.bytes.clone()
    }

    /// The bytes as a slice.
    pub fn as_slice(&self) -> &[u8] {
        &self.bytes
    }

    /// Number of bytes.
    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }
}

impl Drop for FrozenBuffer {
    fn drop(&mut self) {
        let bytes = std::mem::take(&mut self.bytes);
        if let Ok(buf) = bytes.try_into_mut() {
            self.budget.give_back(buf);
        }
        drop(self.permit.take());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn buffers_are_charged_and_returned() {
        let budget = BufferBudget::new(64 * 1024);
        let a = budget.acquire(32 * 1024).await.unwrap();
        assert_eq!(budget.stats().in_use_bytes, 32 * 1024);
        let b = budget.try_acquire(32 * 1024).unwrap();
        assert!(b.is_some());
        assert!(budget.try_acquire(1).unwrap().is_none(), "budget exhausted");
        drop(a);
        drop(b);
        let stats = budget.stats();
        assert_eq!(stats.in_use_bytes, 0);
        assert_eq!(stats.pooled_bytes, 64 * 1024);
    }

    #[tokio::test]
    async fn released_buffers_are_reused_not_reallocated() {
        let budget = BufferBudget::new(1024 * 1024);
        for _ in 0..10 {
            let mut buf = budget.acquire(100 * 1024).await.unwrap();
            buf.extend_from_slice(&[7u8; 100 * 1024]);
            let frozen = buf.freeze();
            let clone = frozen.bytes();
            drop(clone);
            drop(frozen);
        }
        let stats = budget.stats();
        assert_eq!(stats.allocations, 1);
        assert_eq!(stats.reuses, 9);
    }

    #[tokio::test]
    async fn waiting_acquire_resumes_when_memory_is_released() {
        let budget = BufferBudget::new(16 * 1024);
        let held = budget.acquire(16 * 1024).await.unwrap();
        let b2 = budget.clone();
        let waiter = tokio::spawn(async move { b2.acquire(8 * 1024).await.map(|b| b.len()) });
        tokio::task::yield_now().await;
        assert!(!waiter.is_finished(), "must wait for the budget");
        drop(held);
        assert_eq!(waiter.await.unwrap().unwrap(), 0);
    }

    #[tokio::test]
    async fn oversized_requests_are_refused() {
        let budget = BufferBudget::new(8 * 1024);
        assert!(matches!(
            budget.acquire(9 * 1024).await,
            Err(DataError::Config(_))
        ));
    }

    #[tokio::test]
    async fn pool_never_exceeds_budget_when_sizes_change() {
        let budget = BufferBudget::new(64 * 1024);
        let a = budget.acquire(16 * 1024).await.unwrap();
        let b = budget.acquire(16 * 1024).await.unwrap();
        drop(a);
        drop(b);
        let big = budget.acquire(60 * 1024).await.unwrap();
        let stats = budget.stats();
        assert!(stats.pooled_bytes + stats.in_use_bytes <= stats.total_bytes);
        drop(big);
    }

    #[test]
    fn write_at_fills_gaps_and_overwrites() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let budget = BufferBudget::new(4096);
        let mut buf = rt.block_on(budget.acquire(16)).unwrap();
        buf.write_at(4, b"efgh");
        buf.write_at(0, b"abcd");
        buf.write_at(6, b"GHij");
        assert_eq!(buf.as_slice(), b"abcdefGHij");
    }
}
