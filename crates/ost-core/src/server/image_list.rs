//! Image lists in batches: an LSU may hold hundreds of thousands of images, so a list fetches
//! one listing page of `list_batch` keys at a time and hands out the matching images before it
//! fetches the next page. Memory is one batch, whatever the LSU holds; images come in key
//! order, which is not the order of [`ost_model::ImageId`] (OST does not promise an order).
//!
//! Where the LSU's listing catalogue is complete (`catalogue.rs`), a page is catalogue entries:
//! a Complete image is reported from its entry's name alone, and only images with a `pending`
//! hint and no Complete entry (being written, or caught by a crash) have their descriptor
//! read. Elsewhere a page is the LSU's keys and every descriptor among them is read,
//! `list_concurrency` at a time.

use std::time::Duration;

use futures::{StreamExt as _, TryStreamExt as _};
use ost_model::catalogue_key::{catalogue_name_prefix, catalogue_prefix};
use ost_model::image_key::root_prefix;
use ost_model::{
    CatalogueEntry, ImageDescriptor, ImageId, ImageInfo, ImageInfoFlags, ImageKey, ImageState,
    LsuName, OstError,
};

use super::images::with_busy;
use super::Server;
use crate::store::ObjectEntry;
use crate::types::{unix_now, ImageFilter};

/// Where a list of one LSU's images stands.
#[derive(Debug)]
pub(crate) struct ImagePager {
    lsu: LsuName,
    filter: ImageFilter,
    prefix: String,
    after: Option<String>,
    done: bool,
    batch: usize,
    concurrency: usize,
    /// Whether the list reads the catalogue (else every descriptor).
    catalogue: bool,
    /// Catalogue entries of the last image of the previous page: its next entry may be on
    /// the next page.
    carry: Vec<(CatalogueEntry, u64)>,
}

/// What a list makes of one image's catalogue entries.
enum Listed {
    /// Complete, from its entry.
    Known(ImageInfo),
    /// Only its descriptor can tell; `hint_age` is how old its `pending` hint is (seconds).
    Read { id: ImageId, hint_age: u64 },
}

impl ImagePager {
    /// The LSU listed.
    pub(crate) fn lsu(&self) -> &LsuName {
        &self.lsu
    }

    /// Whether every batch has been fetched.
    pub(crate) fn is_done(&self) -> bool {
        self.done
    }
}

impl Server {
    /// Starts a list of the images of `lsu` matching `filter` (checks the LSU exists; fetches
    /// nothing else yet). Batch size and concurrency are the settings of now.
    pub(crate) async fn start_image_list(
        &self,
        lsu: &LsuName,
        filter: &ImageFilter,
    ) -> Result<ImagePager, OstError> {
        self.check_lsu(lsu).await?;
        let catalogue = self.catalogue_ready(lsu).await?;
        let name_start = filter
            .basename_prefix
            .as_deref()
            .filter(|p| !p.contains('/'));
        let prefix = match (catalogue, name_start) {
            (true, Some(p)) => catalogue_name_prefix(p),
            (true, None) => catalogue_prefix(),
            (false, Some(p)) => format!("{}{p}", root_prefix()),
            (false, None) => root_prefix(),
        };
        let config = self.config();
        Ok(ImagePager {
            lsu: lsu.clone(),
            filter: filter.clone(),
            prefix,
            after: None,
            done: false,
            batch: config.list_batch.max(1),
            concurrency: config.list_concurrency.max(1),
            catalogue,
            carry: Vec::new(),
        })
    }

    /// The next images of a list, in key order; empty only when the list is at its end.
    pub(crate) async fn next_image_batch(
        &self,
        pager: &mut ImagePager,
    ) -> Result<Vec<ImageInfo>, OstError> {
        while !pager.done {
            let page = self
                .store()
                .list_page(
                    &pager.lsu,
                    &pager.prefix,
                    pager.after.as_deref(),
                    pager.batch,
                )
                .await?;
            pager.done = page.len() < pager.batch;
            if let Some(last) = page.last() {
                pager.after = Some(last.key.clone());
            }
            let found = if pager.catalogue {
                self.catalogue_batch(pager, page).await?
            } else {
                self.descriptor_batch(pager, page).await?
            };
            if !found.is_empty() {
                return Ok(found);
            }
        }
        Ok(Vec::new())
    }

    /// The images of one page of keys of the LSU: every descriptor among them, read.
    async fn descriptor_batch(
        &self,
        pager: &ImagePager,
        page: Vec<ObjectEntry>,
    ) -> Result<Vec<ImageInfo>, OstError> {
        let ids = page
            .into_iter()
            .filter_map(|o| ImageKey::descriptor_id(&o.key));
        let found: Vec<Option<ImageInfo>> = futures::stream::iter(ids)
            .map(|id| self.listed_image(&pager.lsu, id, &pager.filter))
            .buffered(pager.concurrency)
            .try_collect()
            .await?;
        Ok(found.into_iter().flatten().collect())
    }

