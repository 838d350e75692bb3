//! A byte-rate limit for the requests that carry image bytes (part uploads, single-part
//! segment PUTs, ranged GETs), shared by every writer and reader that holds the same
//! [`Throttle`].
//!
//! A token bucket counted in bytes, with three properties the data path needs:
//!
//! - **The wait comes before the request, never inside it.** [`Throttle::acquire`] returns when
//!   the request's bytes are paid for; the request is then sent at full speed, so the S3
//!   timeouts (which start when the request is sent) never include time spent throttled.
//! - **Fair between streams.** Waiters are served one at a time in the order they asked (a
//!   FIFO lock: tokio's `Mutex` is fair), so every stream with a request waiting gets its turn;
//!   streams with the same request size and the same number of requests in flight move the same
//!   bytes.
//! - **The limit can change at any time.** The rate is read from a caller's function (0 =
//!   unlimited) on every request and at least every [`RECHECK`] while a request waits;
//!   [`Throttle::changed`] wakes the waiting one at once. Lifting a limit releases every waiter.
//!
//! Nothing is buffered here: a waiting writer holds the part buffer it already took from the
//! [`BufferBudget`](crate::BufferBudget), so memory stays within the budget while throttled.
//! Waiting is a timer sleep, never a busy loop.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// How often a waiting request reads the rate again (a schedule boundary or a change made
/// elsewhere takes effect within this time).
pub const RECHECK: Duration = Duration::from_millis(250);

/// The most a bucket saves up while idle: this many seconds at the current rate (a stream that
/// starts after a pause goes at once for this long, then at the rate).
const BURST_SECS: f64 = 0.1;

/// A shared byte-rate limit. Cheap to clone: clones share one bucket.
#[derive(Clone)]
pub struct Throttle {
    inner: Arc<Inner>,
}

struct Inner {
    /// The limit in bytes per second; 0 = unlimited.
    rate: Box<dyn Fn() -> u64 + Send + Sync>,
    /// Held by the one request being paid for; the others queue in order.
    turn: tokio::sync::Mutex<()>,
    bucket: Mutex<Bucket>,
    changed: tokio::sync::Notify,
}

struct Bucket {
    /// Bytes available (negative: owed).
    level: f64,
    at: Instant,
    /// Total time requests spent waiting, for statistics.
    waited: Duration,
    /// Bytes that had to wait.
    throttled_bytes: u64,
}

impl std::fmt::Debug for Throttle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Throttle")
            .field("bytes_per_sec", &self.rate())
            .finish()
    }
}

impl Throttle {
    /// A throttle whose limit, in bytes per second, `rate` answers (0 = unlimited). It is
    /// called once per request and while a request waits, so it must be cheap.
    pub fn new(rate: impl Fn() -> u64 + Send + Sync + 'static) -> Self {
        Self {
            inner: Arc::new(Inner {
                rate: Box::new(rate),
                turn: tokio::sync::Mutex::new(()),
                bucket: Mutex::new(Bucket {
                    level: 0.0,
                    at: Instant::now(),
                    waited: Duration::ZERO,
                    throttled_bytes: 0,
                }),
                changed: tokio::sync::Notify::new(),
            }),
        }
    }

    /// A throttle that never waits.
    pub fn unlimited() -> Self {
        Self::new(|| 0)
    }

    /// The current limit in bytes per second (0 = unlimited).
    pub fn rate(&self) -> u64 {
        (self.inner.rate)()
    }

    /// Tells a waiting request that the rate may have changed (it reads it again at once).
    pub fn changed(&self) {
        self.inner.changed.notify_waiters();
    }

    /// Total time requests have waited and the bytes they carried, since the throttle was made.
    pub fn waited(&self) -> (Duration, u64) {
        let b = self.bucket();
        (b.waited, b.throttled_bytes)
    }

    fn bucket(&self) -> std::sync::MutexGuard<'_, Bucket> {
        self.inner
            .bucket
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Waits until a request of `bytes` may be sent. Returns at once while unlimited.
    pub async fn acquire(&self, bytes: u64) {
        if bytes == 0 || self.rate() == 0 {
            return;
        }
        let _turn = self.inner.turn.lock().await;
        let started = Instant::now();
        let mut charged = false;
        loop {
            // Registered before the rate is read, so a change made after the read wakes it.
            let notified = self.inner.changed.notified();
            let rate = self.rate();
            let wait = {
                let mut b = self.bucket();
                let now = Instant::now();
                if rate == 0 {
                    b.level = 0.0;
                    b.at = now;
                    None
                } else {
                    let rate = rate as f64;
                    let elapsed = now.saturating_duration_since(b.at).as_secs_f64();
                    b.level = (b.level + elapsed * rate).min(rate * BURST_SECS);
                    b.at = now;
                    if !charged {
                        b.level -= bytes as f64;
                        charged = true;
                    }
                    (b.level < 0.0).then(|| Duration::from_secs_f64(-b.level / rate))
                }
            };
            let Some(wait) = wait else { break };
            tokio::select! {
                () = tokio::time::sleep(wait.min(RECHECK)) => {}
                () = notified => {}
            }
        }
        let waited = started.elapsed();
        if waited >= Duration::from_millis(1) {
            let mut b = self.bucket();
            b.waited += waited;
            b.throttled_bytes += bytes;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU64, Ordering};

    const MIB: u64 = 1 << 20;

    #[tokio::test]
    async fn unlimited_never_waits() {
        let t = Throttle::unlimited();
        for _ in 0..1000 {
            t.acquire(64 * MIB).await;
        }
        assert_eq!(t.waited(), (Duration::ZERO, 0));
    }

    #[tokio::test]
    async fn a_limit_paces_requests_and_lifting_it_releases_the_waiter() {
        let rate = Arc::new(AtomicU64::new(MIB));
        let r = rate.clone();
        let t = Throttle::new(move || r.load(Ordering::Relaxed));
        // 1 MiB/s: a 4 MiB request is paid for only after ~4 s; lift the limit meanwhile.
        let waiter = {
            let t = t.clone();
            tokio::spawn(async move { t.acquire(4 * MIB).await })
        };
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert!(!waiter.is_finished(), "a 4 MiB request at 1 MiB/s waits");
        rate.store(0, Ordering::Relaxed);
        t.changed();
        tokio::time::timeout(Duration::from_secs(2), waiter)
            .await
            .expect("lifting the limit releases the waiting request")
            .unwrap();
    }

    #[tokio::test]
    async fn waiters_are_served_in_the_order_they_asked() {
        let t = Throttle::new(|| 64 * MIB);
        let order = Arc::new(Mutex::new(Vec::new()));
        let mut tasks = Vec::new();
        for i in 0..6u32 {
            let (t, order) = (t.clone(), order.clone());
            tasks.push(tokio::spawn(async move {
                t.acquire(8 * MIB).await;
                order.lock().unwrap().push(i);
            }));
            // Let each task queue before the next one asks.
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        for task in tasks {
            task.await.unwrap();
        }
        assert_eq!(*order.lock().unwrap(), vec![0, 1, 2, 3, 4, 5]);
    }
}
