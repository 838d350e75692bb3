//! Step-by-step construction of a [`VmsClient`].

use std::path::PathBuf;
use std::time::Duration;

use crate::auth::Credentials;
use crate::client::VmsClient;
use crate::config::ClientConfig;
use crate::error::Error;
use crate::retry::RetryPolicy;
use crate::secret::Secret;

/// Builds a [`VmsClient`]; start with [`VmsClient::builder`].
#[derive(Clone, Debug)]
#[must_use]
pub struct ClientBuilder {
    config: ClientConfig,
}

impl ClientBuilder {
    pub(crate) fn new(url: impl Into<String>) -> Self {
        Self {
            config: ClientConfig::new(url, Credentials::None),
        }
    }

    /// Logs in with a user name and password and uses JWTs (`POST /api/token/`), refreshed
    /// transparently. The usual choice.
    pub fn password(mut self, username: impl Into<String>, password: impl Into<Secret>) -> Self {
        self.config.credentials = Credentials::Jwt {
            username: username.into(),
            password: password.into(),
        };
        self
    }

    /// Sends HTTP Basic credentials with every call instead of using JWTs.
    pub fn basic(mut self, username: impl Into<String>, password: impl Into<Secret>) -> Self {
        self.config.credentials = Credentials::Basic {
            username: username.into(),
            password: password.into(),
        };
        self
    }

    /// Sends a VMS API token (`Authorization: Api-Token <token>`, VAST 5.3+) with every call.
    pub fn api_token(mut self, token: impl Into<Secret>) -> Self {
        self.config.credentials = Credentials::ApiToken(token.into());
        self
    }

    /// Sets the credentials directly.
    pub fn credentials(mut self, credentials: Credentials) -> Self {
        self.config.credentials = credentials;
        self
    }

    /// API version segment, e.g. `v5` (default `latest`).
    pub fn api_version(mut self, version: impl Into<String>) -> Self {
        self.config.api_version = Some(version.into());
        self
    }

    /// Uses the unversioned `/api/<collection>/` paths.
    pub fn unversioned(mut self) -> Self {
        self.config.api_version = None;
        self
    }

    /// Scopes every call to a tenant (`X-Tenant-Name`).
    pub fn tenant(mut self, tenant: impl Into<String>) -> Self {
        self.config.tenant = Some(tenant.into());
        self
    }

    /// Trusts the CA certificates of a PEM file instead of the system roots.
    pub fn ca_bundle(mut self, path: impl Into<PathBuf>) -> Self {
        self.config.tls.ca_bundle = Some(path.into());
        self
    }

    /// Accepts any server certificate. Dangerous (credentials can be intercepted); logged as a
    /// warning whenever a client is built with it.
    pub fn insecure(mut self, insecure: bool) -> Self {
        self.config.tls.insecure = insecure;
        self
    }

    /// Limit for one request, from sending to reading the whole answer (default 30 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.config.timeout = timeout;
        self
    }

    /// Limit for establishing a connection (default 10 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.config.connect_timeout = timeout;
        self
    }

    /// Retry policy for transient failures.
    pub fn retry(mut self, retry: RetryPolicy) -> Self {
        self.config.retry = retry;
        self
    }

    /// Overrides the `User-Agent` (default `vast-ost/<version>`).
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.config.user_agent = user_agent.into();
        self
    }

    /// The configuration built so far.
    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    /// Creates the client. No request is sent yet: a JWT client logs in on its first call (or
    /// when [`VmsClient::login`] is called).
    pub fn build(self) -> Result<VmsClient, Error> {
        VmsClient::from_config(self.config)
    }
}
