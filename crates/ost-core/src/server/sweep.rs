//! The orphan sweep: Pending images with no live handle here and no live writer lease elsewhere
//! whose descriptor is older than `orphan_age_secs` (a crashed writer, or a checkpoint nobody
//! resumed), and multipart uploads older than that which belong to no live Pending image. A
//! run is full (`vast-ost sweep`) or bounded to a number of descriptors from a start key (the
//! sweep at open, `sweep_lease.rs`); listings go page by page either way. A run that removes
//! first builds the LSU's listing catalogue when it has none (`catalogue.rs`).

use std::time::{Duration, SystemTime};

use ost_model::image_key::{image_prefix, root_prefix};
use ost_model::{ImageId, ImageKey, ImageState, LsuName, OstError};

use super::Server;
use crate::image::other_live_writer;
use crate::store::KeyRange;
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
        let run = self.sweep_run(lsu, age, dry_run, None, None).await?;
        Ok(run.report)
    }

    /// One sweep run over the keys of `lsu` after `after` (from the start when `None`),
    /// examining at most `max_images` descriptors (all when `None`). The run covers a key range
    /// that ends at a descriptor, so the uploads it judges are exactly those of the images it
    /// examined (an image's data keys sort before its descriptor) and of keys of no image.
    pub(crate) async fn sweep_run(
        &self,
        lsu: &LsuName,
        age: Duration,
        dry_run: bool,
        after: Option<String>,
        max_images: Option<usize>,
    ) -> Result<SweepRun, OstError> {
        let cutoff = SystemTime::now()
            .checked_sub(age)
            .unwrap_or(SystemTime::UNIX_EPOCH);
        let cutoff_unix = cutoff
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        if !dry_run {
            self.build_catalogue_if_missing(lsu).await?;
        }
        let mut report = SweepReport::default();
        // Prefixes the upload sweep leaves alone: images still alive, and orphans whose uploads
        // go with the image (counted as the image, not as stale uploads).
        let mut skip = Vec::new();
        let mut cursor = after.clone();
        let mut examined = 0usize;
        let mut stopped_at = None;
        'pages: loop {
            let page = self
                .store()
                .list_page(lsu, &root_prefix(), cursor.as_deref(), SWEEP_PAGE)
                .await?;
            let last_page = page.len() < SWEEP_PAGE;
            for o in page {
                cursor = Some(o.key.clone());
                let Some(id) = ImageKey::descriptor_id(&o.key) else {
                    continue;
                };
                let judged = self.judge(lsu, &id, o.modified_unix > cutoff_unix).await?;
                match judged {
                    Judged::NotPending => {}
                    Judged::Alive => skip.push(image_prefix(&id)),
                    Judged::Orphan => {
                        skip.push(image_prefix(&id));
                        if !dry_run {
                            tracing::info!(%lsu, image = %id, "sweep removes an orphaned pending image");
                            self.remove_image_objects(lsu, &id, None).await?;
                        }
                        report.images_removed.push((lsu.clone(), id));
                    }
                }
                examined += 1;
                if max_images.is_some_and(|m| examined >= m) {
                    stopped_at = Some(o.key);
                    break 'pages;
                }
            }
            if last_page {
                break;
            }
        }
        let range = KeyRange {
            prefix: root_prefix(),
            after,
            until: stopped_at.clone(),
            max: max_images,
        };
        report.uploads_aborted = self
            .store()
            .sweep_uploads(lsu, &range, Some(cutoff), &skip, dry_run)
            .await?;
        if report.uploads_aborted > 0 && !dry_run {
            tracing::info!(%lsu, aborted = report.uploads_aborted, "sweep aborted stale multipart uploads");
        }
        Ok(SweepRun {
            report,
            next: stopped_at,
        })
    }

    /// What the sweep makes of one image: open here, a Pending image with a live writer
    /// elsewhere or a young descriptor are alive; an old Pending one is an orphan.
    async fn judge(&self, lsu: &LsuName, id: &ImageId, young: bool) -> Result<Judged, OstError> {
        if self.busy_state(lsu, id).is_some() {
            return Ok(Judged::Alive);
        }
        let d = match self.load_descriptor(lsu, id).await {
            Ok(Some(d)) => d,
            Ok(None) => return Ok(Judged::NotPending),
            Err(e) => {
                // Unknown is alive: a Pending image's uploads hold bytes reported durable, and
                // one failed read must not make the upload pass abort them.
                tracing::warn!(%lsu, image = %id, error = %e, "sweep skips an unreadable descriptor and leaves the image's uploads");
                return Ok(Judged::Alive);
            }
        };
        if d.state != ImageState::Pending {
            return Ok(Judged::NotPending);
        }
        if other_live_writer(&d, self.config().writer_lease(), unix_now()).is_some() {
            // A writer in another process is alive: never an orphan, however old.
            return Ok(Judged::Alive);
        }
        Ok(if young { Judged::Alive } else { Judged::Orphan })
    }
}

/// Keys listed per request by the sweep.
const SWEEP_PAGE: usize = 1000;

/// One image as the sweep judges it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Judged {
    /// Complete, or gone since the listing: not the sweep's business.
    NotPending,
    /// Open here, written elsewhere, younger than the orphan age, or its descriptor unreadable
    /// now: it and its uploads are left.
    Alive,
    /// An orphan: removed.
    Orphan,
}

/// What one sweep run did and where the next should start.
#[derive(Debug, Default)]
pub(crate) struct SweepRun {
    /// What it removed.
    pub(crate) report: SweepReport,
    /// The last descriptor key it examined when its bound stopped it; `None` when it reached
    /// the end of the LSU (the next run starts from the beginning).
    pub(crate) next: Option<String>,
}
