//! The NFS data path: the same object layout as files under a mounted view root
//! (`<root>/<lsu>/<key>`), positional writes and reads, fsync on close, `std::fs::copy`
//! (`copy_file_range` on Linux) for copies. File I/O is done inline: it is local to the mount.

use std::fs::{self, File, OpenOptions};
use std::io::{ErrorKind, Write as _};
use std::os::unix::fs::FileExt as _;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use async_trait::async_trait;
use ost_model::image_key::data_segment_key;
use ost_model::{ImageId, LsuName, OstError};
use vast_s3_data::{Throttle, Throttles};

use super::{
    DataLayout, DataStore, ImageRead, ImageWriter, KeyRange, ObjectEntry, ReadAhead,
    StoredCheckpoint, Written,
};
use crate::error;

/// Files under a mount point.
pub(crate) struct NfsStore {
    root: PathBuf,
    /// The server's bandwidth limits: each write and read call waits before it touches a file.
    throttles: Throttles,
}

impl NfsStore {
    /// A store rooted at `root` (each LSU is a directory below it).
    pub(crate) fn new(root: PathBuf, throttles: Throttles) -> Self {
        Self { root, throttles }
    }

    fn path(&self, lsu: &LsuName, key: &str) -> PathBuf {
        self.root.join(lsu.as_str()).join(key)
    }
}

fn parent_dirs(path: &Path) -> Result<(), OstError> {
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir)
            .map_err(|e| error::io(&format!("creating {}", dir.display()), &e))?;
    }
    Ok(())
}

/// One page of a listing: the files below `dir` whose key (path below `base`) starts with
/// `prefix` and sorts after `after`, in key order, until `out` holds `max`. Directories are
/// visited in the order of their keys (a directory `d` sorts as `d/`), and a directory whose
/// keys all sort before `after` is not entered, so a page costs about one page of entries.
fn walk_page(
    dir: &Path,
    base: &Path,
    page: &PageWanted<'_>,
    out: &mut Vec<ObjectEntry>,
) -> std::io::Result<()> {
    let entries = match fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    let mut named = Vec::new();
    for entry in entries {
        let entry = entry?;
        let path = entry.path();
        let Ok(rel) = path.strip_prefix(base) else {
            continue;
        };
        let is_dir = entry.file_type()?.is_dir();
        let mut key = rel.to_string_lossy().into_owned();
        if is_dir {
            key.push('/');
        }
        named.push((key, path, is_dir));
    }
    named.sort_by(|a, b| a.0.cmp(&b.0));
    for (key, path, is_dir) in named {
        if out.len() >= page.max {
            break;
        }
        if is_dir {
            let before_after = page
                .after
                .is_some_and(|a| a > key.as_str() && !a.starts_with(key.as_str()));
            let outside = !key.starts_with(page.prefix) && !page.prefix.starts_with(key.as_str());
            if !before_after && !outside {
                walk_page(&path, base, page, out)?;
            }
        } else if key.starts_with(page.prefix)
            && !key.ends_with(".tmp")
            && page.after.is_none_or(|a| key.as_str() > a)
        {
            out.push(entry_of(key, &fs::metadata(&path)?));
        }
    }
    Ok(())
}

/// What [`walk_page`] collects.
struct PageWanted<'a> {
    prefix: &'a str,
    after: Option<&'a str>,
    max: usize,
}

/// The listing entry of the file at `key` with metadata `meta`.
fn entry_of(key: String, meta: &fs::Metadata) -> ObjectEntry {
    ObjectEntry {
        key,
        size: meta.len(),
        modified_unix: meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(SystemTime::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_secs()),
    }
}

fn walk(dir: &Path, base: &Path, out: &mut Vec<ObjectEntry>) -> std::io::Result<()> {
    let entries = match fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    for entry in entries {
        let entry = entry?;
        let meta = entry.metadata()?;
        let path = entry.path();
        if meta.is_dir() {
            walk(&path, base, out)?;
        } else if let Ok(rel) = path.strip_prefix(base) {
            let key = rel.to_string_lossy().into_owned();
            if key.ends_with(".tmp") {
                continue;
            }
            out.push(entry_of(key, &meta));
        }
    }
    Ok(())
}

#[async_trait]
impl DataStore for NfsStore {
    async fn prepare_lsu(&self, lsu: &LsuName) -> Result<(), OstError> {
        let dir = self.root.join(lsu.as_str());
        fs::create_dir_all(&dir).map_err(|e| error::io(&format!("creating {}", dir.display()), &e))
    }

