//! Building the aws-sdk-s3 client for a VAST S3 endpoint.

mod connector;
mod credentials;
pub(crate) mod list_parts_root;
mod tls;
pub mod vips;

use std::time::Duration;

use aws_sdk_s3::config::retry::RetryConfig;
use aws_sdk_s3::config::timeout::TimeoutConfig;
use aws_sdk_s3::config::{
    BehaviorVersion, IdentityCache, Region, RequestChecksumCalculation, ResponseChecksumValidation,
};

pub use credentials::SwappableCredentials;
pub use tls::TlsOptions;
pub use vips::{EndpointPool, EndpointStat};

use crate::capabilities::S3Modes;
use crate::error::{DataError, Result};
use crate::throttle::Throttle;

/// The two byte-rate limits of a client: writes (part uploads, segment PUTs) and reads
/// (ranged GETs).
#[derive(Clone, Debug)]
pub struct Throttles {
    /// Requests that send image bytes.
    pub write: Throttle,
    /// Requests that fetch image bytes.
    pub read: Throttle,
}

impl Default for Throttles {
    fn default() -> Self {
        Self {
            write: Throttle::unlimited(),
            read: Throttle::unlimited(),
        }
    }
}

/// Settings of an [`S3Client`]. Every field has a default but the endpoint and keys.
#[derive(Clone)]
pub struct S3ClientBuilder {
    endpoint: String,
    endpoints: Vec<String>,
    access_key: String,
    secret_key: String,
    region: String,
    path_style: bool,
    tls: TlsOptions,
    connect_timeout: Duration,
    attempt_timeout: Option<Duration>,
    operation_timeout: Option<Duration>,
    max_attempts: u32,
    max_idle_per_host: usize,
    sign_payload: Option<bool>,
    throttles: Throttles,
}

impl std::fmt::Debug for S3ClientBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3ClientBuilder")
            .field("endpoint", &self.endpoint)
            .field("endpoints", &self.endpoints)
            .field("access_key", &self.access_key)
            .field("region", &self.region)
            .field("path_style", &self.path_style)
            .field("tls", &self.tls)
            .field("connect_timeout", &self.connect_timeout)
            .field("attempt_timeout", &self.attempt_timeout)
            .field("operation_timeout", &self.operation_timeout)
            .field("max_attempts", &self.max_attempts)
            .finish_non_exhaustive()
    }
}

impl S3ClientBuilder {
    /// Starts a client for `endpoint` (`http://host:port` or `https://host:port`) with a key pair.
    pub fn new(endpoint: impl Into<String>, access_key: &str, secret_key: &str) -> Self {
        Self {
            endpoint: endpoint.into(),
            endpoints: Vec::new(),
            access_key: access_key.to_owned(),
            secret_key: secret_key.to_owned(),
            region: "us-east-1".to_owned(),
            path_style: true,
            tls: TlsOptions::default(),
            connect_timeout: Duration::from_secs(10),
            attempt_timeout: Some(Duration::from_secs(300)),
            operation_timeout: None,
            max_attempts: 5,
            max_idle_per_host: 64,
            sign_payload: None,
            throttles: Throttles::default(),
        }
    }

    /// Spreads requests over these endpoints of the same service (a cluster's VIPs, each
    /// `http(s)://host[:port]`) instead of sending them all to the builder's endpoint: each
    /// attempt goes to the endpoint with the fewest requests in flight, and one that fails to
    /// connect or times out is left out until it answers again (see [`vips`]). Empty (the
    /// default): the builder's endpoint only. Needs path-style addressing (the default).
    pub fn endpoints(mut self, urls: Vec<String>) -> Self {
        self.endpoints = urls;
        self
    }

