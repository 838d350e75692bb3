//! The orphan sweep: Pending images with no live handle here and no live writer lease elsewhere
//! whose descriptor is older than `orphan_age_secs` (a crashed writer, or a checkpoint nobody
//! resumed), and multipart uploads
//! older than that which belong to no live Pending image.

use std::time::{Duration, SystemTime};

use ost_model::image_key::{image_prefix, root_prefix};
use ost_model::{ImageState, LsuName, OstError};

use super::Server;
use crate::image::other_live_writer;
use crate::types::{unix_now, SweepReport};

impl Server {
    /// Sweeps every LSU of the server with the configured orphan age.
    pub(crate) async fn sweep_orphans(&self) -> Result<SweepReport, OstError> {
        let age = self.config().orphan_age();
        let mut report = SweepReport::default();
        for lsu in self.list_lsus().await? {
            let swept = self.sweep_one_lsu(&lsu, age, false).await?;
            report.images_removed.extend(swept.images_removed);
            report.uploads_aborted += swept.uploads_aborted;
        }
        Ok(report)
    }

    /// Sweeps one LSU: removes (or, with `dry_run`, only reports) orphaned Pending images and
    /// multipart uploads older than `age`. A dry run walks the same path and applies the same
    /// rules; only the removals are skipped, so it reports what the sweep would do now.
    pub(crate) async fn sweep_one_lsu(
        &self,
        lsu: &LsuName,
        age: Duration,
        dry_run: bool,
    ) -> Result<SweepReport, OstError> {
        let cutoff = SystemTime::now()
            .checked_sub(age)
            .unwrap_or(SystemTime::UNIX_EPOCH);
        let cutoff_unix = cutoff
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let mut report = SweepReport::default();
        // Prefixes the upload sweep leaves alone: images still alive, and orphans whose uploads
        // go with the image (counted as the image, not as stale uploads).
        let mut skip = Vec::new();
        for (id, modified) in self.image_ids(lsu, &root_prefix()).await? {
            if self.busy_state(lsu, &id).is_some() {
                skip.push(image_prefix(&id));
                continue;
            }
            let d = match self.load_descriptor(lsu, &id).await {
                Ok(Some(d)) => d,
                Ok(None) => continue,
                Err(e) => {
                    tracing::warn!(%lsu, image = %id, error = %e, "sweep skips an unreadable descriptor");
                    continue;
                }
            };
            if d.state != ImageState::Pending {
                continue;
            }
            skip.push(image_prefix(&id));
            if other_live_writer(&d, self.config().writer_lease(), unix_now()).is_some() {
                // A writer in another process is alive: never an orphan, however old.
                continue;
            }
            if modified > cutoff_unix {
                continue;
            }
            if !dry_run {
                tracing::info!(%lsu, image = %id, "sweep removes an orphaned pending image");
                self.remove_image_objects(lsu, &id).await?;
            }
            report.images_removed.push((lsu.clone(), id));
        }
        report.uploads_aborted = self
            .store()
            .sweep_uploads(lsu, &root_prefix(), Some(cutoff), &skip, dry_run)
            .await?;
        if report.uploads_aborted > 0 && !dry_run {
            tracing::info!(%lsu, aborted = report.uploads_aborted, "sweep aborted stale multipart uploads");
        }
        Ok(report)
    }
}
