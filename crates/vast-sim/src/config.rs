//! How a simulator is set up: addresses, data directory, TLS, token lifetimes and seed credentials.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use crate::profile::Profile;
use crate::s3_modes::{ChecksumHeaders, ConditionalCreate, QuotaAnswer, S3Modes};

/// Settings of one simulated cluster. `Default` gives loopback, free ports, plain HTTP and the
/// lifetimes and demo credentials VAST ships with.
#[derive(Clone, Debug)]
pub struct SimConfig {
    /// Where state (`vms.json`), objects (`s3/`) and the TLS certificate live.
    pub data_dir: PathBuf,
    /// Address of the VMS REST API listener (`127.0.0.1:0` picks a free port).
    pub vms_addr: SocketAddr,
    /// Address of the S3 listener (`127.0.0.1:0` picks a free port).
    pub s3_addr: SocketAddr,
    /// Serve both faces over HTTPS with a self-signed certificate written to the data dir.
    pub tls: bool,
    /// Lifetime of JWT access tokens (VAST default: 1 hour).
    pub access_token_ttl: Duration,
    /// Lifetime of JWT refresh tokens (VAST default: 1 day).
    pub refresh_token_ttl: Duration,
    /// The seeded super-admin's user name (VAST docs use `admin`).
    pub admin_user: String,
    /// The seeded super-admin's password (VAST docs use `123456`).
    pub admin_password: String,
    /// Most S3 access keys one user may hold at once (VAST docs: 2).
    pub max_access_keys_per_user: usize,
    /// Most active API tokens one user may hold at once (VAST default: 5).
    pub max_api_tokens_per_user: usize,
    /// The cluster's name, as `/clusters/` reports it.
    pub cluster_name: String,
    /// The VAST release whose API rules the VMS face enforces (default 5.3, see [`Profile`]).
    pub profile: Profile,
    /// What S3 writes carrying `If-None-Match: *` get (default: honoured, 412).
    pub conditional_create: ConditionalCreate,
    /// What S3 requests carrying flexible-checksum headers get (default: accepted).
    pub checksum_headers: ChecksumHeaders,
    /// The answer to an S3 write past a full quota (default: 403 `QuotaExceeded`).
    pub quota_answer: QuotaAnswer,
    /// How many VIPs the S3 face serves on (default 1): listeners on `s3_addr`'s address and
    /// the next ones (`127.0.0.1 ..= 127.0.0.N`), all on one port, behind one store; the
    /// PROTOCOLS VIP pool and `/vips/` list them.
    pub s3_vips: usize,
    /// The cluster's data-reduction ratio (logical bytes per physical byte, default 1.0: none):
    /// views' `physical_capacity`, quotas' `used_effective_capacity` and the cluster's
    /// `physical_space_in_use` are the stored bytes divided by it, the cluster's `drr` is it.
    pub data_reduction: f64,
}

impl SimConfig {
    /// A configuration with defaults whose state lives in `data_dir`.
    pub fn new(data_dir: impl Into<PathBuf>) -> Self {
        Self {
            data_dir: data_dir.into(),
            ..Self::default()
        }
    }

    /// The physical bytes `logical` bytes take after data reduction (one rule for every
    /// record that reports both).
    pub fn physical_of(&self, logical: u64) -> u64 {
        (logical as f64 / self.reduction_ratio()).round() as u64
    }

    /// [`SimConfig::data_reduction`], at least 1 (VAST never reports expansion).
    pub fn reduction_ratio(&self) -> f64 {
        if self.data_reduction.is_finite() && self.data_reduction > 1.0 {
            self.data_reduction
        } else {
            1.0
        }
    }

    /// The S3 face's switches.
    pub fn s3_modes(&self) -> S3Modes {
        S3Modes {
            conditional_create: self.conditional_create,
            checksum_headers: self.checksum_headers,
            quota_answer: self.quota_answer,
        }
    }
}

impl Default for SimConfig {
    fn default() -> Self {
        let loopback = SocketAddr::from(([127, 0, 0, 1], 0));
        Self {
            data_dir: PathBuf::from("vast-sim-data"),
            vms_addr: loopback,
            s3_addr: loopback,
            tls: false,
            access_token_ttl: Duration::from_secs(3600),
            refresh_token_ttl: Duration::from_secs(24 * 3600),
            admin_user: "admin".to_owned(),
            admin_password: "123456".to_owned(),
            max_access_keys_per_user: 2,
            max_api_tokens_per_user: 5,
            cluster_name: "vast-sim".to_owned(),
            profile: Profile::default(),
            conditional_create: ConditionalCreate::default(),
            checksum_headers: ChecksumHeaders::default(),
            quota_answer: QuotaAnswer::default(),
            s3_vips: 1,
            data_reduction: 1.0,
        }
    }
}
