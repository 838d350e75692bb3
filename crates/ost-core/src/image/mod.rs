//! An open image: the enforced OST lifecycle (ost-api.md 1.5-1.7).
//!
//! ```text
//! create ──► Writing ──write_at*──► close(COMPLETE) ──► descriptor Complete (sealed forever)
//!              │  │                 close(INCOMPLETE) ─► descriptor Pending + checkpoint
//!              │  └─ write error ─► Failed ── close ──► everything removed, error returned
//! open(READ) ─► Reading ──read_at*──► close
//! open(WRITE) on Pending ─► Writing (resumes at the checkpoint offset)
//! ```

use std::sync::Arc;
use std::time::{Duration, Instant};

use ost_model::{
    Checksum, ChecksumAlgorithm, CloseFlags, CreateFlags, ImageDef, ImageDescriptor, ImageId,
    ImageInfo, ImageInfoFlags, ImageState, Layout, LsuName, OpenMode, OstError,
};
use tokio::sync::Mutex;

use crate::events::image_event;
use crate::server::images::{checkpoint_of, set_checkpoint, with_busy};
use crate::server::{Busy, Server};
use crate::stats::Tally;
use crate::store::{DataLayout, ImageRead, ImageWriter};
use crate::types::{unix_now, EventKind};

enum State {
    Writing {
        writer: Box<dyn ImageWriter>,
        descriptor: ImageDescriptor,
        /// Bytes below this were stored before a resume; rewrites of them are skipped.
        resumed_at: u64,
        failed: Option<OstError>,
        /// Last time the descriptor was rewritten (the liveness heartbeat the sweep sees).
        touched: Instant,
    },
    Reading {
        reader: Box<dyn ImageRead>,
        descriptor: ImageDescriptor,
    },
    Closed,
}

/// An open image handle.
pub struct ImageHandle {
    server: Arc<Server>,
    lsu: LsuName,
    id: ImageId,
    state: Mutex<State>,
}

impl std::fmt::Debug for ImageHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImageHandle")
            .field("lsu", &self.lsu)
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

/// This host's name (descriptors' writer, API token names).
pub(crate) fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|s| s.trim().to_owned())
        .ok()
        .filter(|s| !s.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "unknown".to_owned())
}

fn layout_of(d: &ImageDescriptor, max_in_flight: usize) -> DataLayout {
    DataLayout {
        part_size: d.layout.part_size,
        segment_size: d.layout.segment_size,
        max_in_flight,
    }
}

impl ImageHandle {
    /// `create_image`: Pending descriptor first (conditional create), then a writer.
    pub(crate) async fn create(
        server: Arc<Server>,
        lsu: LsuName,
        def: ImageDef,
        _flags: CreateFlags,
    ) -> Result<Arc<Self>, OstError> {
        server.check_lsu(&lsu).await?;
        let id = def.id();
        server.claim_write(&lsu, &id)?;
        let result = async {
            let layout = server.data_layout();
            let descriptor = ImageDescriptor::new_pending(
                def,
                Layout::new(layout.segment_size, layout.part_size)?,
                unix_now(),
                host_name(),
                crate::PLUGIN_VERSION,
            );
            server.save_descriptor(&lsu, &descriptor, true).await?;
            match server.store().create_writer(&lsu, &id, layout).await {
                Ok(writer) => Ok((writer, descriptor)),
                Err(e) => {
                    let _ = server.remove_image_objects(&lsu, &id).await;
                    Err(e)
                }
            }
        }
        .await;
        let (writer, descriptor) = match result {
            Ok(v) => v,
            Err(e) => {
                server.release(&lsu, &id);
                return Err(e);
            }
        };
        server.stats().add(&lsu, Tally::Created);
        tracing::info!(%lsu, image = %id, "image created (pending)");
        Ok(Arc::new(Self {
            server,
            lsu,
            id,
            state: Mutex::new(State::Writing {
                writer,
                descriptor,
                resumed_at: 0,
                failed: None,
                touched: Instant::now(),
            }),
        }))
    }

    /// `open_image`: read a Complete image, or resume writing a Pending one.
    pub(crate) async fn open(
        server: Arc<Server>,
        lsu: LsuName,
        id: ImageId,
        mode: OpenMode,
    ) -> Result<Arc<Self>, OstError> {
        let write = mode.contains(OpenMode::WRITE);
        if write && mode.contains(OpenMode::READ) {
            return Err(OstError::InvalidArgument {
                cause: "an image is opened for read or for write, not both".to_owned(),
            });
        }
        if write {
            server.claim_write(&lsu, &id)?;
        } else {
            server.claim_read(&lsu, &id)?;
        }
        match Self::open_claimed(&server, &lsu, &id, write).await {
            Ok(state) => Ok(Arc::new(Self {
                server,
                lsu,
                id,
                state: Mutex::new(state),
            })),
            Err(e) => {
                server.release(&lsu, &id);
                Err(e)
            }
        }
    }

