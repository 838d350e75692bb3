//! Shared harness of the VMS integration tests: the VMS face over real loopback HTTP, backed by
//! an in-memory fake object store.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use base64::Engine;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde_json::Value;
use tokio::net::TcpListener;
use vast_sim::control::{BucketLock, BucketUsage, DataPlane, DataPlaneError};
use vast_sim::faults::{self, Face, Faults};
use vast_sim::serve::Listener;
use vast_sim::vms::{self, Endpoints, VmsState};
use vast_sim::SimConfig;

/// The fake S3 listener address the VMS side is told about.
pub const FAKE_S3: &str = "127.0.0.1:19000";

/// Buckets in memory: name → usage.
#[derive(Default)]
pub struct FakeStore {
    pub buckets: Mutex<HashMap<String, BucketUsage>>,
    /// The versioning and object lock the VMS side asked for, by bucket.
    pub locks: Mutex<HashMap<String, BucketLock>>,
    /// How long a bucket creation takes once the bucket exists (an object store on disk),
    /// in milliseconds: widens the window between the bucket and its view.
    pub create_delay_ms: std::sync::atomic::AtomicU64,
}

impl FakeStore {
    /// Pretends objects were uploaded into `bucket`.
    pub fn fill(&self, bucket: &str, bytes: u64, objects: u64) {
        let mut buckets = self.buckets.lock().unwrap();
        let usage = buckets.get_mut(bucket).expect("bucket exists");
        usage.bytes = bytes;
        usage.objects = objects;
    }

    pub fn has(&self, bucket: &str) -> bool {
        self.buckets.lock().unwrap().contains_key(bucket)
    }
}

impl DataPlane for FakeStore {
    fn create_bucket(&self, name: &str) -> Result<(), DataPlaneError> {
        let mut buckets = self.buckets.lock().unwrap();
        if buckets.contains_key(name) {
            return Err(DataPlaneError::BucketExists(name.to_owned()));
        }
        buckets.insert(name.to_owned(), BucketUsage::default());
        drop(buckets);
        let delay = self
            .create_delay_ms
            .load(std::sync::atomic::Ordering::Relaxed);
        std::thread::sleep(std::time::Duration::from_millis(delay));
        Ok(())
    }

    fn delete_bucket(&self, name: &str) -> Result<(), DataPlaneError> {
        let mut buckets = self.buckets.lock().unwrap();
        match buckets.get(name) {
            None => Err(DataPlaneError::NoSuchBucket(name.to_owned())),
            Some(u) if u.objects > 0 => Err(DataPlaneError::BucketNotEmpty(name.to_owned())),
            Some(_) => {
                buckets.remove(name);
                Ok(())
            }
        }
    }

    fn set_bucket_lock(&self, name: &str, lock: &BucketLock) -> Result<(), DataPlaneError> {
        if !self.has(name) {
            return Err(DataPlaneError::NoSuchBucket(name.to_owned()));
        }
        self.locks
            .lock()
            .unwrap()
            .insert(name.to_owned(), lock.clone());
        Ok(())
    }

    fn bucket_usage(&self, name: &str) -> Option<BucketUsage> {
        self.buckets.lock().unwrap().get(name).copied()
    }
}

