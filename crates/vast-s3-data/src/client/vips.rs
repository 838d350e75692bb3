//! Spreading requests over several endpoints of one S3 service (a VAST cluster's VIPs, one per
//! CNode), and taking an endpoint out of rotation while it does not answer.
//!
//! Every attempt of every request (each part upload, each read-ahead GET, each retry) picks
//! the up endpoint with the fewest requests outstanding, ties broken round-robin; when every
//! endpoint is down, the one down longest (it is the likeliest to be back). The pick is made in
//! an SDK interceptor just before signing, which rewrites the request's scheme and authority
//! (path-style addressing keeps the bucket in the path, so nothing else changes) and parks a
//! guard in the request's config bag: the endpoint's outstanding count drops when the attempt
//! ends, or when a cancelled request drops its bag. An attempt that failed to connect or timed
//! out marks its endpoint down; the SDK's standard retry then resolves onto another one. A
//! background probe (which holds the pool weakly, so it ends with the client) tries a TCP
//! connect to each down endpoint every [`PROBE_INTERVAL`] and puts it back when it answers.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock, Weak};
use std::time::{Duration, Instant};

use aws_sdk_s3::config::interceptors::{
    BeforeTransmitInterceptorContextMut, FinalizerInterceptorContextRef,
};
use aws_sdk_s3::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::orchestrator::OrchestratorError;
use aws_smithy_types::config_bag::{Storable, StoreReplace};
use http::uri::{Authority, Scheme};

use crate::error::{DataError, Result};

/// How often a down endpoint is probed.
pub const PROBE_INTERVAL: Duration = Duration::from_secs(2);

/// One endpoint of the pool.
#[derive(Debug)]
struct Slot {
    /// `scheme://host:port`, as configured.
    url: String,
    scheme: Scheme,
    authority: Authority,
    outstanding: AtomicUsize,
    requests: AtomicU64,
    failures: AtomicU64,
    /// When it was taken out of rotation; `None` while up.
    down_since: Mutex<Option<Instant>>,
}

impl Slot {
    fn parse(url: &str) -> Result<Self> {
        let trimmed = url.trim_end_matches('/');
        let uri: http::Uri = trimmed
            .parse()
            .map_err(|e| DataError::Config(format!("endpoint {url}: {e}")))?;
        let (Some(scheme), Some(authority)) = (uri.scheme().cloned(), uri.authority().cloned())
        else {
            return Err(DataError::Config(format!(
                "endpoint {url} must be scheme://host[:port]"
            )));
        };
        if scheme != Scheme::HTTP && scheme != Scheme::HTTPS {
            return Err(DataError::Config(format!(
                "endpoint {url} must start with http:// or https://"
            )));
        }
        Ok(Self {
            url: trimmed.to_owned(),
            scheme,
            authority,
            outstanding: AtomicUsize::new(0),
            requests: AtomicU64::new(0),
            failures: AtomicU64::new(0),
            down_since: Mutex::new(None),
        })
    }

    fn down_since(&self) -> Option<Instant> {
        *self
            .down_since
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn set_down(&self, down: bool) -> bool {
        let mut since = self
            .down_since
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let changed = since.is_some() != down;
        if changed {
            *since = down.then(Instant::now);
        }
        changed
    }

    /// `host:port` to probe (brackets of an IPv6 literal removed, default port by scheme).
    fn probe_target(&self) -> (String, u16) {
        let host = self
            .authority
            .host()
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned();
        let port = self
            .authority
            .port_u16()
            .unwrap_or(if self.scheme == Scheme::HTTPS {
                443
            } else {
                80
            });
        (host, port)
    }
}

/// What one endpoint of an [`EndpointPool`] has done (for logs and tests).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EndpointStat {
    /// `scheme://host:port`.
    pub url: String,
    /// In rotation (not marked down).
    pub up: bool,
    /// Attempts in flight now.
    pub outstanding: usize,
    /// Attempts sent to it so far.
    pub requests: u64,
    /// Attempts that failed to connect or timed out there.
    pub failures: u64,
}

