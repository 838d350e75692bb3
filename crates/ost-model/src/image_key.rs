//! The object key layout of images inside an LSU bucket: computed here and nowhere else.
//!
//! ```text
//! netbackup/{basename}/{date}/data/{segment:06}   data segments
//! netbackup/{basename}/{date}/metadata            image descriptor (vast-ost JSON)
//! netbackup/{basename}/{date}/nbmeta              NetBackup's own image metadata
//! netbackup/{basename}/{date}/tail/{offset:020}   staged tail of a pending image (bytes from
//!                                                 `offset` that are not a whole part yet)
//! netbackup/.vast-ost-sweep/{window}              the orphan sweep's lease of one interval
//!                                                 (not an image: two components, a dot name)
//! ```
//! Every image key parses back into the image identity, the object kind and the segment
//! number; the sweep lease keys never parse as image keys.
//!
//! The listing catalogue's keys (outside `netbackup/`) are computed in
//! [`crate::catalogue_key`].

use std::fmt;
use std::str::FromStr;

use crate::image::ImageId;
use crate::image_date::{ImageDate, ImageDateError};
use crate::image_name::{ImageName, ImageNameError};
use crate::limits::{
    KEY_DATA_DIR, KEY_DESCRIPTOR, KEY_NBMETA, KEY_ROOT, KEY_TAIL_DIR, SEGMENT_DIGITS,
    TAIL_OFFSET_DIGITS,
};

/// Which object of an image a key names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ObjectKind {
    /// Data segment number `n` (0-based).
    DataSegment(u32),
    /// The image descriptor (`metadata`).
    Descriptor,
    /// NetBackup's image metadata (`nbmeta`).
    NbMeta,
    /// The staged tail of a pending image, starting at this image byte offset.
    StagedTail(u64),
}

/// A parsed object key: an image and one of its objects.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ImageKey {
    /// The image.
    pub id: ImageId,
    /// Which object.
    pub kind: ObjectKind,
}