    async fn put(
        &self,
        lsu: &LsuName,
        key: &str,
        data: Vec<u8>,
        create_only: bool,
    ) -> Result<(), OstError> {
        let path = self.path(lsu, key);
        parent_dirs(&path)?;
        let what = format!("writing {}", path.display());
        if create_only {
            let mut f = OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)
                .map_err(|e| error::io(&what, &e))?;
            return f
                .write_all(&data)
                .and_then(|()| f.sync_all())
                .map_err(|e| error::io(&what, &e));
        }
        let tmp = path.with_extension("tmp");
        let mut f = File::create(&tmp).map_err(|e| error::io(&what, &e))?;
        f.write_all(&data)
            .and_then(|()| f.sync_all())
            .map_err(|e| error::io(&what, &e))?;
        fs::rename(&tmp, &path).map_err(|e| error::io(&what, &e))
    }

    async fn get(&self, lsu: &LsuName, key: &str) -> Result<Option<Vec<u8>>, OstError> {
        let path = self.path(lsu, key);
        match fs::read(&path) {
            Ok(b) => Ok(Some(b)),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
            Err(e) => Err(error::io(&format!("reading {}", path.display()), &e)),
        }
    }

    async fn delete(&self, lsu: &LsuName, keys: &[String]) -> Result<(), OstError> {
        for key in keys {
            let path = self.path(lsu, key);
            match fs::remove_file(&path) {
                Ok(()) => {}
                Err(e) if e.kind() == ErrorKind::NotFound => {}
                Err(e) => return Err(error::io(&format!("deleting {}", path.display()), &e)),
            }
            // Empty directories of the image go too (errors: not empty, fine).
            let mut dir = path.parent();
            while let Some(d) = dir {
                if d == self.root.join(lsu.as_str()) || fs::remove_dir(d).is_err() {
                    break;
                }
                dir = d.parent();
            }
        }
        Ok(())
    }

    async fn list(&self, lsu: &LsuName, prefix: &str) -> Result<Vec<ObjectEntry>, OstError> {
        let base = self.root.join(lsu.as_str());
        let start = match prefix.rfind('/') {
            Some(i) => base.join(&prefix[..i]),
            None => base.clone(),
        };
        let mut out = Vec::new();
        walk(&start, &base, &mut out).map_err(|e| error::io("listing", &e))?;
        out.retain(|o| o.key.starts_with(prefix));
        out.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(out)
    }

    async fn list_page(
        &self,
        lsu: &LsuName,
        prefix: &str,
        after: Option<&str>,
        max: usize,
    ) -> Result<Vec<ObjectEntry>, OstError> {
        let base = self.root.join(lsu.as_str());
        let start = match prefix.rfind('/') {
            Some(i) => base.join(&prefix[..i]),
            None => base.clone(),
        };
        let wanted = PageWanted { prefix, after, max };
        let mut out = Vec::new();
        walk_page(&start, &base, &wanted, &mut out).map_err(|e| error::io("listing", &e))?;
        Ok(out)
    }

    async fn create_writer(
        &self,
        lsu: &LsuName,
        id: &ImageId,
        layout: DataLayout,
    ) -> Result<Box<dyn ImageWriter>, OstError> {
        Ok(Box::new(NfsWriter {
            base: self.root.join(lsu.as_str()),
            id: id.clone(),
            segment_size: layout.segment_size,
            throttle: self.throttles.write.clone(),
            written: 0,
            crc: 0,
            crc_upto: 0,
        }))
    }

    async fn resume_writer(
        &self,
        lsu: &LsuName,
        id: &ImageId,
        layout: DataLayout,
        checkpoint: Option<&StoredCheckpoint>,
    ) -> Result<Box<dyn ImageWriter>, OstError> {
        Ok(Box::new(NfsWriter {
            base: self.root.join(lsu.as_str()),
            id: id.clone(),
            segment_size: layout.segment_size,
            throttle: self.throttles.write.clone(),
            written: checkpoint.map_or(0, |c| c.offset),
            crc: checkpoint.map_or(0, |c| c.crc32c),
            crc_upto: checkpoint.map_or(0, |c| c.offset),
        }))
    }

    async fn open_reader(
        &self,
        lsu: &LsuName,
        id: &ImageId,
        segment_size: u64,
        length: u64,
        _read_ahead: ReadAhead,
    ) -> Result<Box<dyn ImageRead>, OstError> {
        Ok(Box::new(NfsReader {
            base: self.root.join(lsu.as_str()),
            id: id.clone(),
            segment_size,
            length,
            throttle: self.throttles.read.clone(),
        }))
    }

    async fn copy_object(
        &self,
        src_lsu: &LsuName,
        src_key: &str,
        dst_lsu: &LsuName,
        dst_key: &str,
    ) -> Result<u64, OstError> {
        let (src, dst) = (self.path(src_lsu, src_key), self.path(dst_lsu, dst_key));
        parent_dirs(&dst)?;
        fs::copy(&src, &dst).map_err(|e| error::io(&format!("copying {}", src.display()), &e))
    }

    async fn sweep_uploads(
        &self,
        _lsu: &LsuName,
        _range: &KeyRange,
        _older_than: Option<SystemTime>,
        _keep: &[String],
        _dry_run: bool,
    ) -> Result<usize, OstError> {
        // Files are written in place: there are no unfinished uploads to sweep.
        Ok(0)
    }

    fn creates_atomically(&self) -> bool {
        true
    }

    fn keys_are_exact(&self) -> bool {
        false
    }

    fn keeps_labels(&self) -> bool {
        false
    }

    async fn lsu_label(&self, lsu: &LsuName) -> Result<Option<String>, OstError> {
        Err(no_labels(lsu))
    }

    async fn set_lsu_label(&self, lsu: &LsuName, _label: &str) -> Result<(), OstError> {
        Err(no_labels(lsu))
    }
}

