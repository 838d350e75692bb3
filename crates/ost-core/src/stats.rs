//! In-process statistics: bytes and operations per server and per LSU.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Instant;

use ost_model::LsuName;

use crate::types::{Counters, Statistics};

/// What happened, to count.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Tally {
    /// Bytes written.
    Written(u64),
    /// Bytes read.
    Read(u64),
    /// Bytes copied.
    Copied(u64),
    /// An image created.
    Created,
    /// An image completed.
    Completed,
    /// An image deleted.
    Deleted,
}

#[derive(Default)]
struct Inner {
    server: Counters,
    lsus: BTreeMap<LsuName, Counters>,
    last_sample: Option<(Instant, u64)>,
}

/// Counters of one server.
#[derive(Default)]
pub(crate) struct Stats {
    inner: Mutex<Inner>,
}

fn apply(c: &mut Counters, t: Tally) {
    match t {
        Tally::Written(n) => c.bytes_written += n,
        Tally::Read(n) => c.bytes_read += n,
        Tally::Copied(n) => c.bytes_copied += n,
        Tally::Created => c.images_created += 1,
        Tally::Completed => c.images_completed += 1,
        Tally::Deleted => c.images_deleted += 1,
    }
}

impl Stats {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Counts `t` for the server and `lsu`.
    pub(crate) fn add(&self, lsu: &LsuName, t: Tally) {
        let mut g = self.lock();
        apply(&mut g.server, t);
        apply(g.lsus.entry(lsu.clone()).or_default(), t);
    }

    /// Counts one operation and whether it failed.
    pub(crate) fn op(&self, lsu: Option<&LsuName>, failed: bool) {
        let mut g = self.lock();
        g.server.operations += 1;
        g.server.errors += u64::from(failed);
        if let Some(l) = lsu {
            let c = g.lsus.entry(l.clone()).or_default();
            c.operations += 1;
            c.errors += u64::from(failed);
        }
    }

    /// A snapshot; throughput is measured since the previous snapshot.
    pub(crate) fn snapshot(&self, open_images: usize) -> Statistics {
        let mut g = self.lock();
        let now = Instant::now();
        let moved = g.server.bytes_written + g.server.bytes_read;
        let throughput_bps = match g.last_sample {
            Some((t, before)) => {
                let secs = now.duration_since(t).as_secs_f64();
                if secs > 0.0 {
                    moved.saturating_sub(before) as f64 / secs
                } else {
                    0.0
                }
            }
            None => 0.0,
        };
        g.last_sample = Some((now, moved));
        Statistics {
            server: g.server.clone(),
            lsus: g.lsus.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
            throughput_bps,
            open_images,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_per_server_and_lsu() {
        let s = Stats::default();
        let a = LsuName::new("aaa").unwrap();
        let b = LsuName::new("bbb").unwrap();
        s.add(&a, Tally::Written(10));
        s.add(&b, Tally::Written(5));
        s.add(&a, Tally::Completed);
        s.op(Some(&a), true);
        let snap = s.snapshot(2);
        assert_eq!(snap.server.bytes_written, 15);
        assert_eq!(snap.server.errors, 1);
        assert_eq!(snap.lsus[0].1.bytes_written, 10);
        assert_eq!(snap.lsus[0].1.images_completed, 1);
        assert_eq!(snap.lsus[1].1.bytes_written, 5);
        assert_eq!(snap.open_images, 2);
    }
}