/// Why a key is not an image object key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// The key does not start with `netbackup/`.
    #[error("key is not under \"netbackup/\"")]
    NotUnderRoot,
    /// The key has too few path components.
    #[error("key has too few path components")]
    Truncated,
    /// The base-name component is invalid.
    #[error("bad image name in key: {0}")]
    Name(#[from] ImageNameError),
    /// The date component is invalid.
    #[error("bad image date in key: {0}")]
    Date(#[from] ImageDateError),
    /// The object component is not `data/<n>`, `metadata` or `nbmeta`.
    #[error("unknown image object {0:?}")]
    UnknownObject(String),
    /// The segment number is not a canonical zero-padded number.
    #[error("bad segment number {0:?}")]
    BadSegment(String),
    /// The staged tail's offset is not a canonical zero-padded number.
    #[error("bad staged tail offset {0:?}")]
    BadTailOffset(String),
}

/// Prefix of every image object: `netbackup/`.
pub fn root_prefix() -> String {
    format!("{KEY_ROOT}/")
}

/// Prefix of every image with this base name: `netbackup/{basename}/`.
pub fn basename_prefix(basename: &ImageName) -> String {
    format!("{KEY_ROOT}/{basename}/")
}

/// Prefix of every object of one image: `netbackup/{basename}/{date}/`.
pub fn image_prefix(id: &ImageId) -> String {
    format!("{KEY_ROOT}/{}/{}/", id.basename, id.date)
}

/// Prefix of the data segments of one image: `netbackup/{basename}/{date}/data/`.
pub fn data_prefix(id: &ImageId) -> String {
    format!("{}{KEY_DATA_DIR}/", image_prefix(id))
}

/// Key of data segment `segment`.
pub fn data_segment_key(id: &ImageId, segment: u32) -> String {
    format!(
        "{}{segment:0width$}",
        data_prefix(id),
        width = SEGMENT_DIGITS
    )
}

/// Key of the staged tail starting at image byte `offset`.
pub fn staged_tail_key(id: &ImageId, offset: u64) -> String {
    format!(
        "{}{KEY_TAIL_DIR}/{offset:0width$}",
        image_prefix(id),
        width = TAIL_OFFSET_DIGITS
    )
}

/// Key of the image descriptor.
pub fn descriptor_key(id: &ImageId) -> String {
    format!("{}{KEY_DESCRIPTOR}", image_prefix(id))
}

/// Prefix of the orphan sweep's lease objects: `netbackup/.vast-ost-sweep/`.
pub fn sweep_lease_prefix() -> String {
    format!("{KEY_ROOT}/.vast-ost-sweep/")
}

/// Key of the orphan sweep's lease for interval number `window`.
pub fn sweep_lease_key(window: u64) -> String {
    format!("{}{window}", sweep_lease_prefix())
}

/// The interval number a sweep lease key names, `None` for any other key.
pub fn parse_sweep_lease_key(key: &str) -> Option<u64> {
    let window = key.strip_prefix(&sweep_lease_prefix())?;
    if window.is_empty() || !window.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    window.parse().ok()
}

/// Key of NetBackup's image metadata.
pub fn nbmeta_key(id: &ImageId) -> String {
    format!("{}{KEY_NBMETA}", image_prefix(id))
}

impl ImageKey {
    /// Builds a key value.
    pub fn new(id: ImageId, kind: ObjectKind) -> Self {
        Self { id, kind }
    }

    /// The object key string.
    pub fn to_key(&self) -> String {
        match self.kind {
            ObjectKind::DataSegment(n) => data_segment_key(&self.id, n),
            ObjectKind::Descriptor => descriptor_key(&self.id),
            ObjectKind::NbMeta => nbmeta_key(&self.id),
            ObjectKind::StagedTail(offset) => staged_tail_key(&self.id, offset),
        }
    }

    /// The image whose descriptor `key` is; `None` for every other key (data, tails,
    /// metadata, the plugin's own objects, foreign keys), as listings that look for images
    /// want it.
    pub fn descriptor_id(key: &str) -> Option<ImageId> {
        match Self::parse(key) {
            Ok(k) if k.kind == ObjectKind::Descriptor => Some(k.id),
            _ => None,
        }
    }

    /// Parses an object key.
    pub fn parse(key: &str) -> Result<Self, KeyError> {
        let rest = key
            .strip_prefix(KEY_ROOT)
            .and_then(|r| r.strip_prefix('/'))
            .ok_or(KeyError::NotUnderRoot)?;
        let mut parts = rest.splitn(3, '/');
        let (Some(name), Some(date), Some(object)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(KeyError::Truncated);
        };
        let id = ImageId::new(ImageName::new(name)?, date.parse::<ImageDate>()?);
        let kind = match object {
            KEY_DESCRIPTOR => ObjectKind::Descriptor,
            KEY_NBMETA => ObjectKind::NbMeta,
            other => {
                let under = |dir: &str| other.strip_prefix(dir).and_then(|s| s.strip_prefix('/'));
                if let Some(seg) = under(KEY_DATA_DIR) {
                    ObjectKind::DataSegment(parse_segment(seg)?)
                } else if let Some(offset) = under(KEY_TAIL_DIR) {
                    ObjectKind::StagedTail(parse_tail_offset(offset)?)
                } else {
                    return Err(KeyError::UnknownObject(other.to_owned()));
                }
            }
        };
        Ok(Self { id, kind })
    }
}

fn parse_segment(text: &str) -> Result<u32, KeyError> {
    let bad = || KeyError::BadSegment(text.to_owned());
    if !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let n: u32 = text.parse().map_err(|_| bad())?;
    // Only the canonical spelling round-trips.
    if format!("{n:0width$}", width = SEGMENT_DIGITS) != text {
        return Err(bad());
    }
    Ok(n)
}

fn parse_tail_offset(text: &str) -> Result<u64, KeyError> {
    let bad = || KeyError::BadTailOffset(text.to_owned());
    if text.len() != TAIL_OFFSET_DIGITS || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    text.parse().map_err(|_| bad())
}

impl fmt::Display for ImageKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_key())
    }
}

impl FromStr for ImageKey {
    type Err = KeyError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id() -> ImageId {
        ImageId::new(
            ImageName::new("client1_1638486030_C1_F1").unwrap(),
            "20211202223030".parse().unwrap(),
        )
    }

