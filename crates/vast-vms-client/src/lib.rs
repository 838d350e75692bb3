//! A typed, async client for the VAST Data management API (VMS REST).
//!
//! - **Transport**: hyper 1 with pooled connections; HTTPS with certificate verification by
//!   default, a PEM CA bundle option and a loud `insecure` switch; plain HTTP only for
//!   `http://` URLs. Paths are `/api/<version>/<collection>/` (version `latest` by default)
//!   with trailing slashes; every call sends `User-Agent: vast-ost/<version>` and, if set,
//!   `X-Tenant-Name`.
//! - **Auth**: JWT login with refresh before expiry and on a rejected token, re-login when the
//!   refresh token is refused, logout on [`VmsClient::close`]; or `Api-Token`, or Basic.
//!   Concurrent callers share one renewal.
//! - **Resources**: typed models tolerant of unknown and missing fields, lists that accept the
//!   bare array and the paged envelope and follow `next` (as a `Vec` or a `Stream`).
//! - **Errors**: one [`Error`] enum; every request error names the method, path and status.
//!   No secret appears in an error or a `Debug` output ([`Secret`]).
//! - **Retries**: exponential backoff with jitter, for idempotent calls, on connection errors,
//!   timeouts, 502, 503 and 504.
//! - **Bootstrap**: [`Bootstrap`] follows VAST's provisioning sequence for S3 buckets.
//!
//! `examples/vms.rs` lists the cluster, tenants and buckets of a VMS. Calls log at `debug`
//! level through `tracing` (method, path, status, attempt; never credentials).
//!
//! ```no_run
//! use vast_vms_client::{NewView, Query, VmsClient};
//!
//! # async fn demo() -> Result<(), vast_vms_client::Error> {
//! let client = VmsClient::builder("https://vms.example.com")
//!     .password("admin", "123456")
//!     .ca_bundle("/etc/vast/vms-ca.pem")
//!     .build()?;
//! client.login().await?;
//!
//! for view in client.views().list(&Query::new()).await? {
//!     println!("{} {} {:?}", view.id, view.path, view.bucket);
//! }
//!
//! let policy = client
//!     .view_policies()
//!     .by_name("s3_default_policy", None)
//!     .await?
//!     .expect("VAST ships an S3 default policy");
//! let bucket = client
//!     .views()
//!     .create(&NewView::bucket("backups", "/backups", "s3user", policy.id))
//!     .await?;
//! println!("bucket view {} created", bucket.id);
//!
//! client.close().await?;
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]

mod auth;
pub mod bootstrap;
mod builder;
mod client;
mod config;
mod connection;
mod de;
mod error;
mod paging;
mod query;
pub mod resources;
mod retry;
pub mod rules;
mod secret;
mod tls;
mod transport;

#[cfg(test)]
mod client_tests;
#[cfg(test)]
mod mock;

pub use auth::Credentials;
pub use bootstrap::{
    Bootstrap, BucketSpec, EndpointSpec, Ensured, EnsuredPolicy, EnsuredPolicyUser, S3Endpoint,
    S3UserSpec,
};
pub use builder::ClientBuilder;
pub use client::VmsClient;
pub use config::{ClientConfig, DEFAULT_API_VERSION, DEFAULT_USER_AGENT};
pub use error::{BoxError, Call, Error};
pub use paging::{ItemStream, Page, PageStream};
pub use query::Query;
pub use resources::*;
pub use retry::RetryPolicy;
pub use rules::ApiProfile;
pub use secret::Secret;
pub use tls::TlsOptions;

/// Re-exported so callers can name methods in [`VmsClient::send_json`].
pub use http::Method;
