//! `/viewpolicies/`: access and protocol behaviour shared by views (S3 buckets use S3_NATIVE).

use serde::{Deserialize, Serialize};

use crate::de::{lenient_id, nullable};
use crate::error::Error;
use crate::query::Query;
use crate::resources::collection::{Collection, Creatable, Mutable, Resource};

/// The policy flavour S3 buckets use.
pub const S3_NATIVE: &str = "S3_NATIVE";

/// A view policy.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct ViewPolicy {
    /// Policy id.
    #[serde(deserialize_with = "nullable")]
    pub id: u64,
    /// Policy name (`default`, `s3_default_policy`, ...).
    #[serde(deserialize_with = "nullable")]
    pub name: String,
    /// Globally unique id.
    pub guid: Option<String>,
    /// NFS, SMB, MIXED_LAST_WINS or S3_NATIVE.
    pub flavor: Option<String>,
    /// Owning tenant.
    #[serde(deserialize_with = "lenient_id")]
    pub tenant_id: Option<u64>,
    /// Owning tenant's name.
    pub tenant_name: Option<String>,
    /// Whether this is the tenant's default S3 policy.
    pub is_s3_default_policy: Option<bool>,
    /// RPC, PROVIDERS or RPC_AND_PROVIDERS.
    pub auth_source: Option<String>,
    /// LCD or NPL.
    pub allowed_characters: Option<String>,
    /// Self link.
    pub url: Option<String>,
    /// Fields this model does not name.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl ViewPolicy {
    /// Whether the policy is S3_NATIVE.
    pub fn is_s3_native(&self) -> bool {
        self.flavor
            .as_deref()
            .is_some_and(|f| f.eq_ignore_ascii_case(S3_NATIVE))
    }
}

/// Body of `POST /viewpolicies/`.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[non_exhaustive]
pub struct NewViewPolicy {
    /// Policy name (required).
    pub name: String,
    /// Flavour (S3_NATIVE for buckets).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub flavor: Option<String>,
    /// Owning tenant.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tenant_id: Option<u64>,
    /// RPC, PROVIDERS or RPC_AND_PROVIDERS.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auth_source: Option<String>,
    /// LCD or NPL.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allowed_characters: Option<String>,
}

impl NewViewPolicy {
    /// An S3_NATIVE policy as VAST's own tooling creates one (`auth_source` RPC, LCD names).
    pub fn s3(name: impl Into<String>, tenant_id: Option<u64>) -> Self {
        Self {
            name: name.into(),
            flavor: Some(S3_NATIVE.to_owned()),
            tenant_id,
            auth_source: Some("RPC".to_owned()),
            allowed_characters: Some("LCD".to_owned()),
        }
    }
}

impl Resource for ViewPolicy {
    const COLLECTION: &'static str = "viewpolicies";
}

impl Creatable for ViewPolicy {
    type New = NewViewPolicy;
}

impl Mutable for ViewPolicy {}

impl Collection<ViewPolicy> {
    /// The policy named `name`, compared case-insensitively (VAST spells its S3 default both
    /// `s3_default_policy` and `S3_default_policy`), optionally within one tenant.
    pub async fn by_name(
        &self,
        name: &str,
        tenant_id: Option<u64>,
    ) -> Result<Option<ViewPolicy>, Error> {
        let mut query = Query::new().filter("name__icontains", name);
        if let Some(tenant) = tenant_id {
            query = query.filter("tenant_id", tenant);
        }
        let found = self.list(&query).await?;
        Ok(found.into_iter().find(|p| {
            p.name.eq_ignore_ascii_case(name)
                && tenant_id.is_none_or(|t| p.tenant_id.is_none_or(|pt| pt == t))
        }))
    }
}
