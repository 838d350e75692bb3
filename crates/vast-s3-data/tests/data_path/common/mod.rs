//! Test fixture: a whole simulated VAST cluster (`VastSim`) on loopback. A user, a bucket view
//! and an S3 access key are provisioned over the VMS REST API, the way the plugin will do it,
//! and the data path talks to the S3 face with that key.
#![allow(
    dead_code,
    unreachable_pub,
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used
)]

use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde_json::{json, Value};
use vast_s3_data::{
    BufferBudget, ImageLocation, S3Client, S3ClientBuilder, TlsOptions, WriterConfig,
};
use vast_sim::faults::Faults;
use vast_sim::{SimConfig, VastSim};

pub const MIB: u64 = 1 << 20;
/// Smallest part S3 (and the simulator) accepts for all parts but the last.
pub const PART: u64 = 5 * MIB;

/// A running cluster with one user, one bucket and that user's S3 key.
pub struct Env {
    pub client: S3Client,
    pub budget: BufferBudget,
    pub bucket: String,
    pub faults: Arc<Faults>,
    pub url: String,
    pub access_key: String,
    pub secret_key: String,
    vms: Vms,
    user_id: u64,
    sim: VastSim,
    _dir: tempfile::TempDir,
}

impl Env {
    pub async fn start() -> Env {
        Self::start_with(false).await
    }

    /// With `tls`, both faces serve HTTPS with the simulator's self-signed certificate, which
    /// the client trusts as a CA bundle ([`Env::ca_bundle`]).
    pub async fn start_with(tls: bool) -> Env {
        Self::start_configured(|c| c.tls = tls).await
    }

    /// With the simulator's configuration changed by `configure` (its S3 modes) before start.
    pub async fn start_configured(configure: impl FnOnce(&mut SimConfig)) -> Env {
        let dir = tempfile::tempdir().unwrap();
        let mut config = SimConfig::new(dir.path());
        configure(&mut config);
        let sim = VastSim::start(config).await.unwrap();
        let ca = sim.ca_cert_path().map(|p| std::fs::read(p).unwrap());
        let vms = Vms::new(sim.vms_url(), sim.admin_credentials(), ca.clone());
        let bucket = "nbu-data".to_owned();
        let (user_id, access_key, secret_key) = vms.provision("nbu", &bucket).await;

        let url = sim.s3_url();
        let mut builder = S3ClientBuilder::new(&url, &access_key, &secret_key);
        if let Some(pem) = ca {
            builder = builder.tls(TlsOptions::CaBundle(pem));
        }
        Env {
            client: builder.build().unwrap(),
            budget: BufferBudget::new(256 * MIB as usize),
            bucket,
            faults: sim.faults().clone(),
            url,
            access_key,
            secret_key,
            vms,
            user_id,
            sim,
            _dir: dir,
        }
    }

    /// The simulated cluster (its VIPs, their counters and switches).
    pub fn sim(&self) -> &VastSim {
        &self.sim
    }

    /// `http(s)://IP:PORT` of every S3 VIP of the simulator.
    pub fn vip_urls(&self) -> Vec<String> {
        let scheme = if self.url.starts_with("https://") {
            "https"
        } else {
            "http"
        };
        let port = self.sim.s3_addr().port();
        self.sim
            .s3_vip_ips()
            .iter()
            .map(|ip| format!("{scheme}://{ip}:{port}"))
            .collect()
    }

    /// Issues another S3 key pair for the user over VMS (as a key rotation does).
    pub async fn issue_key(&self) -> (String, String) {
        self.vms.issue_key(self.user_id).await
    }

    /// Revokes an access key over VMS.
    pub async fn revoke_key(&self, access_key: &str) {
        let (status, body) = self
            .vms
            .call(
                "DELETE",
                &format!("/api/users/{}/access_keys/", self.user_id),
                Some(json!({ "access_key": access_key })),
            )
            .await;
        assert!(status < 300, "revoking: {status} {body}");
    }

