//! Bookkeeping of which parts of an image are buffered, which are uploaded, and where the holes
//! are. Pure logic, no I/O: the writer asks it whether a write is allowed before touching any
//! buffer, so a rejected write changes nothing.

use std::collections::{BTreeMap, BTreeSet};

use crate::error::{DataError, Result};
use crate::layout::Layout;

/// Byte ranges written inside one part, kept merged and sorted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Coverage {
    ranges: Vec<(u64, u64)>,
}

impl Coverage {
    /// Marks `[start, end)` as written.
    pub(crate) fn add(&mut self, start: u64, end: u64) {
        if start >= end {
            return;
        }
        let (mut s, mut e) = (start, end);
        let mut merged = Vec::with_capacity(self.ranges.len() + 1);
        let mut placed = false;
        for &(rs, re) in &self.ranges {
            if re < s {
                merged.push((rs, re));
            } else if rs > e {
                if !placed {
                    merged.push((s, e));
                    placed = true;
                }
                merged.push((rs, re));
            } else {
                s = s.min(rs);
                e = e.max(re);
            }
        }
        if !placed {
            merged.push((s, e));
        }
        self.ranges = merged;
    }

    /// Bytes written contiguously from the start of the part.
    pub(crate) fn prefix_len(&self) -> u64 {
        match self.ranges.first() {
            Some(&(0, e)) => e,
            _ => 0,
        }
    }

    /// True when `[0, len)` is fully written.
    pub(crate) fn covers(&self, len: u64) -> bool {
        len == 0 || matches!(self.ranges.first(), Some(&(0, e)) if e >= len)
    }

    /// The first unwritten range inside `[0, len)`, if any.
    #[cfg(test)]
    pub(crate) fn first_gap(&self, len: u64) -> Option<(u64, u64)> {
        let mut pos = 0;
        for &(s, e) in &self.ranges {
            if s > pos {
                return Some((pos, s.min(len)));
            }
            pos = pos.max(e);
            if pos >= len {
                return None;
            }
        }
        (pos < len).then_some((pos, len))
    }

    /// End of the highest written byte.
    #[cfg(test)]
    pub(crate) fn end(&self) -> u64 {
        self.ranges.last().map_or(0, |r| r.1)
    }
}

/// The state of every part the writer has seen.
#[derive(Debug)]
pub(crate) struct PartTracker {
    layout: Layout,
    window: usize,
    /// Every part below this one is uploaded (or in flight).
    frontier: u64,
    /// Parts at or above the frontier that are uploaded or in flight.
    dispatched: BTreeSet<u64>,
    /// Parts being filled, with what has been written into each.
    open: BTreeMap<u64, Coverage>,
    /// One past the highest byte written.
    high_water: u64,
}

/// One accepted piece of a write, inside one part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Piece {
    /// Global part index.
    pub(crate) part: u64,
    /// Offset inside the part.
    pub(crate) inner: usize,
    /// Range of the caller's buffer.
    pub(crate) range: std::ops::Range<usize>,
}

impl PartTracker {
    /// A tracker for a new image, or one resumed with `frontier` parts already uploaded.
    pub(crate) fn new(layout: Layout, window: usize, frontier: u64) -> Self {
        Self {
            layout,
            window: window.max(1),
            frontier,
            dispatched: BTreeSet::new(),
            open: BTreeMap::new(),
            high_water: layout.part_start(frontier),
        }
    }

    /// Checks a write of `len` bytes at `offset` and splits it into pieces. Refuses writes that
    /// touch uploaded parts or reach beyond the window.
    pub(crate) fn plan(&self, offset: u64, len: usize) -> Result<Vec<Piece>> {
        let end = offset.saturating_add(len as u64);
        let max = self.layout.max_image_size();
        if end > max {
            return Err(DataError::TooLarge { offset: end, max });
        }
        let pieces = self.layout.split_by_part(offset, len);
        let limit = self.frontier + self.window as u64;
        for (part, _, _) in &pieces {
            if self.is_dispatched(*part) {
                return Err(DataError::RewriteOfUploaded {
                    offset,
                    len: len as u64,
                    part: *part,
                });
            }
        }
        // Only where a write starts is bounded: the parts it fills completely go up as they
        // fill, so one large write never holds more than its first and last part.
        if pieces.first().is_some_and(|(part, _, _)| *part >= limit) {
            return Err(DataError::BeyondWindow {
                offset,
                base: self.layout.part_start(self.frontier),
                window: self.window,
            });
        }
        Ok(pieces
            .into_iter()
            .map(|(part, inner, range)| Piece { part, inner, range })
            .collect())
    }

