//! Where an image's segment objects live. Key naming belongs to the caller (ost-model); this crate
//! only asks "what is the key of segment N".

use std::sync::Arc;

/// Names the segment objects of one image.
pub trait SegmentKeys: Send + Sync {
    /// The key of segment `index` (from 0).
    fn segment_key(&self, index: u64) -> String;
}

impl<F> SegmentKeys for F
where
    F: Fn(u64) -> String + Send + Sync,
{
    fn segment_key(&self, index: u64) -> String {
        self(index)
    }
}

/// A bucket plus the naming of an image's segments in it.
#[derive(Clone)]
pub struct ImageLocation {
    /// The bucket.
    pub bucket: String,
    /// The segment naming.
    pub keys: Arc<dyn SegmentKeys>,
}

impl std::fmt::Debug for ImageLocation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImageLocation")
            .field("bucket", &self.bucket)
            .field("segment0", &self.keys.segment_key(0))
            .finish()
    }
}

impl ImageLocation {
    /// An image in `bucket` whose segment keys come from `keys`.
    pub fn new(bucket: impl Into<String>, keys: impl SegmentKeys + 'static) -> Self {
        Self {
            bucket: bucket.into(),
            keys: Arc::new(keys),
        }
    }

    /// An image whose segments are `{prefix}{index:06}` (e.g. `prefix` = `.../data/`).
    pub fn with_prefix(bucket: impl Into<String>, prefix: impl Into<String>) -> Self {
        let prefix = prefix.into();
        Self::new(bucket, move |i: u64| format!("{prefix}{i:06}"))
    }

    /// The key of segment `index`.
    pub fn key(&self, index: u64) -> String {
        self.keys.segment_key(index)
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
        let custom = ImageLocation::new("b", |i: u64| format!("k{i}"));
        assert_eq!(custom.key(3), "k3");
    }
}
