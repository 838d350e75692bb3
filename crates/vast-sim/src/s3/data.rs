//! An object's bytes on disk: one file (PutObject, CopyObject), or for a completed multipart
//! upload a directory holding its parts in order as hard links, so that completing an upload
//! moves no bytes. A part's link is named `<index>.<offset>` (`00000.0`, `00001.16777216`, ...):
//! its place among the parts and where its bytes start in the object, so a read finds the parts
//! a range needs from one directory listing and opens only those. They are opened up front, so a
//! read started before the object is replaced or deleted still sees all of its range, as with a
//! single open file.

use std::collections::VecDeque;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

/// An open range of an object: the pieces holding it, read in order as one stream.
#[derive(Debug)]
pub(crate) struct ObjectReader {
    /// The pieces still to read; the first is positioned at the next byte.
    pieces: VecDeque<File>,
    /// Bytes of the range not read yet.
    left: u64,
}

impl ObjectReader {
    /// Opens the `len` bytes at `offset` of the object stored at `path` (fewer if the object
    /// is shorter): a single file, or the parts of a directory that hold bytes of the range.
    pub(crate) fn open(path: &Path, offset: u64, len: u64) -> std::io::Result<Self> {
        let file = File::open(path)?;
        let mut pieces = VecDeque::new();
        if file.metadata()?.is_dir() {
            let end = offset.saturating_add(len);
            let starts = piece_starts(path)?;
            for (i, (start, piece)) in starts.iter().enumerate() {
                let next = starts.get(i + 1).map_or(u64::MAX, |(s, _)| *s);
                if next > offset && *start < end {
                    let mut file = File::open(piece)?;
                    // Only the first piece can start before the range.
                    if offset > *start {
                        file.seek(SeekFrom::Start(offset - start))?;
                    }
                    pieces.push_back(file);
                }
            }
        } else {
            let mut file = file;
            if offset > 0 {
                file.seek(SeekFrom::Start(offset))?;
            }
            pieces.push_back(file);
        }
        Ok(Self { pieces, left: len })
    }
}

/// The parts of the directory object at `dir`, in order, with the offset each starts at. Links
/// made before names carried the offset (`00000`, `00001`, ...) are measured instead.
fn piece_starts(dir: &Path) -> std::io::Result<Vec<(u64, PathBuf)>> {
    let mut names: Vec<String> = std::fs::read_dir(dir)?
        .map(|e| e.map(|e| e.file_name().to_string_lossy().into_owned()))
        .collect::<std::io::Result<_>>()?;
    names.sort();
    let mut measured = 0;
    names
        .into_iter()
        .map(|name| {
            let start = match name.split_once('.') {
                Some((_, offset)) => offset.parse().map_err(|_| {
                    std::io::Error::new(
                        std::io::ErrorKind::InvalidData,
                        format!("part link {name:?} in {} has no offset", dir.display()),
                    )
                })?,
                None => {
                    let start = measured;
                    measured += std::fs::metadata(dir.join(&name))?.len();
                    start
                }
            };
            Ok((start, dir.join(name)))
        })
        .collect()
}

impl Read for ObjectReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let want = usize::try_from(self.left).map_or(buf.len(), |left| left.min(buf.len()));
        while let Some(file) = self.pieces.front_mut() {
            let n = file.read(&mut buf[..want])?;
            if n > 0 || want == 0 {
                self.left -= n as u64;
                return Ok(n);
            }
            self.pieces.pop_front();
        }
        Ok(0)
    }
}

/// Makes the directory `dst` hold `parts` in order as hard links named `<index>.<offset>` (no
/// bytes copied); returns their total size. Blocking: run on the blocking pool.
pub(crate) fn link_parts(parts: &[PathBuf], dst: &Path) -> std::io::Result<u64> {
    std::fs::create_dir(dst)?;
    let mut total = 0;
    for (i, part) in parts.iter().enumerate() {
        std::fs::hard_link(part, dst.join(format!("{i:05}.{total}")))?;
        total += std::fs::metadata(part)?.len();
    }
    Ok(total)
}