    /// True when part `index` is uploaded or in flight.
    pub(crate) fn is_dispatched(&self, index: u64) -> bool {
        index < self.frontier || self.dispatched.contains(&index)
    }

    /// Records a written piece; returns true when its part is now full.
    pub(crate) fn record(&mut self, piece: &Piece) -> bool {
        let start = piece.inner as u64;
        let end = start + piece.range.len() as u64;
        let part_end = self.layout.part_start(piece.part) + end;
        self.high_water = self.high_water.max(part_end);
        let coverage = self.open.entry(piece.part).or_default();
        coverage.add(start, end);
        coverage.covers(self.layout.part_size())
    }

    /// Marks part `index` as handed to an upload.
    pub(crate) fn mark_dispatched(&mut self, index: u64) {
        self.open.remove(&index);
        if index >= self.frontier {
            self.dispatched.insert(index);
        }
        while self.dispatched.remove(&self.frontier) {
            self.frontier += 1;
        }
    }

    /// Bytes written contiguously from the start of part `index` while it is buffered (0 when it
    /// is not).
    pub(crate) fn contiguous_in(&self, index: u64) -> u64 {
        self.open.get(&index).map_or(0, Coverage::prefix_len)
    }

    /// Forgets a buffered part (its bytes were dropped).
    pub(crate) fn discard(&mut self, index: u64) {
        self.open.remove(&index);
    }

    /// One past the highest byte written.
    pub(crate) fn high_water(&self) -> u64 {
        self.high_water
    }

    /// Parts uploaded contiguously from the start.
    pub(crate) fn frontier(&self) -> u64 {
        self.frontier
    }

    /// Open parts in order.
    pub(crate) fn open_parts(&self) -> Vec<u64> {
        self.open.keys().copied().collect()
    }

    /// Length of part `index` in an image of `total` bytes.
    pub(crate) fn part_len(&self, index: u64, total: u64) -> u64 {
        let start = self.layout.part_start(index);
        total.saturating_sub(start).min(self.layout.part_size())
    }

    /// Checks that every byte of `[0, total)` is uploaded or buffered; reports the first hole.
    pub(crate) fn check_complete(&self, total: u64) -> Result<()> {
        match self.first_hole(total) {
            Some((start, end)) => Err(DataError::Hole { start, end }),
            None => Ok(()),
        }
    }

