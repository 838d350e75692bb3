//! `/vms/`: the management service itself (a list of one).

use serde::{Deserialize, Serialize};

use crate::de::{lenient_u64, nullable};
use crate::resources::collection::Resource;

/// The VMS record: version, addresses and security settings.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct Vms {
    /// VMS id (1).
    #[serde(deserialize_with = "nullable")]
    pub id: u64,
    /// Name.
    #[serde(deserialize_with = "nullable")]
    pub name: String,
    /// Software version.
    pub sw_version: Option<String>,
    /// Build name.
    pub build: Option<String>,
    /// Management VIP.
    pub mgmt_vip: Option<String>,
    /// Management IP.
    pub mgmt_ip: Option<String>,
    /// HTTPS port.
    #[serde(deserialize_with = "lenient_u64")]
    pub ssl_port: Option<u64>,
    /// Lowest TLS version accepted.
    pub min_tls_version: Option<String>,
    /// JWT access token lifetime (`[DD [HH:[MM:]]]ss`).
    pub access_token_lifetime: Option<String>,
    /// JWT refresh token lifetime.
    pub refresh_token_lifetime: Option<String>,
    /// Most active API tokens per user.
    #[serde(deserialize_with = "lenient_u64")]
    pub max_api_tokens_per_user: Option<u64>,
    /// State.
    pub state: Option<String>,
    /// Why VMS is degraded, if it is.
    pub degraded_reason: Option<String>,
    /// Self link.
    pub url: Option<String>,
    /// Fields this model does not name.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl Resource for Vms {
    const COLLECTION: &'static str = "vms";
}
