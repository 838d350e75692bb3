//! Test fixture: a vast-sim on its own runtime, and plugins configured for it.
#![allow(
    dead_code,
    unreachable_pub,
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used
)]

use std::path::PathBuf;
use std::sync::Arc;

use ost_core::{ImageDef, ImageId, LsuName, Plugin, PluginConfig, ServerConfig, ServerId};
use ost_model::ImageName;
use vast_sim::faults::FaultConfig;
use vast_sim::{SimConfig, VastSim};

pub const MIB: usize = 1 << 20;
/// The `media_server` of the tests' plugins, and the S3 user it reads and writes with.
pub const MEDIA_SERVER: &str = "ms-test";
pub const MEDIA_USER: &str = "netbackup-s3-ms-test";
/// The simulator's smallest multipart part.
pub const PART: u64 = 5 << 20;

/// A running simulator with its own runtime, and a state directory for plugins.
pub struct Env {
    pub rt: tokio::runtime::Runtime,
    pub sim: VastSim,
    pub dir: tempfile::TempDir,
}

impl Env {
    pub fn start() -> Env {
        Self::start_with(false)
    }

    /// With `tls`, both faces serve HTTPS with the simulator's self-signed certificate and the
    /// plugin trusts it through `ca_bundle`.
    pub fn start_with(tls: bool) -> Env {
        Self::start_configured(|c| c.tls = tls)
    }

    /// With the simulator's configuration changed by `configure` (its S3 modes) before start.
    pub fn start_configured(configure: impl FnOnce(&mut SimConfig)) -> Env {
        let dir = tempfile::tempdir().unwrap();
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let mut config = SimConfig::new(dir.path().join("sim"));
        configure(&mut config);
        let sim = rt.block_on(VastSim::start(config)).unwrap();
        Env { rt, sim, dir }
    }

    /// `vast://127.0.0.1:<vms port>`.
    pub fn server_name(&self) -> String {
        format!("vast://{}", self.sim.vms_addr())
    }

    pub fn state_dir(&self) -> PathBuf {
        self.dir.path().join("state")
    }

    /// The server section the tests use: sim URLs and admin credentials, 5 MiB parts,
    /// 10 MiB segments, no cache, no sweep at open.
    pub fn server_config(&self) -> ServerConfig {
        let (user, password) = self.sim.admin_credentials();
        ServerConfig {
            vms_url: Some(self.sim.vms_url()),
            s3_url: Some(self.sim.s3_url()),
            username: Some(user.to_owned()),
            password: Some(password.into()),
            part_size: PART,
            segment_size: 2 * PART,
            max_in_flight: 3,
            read_chunk_size: 2 << 20,
            read_ahead_chunks: 2,
            lsu_cache_secs: 0,
            sweep_on_open: false,
            vms_timeout_secs: 10,
            s3_timeout_secs: 30,
            ca_bundle: self.sim.ca_cert_path(),
            ..ServerConfig::default()
        }
    }

    pub fn config_with(&self, adjust: impl FnOnce(&mut ServerConfig)) -> PluginConfig {
        let mut server = self.server_config();
        adjust(&mut server);
        let mut config = PluginConfig::default();
        config.plugin.state_dir = self.state_dir();
        config.plugin.media_server = Some(MEDIA_SERVER.to_owned());
        config.plugin.worker_threads = 2;
        config.plugin.buffer_budget = 256 << 20;
        config.plugin.log_level = "warn".to_owned();
        config.servers.insert(self.server_name(), server);
        config
    }

    /// A plugin like [`Env::config_with`]'s but with its own state directory `state` (another
    /// media server: its own stored key, capabilities cache and sweep markers).
    pub fn plugin_at(&self, state: PathBuf, adjust: impl FnOnce(&mut ServerConfig)) -> Arc<Plugin> {
        let mut config = self.config_with(adjust);
        config.plugin.state_dir = state;
        Plugin::init(config).unwrap()
    }

    /// The simulator's counter `name` (`s3.requests`, `s3.op.GetObject`, `vms.api.requests`).
    pub fn counter(&self, name: &str) -> u64 {
        self.sim.faults().counter(name)
    }

    /// An object's bytes straight from the simulator's S3 (with the plugin's stored key), or
    /// `None` when it does not exist.
    pub fn s3_get(&self, bucket: &str, key: &str) -> Option<Vec<u8>> {
        let client = self.s3_client();
        self.rt
            .block_on(vast_s3_data::objects::get(&client, bucket, key, None))
            .unwrap()
            .map(|o| o.data.to_vec())
    }

    /// Deletes objects straight through the simulator's S3 (what a crash or an older plugin
    /// left is staged this way).
    pub fn s3_delete(&self, bucket: &str, keys: &[String]) {
        let client = self.s3_client();
        self.rt
            .block_on(vast_s3_data::delete::delete_keys(&client, bucket, keys))
            .unwrap();
    }

    /// Stores an object straight through the simulator's S3.
    pub fn s3_put(&self, bucket: &str, key: &str, body: &[u8]) {
        let client = self.s3_client();
        self.rt
            .block_on(vast_s3_data::objects::put(
                &client,
                bucket,
                key,
                body.to_vec().into(),
                &vast_s3_data::objects::PutCondition::Always,
            ))
            .unwrap();
    }

