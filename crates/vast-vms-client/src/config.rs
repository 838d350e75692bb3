//! Everything a [`VmsClient`](crate::VmsClient) is set up with.

use std::time::Duration;

use crate::auth::Credentials;
use crate::retry::RetryPolicy;
use crate::tls::TlsOptions;

/// The `User-Agent` every request carries unless overridden.
pub const DEFAULT_USER_AGENT: &str = concat!("vast-ost/", env!("CARGO_PKG_VERSION"));

/// The API version segment used unless another is chosen.
pub const DEFAULT_API_VERSION: &str = "latest";

/// Settings of one client. Build it with [`VmsClient::builder`](crate::VmsClient::builder); the
/// fields are public so a caller's own configuration can fill them in directly.
#[derive(Clone, Debug)]
pub struct ClientConfig {
    /// `https://<vms>` (or `https://<vms>:<port>`); plain `http://` only when spelled out.
    pub url: String,
    /// How to authenticate.
    pub credentials: Credentials,
    /// API version segment: `latest` (default), `v1`, `v5`, ... or `None` for the unversioned
    /// `/api/<collection>/` form.
    pub api_version: Option<String>,
    /// Tenant every call is scoped to (`X-Tenant-Name`), if any.
    pub tenant: Option<String>,
    /// Certificate checking.
    pub tls: TlsOptions,
    /// Limit for one request, from sending to reading the whole answer.
    pub timeout: Duration,
    /// Limit for establishing a connection.
    pub connect_timeout: Duration,
    /// Retries of transient failures.
    pub retry: RetryPolicy,
    /// `User-Agent` header value.
    pub user_agent: String,
}

impl ClientConfig {
    /// Defaults for a VMS at `url` reached with `credentials`.
    pub fn new(url: impl Into<String>, credentials: Credentials) -> Self {
        Self {
            url: url.into().trim_end_matches('/').to_owned(),
            credentials,
            api_version: Some(DEFAULT_API_VERSION.to_owned()),
            tenant: None,
            tls: TlsOptions::default(),
            timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
            retry: RetryPolicy::default(),
            user_agent: DEFAULT_USER_AGENT.to_owned(),
        }
    }
}
