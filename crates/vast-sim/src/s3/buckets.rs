//! Bucket operations: list, create, head, delete, location, tagging.

use s3s::dto::*;
use s3s::{s3_error, S3Request, S3Response, S3Result};

use super::auth::identity;
use super::meta::timestamp;
use super::store::data_plane_error;
use super::SimS3;
use crate::control::{AccessRequest, DataPlaneError};

impl SimS3 {
    pub(crate) async fn list_buckets(
        &self,
        req: S3Request<ListBucketsInput>,
    ) -> S3Result<S3Response<ListBucketsOutput>> {
        let identity = identity(&req)?;
        let all: Vec<(String, i64)> = {
            let state = self.store.lock();
            state
                .buckets
                .iter()
                .map(|(name, b)| (name.clone(), b.meta.created_ms))
                .collect()
        };
        let buckets = all
            .into_iter()
            .filter(|(name, _)| {
                self.control
                    .may_access(&identity, &AccessRequest::bucket("s3:ListBucket", name))
            })
            .map(|(name, created)| Bucket {
                name: Some(name),
                creation_date: Some(timestamp(created)),
                ..Bucket::default()
            })
            .collect();
        Ok(S3Response::new(ListBucketsOutput {
            buckets: Some(buckets),
            owner: Some(Owner {
                display_name: Some(identity.user_name.clone()),
                id: Some(identity.user_id.to_string()),
            }),
            ..ListBucketsOutput::default()
        }))
    }

    pub(crate) async fn create_bucket(
        &self,
        req: S3Request<CreateBucketInput>,
    ) -> S3Result<S3Response<CreateBucketOutput>> {
        let identity = identity(&req)?;
        let locking = req.input.object_lock_enabled_for_bucket.unwrap_or(false);
        let bucket = req.input.bucket;
        if !identity.allow_create_bucket {
            return Err(s3_error!(AccessDenied, "The user may not create buckets"));
        }
        match self.store.create_bucket_checked(&bucket) {
            Ok(()) => {}
            Err(DataPlaneError::BucketExists(_))
                if self.control.may_access(
                    &identity,
                    &AccessRequest::bucket("s3:CreateBucket", &bucket),
                ) =>
            {
                return Err(s3_error!(BucketAlreadyOwnedByYou));
            }
            Err(e) => return Err(data_plane_error(e)),
        }
        if locking {
            // `x-amz-bucket-object-lock-enabled: true`: versioning on, object lock on, for good.
            self.store.update_bucket_meta(&bucket, |m| {
                m.versioning = Some("Enabled".to_owned());
                m.object_lock = true;
            })?;
        }
        self.control
            .bucket_created_over_s3(&bucket, &identity, locking);
        Ok(S3Response::new(CreateBucketOutput {
            location: Some(format!("/{bucket}")),
        }))
    }

    pub(crate) async fn head_bucket(
        &self,
        req: S3Request<HeadBucketInput>,
    ) -> S3Result<S3Response<HeadBucketOutput>> {
        self.store.with_bucket(&req.input.bucket, |_| ())?;
        Ok(S3Response::new(HeadBucketOutput {
            bucket_region: Some("us-east-1".to_owned()),
            ..HeadBucketOutput::default()
        }))
    }

    pub(crate) async fn delete_bucket(
        &self,
        req: S3Request<DeleteBucketInput>,
    ) -> S3Result<S3Response<DeleteBucketOutput>> {
        let identity = identity(&req)?;
        let bucket = req.input.bucket;
        if !self.store.has_bucket(&bucket) {
            return Err(s3_error!(NoSuchBucket));
        }
        if !identity.allow_delete_bucket {
            return Err(s3_error!(AccessDenied, "The user may not delete buckets"));
        }
        self.store
            .delete_bucket_checked(&bucket)
            .map_err(data_plane_error)?;
        self.control.bucket_deleted_over_s3(&bucket);
        Ok(S3Response::new(DeleteBucketOutput {}))
    }

    pub(crate) async fn get_bucket_location(
        &self,
        req: S3Request<GetBucketLocationInput>,
    ) -> S3Result<S3Response<GetBucketLocationOutput>> {
        self.store.with_bucket(&req.input.bucket, |_| ())?;
        // us-east-1 is reported as an empty LocationConstraint, as AWS does.
        Ok(S3Response::new(GetBucketLocationOutput::default()))
    }

    pub(crate) async fn put_bucket_tagging(
        &self,
        req: S3Request<PutBucketTaggingInput>,
    ) -> S3Result<S3Response<PutBucketTaggingOutput>> {
        let tags: Vec<(String, String)> = req
            .input
            .tagging
            .tag_set
            .into_iter()
            .map(|t| (t.key.unwrap_or_default(), t.value.unwrap_or_default()))
            .collect();
        if tags.len() > 50 {
            return Err(s3_error!(InvalidTag, "A bucket can have at most 50 tags"));
        }
        self.store
            .update_bucket_meta(&req.input.bucket, |meta| meta.tags = Some(tags))?;
        Ok(S3Response::new(PutBucketTaggingOutput {}))
    }

    pub(crate) async fn get_bucket_tagging(
        &self,
        req: S3Request<GetBucketTaggingInput>,
    ) -> S3Result<S3Response<GetBucketTaggingOutput>> {
        let tags = self
            .store
            .with_bucket(&req.input.bucket, |b| b.meta.tags.clone())?;
        let Some(tags) = tags else {
            return Err(s3_error!(NoSuchTagSet, "The TagSet does not exist"));
        };
        let tag_set = tags
            .into_iter()
            .map(|(key, value)| Tag {
                key: Some(key),
                value: Some(value),
            })
            .collect();
        Ok(S3Response::new(GetBucketTaggingOutput { tag_set }))
    }

    pub(crate) async fn delete_bucket_tagging(
        &self,
        req: S3Request<DeleteBucketTaggingInput>,
    ) -> S3Result<S3Response<DeleteBucketTaggingOutput>> {
        self.store
            .update_bucket_meta(&req.input.bucket, |meta| meta.tags = None)?;
        Ok(S3Response::with_status(
            DeleteBucketTaggingOutput {},
            http::StatusCode::NO_CONTENT,
        ))
    }
}
