//! Where an image's segment objects live. Key naming belongs to the caller (ost-model); this crate
//! only asks "what is the key of segment N" and, to find what a dead writer left, "which
//! segment is this key".

/// A bucket plus the prefix of an image's segment objects in it: segment `N` is
/// `{prefix}{N:06}`.
#[derive(Clone, PartialEq, Eq)]
pub struct ImageLocation {
    /// The bucket.
    pub bucket: String,
    /// The segment keys' common prefix (e.g. `.../data/`).
    prefix: String,
}

impl std::fmt::Debug for ImageLocation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImageLocation")
            .field("bucket", &self.bucket)
            .field("segment0", &self.key(0))
            .finish()
    }
}

impl ImageLocation {
    /// An image whose segments are `{prefix}{index:06}` (e.g. `prefix` = `.../data/`).
    pub fn with_prefix(bucket: impl Into<String>, prefix: impl Into<String>) -> Self {
        Self {
            bucket: bucket.into(),
            prefix: prefix.into(),
        }
    }

    /// The key of segment `index`.
    pub fn key(&self, index: u64) -> String {
        format!("{}{index:06}", self.prefix)
    }

    /// The prefix every segment key starts with (for listing them).
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// The segment index `key` names, or `None` for a key that is not one of this image's
    /// segments.
    pub fn segment_of(&self, key: &str) -> Option<u64> {
        let digits = key.strip_prefix(&self.prefix)?;
        if digits.len() < 6 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let index = digits.parse().ok()?;
        (self.key(index) == key).then_some(index)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_naming_pads_to_six_digits() {
        let loc = ImageLocation::with_prefix("b", "netbackup/x/2026/data/");
        assert_eq!(loc.key(0), "netbackup/x/2026/data/000000");
        assert_eq!(loc.key(12), "netbackup/x/2026/data/000012");
        assert_eq!(loc.key(1_234_567), "netbackup/x/2026/data/1234567");
    }

    #[test]
    fn segment_of_reads_back_only_this_images_segment_keys() {
        let loc = ImageLocation::with_prefix("b", "netbackup/x/2026/data/");
        for i in [0, 7, 999_999, 1_000_000, 12_345_678] {
            assert_eq!(loc.segment_of(&loc.key(i)), Some(i));
        }
        for other in [
            "netbackup/x/2026/data/",
            "netbackup/x/2026/data/12",
            "netbackup/x/2026/data/00001a",
            "netbackup/x/2026/data/0000001",
            "netbackup/x/2026/data/000001/x",
            "netbackup/x/2026/tail/000001",
            "netbackup/y/2026/data/000001",
        ] {
            assert_eq!(loc.segment_of(other), None, "{other}");
        }
    }
}