    /// The SigV4 region (VAST does not check it; default `us-east-1`).
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.region = region.into();
        self
    }

    /// Path-style addressing (default true, as VAST recommends on-prem).
    pub fn path_style(mut self, on: bool) -> Self {
        self.path_style = on;
        self
    }

    /// How `https://` endpoints are verified.
    pub fn tls(mut self, tls: TlsOptions) -> Self {
        self.tls = tls;
        self
    }

    /// TCP connect timeout (default 10 s).
    pub fn connect_timeout(mut self, t: Duration) -> Self {
        self.connect_timeout = t;
        self
    }

    /// Limit for one attempt of a request, transfer included (default 300 s; `None`: no limit).
    pub fn attempt_timeout(mut self, t: Option<Duration>) -> Self {
        self.attempt_timeout = t;
        self
    }

    /// Limit for a request with all its retries (default none).
    pub fn operation_timeout(mut self, t: Option<Duration>) -> Self {
        self.operation_timeout = t;
        self
    }

    /// Attempts per request, first one included, for throttling, 5xx and transport errors
    /// (default 5, with the SDK's exponential backoff and jitter; 1 disables retries).
    pub fn max_attempts(mut self, n: u32) -> Self {
        self.max_attempts = n.max(1);
        self
    }

    /// Whether uploads sign their payload's SHA-256 in SigV4. Default: only over plain HTTP.
    /// Over HTTPS the payload is sent as `UNSIGNED-PAYLOAD` (TLS protects it in transit and
    /// the CRC32C checksum header lets the server verify it), which saves a SHA-256 pass over
    /// every byte.
    pub fn sign_payload(mut self, on: bool) -> Self {
        self.sign_payload = Some(on);
        self
    }

    /// The byte-rate limits of the requests that carry image bytes (default: unlimited):
    /// `write` for part uploads and segment PUTs, `read` for ranged GETs. Share one pair among
    /// every client of a process that should be held to the same limits.
    pub fn throttles(mut self, throttles: Throttles) -> Self {
        self.throttles = throttles;
        self
    }

    /// Idle connections kept per host (default 64).
    pub fn max_idle_per_host(mut self, n: usize) -> Self {
        self.max_idle_per_host = n;
        self
    }

    /// Builds the client.
    pub fn build(self) -> Result<S3Client> {
        if !(self.endpoint.starts_with("http://") || self.endpoint.starts_with("https://")) {
            return Err(DataError::Config(format!(
                "endpoint {} must start with http:// or https://",
                self.endpoint
            )));
        }
        // Spreading rewrites each request's host, which virtual-hosted addressing uses for the
        // bucket: it needs path style, else the builder's endpoint alone is used.
        let pool = if self.endpoints.is_empty() || !self.path_style {
            EndpointPool::new(std::slice::from_ref(&self.endpoint))?
        } else {
            EndpointPool::new(&self.endpoints)?
        };
        let credentials = SwappableCredentials::new(&self.access_key, &self.secret_key);
        let http = connector::http_client(&self.tls, self.connect_timeout, self.max_idle_per_host)?;
        let mut timeouts = TimeoutConfig::builder().connect_timeout(self.connect_timeout);
        if let Some(t) = self.attempt_timeout {
            timeouts = timeouts.operation_attempt_timeout(t);
        }
        if let Some(t) = self.operation_timeout {
            timeouts = timeouts.operation_timeout(t);
        }
        let mut config = aws_sdk_s3::Config::builder();
        if self.path_style {
            config = config.interceptor(vips::SpreadInterceptor { pool: pool.clone() });
        }
        let config = config
            .behavior_version(BehaviorVersion::latest())
            .endpoint_url(self.endpoint.trim_end_matches('/'))
            .region(Region::new(self.region.clone()))
            .force_path_style(self.path_style)
            .credentials_provider(credentials.clone())
            // Keys can rotate at any time: ask the provider on every request (it is a memory read).
            .identity_cache(IdentityCache::no_cache())
            .http_client(http)
            .timeout_config(timeouts.build())
            .retry_config(RetryConfig::standard().with_max_attempts(self.max_attempts))
            // This crate computes and sends CRC32C itself; no extra SDK checksums on the wire.
            .request_checksum_calculation(RequestChecksumCalculation::WhenRequired)
            .response_checksum_validation(ResponseChecksumValidation::WhenRequired)
            .build();
        let sign_payload = self
            .sign_payload
            .unwrap_or(!self.endpoint.starts_with("https://"));
        Ok(S3Client {
            sdk: aws_sdk_s3::Client::from_conf(config),
            credentials,
            endpoint: self.endpoint,
            pool,
            sign_payload,
            max_attempts: self.max_attempts,
            throttles: self.throttles,
            modes: std::sync::Arc::new(std::sync::RwLock::new(S3Modes::default())),
        })
    }
}

