//! Shared test fixtures: a fake VMS side (keys, limits, permissions) and an S3 face on loopback.
#![allow(
    dead_code,
    unreachable_pub,
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used
)]

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};

use aws_sdk_s3::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_s3::error::ProvideErrorMetadata;
use vast_sim::control::{AccessRequest, ControlPlane, S3Identity};
use vast_sim::faults::{self, Face, Faults};
use vast_sim::s3::{self, ObjectStore};
use vast_sim::serve::Listener;

/// A fake VMS side: access keys, per-bucket hard limits and who may use which bucket.
#[derive(Default)]
pub struct FakeControl {
    pub keys: Mutex<HashMap<String, S3Identity>>,
    pub disabled: Mutex<HashSet<String>>,
    pub limits: Mutex<HashMap<String, u64>>,
    /// Buckets each user (by name) may use; buckets created over S3 are added for the creator.
    pub grants: Mutex<HashMap<String, HashSet<String>>>,
    pub created: Mutex<Vec<(String, String)>>,
    pub deleted: Mutex<Vec<String>>,
}

impl FakeControl {
    pub fn add_user(&self, user: &str, access_key: &str, secret: &str, create: bool, delete: bool) {
        let user_id = 1000 + self.keys.lock().unwrap().len() as u64;
        self.keys.lock().unwrap().insert(
            access_key.to_owned(),
            S3Identity {
                access_key: access_key.to_owned(),
                secret_key: secret.to_owned(),
                user_id,
                user_name: user.to_owned(),
                tenant_id: 1,
                allow_create_bucket: create,
                allow_delete_bucket: delete,
            },
        );
    }

    pub fn grant(&self, user: &str, bucket: &str) {
        self.grants
            .lock()
            .unwrap()
            .entry(user.to_owned())
            .or_default()
            .insert(bucket.to_owned());
    }

    pub fn set_limit(&self, bucket: &str, bytes: u64) {
        self.limits.lock().unwrap().insert(bucket.to_owned(), bytes);
    }
}

impl ControlPlane for FakeControl {
    fn s3_identity(&self, access_key: &str) -> Option<S3Identity> {
        if self.disabled.lock().unwrap().contains(access_key) {
            return None;
        }
        self.keys.lock().unwrap().get(access_key).cloned()
    }
    fn bucket_hard_limit(&self, bucket: &str) -> Option<u64> {
        self.limits.lock().unwrap().get(bucket).copied()
    }
    fn may_access(&self, identity: &S3Identity, request: &AccessRequest<'_>) -> bool {
        self.grants
            .lock()
            .unwrap()
            .get(&identity.user_name)
            .is_some_and(|b| b.contains(request.bucket))
    }
    fn bucket_created_over_s3(&self, bucket: &str, owner: &S3Identity, _locking: bool) {
        self.created
            .lock()
            .unwrap()
            .push((bucket.to_owned(), owner.user_name.clone()));
        self.grant(&owner.user_name, bucket);
    }
    fn bucket_deleted_over_s3(&self, bucket: &str) {
        self.deleted.lock().unwrap().push(bucket.to_owned());
    }
}

pub const AK: &str = "AKIDALICE000000000000000";
pub const SK: &str = "alice-secret-key-0000000000000000000000000000";
pub const AK_BOB: &str = "AKIDBOB00000000000000000";
pub const SK_BOB: &str = "bob-secret-key-00000000000000000000000000000";

/// An S3 face on loopback over a store in a temporary directory.
pub struct S3Sim {
    pub addr: SocketAddr,
    pub store: Arc<ObjectStore>,
    pub control: Arc<FakeControl>,
    pub faults: Arc<Faults>,
    pub listener: Arc<Listener>,
    pub dir: tempfile::TempDir,
}

impl S3Sim {
    /// alice (may create and delete buckets) and bob (may not) exist; no buckets yet.
    pub async fn start() -> S3Sim {
        let dir = tempfile::tempdir().unwrap();
        let control = Arc::new(FakeControl::default());
        control.add_user("alice", AK, SK, true, true);
        control.add_user("bob", AK_BOB, SK_BOB, false, false);
        Self::start_in(dir, control).await
    }

