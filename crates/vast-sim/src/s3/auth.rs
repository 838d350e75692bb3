//! Who is asking: SigV4 secrets come from the VMS side's access keys, and every request's
//! identity must be allowed the bucket it names.

use std::sync::Arc;

use s3s::access::{S3Access, S3AccessContext};
use s3s::auth::{S3Auth, SecretKey};
use s3s::dto::{
    CopyObjectInput, CopySource, DeleteObjectInput, DeleteObjectsInput, PutObjectRetentionInput,
    UploadPartCopyInput,
};
use s3s::path::S3Path;
use s3s::{s3_error, S3Request, S3Result};

use super::store::ObjectStore;
use crate::control::{AccessRequest, ControlPlane, S3Identity};
use crate::faults::Faults;

/// Looks secrets up by access key (unknown or disabled: `InvalidAccessKeyId`).
pub(crate) struct KeyAuth {
    pub(crate) control: Arc<dyn ControlPlane>,
}

#[async_trait::async_trait]
impl S3Auth for KeyAuth {
    async fn get_secret_key(&self, access_key: &str) -> S3Result<SecretKey> {
        match self
            .control
            .s3_identity(&super::credential::access_key(access_key))
        {
            Some(identity) => Ok(SecretKey::from(identity.secret_key)),
            None => Err(s3_error!(
                InvalidAccessKeyId,
                "The AWS Access Key Id you provided does not exist in our records."
            )),
        }
    }
}

/// Counts each operation, refuses anonymous requests, and asks `ControlPlane::may_access`
/// whether the identity may do the operation's IAM action ([`iam_action`]) on the bucket or
/// key it names (and `s3:GetObject` on a copy's source; `s3:DeleteObject` on every key of a
/// DeleteObjects). The identity is left in the request's extensions for the operation.
pub(crate) struct BucketAccess {
    pub(crate) control: Arc<dyn ControlPlane>,
    pub(crate) store: Arc<ObjectStore>,
    pub(crate) faults: Arc<Faults>,
}

impl BucketAccess {
    fn check(&self, identity: &S3Identity, request: &AccessRequest<'_>) -> S3Result<()> {
        // A bucket that does not exist is left to the operation (NoSuchBucket).
        if self.store.has_bucket(request.bucket) && !self.control.may_access(identity, request) {
            return Err(s3_error!(AccessDenied, "Access Denied"));
        }
        Ok(())
    }

    fn check_source<T>(&self, req: &S3Request<T>, source: &CopySource) -> S3Result<()> {
        let identity = identity(req)?;
        match source {
            CopySource::Bucket { bucket, key, .. } => self.check(
                &identity,
                &AccessRequest::object("s3:GetObject", bucket, key),
            ),
            _ => Err(s3_error!(
                NotImplemented,
                "Only bucket/key copy sources are supported"
            )),
        }
    }
}

/// The IAM action of an S3 operation (AWS's table for the operations the simulator serves;
/// any other is `s3:<Operation>`).
pub(crate) fn iam_action(operation: &str) -> String {
    let action = match operation {
        "HeadObject" | "GetObject" => "GetObject",
        "PutObject"
        | "CopyObject"
        | "CreateMultipartUpload"
        | "UploadPart"
        | "UploadPartCopy"
        | "CompleteMultipartUpload" => "PutObject",
        "DeleteObjects" => "DeleteObject",
        "ListParts" => "ListMultipartUploadParts",
        "ListMultipartUploads" => "ListBucketMultipartUploads",
        "HeadBucket" | "ListObjects" | "ListObjectsV2" => "ListBucket",
        "ListBuckets" => "ListAllMyBuckets",
        "DeleteBucketTagging" => "PutBucketTagging",
        "ListObjectVersions" => "ListBucketVersions",
        "GetObjectLockConfiguration" => "GetBucketObjectLockConfiguration",
        "PutObjectLockConfiguration" => "PutBucketObjectLockConfiguration",
        other => other,
    };
    format!("s3:{action}")
}