    async fn open_claimed(
        server: &Arc<Server>,
        lsu: &LsuName,
        id: &ImageId,
        write: bool,
    ) -> Result<State, OstError> {
        let descriptor = server.require_descriptor(lsu, id).await?;
        let max_in_flight = server.config().max_in_flight;
        match (write, descriptor.state) {
            (false, ImageState::Complete) => {
                let reader = server
                    .store()
                    .open_reader(
                        lsu,
                        id,
                        descriptor.layout.segment_size,
                        descriptor.byte_size,
                    )
                    .await?;
                Ok(State::Reading { reader, descriptor })
            }
            (false, ImageState::Pending) => Err(OstError::Busy {
                cause: format!("image {id} is pending (not complete); it cannot be read"),
            }),
            (true, ImageState::Complete) => Err(OstError::PermissionDenied {
                cause: format!("image {id} is complete; it can never be written again"),
            }),
            (true, ImageState::Pending) => {
                let checkpoint = checkpoint_of(&descriptor);
                let writer = server
                    .store()
                    .resume_writer(
                        lsu,
                        id,
                        layout_of(&descriptor, max_in_flight),
                        checkpoint.as_ref(),
                    )
                    .await?;
                let resumed_at = checkpoint.map_or(0, |c| c.offset);
                tracing::info!(%lsu, image = %id, offset = resumed_at, "pending image reopened for write");
                Ok(State::Writing {
                    writer,
                    descriptor,
                    resumed_at,
                    failed: None,
                    touched: Instant::now(),
                })
            }
        }
    }

    /// The server the image is on.
    pub(crate) fn server(&self) -> &Arc<Server> {
        &self.server
    }

    /// The LSU.
    pub(crate) fn lsu(&self) -> &LsuName {
        &self.lsu
    }

    /// The image.
    pub(crate) fn id(&self) -> &ImageId {
        &self.id
    }

    /// `write_image`.
    pub(crate) async fn write_at(&self, offset: u64, data: &[u8]) -> Result<usize, OstError> {
        let mut st = self.state.lock().await;
        let State::Writing {
            writer,
            descriptor,
            resumed_at,
            failed,
            touched,
        } = &mut *st
        else {
            return Err(not_writable(&self.id));
        };
        if let Some(e) = failed {
            return Err(e.clone());
        }
        // After a resume, bytes already stored are skipped (NetBackup resends from its own
        // checkpoint, which may be earlier than ours).
        let skip = resumed_at.saturating_sub(offset).min(data.len() as u64) as usize;
        let result = if skip < data.len() {
            writer.write(offset + skip as u64, &data[skip..]).await
        } else {
            Ok(())
        };
        match result {
            Ok(()) => {
                self.server
                    .stats()
                    .add(&self.lsu, Tally::Written(data.len() as u64));
                if touched.elapsed() >= heartbeat_every(self.server.config().orphan_age()) {
                    // Rewrite the descriptor (live size) so that no sweep, in any process,
                    // takes a long backup for an orphan.
                    descriptor.byte_size = writer.written();
                    *touched = Instant::now();
                    if let Err(e) = self
                        .server
                        .save_descriptor(&self.lsu, descriptor, false)
                        .await
                    {
                        tracing::warn!(image = %self.id, error = %e, "descriptor heartbeat failed");
                    }
                }
                Ok(data.len())
            }
            Err(e) => {
                tracing::warn!(lsu = %self.lsu, image = %self.id, error = %e, "image write failed; the handle is now failed");
                *failed = Some(e.clone());
                Err(e)
            }
        }
    }

    /// `read_image`.
    pub(crate) async fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<usize, OstError> {
        let mut st = self.state.lock().await;
        let State::Reading { reader, .. } = &mut *st else {
            return Err(OstError::InvalidArgument {
                cause: format!("image {} is not open for read", self.id),
            });
        };
        let n = reader.read_into(offset, buf).await?;
        self.server.stats().add(&self.lsu, Tally::Read(n as u64));
        Ok(n)
    }

    /// `flush_image`: reports a deferred write error.
    pub(crate) async fn flush(&self) -> Result<(), OstError> {
        match &*self.state.lock().await {
            State::Writing {
                failed: Some(e), ..
            } => Err(e.clone()),
            State::Closed => Err(not_writable(&self.id)),
            _ => Ok(()),
        }
    }

