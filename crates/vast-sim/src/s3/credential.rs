//! Access keys with `/` in the SigV4 credential scope.
//!
//! VAST's access keys are base64 and contain `/` and `+` (VAST's own example:
//! `2h/MzqtiTQSVl8J/4wsDbg==`). A header-signed request carries
//! `Credential=<key>/<date>/<region>/<service>/aws4_request`: the scope has exactly four parts
//! after the key, so the key is everything before the fourth `/` counted **from the right**.
//! `s3s` splits from the left (the key ends at the first `/`) and would refuse the request. So
//! the face splits the scope from the right first and hands `s3s` the key with `%` and `/`
//! percent-encoded (`%25`, `%2F`); [`access_key`] turns what `s3s` reports back into the real
//! key. The access key is not part of what SigV4 signs (the string to sign holds only the
//! scope after the key), so the signature is verified unchanged against the real secret.
//!
//! Presigned URLs carry the credential in the signed query string, which cannot be rewritten
//! without breaking the signature: a key with `/` in a presigned URL is still refused (neither
//! the plugin nor the compat clients presign).

use std::borrow::Cow;

use hyper::header::{HeaderValue, AUTHORIZATION};

/// What precedes the credential in a SigV4 `Authorization` header.
const CREDENTIAL: &str = "Credential=";

/// Rewrites the `Authorization` header of `headers` so that `s3s` can parse its credential
/// scope when the access key contains `/` (or `%`). Other requests are left as they are.
pub(crate) fn escape_authorization(headers: &mut hyper::HeaderMap) {
    let Some(value) = headers.get(AUTHORIZATION).and_then(|v| v.to_str().ok()) else {
        return;
    };
    let Some(rewritten) = escape_header(value) else {
        return;
    };
    if let Ok(value) = HeaderValue::from_str(&rewritten) {
        headers.insert(AUTHORIZATION, value);
    }
}

/// The header text with the key of its credential scope escaped, or `None` when nothing needs
/// escaping (no SigV4 credential, or a key without `/` and `%`).
fn escape_header(header: &str) -> Option<String> {
    let start = header.find(CREDENTIAL)? + CREDENTIAL.len();
    let len = header[start..].find(',').unwrap_or(header.len() - start);
    let scope = &header[start..start + len];
    let (key, rest) = split_scope(scope)?;
    if !key.contains(['/', '%']) {
        return None;
    }
    let escaped = key.replace('%', "%25").replace('/', "%2F");
    Some(format!(
        "{}{escaped}/{rest}{}",
        &header[..start],
        &header[start + len..]
    ))
}

/// Splits `<key>/<date>/<region>/<service>/aws4_request` into the key and the four parts after
/// it, counting the separators from the right (the key may hold `/`).
fn split_scope(scope: &str) -> Option<(&str, &str)> {
    let mut cut = scope.len();
    for _ in 0..4 {
        cut = scope[..cut].rfind('/')?;
    }
    Some((&scope[..cut], &scope[cut + 1..]))
}

/// The real access key behind the one `s3s` parsed from a header escaped by
/// [`escape_authorization`] (`%2F` → `/`, `%25` → `%`). VAST's keys are base64, so a key never
/// holds `%` of its own and the mapping is one to one.
pub(crate) fn access_key(parsed: &str) -> Cow<'_, str> {
    if !parsed.contains('%') {
        return Cow::Borrowed(parsed);
    }
    Cow::Owned(parsed.replace("%2F", "/").replace("%25", "%"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "AWS4-HMAC-SHA256 Credential=2h/MzqtiTQSVl8J/4wsDbg==/20260101/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-date, Signature=abc";

    #[test]
    fn scope_is_split_from_the_right() {
        let scope = "2h/MzqtiTQSVl8J/4wsDbg==/20260101/us-east-1/s3/aws4_request";
        assert_eq!(
            split_scope(scope),
            Some((
                "2h/MzqtiTQSVl8J/4wsDbg==",
                "20260101/us-east-1/s3/aws4_request"
            ))
        );
        assert_eq!(split_scope("short/s3/aws4_request"), None);
    }

    #[test]
    fn a_key_with_slashes_round_trips_through_the_escaped_header() {
        let escaped = escape_header(HEADER).expect("the key holds '/'");
        assert!(escaped.starts_with(
            "AWS4-HMAC-SHA256 Credential=2h%2FMzqtiTQSVl8J%2F4wsDbg==/20260101/us-east-1/s3/aws4_request, SignedHeaders="
        ));
        let key = "2h%2FMzqtiTQSVl8J%2F4wsDbg==";
        assert_eq!(access_key(key), "2h/MzqtiTQSVl8J/4wsDbg==");
    }

    #[test]
    fn keys_without_slashes_are_untouched() {
        let plain = HEADER.replace("2h/MzqtiTQSVl8J/4wsDbg==", "AKIAIOSFODNN7EXAMPLE+x=");
        assert_eq!(escape_header(&plain), None);
        assert_eq!(
            access_key("AKIAIOSFODNN7EXAMPLE+x="),
            "AKIAIOSFODNN7EXAMPLE+x="
        );
        assert_eq!(escape_header("AWS4-HMAC-SHA256 nonsense"), None);
    }
}
