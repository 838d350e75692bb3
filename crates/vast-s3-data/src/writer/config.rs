//! Tuning of a [`super::SegmentedWriter`].

use crate::error::Result;
use crate::layout::Layout;

/// How a writer splits and uploads an image. See the crate README for why the defaults are what
/// they are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriterConfig {
    /// Bytes per multipart part (default 16 MiB). S3 needs at least 5 MiB for all parts but the
    /// last of an upload; tests may go lower against servers that do not check.
    pub part_size: u64,
    /// Bytes per segment object (default 64 GiB = 4,096 parts). A multiple of `part_size`.
    pub segment_size: u64,
    /// Part uploads in flight per writer (default 4).
    pub max_in_flight: usize,
    /// The out-of-order window (default 4): a write may start at most this many parts past the
    /// oldest part not yet uploaded. Parts a write fills completely are uploaded as they fill,
    /// so a large write may extend further.
    pub window_parts: usize,
    /// Create segment objects with `If-None-Match: *`, so an existing image is never
    /// overwritten (default true).
    pub conditional_create: bool,
}

impl Default for WriterConfig {
    fn default() -> Self {
        Self {
            part_size: 16 << 20,
            segment_size: 64 << 30,
            max_in_flight: 4,
            window_parts: 4,
            conditional_create: true,
        }
    }
}

impl WriterConfig {
    /// The part/segment geometry, validated.
    pub fn layout(&self) -> Result<Layout> {
        Layout::new(self.part_size, self.segment_size)
    }
}
