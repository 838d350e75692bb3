//! Plugin configuration: a TOML file (found by [`config_file`]) with a `[plugin]` section and
//! one `[servers."vast://..."]` section per storage server. Every key is in the one table of
//! [`keys`] (which `docs/configuration.md` must match); unknown keys are an error naming them.

pub mod keys;
pub mod schedule;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use ost_model::{OstError, ServerName};
use serde::Deserialize;
use vast_vms_client::Secret;

pub use schedule::Schedule;

/// Environment variable naming the configuration file.
pub const CONFIG_ENV: &str = "VAST_OST_CONFIG";
/// Configuration file used when [`CONFIG_ENV`] is not set.
pub const DEFAULT_CONFIG_PATH: &str = "/usr/openv/lib/ost-plugins/vast-ost.toml";
/// Where the configuration file is, in lookup order (the plugin and `vast-ost` share it):
/// `explicit` (the tool's `--config`), else the file named by [`CONFIG_ENV`], else
/// [`DEFAULT_CONFIG_PATH`] when it exists. `None`: no file, the built-in defaults apply. A
/// file named explicitly or by the environment is returned whether it exists or not (loading
/// it then fails with its name).
pub fn config_file(explicit: Option<&Path>) -> Option<PathBuf> {
    explicit
        .map(Path::to_path_buf)
        .or_else(|| std::env::var_os(CONFIG_ENV).map(PathBuf::from))
        .or_else(|| {
            let default = Path::new(DEFAULT_CONFIG_PATH);
            default.exists().then(|| default.to_path_buf())
        })
}

/// Default LSU created on first use when the plugin manages no bucket yet.
pub const DEFAULT_LSU: &str = "netbackup-pool-01";

/// The whole configuration file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PluginConfig {
    /// Process-wide settings.
    pub plugin: PluginSection,
    /// Per storage server settings, keyed by the full server name (`vast://host[:port]`).
    pub servers: BTreeMap<String, ServerConfig>,
}

/// `[plugin]`: settings shared by every storage server of the process.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PluginSection {
    /// Log file; logs go to stderr when unset.
    pub log_file: Option<PathBuf>,
    /// Log filter (`error`, `warn`, `info`, `debug`, `trace` or a `tracing` directive).
    pub log_level: String,
    /// Directory for persistent state (stored S3 keys), created with mode 0700.
    pub state_dir: PathBuf,
    /// Worker threads of the plugin's tokio runtime.
    pub worker_threads: usize,
    /// Bytes all data-path buffers of the process may hold together.
    pub buffer_budget: u64,
    /// This media server's name on the cluster (its S3 user is `<s3_user>-<media_server>`);
    /// the host name when unset.
    pub media_server: Option<String>,
}

impl PluginSection {
    /// The media server's name: `media_server`, else this host's name.
    pub fn media_server_name(&self) -> String {
        self.media_server
            .clone()
            .filter(|m| !m.trim().is_empty())
            .unwrap_or_else(crate::image::host_name)
    }
}

impl Default for PluginSection {
    fn default() -> Self {
        Self {
            log_file: None,
            log_level: "info".to_owned(),
            state_dir: PathBuf::from("/usr/openv/var/vast-ost"),
            worker_threads: 4,
            buffer_budget: 1 << 30,
            media_server: None,
        }
    }
}

/// Which data path moves image bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DataPathKind {
    /// S3 on the cluster's PROTOCOLS VIPs (default).
    S3,
    /// Files under an NFS-mounted view root ([`ServerConfig::nfs_root`]).
    Nfs,
}

/// How many of the pool's VIPs S3 requests use (`s3_vips`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum S3VipsSetting {
    /// Every VIP: requests spread over them, a VIP that does not answer is left out.
    #[default]
    All,
    /// One VIP picked at random when the server is opened.
    One,
    /// The addresses NetBackup passes in `stspi_open_server`'s `interfaces` (spread as with
    /// `All`); the pool's VIPs when it passes none.
    Interfaces,
}

impl S3VipsSetting {
    /// The configuration spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            S3VipsSetting::All => "all",
            S3VipsSetting::One => "one",
            S3VipsSetting::Interfaces => "interfaces",
        }
    }
}