    /// The images of one page of catalogue entries; the last image's entries wait for the
    /// next page unless this page is the last.
    async fn catalogue_batch(
        &self,
        pager: &mut ImagePager,
        page: Vec<ObjectEntry>,
    ) -> Result<Vec<ImageInfo>, OstError> {
        let now = unix_now();
        let mut entries = std::mem::take(&mut pager.carry);
        entries.extend(page.into_iter().filter_map(|o| {
            CatalogueEntry::parse(&o.key).map(|e| (e, now.saturating_sub(o.modified_unix)))
        }));
        let mut groups: Vec<Vec<(CatalogueEntry, u64)>> = Vec::new();
        for entry in entries {
            match groups.last_mut() {
                Some(g) if g[0].0.id() == entry.0.id() => g.push(entry),
                _ => groups.push(vec![entry]),
            }
        }
        if !pager.done {
            pager.carry = groups.pop().unwrap_or_default();
        }
        let lsu = &pager.lsu;
        let filter = &pager.filter;
        let found: Vec<Option<ImageInfo>> = futures::stream::iter(groups)
            .map(|g| async move {
                match self.listed_from_entries(lsu, g) {
                    Listed::Known(info) => Ok(filter.matches(&info.def).then_some(info)),
                    Listed::Read { id, hint_age } => {
                        self.listed_hint(lsu, id, hint_age, filter).await
                    }
                }
            })
            .buffered(pager.concurrency)
            .try_collect()
            .await?;
        Ok(found.into_iter().flatten().collect())
    }

    /// What one image's entries say: exactly one Complete entry is the image; anything else
    /// is left to its descriptor.
    fn listed_from_entries(&self, lsu: &LsuName, group: Vec<(CatalogueEntry, u64)>) -> Listed {
        let mut complete = group
            .iter()
            .filter(|(e, _)| matches!(e, CatalogueEntry::Complete { .. }));
        if let (
            Some((
                CatalogueEntry::Complete {
                    def,
                    size,
                    retain_until,
                },
                _,
            )),
            None,
        ) = (complete.next(), complete.next())
        {
            let busy = self.busy_state(lsu, &def.id());
            let info = ImageInfo {
                def: def.clone(),
                size: *size,
                flags: ImageInfoFlags::IMAGE_CREATED,
                retain_until_unix: *retain_until,
            };
            return Listed::Known(with_busy(info, busy));
        }
        let id = group[0].0.id();
        let hint_age = group.iter().map(|(_, age)| *age).min().unwrap_or(0);
        Listed::Read { id, hint_age }
    }

    /// An image known only by its `pending` hint: listed from its descriptor. A hint older
    /// than the orphan age with no descriptor is left from a create that failed before its
    /// descriptor was written, and goes (a younger one may be a create under way).
    async fn listed_hint(
        &self,
        lsu: &LsuName,
        id: ImageId,
        hint_age: u64,
        filter: &ImageFilter,
    ) -> Result<Option<ImageInfo>, OstError> {
        let Some(d) = self.listed_descriptor(lsu, &id).await? else {
            let stale = Duration::from_secs(hint_age) > self.config().orphan_age();
            if stale {
                if let Err(e) = self.forget_catalogue_entries(lsu, &id).await {
                    tracing::debug!(%lsu, image = %id, error = %e, "removing a stale listing hint failed");
                }
            }
            return Ok(None);
        };
        Ok(d.and_then(|d| self.listed_info(lsu, &id, &d, filter)))
    }

    /// One image of a list: `None` when its descriptor is gone, unreadable (logged) or does
    /// not pass the filter.
    async fn listed_image(
        &self,
        lsu: &LsuName,
        id: ImageId,
        filter: &ImageFilter,
    ) -> Result<Option<ImageInfo>, OstError> {
        let d = self.listed_descriptor(lsu, &id).await?.flatten();
        Ok(d.and_then(|d| self.listed_info(lsu, &id, &d, filter)))
    }

    /// The descriptor of a listed image: `None` when there is none, `Some(None)` when it is
    /// unreadable (logged; the list skips it).
    async fn listed_descriptor(
        &self,
        lsu: &LsuName,
        id: &ImageId,
    ) -> Result<Option<Option<ImageDescriptor>>, OstError> {
        match self.load_descriptor(lsu, id).await {
            Ok(d) => Ok(d.map(Some)),
            Err(OstError::Corrupt { cause }) => {
                tracing::warn!(%lsu, image = %id, %cause, "skipping an unreadable descriptor");
                Ok(Some(None))
            }
            Err(e) => Err(e),
        }
    }

    /// What a list reports of a stored image, when it passes `filter`.
    fn listed_info(
        &self,
        lsu: &LsuName,
        id: &ImageId,
        d: &ImageDescriptor,
        filter: &ImageFilter,
    ) -> Option<ImageInfo> {
        let pending_excluded = d.state == ImageState::Pending && !filter.include_pending;
        (filter.matches(d.def()) && !pending_excluded).then(|| self.stored_info(lsu, id, d))
    }

    /// Every image of `lsu` matching `filter`, sorted by image id (the administrator's tool;
    /// NetBackup's lists go batch by batch).
    pub(crate) async fn list_images(
        &self,
        lsu: &LsuName,
        filter: &ImageFilter,
    ) -> Result<Vec<ImageInfo>, OstError> {
        let mut pager = self.start_image_list(lsu, filter).await?;
        let mut out = Vec::new();
        loop {
            let batch = self.next_image_batch(&mut pager).await?;
            if batch.is_empty() {
                break;
            }
            out.extend(batch);
        }
        out.sort_by_key(|a| a.def.id());
        Ok(out)
    }
}
