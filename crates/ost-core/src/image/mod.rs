//! An open image: the enforced OST lifecycle (ost-api.md 1.5-1.7).
//!
//! ```text
//! create ──► Writing ──write_at*──► close(COMPLETE) ──► descriptor Complete (sealed forever)
//!              │  │  └─ flush ─────► every acknowledged byte durable, descriptor: size + checkpoint
//!              │  │                 close(INCOMPLETE) ─► the same, writer lease released
//!              │  └─ write error ─► Failed ── close ──► Pending at the last durable point, error
//! open(READ) ─► Reading ──read_at*──► close
//! open(WRITE) on Pending ─► Writing (resumes at the checkpoint, tail folded back)
//! ```
//!
//! While a handle is open for write its descriptor carries a writer lease ([`lease`]), renewed
//! in the background, so other processes see the image busy.

mod lease;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Weak};

use ost_model::image_key::staged_tail_key;
use ost_model::{
    Checksum, ChecksumAlgorithm, CloseFlags, CreateFlags, ImageDef, ImageDescriptor, ImageId,
    ImageInfo, ImageInfoFlags, ImageState, Layout, LsuName, OpenMode, OstError, WriterLease,
};
use tokio::sync::Mutex;

use crate::events::image_event;
use crate::server::images::{
    checkpoint_of, mark_keys_known, resume_point, set_checkpoint, with_busy,
};
use crate::server::{Busy, Server};
use crate::stats::Tally;
use crate::store::{DataLayout, ImageRead, ImageWriter, StoredCheckpoint};
use crate::types::{unix_now, EventKind};
pub(crate) use lease::{busy as lease_busy, other_live_writer};

