//! The orphan sweep at open, made cheap: time is cut into intervals of `sweep_interval_secs`,
//! and each LSU is swept at most once per interval by all processes of all media servers
//! together.
//!
//! - **Local marker.** `<state_dir>/sweep/<server>/<interval>`, created exclusively: the first
//!   open of an interval in this state directory goes on, every later one (any process of this
//!   media server) stops here without a request.
//! - **Lease object.** Per LSU, `netbackup/.vast-ost-sweep/<interval>` created create-only
//!   through the data store (where the cluster ignores `If-None-Match`, the store's
//!   check-write-read-back create decides): whoever creates it sweeps that LSU in that
//!   interval; everyone else skips it.
//! - **Bounded run.** The winner examines at most `sweep_max_images` descriptors, starting
//!   after the key where the last finished run stopped (kept in that run's lease object), and
//!   wraps to the start at the end, so a huge LSU is covered over several intervals. It then
//!   records where it stopped in its own lease object and deletes the older ones.

use std::io::ErrorKind;
use std::path::Path;

use ost_model::image_key::{parse_sweep_lease_key, sweep_lease_key, sweep_lease_prefix};
use ost_model::{LsuName, OstError};
use serde::{Deserialize, Serialize};

use super::Server;
use crate::config::state_file_stem;
use crate::types::{unix_now, SweepReport};

/// What a lease object holds.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct LeaseBody {
    /// The interval it is the lease of.
    window: u64,
    /// Who took it (host, process, time): unique per taker, so a create decided by reading
    /// the object back tells takers apart.
    holder: String,
    /// The run finished and `next_after` is where the next one starts.
    #[serde(default)]
    done: bool,
    /// The key after which the next run starts; `None`: from the beginning.
    #[serde(default)]
    next_after: Option<String>,
}

impl Server {
    /// The sweep at open: every LSU whose lease of the current interval this process wins is
    /// swept (bounded); nothing at all when this state directory already tried the interval.
    pub(crate) async fn sweep_at_open(&self, state_dir: &Path) -> Result<SweepReport, OstError> {
        let config = self.config();
        let window = unix_now() / config.sweep_interval_secs.max(1);
        let mut report = SweepReport::default();
        if !claim_locally(state_dir, &state_file_stem(self.name()), window) {
            return Ok(report);
        }
        for lsu in self.list_lsus().await? {
            match self
                .sweep_lsu_in_window(&lsu, window, config.sweep_max_images.max(1))
                .await
            {
                Ok(Some(swept)) => {
                    report.images_removed.extend(swept.images_removed);
                    report.uploads_aborted += swept.uploads_aborted;
                }
                Ok(None) => tracing::debug!(%lsu, window, "another open sweeps this interval"),
                Err(e) => tracing::warn!(%lsu, error = %e, "orphan sweep at open of an LSU failed"),
            }
        }
        Ok(report)
    }

    /// Takes the lease of `window` on `lsu` and sweeps; `None` when another open has it.
    async fn sweep_lsu_in_window(
        &self,
        lsu: &LsuName,
        window: u64,
        max_images: usize,
    ) -> Result<Option<SweepReport>, OstError> {
        let key = sweep_lease_key(window);
        let mut body = LeaseBody {
            window,
            holder: holder(),
            done: false,
            next_after: None,
        };
        match self.store().put(lsu, &key, to_json(&body)?, true).await {
            Ok(()) => {}
            Err(OstError::AlreadyExists { .. }) => return Ok(None),
            Err(e) => return Err(e),
        }
        let older = self.older_leases(lsu, window).await?;
        let mut start = None;
        for (_, old_key) in &older {
            if let Some(old) = self.read_lease(lsu, old_key).await {
                if old.done {
                    start = old.next_after;
                    break;
                }
            }
        }
        let run = self
            .sweep_run(
                lsu,
                self.config().orphan_age(),
                false,
                start,
                Some(max_images),
            )
            .await?;
        body.done = true;
        body.next_after = run.next;
        self.store().put(lsu, &key, to_json(&body)?, false).await?;
        let old_keys: Vec<String> = older.into_iter().map(|(_, k)| k).collect();
        self.store().delete(lsu, &old_keys).await?;
        Ok(Some(run.report))
    }

    /// The lease objects of intervals before `window`, newest first.
    async fn older_leases(
        &self,
        lsu: &LsuName,
        window: u64,
    ) -> Result<Vec<(u64, String)>, OstError> {
        let mut older: Vec<(u64, String)> = self
            .store()
            .list(lsu, &sweep_lease_prefix())
            .await?
            .into_iter()
            .filter_map(|o| parse_sweep_lease_key(&o.key).map(|w| (w, o.key)))
            .filter(|(w, _)| *w < window)
            .collect();
        older.sort_by_key(|o| std::cmp::Reverse(o.0));
        Ok(older)
    }

    /// A lease object's body; an unreadable one counts as absent (logged).
    async fn read_lease(&self, lsu: &LsuName, key: &str) -> Option<LeaseBody> {
        match self.store().get(lsu, key).await {
            Ok(Some(bytes)) => match serde_json::from_slice(&bytes) {
                Ok(body) => Some(body),
                Err(e) => {
                    tracing::warn!(%lsu, key, error = %e, "ignoring an unreadable sweep lease");
                    None
                }
            },
            Ok(None) => None,
            Err(e) => {
                tracing::warn!(%lsu, key, error = %e, "reading a sweep lease failed");
                None
            }
        }
    }
}

fn to_json(body: &LeaseBody) -> Result<Vec<u8>, OstError> {
    serde_json::to_vec(body).map_err(|e| OstError::Internal {
        cause: format!("encoding the sweep lease: {e}"),
    })
}

/// Who takes a lease: host, process and the time to the nanosecond.
fn holder() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!(
        "{}:{}:{nanos}",
        crate::image::host_name(),
        std::process::id()
    )
}

/// Whether this is the first attempt of `window` from this state directory: creates the
/// marker file exclusively and removes the markers of other intervals. A state directory that
/// cannot be written does not stop the sweep (the lease object still bounds it).
fn claim_locally(state_dir: &Path, server_stem: &str, window: u64) -> bool {
    let dir = state_dir.join("sweep").join(server_stem);
    if let Err(e) = crate::private_file::ensure_private_dir(&dir) {
        tracing::warn!(error = %e, "no local sweep marker; asking the cluster");
        return true;
    }
    let marker = dir.join(window.to_string());
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&marker)
    {
        Ok(_) => {}
        Err(e) if e.kind() == ErrorKind::AlreadyExists => return false,
        Err(e) => {
            tracing::warn!(path = %marker.display(), error = %e, "no local sweep marker; asking the cluster");
            return true;
        }
    }
    if let Ok(entries) = std::fs::read_dir(&dir) {
        for entry in entries.flatten() {
            if entry.path() != marker {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_local_claim_per_interval_and_older_markers_go() {
        let dir = tempfile::tempdir().unwrap();
        assert!(claim_locally(dir.path(), "srv", 7));
        assert!(!claim_locally(dir.path(), "srv", 7));
        assert!(claim_locally(dir.path(), "other", 7));
        assert!(claim_locally(dir.path(), "srv", 8));
        let left: Vec<_> = std::fs::read_dir(dir.path().join("sweep").join("srv"))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(left, vec![std::ffi::OsString::from("8")]);
    }
}