/// Which body checksum S3 parts and objects carry (`s3_checksum`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum S3ChecksumSetting {
    /// Probed once per cluster version: CRC32C if the endpoint takes it, else MD5, else none.
    #[default]
    Auto,
    /// `x-amz-checksum-crc32c` (verified and stored by the server).
    Crc32c,
    /// `Content-MD5` (verified by the server, nothing stored).
    Md5,
    /// No body checksum on the wire.
    None,
}

impl S3ChecksumSetting {
    /// The configuration spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            S3ChecksumSetting::Auto => "auto",
            S3ChecksumSetting::Crc32c => "crc32c",
            S3ChecksumSetting::Md5 => "md5",
            S3ChecksumSetting::None => "none",
        }
    }
}

/// `[servers."vast://host"]`: one storage server (VAST cluster).
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerConfig {
    /// VMS REST base URL; default `https://<host>[:port]` of the server name.
    pub vms_url: Option<String>,
    /// S3 endpoint URL; default: a VIP of the PROTOCOLS pool resolved through VMS.
    pub s3_url: Option<String>,
    /// VIP pool to take the S3 endpoint from (any enabled PROTOCOLS pool when unset).
    pub s3_vippool: Option<String>,
    /// Use `https://` for a resolved S3 endpoint.
    pub s3_https: bool,
    /// Port of a resolved S3 endpoint (scheme default when unset).
    pub s3_port: Option<u16>,
    /// Spread S3 requests over every VIP (default) or use one per open.
    pub s3_vips: S3VipsSetting,
    /// How often an open server re-reads the VIP list from VMS, seconds (default 300).
    pub s3_vip_refresh_secs: u64,
    /// The addresses NetBackup passed in `stspi_open_server`'s `interfaces` for this open (not
    /// a configuration key; used with `s3_vips = "interfaces"`).
    #[serde(skip)]
    pub interfaces: Vec<String>,
    /// PEM CA bundle trusted for VMS and S3 (system roots when unset).
    pub ca_bundle: Option<PathBuf>,
    /// Accept any certificate (labs only; logged as a warning).
    pub insecure: bool,
    /// Tenant the plugin's user and buckets live in.
    pub tenant: String,
    /// S3 user owning the plugin's buckets.
    pub s3_user: String,
    /// S3_NATIVE view policy for new buckets.
    pub view_policy: String,
    /// Element Store directory under which bucket views are created (`<dir>/<bucket>`).
    pub bucket_path_prefix: String,
    /// LSU created on first use when none exists.
    pub default_lsu: String,
    /// VMS user name when NetBackup supplies none (tests, labs).
    pub username: Option<String>,
    /// VMS password when NetBackup supplies none (tests, labs). Never logged.
    pub password: Option<Secret>,
    /// File whose first line is a VMS API token; when set, VMS calls use it and no password
    /// is needed (`vast-ost bootstrap` writes it).
    pub api_token_file: Option<PathBuf>,
    /// A VMS API token given inline (prefer `api_token_file`). Never logged.
    pub api_token: Option<Secret>,
    /// `s3` or `nfs`.
    pub data_path: DataPathKind,
    /// Mount point of the view root for the NFS data path (LSU = directory below it).
    pub nfs_root: Option<PathBuf>,
    /// Bytes per multipart part.
    pub part_size: u64,
    /// Bytes per data segment object (a multiple of `part_size`).
    pub segment_size: u64,
    /// Part uploads in flight per image.
    pub max_in_flight: usize,
    /// Bytes per read-ahead GET.
    pub read_chunk_size: u64,
    /// Read-ahead depth in chunks (0: off).
    pub read_ahead_chunks: usize,
    /// VMS request timeout, seconds.
    pub vms_timeout_secs: u64,
    /// S3 attempt timeout, seconds.
    pub s3_timeout_secs: u64,
    /// Body checksum of S3 parts and objects (`auto` probes the cluster).
    pub s3_checksum: S3ChecksumSetting,
    /// Connect timeout (VMS and S3), seconds.
    pub connect_timeout_secs: u64,
    /// How long LSU lists and properties are cached, seconds (0: no cache).
    pub lsu_cache_secs: u64,
    /// Pending images and multipart uploads older than this are orphans, seconds.
    pub orphan_age_secs: u64,
    /// A writer's lease on an image it holds open for write expires this long after its last
    /// renewal (renewed every quarter of it while the handle is open), seconds. While fresh,
    /// other processes see the image busy and may not reopen or delete it.
    pub writer_lease_secs: u64,
    /// Run the orphan sweep when the server is opened.
    pub sweep_on_open: bool,
    /// The sweep at open runs at most once per LSU per this many seconds, across every
    /// process and media server (a lease object per interval).
    pub sweep_interval_secs: u64,
    /// Image descriptors one sweep at open examines at most per LSU (the next run continues
    /// where it stopped).
    pub sweep_max_images: usize,
    /// Image descriptors fetched at once while listing images (those a catalogued LSU's list
    /// still reads, or every one of an uncatalogued LSU) and while building a catalogue.
    pub list_concurrency: usize,
    /// Listing entries (object keys on an uncatalogued LSU) fetched per listing request while
    /// listing images (an image list holds one such batch at a time).
    pub list_batch: usize,
    /// How often the event channel polls VMS events and alarms, seconds.
    pub event_poll_secs: u64,
    /// Limit on the bytes this process sends to the server, MiB/s (0: unlimited).
    pub max_write_mib_s: u64,
    /// Limit on the bytes this process reads from the server, MiB/s (0: unlimited).
    pub max_read_mib_s: u64,
    /// Write limits by time of day (over `max_write_mib_s`).
    pub write_schedule: Schedule,
    /// Read limits by time of day (over `max_read_mib_s`).
    pub read_schedule: Schedule,
}

