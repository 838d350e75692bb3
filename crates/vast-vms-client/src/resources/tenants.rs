//! `/tenants/`: isolation domains owning users, views and VIP pools.

use serde::{Deserialize, Serialize};

use crate::de::{lenient_id, lenient_u64, nullable};
use crate::error::Error;
use crate::query::Query;
use crate::resources::collection::{Collection, Creatable, Mutable, Resource};
use crate::resources::LocalProviderRef;

impl Tenant {
    /// The tenant's local provider (`local_provider_id`, else `local_provider.id`): where
    /// its local users are created.
    pub fn local_provider(&self) -> Option<u64> {
        self.local_provider_id
            .or_else(|| self.local_provider.as_ref().and_then(|p| p.id))
    }
}

/// A tenant.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct Tenant {
    /// Tenant id (`default` is usually 1).
    #[serde(deserialize_with = "nullable")]
    pub id: u64,
    /// Tenant name.
    #[serde(deserialize_with = "nullable")]
    pub name: String,
    /// Globally unique id.
    pub guid: Option<String>,
    /// Local user provider.
    #[serde(deserialize_with = "lenient_id")]
    pub local_provider_id: Option<u64>,
    /// Local user provider as `{id, name}`.
    #[serde(deserialize_with = "nullable")]
    pub local_provider: Option<LocalProviderRef>,
    /// Domain name.
    pub domain_name: Option<String>,
    /// Names of the VIP pools dedicated to it.
    #[serde(deserialize_with = "nullable")]
    pub vippool_names: Vec<String>,
    /// Most views allowed.
    #[serde(deserialize_with = "lenient_u64")]
    pub max_views: Option<u64>,
    /// Self link.
    pub url: Option<String>,
    /// Fields this model does not name.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

/// Body of `POST /tenants/`.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[non_exhaustive]
pub struct NewTenant {
    /// Tenant name (required).
    pub name: String,
    /// Local user provider.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub local_provider_id: Option<u64>,
    /// Domain name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub domain_name: Option<String>,
    /// Client IP ranges as `[start, end]` pairs.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub client_ip_ranges: Vec<[String; 2]>,
}

impl NewTenant {
    /// A tenant called `name`.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            ..Self::default()
        }
    }
}

impl Resource for Tenant {
    const COLLECTION: &'static str = "tenants";
}

impl Creatable for Tenant {
    type New = NewTenant;
}

impl Mutable for Tenant {}

impl Collection<Tenant> {
    /// The tenant called exactly `name`, if any.
    pub async fn by_name(&self, name: &str) -> Result<Option<Tenant>, Error> {
        let found = self.list(&Query::new().filter("name", name)).await?;
        Ok(found.into_iter().find(|t| t.name == name))
    }
}
