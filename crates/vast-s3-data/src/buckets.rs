//! Bucket calls: create, exists, delete, tagging.

use aws_sdk_s3::types::{Tag, Tagging};

use crate::capabilities::with_required_checksum;
use crate::client::S3Client;
use crate::error::{DataError, Result};

/// Creates `bucket`; one that already exists and is ours is fine.
pub async fn create(client: &S3Client, bucket: &str) -> Result<()> {
    match client.sdk().create_bucket().bucket(bucket).send().await {
        Ok(_) => Ok(()),
        Err(e) => {
            let err = DataError::sdk("CreateBucket", bucket, e);
            if err.code() == Some("BucketAlreadyOwnedByYou") {
                Ok(())
            } else {
                Err(err)
            }
        }
    }
}

/// True when `bucket` exists and these credentials may use it.
pub async fn exists(client: &S3Client, bucket: &str) -> Result<bool> {
    match client.sdk().head_bucket().bucket(bucket).send().await {
        Ok(_) => Ok(true),
        Err(e) => {
            let err = DataError::sdk("HeadBucket", bucket, e);
            if err.is_not_found() {
                Ok(false)
            } else {
                Err(err)
            }
        }
    }
}

/// Deletes an empty `bucket`.
pub async fn delete(client: &S3Client, bucket: &str) -> Result<()> {
    client
        .sdk()
        .delete_bucket()
        .bucket(bucket)
        .send()
        .await
        .map_err(|e| DataError::sdk("DeleteBucket", bucket, e))?;
    Ok(())
}

/// Replaces the bucket's tags.
pub async fn put_tags(client: &S3Client, bucket: &str, tags: &[(String, String)]) -> Result<()> {
    let tag_set = tags
        .iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| DataError::Config(format!("bad tag: {e}")))?;
    let tagging = Tagging::builder()
        .set_tag_set(Some(tag_set))
        .build()
        .map_err(|e| DataError::Config(format!("bad tagging: {e}")))?;
    let req = client
        .sdk()
        .put_bucket_tagging()
        .bucket(bucket)
        .tagging(tagging)
        .customize();
    let req = with_required_checksum(client, req);
    req.send()
        .await
        .map_err(|e| DataError::sdk("PutBucketTagging", bucket, e))?;
    Ok(())
}

/// The bucket's tags (empty when it has none).
pub async fn get_tags(client: &S3Client, bucket: &str) -> Result<Vec<(String, String)>> {
    match client
        .sdk()
        .get_bucket_tagging()
        .bucket(bucket)
        .send()
        .await
    {
        Ok(out) => Ok(out
            .tag_set()
            .iter()
            .map(|t| (t.key().to_owned(), t.value().to_owned()))
            .collect()),
        Err(e) => {
            let err = DataError::sdk("GetBucketTagging", bucket, e);
            if err.code() == Some("NoSuchTagSet") {
                Ok(Vec::new())
            } else {
                Err(err)
            }
        }
    }
}
