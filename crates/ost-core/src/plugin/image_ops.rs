//! [`Plugin`]'s OST calls on one kind of object. Images: create, open, write, read, flush, close,
//! properties, delete, lists, metadata.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use ost_model::{
    CloseFlags, CreateFlags, ImageDef, ImageId, ImageInfo, LsuName, OpenMode, OstError,
};

use super::{no_more, wrong_list, ImageCursor, ListCursor, Plugin};
use crate::handles::{ImageHandleId, ListId, ServerId};
use crate::image::ImageHandle;
use crate::server::Server;
use crate::types::ImageFilter;

impl Plugin {
    /// `stspi_create_image`: writes a Pending descriptor (refused with
    /// [`OstError::AlreadyExists`] when the image exists) and returns a handle open for write.
    pub fn create_image(
        &self,
        server: ServerId,
        lsu: &LsuName,
        def: &ImageDef,
        flags: CreateFlags,
    ) -> Result<ImageHandleId, OstError> {
        let handle = self.on_server(server, Some(lsu), async |s| {
            ImageHandle::create(s, lsu.clone(), def.clone(), flags).await
        })?;
        Ok(self.images.insert(handle))
    }

    /// `stspi_open_image`: [`OpenMode::READ`] needs a Complete image; [`OpenMode::WRITE`]
    /// resumes a Pending one (after a checkpoint, a failure or a crash) at its durable size;
    /// [`OstError::Busy`] while another process's live writer lease holds it.
    pub fn open_image(
        &self,
        server: ServerId,
        lsu: &LsuName,
        id: &ImageId,
        mode: OpenMode,
    ) -> Result<ImageHandleId, OstError> {
        let handle = self.on_server(server, Some(lsu), async |s| {
            ImageHandle::open(s, lsu.clone(), id.clone(), mode).await
        })?;
        Ok(self.images.insert(handle))
    }

    /// `stspi_write_image`: writes `data` at `offset`; returns the bytes accepted (all of
    /// them). A failure marks the handle failed: later calls and close report it.
    pub fn write_image(
        &self,
        image: ImageHandleId,
        offset: u64,
        data: &[u8],
    ) -> Result<usize, OstError> {
        self.on_image(image, async |h| h.write_at(offset, data).await)
    }

    /// `stspi_read_image`: reads into `buf` at `offset`; returns the bytes read (short only at
    /// the end of the image, 0 at or past it).
    pub fn read_image(
        &self,
        image: ImageHandleId,
        offset: u64,
        buf: &mut [u8],
    ) -> Result<usize, OstError> {
        self.on_image(image, async |h| h.read_at(offset, buf).await)
    }

    /// `stspi_flush_image`: makes every byte acknowledged so far durable and records the size
    /// in the descriptor (other processes see it); reports any deferred write error. A failed
    /// flush fails the handle; the image stays resumable at its previous durable size.
    pub fn flush_image(&self, image: ImageHandleId) -> Result<(), OstError> {
        self.on_image(image, async |h| h.flush().await)
    }

    /// `stspi_close_image`. With [`CloseFlags::IH_COMPLETE`] the image is sealed (Complete,
    /// size, checksum, segments) and never writable again; without it (a checkpoint: every
    /// acknowledged byte made durable, as by a flush) it stays Pending and can be reopened for
    /// write. A failed handle returns its error and leaves the image Pending at its last durable
    /// size (never sealed, never removed). The handle is gone afterwards whatever the result.
    pub fn close_image(&self, image: ImageHandleId, flags: CloseFlags) -> Result<(), OstError> {
        let h = self.own(image, self.images.remove(image))?;
        let result = self.block_on(h.close(flags));
        h.server().stats().op(Some(h.lsu()), result.is_err());
        result
    }

    /// `stspi_get_image_prop` on an open handle (live size and busy flags).
    pub fn image_props(&self, image: ImageHandleId) -> Result<ImageInfo, OstError> {
        self.on_image(image, async |h| h.info().await)
    }

    /// The server, LSU and image an open handle refers to.
    pub fn image_identity(
        &self,
        image: ImageHandleId,
    ) -> Result<(ServerId, LsuName, ImageId), OstError> {
        let h = self.own(image, self.images.get(image))?;
        let server = self
            .server_id_of(h.server())
            .ok_or_else(|| OstError::InvalidArgument {
                cause: "the image's server is closed".to_owned(),
            })?;
        Ok((server, h.lsu().clone(), h.id().clone()))
    }