impl std::fmt::Debug for ServerConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerConfig")
            .field("vms_url", &self.vms_url)
            .field("s3_url", &self.s3_url)
            .field("tenant", &self.tenant)
            .field("s3_user", &self.s3_user)
            .field("data_path", &self.data_path)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .field("api_token_file", &self.api_token_file)
            .field("api_token", &self.api_token.as_ref().map(|_| "<redacted>"))
            .finish_non_exhaustive()
    }
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            vms_url: None,
            s3_url: None,
            s3_vippool: None,
            s3_https: true,
            s3_port: None,
            s3_vips: S3VipsSetting::All,
            interfaces: Vec::new(),
            s3_vip_refresh_secs: 300,
            ca_bundle: None,
            insecure: false,
            tenant: "netbackup".to_owned(),
            s3_user: "netbackup-s3".to_owned(),
            view_policy: vast_vms_client::bootstrap::S3_DEFAULT_POLICY.to_owned(),
            bucket_path_prefix: "/netbackup".to_owned(),
            default_lsu: DEFAULT_LSU.to_owned(),
            username: None,
            password: None,
            api_token_file: None,
            api_token: None,
            data_path: DataPathKind::S3,
            nfs_root: None,
            part_size: 16 << 20,
            segment_size: 64 << 30,
            max_in_flight: 4,
            read_chunk_size: 8 << 20,
            read_ahead_chunks: 8,
            vms_timeout_secs: 30,
            s3_timeout_secs: 300,
            s3_checksum: S3ChecksumSetting::Auto,
            connect_timeout_secs: 10,
            lsu_cache_secs: 30,
            orphan_age_secs: 24 * 3600,
            writer_lease_secs: 600,
            sweep_on_open: true,
            sweep_interval_secs: 3600,
            sweep_max_images: 1000,
            list_concurrency: 32,
            list_batch: 1000,
            event_poll_secs: 60,
            max_write_mib_s: 0,
            max_read_mib_s: 0,
            write_schedule: Schedule::default(),
            read_schedule: Schedule::default(),
        }
    }
}

impl ServerConfig {
    /// The VMS URL: [`ServerConfig::vms_url`] or `https://` + the server name's endpoint.
    pub fn vms_url_for(&self, name: &ServerName) -> String {
        self.vms_url
            .clone()
            .unwrap_or_else(|| format!("https://{}", name.endpoint()))
    }

    /// These settings as server `name` uses them: `vms_url` filled in from the name when
    /// unset (what `get_config` and `vast-ost config check` show).
    #[must_use]
    pub fn resolved_for(mut self, name: &ServerName) -> Self {
        self.vms_url = Some(self.vms_url_for(name));
        self
    }

    /// Pending images and uploads older than this are orphans.
    pub fn orphan_age(&self) -> Duration {
        Duration::from_secs(self.orphan_age_secs)
    }

    /// How long a writer's lease lasts after its last renewal.
    pub fn writer_lease(&self) -> Duration {
        Duration::from_secs(self.writer_lease_secs)
    }

