//! `/quotas/`: directory quotas (a bucket's capacity limit is the quota on its path).

use serde::{Deserialize, Serialize};

use crate::de::{lenient_f64, lenient_id, lenient_u64, nullable};
use crate::error::Error;
use crate::query::Query;
use crate::resources::collection::{Collection, Creatable, Mutable, Resource};

/// A directory quota. A limit of `0` or `None` is not enforced.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct Quota {
    /// Quota id.
    #[serde(deserialize_with = "nullable")]
    pub id: u64,
    /// Quota name.
    #[serde(deserialize_with = "nullable")]
    pub name: String,
    /// Globally unique id.
    pub guid: Option<String>,
    /// The directory it limits.
    #[serde(deserialize_with = "nullable")]
    pub path: String,
    /// OK, SOFT_EXCEEDED, HARD_EXCEEDED, ...
    pub state: Option<String>,
    /// Owning tenant.
    #[serde(deserialize_with = "lenient_id")]
    pub tenant_id: Option<u64>,
    /// Hard limit in bytes.
    #[serde(deserialize_with = "lenient_u64")]
    pub hard_limit: Option<u64>,
    /// Soft limit in bytes.
    #[serde(deserialize_with = "lenient_u64")]
    pub soft_limit: Option<u64>,
    /// Hard limit in inodes.
    #[serde(deserialize_with = "lenient_u64")]
    pub hard_limit_inodes: Option<u64>,
    /// Soft limit in inodes.
    #[serde(deserialize_with = "lenient_u64")]
    pub soft_limit_inodes: Option<u64>,
    /// Grace period (e.g. `"90m"`), as VMS gives it.
    pub grace_period: Option<serde_json::Value>,
    /// Bytes used.
    #[serde(deserialize_with = "lenient_u64")]
    pub used_capacity: Option<u64>,
    /// Bytes used after data reduction.
    #[serde(deserialize_with = "lenient_u64")]
    pub used_effective_capacity: Option<u64>,
    /// Inodes used.
    #[serde(deserialize_with = "lenient_u64")]
    pub used_inodes: Option<u64>,
    /// Percentage of the hard limit used.
    #[serde(deserialize_with = "lenient_f64")]
    pub percent_capacity: Option<f64>,
    /// Self link.
    pub url: Option<String>,
    /// Fields this model does not name.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

/// Body of `POST /quotas/`.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[non_exhaustive]
pub struct NewQuota {
    /// Quota name (required).
    pub name: String,
    /// Directory to limit (required).
    pub path: String,
    /// Hard limit in bytes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hard_limit: Option<u64>,
    /// Soft limit in bytes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub soft_limit: Option<u64>,
    /// Grace period after the soft limit, e.g. `"90m"`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grace_period: Option<String>,
    /// Create the directory if missing.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub create_dir: Option<bool>,
    /// Owning tenant.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tenant_id: Option<u64>,
}

impl NewQuota {
    /// A quota called `name` on `path` with a hard limit of `hard_limit` bytes.
    pub fn new(name: impl Into<String>, path: impl Into<String>, hard_limit: u64) -> Self {
        Self {
            name: name.into(),
            path: path.into(),
            hard_limit: Some(hard_limit),
            ..Self::default()
        }
    }
}

/// Body of `PATCH /quotas/<id>/`: only the fields set are changed.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[non_exhaustive]
pub struct QuotaPatch {
    /// New name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// New hard limit in bytes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hard_limit: Option<u64>,
    /// New soft limit in bytes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub soft_limit: Option<u64>,
    /// New grace period.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grace_period: Option<String>,
}

impl QuotaPatch {
    /// Changes only the hard limit.
    pub fn hard_limit(bytes: u64) -> Self {
        Self {
            hard_limit: Some(bytes),
            ..Self::default()
        }
    }
}

impl Resource for Quota {
    const COLLECTION: &'static str = "quotas";
}

impl Creatable for Quota {
    type New = NewQuota;
}

impl Mutable for Quota {}

impl Collection<Quota> {
    /// The quota on exactly `path`, if any.
    pub async fn by_path(&self, path: &str) -> Result<Option<Quota>, Error> {
        let found = self.list(&Query::new().filter("path", path)).await?;
        Ok(found.into_iter().find(|q| q.path == path))
    }
}
