//! ListObjectsV2 as a stream that follows continuation tokens.

use futures::stream::{self, Stream};

use crate::client::S3Client;
use crate::error::{DataError, Result};

/// One entry of a listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListEntry {
    /// An object.
    Object {
        /// Its key.
        key: String,
        /// Its size.
        size: u64,
        /// Its ETag.
        etag: Option<String>,
        /// Last modification, milliseconds since the Unix epoch (0 when unknown).
        last_modified_ms: i64,
    },
    /// A common prefix (a "directory" when listing with a delimiter).
    Prefix(String),
}

impl ListEntry {
    /// The key or prefix.
    pub fn name(&self) -> &str {
        match self {
            ListEntry::Object { key, .. } => key,
            ListEntry::Prefix(p) => p,
        }
    }
}

/// What to list.
#[derive(Debug, Clone, Default)]
pub struct ListRequest {
    /// Only keys starting with this.
    pub prefix: Option<String>,
    /// Group keys by this delimiter into [`ListEntry::Prefix`] entries.
    pub delimiter: Option<String>,
    /// Start after this key.
    pub start_after: Option<String>,
    /// Keys per page (server default when `None`).
    pub page_size: Option<i32>,
}

struct Cursor {
    client: S3Client,
    bucket: String,
    request: ListRequest,
    token: Option<String>,
    done: bool,
}

/// Lists `bucket` page by page: objects and prefixes come out as the pages arrive.
pub fn list(
    client: &S3Client,
    bucket: &str,
    request: ListRequest,
) -> impl Stream<Item = Result<ListEntry>> + Send + 'static {
    let cursor = Cursor {
        client: client.clone(),
        bucket: bucket.to_owned(),
        request,
        token: None,
        done: false,
    };
    let pages = stream::try_unfold(cursor, |mut c| async move {
        if c.done {
            return Ok(None);
        }
        let page = c
            .client
            .sdk()
            .list_objects_v2()
            .bucket(&c.bucket)
            .set_prefix(c.request.prefix.clone())
            .set_delimiter(c.request.delimiter.clone())
            .set_start_after(c.request.start_after.clone())
            .set_max_keys(c.request.page_size)
            .set_continuation_token(c.token.clone())
            .send()
            .await
            .map_err(|e| DataError::sdk("ListObjectsV2", c.bucket.clone(), e))?;
        let mut entries: Vec<Result<ListEntry>> = Vec::new();
        for o in page.contents() {
            entries.push(Ok(ListEntry::Object {
                key: o.key().unwrap_or_default().to_owned(),
                size: o.size().unwrap_or(0).max(0) as u64,
                etag: o.e_tag().map(str::to_owned),
                last_modified_ms: o
                    .last_modified()
                    .and_then(|t| t.to_millis().ok())
                    .unwrap_or(0),
            }));
        }
        for p in page.common_prefixes() {
            if let Some(prefix) = p.prefix() {
                entries.push(Ok(ListEntry::Prefix(prefix.to_owned())));
            }
        }
        let next = page.next_continuation_token().map(str::to_owned);
        if !page.is_truncated().unwrap_or(false) || next.is_none() || next == c.token {
            c.done = true;
        }
        c.token = next;
        Ok(Some((stream::iter(entries), c)))
    });
    futures::TryStreamExt::try_flatten(pages)
}

/// All object keys under `prefix` (convenience over [`list`]).
pub async fn list_keys(client: &S3Client, bucket: &str, prefix: &str) -> Result<Vec<String>> {
    use futures::TryStreamExt as _;
    let request = ListRequest {
        prefix: Some(prefix.to_owned()),
        ..ListRequest::default()
    };
    list(client, bucket, request)
        .try_filter_map(|e| async move {
            Ok(match e {
                ListEntry::Object { key, .. } => Some(key),
                ListEntry::Prefix(_) => None,
            })
        })
        .try_collect()
        .await
}