    /// LSU cache lifetime.
    pub fn lsu_cache_ttl(&self) -> Duration {
        Duration::from_secs(self.lsu_cache_secs)
    }

    /// Checks values that serde cannot (sizes, paths).
    pub fn validate(&self, section: &str) -> Result<(), OstError> {
        let bad = |cause: String| OstError::InvalidArgument {
            cause: format!("configuration [servers.\"{section}\"]: {cause}"),
        };
        vast_s3_data::Layout::new(self.part_size, self.segment_size)
            .map_err(|e| bad(e.to_string()))?;
        if self.data_path == DataPathKind::Nfs && self.nfs_root.is_none() {
            return Err(bad("data_path = \"nfs\" needs nfs_root".to_owned()));
        }
        ost_model::LsuName::new(&self.default_lsu).map_err(|e| bad(format!("default_lsu: {e}")))?;
        if self.api_token.is_some() && self.api_token_file.is_some() {
            return Err(bad(
                "api_token and api_token_file are both set: keep one (api_token_file)".to_owned(),
            ));
        }
        if self.read_chunk_size == 0 {
            return Err(bad("read_chunk_size must be positive".to_owned()));
        }
        if self.writer_lease_secs < 2 {
            return Err(bad(
                "writer_lease_secs must be at least 2 (it is renewed every quarter of it)"
                    .to_owned(),
            ));
        }
        Ok(())
    }
}

