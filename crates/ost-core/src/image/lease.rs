//! The writer lease: who holds a pending image open for write. The descriptor carries it
//! ([`WriterLease`]); the handle renews it in the background while it is open, so another
//! process, on this media server or another, can tell a live writer (the image is busy: no
//! reopen for write, no delete, no sweep) from one that crashed (the image may be taken over).

use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use ost_model::{ImageDescriptor, ImageId, OstError, WriterLease};

use super::host_name;

/// A lease for a new write handle of this process, renewed at `now`.
pub(crate) fn new_lease(now: u64) -> WriterLease {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let host = host_name();
    let pid = std::process::id();
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let writer_id = format!("{host}:{pid}:{now}.{nanos:09}:{n}");
    WriterLease::new(host, pid, writer_id, now)
}

/// Writer ids of the write handles open in this process (every plugin instance of it).
static HELD_HERE: Mutex<Option<HashSet<String>>> = Mutex::new(None);

fn held_here<T>(f: impl FnOnce(&mut HashSet<String>) -> T) -> T {
    let mut guard = HELD_HERE
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    f(guard.get_or_insert_with(HashSet::new))
}

/// Records that a write handle of this process holds the lease `writer_id`.
pub(crate) fn hold(writer_id: &str) {
    held_here(|set| set.insert(writer_id.to_owned()));
}

/// Records that the handle holding `writer_id` is closed or gone: a lease of this process
/// that no handle holds any more lapses at once (a save that was to release it may have failed).
pub(crate) fn let_go(writer_id: &str) {
    held_here(|set| set.remove(writer_id));
}

/// When a write handle last stored its lease while that lease was surely its own, so later
/// descriptor writes need not read it back: another process takes a lease over only once it
/// was not renewed within the lease age by that process's clock.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SureSince {
    at: Instant,
    wall: SystemTime,
}

impl SureSince {
    /// Now: taken with the renewal time stored in the lease (which is rounded down to the
    /// second, allowed for in [`SureSince::holds`]).
    pub(crate) fn now() -> Self {
        Self {
            at: Instant::now(),
            wall: SystemTime::now(),
        }
    }

    /// Whether the lease stored then is still surely ours: less than half the lease age, less
    /// the second the stored renewal time is rounded down by, has passed on the monotonic
    /// clock and on the wall clock (which also counts a host suspended meanwhile). The other
    /// half is left for clocks that disagree.
    pub(crate) fn holds(&self, max_age: Duration) -> bool {
        let window = max_age.saturating_sub(Duration::from_secs(1)) / 2;
        self.at.elapsed() < window
            && SystemTime::now()
                .duration_since(self.wall)
                .is_ok_and(|d| d < window)
    }
}

/// How often an open write handle renews its lease: a quarter of the lease, at least 1 s.
pub(crate) fn renew_every(lease: Duration) -> Duration {
    (lease / 4).max(Duration::from_secs(1))
}

/// The lease of a live writer on `d`, if one holds it: a lease is lapsed when it was not renewed
/// within `max_age`, when its holder ran on this host and that process is gone (a crashed
/// writer is taken over at once, not after the lease age), or when it is this process's and no
/// handle of it holds the lease any more.
pub(crate) fn other_live_writer(
    d: &ImageDescriptor,
    max_age: Duration,
    now: u64,
) -> Option<&WriterLease> {
    let lease = d.writer_lease.as_ref()?;
    lapsed_because(lease, max_age, now)
        .is_none()
        .then_some(lease)
}

/// Why `lease` no longer holds, or `None` while another live writer holds it.
pub(crate) fn lapsed_because(lease: &WriterLease, max_age: Duration, now: u64) -> Option<String> {
    let here = lease.host == host_name();
    if here && lease.pid == std::process::id() && !held_here(|set| set.contains(&lease.writer_id)) {
        return Some("no handle of this process holds it any more".to_owned());
    }
    if !lease.is_fresh(now, max_age.as_secs()) {
        return Some(format!(
            "it was last renewed {} s ago (writer_lease_secs = {})",
            now.saturating_sub(lease.renewed_unix),
            max_age.as_secs()
        ));
    }
    if here && !process_alive(lease.pid) {
        return Some(format!("its process {} on this host is gone", lease.pid));
    }
    None
}

/// [`OstError::Busy`] for an image another live writer holds.
pub(crate) fn busy(id: &ImageId, lease: &WriterLease, now: u64) -> OstError {
    OstError::Busy {
        cause: format!(
            "image {id} is being written by {} (pid {}), lease renewed {} s ago",
            lease.host,
            lease.pid,
            now.saturating_sub(lease.renewed_unix)
        ),
    }
}

/// True unless process `pid` of this host is known to be gone (no `/proc` entry, or a zombie).
/// Where `/proc` cannot tell, the process counts as alive: the lease age decides then.
fn process_alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        // The state is the first field after the command name, which ends at the last ')'.
        Ok(stat) => !matches!(
            stat.rsplit_once(')')
                .and_then(|(_, rest)| rest.trim_start().chars().next()),
            Some('Z' | 'X')
        ),
        Err(e) => e.kind() != std::io::ErrorKind::NotFound,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lease(host: String, pid: u32, renewed: u64) -> WriterLease {
        WriterLease::new(host, pid, "w", renewed)
    }

    #[test]
    fn a_fresh_lease_of_a_live_process_holds() {
        // The parent of this test process is alive and is not this process.
        let parent = std::os::unix::process::parent_id();
        let l = lease(host_name(), parent, 1_000);
        assert_eq!(lapsed_because(&l, Duration::from_secs(60), 1_010), None);
        let other_host = lease("another-media-server".to_owned(), 1, 1_000);
        assert_eq!(
            lapsed_because(&other_host, Duration::from_secs(60), 1_059),
            None
        );
    }

    #[test]
    fn a_lease_lapses_with_age_or_with_its_process() {
        let old = lease("another-media-server".to_owned(), 1, 1_000);
        let why = lapsed_because(&old, Duration::from_secs(60), 1_060).unwrap();
        assert!(why.contains("60 s ago"), "{why}");
        let mine = lease(host_name(), std::process::id(), 1_000);
        hold("w");
        assert_eq!(lapsed_because(&mine, Duration::from_secs(60), 1_000), None);
        let_go("w");
        let why = lapsed_because(&mine, Duration::from_secs(60), 1_000).unwrap();
        assert!(why.contains("no handle of this process"), "{why}");
        // A pid that cannot exist (beyond the kernel's pid_max).
        let gone = lease(host_name(), u32::MAX - 1, 1_000);
        let why = lapsed_because(&gone, Duration::from_secs(60), 1_000).unwrap();
        assert!(why.contains("is gone"), "{why}");
    }

    #[test]
    fn writer_ids_are_unique_and_renewals_come_four_times_per_lease() {
        assert_ne!(new_lease(5).writer_id, new_lease(5).writer_id);
        assert_eq!(
            renew_every(Duration::from_secs(600)),
            Duration::from_secs(150)
        );
        assert_eq!(renew_every(Duration::from_secs(2)), Duration::from_secs(1));
    }
}
