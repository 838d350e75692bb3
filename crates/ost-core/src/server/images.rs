//! Images by name: descriptors (the source of truth), properties, deletion and lists.

use ost_model::image_key::{data_segment_key, descriptor_key, image_prefix, nbmeta_key};
use ost_model::CatalogueEntry;
use ost_model::{
    ImageDescriptor, ImageId, ImageInfo, ImageInfoFlags, ImageState, LsuName, OstError,
};

use super::{Busy, Server};
use crate::events::image_event;
use crate::image::{lease_busy, other_live_writer};
use crate::stats::Tally;
use crate::store::{KeyRange, StoredCheckpoint};
use crate::types::{unix_now, EventKind};

/// Descriptor field holding the resume point of a checkpoint-closed image.
pub(crate) const CHECKPOINT_FIELD: &str = "checkpoint";

/// The resume point stored in a descriptor, if any (an unreadable record reads as none: for
/// properties and tail clean-up; a reopen for write uses [`resume_point`]).
pub(crate) fn checkpoint_of(d: &ImageDescriptor) -> Option<StoredCheckpoint> {
    stored_checkpoint(d).ok().flatten()
}

fn stored_checkpoint(d: &ImageDescriptor) -> Result<Option<StoredCheckpoint>, serde_json::Error> {
    d.extra
        .get(CHECKPOINT_FIELD)
        .map(|v| serde_json::from_value(v.clone()))
        .transpose()
}

/// Where a reopen for write resumes `d`'s image: its checkpoint, or the start when it never
/// checkpointed. A record that is there but unreadable, or missing while the descriptor says
/// bytes are durable, is `Corrupt`: resuming at 0 would remove what NetBackup was told is
/// stored.
pub(crate) fn resume_point(
    id: &ImageId,
    d: &ImageDescriptor,
) -> Result<Option<StoredCheckpoint>, OstError> {
    let corrupt = |why: String| OstError::Corrupt {
        cause: format!(
            "image {id} says {} bytes are durable but {why}; not resumed, nothing removed",
            d.byte_size
        ),
    };
    match stored_checkpoint(d) {
        Err(e) => Err(corrupt(format!(
            "its checkpoint record is unreadable ({e})"
        ))),
        Ok(None) if d.byte_size > 0 => Err(corrupt("it records no checkpoint".to_owned())),
        Ok(cp) => Ok(cp),
    }
}

/// Stores (or with `None` removes) the resume point in a descriptor.
pub(crate) fn set_checkpoint(d: &mut ImageDescriptor, cp: Option<&StoredCheckpoint>) {
    match cp.and_then(|c| serde_json::to_value(c).ok()) {
        Some(v) => {
            d.extra.insert(CHECKPOINT_FIELD.to_owned(), v);
        }
        None => {
            d.extra.remove(CHECKPOINT_FIELD);
        }
    }
}

/// Descriptor field of a Complete image whose objects are exactly its data segments and
/// NetBackup's metadata object: written at complete by the handle that created the image when
/// it never checkpointed it (so no superseded staged tail can be left), kept by copies. Its
/// delete removes those keys without listing the image's prefix or its uploads; the orphan
/// sweep aborts an upload a crash left under them once the image is gone.
pub(crate) const KEYS_KNOWN_FIELD: &str = "keys_known";

/// Records in a descriptor about to be sealed that the image's keys are known.
pub(crate) fn mark_keys_known(d: &mut ImageDescriptor) {
    d.extra
        .insert(KEYS_KNOWN_FIELD.to_owned(), serde_json::Value::Bool(true));
}

/// Every object of `d`'s image when its descriptor says they are known (Complete, written with
/// [`KEYS_KNOWN_FIELD`]): its data segments (segment 0 even when empty) and NetBackup's
/// metadata object, which may not exist.
fn known_keys(id: &ImageId, d: &ImageDescriptor) -> Option<Vec<String>> {
    let known = d.state == ImageState::Complete
        && d.extra.get(KEYS_KNOWN_FIELD) == Some(&serde_json::Value::Bool(true));
    known.then(|| {
        (0..d.layout.segment_count.max(1))
            .map(|n| data_segment_key(id, n))
            .chain([nbmeta_key(id)])
            .collect()
    })
}

