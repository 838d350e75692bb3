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
    /// multipart uploads older than `age`.
    pub(crate) async fn sweep_one_lsu(
        &self,
        lsu: &LsuName,
        age: Duration,
        dry_run: bool,
    ) -> Result<SweepReport, OstError> {
        let cutoff_unix = unix_now().saturating_sub(age.as_secs());
        let cutoff = SystemTime::now()
            .checked_sub(age)
            .unwrap_or(SystemTime::UNIX_EPOCH)
            + Duration::from_millis(1);
        let mut report = SweepReport::default();
        let mut keep = Vec::new();
        for (id, modified) in self.image_ids(lsu, &root_prefix()).await? {
            if self.busy_state(lsu, &id).is_some() {
                keep.push(image_prefix(&id));
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
            if other_live_writer(&d, self.config().writer_lease(), unix_now()).is_some() {
                // A writer in another process is alive: never an orphan, however old.
                keep.push(image_prefix(&id));
                continue;
            }
            if modified > cutoff_unix {
                keep.push(image_prefix(&id));
                continue;
            }
            if !dry_run {
                tracing::info!(%lsu, image = %id, "sweep removes an orphaned pending image");
                self.remove_image_objects(lsu, &id).await?;
            }
            report.images_removed.push((lsu.clone(), id));
        }
        report.uploads_aborted = if !dry_run {
            let aborted = self
                .store()
                .abort_uploads(lsu, &root_prefix(), Some(cutoff), &keep)
                .await?;
            if aborted > 0 {
                tracing::info!(%lsu, aborted, "sweep aborted stale multipart uploads");
            }
            aborted
        } else if let Some(client) = &self.s3 {
            let uploads =
                vast_s3_data::multipart::list_uploads(client, lsu.as_str(), &root_prefix())
                    .await
                    .map_err(crate::errors::data)?;
            let cutoff_ms = i64::try_from(cutoff_unix.saturating_mul(1000)).unwrap_or(0);
            uploads
                .iter()
                .filter(|u| u.initiated_epoch_ms <= cutoff_ms)
                .filter(|u| !keep.iter().any(|k| u.key.starts_with(k.as_str())))
                .count()
        } else {
            0
        };
        Ok(report)
    }
}
