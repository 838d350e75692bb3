//! Test fixture: a simulated VAST S3 endpoint on loopback, a client with keys for it, a bucket.
#![allow(
    dead_code,
    unreachable_pub,
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used
)]

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use vast_s3_data::{buckets, BufferBudget, ImageLocation, S3Client, S3ClientBuilder, WriterConfig};
use vast_sim::control::{ControlPlane, S3Identity};
use vast_sim::faults::{self, Face, Faults};
use vast_sim::s3::{self, ObjectStore};
use vast_sim::serve::Listener;

pub const MIB: u64 = 1 << 20;
/// Smallest part S3 (and the simulator) accepts for all parts but the last.
pub const PART: u64 = 5 * MIB;

pub const AK: &str = "AKIDDATAPATH000000000000";
pub const SK: &str = "data-path-secret-000000000000000000000000000";

#[derive(Default)]
struct Control {
    keys: Mutex<HashMap<String, S3Identity>>,
    grants: Mutex<HashMap<String, HashSet<String>>>,
}

impl ControlPlane for Control {
    fn s3_identity(&self, access_key: &str) -> Option<S3Identity> {
        self.keys.lock().unwrap().get(access_key).cloned()
    }
    fn bucket_hard_limit(&self, _bucket: &str) -> Option<u64> {
        None
    }
    fn may_access(&self, identity: &S3Identity, bucket: &str) -> bool {
        self.grants
            .lock()
            .unwrap()
            .get(&identity.user_name)
            .is_some_and(|b| b.contains(bucket))
    }
    fn bucket_created_over_s3(&self, bucket: &str, owner: &S3Identity) {
        self.grants
            .lock()
            .unwrap()
            .entry(owner.user_name.clone())
            .or_default()
            .insert(bucket.to_owned());
    }
    fn bucket_deleted_over_s3(&self, _bucket: &str) {}
}

/// A running S3 endpoint with one user and one bucket.
pub struct Env {
    pub client: S3Client,
    pub budget: BufferBudget,
    pub bucket: String,
    pub faults: Arc<Faults>,
    pub url: String,
    _listener: Arc<Listener>,
    _dir: tempfile::TempDir,
}

impl Env {
    pub async fn start() -> Env {
        Self::start_with(false).await
    }

    /// With `tls`, the endpoint is `https://` with the simulator's self-signed certificate,
    /// whose PEM is in [`Env::ca_bundle`].
    pub async fn start_with(tls: bool) -> Env {
        let dir = tempfile::tempdir().unwrap();
        let control = Arc::new(Control::default());
        control.keys.lock().unwrap().insert(
            AK.to_owned(),
            S3Identity {
                access_key: AK.to_owned(),
                secret_key: SK.to_owned(),
                user_id: 1000,
                user_name: "nbu".to_owned(),
                tenant_id: 1,
                allow_create_bucket: true,
                allow_delete_bucket: true,
            },
        );
        let faults = Faults::new();
        let store = ObjectStore::open(&dir.path().join("s3"), faults.clone()).unwrap();
        let handler = faults::with_faults(
            Face::S3,
            faults.clone(),
            s3::handler(store, control, faults.clone()),
        );
        let tcp = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let server_tls = tls.then(|| vast_sim::tls::server_config(dir.path()).unwrap());
        let listener = Listener::start_on(tcp, server_tls, handler).unwrap();
        let scheme = if tls { "https" } else { "http" };
        let url = format!("{scheme}://{}", listener.local_addr());
        let mut builder = S3ClientBuilder::new(&url, AK, SK);
        if tls {
            let pem = std::fs::read(dir.path().join(vast_sim::tls::CERT_FILE)).unwrap();
            builder = builder.tls(vast_s3_data::TlsOptions::CaBundle(pem));
        }
        let client = builder.build().unwrap();
        let bucket = "nbu-data".to_owned();
        buckets::create(&client, &bucket).await.unwrap();
        Env {
            client,
            budget: BufferBudget::new(256 * MIB as usize),
            bucket,
            faults,
            url,
            _listener: listener,
            _dir: dir,
        }
    }

    /// An image location under `name/data/` in the test bucket.
    pub fn image(&self, name: &str) -> ImageLocation {
        ImageLocation::with_prefix(self.bucket.clone(), format!("netbackup/{name}/data/"))
    }

    /// The simulator's certificate (after [`Env::start_with`]`(true)`).
    pub fn ca_bundle(&self) -> Vec<u8> {
        std::fs::read(self._dir.path().join(vast_sim::tls::CERT_FILE)).unwrap()
    }

    pub fn prefix(name: &str) -> String {
        format!("netbackup/{name}/data/")
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
