//! Deleting objects in DeleteObjects batches.

use aws_sdk_s3::types::{Delete, ObjectIdentifier};

use crate::capabilities::required_checksum;
use crate::client::S3Client;
use crate::error::{DataError, Result};
use crate::listing;

/// S3's limit of keys per DeleteObjects request.
pub const MAX_BATCH: usize = 1000;

/// Deletes `keys` from `bucket` in batches of up to 1,000; keys that do not exist are fine.
/// Returns the number of keys sent. Fails on the first key the server refused to delete.
pub async fn delete_keys(client: &S3Client, bucket: &str, keys: &[String]) -> Result<usize> {
    for batch in keys.chunks(MAX_BATCH) {
        let objects = batch
            .iter()
            .map(|k| ObjectIdentifier::builder().key(k).build())
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(|e| DataError::Config(format!("bad key in delete batch: {e}")))?;
        let delete = Delete::builder()
            .set_objects(Some(objects))
            .quiet(true)
            .build()
            .map_err(|e| DataError::Config(format!("delete batch: {e}")))?;
        let req = client
            .sdk()
            .delete_objects()
            .bucket(bucket)
            .delete(delete)
            .customize();
        let req = match required_checksum(client.modes().checksum) {
            Some(shape) => req.mutate_request(shape),
            None => req,
        };
        let out = req
            .send()
            .await
            .map_err(|e| DataError::sdk("DeleteObjects", bucket, e))?;
        if let Some(err) = out.errors().iter().find(|e| e.code() != Some("NoSuchKey")) {
            return Err(DataError::S3 {
                operation: "DeleteObjects",
                target: format!("{bucket}/{}", err.key().unwrap_or_default()),
                code: err.code().map(str::to_owned),
                status: None,
                message: err.message().unwrap_or("delete refused").to_owned(),
            });
        }
    }
    Ok(keys.len())
}

/// Deletes every object whose key starts with `prefix`; returns how many were deleted.
pub async fn delete_prefix(client: &S3Client, bucket: &str, prefix: &str) -> Result<usize> {
    let keys = listing::list_keys(client, bucket, prefix).await?;
    delete_keys(client, bucket, &keys).await
}