    /// The simulator's certificate (after [`Env::start_with`]`(true)`).
    pub fn ca_bundle(&self) -> Vec<u8> {
        std::fs::read(self.sim.ca_cert_path().unwrap()).unwrap()
    }

    /// An image location under `netbackup/name/data/` in the test bucket.
    pub fn image(&self, name: &str) -> ImageLocation {
        ImageLocation::with_prefix(self.bucket.clone(), Self::prefix(name))
    }

    pub fn prefix(name: &str) -> String {
        format!("netbackup/{name}/data/")
    }
}

/// A minimal VMS REST client (Basic auth as the admin), over HTTP or HTTPS.
struct Vms {
    base: String,
    auth: String,
    client: Client<
        hyper_rustls::HttpsConnector<hyper_util::client::legacy::connect::HttpConnector>,
        Full<Bytes>,
    >,
}

impl Vms {
    fn new(base: String, (user, password): (&str, &str), ca: Option<Vec<u8>>) -> Self {
        use base64::Engine as _;
        use rustls::pki_types::pem::PemObject as _;
        let mut roots = rustls::RootCertStore::empty();
        if let Some(pem) = &ca {
            for cert in rustls::pki_types::CertificateDer::pem_slice_iter(pem) {
                roots.add(cert.unwrap()).unwrap();
            }
        }
        let tls = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::aws_lc_rs::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_or_http()
            .enable_http1()
            .build();
        Vms {
            base,
            auth: format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
            ),
            client: Client::builder(TokioExecutor::new()).build(https),
        }
    }

    async fn call(&self, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut builder = hyper::Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.base))
            .header("authorization", &self.auth)
            .header("accept", "application/json");
        let body = match body {
            Some(v) => {
                builder = builder.header("content-type", "application/json");
                Full::new(Bytes::from(v.to_string()))
            }
            None => Full::new(Bytes::new()),
        };
        let response = self
            .client
            .request(builder.body(body).unwrap())
            .await
            .unwrap();
        let status = response.status().as_u16();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        let value = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap()
        };
        (status, value)
    }

    /// VAST's provisioning sequence: user, S3 default policy, bucket view, access key.
    async fn provision(&self, user: &str, bucket: &str) -> (u64, String, String) {
        let (status, created) = self
            .call(
                "POST",
                "/api/users/",
                Some(json!({"name": user, "uid": 50100, "allow_create_bucket": true, "allow_delete_bucket": true})),
            )
            .await;
        assert_eq!(status, 201, "{created}");
        let user_id = created["id"].as_u64().unwrap();
        let (status, policies) = self
            .call("GET", "/api/viewpolicies/?name=s3_default_policy", None)
            .await;
        assert_eq!(status, 200, "{policies}");
        let policy_id = policies[0]["id"].as_u64().unwrap();
        let (status, view) = self
            .call(
                "POST",
                "/api/views/",
                Some(json!({
                    "path": format!("/{bucket}"), "create_dir": true, "bucket": bucket,
                    "bucket_owner": user, "protocols": ["S3"], "policy_id": policy_id,
                })),
            )
            .await;
        assert_eq!(status, 201, "{view}");
        let (access_key, secret_key) = self.issue_key(user_id).await;
        (user_id, access_key, secret_key)
    }

    async fn issue_key(&self, user_id: u64) -> (String, String) {
        let (status, key) = self
            .call("POST", &format!("/api/users/{user_id}/access_keys/"), None)
            .await;
        assert_eq!(status, 200, "{key}");
        (
            key["access_key"].as_str().unwrap().to_owned(),
            key["secret_key"].as_str().unwrap().to_owned(),
        )
    }
}

/// 5 MiB parts, 10 MiB segments (2 parts each).
pub fn small_config() -> WriterConfig {
    WriterConfig {
        part_size: PART,
        segment_size: 2 * PART,
        max_in_flight: 3,
        window_parts: 3,
        conditional_create: true,
    }
}

/// Deterministic pseudo-random bytes (a different stream per seed).
pub fn data(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}
