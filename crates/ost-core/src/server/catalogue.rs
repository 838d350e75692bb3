//! The listing catalogue: zero-byte objects whose names say what an image list reports
//! (`ost_model::catalogue_key`), so an LSU of 100,000 images lists in a hundred key listings
//! instead of 100,000 descriptor reads.
//!
//! The descriptor stays the source of truth; the catalogue is kept so a crash at any step
//! leaves a state the list reads correctly:
//! - **create**: the `pending` entry is written *beside* the descriptor (the two PUTs sent
//!   together) and the create succeeds only once both are stored, so every image NetBackup
//!   was told of has an entry; a descriptor stored without its entry is taken back, and one a
//!   crash leaves is a Pending image no caller knows, which the orphan sweep removes. A
//!   `pending` entry is a hint the list resolves by reading the descriptor (one with no
//!   descriptor lists nothing);
//! - **complete**: the `complete-*` entry is written *after* the descriptor says Complete, so
//!   the list never reports an image Complete that is not; if writing it fails the `pending`
//!   hint still lists the image;
//! - **delete**: the `complete-*` entry goes with the image's data, the descriptor next and
//!   every entry last, so the hint outlives the descriptor;
//! - **building** the catalogue of an LSU written before it existed (or by an older plugin):
//!   entries are written from each descriptor, which is then read again; a delete that ran
//!   meanwhile has its entries removed, so no entry outlives its image. The marker
//!   `catalogue-v1` is written at the end (or as soon as the LSU is seen empty); until it
//!   exists, lists read every descriptor.

use futures::{StreamExt as _, TryStreamExt as _};
use ost_model::catalogue_key::{
    catalogue_image_prefix, catalogue_ready_key, complete_entry_of, pending_entry_key,
};
use ost_model::image_key::root_prefix;
use ost_model::{ImageDescriptor, ImageId, ImageKey, ImageState, LsuName, OstError};

use super::Server;
use crate::store::DataStore;

/// Descriptor keys listed per request while building a catalogue.
const BUILD_PAGE: usize = 1000;

/// Whether the catalogue of `lsu` covers every image: its marker exists, or the LSU holds no
/// image yet, and then the marker is written (every image from now on gets its entries, so a
/// new LSU never needs a sweep to build its catalogue).
pub(crate) async fn catalogue_marked_or_mark_empty(
    store: &dyn DataStore,
    lsu: &LsuName,
) -> Result<bool, OstError> {
    if store.get(lsu, &catalogue_ready_key()).await?.is_some() {
        return Ok(true);
    }
    if !store
        .list_page(lsu, &root_prefix(), None, 1)
        .await?
        .is_empty()
    {
        return Ok(false);
    }
    write_catalogue_marker(store, lsu).await?;
    Ok(true)
}

async fn write_catalogue_marker(store: &dyn DataStore, lsu: &LsuName) -> Result<(), OstError> {
    store
        .put(lsu, &catalogue_ready_key(), Vec::new(), false)
        .await
}

impl Server {
    /// Notes that an image may exist: written before its descriptor is created.
    pub(crate) async fn note_pending(&self, lsu: &LsuName, id: &ImageId) -> Result<(), OstError> {
        self.store()
            .put(lsu, &pending_entry_key(id), Vec::new(), false)
            .await
    }

    /// Notes a Complete image, after its descriptor says so. A failure is logged and not
    /// returned: the image is complete whatever the catalogue says, and its `pending` hint
    /// still lists it (by reading its descriptor).
    pub(crate) async fn note_complete(&self, lsu: &LsuName, d: &ImageDescriptor) {
        let key = complete_entry_of(d);
        if let Err(e) = self.store().put(lsu, &key, Vec::new(), false).await {
            tracing::warn!(%lsu, image = %d.def().id(), error = %e, "writing the image's listing entry failed; lists read its descriptor instead");
        }
    }

    /// The catalogue entries of an image about to be removed: derived from its descriptor
    /// when it is `known`, listed otherwise.
    pub(crate) async fn catalogue_entries(
        &self,
        lsu: &LsuName,
        id: &ImageId,
        known: Option<&ImageDescriptor>,
    ) -> Result<Vec<String>, OstError> {
        Ok(match known {
            Some(d) if d.state == ImageState::Complete => {
                vec![complete_entry_of(d), pending_entry_key(id)]
            }
            Some(_) => vec![pending_entry_key(id)],
            None => self
                .store()
                .list(lsu, &catalogue_image_prefix(id))
                .await?
                .into_iter()
                .map(|o| o.key)
                .collect(),
        })
    }

