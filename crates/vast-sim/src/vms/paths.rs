//! Request paths: `/api/` + optional `v<N>` or `latest` + `<collection>/[<id>/][<action>/]`,
//! with or without the trailing slash, and the query string.

/// A parsed API path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ApiPath {
    /// The API prefix the client used, e.g. `/api/` or `/api/v5/` (for self links).
    pub(crate) prefix: String,
    /// The segments after the prefix, e.g. `["users", "3", "access_keys"]`.
    pub(crate) segments: Vec<String>,
}

/// Splits a request path; `None` when it is not under `/api`.
pub(crate) fn parse_path(path: &str) -> Option<ApiPath> {
    let rest = path.strip_prefix("/api")?;
    if !(rest.is_empty() || rest.starts_with('/')) {
        return None;
    }
    let mut segments: Vec<String> = rest
        .split('/')
        .filter(|s| !s.is_empty())
        .map(percent_decode)
        .collect();
    let mut prefix = "/api/".to_owned();
    if let Some(first) = segments.first() {
        if is_version(first) {
            prefix = format!("/api/{first}/");
            segments.remove(0);
        }
    }
    Some(ApiPath { prefix, segments })
}

fn is_version(segment: &str) -> bool {
    segment == "latest"
        || segment
            .strip_prefix('v')
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

/// The query string's pairs, decoded, in order (repeated keys kept).
pub(crate) fn parse_query(query: Option<&str>) -> Vec<(String, String)> {
    query
        .unwrap_or("")
        .split('&')
        .filter(|kv| !kv.is_empty())
        .map(|kv| match kv.split_once('=') {
            Some((k, v)) => (percent_decode(k), percent_decode(v)),
            None => (percent_decode(kv), String::new()),
        })
        .collect()
}

/// Percent-decoding as forms do it (`+` is a space).
pub(crate) fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(hi), Some(lo)) => {
                    out.push(hi * 16 + lo);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex(b: u8) -> Option<u8> {
    char::from(b)
        .to_digit(16)
        .and_then(|d| u8::try_from(d).ok())
}

/// Percent-encodes a query component.
pub(crate) fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b',' | b':') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_and_slashes() {
        let p = parse_path("/api/v5/views/3").unwrap();
        assert_eq!(p.prefix, "/api/v5/");
        assert_eq!(p.segments, vec!["views", "3"]);
        let p = parse_path("/api/latest/views/").unwrap();
        assert_eq!(p.prefix, "/api/latest/");
        let p = parse_path("/api/views/").unwrap();
        assert_eq!(p.prefix, "/api/");
        assert_eq!(p.segments, vec!["views"]);
        assert!(parse_path("/apix/views/").is_none());
        assert!(parse_path("/other").is_none());
    }

    #[test]
    fn query_decoding() {
        let q = parse_query(Some("name=a%20b&x=1+2&flag&path=%2Fb"));
        assert_eq!(q[0], ("name".into(), "a b".into()));
        assert_eq!(q[1], ("x".into(), "1 2".into()));
        assert_eq!(q[2], ("flag".into(), String::new()));
        assert_eq!(q[3], ("path".into(), "/b".into()));
        assert_eq!(percent_decode("100%"), "100%");
    }
}
