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
}

/// A bucket's own record: `buckets/<name>/bucket.json`.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub(crate) struct BucketMeta {
    pub(crate) created_ms: i64,
    #[serde(default)]
    pub(crate) tags: Option<Vec<(String, String)>>,
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
