//! Query strings in VMS's Django-filter style (`name=x`, `path__contains=y`, `page_size=100`).

use std::fmt::Display;

/// Filters and paging parameters of a list call. Keys are VMS filter names, lookups included:
/// `Query::new().filter("path__startswith", "/backups")`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[must_use]
pub struct Query {
    pairs: Vec<(String, String)>,
}

impl Query {
    /// No filters.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `key=value`; `key` may carry a lookup suffix (`__icontains`, `__gte`, `__in`, ...).
    pub fn filter(mut self, key: impl Into<String>, value: impl Display) -> Self {
        self.pairs.push((key.into(), value.to_string()));
        self
    }

    /// Asks for pages of `size` items (the answer becomes a paged envelope; lists follow its
    /// `next` links).
    pub fn page_size(self, size: u32) -> Self {
        self.set("page_size", size)
    }

    /// Starts at page `page` (1-based).
    pub fn page(self, page: u32) -> Self {
        self.set("page", page)
    }

    /// Limits the returned keys (`fields=id,name`).
    pub fn fields(self, fields: &[&str]) -> Self {
        self.set("fields", fields.join(","))
    }

    /// Replaces every `key=...` with one `key=value`.
    pub fn set(mut self, key: &str, value: impl Display) -> Self {
        self.pairs.retain(|(k, _)| k != key);
        self.filter(key, value)
    }

    /// The value of `key`, if set.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// Whether no parameter is set.
    pub fn is_empty(&self) -> bool {
        self.pairs.is_empty()
    }

    /// The percent-encoded query string, without the leading `?`.
    pub fn encode(&self) -> String {
        self.pairs
            .iter()
            .map(|(k, v)| format!("{}={}", encode_component(k), encode_component(v)))
            .collect::<Vec<_>>()
            .join("&")
    }

    /// `relative` with this query appended (`views/?bucket=b`).
    pub(crate) fn append_to(&self, relative: &str) -> String {
        if self.is_empty() {
            relative.to_owned()
        } else {
            format!("{relative}?{}", self.encode())
        }
    }
}

/// Percent-encodes everything but RFC 3986 unreserved characters (and `,`, which VMS list
/// filters use as a separator).
fn encode_component(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~' | b',') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_filters_and_paging() {
        let query = Query::new()
            .filter("path__startswith", "/b 1/x&y")
            .filter("timestamp__gte", "2026-01-01T00:00:00Z")
            .fields(&["id", "name"])
            .page_size(50)
            .page_size(100);
        assert_eq!(
            query.encode(),
            "path__startswith=%2Fb%201%2Fx%26y&timestamp__gte=2026-01-01T00%3A00%3A00Z&fields=id,name&page_size=100"
        );
        assert_eq!(query.get("page_size"), Some("100"));
        assert_eq!(Query::new().append_to("views/"), "views/");
        assert_eq!(
            Query::new().filter("name", "é").append_to("users/"),
            "users/?name=%C3%A9"
        );
    }
}