/// The endpoints requests are spread over. Shared by a client and its clones.
#[derive(Debug)]
pub struct EndpointPool {
    slots: RwLock<Vec<Arc<Slot>>>,
    next: AtomicUsize,
    probing: AtomicBool,
}

impl EndpointPool {
    /// A pool of `urls` (`http(s)://host[:port]` each; at least one).
    pub fn new(urls: &[String]) -> Result<Arc<Self>> {
        let pool = Arc::new(Self {
            slots: RwLock::new(Vec::new()),
            next: AtomicUsize::new(0),
            probing: AtomicBool::new(false),
        });
        pool.set(urls)?;
        Ok(pool)
    }

    /// Replaces the endpoint list. Endpoints already in the pool keep their state and
    /// counters; attempts in flight on a removed one finish there.
    pub fn set(&self, urls: &[String]) -> Result<()> {
        if urls.is_empty() {
            return Err(DataError::Config("no S3 endpoint".to_owned()));
        }
        let mut fresh = Vec::with_capacity(urls.len());
        {
            let old = self.slots.read().unwrap_or_else(PoisonError::into_inner);
            for url in urls {
                let parsed = Slot::parse(url)?;
                if fresh.iter().any(|s: &Arc<Slot>| s.url == parsed.url) {
                    continue;
                }
                let kept = old.iter().find(|s| s.url == parsed.url).cloned();
                fresh.push(kept.unwrap_or_else(|| Arc::new(parsed)));
            }
        }
        *self.slots.write().unwrap_or_else(PoisonError::into_inner) = fresh;
        Ok(())
    }

    /// Each endpoint's state and counters, in list order.
    pub fn stats(&self) -> Vec<EndpointStat> {
        self.slots
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .map(|s| EndpointStat {
                url: s.url.clone(),
                up: s.down_since().is_none(),
                outstanding: s.outstanding.load(Ordering::Relaxed),
                requests: s.requests.load(Ordering::Relaxed),
                failures: s.failures.load(Ordering::Relaxed),
            })
            .collect()
    }

    /// The endpoint for the next attempt, counted as outstanding until the guard drops.
    fn pick(&self) -> Option<SlotGuard> {
        let slots = self.slots.read().unwrap_or_else(PoisonError::into_inner);
        let n = slots.len();
        if n == 0 {
            return None;
        }
        let start = self.next.fetch_add(1, Ordering::Relaxed) % n;
        let mut best: Option<(&Arc<Slot>, usize)> = None;
        let mut longest_down: Option<(&Arc<Slot>, Instant)> = None;
        for i in 0..n {
            let slot = &slots[(start + i) % n];
            match slot.down_since() {
                None => {
                    let load = slot.outstanding.load(Ordering::Relaxed);
                    if best.is_none_or(|(_, b)| load < b) {
                        best = Some((slot, load));
                    }
                }
                Some(since) => {
                    if longest_down.is_none_or(|(_, s)| since < s) {
                        longest_down = Some((slot, since));
                    }
                }
            }
        }
        let slot = best.map(|(s, _)| s).or(longest_down.map(|(s, _)| s))?;
        Some(SlotGuard::new(slot.clone()))
    }

    /// Takes `slot` out of rotation and makes sure a probe will bring it back. A pool of one
    /// endpoint only counts the failure: there is nowhere else to go.
    fn mark_down(self: &Arc<Self>, slot: &Slot) {
        slot.failures.fetch_add(1, Ordering::Relaxed);
        let several = self
            .slots
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
            > 1;
        if !several {
            return;
        }
        if slot.set_down(true) {
            tracing::warn!(endpoint = %slot.url, "S3 endpoint out of rotation (connect failure or timeout)");
        }
        if !self.probing.swap(true, Ordering::AcqRel) {
            match tokio::runtime::Handle::try_current() {
                Ok(runtime) => {
                    runtime.spawn(probe(Arc::downgrade(self)));
                }
                Err(_) => self.probing.store(false, Ordering::Release),
            }
        }
    }
}