enum State {
    Writing {
        writer: Box<dyn ImageWriter>,
        /// The descriptor as last saved (size and checkpoint = the durable point; our lease).
        descriptor: ImageDescriptor,
        /// Bytes below this were stored before a resume; rewrites of them are skipped.
        resumed_at: u64,
        failed: Option<OstError>,
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
    /// When this handle last stored its writer lease while it was surely its own (so a
    /// descriptor write needs no read-back first); `None` once that cannot be proved.
    lease_sure: std::sync::Mutex<Option<lease::SureSince>>,
    /// This handle created the image and never checkpointed it: its objects are exactly its
    /// data segments and NetBackup's metadata object (recorded at complete, for the delete).
    keys_known: AtomicBool,
}

impl std::fmt::Debug for ImageHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImageHandle")
            .field("lsu", &self.lsu)
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

/// This host's name (descriptors' writer, leases, API token names), read once per process: every
/// image create and lease check asks for it.
pub(crate) fn host_name() -> String {
    static NAME: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    NAME.get_or_init(|| {
        std::fs::read_to_string("/proc/sys/kernel/hostname")
            .map(|s| s.trim().to_owned())
            .ok()
            .filter(|s| !s.is_empty())
            .or_else(|| std::env::var("HOSTNAME").ok())
            .unwrap_or_else(|| "unknown".to_owned())
    })
    .clone()
}

fn layout_of(d: &ImageDescriptor, max_in_flight: usize) -> DataLayout {
    DataLayout {
        part_size: d.layout.part_size,
        segment_size: d.layout.segment_size,
        max_in_flight,
    }
}

impl ImageHandle {
    /// `create_image`: Pending descriptor first (conditional create, with this handle's writer
    /// lease), then a writer. The create flags are hints: a new image is always Pending until
    /// close COMPLETE.
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
            let mut descriptor = ImageDescriptor::new_pending(
                def,
                Layout::new(layout.segment_size, layout.part_size)?,
                unix_now(),
                host_name(),
                crate::PLUGIN_VERSION,
            );
            descriptor.writer_lease = Some(lease::new_lease(unix_now()));
            let saved = lease::SureSince::now();
            server.save_descriptor(&lsu, &descriptor, true).await?;
            // Where creates are atomic no other create of the key succeeded: the lease is
            // ours until it could lapse.
            let sure = server.store().creates_atomically().then_some(saved);
            match server.store().create_writer(&lsu, &id, layout).await {
                Ok(writer) => Ok((writer, descriptor, sure)),
                Err(e) => {
                    let _ = server
                        .remove_image_objects(&lsu, &id, Some(&descriptor))
                        .await;
                    Err(e)
                }
            }
        }
        .await;
        let (writer, descriptor, sure) = match result {
            Ok(v) => v,
            Err(e) => {
                server.release(&lsu, &id);
                return Err(e);
            }
        };
        server.stats().add(&lsu, Tally::Created);
        tracing::info!(%lsu, image = %id, "image created (pending)");
        let handle = Self::writing(server, lsu, id, writer, descriptor, 0);
        *handle.sure_lock() = sure;
        handle.keys_known.store(true, Ordering::Relaxed);
        Ok(handle)
    }

    fn sure_lock(&self) -> std::sync::MutexGuard<'_, Option<lease::SureSince>> {
        self.lease_sure
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// A handle open for write, with its lease renewed in the background until it is closed.
    fn writing(
        server: Arc<Server>,
        lsu: LsuName,
        id: ImageId,
        writer: Box<dyn ImageWriter>,
        descriptor: ImageDescriptor,
        resumed_at: u64,
    ) -> Arc<Self> {
        let every = lease::renew_every(server.config().writer_lease());
        if let Some(l) = &descriptor.writer_lease {
            lease::hold(&l.writer_id);
        }
        let handle = Arc::new(Self {
            server,
            lsu,
            id,
            state: Mutex::new(State::Writing {
                writer,
                descriptor,
                resumed_at,
                failed: None,
            }),
            lease_sure: std::sync::Mutex::new(None),
            keys_known: AtomicBool::new(false),
        });
        let weak: Weak<Self> = Arc::downgrade(&handle);
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(every).await;
                let Some(h) = weak.upgrade() else { break };
                if !h.renew_lease().await {
                    break;
                }
            }
        });
        handle
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
            match Self::resume(&server, &lsu, &id).await {
                Ok((writer, descriptor, resumed_at)) => Ok(Self::writing(
                    server, lsu, id, writer, descriptor, resumed_at,
                )),
                Err(e) => {
                    server.release(&lsu, &id);
                    Err(e)
                }
            }
        } else {
            server.claim_read(&lsu, &id)?;
            match Self::open_for_read(&server, &lsu, &id).await {
                Ok(state) => Ok(Arc::new(Self {
                    server,
                    lsu,
                    id,
                    state: Mutex::new(state),
                    lease_sure: std::sync::Mutex::new(None),
                    keys_known: AtomicBool::new(false),
                })),
                Err(e) => {
                    server.release(&lsu, &id);
                    Err(e)
                }
            }
        }
    }

    async fn open_for_read(
        server: &Arc<Server>,
        lsu: &LsuName,
        id: &ImageId,
    ) -> Result<State, OstError> {
        let descriptor = server.require_descriptor(lsu, id).await?;
        if descriptor.state == ImageState::Pending {
            return Err(OstError::Busy {
                cause: format!("image {id} is pending (not complete); it cannot be read"),
            });
        }
        let reader = server
            .store()
            .open_reader(
                lsu,
                id,
                descriptor.layout.segment_size,
                descriptor.byte_size,
                server.read_ahead(),
            )
            .await?;
        Ok(State::Reading { reader, descriptor })
    }

    /// Takes the writer lease of a Pending image (refused while another live writer holds it)
    /// and resumes its writer at the checkpoint.
    async fn resume(
        server: &Arc<Server>,
        lsu: &LsuName,
        id: &ImageId,
    ) -> Result<(Box<dyn ImageWriter>, ImageDescriptor, u64), OstError> {
        let mut descriptor = server.require_descriptor(lsu, id).await?;
        if descriptor.state == ImageState::Complete {
            return Err(OstError::PermissionDenied {
                cause: format!("image {id} is complete; it can never be written again"),
            });
        }
        let checkpoint = resume_point(id, &descriptor)?;
        let lease_age = server.config().writer_lease();
        let now = unix_now();
        if let Some(holder) = lease::other_live_writer(&descriptor, lease_age, now) {
            return Err(lease::busy(id, holder, now));
        }
        if let Some(old) = &descriptor.writer_lease {
            let why = lease::lapsed_because(old, lease_age, now).unwrap_or_default();
            tracing::info!(%lsu, image = %id, host = %old.host, pid = old.pid, "taking over a pending image from a writer that is gone: {why}");
        }
        let ours = lease::new_lease(now);
        descriptor.writer_lease = Some(ours.clone());
        server.save_descriptor(lsu, &descriptor, false).await?;
        // Read back: of two processes taking over at the same moment, the later save wins and
        // the other backs off here.
        server.check_lease(lsu, id, &ours.writer_id).await?;
        let layout = layout_of(&descriptor, server.config().max_in_flight);
        let writer = match server
            .store()
            .resume_writer(lsu, id, layout, checkpoint.as_ref())
            .await
        {
            Ok(w) => w,
            Err(e) => {
                descriptor.writer_lease = None;
                if let Err(release) = server.save_descriptor(lsu, &descriptor, false).await {
                    tracing::warn!(image = %id, error = %release, "releasing the writer lease failed; it lapses by itself");
                }
                return Err(e);
            }
        };
        let resumed_at = writer.written();
        tracing::info!(%lsu, image = %id, offset = resumed_at, durable = descriptor.byte_size, "pending image reopened for write");
        Ok((writer, descriptor, resumed_at))
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

    /// `write_image`: any length at any offset the writer accepts; the bytes are acknowledged
    /// when this returns and durable at the next flush or checkpoint.
    pub(crate) async fn write_at(&self, offset: u64, data: &[u8]) -> Result<usize, OstError> {
        let mut st = self.state.lock().await;
        let State::Writing {
            writer,
            resumed_at,
            failed,
            ..
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

    /// `flush_image`: makes every acknowledged byte durable and records the new size in the
    /// descriptor, so other processes see it. Reports a deferred write error.
    pub(crate) async fn flush(&self) -> Result<(), OstError> {
        let mut st = self.state.lock().await;
        match &mut *st {
            State::Writing {
                failed: Some(e), ..
            } => Err(e.clone()),
            State::Writing {
                writer,
                descriptor,
                failed,
                ..
            } => {
                let lease = descriptor.writer_lease.clone();
                let result = self.checkpoint(writer.as_mut(), descriptor, lease).await;
                if let Err(e) = &result {
                    tracing::warn!(lsu = %self.lsu, image = %self.id, error = %e, durable = descriptor.byte_size, "flush failed; the handle is now failed, the image resumable at its last durable size");
                    *failed = Some(e.clone());
                }
                result
            }
            State::Reading { .. } => Ok(()),
            State::Closed => Err(not_writable(&self.id)),
        }
    }

    /// Makes what `writer` holds durable and saves the descriptor with the new size and
    /// checkpoint and `lease`; the previous staged tail goes once the descriptor no longer
    /// names it. A hole (bytes never written below the highest written) keeps the durable
    /// prefix and is an error.
    async fn checkpoint(
        &self,
        writer: &mut dyn ImageWriter,
        descriptor: &mut ImageDescriptor,
        lease: Option<WriterLease>,
    ) -> Result<(), OstError> {
        // A checkpoint may stage a tail, which a later one supersedes and removes best effort:
        // the image's keys are no longer known for sure.
        self.keys_known.store(false, Ordering::Relaxed);
        let cp = writer.checkpoint().await?;
        let previous = checkpoint_of(descriptor);
        let mut next = descriptor.clone();
        next.byte_size = cp.offset;
        set_checkpoint(&mut next, Some(&cp));
        next.writer_lease = lease.map(|l| WriterLease {
            renewed_unix: unix_now(),
            ..l
        });
        self.save_owned(descriptor, &next).await?;
        *descriptor = next;
        self.drop_superseded_tail(previous.as_ref(), Some(&cp))
            .await;
        let written = writer.written();
        if cp.offset < written {
            return Err(OstError::InvalidArgument {
                cause: format!(
                    "image {} has a hole: bytes {}..{written} include bytes never written; \
                     durable up to {}",
                    self.id, cp.offset, cp.offset
                ),
            });
        }
        tracing::debug!(lsu = %self.lsu, image = %self.id, durable = cp.offset, "image checkpoint");
        Ok(())
    }

    /// Saves `next` after checking that the stored descriptor still carries the lease of
    /// `held` (the descriptor as this handle last saved it): a lease that lapsed may have been
    /// taken over by another writer, whose image this handle must not overwrite.
    async fn save_owned(
        &self,
        held: &ImageDescriptor,
        next: &ImageDescriptor,
    ) -> Result<(), OstError> {
        let saved = lease::SureSince::now();
        let was_sure = self.lease_is_sure();
        self.check_owned(held).await?;
        self.server.save_descriptor(&self.lsu, next, false).await?;
        // Renewed while it was surely ours: ours until this renewal could lapse.
        *self.sure_lock() = (was_sure && next.writer_lease.is_some()).then_some(saved);
        Ok(())
    }

    /// Whether this handle's stored lease is surely still its own (see `lease_sure`).
    fn lease_is_sure(&self) -> bool {
        let max_age = self.server.config().writer_lease();
        self.sure_lock().is_some_and(|s| s.holds(max_age))
    }

    /// Checks that the stored descriptor still carries the lease of `held` (the descriptor as
    /// this handle last saved it), unless that is sure without reading it: this handle created
    /// the image where creates are atomic and stored its lease since, more recently than it
    /// could lapse ([`lease::SureSince`]). Another writer takes over only a lapsed lease.
    async fn check_owned(&self, held: &ImageDescriptor) -> Result<(), OstError> {
        let Some(mine) = &held.writer_lease else {
            return Ok(());
        };
        if self.lease_is_sure() {
            return Ok(());
        }
        self.server
            .check_lease(&self.lsu, &self.id, &mine.writer_id)
            .await
    }

    /// Deletes the staged tail of `previous` unless `current` still names it (best effort: an
    /// object left behind goes with the image).
    async fn drop_superseded_tail(
        &self,
        previous: Option<&StoredCheckpoint>,
        current: Option<&StoredCheckpoint>,
    ) {
        let Some(old) = previous.and_then(|c| c.tail) else {
            return;
        };
        if current
            .and_then(|c| c.tail)
            .is_some_and(|t| t.start == old.start)
        {
            return;
        }
        let key = staged_tail_key(&self.id, old.start);
        if let Err(e) = self.server.store().delete(&self.lsu, &[key]).await {
            tracing::warn!(image = %self.id, error = %e, "removing a superseded staged tail failed; it goes with the image");
        }
    }

    /// Renews this handle's writer lease; false once the handle is no longer writing.
    async fn renew_lease(&self) -> bool {
        let mut st = self.state.lock().await;
        let State::Writing {
            descriptor, failed, ..
        } = &mut *st
        else {
            return false;
        };
        if failed.is_some() {
            return false;
        }
        let mut next = descriptor.clone();
        match next.writer_lease.as_mut() {
            Some(l) => l.renewed_unix = unix_now(),
            None => return false,
        }
        match self.save_owned(descriptor, &next).await {
            Ok(()) => *descriptor = next,
            Err(e @ OstError::Busy { .. }) => {
                tracing::error!(lsu = %self.lsu, image = %self.id, error = %e, "this handle lost its writer lease; it is now failed");
                *failed = Some(e);
                return false;
            }
            Err(e) => {
                tracing::warn!(lsu = %self.lsu, image = %self.id, error = %e, "renewing the writer lease failed; retrying at the next renewal");
            }
        }
        true
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
            } => {
                let held = descriptor.writer_lease.clone();
                let result = self.close_writer(writer, descriptor, failed, flags).await;
                if let Some(l) = held {
                    lease::let_go(&l.writer_id);
                }
                result
            }
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
            tracing::warn!(lsu = %self.lsu, image = %self.id, durable = descriptor.byte_size, complete = flags.is_complete(), "closing a failed image: it stays pending, resumable at its last durable size");
            self.release_lease(&mut descriptor).await;
            return Err(e);
        }
        if !flags.is_complete() {
            let result = self
                .checkpoint(writer.as_mut(), &mut descriptor, None)
                .await;
            match &result {
                Ok(()) => {
                    tracing::info!(lsu = %self.lsu, image = %self.id, offset = descriptor.byte_size, "image checkpointed (pending)");
                }
                Err(e) => {
                    tracing::warn!(lsu = %self.lsu, image = %self.id, error = %e, durable = descriptor.byte_size, "checkpoint close failed; the image stays pending at its last durable size");
                    self.release_lease(&mut descriptor).await;
                }
            }
            return result;
        }
        // Before the segments are completed: a writer whose lease was replaced (a lapsed lease
        // taken over, or a create lost on a cluster without conditional creates) must not
        // complete segment objects the other writer owns.
        self.check_owned(&descriptor).await?;
        let written = match writer.finish().await {
            Ok(w) => w,
            Err(e) => {
                tracing::warn!(lsu = %self.lsu, image = %self.id, error = %e, durable = descriptor.byte_size, "completing the image failed; it stays pending at its last durable size");
                self.release_lease(&mut descriptor).await;
                return Err(e);
            }
        };
        let checksum = Checksum::new(
            ChecksumAlgorithm::Crc32c,
            &format!("{:08x}", written.crc32c),
        )?;
        let previous = checkpoint_of(&descriptor);
        let mut sealed = descriptor.clone();
        set_checkpoint(&mut sealed, None);
        sealed.writer_lease = None;
        sealed.complete(written.length, checksum, unix_now())?;
        if self.keys_known.load(Ordering::Relaxed) {
            mark_keys_known(&mut sealed);
        }
        // WORM LSU: data and metadata objects are locked before the descriptor turns
        // Complete, the descriptor right after (`server/worm.rs`).
        let lock = match self
            .server
            .lock_before_seal(&self.lsu, &mut sealed, descriptor.created_unix)
            .await
        {
            Ok(lock) => lock,
            Err(e) => {
                tracing::warn!(lsu = %self.lsu, image = %self.id, error = %e, "locking the image's objects failed; it stays pending");
                self.release_lease(&mut descriptor).await;
                return Err(e);
            }
        };
        if let Err(e) = self.save_owned(&descriptor, &sealed).await {
            self.release_lease(&mut descriptor).await;
            return Err(e);
        }
        self.drop_superseded_tail(previous.as_ref(), None).await;
        self.server
            .lock_descriptor(&self.lsu, &self.id, lock)
            .await
            .inspect_err(|e| {
                tracing::warn!(lsu = %self.lsu, image = %self.id, error = %e, "the image is complete and its data locked, but locking its descriptor failed");
            })?;
        self.server.stats().add(&self.lsu, Tally::Completed);
        self.server.events().publish(image_event(
            EventKind::ImageCreated,
            &self.lsu,
            &self.id,
            format!("image {} complete: {} bytes", self.id, written.length),
        ));
        tracing::info!(lsu = %self.lsu, image = %self.id, bytes = written.length, "image complete");
        Ok(())
    }

    /// Saves the descriptor as last made durable, without this handle's lease (best effort:
    /// a lease that cannot be released lapses by itself).
    async fn release_lease(&self, descriptor: &mut ImageDescriptor) {
        if descriptor.writer_lease.is_none() {
            return;
        }
        let mut released = descriptor.clone();
        released.writer_lease = None;
        match self.save_owned(descriptor, &released).await {
            Ok(()) => *descriptor = released,
            Err(e) => {
                tracing::warn!(image = %self.id, error = %e, "releasing the writer lease failed; it lapses after writer_lease_secs");
            }
        }
    }
}

impl Drop for ImageHandle {
    fn drop(&mut self) {
        // A handle dropped without close (process teardown): release the claim and the lease
        // (for this process; another host waits for it to lapse). What the writer stored stays.
        match self.state.get_mut() {
            State::Closed => {}
            State::Writing { descriptor, .. } => {
                if let Some(l) = &descriptor.writer_lease {
                    lease::let_go(&l.writer_id);
                }
                self.server.release(&self.lsu, &self.id);
            }
            State::Reading { .. } => self.server.release(&self.lsu, &self.id),
        }
    }
}

fn not_writable(id: &ImageId) -> OstError {
    OstError::InvalidArgument {
        cause: format!("image {id} is not open for write"),
    }
}
