//! Image lists in batches: an LSU may hold hundreds of thousands of images, so a list fetches
//! one listing page of `list_batch` keys at a time, reads the descriptors among them
//! `list_concurrency` at a time, and hands out the matching images before it fetches the next
//! page. Memory is one batch, whatever the LSU holds; images come in key order, which is not
//! the order of [`ost_model::ImageId`] (OST does not promise an order).

use futures::{StreamExt as _, TryStreamExt as _};
use ost_model::image_key::root_prefix;
use ost_model::{ImageId, ImageInfo, ImageKey, ImageState, LsuName, OstError};

use super::Server;
use crate::types::ImageFilter;

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
        let prefix = match &filter.basename_prefix {
            Some(p) if !p.contains('/') => format!("{}{p}", root_prefix()),
            _ => root_prefix(),
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
            let ids = page
                .into_iter()
                .filter_map(|o| ImageKey::descriptor_id(&o.key));
            let lsu = &pager.lsu;
            let filter = &pager.filter;
            let found: Vec<Option<ImageInfo>> = futures::stream::iter(ids)
                .map(|id| self.listed_image(lsu, id, filter))
                .buffered(pager.concurrency)
                .try_collect()
                .await?;
            let found: Vec<ImageInfo> = found.into_iter().flatten().collect();
            if !found.is_empty() {
                return Ok(found);
            }
        }
        Ok(Vec::new())
    }

    /// One image of a list: `None` when its descriptor is gone, unreadable (logged) or does
    /// not pass the filter.
    async fn listed_image(
        &self,
        lsu: &LsuName,
        id: ImageId,
        filter: &ImageFilter,
    ) -> Result<Option<ImageInfo>, OstError> {
        let d = match self.load_descriptor(lsu, &id).await {
            Ok(Some(d)) => d,
            Ok(None) => return Ok(None),
            Err(OstError::Corrupt { cause }) => {
                tracing::warn!(%lsu, image = %id, %cause, "skipping an unreadable descriptor");
                return Ok(None);
            }
            Err(e) => return Err(e),
        };
        if !filter.matches(d.def()) || (d.state == ImageState::Pending && !filter.include_pending) {
            return Ok(None);
        }
        Ok(Some(self.stored_info(lsu, &id, &d)))
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