/// Probes the down endpoints until none is left or the pool is gone.
async fn probe(pool: Weak<EndpointPool>) {
    loop {
        tokio::time::sleep(PROBE_INTERVAL).await;
        let Some(strong) = pool.upgrade() else { return };
        let down: Vec<Arc<Slot>> = strong
            .slots
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .filter(|s| s.down_since().is_some())
            .cloned()
            .collect();
        if down.is_empty() {
            strong.probing.store(false, Ordering::Release);
            return;
        }
        drop(strong);
        for slot in down {
            let (host, port) = slot.probe_target();
            let connect = tokio::net::TcpStream::connect((host.as_str(), port));
            if let Ok(Ok(_)) = tokio::time::timeout(PROBE_INTERVAL, connect).await {
                if slot.set_down(false) {
                    tracing::info!(endpoint = %slot.url, "S3 endpoint back in rotation");
                }
            }
        }
    }
}

/// One attempt's hold on an endpoint: counted outstanding until dropped.
#[derive(Debug)]
struct SlotGuard(Arc<Slot>);

impl SlotGuard {
    fn new(slot: Arc<Slot>) -> Self {
        slot.outstanding.fetch_add(1, Ordering::Relaxed);
        slot.requests.fetch_add(1, Ordering::Relaxed);
        Self(slot)
    }
}