    pub async fn start_in(dir: tempfile::TempDir, control: Arc<FakeControl>) -> S3Sim {
        let faults = Faults::new();
        let store = ObjectStore::open(&dir.path().join("s3"), faults.clone()).unwrap();
        let handler = faults::with_faults(
            Face::S3,
            faults.clone(),
            s3::handler(store.clone(), control.clone(), faults.clone()),
        );
        let tcp = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let listener = Listener::start_on(tcp, None, handler).unwrap();
        S3Sim {
            addr: listener.local_addr(),
            store,
            control,
            faults,
            listener,
            dir,
        }
    }

    /// Stops serving and hands back the directory and control plane (for a re-open).
    pub fn stop(self) -> (tempfile::TempDir, Arc<FakeControl>) {
        self.listener.stop();
        (self.dir, self.control)
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// An SDK client with the default checksum behaviour, path style, us-east-1.
    pub fn client(&self) -> aws_sdk_s3::Client {
        self.client_as(AK, SK)
    }

    pub fn client_as(&self, access_key: &str, secret: &str) -> aws_sdk_s3::Client {
        let config = aws_sdk_s3::config::Builder::new()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .endpoint_url(self.url())
            .credentials_provider(Credentials::new(access_key, secret, None, None, "test"))
            .force_path_style(true)
            .build();
        aws_sdk_s3::Client::from_conf(config)
    }

    /// Creates a bucket as alice.
    pub async fn bucket(&self, name: &str) -> aws_sdk_s3::Client {
        let client = self.client();
        client.create_bucket().bucket(name).send().await.unwrap();
        client
    }

    /// (bytes, objects) of a bucket as the VMS side sees them.
    pub fn store_usage(&self, bucket: &str) -> (u64, u64) {
        use vast_sim::control::DataPlane as _;
        let usage = self.store.bucket_usage(bucket).unwrap();
        (usage.bytes, usage.objects)
    }

    /// Files left in the store's temporary directory.
    pub fn tmp_files(&self) -> usize {
        count_files(&self.dir.path().join("s3").join("tmp"))
    }
}

pub fn count_files(dir: &Path) -> usize {
    std::fs::read_dir(dir).map(|d| d.count()).unwrap_or(0)
}

/// The S3 error code of an SDK error.
pub fn code<E: ProvideErrorMetadata + std::fmt::Debug>(
    err: &aws_sdk_s3::error::SdkError<E>,
) -> String {
    err.as_service_error()
        .and_then(|e| e.code())
        .map(str::to_owned)
        .unwrap_or_else(|| format!("{err:?}"))
}

/// The HTTP status of an SDK error.
pub fn status<E>(err: &aws_sdk_s3::error::SdkError<E>) -> u16 {
    err.raw_response().map(|r| r.status().as_u16()).unwrap_or(0)
}

/// Deterministic pseudo-random bytes.
pub fn bytes(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| ((i as u64 * 2654435761 + seed as u64 * 7) >> 7) as u8)
        .collect()
}

/// Base64 CRC32 as the SDK sends it.
pub fn crc32_b64(data: &[u8]) -> String {
    use base64::Engine as _;
    use s3s::crypto::Checksum as _;
    base64::engine::general_purpose::STANDARD.encode(s3s::crypto::Crc32::checksum(data))
}

/// Hex MD5.
pub fn md5_hex(data: &[u8]) -> String {
    use md5::Digest as _;
    md5::Md5::digest(data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A raw HTTP request (no signature) to the S3 face: status and body.
pub async fn raw(addr: SocketAddr, method: &str, path: &str) -> (u16, String) {
    use http_body_util::BodyExt as _;
    let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let (mut sender, conn) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
            .await
            .unwrap();
    tokio::spawn(conn);
    let req = hyper::Request::builder()
        .method(method)
        .uri(path)
        .header("host", addr.to_string())
        .body(http_body_util::Empty::<bytes::Bytes>::new())
        .unwrap();
    let resp = sender.send_request(req).await.unwrap();
    let status = resp.status().as_u16();
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8_lossy(&body).into_owned())
}