/// A configured S3 client. Cheap to clone; clones share connections and credentials.
#[derive(Clone)]
pub struct S3Client {
    sdk: aws_sdk_s3::Client,
    credentials: SwappableCredentials,
    endpoint: String,
    /// The endpoints requests are spread over (shared by clones).
    pool: std::sync::Arc<EndpointPool>,
    sign_payload: bool,
    max_attempts: u32,
    /// Byte-rate limits (shared by clones and by whoever built them).
    throttles: Throttles,
    /// Shared by clones: set once the endpoint's capabilities are known.
    modes: std::sync::Arc<std::sync::RwLock<S3Modes>>,
}

impl std::fmt::Debug for S3Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Client")
            .field("endpoint", &self.endpoint)
            .field("credentials", &self.credentials)
            .finish()
    }
}

impl S3Client {
    /// The underlying SDK client, for calls this crate does not wrap.
    pub fn sdk(&self) -> &aws_sdk_s3::Client {
        &self.sdk
    }

    /// Attempts per request (see [`S3ClientBuilder::max_attempts`]); also used for resuming
    /// a download whose body broke off.
    pub fn max_attempts(&self) -> u32 {
        self.max_attempts
    }

    /// The byte-rate limits this client's data requests wait for.
    pub fn throttles(&self) -> &Throttles {
        &self.throttles
    }

    /// True when uploads sign their payload (see [`S3ClientBuilder::sign_payload`]).
    pub fn signs_payload(&self) -> bool {
        self.sign_payload
    }

    /// The endpoint URL the client was built for.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// Replaces the endpoints requests are spread over (see [`S3ClientBuilder::endpoints`]),
    /// for this client and its clones. Endpoints already in use keep their state and counters.
    pub fn set_endpoints(&self, urls: &[String]) -> Result<()> {
        self.pool.set(urls)
    }

    /// Each endpoint's state and counters, in list order.
    pub fn endpoint_stats(&self) -> Vec<EndpointStat> {
        self.pool.stats()
    }

    /// Replaces the key pair; requests sent from now on use the new keys.
    pub fn set_credentials(&self, access_key: &str, secret_key: &str) {
        self.credentials.set(access_key, secret_key);
    }

    /// The access key id in use.
    pub fn access_key(&self) -> String {
        self.credentials.access_key()
    }

    /// How requests are shaped for this endpoint (default: CRC32C checksums and
    /// `If-None-Match: *`, what AWS S3 does).
    pub fn modes(&self) -> S3Modes {
        *self
            .modes
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Sets how requests are shaped, for this client and all its clones, from the next request
    /// on (see [`crate::capabilities`]).
    pub fn set_modes(&self, modes: S3Modes) {
        *self
            .modes
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = modes;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_must_be_a_url() {
        let err = S3ClientBuilder::new("127.0.0.1:9000", "a", "b")
            .build()
            .unwrap_err();
        assert!(matches!(err, DataError::Config(_)));
    }

    #[tokio::test]
    async fn builds_and_swaps_keys_without_leaking_secrets() {
        let client = S3ClientBuilder::new("http://127.0.0.1:9", "AK", "SECRETVALUE")
            .tls(TlsOptions::Insecure)
            .build()
            .unwrap();
        client.set_credentials("AK2", "OTHERSECRET");
        assert_eq!(client.access_key(), "AK2");
        let debug = format!("{client:?}");
        assert!(!debug.contains("SECRET"), "{debug}");
        let builder = format!(
            "{:?}",
            S3ClientBuilder::new("http://x", "AK", "SECRETVALUE")
        );
        assert!(!builder.contains("SECRET"), "{builder}");
    }
}
