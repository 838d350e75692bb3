//! [`Plugin`]'s OST calls on one kind of object. LSUs: lists, create, information, properties,
//! labels.

use std::sync::{Arc, Mutex};

use ost_model::{LsuInfo, LsuName, OstError};

use super::{no_more, wrong_list, ListCursor, Plugin};
use crate::handles::{ListId, ServerId};
use crate::types::LsuProps;

impl Plugin {
    /// Every LSU (bucket) the plugin manages on the server; creates the default LSU when there
    /// is none. Cached for `lsu_cache_secs`.
    pub fn list_lsus(&self, server: ServerId) -> Result<Vec<LsuName>, OstError> {
        self.on_server(server, None, async |s| s.list_lsus().await)
    }

    /// `stspi_open_lsu_list`: a cursor over [`Plugin::list_lsus`].
    pub fn open_lsu_list(&self, server: ServerId) -> Result<ListId, OstError> {
        let lsus = self.list_lsus(server)?;
        Ok(self
            .lists
            .insert(Arc::new(Mutex::new(ListCursor::Lsus(lsus.into())))))
    }

    /// `stspi_list_lsu`: the next LSU, or [`OstError::NoMoreEntries`].
    pub fn next_lsu(&self, list: ListId) -> Result<LsuName, OstError> {
        let cursor = self.own(list, self.lists.get(list))?;
        let mut guard = cursor
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match &mut *guard {
            ListCursor::Lsus(items) => items.pop_front().ok_or_else(|| no_more("LSU list")),
            ListCursor::Images(_) => Err(wrong_list(list, "an image list")),
        }
    }

    /// `stspi_close_lsu_list` / `stspi_close_image_list`.
    pub fn close_list(&self, list: ListId) -> Result<(), OstError> {
        self.own(list, self.lists.remove(list)).map(drop)
    }

    /// Creates an LSU (bucket view in the plugin's tenant); an existing one of ours is fine.
    pub fn create_lsu(&self, server: ServerId, lsu: &LsuName) -> Result<(), OstError> {
        self.on_server(server, Some(lsu), async |s| s.create_lsu(lsu).await)
    }

    /// Creates a WORM LSU (the administrator's `vast-ost lsu create --worm`): a bucket view with
    /// WORM locking (S3 object lock, for good) whose images are locked when complete, as
    /// `policy` says. An existing WORM LSU of ours keeps its view; its policy is never
    /// weakened.
    pub fn create_worm_lsu(
        &self,
        server: ServerId,
        lsu: &LsuName,
        policy: ost_model::WormPolicy,
    ) -> Result<(), OstError> {
        self.on_server(server, Some(lsu), async |s| {
            s.create_lsu_with(lsu, Some(policy)).await
        })
    }

    /// `stspi_get_lsu_prop_byname`: capacity and use from the bucket's quota (or the view),
    /// label, flags. Cached for `lsu_cache_secs`.
    pub fn lsu_info(&self, server: ServerId, lsu: &LsuName) -> Result<LsuInfo, OstError> {
        self.on_server(server, Some(lsu), async |s| s.lsu_info(lsu).await)
    }

    /// [`Plugin::lsu_info`] plus the LSU's image counts and online state.
    pub fn lsu_props(&self, server: ServerId, lsu: &LsuName) -> Result<LsuProps, OstError> {
        self.on_server(server, Some(lsu), async |s| s.lsu_props(lsu).await)
    }

    /// `stspi_label_lsu`: stores `label` as a bucket tag.
    pub fn label_lsu(&self, server: ServerId, lsu: &LsuName, label: &str) -> Result<(), OstError> {
        self.on_server(server, Some(lsu), async |s| s.label_lsu(lsu, label).await)
    }
}