    /// Whether the catalogue of `lsu` covers every image: its marker exists, or the LSU holds
    /// no image yet (then the marker is written: every image from now on gets its entries).
    /// Remembered once true: the marker is never removed.
    pub(crate) async fn catalogue_ready(&self, lsu: &LsuName) -> Result<bool, OstError> {
        if self.catalogued_lsus().contains(lsu) {
            return Ok(true);
        }
        let ready = catalogue_marked_or_mark_empty(self.store().as_ref(), lsu).await?;
        if ready {
            self.catalogued_lsus().insert(lsu.clone());
        }
        Ok(ready)
    }

    /// Writes the marker of `lsu`'s catalogue and remembers it.
    async fn mark_catalogue_ready(&self, lsu: &LsuName) -> Result<(), OstError> {
        write_catalogue_marker(self.store().as_ref(), lsu).await?;
        self.catalogued_lsus().insert(lsu.clone());
        Ok(())
    }

    /// Removes every listing entry of an image that has no descriptor (a hint left by a
    /// failed create, or entries a catalogue build wrote while a delete ran).
    pub(crate) async fn forget_catalogue_entries(
        &self,
        lsu: &LsuName,
        id: &ImageId,
    ) -> Result<(), OstError> {
        let entries = self.catalogue_entries(lsu, id, None).await?;
        self.store().delete(lsu, &entries).await
    }

    /// Builds the catalogue of `lsu` when it has none (images written before the catalogue
    /// existed): one pass over every descriptor, then the marker. Returns how many images it
    /// catalogued (`None` when the catalogue was ready already).
    pub(crate) async fn build_catalogue_if_missing(
        &self,
        lsu: &LsuName,
    ) -> Result<Option<usize>, OstError> {
        if self.catalogue_ready(lsu).await? {
            return Ok(None);
        }
        let concurrency = self.config().list_concurrency.max(1);
        let mut after: Option<String> = None;
        let mut catalogued = 0;
        loop {
            let page = self
                .store()
                .list_page(lsu, &root_prefix(), after.as_deref(), BUILD_PAGE)
                .await?;
            let last_page = page.len() < BUILD_PAGE;
            after = page.last().map(|o| o.key.clone());
            let ids = page
                .into_iter()
                .filter_map(|o| ImageKey::descriptor_id(&o.key));
            let done: Vec<bool> = futures::stream::iter(ids)
                .map(|id| self.catalogue_one(lsu, id))
                .buffer_unordered(concurrency)
                .try_collect()
                .await?;
            catalogued += done.into_iter().filter(|d| *d).count();
            if last_page {
                break;
            }
        }
        self.mark_catalogue_ready(lsu).await?;
        tracing::info!(%lsu, images = catalogued, "listing catalogue built");
        Ok(Some(catalogued))
    }

    /// Writes the entries of one image from its descriptor, then reads the descriptor again
    /// and takes the entries back when a delete removed the image meanwhile. `false` when the
    /// image has no descriptor.
    async fn catalogue_one(&self, lsu: &LsuName, id: ImageId) -> Result<bool, OstError> {
        let d = match self.load_descriptor(lsu, &id).await {
            Ok(Some(d)) => Some(d),
            Ok(None) => return Ok(false),
            // A hint only: the list reads the descriptor, and skips it as it does today.
            Err(OstError::Corrupt { .. }) => None,
            Err(e) => return Err(e),
        };
        self.note_pending(lsu, &id).await?;
        if let Some(d) = d.as_ref().filter(|d| d.state == ImageState::Complete) {
            self.store()
                .put(lsu, &complete_entry_of(d), Vec::new(), false)
                .await?;
        }
        if matches!(self.load_descriptor(lsu, &id).await, Ok(None)) {
            self.forget_catalogue_entries(lsu, &id).await?;
            return Ok(false);
        }
        Ok(true)
    }

    /// Removes every version of an image's listing entries (a WORM LSU's bucket is versioned:
    /// a plain delete would leave them behind a delete marker). Entries are never locked.
    pub(crate) async fn purge_catalogue_versions(
        &self,
        lsu: &LsuName,
        id: &ImageId,
    ) -> Result<(), OstError> {
        let versions: Vec<(String, String)> = self
            .store()
            .versions(lsu, &catalogue_image_prefix(id))
            .await?
            .into_iter()
            .map(|v| (v.key, v.version_id))
            .collect();
        if versions.is_empty() {
            return Ok(());
        }
        self.store().delete_versions(lsu, &versions, false).await
    }
}
