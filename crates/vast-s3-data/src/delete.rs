//! Deleting objects in DeleteObjects batches.

use aws_sdk_s3::types::{Delete, ObjectIdentifier};

use crate::capabilities::with_required_checksum;
use crate::client::S3Client;
use crate::error::{DataError, Result};
use crate::listing;

/// S3's limit of keys per DeleteObjects request.
pub const MAX_BATCH: usize = 1000;

/// Deletes `keys` from `bucket` in batches of up to 1,000; keys that do not exist are fine.
/// Returns the number of keys sent. Fails on the first key the server refused to delete. One
/// key goes as a DeleteObject: no request body and no checksum of it to compute and check.
pub async fn delete_keys(client: &S3Client, bucket: &str, keys: &[String]) -> Result<usize> {
    if let [key] = keys {
        crate::writer::requests::delete_object(client, bucket, key).await?;
        return Ok(1);
    }
    let objects: Vec<(&str, Option<&str>)> = keys.iter().map(|k| (k.as_str(), None)).collect();
    delete_objects(client, bucket, &objects, false).await
}

/// Deletes `objects` (a key, and a version id on a versioned bucket) in DeleteObjects batches of
/// up to 1,000, with `x-amz-bypass-governance-retention: true` when `bypass`; objects and
/// versions that do not exist are fine. Returns the number sent. Fails on the first one the
/// server refused to delete (a retained version: `AccessDenied`).
pub(crate) async fn delete_objects(
    client: &S3Client,
    bucket: &str,
    objects: &[(&str, Option<&str>)],
    bypass: bool,
) -> Result<usize> {
    for batch in objects.chunks(MAX_BATCH) {
        let ids = batch
            .iter()
            .map(|(k, v)| {
                ObjectIdentifier::builder()
                    .key(*k)
                    .set_version_id(v.map(str::to_owned))
                    .build()
            })
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(|e| DataError::Config(format!("bad key in delete batch: {e}")))?;
        let delete = Delete::builder()
            .set_objects(Some(ids))
            .quiet(true)
            .build()
            .map_err(|e| DataError::Config(format!("delete batch: {e}")))?;
        let req = client
            .sdk()
            .delete_objects()
            .bucket(bucket)
            .delete(delete)
            .set_bypass_governance_retention(bypass.then_some(true))
            .customize();
        let req = with_required_checksum(client, req);
        let out = req
            .send()
            .await
            .map_err(|e| DataError::sdk("DeleteObjects", bucket, e))?;
        if let Some(err) = out
            .errors()
            .iter()
            .find(|e| !matches!(e.code(), Some("NoSuchKey" | "NoSuchVersion")))
        {
            let version = err
                .version_id()
                .map(|v| format!("?versionId={v}"))
                .unwrap_or_default();
            return Err(DataError::S3 {
                operation: "DeleteObjects",
                target: format!("{bucket}/{}{version}", err.key().unwrap_or_default()),
                code: err.code().map(str::to_owned),
                status: None,
                message: err.message().unwrap_or("delete refused").to_owned(),
            });
        }
    }
    Ok(objects.len())
}

/// Deletes every object whose key starts with `prefix`; returns how many were deleted.
pub async fn delete_prefix(client: &S3Client, bucket: &str, prefix: &str) -> Result<usize> {
    let keys = listing::list_keys(client, bucket, prefix).await?;
    delete_keys(client, bucket, &keys).await
}
