//! The contract between the simulator's two faces.
//!
//! A VAST cluster has one namespace behind two faces: the VMS REST API decides who may do what
//! (users, access keys, views that are buckets, quotas) and the S3 endpoint moves the bytes. The
//! faces are built separately (`vms` and `s3`) and meet only through these two traits, wired
//! together in [`crate::VastSim::start`]:
//!
//! - [`DataPlane`] is what the VMS side asks of the object store (a bucket view's bucket appears and
//!   disappears with the view; quotas report the bytes used).
//! - [`ControlPlane`] is what the S3 side asks of the VMS side (which secret belongs to an access
//!   key, which quota covers a bucket, a bucket created over S3 becoming a view).

use std::fmt;

/// The identity behind one S3 access key, as the VMS side issued it.
#[derive(Clone, PartialEq, Eq)]
pub struct S3Identity {
    /// The access key id.
    pub access_key: String,
    /// The secret key (never printed: see the `Debug` impl).
    pub secret_key: String,
    /// The local user that owns the key.
    pub user_id: u64,
    /// That user's name (bucket ownership is by user name on VAST).
    pub user_name: String,
    /// The tenant the key maps to (since VAST 5.1 a key pair maps to exactly one tenant).
    pub tenant_id: u64,
    /// Whether the user may create buckets over S3 (`allow_create_bucket`).
    pub allow_create_bucket: bool,
    /// Whether the user may delete buckets over S3 (`allow_delete_bucket`).
    pub allow_delete_bucket: bool,
}

impl fmt::Debug for S3Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("S3Identity")
            .field("access_key", &self.access_key)
            .field("secret_key", &"<redacted>")
            .field("user_id", &self.user_id)
            .field("user_name", &self.user_name)
            .field("tenant_id", &self.tenant_id)
            .finish()
    }
}

/// One S3 request as authorisation sees it: an IAM action on a bucket, or on an object of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccessRequest<'a> {
    /// The IAM action, `s3:GetObject`, `s3:ListBucket`, ...
    pub action: String,
    /// The bucket.
    pub bucket: &'a str,
    /// The object key, for object requests.
    pub key: Option<&'a str>,
}

impl<'a> AccessRequest<'a> {
    /// `action` on the bucket itself.
    pub fn bucket(action: impl Into<String>, bucket: &'a str) -> Self {
        Self {
            action: action.into(),
            bucket,
            key: None,
        }
    }

    /// `action` on the object `key` of `bucket`.
    pub fn object(action: impl Into<String>, bucket: &'a str, key: &'a str) -> Self {
        Self {
            action: action.into(),
            bucket,
            key: Some(key),
        }
    }
}

/// Bytes and objects a bucket holds now.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BucketUsage {
    /// Sum of the sizes of the bucket's objects (completed ones only).
    pub bytes: u64,
    /// Number of objects.
    pub objects: u64,
}

/// Why the object store refused a bucket operation.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DataPlaneError {
    /// A bucket of that name already exists (names are cluster-wide on VAST).
    #[error("bucket {0} already exists")]
    BucketExists(String),
    /// No bucket of that name.
    #[error("bucket {0} does not exist")]
    NoSuchBucket(String),
    /// The bucket still holds objects or open multipart uploads.
    #[error("bucket {0} is not empty")]
    BucketNotEmpty(String),
    /// The store failed underneath (disk I/O).
    #[error("object store I/O failed: {0}")]
    Io(String),
}

/// A bucket's versioning and object lock, as a WORM view sets them (`s3_versioning`,
/// `locking`, `s3_locks_retention_mode` + `default_retention_period`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BucketLock {
    /// S3 versioning enabled (it cannot be turned off again).
    pub versioning: bool,
    /// S3 object lock enabled (it cannot be turned off again; needs versioning).
    pub object_lock: bool,
    /// The default retention of new object versions: mode (`GOVERNANCE`/`COMPLIANCE`) and
    /// seconds.
    pub default_retention: Option<(String, i64)>,
}

/// What the VMS face asks of the object store.
pub trait DataPlane: Send + Sync + 'static {
    /// Creates an empty bucket (a view with the S3 protocol was created).
    fn create_bucket(&self, name: &str) -> Result<(), DataPlaneError>;
    /// Removes an empty bucket (its view was deleted).
    fn delete_bucket(&self, name: &str) -> Result<(), DataPlaneError>;
    /// Bytes and objects in a bucket, or `None` when it does not exist.
    fn bucket_usage(&self, name: &str) -> Option<BucketUsage>;
    /// Sets a bucket's versioning and object lock (its view's WORM fields changed). Turning
    /// either off again is left to the VMS side to refuse.
    fn set_bucket_lock(&self, name: &str, lock: &BucketLock) -> Result<(), DataPlaneError>;
}

/// What the S3 face asks of the VMS side.
pub trait ControlPlane: Send + Sync + 'static {
    /// The identity of an *enabled* access key; `None` when unknown or disabled.
    fn s3_identity(&self, access_key: &str) -> Option<S3Identity>;
    /// The hard limit in bytes of the quota that covers this bucket's view, if one is enforced
    /// (a limit of 0 or null is not enforced, as on VAST).
    fn bucket_hard_limit(&self, bucket: &str) -> Option<u64>;
    /// Whether `identity` may do `request` (it owns the bucket, is an S3 superuser of the
    /// bucket's tenant, or an identity policy attached to it allows the action; a Deny in an
    /// attached policy wins).
    fn may_access(&self, identity: &S3Identity, request: &AccessRequest<'_>) -> bool;
    /// A bucket was created over S3 `CreateBucket`: the VMS side records its view (under `/`
    /// with the S3 default policy, as VAST does without an ENDPOINT view).
    fn bucket_created_over_s3(&self, bucket: &str, owner: &S3Identity, locking: bool);
    /// A bucket was deleted over S3 `DeleteBucket`: the VMS side drops its view.
    fn bucket_deleted_over_s3(&self, bucket: &str);
}
