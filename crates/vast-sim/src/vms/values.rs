//! Generated values: timestamps, GUIDs, S3 key material and API tokens.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// Now, as the ISO-8601 UTC timestamp VMS prints (`2026-11-25T15:04:05.123456Z`).
pub(crate) fn now_iso() -> String {
    iso(OffsetDateTime::now_utc())
}

/// A time as an ISO-8601 UTC timestamp.
pub(crate) fn iso(t: OffsetDateTime) -> String {
    t.format(&Rfc3339)
        .unwrap_or_else(|_| t.unix_timestamp().to_string())
}

/// Seconds since the Unix epoch.
pub(crate) fn now_unix() -> i64 {
    OffsetDateTime::now_utc().unix_timestamp()
}

/// Parses an ISO-8601 timestamp (RFC 3339).
pub(crate) fn parse_iso(s: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(s, &Rfc3339).ok()
}

/// A random UUID (version 4) string.
pub(crate) fn guid() -> String {
    let mut b: [u8; 16] = rand::random();
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// A 24-character base64 access key (16 random bytes), like VAST's (`2h/MzqtiTQSVl8J/4wsDbg==`).
/// Drawn until it holds both `/` and `+`, so every client of the simulator meets the characters
/// real keys carry (a `/` in the SigV4 credential scope, a `+` that URL forms turn into a space).
pub(crate) fn access_key() -> String {
    base64_with_slash_and_plus::<16>()
}

/// A 44-character base64 secret key (32 random bytes), like VAST's; like [`access_key`], it
/// always holds `/` and `+`.
pub(crate) fn secret_key() -> String {
    base64_with_slash_and_plus::<32>()
}

/// Standard base64 of `N` random bytes that contains both `/` and `+` (about one draw in twelve
/// for 16 bytes, so a few draws).
fn base64_with_slash_and_plus<const N: usize>() -> String {
    loop {
        let key = STANDARD.encode(rand::random::<[u8; N]>());
        if key.contains('/') && key.contains('+') {
            return key;
        }
    }
}

/// An opaque API token (40 hex characters).
pub(crate) fn api_token() -> String {
    rand::random::<[u8; 20]>()
        .iter()
        .map(|x| format!("{x:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_formats() {
        let ak = access_key();
        assert_eq!(ak.len(), 24);
        assert!(ak.contains('/') && ak.contains('+'));
        let sk = secret_key();
        assert_eq!(sk.len(), 44);
        assert!(sk.contains('/') && sk.contains('+'));
        assert_eq!(guid().len(), 36);
        assert!(parse_iso(&now_iso()).is_some());
    }
}
