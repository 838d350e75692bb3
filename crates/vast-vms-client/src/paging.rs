//! List answers in both VMS shapes (bare array or `{count,next,previous,results}`) and streams
//! that follow `next` links.

use futures::stream::{self, BoxStream, StreamExt, TryStreamExt};
use serde::de::DeserializeOwned;
use serde::Deserialize;

use crate::client::VmsClient;
use crate::error::{Call, Error};
use crate::transport::path_of_link;

/// One page of a list.
#[derive(Clone, Debug, PartialEq)]
pub struct Page<T> {
    /// Total number of matching items, when VMS says (a bare array counts as one page).
    pub count: Option<u64>,
    /// Absolute URL of the next page, if any.
    pub next: Option<String>,
    /// Absolute URL of the previous page, if any.
    pub previous: Option<String>,
    /// The items on this page.
    pub results: Vec<T>,
}

/// A stream of pages; ends after the page without `next`.
pub type PageStream<T> = BoxStream<'static, Result<Page<T>, Error>>;

/// A stream of items across all pages.
pub type ItemStream<T> = BoxStream<'static, Result<T, Error>>;

#[derive(Deserialize)]
#[serde(untagged)]
enum ListShape<T> {
    Bare(Vec<T>),
    Paged {
        #[serde(default)]
        count: Option<u64>,
        #[serde(default)]
        next: Option<String>,
        #[serde(default)]
        previous: Option<String>,
        results: Vec<T>,
    },
}

/// Reads a list answer of either shape.
pub(crate) fn parse_page<T: DeserializeOwned>(body: &[u8]) -> Result<Page<T>, serde_json::Error> {
    // Decide the shape on the JSON value first so that an item that fails to decode reports its
    // own error instead of serde's opaque "did not match any variant".
    let value: serde_json::Value = serde_json::from_slice(body)?;
    let shape = match value {
        serde_json::Value::Array(items) => ListShape::Bare(
            items
                .into_iter()
                .map(serde_json::from_value)
                .collect::<Result<_, _>>()?,
        ),
        other => serde_json::from_value(other)?,
    };
    Ok(match shape {
        ListShape::Bare(results) => Page {
            count: u64::try_from(results.len()).ok(),
            next: None,
            previous: None,
            results,
        },
        ListShape::Paged {
            count,
            next,
            previous,
            results,
        } => Page {
            count,
            next: next.filter(|n| !n.is_empty()),
            previous,
            results,
        },
    })
}

/// Pages starting at `first` (a full path with query), following `next` links until none.
pub(crate) fn pages<T>(client: VmsClient, first: String) -> PageStream<T>
where
    T: DeserializeOwned + Send + 'static,
{
    stream::try_unfold(Some(first), move |next| {
        let client = client.clone();
        async move {
            let Some(path) = next else {
                return Ok(None);
            };
            let page: Page<T> = client.fetch_page(&path).await?;
            let following = match page.next.as_deref() {
                None => None,
                Some(link) => {
                    let target = path_of_link(link).ok_or_else(|| Error::Decode {
                        call: Call::new(&http::Method::GET, &path, Some(200)),
                        message: format!("unusable next link {link:?}"),
                    })?;
                    // A server that points a page at itself would loop forever.
                    (target != path).then_some(target)
                }
            };
            Ok(Some((page, following)))
        }
    })
    .boxed()
}

/// Items of every page starting at `first`.
pub(crate) fn items<T>(client: VmsClient, first: String) -> ItemStream<T>
where
    T: DeserializeOwned + Send + 'static,
{
    pages::<T>(client, first)
        .map_ok(|page| stream::iter(page.results.into_iter().map(Ok)))
        .try_flatten()
        .boxed()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_bare_array() {
        let page: Page<u32> = parse_page(b"[1,2,3]").unwrap();
        assert_eq!(page.results, vec![1, 2, 3]);
        assert_eq!(page.count, Some(3));
        assert_eq!(page.next, None);
    }

    #[test]
    fn reads_the_envelope() {
        let page: Page<u32> = parse_page(
            br#"{"count":5,"next":"http://h/api/views/?page=2&page_size=2","previous":null,"results":[1,2]}"#,
        )
        .unwrap();
        assert_eq!(page.results, vec![1, 2]);
        assert_eq!(page.count, Some(5));
        assert_eq!(
            page.next.as_deref(),
            Some("http://h/api/views/?page=2&page_size=2")
        );
    }

    #[test]
    fn a_bad_item_reports_its_own_error() {
        let err = parse_page::<u32>(br#"[1,"x"]"#).unwrap_err();
        assert!(err.to_string().contains("invalid type"), "{err}");
        assert!(parse_page::<u32>(br#"{"detail":"nope"}"#).is_err());
    }
}
