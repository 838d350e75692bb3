//! The image descriptor: vast-ost's versioned JSON document stored at
//! `netbackup/{basename}/{date}/metadata` (see `image_key`).
//!
//! Forward compatibility: every object in the document (top level, `image`, `layout`, `checksum`)
//! keeps the fields it does not know in `extra`, and they are written back unchanged, so a
//! read-modify-write by an older plugin never loses what a newer one stored. A document whose
//! *major* format version is newer than [`DESCRIPTOR_FORMAT_MAJOR`] is refused.

use std::fmt;
use std::str::FromStr;

use serde_json::{Map, Value};

use crate::image::ImageDef;

/// Major format version this crate writes and the newest it reads.
pub const DESCRIPTOR_FORMAT_MAJOR: u32 = 1;
/// Minor format version this crate writes (1.1 added `writer_lease`, 1.2 `retain_until_unix`).
pub const DESCRIPTOR_FORMAT_MINOR: u32 = 2;

/// Why a descriptor could not be parsed or is not consistent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DescriptorError {
    /// Not JSON, or a field has the wrong type.
    #[error("image descriptor is not valid JSON for this format: {0}")]
    Json(String),
    /// No `format_version` field.
    #[error("image descriptor has no format_version")]
    MissingVersion,
    /// `format_version` is not `"MAJOR.MINOR"`.
    #[error("image descriptor format_version {0:?} is not \"MAJOR.MINOR\"")]
    BadVersion(String),
    /// Written by a newer, incompatible plugin.
    #[error("image descriptor format {found} is newer than the supported major version {supported}; upgrade the plugin")]
    UnsupportedMajor {
        /// The version found.
        found: FormatVersion,
        /// The newest major version supported.
        supported: u32,
    },
    /// Parsed, but the values contradict each other.
    #[error("image descriptor is inconsistent: {0}")]
    Inconsistent(String),
}

impl From<serde_json::Error> for DescriptorError {
    fn from(e: serde_json::Error) -> Self {
        Self::Json(e.to_string())
    }
}

/// A `MAJOR.MINOR` format version (JSON: the string `"1.0"`).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(try_from = "String", into = "String")]
pub struct FormatVersion {
    /// Incompatible changes bump this.
    pub major: u32,
    /// Compatible additions bump this.
    pub minor: u32,
}

impl FormatVersion {
    /// The version this crate writes.
    pub const CURRENT: Self = Self {
        major: DESCRIPTOR_FORMAT_MAJOR,
        minor: DESCRIPTOR_FORMAT_MINOR,
    };
}

impl fmt::Display for FormatVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

impl FromStr for FormatVersion {
    type Err = DescriptorError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || DescriptorError::BadVersion(s.to_owned());
        let (major, minor) = s.split_once('.').ok_or_else(bad)?;
        let num = |t: &str| {
            if t.is_empty() || !t.bytes().all(|b| b.is_ascii_digit()) {
                Err(bad())
            } else {
                t.parse::<u32>().map_err(|_| bad())
            }
        };
        Ok(Self {
            major: num(major)?,
            minor: num(minor)?,
        })
    }
}

impl TryFrom<String> for FormatVersion {
    type Error = DescriptorError;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<FormatVersion> for String {
    fn from(v: FormatVersion) -> Self {
        v.to_string()
    }
}

/// Image lifecycle state (ost-api.md 1.5, V): pending from create until close-complete.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ImageState {
    /// Created, not sealed (also after close-incomplete).
    Pending,
    /// Sealed by close-complete; never writable again.
    Complete,
}