/// LSU labels are bucket tags; an NFS directory has none.
fn no_labels(lsu: &LsuName) -> OstError {
    OstError::NotSupported {
        cause: format!("LSU {lsu}: labels need the S3 data path (they are bucket tags)"),
    }
}

/// Pieces `(segment, offset inside, length)` of a byte range.
fn pieces(segment_size: u64, offset: u64, len: u64) -> Vec<(u32, u64, u64)> {
    let mut out = Vec::new();
    let mut done = 0;
    while done < len {
        let pos = offset + done;
        let seg = u32::try_from(pos / segment_size).unwrap_or(u32::MAX);
        let inner = pos % segment_size;
        let take = (segment_size - inner).min(len - done);
        out.push((seg, inner, take));
        done += take;
    }
    out
}

struct NfsWriter {
    base: PathBuf,
    id: ImageId,
    segment_size: u64,
    throttle: Throttle,
    written: u64,
    /// CRC32C of `[0, crc_upto)`.
    crc: u32,
    crc_upto: u64,
}

impl NfsWriter {
    fn segment_path(&self, n: u32) -> PathBuf {
        self.base.join(data_segment_key(&self.id, n))
    }

    fn segments(&self) -> u32 {
        u32::try_from(self.written.div_ceil(self.segment_size).max(1)).unwrap_or(u32::MAX)
    }

    /// fsyncs every segment and returns the CRC32C of `[0, written)`: the running checksum of
    /// the sequential writes, extended by reading back only what arrived out of order.
    fn sync_and_checksum(&mut self) -> Result<u32, OstError> {
        for n in 0..self.segments() {
            let path = self.segment_path(n);
            match File::open(&path) {
                Ok(f) => f
                    .sync_all()
                    .map_err(|e| error::io(&format!("syncing {}", path.display()), &e))?,
                Err(e) if e.kind() == ErrorKind::NotFound => {}
                Err(e) => return Err(error::io(&format!("syncing {}", path.display()), &e)),
            }
        }
        let mut buf = vec![0u8; 1 << 20];
        for (seg, inner, len) in pieces(
            self.segment_size,
            self.crc_upto,
            self.written - self.crc_upto,
        ) {
            let path = self.segment_path(seg);
            let what = format!("reading {}", path.display());
            let f = File::open(&path).map_err(|e| error::io(&what, &e))?;
            let mut done = 0u64;
            while done < len {
                let n = usize::try_from(len - done)
                    .unwrap_or(usize::MAX)
                    .min(buf.len());
                f.read_exact_at(&mut buf[..n], inner + done)
                    .map_err(|e| error::io(&what, &e))?;
                self.crc = crc32c::crc32c_append(self.crc, &buf[..n]);
                done += n as u64;
            }
        }
        self.crc_upto = self.written;
        Ok(self.crc)
    }
}