    fn server_id_of(&self, server: &Arc<Server>) -> Option<ServerId> {
        self.servers.find_id(|s| Arc::ptr_eq(s, server))
    }

    /// `stspi_get_image_prop_byname`: from the descriptor; a missing descriptor is
    /// [`OstError::NoMoreEntries`] (as Veritas' S3 plugin answers).
    pub fn image_props_by_name(
        &self,
        server: ServerId,
        lsu: &LsuName,
        id: &ImageId,
    ) -> Result<ImageInfo, OstError> {
        self.on_server(server, Some(lsu), async |s| s.image_info(lsu, id).await)
    }

    /// `stspi_delete_image`: data, descriptor, metadata and any open upload. Refused with
    /// [`OstError::Busy`] while the image is open in this process or held by another process's
    /// live writer lease.
    pub fn delete_image(
        &self,
        server: ServerId,
        lsu: &LsuName,
        id: &ImageId,
    ) -> Result<(), OstError> {
        self.on_server(server, Some(lsu), async |s| s.delete_image(lsu, id).await)
    }

    /// Images of an LSU matching `filter` (from their descriptors).
    pub fn list_images(
        &self,
        server: ServerId,
        lsu: &LsuName,
        filter: &ImageFilter,
    ) -> Result<Vec<ImageInfo>, OstError> {
        self.on_server(server, Some(lsu), async |s| {
            s.list_images(lsu, filter).await
        })
    }

    /// `stspi_open_image_list`: a cursor over the images of `lsu` matching `filter`. It holds
    /// one batch of images at a time (`list_batch` keys listed, their descriptors fetched
    /// `list_concurrency` at a time) and fetches the next when the caller has taken the last;
    /// images come in key order.
    pub fn open_image_list(
        &self,
        server: ServerId,
        lsu: &LsuName,
        filter: &ImageFilter,
    ) -> Result<ListId, OstError> {
        let s = self.server(server)?;
        let pager = self.on_server(server, Some(lsu), async |s| {
            s.start_image_list(lsu, filter).await
        })?;
        Ok(self
            .lists
            .insert(Arc::new(Mutex::new(ListCursor::Images(ImageCursor {
                server: s,
                pager,
                batch: VecDeque::new(),
            })))))
    }

    /// `stspi_list_image`: the next image, or [`OstError::NoMoreEntries`].
    pub fn next_image(&self, list: ListId) -> Result<ImageInfo, OstError> {
        let cursor = self.own(list, self.lists.get(list))?;
        let mut guard = cursor
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let c = match &mut *guard {
            ListCursor::Images(c) => c,
            ListCursor::Lsus(_) => return Err(wrong_list(list, "an LSU list")),
        };
        if c.batch.is_empty() && !c.pager.is_done() {
            let server = c.server.clone();
            let result = self.block_on(server.next_image_batch(&mut c.pager));
            server.stats().op(Some(c.pager.lsu()), result.is_err());
            c.batch = result?.into();
        }
        c.batch.pop_front().ok_or_else(|| no_more("image list"))
    }

    /// `stspi_write_image_meta`: writes NetBackup's own metadata at `offset` (its own object
    /// beside the descriptor). Returns the bytes written.
    pub fn write_image_meta(
        &self,
        server: ServerId,
        lsu: &LsuName,
        id: &ImageId,
        offset: u64,
        data: &[u8],
    ) -> Result<usize, OstError> {
        self.on_server(server, Some(lsu), async |s| {
            s.write_image_meta(lsu, id, offset, data).await
        })
    }

    /// `stspi_read_image_meta`: reads NetBackup's metadata at `offset` into `buf`; returns the
    /// bytes read. No metadata object is [`OstError::NoMoreEntries`].
    pub fn read_image_meta(
        &self,
        server: ServerId,
        lsu: &LsuName,
        id: &ImageId,
        offset: u64,
        buf: &mut [u8],
    ) -> Result<usize, OstError> {
        self.on_server(server, Some(lsu), async |s| {
            s.read_image_meta(lsu, id, offset, buf).await
        })
    }
}