    /// Stores `count` copies of image `template` (a name of 10 characters) as images
    /// `img_NNNNNN` (same length): its descriptor and its listing-catalogue entries, as this
    /// version writes them, `parallel` PUTs at a time, straight through the simulator's S3: a
    /// large LSU without writing each image.
    pub fn clone_descriptors(&self, bucket: &str, template: &str, count: usize, parallel: usize) {
        use futures::StreamExt as _;
        assert_eq!(template.len(), 10);
        let key = format!("netbackup/{template}/20261125120000/metadata");
        let text = String::from_utf8(self.s3_get(bucket, &key).unwrap()).unwrap();
        let entries = self.s3_keys(bucket, &format!("netbackup-list/{template}/"));
        assert!(!entries.is_empty(), "{template} has no listing entries");
        let client = self.s3_client();
        let objects = (0..count).flat_map(|i| {
            let name = format!("img_{i:06}");
            let descriptor = (key.replace(template, &name), text.replace(template, &name));
            let entries = entries
                .iter()
                .map(move |e| (e.replace(template, &name), String::new()));
            std::iter::once(descriptor).chain(entries.collect::<Vec<_>>())
        });
        self.rt.block_on(
            futures::stream::iter(objects)
                .map(|(key, body)| {
                    let client = client.clone();
                    async move {
                        vast_s3_data::objects::put(
                            &client,
                            bucket,
                            &key,
                            body.into_bytes().into(),
                            &vast_s3_data::objects::PutCondition::Always,
                        )
                        .await
                        .unwrap();
                    }
                })
                .buffer_unordered(parallel)
                .collect::<Vec<()>>(),
        );
    }

    pub fn plugin(&self) -> Arc<Plugin> {
        Plugin::init(self.config_with(|_| {})).unwrap()
    }

    pub fn plugin_with(&self, adjust: impl FnOnce(&mut ServerConfig)) -> Arc<Plugin> {
        Plugin::init(self.config_with(adjust)).unwrap()
    }

    pub fn open(&self, plugin: &Plugin) -> ServerId {
        plugin.open_server(&self.server_name(), None).unwrap()
    }

    pub fn set_faults(&self, f: FaultConfig) {
        self.sim.faults().set(f);
    }

    /// An admin VMS client call, run on the sim's runtime.
    pub fn vms<T>(&self, f: impl AsyncFnOnce(vast_vms_client::VmsClient) -> T) -> T {
        let (user, password) = self.sim.admin_credentials();
        let client = vast_vms_client::VmsClient::builder(self.sim.vms_url())
            .password(user, password)
            .build()
            .unwrap();
        self.rt.block_on(f(client))
    }

    /// Keys in a bucket under `prefix`, listed straight from the simulator's S3 with the
    /// plugin's stored key.
    pub fn s3_keys(&self, bucket: &str, prefix: &str) -> Vec<String> {
        let client = self.s3_client();
        self.rt
            .block_on(vast_s3_data::listing::list_keys(&client, bucket, prefix))
            .unwrap()
    }

    /// Open multipart uploads under `prefix`.
    pub fn s3_uploads(&self, bucket: &str, prefix: &str) -> usize {
        let client = self.s3_client();
        self.rt
            .block_on(vast_s3_data::multipart::list_uploads(
                &client, bucket, prefix,
            ))
            .unwrap()
            .len()
    }

    /// Starts a multipart upload of `key` nobody will finish (what a crashed writer leaves);
    /// returns its upload id.
    pub fn start_upload(&self, bucket: &str, key: &str) -> String {
        let client = self.s3_client();
        self.rt
            .block_on(vast_s3_data::multipart::create_upload(&client, bucket, key))
            .unwrap()
    }

    fn s3_client(&self) -> vast_s3_data::S3Client {
        let dir = self.state_dir().join("keys");
        let file = std::fs::read_dir(&dir)
            .unwrap()
            .filter_map(Result::ok)
            .find(|e| e.path().extension().is_some_and(|x| x == "json"))
            .unwrap()
            .path();
        let v: serde_json::Value = serde_json::from_slice(&std::fs::read(file).unwrap()).unwrap();
        let _guard = self.rt.enter();
        let mut builder = vast_s3_data::S3ClientBuilder::new(
            self.sim.s3_url(),
            v["access_key"].as_str().unwrap(),
            v["secret_key"].as_str().unwrap(),
        );
        if let Some(ca) = self.sim.ca_cert_path() {
            builder = builder.tls(vast_s3_data::TlsOptions::CaBundle(
                std::fs::read(ca).unwrap(),
            ));
        }
        builder.build().unwrap()
    }
}

pub fn lsu(name: &str) -> LsuName {
    LsuName::new(name).unwrap()
}

pub fn default_lsu() -> LsuName {
    lsu("netbackup-pool-01")
}

pub fn image(name: &str) -> ImageDef {
    ImageDef::new(
        ImageName::new(name).unwrap(),
        "20261125120000".parse().unwrap(),
    )
}

pub fn id(name: &str) -> ImageId {
    image(name).id()
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

/// Writes `bytes` to an open image in `chunk`-sized pieces.
pub fn write_all(p: &Plugin, h: ost_core::ImageHandleId, bytes: &[u8], start: u64, chunk: usize) {
    for (i, piece) in bytes.chunks(chunk).enumerate() {
        let off = start + (i * chunk) as u64;
        assert_eq!(p.write_image(h, off, piece).unwrap(), piece.len());
    }
}

/// Reads a whole image through a read handle.
pub fn read_all(
    p: &Plugin,
    server: ServerId,
    lsu: &LsuName,
    id: &ImageId,
    chunk: usize,
) -> Vec<u8> {
    let h = p
        .open_image(server, lsu, id, ost_core::OpenMode::READ)
        .unwrap();
    let mut out = Vec::new();
    let mut buf = vec![0u8; chunk];
    loop {
        let n = p.read_image(h, out.len() as u64, &mut buf).unwrap();
        if n == 0 {
            break;
        }
        out.extend_from_slice(&buf[..n]);
    }
    p.close_image(h, ost_core::CloseFlags::empty()).unwrap();
    out
}
