//! Server-side image copies within the cluster. A copy lands complete or not at all: the
//! destination descriptor is Pending while data moves and becomes Complete last; any failure or
//! cancellation removes everything of the destination.

use ost_model::image_key::{data_prefix, nbmeta_key, ObjectKind};
use ost_model::{ImageKey, ImageState, OstError};

use super::Server;
use crate::ops::Progress;
use crate::stats::Tally;
use crate::types::{unix_now, CopyRequest};

impl Server {
    /// Copies a Complete image; returns the bytes copied.
    pub(crate) async fn copy_image(
        &self,
        req: &CopyRequest,
        progress: Option<&Progress>,
    ) -> Result<u64, OstError> {
        self.check_lsu(&req.src_lsu).await?;
        self.check_lsu(&req.dst_lsu).await?;
        let src = self.require_descriptor(&req.src_lsu, &req.src).await?;
        if src.state != ImageState::Complete {
            return Err(OstError::Busy {
                cause: format!("image {} is not complete; it cannot be copied", req.src),
            });
        }
        let dst_id = req.dst.id();
        if req.src_lsu == req.dst_lsu && req.src == dst_id {
            return Err(OstError::InvalidArgument {
                cause: "an image cannot be copied onto itself".to_owned(),
            });
        }
        if let Some(p) = progress {
            p.set_total(src.byte_size);
        }
        self.claim_write(&req.dst_lsu, &dst_id)?;
        let mut pending = src.clone();
        pending.image.def = req.dst.clone();
        pending.state = ImageState::Pending;
        pending.completed_unix = None;
        pending.created_unix = unix_now();
        pending.retain_until_unix = None;
        let created = self.save_descriptor(&req.dst_lsu, &pending, true).await;
        let result = match created {
            Ok(()) => {
                let r = self.copy_objects(req, &src, progress).await;
                if r.is_err() {
                    if let Err(e) = self
                        .remove_image_objects(&req.dst_lsu, &dst_id, Some(&pending))
                        .await
                    {
                        tracing::warn!(error = %e, image = %dst_id, "removing a failed copy was incomplete");
                    }
                }
                r
            }
            Err(e) => Err(e),
        };
        self.release(&req.dst_lsu, &dst_id);
        let bytes = result?;
        self.stats().add(&req.dst_lsu, Tally::Copied(bytes));
        tracing::info!(src = %req.src, dst = %dst_id, bytes, "image copied");
        Ok(bytes)
    }

    async fn copy_objects(
        &self,
        req: &CopyRequest,
        src: &ost_model::ImageDescriptor,
        progress: Option<&Progress>,
    ) -> Result<u64, OstError> {
        let dst_id = req.dst.id();
        let mut bytes = 0;
        for o in self
            .store()
            .list(&req.src_lsu, &data_prefix(&req.src))
            .await?
        {
            if progress.is_some_and(Progress::cancelled) {
                return Err(OstError::Cancelled {
                    cause: format!("copy of {} cancelled", req.src),
                });
            }
            let Ok(ImageKey {
                kind: ObjectKind::DataSegment(n),
                ..
            }) = ImageKey::parse(&o.key)
            else {
                continue;
            };
            let dst_key = ImageKey::new(dst_id.clone(), ObjectKind::DataSegment(n)).to_key();
            let n = self
                .store()
                .copy_object(&req.src_lsu, &o.key, &req.dst_lsu, &dst_key)
                .await?;
            bytes += n;
            if let Some(p) = progress {
                p.add_done(n);
            }
        }
        if bytes != src.byte_size {
            return Err(OstError::Corrupt {
                cause: format!(
                    "image {} has {bytes} bytes of segments, its descriptor says {}",
                    req.src, src.byte_size
                ),
            });
        }
        if progress.is_some_and(Progress::cancelled) {
            return Err(OstError::Cancelled {
                cause: format!("copy of {} cancelled", req.src),
            });
        }
        if self
            .store()
            .get(&req.src_lsu, &nbmeta_key(&req.src))
            .await?
            .is_some()
        {
            self.store()
                .copy_object(
                    &req.src_lsu,
                    &nbmeta_key(&req.src),
                    &req.dst_lsu,
                    &nbmeta_key(&dst_id),
                )
                .await?;
        }
        let mut done = src.clone();
        done.image.def = req.dst.clone();
        done.created_unix = unix_now();
        done.completed_unix = Some(unix_now());
        // The destination LSU's WORM policy decides (none: the copy is not locked), counted
        // from the source image's creation, which is when NetBackup counts the copy's expiry.
        let lock = self
            .lock_before_seal(&req.dst_lsu, &mut done, src.created_unix)
            .await?;
        self.save_descriptor(&req.dst_lsu, &done, false).await?;
        self.lock_descriptor(&req.dst_lsu, &dst_id, lock).await?;
        Ok(bytes)
    }
}
