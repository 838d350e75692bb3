//! The orphan sweep: Pending images with no live handle whose descriptor is older than
//! `orphan_age_secs` (a crashed writer, or a checkpoint nobody resumed), and multipart uploads
//! older than that which belong to no live Pending image.

use std::time::{Duration, SystemTime};

use ost_model::image_key::{image_prefix, root_prefix};
use ost_model::{ImageState, OstError};

use super::Server;
use crate::types::{unix_now, SweepReport};

impl Server {
    /// Sweeps every LSU of the server.
    pub(crate) async fn sweep_orphans(&self) -> Result<SweepReport, OstError> {
        let age = self.config().orphan_age();
        let cutoff_unix = unix_now().saturating_sub(age.as_secs());
        let cutoff = SystemTime::now()
            .checked_sub(age)
            .unwrap_or(SystemTime::UNIX_EPOCH)
            + Duration::from_millis(1);
        let mut report = SweepReport::default();
        for lsu in self.list_lsus().await? {
            let mut keep = Vec::new();
            for (id, modified) in self.image_ids(&lsu, &root_prefix()).await? {
                if self.busy_state(&lsu, &id).is_some() {
                    keep.push(image_prefix(&id));
                    continue;
                }
                let d = match self.load_descriptor(&lsu, &id).await {
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
                if modified > cutoff_unix {
                    keep.push(image_prefix(&id));
                    continue;
                }
                tracing::info!(%lsu, image = %id, "sweep removes an orphaned pending image");
                self.remove_image_objects(&lsu, &id).await?;
                report.images_removed.push((lsu.clone(), id));
            }
            let aborted = self
                .store()
                .abort_uploads(&lsu, &root_prefix(), Some(cutoff), &keep)
                .await?;
            if aborted > 0 {
                tracing::info!(%lsu, aborted, "sweep aborted stale multipart uploads");
            }
            report.uploads_aborted += aborted;
        }
        Ok(report)
    }
}