    /// The first run of unwritten bytes in `[0, total)`, across parts.
    fn first_hole(&self, total: u64) -> Option<(u64, u64)> {
        if total == 0 {
            return None;
        }
        let last = self.layout.part_index(total - 1);
        let mut hole: Option<u64> = None;
        for index in self.frontier..=last {
            let start = self.layout.part_start(index);
            if self.dispatched.contains(&index) {
                if let Some(h) = hole {
                    return Some((h, start));
                }
                continue;
            }
            let len = self.part_len(index, total);
            let ranges = self.open.get(&index).map_or(&[][..], |c| &c.ranges[..]);
            let mut pos = 0;
            for &(s, e) in ranges {
                if s > pos || (hole.is_some() && s == 0) {
                    let h = hole.unwrap_or(start + pos);
                    return Some((h, start + s));
                }
                pos = pos.max(e);
            }
            if pos < len && hole.is_none() {
                hole = Some(start + pos);
            }
        }
        hole.map(|h| (h, total))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tracker() -> PartTracker {
        PartTracker::new(Layout::new(10, 30).unwrap(), 3, 0)
    }

    #[test]
    fn coverage_merges_ranges() {
        let mut c = Coverage::default();
        c.add(5, 8);
        c.add(0, 3);
        assert_eq!(c.first_gap(10), Some((3, 5)));
        c.add(3, 5);
        assert_eq!(c.first_gap(10), Some((8, 10)));
        assert!(!c.covers(10));
        c.add(7, 10);
        assert!(c.covers(10));
        assert_eq!(c.first_gap(10), None);
        assert_eq!(c.end(), 10);
    }

    #[test]
    fn sequential_writes_fill_and_dispatch_parts() {
        let mut t = tracker();
        let pieces = t.plan(0, 15).unwrap();
        assert_eq!(pieces.len(), 2);
        assert!(t.record(&pieces[0]));
        assert!(!t.record(&pieces[1]));
        t.mark_dispatched(0);
        assert_eq!(t.frontier(), 1);
        assert_eq!(t.high_water(), 15);
    }

    #[test]
    fn out_of_order_inside_window_is_accepted() {
        let mut t = tracker();
        // Part 1 first, then part 0.
        for p in t.plan(10, 10).unwrap() {
            assert!(t.record(&p));
        }
        t.mark_dispatched(1);
        assert_eq!(t.frontier(), 0, "part 0 still missing");
        for p in t.plan(0, 10).unwrap() {
            assert!(t.record(&p));
        }
        t.mark_dispatched(0);
        assert_eq!(t.frontier(), 2);
    }

    #[test]
    fn contiguous_bytes_of_a_buffered_part_stop_at_the_first_gap() {
        let mut t = tracker();
        assert_eq!(t.contiguous_in(0), 0);
        for p in t.plan(0, 4).unwrap() {
            t.record(&p);
        }
        for p in t.plan(6, 2).unwrap() {
            t.record(&p);
        }
        assert_eq!(t.contiguous_in(0), 4);
        for p in t.plan(4, 2).unwrap() {
            t.record(&p);
        }
        assert_eq!(t.contiguous_in(0), 8);
        for p in t.plan(12, 1).unwrap() {
            t.record(&p);
        }
        assert_eq!(t.contiguous_in(1), 0, "a part written only past its start");
    }

    #[test]
    fn rewrite_of_uploaded_part_is_refused() {
        let mut t = tracker();
        for p in t.plan(0, 10).unwrap() {
            t.record(&p);
        }
        t.mark_dispatched(0);
        let err = t.plan(5, 10).unwrap_err();
        assert!(
            matches!(err, DataError::RewriteOfUploaded { part: 0, .. }),
            "{err}"
        );
    }

    #[test]
    fn write_beyond_window_is_refused() {
        let t = tracker();
        assert!(t.plan(29, 1).is_ok());
        assert!(
            t.plan(0, 100).is_ok(),
            "a long write starting inside the window is fine"
        );
        let err = t.plan(30, 1).unwrap_err();
        assert!(
            matches!(
                err,
                DataError::BeyondWindow {
                    base: 0,
                    window: 3,
                    ..
                }
            ),
            "{err}"
        );
    }

    #[test]
    fn holes_are_reported_at_completion() {
        let mut t = tracker();
        for p in t.plan(0, 4).unwrap() {
            t.record(&p);
        }
        for p in t.plan(6, 9).unwrap() {
            t.record(&p);
        }
        let err = t.check_complete(t.high_water()).unwrap_err();
        assert!(matches!(err, DataError::Hole { start: 4, end: 6 }), "{err}");
        for p in t.plan(4, 2).unwrap() {
            t.record(&p);
        }
        assert!(t.check_complete(15).is_ok());
    }

    #[test]
    fn hole_spanning_unopened_parts_is_reported_whole() {
        let mut t = PartTracker::new(Layout::new(10, 30).unwrap(), 5, 0);
        for p in t.plan(0, 5).unwrap() {
            t.record(&p);
        }
        for p in t.plan(35, 5).unwrap() {
            t.record(&p);
        }
        let err = t.check_complete(40).unwrap_err();
        assert!(
            matches!(err, DataError::Hole { start: 5, end: 35 }),
            "{err}"
        );
    }

    #[test]
    fn resumed_tracker_starts_at_frontier() {
        let t = PartTracker::new(Layout::new(10, 30).unwrap(), 2, 4);
        assert!(t.plan(35, 1).is_err());
        assert!(t.plan(40, 20).is_ok());
        assert_eq!(t.high_water(), 40);
    }
}