/// How the image bytes are cut into objects: data segments of `segment_size` bytes, each
/// uploaded in multipart parts of `part_size` bytes.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Layout {
    /// Bytes per data segment object (the last may be shorter).
    pub segment_size: u64,
    /// Bytes per multipart upload part.
    pub part_size: u64,
    /// Number of data segment objects.
    pub segment_count: u32,
    /// Fields from newer versions, kept as they are.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Layout {
    /// A layout with no segments yet. `part_size` must be non-zero and at most `segment_size`.
    pub fn new(segment_size: u64, part_size: u64) -> Result<Self, DescriptorError> {
        let layout = Self {
            segment_size,
            part_size,
            segment_count: 0,
            extra: Map::new(),
        };
        layout.check_sizes()?;
        Ok(layout)
    }

    fn check_sizes(&self) -> Result<(), DescriptorError> {
        if self.segment_size == 0 || self.part_size == 0 {
            return Err(DescriptorError::Inconsistent(
                "segment_size and part_size must be non-zero".into(),
            ));
        }
        if self.part_size > self.segment_size {
            return Err(DescriptorError::Inconsistent(format!(
                "part_size {} is larger than segment_size {}",
                self.part_size, self.segment_size
            )));
        }
        Ok(())
    }

    /// Segment number and offset inside it of image byte `offset`; `None` past `u32` segments.
    pub fn locate(&self, offset: u64) -> Option<(u32, u64)> {
        let size = self.segment_size.max(1);
        let segment = u32::try_from(offset / size).ok()?;
        Some((segment, offset % size))
    }

    /// Segments needed for an image of `byte_size` bytes; `None` past `u32` segments.
    pub fn segments_for(&self, byte_size: u64) -> Option<u32> {
        u32::try_from(byte_size.div_ceil(self.segment_size.max(1))).ok()
    }
}

/// A checksum algorithm. Unknown names (from newer writers) are kept as `Other`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ChecksumAlgorithm {
    /// CRC-32C (Castagnoli), 8 hex digits.
    Crc32c,
    /// SHA-256, 64 hex digits.
    Sha256,
    /// MD5, 32 hex digits.
    Md5,
    /// An algorithm this version does not know.
    Other(String),
}

impl ChecksumAlgorithm {
    /// The JSON name.
    pub fn name(&self) -> &str {
        match self {
            Self::Crc32c => "crc32c",
            Self::Sha256 => "sha256",
            Self::Md5 => "md5",
            Self::Other(name) => name,
        }
    }

    /// Hex digits a value has, when known.
    pub fn hex_len(&self) -> Option<usize> {
        match self {
            Self::Crc32c => Some(8),
            Self::Sha256 => Some(64),
            Self::Md5 => Some(32),
            Self::Other(_) => None,
        }
    }
}

impl From<String> for ChecksumAlgorithm {
    fn from(name: String) -> Self {
        match name.as_str() {
            "crc32c" => Self::Crc32c,
            "sha256" => Self::Sha256,
            "md5" => Self::Md5,
            _ => Self::Other(name),
        }
    }
}

impl From<ChecksumAlgorithm> for String {
    fn from(a: ChecksumAlgorithm) -> Self {
        a.name().to_owned()
    }
}

impl serde::Serialize for ChecksumAlgorithm {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl<'de> serde::Deserialize<'de> for ChecksumAlgorithm {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(Self::from)
    }
}

/// A checksum of the image data: algorithm + lower-case hex value.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Checksum {
    /// The algorithm.
    pub algorithm: ChecksumAlgorithm,
    /// Lower-case hex digest.
    pub value: String,
    /// Fields from newer versions, kept as they are.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Checksum {
    /// A checksum; the value must be lower-case hex of the algorithm's length.
    pub fn new(algorithm: ChecksumAlgorithm, value: &str) -> Result<Self, DescriptorError> {
        let c = Self {
            algorithm,
            value: value.to_owned(),
            extra: Map::new(),
        };
        c.check()?;
        Ok(c)
    }

    fn check(&self) -> Result<(), DescriptorError> {
        let hex = |b: u8| b.is_ascii_digit() || (b'a'..=b'f').contains(&b);
        if self.value.is_empty() || !self.value.bytes().all(hex) {
            return Err(DescriptorError::Inconsistent(format!(
                "{} checksum is not lower-case hex",
                self.algorithm.name()
            )));
        }
        match self.algorithm.hex_len() {
            Some(n) if n != self.value.len() => Err(DescriptorError::Inconsistent(format!(
                "{} checksum must have {n} hex digits, has {}",
                self.algorithm.name(),
                self.value.len()
            ))),
            _ => Ok(()),
        }
    }
}