/// How a request authenticates.
#[derive(Clone, Copy)]
pub enum Auth<'a> {
    None,
    Admin,
    Basic(&'a str, &'a str),
    Bearer(&'a str),
    ApiToken(&'a str),
}

/// A running VMS face.
pub struct TestVms {
    pub state: Arc<VmsState>,
    pub store: Arc<FakeStore>,
    pub faults: Arc<Faults>,
    pub listener: Arc<Listener>,
    pub addr: SocketAddr,
    pub dir: PathBuf,
    _tmp: Option<tempfile::TempDir>,
    client: Client<HttpConnector, Full<Bytes>>,
}

/// Starts a VMS face on a fresh data dir (1 s access tokens).
pub async fn start() -> TestVms {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().to_owned();
    let mut vms = start_in(&dir, Arc::new(FakeStore::default())).await;
    vms._tmp = Some(tmp);
    vms
}

/// The configuration the tests use.
pub fn config(dir: &Path) -> SimConfig {
    let mut config = SimConfig::new(dir);
    config.access_token_ttl = std::time::Duration::from_secs(1);
    config.cluster_name = "sim-cluster".to_owned();
    config
}

/// Starts a VMS face on a fresh data dir answering as VAST release `profile`.
pub async fn start_profile(profile: vast_sim::Profile) -> TestVms {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().to_owned();
    let mut config = config(&dir);
    config.profile = profile;
    let mut vms = start_with(config, Arc::new(FakeStore::default())).await;
    vms._tmp = Some(tmp);
    vms
}

/// Starts a VMS face on `dir` with `store`.
pub async fn start_in(dir: &Path, store: Arc<FakeStore>) -> TestVms {
    start_with(config(dir), store).await
}

/// Starts a VMS face with `config` and `store`.
pub async fn start_with(config: SimConfig, store: Arc<FakeStore>) -> TestVms {
    let dir = config.data_dir.clone();
    let faults = Faults::new();
    let tcp = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = tcp.local_addr().unwrap();
    let endpoints = Endpoints {
        vms: addr,
        s3: FAKE_S3.parse().unwrap(),
        tls: false,
        s3_vips: 1,
    };
    let state = VmsState::open(&config, endpoints, store.clone(), faults.clone()).unwrap();
    let handler = faults::with_faults(Face::Vms, faults.clone(), vms::handler(state.clone()));
    let listener = Listener::start_on(tcp, None, handler).unwrap();
    TestVms {
        state,
        store,
        faults,
        listener,
        addr,
        dir,
        _tmp: None,
        client: Client::builder(TokioExecutor::new()).build_http(),
    }
}

impl TestVms {
    /// `http://127.0.0.1:PORT`.
    pub fn base(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// One request; returns the status and the JSON body (`Null` when empty).
    pub async fn call_with(
        &self,
        method: &str,
        path: &str,
        auth: Auth<'_>,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> (u16, Value) {
        let mut builder = hyper::Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.base()))
            .header("accept", "application/json");
        let basic = |u: &str, p: &str| {
            format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(format!("{u}:{p}"))
            )
        };
        match auth {
            Auth::None => {}
            Auth::Admin => builder = builder.header("authorization", basic("admin", "123456")),
            Auth::Basic(u, p) => builder = builder.header("authorization", basic(u, p)),
            Auth::Bearer(t) => builder = builder.header("authorization", format!("Bearer {t}")),
            Auth::ApiToken(t) => {
                builder = builder.header("authorization", format!("Api-Token {t}"))
            }
        }
        for (k, v) in headers {
            builder = builder.header(*k, *v);
        }
        let bytes = match body {
            Some(body) => {
                builder = builder.header("content-type", "application/json");
                Bytes::from(body.to_string())
            }
            None => Bytes::new(),
        };
        let response = self
            .client
            .request(builder.body(Full::new(bytes)).unwrap())
            .await
            .unwrap();
        let status = response.status().as_u16();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        let value = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| panic!("non-JSON body: {}", String::from_utf8_lossy(&bytes)))
        };
        (status, value)
    }

    /// One request without extra headers.
    pub async fn call(
        &self,
        method: &str,
        path: &str,
        auth: Auth<'_>,
        body: Option<Value>,
    ) -> (u16, Value) {
        self.call_with(method, path, auth, body, &[]).await
    }

    /// One request as the admin (Basic).
    pub async fn admin(&self, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        self.call(method, path, Auth::Admin, body).await
    }

    /// Creates an object as admin, asserting 201, and returns it.
    pub async fn create(&self, path: &str, body: Value) -> Value {
        let (status, value) = self.admin("POST", path, Some(body)).await;
        assert_eq!(status, 201, "creating at {path}: {value}");
        value
    }

    /// Creates a local user and returns its id.
    pub async fn user(&self, name: &str) -> u64 {
        let user = self
            .create(
                "/api/users/",
                serde_json::json!({"name": name, "allow_create_bucket": true}),
            )
            .await;
        user["id"].as_u64().unwrap()
    }

    /// Creates an S3 bucket view owned by `owner` and returns it.
    pub async fn bucket(&self, bucket: &str, owner: &str) -> Value {
        self.create(
            "/api/views/",
            serde_json::json!({
                "path": format!("/buckets/{bucket}"), "policy_id": 2, "protocols": ["S3"],
                "bucket": bucket, "bucket_owner": owner, "create_dir": true,
            }),
        )
        .await
    }
}