/// A file-name stem for per-server state files: the server name without `vast://`, every
/// character but ASCII letters, digits, `.` and `-` replaced by `_`.
pub(crate) fn state_file_stem(name: &ServerName) -> String {
    name.to_string()
        .trim_start_matches(ost_model::limits::SERVER_SCHEME)
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// Where `vast-ost bootstrap` writes the VMS API token of `name` unless told otherwise:
/// `<state_dir>/tokens/<server>.token`.
pub fn default_api_token_file(state_dir: &Path, name: &ServerName) -> PathBuf {
    state_dir
        .join("tokens")
        .join(format!("{}.token", state_file_stem(name)))
}

impl PluginConfig {
    /// Parses a TOML document. A key the table of [`keys`] does not know is an error naming
    /// it and its section.
    pub fn parse(text: &str) -> Result<Self, OstError> {
        let bad = |cause: &str| OstError::InvalidArgument {
            cause: format!("configuration: {}", cause.trim()),
        };
        let table: toml::Table = text
            .parse()
            .map_err(|e: toml::de::Error| bad(e.message()))?;
        if let Some((section, key)) = keys::unknown_keys(&table).into_iter().next() {
            let place = if section.is_empty() {
                "at the top level (only [plugin] and [servers.\"vast://...\"] sections)".to_owned()
            } else {
                format!("in {section}")
            };
            return Err(bad(&format!(
                "unknown key `{key}` {place}; docs/configuration.md lists every key"
            )));
        }
        let config: Self = table
            .try_into()
            .map_err(|e: toml::de::Error| bad(e.message()))?;
        config.validate()?;
        Ok(config)
    }

    /// Reads and parses a file.
    pub fn load(path: &Path) -> Result<Self, OstError> {
        let text = std::fs::read_to_string(path).map_err(|e| OstError::InvalidArgument {
            cause: format!("configuration file {}: {e}", path.display()),
        })?;
        Self::parse(&text)
    }

    /// Loads the file [`config_file`] finds for `explicit`, or the defaults when there is
    /// none; returns the file it loaded.
    pub fn locate(explicit: Option<&Path>) -> Result<(Self, Option<PathBuf>), OstError> {
        match config_file(explicit) {
            Some(path) => Ok((Self::load(&path)?, Some(path))),
            None => Ok((Self::default(), None)),
        }
    }

    /// The plugin's configuration (`stspi_init`): [`PluginConfig::locate`] with no explicit
    /// file.
    pub fn from_env() -> Result<Self, OstError> {
        Self::locate(None).map(|(config, _)| config)
    }

    /// Checks every section.
    pub fn validate(&self) -> Result<(), OstError> {
        for (name, server) in &self.servers {
            name.parse::<ServerName>()
                .map_err(|e| OstError::InvalidArgument {
                    cause: format!("configuration [servers.\"{name}\"]: {e}"),
                })?;
            server.validate(name)?;
        }
        if self.plugin.worker_threads == 0 {
            return Err(OstError::InvalidArgument {
                cause: "configuration [plugin]: worker_threads must be positive".to_owned(),
            });
        }
        Ok(())
    }

    /// The settings of server `name` (its section, or the defaults).
    pub fn server(&self, name: &ServerName) -> ServerConfig {
        self.servers
            .get(&name.to_string())
            .cloned()
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_sections() {
        let c = PluginConfig::parse(
            r#"
            [plugin]
            log_level = "debug"
            state_dir = "/tmp/x"
            [servers."vast://vms.example.com"]
            tenant = "nbu"
            part_size = 5242880
            segment_size = 10485760
            password = "hunter2"
            "#,
        )
        .unwrap();
        assert_eq!(c.plugin.log_level, "debug");
        let name: ServerName = "vast://vms.example.com".parse().unwrap();
        let s = c.server(&name);
        assert_eq!(s.tenant, "nbu");
        assert_eq!(s.default_lsu, DEFAULT_LSU);
        assert_eq!(s.vms_url_for(&name), "https://vms.example.com");
        assert!(!format!("{s:?}").contains("hunter2"));
        let other: ServerName = "vast://other".parse().unwrap();
        assert_eq!(c.server(&other).tenant, "netbackup");
    }

    #[test]
    fn the_shipped_sample_parses_with_the_token_line_enabled() {
        let sample = include_str!("../../../../ffi/dist/vast-ost.toml.sample");
        let config = PluginConfig::parse(sample).unwrap();
        assert_eq!(config.servers.len(), 1);
        let enabled = sample.replace("# api_token_file =", "api_token_file =");
        let config = PluginConfig::parse(&enabled).unwrap();
        let server = config.servers.values().next().unwrap();
        assert!(server.api_token_file.is_some());
        let both = enabled.replace(
            "api_token_file =",
            "api_token = \"inline\"\napi_token_file =",
        );
        let err = PluginConfig::parse(&both).unwrap_err();
        assert!(err.to_string().contains("both set"), "{err}");
        assert!(!format!(
            "{:?}",
            PluginConfig::parse(&both.replace("api_token_file", "# x")).unwrap()
        )
        .contains("inline"));
    }

    #[test]
    fn unknown_keys_are_named() {
        let err = PluginConfig::parse("[plugin]\nlog_levle = \"x\"\n").unwrap_err();
        assert!(err.cause().contains("log_levle"), "{err}");
        let err = PluginConfig::parse("[servers.\"vast://a\"]\nbogus_key = 1\n").unwrap_err();
        assert!(err.cause().contains("bogus_key"), "{err}");
        assert!(err.cause().contains("[servers.\"vast://a\"]"), "{err}");
        let err = PluginConfig::parse("[servers.\"http://a\"]\n").unwrap_err();
        assert!(err.cause().contains("vast://"), "{err}");
        let err = PluginConfig::parse("tenant = \"x\"\n").unwrap_err();
        assert!(err.cause().contains("`tenant` at the top level"), "{err}");
    }

    #[test]
    fn an_explicit_file_comes_before_the_environment() {
        // The environment's file is covered by tests/global.rs (stspi_init); here the explicit
        // file must win whatever the environment says.
        let dir = std::env::temp_dir().join(format!("vast-ost-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let explicit = dir.join("explicit.toml");
        std::fs::write(&explicit, "[plugin]\nworker_threads = 3\n").unwrap();
        assert_eq!(config_file(Some(&explicit)), Some(explicit.clone()));
        let (config, found) = PluginConfig::locate(Some(&explicit)).unwrap();
        assert_eq!((config.plugin.worker_threads, found), (3, Some(explicit)));
        let missing = dir.join("missing.toml");
        let err = PluginConfig::locate(Some(&missing)).unwrap_err();
        assert!(err.cause().contains("missing.toml"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn bad_sizes_and_nfs_without_root() {
        let err = PluginConfig::parse("[servers.\"vast://a\"]\npart_size = 3\nsegment_size = 10\n")
            .unwrap_err();
        assert!(err.cause().contains("multiple"), "{err}");
        let err = PluginConfig::parse("[servers.\"vast://a\"]\ndata_path = \"nfs\"\n").unwrap_err();
        assert!(err.cause().contains("nfs_root"), "{err}");
    }
}
