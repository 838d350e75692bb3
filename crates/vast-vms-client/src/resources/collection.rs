//! The operations every VMS collection shares: list (both shapes, all pages), get, and for
//! writable collections create, update and delete.

use std::marker::PhantomData;

use futures::TryStreamExt;
use http::Method;
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::client::VmsClient;
use crate::error::Error;
use crate::paging::{ItemStream, PageStream};
use crate::query::Query;
use crate::resources::vtasks::TaskRef;

/// A typed VMS object that lives in a collection (`/api/<ver>/<COLLECTION>/<id>/`).
pub trait Resource: DeserializeOwned + Send + 'static {
    /// The collection's path segment, e.g. `views`.
    const COLLECTION: &'static str;
}

/// A resource that can be created with `POST /<collection>/`.
pub trait Creatable: Resource {
    /// The body of a create call.
    type New: Serialize + Sync;
}

/// A resource that can be changed (`PATCH /<collection>/<id>/`) and deleted.
pub trait Mutable: Resource {}

/// The calls of one collection. Obtained from [`VmsClient`], e.g. `client.views()`.
#[derive(Clone, Debug)]
pub struct Collection<T> {
    pub(crate) client: VmsClient,
    _item: PhantomData<fn() -> T>,
}

impl<T: Resource> Collection<T> {
    pub(crate) fn new(client: VmsClient) -> Self {
        Self {
            client,
            _item: PhantomData,
        }
    }

    fn root() -> String {
        format!("{}/", T::COLLECTION)
    }

    fn item(id: u64) -> String {
        format!("{}/{id}/", T::COLLECTION)
    }

    /// Every item matching `query`, across all pages.
    pub async fn list(&self, query: &Query) -> Result<Vec<T>, Error> {
        self.stream(query).try_collect().await
    }

    /// Items matching `query` as a stream that fetches pages as it goes (set
    /// [`Query::page_size`] to choose the page size).
    pub fn stream(&self, query: &Query) -> ItemStream<T> {
        self.client.stream(&Self::root(), query)
    }

    /// Pages of items matching `query`.
    pub fn pages(&self, query: &Query) -> PageStream<T> {
        self.client.pages(&Self::root(), query)
    }

    /// One item by id.
    pub async fn get(&self, id: u64) -> Result<T, Error> {
        self.client
            .call(Method::GET, &Self::item(id), &Query::new(), None::<&()>)
            .await
    }

    /// The first item matching `query`, if any.
    pub async fn first(&self, query: &Query) -> Result<Option<T>, Error> {
        Ok(self.list(query).await?.into_iter().next())
    }
}

impl<T: Creatable> Collection<T> {
    /// Creates an item (`POST`, never retried once sent).
    pub async fn create(&self, new: &T::New) -> Result<T, Error> {
        self.client
            .call(Method::POST, &Self::root(), &Query::new(), Some(new))
            .await
    }
}

impl<T: Mutable> Collection<T> {
    /// Changes the fields in `patch` (a typed patch struct or a `serde_json::json!` object).
    pub async fn update<P: Serialize + ?Sized>(&self, id: u64, patch: &P) -> Result<T, Error> {
        self.client
            .call(Method::PATCH, &Self::item(id), &Query::new(), Some(patch))
            .await
    }

    /// Deletes an item. When VMS runs the deletion as an async task, its reference is returned
    /// (wait for it with [`VmsClient::vtasks`]).
    pub async fn delete(&self, id: u64) -> Result<Option<TaskRef>, Error> {
        self.delete_with(id, &Query::new()).await
    }

    /// Deletes an item with query flags (e.g. `force=true`, `force_remove=true`).
    pub async fn delete_with(&self, id: u64, query: &Query) -> Result<Option<TaskRef>, Error> {
        let answer: Option<serde_json::Value> = self
            .client
            .call(Method::DELETE, &Self::item(id), query, None::<&()>)
            .await?;
        Ok(answer.as_ref().and_then(TaskRef::from_answer))
    }
}