/// Who holds a pending image open for write. The writer renews it while its handle is open;
/// another process (another media server) judges from it whether that writer is alive.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct WriterLease {
    /// Host name of the writer's media server.
    pub host: String,
    /// The writer's process id on that host.
    pub pid: u32,
    /// Unique per open write handle: tells this writer's renewals from a later writer's.
    pub writer_id: String,
    /// When the writer last renewed the lease (Unix seconds, the writer's clock).
    pub renewed_unix: u64,
    /// Fields from newer versions, kept as they are.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl WriterLease {
    /// A lease renewed now.
    pub fn new(host: impl Into<String>, pid: u32, writer_id: impl Into<String>, now: u64) -> Self {
        Self {
            host: host.into(),
            pid,
            writer_id: writer_id.into(),
            renewed_unix: now,
            extra: Map::new(),
        }
    }

    /// True while the lease was renewed less than `max_age_secs` before `now_unix` (a renewal
    /// stamped in the future, by a clock ahead of ours, counts as fresh).
    pub fn is_fresh(&self, now_unix: u64, max_age_secs: u64) -> bool {
        now_unix.saturating_sub(self.renewed_unix) < max_age_secs
    }
}

/// The `image` section: the image definition plus unknown fields kept for newer versions.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ImageRecord {
    /// The image definition.
    #[serde(flatten)]
    pub def: ImageDef,
    /// Fields from newer versions, kept as they are.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The image descriptor document.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ImageDescriptor {
    /// Format version of the document (kept as read; new documents get [`FormatVersion::CURRENT`]).
    pub format_version: FormatVersion,
    /// The image.
    pub image: ImageRecord,
    /// Lifecycle state.
    pub state: ImageState,
    /// Image size in bytes (`imo_size`, V).
    pub byte_size: u64,
    /// Object layout.
    pub layout: Layout,
    /// Checksum of the whole image data, once known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checksum: Option<Checksum>,
    /// Creation time, Unix seconds.
    pub created_unix: u64,
    /// Completion time, Unix seconds (set when complete).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completed_unix: Option<u64>,
    /// Host name of the media server that wrote the image.
    pub writer_host: String,
    /// The writer holding the image open for write right now, if any (format 1.1; older
    /// readers keep it as an unknown field).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub writer_lease: Option<WriterLease>,
    /// Version of the plugin that wrote the image.
    pub plugin_version: String,
    /// On a WORM LSU, the date (Unix seconds) until which every object of the complete image
    /// is locked (format 1.2; older readers keep it as an unknown field).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retain_until_unix: Option<u64>,
    /// Fields from newer versions, kept as they are.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl ImageDescriptor {
    /// A new pending image descriptor with no data yet.
    pub fn new_pending(
        def: ImageDef,
        layout: Layout,
        created_unix: u64,
        writer_host: impl Into<String>,
        plugin_version: impl Into<String>,
    ) -> Self {
        Self {
            format_version: FormatVersion::CURRENT,
            image: ImageRecord {
                def,
                extra: Map::new(),
            },
            state: ImageState::Pending,
            byte_size: 0,
            layout: Layout {
                segment_count: 0,
                ..layout
            },
            checksum: None,
            created_unix,
            completed_unix: None,
            writer_host: writer_host.into(),
            writer_lease: None,
            plugin_version: plugin_version.into(),
            retain_until_unix: None,
            extra: Map::new(),
        }
    }

    /// The image definition.
    pub fn def(&self) -> &ImageDef {
        &self.image.def
    }

    /// Seals the image: sets size, segment count, checksum and completion time.
    pub fn complete(
        &mut self,
        byte_size: u64,
        checksum: Checksum,
        completed_unix: u64,
    ) -> Result<(), DescriptorError> {
        if self.state == ImageState::Complete {
            return Err(DescriptorError::Inconsistent(
                "image is already complete".into(),
            ));
        }
        checksum.check()?;
        let segments = self.layout.segments_for(byte_size).ok_or_else(|| {
            DescriptorError::Inconsistent(format!("{byte_size} bytes need too many segments"))
        })?;
        self.byte_size = byte_size;
        self.layout.segment_count = segments;
        self.checksum = Some(checksum);
        self.completed_unix = Some(completed_unix);
        self.state = ImageState::Complete;
        Ok(())
    }

    /// Checks that the values agree with each other.
    pub fn validate(&self) -> Result<(), DescriptorError> {
        if self.format_version.major > DESCRIPTOR_FORMAT_MAJOR {
            return Err(DescriptorError::UnsupportedMajor {
                found: self.format_version,
                supported: DESCRIPTOR_FORMAT_MAJOR,
            });
        }
        self.layout.check_sizes()?;
        if let Some(c) = &self.checksum {
            c.check()?;
        }
        if self.state == ImageState::Complete {
            if self.completed_unix.is_none() {
                return Err(DescriptorError::Inconsistent(
                    "complete image without completed_unix".into(),
                ));
            }
            if self.layout.segments_for(self.byte_size) != Some(self.layout.segment_count) {
                return Err(DescriptorError::Inconsistent(format!(
                    "{} bytes in segments of {} need {:?} segments, descriptor says {}",
                    self.byte_size,
                    self.layout.segment_size,
                    self.layout.segments_for(self.byte_size),
                    self.layout.segment_count
                )));
            }
        }
        Ok(())
    }

    /// Parses and validates a descriptor. The version is checked first, so a newer-major
    /// document fails with [`DescriptorError::UnsupportedMajor`] whatever else it contains.
    pub fn parse(bytes: &[u8]) -> Result<Self, DescriptorError> {
        let value: Value = serde_json::from_slice(bytes)?;
        let version = match value.get("format_version") {
            None => return Err(DescriptorError::MissingVersion),
            Some(Value::String(s)) => s.parse::<FormatVersion>()?,
            Some(other) => return Err(DescriptorError::BadVersion(other.to_string())),
        };
        if version.major > DESCRIPTOR_FORMAT_MAJOR {
            return Err(DescriptorError::UnsupportedMajor {
                found: version,
                supported: DESCRIPTOR_FORMAT_MAJOR,
            });
        }
        let descriptor: Self = serde_json::from_value(value)?;
        descriptor.validate()?;
        Ok(descriptor)
    }

    /// Serializes to pretty JSON bytes.
    pub fn to_json_vec(&self) -> Result<Vec<u8>, DescriptorError> {
        Ok(serde_json::to_vec_pretty(self)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::image_name::ImageName;

    fn pending() -> ImageDescriptor {
        let def = ImageDef::new(
            ImageName::new("c1_1700000000_C1_F1").unwrap(),
            "20231114221320".parse().unwrap(),
        );
        ImageDescriptor::new_pending(
            def,
            Layout::new(64 << 20, 8 << 20).unwrap(),
            1_700_000_000,
            "media1",
            "0.1.0",
        )
    }

    #[test]
    fn pending_then_complete_round_trips() {
        let mut d = pending();
        let bytes = d.to_json_vec().unwrap();
        assert_eq!(ImageDescriptor::parse(&bytes).unwrap(), d);
        let sum = Checksum::new(ChecksumAlgorithm::Crc32c, "0a1b2c3d").unwrap();
        d.complete((64 << 20) + 1, sum, 1_700_000_100).unwrap();
        assert_eq!(d.layout.segment_count, 2);
        let back = ImageDescriptor::parse(&d.to_json_vec().unwrap()).unwrap();
        assert_eq!(back, d);
        assert_eq!(back.state, ImageState::Complete);
        let v: Value = serde_json::from_slice(&d.to_json_vec().unwrap()).unwrap();
        assert_eq!(v["format_version"], "1.2");
        assert_eq!(v["state"], "complete");
        assert_eq!(v["checksum"]["algorithm"], "crc32c");
        assert_eq!(v["image"]["basename"], "c1_1700000000_C1_F1");
        assert!(d
            .complete(
                1,
                Checksum::new(ChecksumAlgorithm::Md5, &"0".repeat(32)).unwrap(),
                1
            )
            .is_err());
    }

    #[test]
    fn writer_lease_round_trips_and_ages() {
        let mut d = pending();
        assert!(!serde_json::to_value(&d)
            .unwrap()
            .as_object()
            .unwrap()
            .contains_key("writer_lease"));
        d.writer_lease = Some(WriterLease::new("media2", 4242, "media2:4242:1", 1_000));
        let back = ImageDescriptor::parse(&d.to_json_vec().unwrap()).unwrap();
        assert_eq!(back, d);
        let lease = back.writer_lease.unwrap();
        assert!(lease.is_fresh(1_000, 60));
        assert!(lease.is_fresh(1_059, 60));
        assert!(!lease.is_fresh(1_060, 60));
        assert!(
            lease.is_fresh(900, 60),
            "a clock behind the writer's sees it fresh"
        );
        // A 1.0 document (no lease) still reads.
        let mut v = serde_json::to_value(pending()).unwrap();
        v["format_version"] = "1.0".into();
        let old = ImageDescriptor::parse(v.to_string().as_bytes()).unwrap();
        assert_eq!(old.writer_lease, None);
    }

    #[test]
    fn rejects_newer_major_and_bad_versions() {
        let mut v = serde_json::to_value(pending()).unwrap();
        v["format_version"] = "2.0".into();
        v["layout"] = "totally different".into();
        let err = ImageDescriptor::parse(v.to_string().as_bytes()).unwrap_err();
        assert_eq!(
            err,
            DescriptorError::UnsupportedMajor {
                found: FormatVersion { major: 2, minor: 0 },
                supported: 1
            }
        );
        assert!(err.to_string().contains("upgrade"));
        v["format_version"] = "one".into();
        assert_eq!(
            ImageDescriptor::parse(v.to_string().as_bytes()),
            Err(DescriptorError::BadVersion("one".into()))
        );
        v.as_object_mut().unwrap().remove("format_version");
        assert_eq!(
            ImageDescriptor::parse(v.to_string().as_bytes()),
            Err(DescriptorError::MissingVersion)
        );
        assert!(matches!(
            ImageDescriptor::parse(b"not json"),
            Err(DescriptorError::Json(_))
        ));
    }

    #[test]
    fn rejects_inconsistent_documents() {
        let mut v = serde_json::to_value(pending()).unwrap();
        v["state"] = "complete".into();
        assert!(matches!(
            ImageDescriptor::parse(v.to_string().as_bytes()),
            Err(DescriptorError::Inconsistent(_))
        ));
        assert!(Layout::new(0, 0).is_err());
        assert!(Layout::new(4, 8).is_err());
        assert!(Checksum::new(ChecksumAlgorithm::Sha256, "abc").is_err());
        assert!(Checksum::new(ChecksumAlgorithm::Crc32c, "0A1B2C3D").is_err());
        assert!(Checksum::new(ChecksumAlgorithm::Other("blake3".into()), "abcd").is_ok());
    }

    #[test]
    fn layout_locates_offsets() {
        let l = Layout::new(100, 10).unwrap();
        assert_eq!(l.locate(0), Some((0, 0)));
        assert_eq!(l.locate(250), Some((2, 50)));
        assert_eq!(l.segments_for(0), Some(0));
        assert_eq!(l.segments_for(100), Some(1));
        assert_eq!(l.segments_for(101), Some(2));
        assert_eq!(l.locate(u64::MAX), None);
    }

    #[test]
    fn unknown_fields_kept_everywhere() {
        let mut v = serde_json::to_value(pending()).unwrap();
        v["format_version"] = "1.7".into();
        v["future_top"] = serde_json::json!({"a": [1, 2]});
        v["image"]["future_image"] = "x".into();
        v["layout"]["future_layout"] = true.into();
        let mut d = ImageDescriptor::parse(v.to_string().as_bytes()).unwrap();
        d.complete(
            5,
            Checksum::new(ChecksumAlgorithm::Crc32c, "00000000").unwrap(),
            9,
        )
        .unwrap();
        let out: Value = serde_json::from_slice(&d.to_json_vec().unwrap()).unwrap();
        assert_eq!(out["format_version"], "1.7");
        assert_eq!(out["future_top"], serde_json::json!({"a": [1, 2]}));
        assert_eq!(out["image"]["future_image"], "x");
        assert_eq!(out["layout"]["future_layout"], true);
        assert_eq!(out["byte_size"], 5);
    }
}