impl Drop for SlotGuard {
    fn drop(&mut self) {
        self.0.outstanding.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Storable for SlotGuard {
    type Storer = StoreReplace<Self>;
}

/// The SDK interceptor that points each attempt at a pool endpoint (see the module docs).
#[derive(Debug)]
pub(crate) struct SpreadInterceptor {
    pub(crate) pool: Arc<EndpointPool>,
}

impl Intercept for SpreadInterceptor {
    fn name(&self) -> &'static str {
        "vast-s3-data endpoint spread"
    }

    fn modify_before_signing(
        &self,
        context: &mut BeforeTransmitInterceptorContextMut<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> std::result::Result<(), BoxError> {
        let Some(guard) = self.pool.pick() else {
            return Ok(());
        };
        let request = context.request_mut();
        let uri: http::Uri = request.uri().parse()?;
        let mut parts = uri.into_parts();
        parts.scheme = Some(guard.0.scheme.clone());
        parts.authority = Some(guard.0.authority.clone());
        let rewritten = http::Uri::from_parts(parts)?;
        request.set_uri(rewritten)?;
        // Replacing the previous attempt's guard (if any) releases it.
        cfg.interceptor_state().store_put(guard);
        Ok(())
    }

    fn read_after_attempt(
        &self,
        context: &FinalizerInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> std::result::Result<(), BoxError> {
        let failed_there = matches!(
            context.inner().output_or_error(),
            Some(Err(error)) if unreachable(error)
        );
        if failed_there {
            if let Some(guard) = cfg.load::<SlotGuard>() {
                self.pool.mark_down(&guard.0);
            }
        }
        cfg.interceptor_state().unset::<SlotGuard>();
        Ok(())
    }
}

/// Whether an attempt's error says its endpoint does not answer: the connection could not be
/// made, or the attempt timed out. A connection reset mid-transfer does not count (the SDK
/// retries it; a dead endpoint then fails to connect).
fn unreachable<E>(error: &OrchestratorError<E>) -> bool {
    if error.is_timeout_error() {
        return true;
    }
    let Some(connector) = error.as_connector_error() else {
        return false;
    };
    if connector.is_timeout() {
        return true;
    }
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(connector);
    while let Some(s) = source {
        if let Some(h) = s.downcast_ref::<hyper_util::client::legacy::Error>() {
            if h.is_connect() {
                return true;
            }
        }
        source = s.source();
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn urls(n: usize) -> Vec<String> {
        (1..=n)
            .map(|i| format!("http://127.0.0.{i}:9000"))
            .collect()
    }

    fn pool(n: usize) -> Arc<EndpointPool> {
        EndpointPool::new(&urls(n)).unwrap()
    }

    fn picked(guard: &SlotGuard) -> &str {
        &guard.0.url
    }

    #[test]
    fn ties_go_round_robin_and_load_goes_to_the_least_busy() {
        let pool = pool(3);
        // Nothing outstanding: each pick releases its guard, so every pick is a tie.
        let order: Vec<String> = (0..6)
            .map(|_| picked(&pool.pick().unwrap()).to_owned())
            .collect();
        assert_eq!(order[..3], order[3..]);
        let mut distinct = order[..3].to_vec();
        distinct.sort();
        assert_eq!(distinct, urls(3));
        // Held guards: the next pick goes where fewest are outstanding.
        let a = pool.pick().unwrap();
        let b = pool.pick().unwrap();
        let c = pool.pick().unwrap();
        let busy = pool.pick().unwrap();
        drop(b);
        let freed = pool
            .stats()
            .into_iter()
            .find(|s| s.outstanding == 0)
            .unwrap();
        let next = pool.pick().unwrap();
        assert_eq!(picked(&next), freed.url);
        drop((a, c, busy, next));
        assert!(pool.stats().iter().all(|s| s.outstanding == 0));
    }

    #[test]
    fn a_down_endpoint_gets_nothing_until_it_is_up_again() {
        let pool = pool(3);
        let down = pool.pick().unwrap();
        let down_url = picked(&down).to_owned();
        pool.mark_down(&down.0);
        drop(down);
        for _ in 0..9 {
            assert_ne!(picked(&pool.pick().unwrap()), down_url);
        }
        let stat = pool
            .stats()
            .into_iter()
            .find(|s| s.url == down_url)
            .unwrap();
        assert!(!stat.up);
        assert_eq!(stat.failures, 1);
        let slot = pool
            .slots
            .read()
            .unwrap()
            .iter()
            .find(|s| s.url == down_url)
            .cloned()
            .unwrap();
        slot.set_down(false);
        let seen: Vec<String> = (0..3)
            .map(|_| picked(&pool.pick().unwrap()).to_owned())
            .collect();
        assert!(seen.contains(&down_url), "{seen:?}");
    }

    #[test]
    fn a_single_endpoint_stays_in_rotation_and_counts_its_failures() {
        let pool = pool(1);
        let only = pool.pick().unwrap();
        pool.mark_down(&only.0);
        drop(only);
        let stat = &pool.stats()[0];
        assert!(stat.up && stat.failures == 1, "{stat:?}");
    }

    #[test]
    fn when_all_are_down_the_one_down_longest_is_tried() {
        let pool = pool(2);
        let slots: Vec<Arc<Slot>> = pool.slots.read().unwrap().clone();
        slots[1].set_down(true);
        std::thread::sleep(Duration::from_millis(5));
        slots[0].set_down(true);
        for _ in 0..4 {
            assert_eq!(picked(&pool.pick().unwrap()), slots[1].url);
        }
    }

    #[test]
    fn a_refresh_keeps_the_state_of_endpoints_it_keeps() {
        let pool = pool(3);
        for _ in 0..6 {
            drop(pool.pick());
        }
        let held = pool.pick().unwrap();
        let held_url = picked(&held).to_owned();
        let mut next = vec![held_url.clone(), "http://127.0.0.9:9000".to_owned()];
        next.push(held_url.clone());
        pool.set(&next).unwrap();
        let stats = pool.stats();
        assert_eq!(stats.len(), 2, "duplicates collapse: {stats:?}");
        assert_eq!(stats[0].url, held_url);
        assert_eq!((stats[0].outstanding, stats[0].requests), (1, 3));
        assert_eq!((stats[1].outstanding, stats[1].requests), (0, 0));
        drop(held);
        assert_eq!(pool.stats()[0].outstanding, 0);
        assert!(pool.set(&[]).is_err());
        assert!(pool.set(&["127.0.0.1:9000".to_owned()]).is_err());
        assert_eq!(pool.stats().len(), 2, "a refused list changes nothing");
    }
}
