//! `GET /login/`: who the client is logged in as.

use serde::{Deserialize, Serialize};

use crate::de::{lenient_id, nullable};

/// The manager (VMS admin user) behind the client's credentials.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct Manager {
    /// Manager id.
    #[serde(deserialize_with = "nullable")]
    pub id: u64,
    /// User name.
    #[serde(deserialize_with = "nullable")]
    pub username: String,
    /// SUPER_ADMIN or TENANT_ADMIN.
    pub user_type: Option<String>,
    /// Tenant of a tenant admin.
    #[serde(deserialize_with = "lenient_id")]
    pub tenant_id: Option<u64>,
    /// Roles, as VMS lists them.
    pub roles: serde_json::Value,
    /// Permissions, as VMS lists them.
    pub permissions: serde_json::Value,
    /// Fields this model does not name.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}
