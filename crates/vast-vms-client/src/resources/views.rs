//! `/views/`: exported paths; a view with the S3 protocol *is* a bucket.

use serde::{Deserialize, Serialize};

use crate::de::{lenient_id, lenient_u64, nullable};
use crate::error::Error;
use crate::query::Query;
use crate::resources::collection::{Collection, Creatable, Mutable, Resource};

/// A view (and, with `S3` in `protocols`, a bucket).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct View {
    /// View id.
    #[serde(deserialize_with = "nullable")]
    pub id: u64,
    /// View name (VMS defaults it to `view-<id>`).
    #[serde(deserialize_with = "nullable")]
    pub name: String,
    /// Globally unique id.
    pub guid: Option<String>,
    /// Display title (the path).
    pub title: Option<String>,
    /// Element Store path, e.g. `/buckets/nbu-1`.
    #[serde(deserialize_with = "nullable")]
    pub path: String,
    /// View policy id.
    #[serde(deserialize_with = "lenient_id")]
    pub policy_id: Option<u64>,
    /// View policy name.
    pub policy: Option<String>,
    /// Protocols: NFS, NFS4, SMB, S3, ENDPOINT, ...
    #[serde(deserialize_with = "nullable")]
    pub protocols: Vec<String>,
    /// Bucket name (S3 views).
    pub bucket: Option<String>,
    /// Bucket owner's user name (S3 views).
    pub bucket_owner: Option<String>,
    /// USER or ROLE.
    pub bucket_owner_type: Option<String>,
    /// Users allowed to create buckets under an ENDPOINT view.
    #[serde(deserialize_with = "nullable")]
    pub bucket_creators: Vec<String>,
    /// Owning tenant.
    #[serde(deserialize_with = "lenient_id")]
    pub tenant_id: Option<u64>,
    /// Owning tenant's name.
    pub tenant_name: Option<String>,
    /// Cluster name.
    pub cluster: Option<String>,
    /// Cluster id.
    #[serde(deserialize_with = "lenient_id")]
    pub cluster_id: Option<u64>,
    /// Creation time.
    pub created: Option<String>,
    /// Logical bytes stored.
    #[serde(deserialize_with = "lenient_u64")]
    pub logical_capacity: Option<u64>,
    /// Physical bytes stored.
    #[serde(deserialize_with = "lenient_u64")]
    pub physical_capacity: Option<u64>,
    /// S3 object versioning.
    pub s3_versioning: Option<bool>,
    /// S3 object locking.
    pub locking: Option<bool>,
    /// NFS alias.
    pub alias: Option<String>,
    /// SMB share name.
    pub share: Option<String>,
    /// Self link.
    pub url: Option<String>,
    /// Fields this model does not name.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl View {
    /// Whether the view serves S3 (is a bucket).
    pub fn is_bucket(&self) -> bool {
        self.protocols.iter().any(|p| p.eq_ignore_ascii_case("S3"))
    }
}

/// Body of `POST /views/`.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[non_exhaustive]
pub struct NewView {
    /// Element Store path (required): absolute, no trailing slash.
    pub path: String,
    /// View policy (required).
    pub policy_id: u64,
    /// Create the directory if it does not exist.
    pub create_dir: bool,
    /// Protocols.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub protocols: Vec<String>,
    /// Bucket name (required with S3).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bucket: Option<String>,
    /// Bucket owner's user name (required with S3).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bucket_owner: Option<String>,
    /// Owning tenant.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tenant_id: Option<u64>,
    /// View name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// WORM locking (`locking`): S3 object lock on the bucket; cannot be disabled later.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub locking: Option<bool>,
    /// S3 versioning (`s3_versioning`): needs `locking`; cannot be disabled later.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub s3_versioning: Option<bool>,
    /// Retention mode of new files (`files_retention_mode`: `NONE`, `GOVERNANCE`,
    /// `COMPLIANCE`); `NONE` on an S3-only view leaves retention to each object.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub files_retention_mode: Option<String>,
}

impl NewView {
    /// A bucket view: `bucket` at `path` owned by the user named `owner`, under an S3_NATIVE
    /// policy, creating the directory.
    pub fn bucket(
        bucket: impl Into<String>,
        path: impl Into<String>,
        owner: impl Into<String>,
        policy_id: u64,
    ) -> Self {
        Self {
            path: path.into(),
            policy_id,
            create_dir: true,
            protocols: vec!["S3".to_owned()],
            bucket: Some(bucket.into()),
            bucket_owner: Some(owner.into()),
            tenant_id: None,
            name: None,
            locking: None,
            s3_versioning: None,
            files_retention_mode: None,
        }
    }

    /// Makes the view WORM: locking and versioning on (for good), no default retention and no
    /// file retention mode, so only objects given a retention explicitly are locked.
    #[must_use]
    pub fn worm(mut self) -> Self {
        self.locking = Some(true);
        self.s3_versioning = Some(true);
        self.files_retention_mode = Some("NONE".to_owned());
        self
    }

    /// Places the view in `tenant_id`.
    #[must_use]
    pub fn in_tenant(mut self, tenant_id: u64) -> Self {
        self.tenant_id = Some(tenant_id);
        self
    }
}

impl Resource for View {
    const COLLECTION: &'static str = "views";
}

impl Creatable for View {
    type New = NewView;
}

impl Mutable for View {}

impl Collection<View> {
    /// The bucket view named `bucket` (bucket names are unique cluster-wide), if any.
    pub async fn by_bucket(&self, bucket: &str) -> Result<Option<View>, Error> {
        let found = self.list(&Query::new().filter("bucket", bucket)).await?;
        Ok(found
            .into_iter()
            .find(|v| v.bucket.as_deref() == Some(bucket)))
    }

    /// The view at exactly `path`, if any.
    pub async fn by_path(&self, path: &str) -> Result<Option<View>, Error> {
        let found = self.list(&Query::new().filter("path", path)).await?;
        Ok(found.into_iter().find(|v| v.path == path))
    }

    /// Every bucket view (views with the S3 protocol).
    pub async fn buckets(&self) -> Result<Vec<View>, Error> {
        let all = self.list(&Query::new()).await?;
        Ok(all.into_iter().filter(View::is_bucket).collect())
    }
}
