//! LSU names. An LSU is an S3 bucket on the VAST cluster (original-design.md 1.2), so an LSU name
//! must be a valid S3 bucket name.

use std::fmt;
use std::str::FromStr;

use crate::limits::{MAX_LSU_NAME_LEN, MIN_LSU_NAME_LEN};

/// Bucket-name prefixes S3 reserves.
pub const RESERVED_LSU_PREFIXES: &[&str] = &["xn--", "sthree-"];

/// Bucket-name suffixes S3 reserves.
pub const RESERVED_LSU_SUFFIXES: &[&str] = &["-s3alias", "--ol-s3", "--x-s3"];

/// Which S3 bucket-name rule an LSU name broke. Rules are checked in the order listed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LsuNameError {
    /// Fewer than [`MIN_LSU_NAME_LEN`] characters.
    #[error("LSU name has {len} characters; at least 3 are required")]
    TooShort {
        /// Length in bytes.
        len: usize,
    },
    /// More than [`MAX_LSU_NAME_LEN`] characters.
    #[error("LSU name has {len} characters; at most 63 are allowed")]
    TooLong {
        /// Length in bytes.
        len: usize,
    },
    /// A character other than lower-case letters, digits, `-` and `.`.
    #[error("LSU name has {ch:?} at position {pos}; only lower-case letters, digits, '-' and '.' are allowed")]
    InvalidChar {
        /// The character.
        ch: char,
        /// Its byte position.
        pos: usize,
    },
    /// The first character is not a letter or digit.
    #[error("LSU name must start with a letter or digit, not {ch:?}")]
    BadStart {
        /// The first character.
        ch: char,
    },
    /// The last character is not a letter or digit.
    #[error("LSU name must end with a letter or digit, not {ch:?}")]
    BadEnd {
        /// The last character.
        ch: char,
    },
    /// Two dots in a row.
    #[error("LSU name must not contain \"..\"")]
    ConsecutiveDots,
    /// A dot next to a hyphen (`.-` or `-.`), which is not a valid DNS label.
    #[error("LSU name must not contain \".-\" or \"-.\"")]
    DashNextToDot,
    /// The name looks like an IPv4 address.
    #[error("LSU name must not look like an IP address")]
    IpAddressForm,
    /// The name starts with a prefix S3 reserves.
    #[error("LSU name must not start with the reserved prefix {prefix:?}")]
    ReservedPrefix {
        /// The reserved prefix.
        prefix: &'static str,
    },
    /// The name ends with a suffix S3 reserves.
    #[error("LSU name must not end with the reserved suffix {suffix:?}")]
    ReservedSuffix {
        /// The reserved suffix.
        suffix: &'static str,
    },
}

/// A validated LSU name (also the S3 bucket name).
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(try_from = "String", into = "String")]
pub struct LsuName(String);

impl LsuName {
    /// Validates `name`.
    pub fn new(name: &str) -> Result<Self, LsuNameError> {
        validate_lsu_name(name)?;
        Ok(Self(name.to_owned()))
    }

    /// The name as a string (also the bucket name).
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Checks `name` against every S3 bucket-name rule, reporting the first one broken.
pub fn validate_lsu_name(name: &str) -> Result<(), LsuNameError> {
    let len = name.len();
    if len < MIN_LSU_NAME_LEN {
        return Err(LsuNameError::TooShort { len });
    }
    if len > MAX_LSU_NAME_LEN {
        return Err(LsuNameError::TooLong { len });
    }
    if let Some((pos, ch)) = name
        .char_indices()
        .find(|&(_, c)| !(c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.'))
    {
        return Err(LsuNameError::InvalidChar { ch, pos });
    }
    let alnum = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit();
    // Only ASCII remains, so byte indexing is safe.
    let first = char::from(name.as_bytes()[0]);
    if !alnum(first) {
        return Err(LsuNameError::BadStart { ch: first });
    }
    let last = char::from(name.as_bytes()[len - 1]);
    if !alnum(last) {
        return Err(LsuNameError::BadEnd { ch: last });
    }
    if name.contains("..") {
        return Err(LsuNameError::ConsecutiveDots);
    }
    if name.contains(".-") || name.contains("-.") {
        return Err(LsuNameError::DashNextToDot);
    }
    let parts: Vec<&str> = name.split('.').collect();
    if parts.len() == 4 && parts.iter().all(|p| p.bytes().all(|b| b.is_ascii_digit())) {
        return Err(LsuNameError::IpAddressForm);
    }
    if let Some(prefix) = RESERVED_LSU_PREFIXES.iter().find(|p| name.starts_with(*p)) {
        return Err(LsuNameError::ReservedPrefix { prefix });
    }
    if let Some(suffix) = RESERVED_LSU_SUFFIXES.iter().find(|s| name.ends_with(*s)) {
        return Err(LsuNameError::ReservedSuffix { suffix });
    }
    Ok(())
}

impl fmt::Display for LsuName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for LsuName {
    type Err = LsuNameError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::new(s)
    }
}

impl TryFrom<String> for LsuName {
    type Error = LsuNameError;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        validate_lsu_name(&s)?;
        Ok(Self(s))
    }
}

impl From<LsuName> for String {
    fn from(name: LsuName) -> Self {
        name.0
    }
}

impl AsRef<str> for LsuName {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_valid_bucket_names() {
        for s in [
            "netbackup-pool-01",
            "abc",
            "a.b.c",
            "1pool",
            &"a".repeat(63),
        ] {
            assert_eq!(LsuName::new(s).unwrap().as_str(), s);
        }
    }

    #[test]
    fn names_the_broken_rule() {
        use LsuNameError as E;
        let cases: &[(&str, E)] = &[
            ("ab", E::TooShort { len: 2 }),
            ("", E::TooShort { len: 0 }),
            (&"a".repeat(64), E::TooLong { len: 64 }),
            ("Pool", E::InvalidChar { ch: 'P', pos: 0 }),
            ("po_ol", E::InvalidChar { ch: '_', pos: 2 }),
            ("-pool", E::BadStart { ch: '-' }),
            (".pool", E::BadStart { ch: '.' }),
            ("pool-", E::BadEnd { ch: '-' }),
            ("po..ol", E::ConsecutiveDots),
            ("po.-ol", E::DashNextToDot),
            ("192.168.5.4", E::IpAddressForm),
            ("xn--pool", E::ReservedPrefix { prefix: "xn--" }),
            ("pool-s3alias", E::ReservedSuffix { suffix: "-s3alias" }),
        ];
        for (s, want) in cases {
            assert_eq!(LsuName::new(s).as_ref(), Err(want), "{s}");
        }
    }

    #[test]
    fn serde_validates() {
        let n: LsuName = serde_json::from_str("\"pool-1\"").unwrap();
        assert_eq!(serde_json::to_string(&n).unwrap(), "\"pool-1\"");
        assert!(serde_json::from_str::<LsuName>("\"Bad\"").is_err());
    }
}