#[async_trait]
impl ImageWriter for NfsWriter {
    async fn write(&mut self, offset: u64, data: &[u8]) -> Result<(), OstError> {
        self.throttle.acquire(data.len() as u64).await;
        let mut at = 0usize;
        for (seg, inner, len) in pieces(self.segment_size, offset, data.len() as u64) {
            let path = self.segment_path(seg);
            parent_dirs(&path)?;
            let what = format!("writing {}", path.display());
            let f = OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(false)
                .open(&path)
                .map_err(|e| error::io(&what, &e))?;
            let n = usize::try_from(len).unwrap_or(usize::MAX);
            f.write_all_at(&data[at..at + n], inner)
                .map_err(|e| error::io(&what, &e))?;
            at += n;
        }
        let end = offset + data.len() as u64;
        if offset == self.crc_upto {
            self.crc = crc32c::crc32c_append(self.crc, data);
            self.crc_upto = end;
        } else if offset < self.crc_upto {
            // A rewrite of checksummed bytes: recompute from the files at close.
            self.crc = 0;
            self.crc_upto = 0;
        }
        self.written = self.written.max(end);
        Ok(())
    }

    async fn finish(&mut self) -> Result<Written, OstError> {
        if self.written == 0 {
            let path = self.segment_path(0);
            parent_dirs(&path)?;
            File::create(&path).map_err(|e| error::io("creating an empty segment", &e))?;
        }
        let crc32c = self.sync_and_checksum()?;
        Ok(Written {
            length: self.written,
            crc32c,
        })
    }

    async fn checkpoint(&mut self) -> Result<StoredCheckpoint, OstError> {
        // Every byte is in the segment files already; fsync makes it durable.
        let crc32c = self.sync_and_checksum()?;
        Ok(StoredCheckpoint {
            offset: self.written,
            crc32c,
            segment_crcs: Vec::new(),
            part_crcs: Vec::new(),
            tail: None,
        })
    }

    fn written(&self) -> u64 {
        self.written
    }
}

struct NfsReader {
    base: PathBuf,
    id: ImageId,
    segment_size: u64,
    length: u64,
    throttle: Throttle,
}

#[async_trait]
impl ImageRead for NfsReader {
    async fn read_into(&mut self, offset: u64, buf: &mut [u8]) -> Result<usize, OstError> {
        if offset >= self.length {
            return Ok(0);
        }
        let len = (self.length - offset).min(buf.len() as u64);
        self.throttle.acquire(len).await;
        let mut at = 0usize;
        for (seg, inner, n) in pieces(self.segment_size, offset, len) {
            let path = self.base.join(data_segment_key(&self.id, seg));
            let what = format!("reading {}", path.display());
            let f = File::open(&path).map_err(|e| error::io(&what, &e))?;
            let n = usize::try_from(n).unwrap_or(usize::MAX);
            f.read_exact_at(&mut buf[at..at + n], inner)
                .map_err(|e| error::io(&what, &e))?;
            at += n;
        }
        Ok(at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Pages of any size, concatenated, are the whole listing in key order (names chosen so
    /// that directory order and key order differ: `a-b` sorts before `a/`).
    #[tokio::test]
    async fn pages_put_together_are_the_sorted_listing() {
        let dir = tempfile::tempdir().unwrap();
        let store = NfsStore::new(dir.path().to_path_buf(), Throttles::default());
        let lsu = LsuName::new("pool").unwrap();
        let keys = [
            "netbackup/a/1/data/000000",
            "netbackup/a/1/metadata",
            "netbackup/a-b/1/metadata",
            "netbackup/a0/1/metadata",
            "netbackup/b/2/data/000000",
            "netbackup/b/2/data/000001",
            "netbackup/b/2/metadata",
            "netbackup/b/2/nbmeta",
            "netbackup/.vast-ost-sweep/9",
            "other/x",
        ];
        for k in keys {
            store.put(&lsu, k, b"x".to_vec(), false).await.unwrap();
        }
        for prefix in ["netbackup/", "netbackup/a", "netbackup/b/"] {
            let mut all: Vec<String> = store
                .list(&lsu, prefix)
                .await
                .unwrap()
                .into_iter()
                .map(|o| o.key)
                .collect();
            all.sort();
            for max in [1, 2, 3, 100] {
                let mut paged = Vec::new();
                loop {
                    let page = store
                        .list_page(&lsu, prefix, paged.last().map(String::as_str), max)
                        .await
                        .unwrap();
                    let n = page.len();
                    paged.extend(page.into_iter().map(|o| o.key));
                    if n < max {
                        break;
                    }
                }
                assert_eq!(paged, all, "prefix {prefix}, pages of {max}");
            }
        }
    }
}