    /// Live properties.
    pub(crate) async fn info(&self) -> Result<ImageInfo, OstError> {
        let st = self.state.lock().await;
        match &*st {
            State::Writing {
                writer, descriptor, ..
            } => {
                let mut info = ImageInfo::from_descriptor(descriptor);
                info.size = writer.written();
                info.flags |= ImageInfoFlags::BUSY_WRITE;
                Ok(info)
            }
            State::Reading { descriptor, .. } => Ok(with_busy(
                ImageInfo::from_descriptor(descriptor),
                Some(Busy::Read(1)),
            )),
            State::Closed => Err(OstError::InvalidArgument {
                cause: format!("image {} is closed", self.id),
            }),
        }
    }

    /// `close_image`.
    pub(crate) async fn close(&self, flags: CloseFlags) -> Result<(), OstError> {
        let state = std::mem::replace(&mut *self.state.lock().await, State::Closed);
        let result = match state {
            State::Writing {
                writer,
                descriptor,
                failed,
                ..
            } => self.close_writer(writer, descriptor, failed, flags).await,
            State::Reading { .. } => Ok(()),
            State::Closed => Err(OstError::InvalidArgument {
                cause: format!("image {} is already closed", self.id),
            }),
        };
        self.server.release(&self.lsu, &self.id);
        result
    }

    async fn close_writer(
        &self,
        mut writer: Box<dyn ImageWriter>,
        mut descriptor: ImageDescriptor,
        failed: Option<OstError>,
        flags: CloseFlags,
    ) -> Result<(), OstError> {
        if let Some(e) = failed {
            self.discard(&mut writer).await;
            return Err(e);
        }
        if flags.is_complete() {
            let written = match writer.finish().await {
                Ok(w) => w,
                Err(e) => {
                    self.discard(&mut writer).await;
                    return Err(e);
                }
            };
            let checksum = Checksum::new(
                ChecksumAlgorithm::Crc32c,
                &format!("{:08x}", written.crc32c),
            )?;
            set_checkpoint(&mut descriptor, None);
            descriptor.complete(written.length, checksum, unix_now())?;
            if let Err(e) = self
                .server
                .save_descriptor(&self.lsu, &descriptor, false)
                .await
            {
                self.discard(&mut writer).await;
                return Err(e);
            }
            self.server.stats().add(&self.lsu, Tally::Completed);
            self.server.events().publish(image_event(
                EventKind::ImageCreated,
                &self.lsu,
                &self.id,
                format!("image {} complete: {} bytes", self.id, written.length),
            ));
            tracing::info!(lsu = %self.lsu, image = %self.id, bytes = written.length, "image complete");
            Ok(())
        } else {
            let checkpoint = match writer.suspend().await {
                Ok(c) => c,
                Err(e) => {
                    self.discard(&mut writer).await;
                    return Err(e);
                }
            };
            descriptor.byte_size = checkpoint.offset;
            set_checkpoint(&mut descriptor, Some(&checkpoint));
            self.server
                .save_descriptor(&self.lsu, &descriptor, false)
                .await?;
            tracing::info!(lsu = %self.lsu, image = %self.id, offset = checkpoint.offset, "image checkpointed (pending)");
            Ok(())
        }
    }

    /// Leaves no half image behind: aborts the writer and removes every object of the image.
    async fn discard(&self, writer: &mut Box<dyn ImageWriter>) {
        if let Err(e) = writer.abort().await {
            tracing::warn!(image = %self.id, error = %e, "aborting the image writer was incomplete");
        }
        if let Err(e) = self.server.remove_image_objects(&self.lsu, &self.id).await {
            tracing::warn!(image = %self.id, error = %e, "removing a failed image was incomplete; the sweep will finish it");
        }
    }
}

impl Drop for ImageHandle {
    fn drop(&mut self) {
        // A handle dropped without close (process teardown): release the claim so the sweep
        // may take the image; the writer's own drop aborts its uploads when it can.
        if !matches!(self.state.get_mut(), State::Closed) {
            self.server.release(&self.lsu, &self.id);
        }
    }
}

/// How often an image open for write refreshes its descriptor: a quarter of the orphan age,
/// between 1 s and 1 h.
fn heartbeat_every(orphan_age: Duration) -> Duration {
    (orphan_age / 4).clamp(Duration::from_secs(1), Duration::from_secs(3600))
}

fn not_writable(id: &ImageId) -> OstError {
    OstError::InvalidArgument {
        cause: format!("image {id} is not open for write"),
    }
}
