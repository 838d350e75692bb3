//! `/localproviders/`: the providers of local users. A tenant names its provider
//! (`local_provider_id`); on VAST 5.5 a local user is created in one (`POST /users/` requires
//! `local_provider_id`).

use serde::{Deserialize, Serialize};

use crate::de::{lenient_id, nullable};
use crate::resources::collection::Resource;

/// A local provider as listed.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct LocalProvider {
    /// Provider id.
    #[serde(deserialize_with = "nullable")]
    pub id: u64,
    /// Provider name.
    #[serde(deserialize_with = "nullable")]
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// The tenants it is assigned to, as VMS previews them.
    pub assigned_tenants_preview: Option<String>,
    /// Fields this model does not name.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

/// A reference to a local provider inside a tenant or a user (`LocalProviderData`:
/// `{id, name}`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct LocalProviderRef {
    /// Provider id.
    #[serde(deserialize_with = "lenient_id")]
    pub id: Option<u64>,
    /// Provider name.
    pub name: Option<String>,
}

impl Resource for LocalProvider {
    const COLLECTION: &'static str = "localproviders";
}