/// Adds the busy flags of this process to stored image information.
pub(crate) fn with_busy(mut info: ImageInfo, busy: Option<Busy>) -> ImageInfo {
    match busy {
        Some(Busy::Write) => info.flags |= ImageInfoFlags::BUSY_WRITE,
        Some(Busy::Read(_)) => info.flags |= ImageInfoFlags::BUSY_READ,
        None => {}
    }
    info
}

impl Server {
    /// The descriptor of an image, or `None` when it has none.
    pub(crate) async fn load_descriptor(
        &self,
        lsu: &LsuName,
        id: &ImageId,
    ) -> Result<Option<ImageDescriptor>, OstError> {
        match self.store().get(lsu, &descriptor_key(id)).await? {
            Some(bytes) => Ok(Some(ImageDescriptor::parse(&bytes)?)),
            None => Ok(None),
        }
    }

    /// The descriptor of an image; a missing one is "no more entries" (as Veritas' S3 plugin
    /// answers for a missing metadata object).
    pub(crate) async fn require_descriptor(
        &self,
        lsu: &LsuName,
        id: &ImageId,
    ) -> Result<ImageDescriptor, OstError> {
        self.load_descriptor(lsu, id)
            .await?
            .ok_or_else(|| OstError::NoMoreEntries {
                cause: format!("image {id} has no descriptor in {lsu}"),
            })
    }

    /// Writes a descriptor; with `create_only`, an existing one is [`OstError::AlreadyExists`].
    /// Keeps the listing catalogue (`catalogue.rs`): a new image's `pending` entry is written
    /// beside its descriptor and both are stored before the create succeeds; a Complete
    /// image's entry goes after its descriptor.
    pub(crate) async fn save_descriptor(
        &self,
        lsu: &LsuName,
        d: &ImageDescriptor,
        create_only: bool,
    ) -> Result<(), OstError> {
        let id = d.def().id();
        let body = d.to_json_vec()?;
        let key = descriptor_key(&id);
        if create_only {
            self.create_descriptor(lsu, &id, &key, body).await?;
        } else {
            self.store().put(lsu, &key, body, false).await?;
        }
        if d.state == ImageState::Complete {
            self.note_complete(lsu, d).await;
        }
        Ok(())
    }

    /// Creates a new image's descriptor (refused when one exists) and its `pending` hint,
    /// sent together: one round trip instead of two. Succeeds only when both are stored, so
    /// every image whose create NetBackup was told of has its hint. A descriptor stored
    /// without its hint is taken back, so the name stays free for NetBackup's retry; one a
    /// crash leaves between the two belongs to a create that never returned, a Pending image
    /// with a lapsed lease that the orphan sweep (which walks descriptors, not hints) removes.
    async fn create_descriptor(
        &self,
        lsu: &LsuName,
        id: &ImageId,
        key: &str,
        body: Vec<u8>,
    ) -> Result<(), OstError> {
        let (hint, created) = tokio::join!(
            self.note_pending(lsu, id),
            self.store().put(lsu, key, body, true)
        );
        created.map_err(|e| match e {
            OstError::AlreadyExists { .. } => OstError::AlreadyExists {
                cause: format!("image {id} already exists in {lsu}"),
            },
            other => other,
        })?;
        if let Err(e) = hint {
            if let Err(undo) = self.store().delete(lsu, &[key.to_owned()]).await {
                tracing::warn!(%lsu, image = %id, error = %undo, "taking back a descriptor stored without its listing hint failed; the orphan sweep removes it");
            }
            return Err(e);
        }
        Ok(())
    }

    /// `get_image_prop_byname`.
    pub(crate) async fn image_info(
        &self,
        lsu: &LsuName,
        id: &ImageId,
    ) -> Result<ImageInfo, OstError> {
        let d = self.require_descriptor(lsu, id).await?;
        Ok(self.stored_info(lsu, id, &d))
    }