#[async_trait::async_trait]
impl S3Access for BucketAccess {
    async fn check(&self, cx: &mut S3AccessContext<'_>) -> S3Result<()> {
        let operation = cx.s3_op().name();
        self.faults.count(&format!("s3.op.{operation}"));
        let Some(credentials) = cx.credentials() else {
            return Err(s3_error!(AccessDenied, "Anonymous access is not allowed"));
        };
        let identity = self
            .control
            .s3_identity(&super::credential::access_key(&credentials.access_key))
            .ok_or_else(|| s3_error!(InvalidAccessKeyId))?;
        // CreateBucket is decided by `allow_create_bucket`, DeleteObjects key by key.
        if !matches!(operation, "CreateBucket" | "DeleteObjects") {
            let action = iam_action(operation);
            match cx.s3_path() {
                S3Path::Root => {}
                S3Path::Bucket { bucket } => {
                    self.check(&identity, &AccessRequest::bucket(action, bucket))?;
                }
                S3Path::Object { bucket, key } => {
                    self.check(&identity, &AccessRequest::object(action, bucket, key))?;
                }
            }
        }
        cx.extensions_mut().insert(identity);
        Ok(())
    }

    async fn copy_object(&self, req: &mut S3Request<CopyObjectInput>) -> S3Result<()> {
        self.check_source(req, &req.input.copy_source)
    }

    async fn upload_part_copy(&self, req: &mut S3Request<UploadPartCopyInput>) -> S3Result<()> {
        self.check_source(req, &req.input.copy_source)
    }

    /// Removing a version needs `s3:DeleteObjectVersion`; the governance bypass header needs
    /// `s3:BypassGovernanceRetention` (AWS's actions).
    async fn delete_object(&self, req: &mut S3Request<DeleteObjectInput>) -> S3Result<()> {
        let identity = identity(req)?;
        let input = &req.input;
        if input.version_id.is_some() {
            self.check(
                &identity,
                &AccessRequest::object("s3:DeleteObjectVersion", &input.bucket, &input.key),
            )?;
        }
        if input.bypass_governance_retention == Some(true) {
            self.check(
                &identity,
                &AccessRequest::object("s3:BypassGovernanceRetention", &input.bucket, &input.key),
            )?;
        }
        Ok(())
    }

    /// Shortening a governance retention needs `s3:BypassGovernanceRetention` with the header.
    async fn put_object_retention(
        &self,
        req: &mut S3Request<PutObjectRetentionInput>,
    ) -> S3Result<()> {
        let identity = identity(req)?;
        let input = &req.input;
        if input.bypass_governance_retention == Some(true) {
            self.check(
                &identity,
                &AccessRequest::object("s3:BypassGovernanceRetention", &input.bucket, &input.key),
            )?;
        }
        Ok(())
    }

    /// Every key must be deletable; one that is not refuses the whole request (AWS would
    /// answer per key inside a 200; the plugin treats both as a failed delete). Versions and
    /// the bypass header need their actions as in DeleteObject.
    async fn delete_objects(&self, req: &mut S3Request<DeleteObjectsInput>) -> S3Result<()> {
        let identity = identity(req)?;
        let bucket = &req.input.bucket;
        let bypass = req.input.bypass_governance_retention == Some(true);
        for object in &req.input.delete.objects {
            self.check(
                &identity,
                &AccessRequest::object("s3:DeleteObject", bucket, &object.key),
            )?;
            if object.version_id.is_some() {
                self.check(
                    &identity,
                    &AccessRequest::object("s3:DeleteObjectVersion", bucket, &object.key),
                )?;
            }
            if bypass {
                self.check(
                    &identity,
                    &AccessRequest::object("s3:BypassGovernanceRetention", bucket, &object.key),
                )?;
            }
        }
        Ok(())
    }
}

/// The identity the access check left in the request.
pub(crate) fn identity<T>(req: &S3Request<T>) -> S3Result<S3Identity> {
    req.extensions
        .get::<S3Identity>()
        .cloned()
        .ok_or_else(|| s3_error!(AccessDenied, "Access Denied"))
}
