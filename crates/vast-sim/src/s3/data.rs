//! An object's bytes on disk: one file (PutObject, CopyObject), or for a completed multipart
//! upload a directory holding its parts in order as hard links (`00000`, `00001`, ...), so that
//! completing an upload moves no bytes. Readers open every piece up front, so a read started
//! before the object is replaced or deleted still sees all of it, as with a single open file.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

/// An open object: its pieces in order, read as one stream from some offset on.
#[derive(Debug)]
pub(crate) struct ObjectReader {
    pieces: std::vec::IntoIter<(File, u64)>,
    current: Option<File>,
}

impl ObjectReader {
    /// Opens the object stored at `path` and positions it at `offset`.
    pub(crate) fn open(path: &Path, offset: u64) -> std::io::Result<Self> {
        let pieces = if path.is_dir() {
            let mut names: Vec<PathBuf> = std::fs::read_dir(path)?
                .map(|e| e.map(|e| e.path()))
                .collect::<std::io::Result<_>>()?;
            names.sort();
            names
                .iter()
                .map(|p| {
                    let file = File::open(p)?;
                    let len = file.metadata()?.len();
                    Ok((file, len))
                })
                .collect::<std::io::Result<Vec<_>>>()?
        } else {
            let file = File::open(path)?;
            let len = file.metadata()?.len();
            vec![(file, len)]
        };
        let mut reader = Self {
            pieces: pieces.into_iter(),
            current: None,
        };
        let mut skip = offset;
        for (mut file, len) in reader.pieces.by_ref() {
            if skip < len {
                if skip > 0 {
                    file.seek(SeekFrom::Start(skip))?;
                }
                reader.current = Some(file);
                break;
            }
            skip -= len;
        }
        Ok(reader)
    }
}

impl Read for ObjectReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while let Some(file) = self.current.as_mut() {
            let n = file.read(buf)?;
            if n > 0 || buf.is_empty() {
                return Ok(n);
            }
            self.current = self.pieces.next().map(|(file, _)| file);
        }
        Ok(0)
    }
}

/// Makes the directory `dst` hold `parts` in order as hard links (no bytes copied); returns
/// their total size. Blocking: run on the blocking pool.
pub(crate) fn link_parts(parts: &[PathBuf], dst: &Path) -> std::io::Result<u64> {
    std::fs::create_dir(dst)?;
    let mut total = 0;
    for (i, part) in parts.iter().enumerate() {
        std::fs::hard_link(part, dst.join(format!("{i:05}")))?;
        total += std::fs::metadata(part)?.len();
    }
    Ok(total)
}

/// Removes an object's bytes, a file or a directory of parts; a missing one is no error.
pub(crate) fn remove(path: &Path) {
    if std::fs::remove_file(path).is_err() {
        let _ = std::fs::remove_dir_all(path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_all(path: &Path, offset: u64) -> Vec<u8> {
        let mut out = Vec::new();
        ObjectReader::open(path, offset)
            .and_then(|mut r| r.read_to_end(&mut out))
            .unwrap();
        out
    }

    #[test]
    fn parts_read_back_as_one_object_from_any_offset_and_survive_removal() {
        let dir = tempfile::tempdir().unwrap();
        let parts: Vec<PathBuf> = ["ab", "cde", "", "f"]
            .iter()
            .enumerate()
            .map(|(i, text)| {
                let p = dir.path().join(format!("{i}.part"));
                std::fs::write(&p, text).unwrap();
                p
            })
            .collect();
        let obj = dir.path().join("obj.data");
        assert_eq!(link_parts(&parts, &obj).unwrap(), 6);
        for (offset, want) in [(0, "abcdef"), (1, "bcdef"), (2, "cdef"), (5, "f"), (6, "")] {
            assert_eq!(read_all(&obj, offset), want.as_bytes(), "offset {offset}");
        }
        let mut open = ObjectReader::open(&obj, 1).unwrap();
        remove(&obj);
        assert!(!obj.exists());
        let mut out = String::new();
        open.read_to_string(&mut out).unwrap();
        assert_eq!(out, "bcdef");

        let single = dir.path().join("single.data");
        std::fs::write(&single, "xyz").unwrap();
        assert_eq!(read_all(&single, 1), b"yz");
        remove(&single);
        assert!(!single.exists());
    }
}
