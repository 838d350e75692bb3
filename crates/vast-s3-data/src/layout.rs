//! How an image's bytes map onto segment objects and multipart parts.
//!
//! An image is a sequence of segment objects of `segment_size` bytes each (the last one shorter),
//! each uploaded as parts of `part_size` bytes (the last one shorter). Parts are numbered globally
//! from 0 across the image; part `g` lives in segment `g / parts_per_segment` as S3 part number
//! `g % parts_per_segment + 1`.

use crate::error::{DataError, Result};

/// S3's limit on parts per multipart upload.
pub const MAX_PARTS_PER_UPLOAD: u64 = 10_000;
/// The largest segment object allowed (VAST caps objects at about 1 TB).
pub const MAX_SEGMENT_SIZE: u64 = 1 << 40;
/// S3's largest single part.
pub const MAX_PART_SIZE: u64 = 5 << 30;
/// Segment numbers are written with six digits, so an image has at most this many segments.
pub const MAX_SEGMENTS: u64 = 1_000_000;

/// Part and segment geometry of an image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Layout {
    part_size: u64,
    segment_size: u64,
}

/// Where one global part lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PartLocation {
    /// Segment number (from 0).
    pub segment: u64,
    /// S3 part number inside the segment's upload (from 1).
    pub part_number: i32,
}

impl Layout {
    /// A layout; `segment_size` must be a multiple of `part_size`, with at most 10,000 parts per
    /// segment and at most 1 TiB per segment.
    pub fn new(part_size: u64, segment_size: u64) -> Result<Self> {
        if part_size == 0 || part_size > MAX_PART_SIZE {
            return Err(DataError::Config(format!(
                "part size {part_size} must be between 1 byte and 5 GiB"
            )));
        }
        if segment_size == 0 || !segment_size.is_multiple_of(part_size) {
            return Err(DataError::Config(format!(
                "segment size {segment_size} must be a positive multiple of the part size {part_size}"
            )));
        }
        if segment_size / part_size > MAX_PARTS_PER_UPLOAD {
            return Err(DataError::Config(format!(
                "segment size {segment_size} needs more than {MAX_PARTS_PER_UPLOAD} parts of {part_size} bytes"
            )));
        }
        if segment_size > MAX_SEGMENT_SIZE {
            return Err(DataError::Config(format!(
                "segment size {segment_size} exceeds the 1 TiB object limit"
            )));
        }
        Ok(Self {
            part_size,
            segment_size,
        })
    }

    /// Bytes per part.
    pub fn part_size(&self) -> u64 {
        self.part_size
    }

    /// Bytes per segment.
    pub fn segment_size(&self) -> u64 {
        self.segment_size
    }

    /// Parts in a full segment.
    pub fn parts_per_segment(&self) -> u64 {
        self.segment_size / self.part_size
    }

    /// The largest image this layout can hold.
    pub fn max_image_size(&self) -> u64 {
        self.segment_size.saturating_mul(MAX_SEGMENTS)
    }

    /// Global part index holding byte `offset`.
    pub fn part_index(&self, offset: u64) -> u64 {
        offset / self.part_size
    }

    /// First byte of global part `index`.
    pub fn part_start(&self, index: u64) -> u64 {
        index * self.part_size
    }

    /// Segment and part number of global part `index`.
    pub fn locate(&self, index: u64) -> PartLocation {
        let per = self.parts_per_segment();
        PartLocation {
            segment: index / per,
            // At most 10,000 parts per segment, so this always fits.
            part_number: i32::try_from(index % per + 1).unwrap_or(i32::MAX),
        }
    }

    /// Global index of the first part of `segment`.
    pub fn first_part_of(&self, segment: u64) -> u64 {
        segment * self.parts_per_segment()
    }

    /// Segment holding byte `offset`.
    pub fn segment_index(&self, offset: u64) -> u64 {
        offset / self.segment_size
    }

    /// First byte of `segment`.
    pub fn segment_start(&self, segment: u64) -> u64 {
        segment * self.segment_size
    }

    /// Number of segment objects an image of `len` bytes has (an empty image has one, empty).
    pub fn segment_count(&self, len: u64) -> u64 {
        len.div_ceil(self.segment_size).max(1)
    }

    /// Splits `[offset, offset + len)` into pieces that each stay inside one part:
    /// `(global part, offset inside the part, range inside the caller's buffer)`.
    pub fn split_by_part(
        &self,
        offset: u64,
        len: usize,
    ) -> Vec<(u64, usize, std::ops::Range<usize>)> {
        let mut out = Vec::new();
        let mut done = 0usize;
        while done < len {
            let pos = offset + done as u64;
            let index = self.part_index(pos);
            let inner = pos - self.part_start(index);
            let room = self.part_size - inner;
            let take = usize::try_from(room).unwrap_or(usize::MAX).min(len - done);
            // `inner` < part_size <= 5 GiB, which fits a usize on supported targets.
            out.push((
                index,
                usize::try_from(inner).unwrap_or(usize::MAX),
                done..done + take,
            ));
            done += take;
        }
        out
    }

    /// Splits `[offset, offset + len)` into pieces that each stay inside one segment:
    /// `(segment, offset inside the segment, length)`.
    pub fn split_by_segment(&self, offset: u64, len: u64) -> Vec<(u64, u64, u64)> {
        let mut out = Vec::new();
        let mut done = 0u64;
        while done < len {
            let pos = offset + done;
            let segment = self.segment_index(pos);
            let inner = pos - self.segment_start(segment);
            let take = (self.segment_size - inner).min(len - done);
            out.push((segment, inner, take));
            done += take;
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validates_geometry() {
        assert!(Layout::new(0, 10).is_err());
        assert!(Layout::new(4, 10).is_err());
        assert!(Layout::new(1, 10_001).is_err());
        assert!(Layout::new(1 << 20, 2 << 40).is_err());
        assert!(Layout::new(16 << 20, 64 << 30).is_ok());
    }

    #[test]
    fn locates_parts_across_segments() {
        let l = Layout::new(10, 30).unwrap();
        assert_eq!(l.parts_per_segment(), 3);
        assert_eq!(
            l.locate(0),
            PartLocation {
                segment: 0,
                part_number: 1
            }
        );
        assert_eq!(
            l.locate(2),
            PartLocation {
                segment: 0,
                part_number: 3
            }
        );
        assert_eq!(
            l.locate(3),
            PartLocation {
                segment: 1,
                part_number: 1
            }
        );
        assert_eq!(l.part_index(29), 2);
        assert_eq!(l.part_index(30), 3);
        assert_eq!(l.first_part_of(2), 6);
        assert_eq!(l.segment_count(0), 1);
        assert_eq!(l.segment_count(30), 1);
        assert_eq!(l.segment_count(31), 2);
    }

    #[test]
    fn splits_writes_on_part_boundaries() {
        let l = Layout::new(10, 30).unwrap();
        let pieces = l.split_by_part(7, 15);
        assert_eq!(pieces, vec![(0, 7, 0..3), (1, 0, 3..13), (2, 0, 13..15)]);
        assert!(l.split_by_part(5, 0).is_empty());
    }

    #[test]
    fn splits_reads_on_segment_boundaries() {
        let l = Layout::new(10, 30).unwrap();
        assert_eq!(
            l.split_by_segment(25, 40),
            vec![(0, 25, 5), (1, 0, 30), (2, 0, 5)]
        );
    }
}
