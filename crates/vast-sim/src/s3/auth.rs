//! Who is asking: SigV4 secrets come from the VMS side's access keys, and every request's
//! identity must be allowed the bucket it names.

use std::sync::Arc;

use s3s::access::{S3Access, S3AccessContext};
use s3s::auth::{S3Auth, SecretKey};
use s3s::dto::{CopyObjectInput, CopySource, UploadPartCopyInput};
use s3s::path::S3Path;
use s3s::{s3_error, S3Request, S3Result};

use super::store::ObjectStore;
use crate::control::{ControlPlane, S3Identity};
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

/// Counts each operation, refuses anonymous requests, and checks the bucket (and a copy's
/// source bucket) against `ControlPlane::may_access`. The identity is left in the request's
/// extensions for the operation.
pub(crate) struct BucketAccess {
    pub(crate) control: Arc<dyn ControlPlane>,
    pub(crate) store: Arc<ObjectStore>,
    pub(crate) faults: Arc<Faults>,
}

impl BucketAccess {
    fn check_bucket(&self, identity: &S3Identity, bucket: &str) -> S3Result<()> {
        // A bucket that does not exist is left to the operation (NoSuchBucket).
        if self.store.has_bucket(bucket) && !self.control.may_access(identity, bucket) {
            return Err(s3_error!(AccessDenied, "Access Denied"));
        }
        Ok(())
    }

    fn check_source<T>(&self, req: &S3Request<T>, source: &CopySource) -> S3Result<()> {
        let identity = req
            .extensions
            .get::<S3Identity>()
            .ok_or_else(|| s3_error!(AccessDenied, "Access Denied"))?;
        match source {
            CopySource::Bucket { bucket, .. } => self.check_bucket(identity, bucket),
            _ => Err(s3_error!(
                NotImplemented,
                "Only bucket/key copy sources are supported"
            )),
        }
    }
}

#[async_trait::async_trait]
impl S3Access for BucketAccess {
    async fn check(&self, cx: &mut S3AccessContext<'_>) -> S3Result<()> {
        self.faults.count(&format!("s3.op.{}", cx.s3_op().name()));
        let Some(credentials) = cx.credentials() else {
            return Err(s3_error!(AccessDenied, "Anonymous access is not allowed"));
        };
        let identity = self
            .control
            .s3_identity(&super::credential::access_key(&credentials.access_key))
            .ok_or_else(|| s3_error!(InvalidAccessKeyId))?;
        let is_create = cx.s3_op().name() == "CreateBucket";
        match cx.s3_path() {
            S3Path::Root => {}
            S3Path::Bucket { bucket } | S3Path::Object { bucket, .. } => {
                if !is_create {
                    self.check_bucket(&identity, bucket)?;
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
}

/// The identity the access check left in the request.
pub(crate) fn identity<T>(req: &S3Request<T>) -> S3Result<S3Identity> {
    req.extensions
        .get::<S3Identity>()
        .cloned()
        .ok_or_else(|| s3_error!(AccessDenied, "Access Denied"))
}