/// Removes an object's bytes, a file or a directory of parts; a missing one is no error. A
/// directory is renamed away before its parts are unlinked, so a reader listing it either opens
/// every part it lists or finds one gone (`NotFound`), never reads a partial listing as the
/// object. A crash in between leaves `<id>.gone`, which the store removes when it opens.
pub(crate) fn remove(path: &Path) {
    if std::fs::remove_file(path).is_err() {
        let gone = path.with_extension("gone");
        if std::fs::rename(path, &gone).is_ok() {
            let _ = std::fs::remove_dir_all(&gone);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(path: &Path, offset: u64, len: u64) -> String {
        let mut out = String::new();
        ObjectReader::open(path, offset, len)
            .and_then(|mut r| r.read_to_string(&mut out))
            .unwrap();
        out
    }

    /// Parts "ab", "cde", "" and "f" (an empty part is refused but the last; here it tests the
    /// boundaries) linked into `obj.data`.
    fn linked(dir: &Path) -> PathBuf {
        let parts: Vec<PathBuf> = ["ab", "cde", "", "f"]
            .iter()
            .enumerate()
            .map(|(i, text)| {
                let p = dir.join(format!("{i}.part"));
                std::fs::write(&p, text).unwrap();
                p
            })
            .collect();
        let obj = dir.join("obj.data");
        assert_eq!(link_parts(&parts, &obj).unwrap(), 6);
        obj
    }

    #[test]
    fn parts_read_back_as_one_object_from_any_offset_and_survive_removal() {
        let dir = tempfile::tempdir().unwrap();
        let obj = linked(dir.path());
        for (offset, want) in [(0, "abcdef"), (1, "bcdef"), (2, "cdef"), (5, "f"), (6, "")] {
            assert_eq!(read(&obj, offset, u64::MAX), want, "offset {offset}");
        }
        let mut open = ObjectReader::open(&obj, 1, 5).unwrap();
        remove(&obj);
        assert!(!obj.exists());
        let mut out = String::new();
        open.read_to_string(&mut out).unwrap();
        assert_eq!(out, "bcdef");

        let single = dir.path().join("single.data");
        std::fs::write(&single, "xyz").unwrap();
        assert_eq!(read(&single, 1, u64::MAX), "yz");
        assert_eq!(read(&single, 0, 2), "xy");
        remove(&single);
        assert!(!single.exists());
    }

    #[test]
    fn a_range_yields_exactly_its_bytes_across_part_boundaries() {
        let dir = tempfile::tempdir().unwrap();
        let obj = linked(dir.path());
        let whole = "abcdef";
        for offset in 0..=6 {
            for len in 0..=(6 - offset) {
                let want = &whole[offset as usize..(offset + len) as usize];
                assert_eq!(read(&obj, offset, len), want, "bytes {offset}+{len}");
            }
        }
    }

    #[test]
    fn only_the_parts_a_range_needs_are_opened() {
        let dir = tempfile::tempdir().unwrap();
        let obj = linked(dir.path());
        // The first and last parts become links to nothing: opening them fails.
        for name in ["00000.0", "00003.5"] {
            std::fs::remove_file(obj.join(name)).unwrap();
            std::os::unix::fs::symlink(dir.path().join("nothing"), obj.join(name)).unwrap();
        }
        assert_eq!(read(&obj, 2, 3), "cde");
        let missing = ObjectReader::open(&obj, 1, 2).unwrap_err();
        assert_eq!(missing.kind(), std::io::ErrorKind::NotFound);
        let missing = ObjectReader::open(&obj, 4, 2).unwrap_err();
        assert_eq!(missing.kind(), std::io::ErrorKind::NotFound);
    }

    #[test]
    fn a_removed_object_is_not_found_and_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let obj = linked(dir.path());
        remove(&obj);
        let gone = ObjectReader::open(&obj, 0, 6).unwrap_err();
        assert_eq!(gone.kind(), std::io::ErrorKind::NotFound);
        assert!(!obj.with_extension("gone").exists());
        remove(&obj); // already gone: no error
    }

    #[test]
    fn directories_linked_by_index_alone_still_read() {
        let dir = tempfile::tempdir().unwrap();
        let obj = dir.path().join("old.data");
        std::fs::create_dir(&obj).unwrap();
        for (i, text) in ["ab", "cde", "f"].iter().enumerate() {
            std::fs::write(obj.join(format!("{i:05}")), text).unwrap();
        }
        assert_eq!(read(&obj, 0, u64::MAX), "abcdef");
        assert_eq!(read(&obj, 1, 4), "bcde");
        assert_eq!(read(&obj, 5, 1), "f");
    }
}