    /// What NetBackup sees of a stored image: its durable size and whether it is busy, open in
    /// this process or held by the live writer lease of another.
    pub(super) fn stored_info(
        &self,
        lsu: &LsuName,
        id: &ImageId,
        d: &ImageDescriptor,
    ) -> ImageInfo {
        let mut info = ImageInfo::from_descriptor(d);
        if let Some(cp) = checkpoint_of(d) {
            info.size = cp.offset;
        }
        let busy = self.busy_state(lsu, id).or_else(|| {
            other_live_writer(d, self.config().writer_lease(), unix_now()).map(|_| Busy::Write)
        });
        with_busy(info, busy)
    }

    /// Refuses (with [`OstError::Busy`]) while another process's live writer holds the image.
    pub(crate) fn refuse_if_written_elsewhere(
        &self,
        id: &ImageId,
        d: &ImageDescriptor,
    ) -> Result<(), OstError> {
        let now = unix_now();
        match other_live_writer(d, self.config().writer_lease(), now) {
            Some(lease) => Err(lease_busy(id, lease, now)),
            None => Ok(()),
        }
    }

    /// Checks that the stored descriptor still carries the writer lease `writer_id`
    /// ([`OstError::Busy`] when another writer took the image over).
    pub(crate) async fn check_lease(
        &self,
        lsu: &LsuName,
        id: &ImageId,
        writer_id: &str,
    ) -> Result<(), OstError> {
        let d = self.require_descriptor(lsu, id).await?;
        match &d.writer_lease {
            Some(l) if l.writer_id == writer_id => Ok(()),
            Some(l) => Err(OstError::Busy {
                cause: format!(
                    "image {id} was taken over by {} (pid {}): this handle's writer lease lapsed",
                    l.host, l.pid
                ),
            }),
            None => Err(OstError::Busy {
                cause: format!("image {id} no longer carries this handle's writer lease"),
            }),
        }
    }

    /// Removes every object of an image (data, descriptor, metadata), its open uploads and
    /// its listing entries (from the descriptor when it is `known`). The `complete-*` entry
    /// goes with the data and the descriptor after them, so an interrupted removal is still
    /// found by the sweep and listed as its descriptor says (as before the catalogue); every
    /// entry goes last, so the `pending` hint outlives the descriptor.
    pub(crate) async fn remove_image_objects(
        &self,
        lsu: &LsuName,
        id: &ImageId,
        known: Option<&ImageDescriptor>,
    ) -> Result<(), OstError> {
        self.purge_image(lsu, id, known, false).await
    }

    /// [`Server::remove_image_objects`]; on a WORM LSU every version and delete marker of the
    /// image's keys and listing entries (`worm.rs`), with the governance bypass when
    /// `bypass_governance`.
    pub(crate) async fn purge_image(
        &self,
        lsu: &LsuName,
        id: &ImageId,
        known: Option<&ImageDescriptor>,
        bypass_governance: bool,
    ) -> Result<(), OstError> {
        let prefix = image_prefix(id);
        let worm = self.is_worm_lsu(lsu).await?;
        let exact = known
            .filter(|_| !worm && self.store().keys_are_exact())
            .and_then(|d| known_keys(id, d));
        if exact.is_none() {
            self.store()
                .sweep_uploads(lsu, &KeyRange::under(prefix.clone()), None, &[], false)
                .await?;
        }
        if worm {
            self.purge_versions(lsu, id, bypass_governance).await?;
            return self.purge_catalogue_versions(lsu, id).await;
        }
        let entries = self.catalogue_entries(lsu, id, known).await?;
        let desc = descriptor_key(id);
        let objects = match exact {
            Some(keys) => keys,
            None => self
                .store()
                .list(lsu, &prefix)
                .await?
                .into_iter()
                .map(|o| o.key)
                .filter(|k| *k != desc)
                .collect(),
        };
        let (complete, hints): (Vec<String>, Vec<String>) = entries.into_iter().partition(|k| {
            matches!(
                CatalogueEntry::parse(k),
                Some(CatalogueEntry::Complete { .. })
            )
        });
        let first: Vec<String> = objects.into_iter().chain(complete).collect();
        self.store().delete(lsu, &first).await?;
        self.store().delete(lsu, &[desc]).await?;
        self.store().delete(lsu, &hints).await
    }

