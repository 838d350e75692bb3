//! What the store keeps about buckets, objects, uploads and parts, as small JSON sidecars.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use serde::{Deserialize, Serialize};

/// The checksums of an object or part (base64, as S3 sends them); only the algorithms the
/// client asked for are kept.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub(crate) struct Checksums {
    pub(crate) crc32: Option<String>,
    pub(crate) crc32c: Option<String>,
    pub(crate) crc64nvme: Option<String>,
    pub(crate) sha1: Option<String>,
    pub(crate) sha256: Option<String>,
}

/// Content headers stored with an object and returned on GET/HEAD.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub(crate) struct ContentHeaders {
    pub(crate) content_type: Option<String>,
    pub(crate) content_encoding: Option<String>,
    pub(crate) content_disposition: Option<String>,
    pub(crate) content_language: Option<String>,
    pub(crate) cache_control: Option<String>,
    pub(crate) metadata: BTreeMap<String, String>,
}

/// One object: `objects/<id>.json` next to its bytes in `objects/<id>.data`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct ObjectMeta {
    pub(crate) key: String,
    /// Names the data file; a new id per write, so an overwrite never touches a file a reader has open.
    pub(crate) id: String,
    pub(crate) size: u64,
    /// Without quotes: hex MD5, or `md5-of-md5s-N` for multipart objects.
    pub(crate) etag: String,
    /// Milliseconds since the Unix epoch.
    pub(crate) last_modified_ms: i64,
    /// Orders writes of the same key (the newest sidecar wins after a crash).
    pub(crate) seq: u64,
    #[serde(default)]
    pub(crate) headers: ContentHeaders,
    #[serde(default)]
    pub(crate) checksums: Checksums,
    #[serde(default)]
    pub(crate) parts_count: Option<u32>,
    /// The version id; `None` is S3's `null` version (written while versioning was off).
    #[serde(default)]
    pub(crate) version_id: Option<String>,
    /// A delete marker (no bytes, no data file).
    #[serde(default)]
    pub(crate) delete_marker: bool,
    /// The version's object lock retention, if any.
    #[serde(default)]
    pub(crate) retention: Option<Retention>,
    /// The version's legal hold.
    #[serde(default)]
    pub(crate) legal_hold: bool,
}

impl ObjectMeta {
    /// The version id as S3 prints it (`null` for the null version).
    pub(crate) fn version(&self) -> String {
        self.version_id.clone().unwrap_or_else(|| "null".to_owned())
    }
}

/// An object version's retention (S3 object lock).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Retention {
    /// `GOVERNANCE` or `COMPLIANCE`.
    pub(crate) mode: String,
    /// Retain-until date, milliseconds since the Unix epoch.
    pub(crate) until_ms: i64,
}

/// A bucket's default retention (object lock configuration rule).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct DefaultRetention {
    /// `GOVERNANCE` or `COMPLIANCE`.
    pub(crate) mode: String,
    /// How long a new version is retained, in seconds.
    pub(crate) secs: i64,
}

/// A bucket's own record: `buckets/<name>/bucket.json`.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub(crate) struct BucketMeta {
    pub(crate) created_ms: i64,
    #[serde(default)]
    pub(crate) tags: Option<Vec<(String, String)>>,
    /// `Enabled` or `Suspended`; `None` = never enabled.
    #[serde(default)]
    pub(crate) versioning: Option<String>,
    /// Object lock is enabled (it cannot be turned off, and needs versioning).
    #[serde(default)]
    pub(crate) object_lock: bool,
    /// The object lock configuration's default retention, if any.
    #[serde(default)]
    pub(crate) default_retention: Option<DefaultRetention>,
}

impl BucketMeta {
    /// New writes get a version id of their own.
    pub(crate) fn versioned(&self) -> bool {
        self.versioning.as_deref() == Some("Enabled")
    }

    /// Versions are kept (versioning enabled now or before: suspended buckets keep theirs).
    pub(crate) fn keeps_versions(&self) -> bool {
        self.versioning.is_some()
    }
}

/// An open multipart upload: `uploads/<id>/upload.json`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct UploadMeta {
    pub(crate) id: String,
    pub(crate) bucket: String,
    pub(crate) key: String,
    pub(crate) initiated_ms: i64,
    #[serde(default)]
    pub(crate) headers: ContentHeaders,
    #[serde(default)]
    pub(crate) checksum_algorithm: Option<String>,
    pub(crate) owner: String,
    /// Object lock retention asked for at creation, applied to the completed object.
    #[serde(default)]
    pub(crate) retention: Option<Retention>,
    /// Legal hold asked for at creation.
    #[serde(default)]
    pub(crate) legal_hold: bool,
}

/// One uploaded part: `uploads/<id>/<n>.json` next to `<n>.part`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct PartMeta {
    pub(crate) number: i32,
    pub(crate) size: u64,
    /// Hex MD5, without quotes.
    pub(crate) etag: String,
    pub(crate) last_modified_ms: i64,
    #[serde(default)]
    pub(crate) checksums: Checksums,
}

/// Writes `value` as JSON to `path` through a temporary file and a rename (atomic on POSIX).
pub(crate) fn write_json<T: Serialize>(path: &Path, value: &T) -> std::io::Result<()> {
    let bytes = serde_json::to_vec(value).map_err(std::io::Error::other)?;
    let tmp = path.with_extension("json.tmp");
    {
        let mut file = std::fs::File::create(&tmp)?;
        file.write_all(&bytes)?;
    }
    std::fs::rename(&tmp, path)
}

/// Reads a JSON sidecar.
pub(crate) fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> std::io::Result<T> {
    let bytes = std::fs::read(path)?;
    serde_json::from_slice(&bytes).map_err(std::io::Error::other)
}

/// Milliseconds since the Unix epoch, now.
pub(crate) fn now_ms() -> i64 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    i64::try_from(now.as_millis()).unwrap_or(i64::MAX)
}

/// An s3s timestamp from milliseconds since the Unix epoch.
pub(crate) fn timestamp(ms: i64) -> s3s::dto::Timestamp {
    let nanos = i128::from(ms) * 1_000_000;
    let time = time::OffsetDateTime::from_unix_timestamp_nanos(nanos)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    s3s::dto::Timestamp::from(time)
}

/// A fresh random id (32 hex digits) for data files and upload ids.
pub(crate) fn new_id() -> String {
    format!("{:032x}", rand::random::<u128>())
}