    #[test]
    fn layout() {
        let id = id();
        assert_eq!(root_prefix(), "netbackup/");
        assert_eq!(
            basename_prefix(&id.basename),
            "netbackup/client1_1638486030_C1_F1/"
        );
        assert_eq!(
            data_segment_key(&id, 7),
            "netbackup/client1_1638486030_C1_F1/20211202223030/data/000007"
        );
        assert_eq!(
            descriptor_key(&id),
            "netbackup/client1_1638486030_C1_F1/20211202223030/metadata"
        );
        assert_eq!(
            nbmeta_key(&id),
            "netbackup/client1_1638486030_C1_F1/20211202223030/nbmeta"
        );
        assert!(data_segment_key(&id, 1_234_567).ends_with("/data/1234567"));
        assert_eq!(
            staged_tail_key(&id, 16_777_217),
            "netbackup/client1_1638486030_C1_F1/20211202223030/tail/00000000000016777217"
        );
        assert_eq!(
            ImageKey::parse(&staged_tail_key(&id, u64::MAX)).map(|k| k.kind),
            Ok(ObjectKind::StagedTail(u64::MAX))
        );
        assert!(matches!(
            ImageKey::parse("netbackup/client1_1638486030_C1_F1/20211202223030/tail/17"),
            Err(KeyError::BadTailOffset(_))
        ));
    }

    #[test]
    fn sweep_lease_keys_are_no_image_keys() {
        for window in [0, 491_234, u64::MAX] {
            let key = sweep_lease_key(window);
            assert!(key.starts_with(&root_prefix()));
            assert!(ImageKey::parse(&key).is_err(), "{key}");
            assert_eq!(parse_sweep_lease_key(&key), Some(window));
        }
        assert_eq!(parse_sweep_lease_key("netbackup/.vast-ost-sweep/"), None);
        assert_eq!(parse_sweep_lease_key("netbackup/.vast-ost-sweep/1x"), None);
        assert_eq!(parse_sweep_lease_key(&descriptor_key(&id())), None);
    }

    #[test]
    fn only_a_descriptor_key_names_an_image_in_a_listing() {
        let id = id();
        assert_eq!(
            ImageKey::descriptor_id(&descriptor_key(&id)),
            Some(id.clone())
        );
        for other in [
            data_segment_key(&id, 0),
            nbmeta_key(&id),
            staged_tail_key(&id, 0),
            sweep_lease_key(7),
            "netbackup/.vast-ost-probe/x".to_owned(),
            "elsewhere/metadata".to_owned(),
        ] {
            assert_eq!(ImageKey::descriptor_id(&other), None, "{other}");
        }
    }

    #[test]
    fn parses_back() {
        let id = id();
        for kind in [
            ObjectKind::DataSegment(0),
            ObjectKind::DataSegment(1_234_567),
            ObjectKind::Descriptor,
            ObjectKind::NbMeta,
        ] {
            let key = ImageKey::new(id.clone(), kind);
            assert_eq!(ImageKey::parse(&key.to_key()).unwrap(), key);
        }
    }

    #[test]
    fn rejects_foreign_keys() {
        assert_eq!(ImageKey::parse("other/x"), Err(KeyError::NotUnderRoot));
        assert_eq!(ImageKey::parse("netbackupx/a"), Err(KeyError::NotUnderRoot));
        assert_eq!(
            ImageKey::parse("netbackup/a/20211202223030"),
            Err(KeyError::Truncated)
        );
        assert!(matches!(
            ImageKey::parse("netbackup/a/2021/metadata"),
            Err(KeyError::Date(_))
        ));
        assert!(matches!(
            ImageKey::parse("netbackup/../20211202223030/metadata"),
            Err(KeyError::Name(ImageNameError::DotDot))
        ));
        assert_eq!(
            ImageKey::parse("netbackup/a/20211202223030/blob"),
            Err(KeyError::UnknownObject("blob".into()))
        );
        for seg in ["7", "0000007", "00000x", "000001/x"] {
            let key = format!("netbackup/a/20211202223030/data/{seg}");
            assert_eq!(ImageKey::parse(&key), Err(KeyError::BadSegment(seg.into())));
        }
    }
}