    /// `delete_image`: refused while the image is open in this process or held by another
    /// process's live writer lease, and on a WORM LSU while it is locked (`STS_EWORM`, nothing
    /// deleted).
    pub(crate) async fn delete_image(&self, lsu: &LsuName, id: &ImageId) -> Result<(), OstError> {
        self.delete_image_as(lsu, id, false).await
    }

    /// [`Server::delete_image`]; `bypass_governance` (the administrator's tool only) skips the
    /// lock check and sends the governance bypass (the cluster still refuses compliance locks
    /// and legal holds).
    pub(crate) async fn delete_image_as(
        &self,
        lsu: &LsuName,
        id: &ImageId,
        bypass_governance: bool,
    ) -> Result<(), OstError> {
        if let Some(b) = self.busy_state(lsu, id) {
            return Err(OstError::Busy {
                cause: format!("image {id} in {lsu} is open ({b:?})"),
            });
        }
        // Expiring an image needs only to know it exists: an unreadable descriptor must not make
        // it impossible for NetBackup to expire the image.
        let descriptor = match self.load_descriptor(lsu, id).await {
            Ok(Some(d)) => {
                self.refuse_if_written_elsewhere(id, &d)?;
                Some(Some(d))
            }
            Ok(None) => None,
            Err(OstError::Corrupt { cause }) => {
                tracing::warn!(%lsu, image = %id, %cause, "deleting an image whose descriptor is unreadable");
                Some(None)
            }
            Err(e) => return Err(e),
        };
        // Without a descriptor the image exists while objects under its prefix are left.
        if descriptor.is_none() && self.store().list(lsu, &image_prefix(id)).await?.is_empty() {
            return Err(OstError::NoMoreEntries {
                cause: format!("image {id} does not exist in {lsu}"),
            });
        }
        let known = descriptor.flatten();
        if !bypass_governance {
            self.refuse_if_locked(lsu, id, known.as_ref()).await?;
        }
        self.purge_image(lsu, id, known.as_ref(), bypass_governance)
            .await?;
        self.stats().add(lsu, Tally::Deleted);
        self.events().publish(image_event(
            EventKind::ImageDeleted,
            lsu,
            id,
            format!("image {id} deleted from {lsu}"),
        ));
        tracing::info!(%lsu, image = %id, bypass_governance, "image deleted");
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ost_model::{ImageDate, ImageDef, ImageName, Layout};

    fn pending(
        byte_size: u64,
        checkpoint: Option<serde_json::Value>,
    ) -> (ImageId, ImageDescriptor) {
        let def = ImageDef::new(
            ImageName::new("img").unwrap(),
            ImageDate::from_unix_seconds(1_700_000_000).unwrap(),
        );
        let id = def.id();
        let layout = Layout::new(10 << 20, 5 << 20).unwrap();
        let mut d = ImageDescriptor::new_pending(def, layout, 0, "host", "test");
        d.byte_size = byte_size;
        if let Some(v) = checkpoint {
            d.extra.insert(CHECKPOINT_FIELD.to_owned(), v);
        }
        (id, d)
    }

    #[test]
    fn a_reopen_resumes_at_the_checkpoint_and_refuses_a_lost_or_unreadable_one() {
        let cp = StoredCheckpoint {
            offset: 7,
            crc32c: 1,
            segment_crcs: Vec::new(),
            part_crcs: Vec::new(),
            tail: None,
        };
        let (id, d) = pending(7, Some(serde_json::to_value(&cp).unwrap()));
        assert_eq!(resume_point(&id, &d).unwrap(), Some(cp));
        let (id, d) = pending(0, None);
        assert_eq!(resume_point(&id, &d).unwrap(), None);
        for (size, record) in [(7, Some(serde_json::json!({"offset": "x"}))), (7, None)] {
            let (id, d) = pending(size, record);
            let err = resume_point(&id, &d).unwrap_err();
            assert!(matches!(err, OstError::Corrupt { .. }), "{err}");
            assert!(err.to_string().contains("nothing removed"), "{err}");
            assert_eq!(checkpoint_of(&d), None);
        }
    }
}
