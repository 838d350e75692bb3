//! vast-sim: a VAST cluster's two faces on loopback, for tests, the demo and the benchmarks.
//!
//! - The **VMS REST API** (`vms`): JWT, API-token and Basic auth, tenants, view policies, views
//!   (a view with the S3 protocol *is* a bucket), quotas, users and their S3 access keys, VIP
//!   pools, events, alarms and vtasks, with the list, filter, paging, status-code and error-body
//!   conventions of the real API (see `shared/reference/vms-api.md`).
//! - The **S3 endpoint** (`s3`): SigV4 against the keys the VMS side issued, path-style, objects
//!   stored as files and streamed, multipart uploads, copies, conditional creates, quotas enforced.
//!
//! Both faces share a fault plan ([`Faults`]) and persist their state in a data directory, so a
//! restarted simulator still has its tenants, views, users, keys and objects.
//!
//! ```no_run
//! # async fn demo() -> Result<(), vast_sim::SimError> {
//! let sim = vast_sim::VastSim::start(vast_sim::SimConfig::new("/tmp/sim")).await?;
//! println!("VMS at {}, S3 at {}", sim.vms_url(), sim.s3_url());
//! sim.shutdown();
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]

pub mod config;
pub mod control;
pub mod faults;
pub mod http;
pub mod profile;
pub mod s3;
pub mod s3_modes;
pub mod serve;
pub mod tls;
pub mod vips;
pub mod vms;

mod admin;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use tokio::net::TcpListener;

pub use config::SimConfig;
pub use control::{
    AccessRequest, BucketUsage, ControlPlane, DataPlane, DataPlaneError, S3Identity,
};
pub use faults::{Face, FaceFaults, FaultConfig, Faults};
pub use profile::Profile;
pub use s3_modes::{ChecksumHeaders, ConditionalCreate, QuotaAnswer, S3Modes};
pub use vips::VipStatus;

/// Why a simulator could not start.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// The data directory or a listener socket failed.
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// TLS material could not be made or loaded.
    #[error(transparent)]
    Tls(#[from] tls::TlsError),
    /// The VMS state could not be loaded.
    #[error(transparent)]
    Vms(#[from] vms::VmsError),
    /// The object store could not be opened.
    #[error(transparent)]
    S3(#[from] s3::StoreError),
}

/// A running simulated cluster. Dropping it (or [`VastSim::shutdown`]) stops both faces.
pub struct VastSim {
    config: SimConfig,
    faults: Arc<Faults>,
    vms: Arc<serve::Listener>,
    s3: Arc<vips::VipSet>,
}

impl VastSim {
    /// Starts both faces on the configured addresses (port 0 picks free ports).
    pub async fn start(config: SimConfig) -> Result<Self, SimError> {
        std::fs::create_dir_all(&config.data_dir).map_err(|source| SimError::Io {
            what: format!("creating data dir {}", config.data_dir.display()),
            source,
        })?;
        let faults = Faults::new();
        let s3_tcp = bind(config.s3_addr, "S3").await?;
        let vms_tcp = bind(config.vms_addr, "VMS").await?;
        let endpoints = vms::Endpoints {
            vms: local_addr(&vms_tcp)?,
            s3: local_addr(&s3_tcp)?,
            tls: config.tls,
            s3_vips: config.s3_vips.max(1),
        };
        let tls = if config.tls {
            let vip_ips = vips::vip_addresses(endpoints.s3.ip(), endpoints.s3_vips);
            Some(tls::server_config(&config.data_dir, &vip_ips)?)
        } else {
            None
        };

        let store = s3::ObjectStore::open(&config.data_dir.join("s3"), faults.clone())?;
        let state = vms::VmsState::open(&config, endpoints, store.clone(), faults.clone())?;

        let s3_handler = faults::with_faults(
            Face::S3,
            faults.clone(),
            s3::handler_with_modes(store, state.clone(), faults.clone(), config.s3_modes()),
        );
        let s3 = vips::VipSet::start(s3_tcp, endpoints.s3_vips, tls.clone(), &s3_handler)
            .await
            .map(Arc::new)
            .map_err(|source| SimError::Io {
                what: format!("starting the S3 listeners ({} VIPs)", endpoints.s3_vips),
                source,
            })?;
        let vms_handler = faults::with_faults(Face::Vms, faults.clone(), vms::handler(state));
        let vms_handler = admin::handler(faults.clone(), s3.clone(), vms_handler);
        let vms = serve::Listener::start_on(vms_tcp, tls, vms_handler).map_err(|source| {
            SimError::Io {
                what: "starting the VMS listener".to_owned(),
                source,
            }
        })?;
        Ok(Self {
            config,
            faults,
            vms,
            s3,
        })
    }

    /// The VMS listener's address.
    pub fn vms_addr(&self) -> SocketAddr {
        self.vms.local_addr()
    }

    /// The S3 listener's address (the first VIP's).
    pub fn s3_addr(&self) -> SocketAddr {
        self.s3.first_addr().unwrap_or(self.config.s3_addr)
    }

    /// Every S3 VIP's address (`127.0.0.1 ..= 127.0.0.N`, all on [`VastSim::s3_addr`]'s port).
    pub fn s3_vip_ips(&self) -> Vec<std::net::IpAddr> {
        self.s3.ips()
    }

    /// Each S3 VIP's state and counters (what `GET /_sim/vips` answers).
    pub fn vip_counters(&self) -> Vec<VipStatus> {
        self.s3.status()
    }

    /// Stops the S3 listener of one VIP ("a CNode goes down"). False when no VIP has `ip`.
    pub fn stop_vip(&self, ip: std::net::IpAddr) -> bool {
        self.s3.stop(ip)
    }

    /// Starts the S3 listener of one VIP again on the same port. `Ok(false)` when no VIP has
    /// `ip`.
    pub async fn start_vip(&self, ip: std::net::IpAddr) -> std::io::Result<bool> {
        self.s3.start_vip(ip).await
    }

    /// `http(s)://127.0.0.1:PORT` of the VMS REST API (append `/api/...`).
    pub fn vms_url(&self) -> String {
        format!("{}://{}", self.scheme(), self.vms_addr())
    }

    /// `http(s)://127.0.0.1:PORT` of the S3 endpoint.
    pub fn s3_url(&self) -> String {
        format!("{}://{}", self.scheme(), self.s3_addr())
    }

    /// The seeded super-admin's user name and password.
    pub fn admin_credentials(&self) -> (&str, &str) {
        (&self.config.admin_user, &self.config.admin_password)
    }

    /// With TLS on, the PEM certificate both faces serve (a client's CA bundle).
    pub fn ca_cert_path(&self) -> Option<PathBuf> {
        self.config
            .tls
            .then(|| self.config.data_dir.join(tls::CERT_FILE))
    }

    /// The live fault plan and counters.
    pub fn faults(&self) -> &Arc<Faults> {
        &self.faults
    }

    /// Takes the S3 face away (every VIP): its sockets close and open connections drop.
    pub fn stop_s3(&self) {
        self.s3.stop_all();
    }

    /// Brings the S3 face (every VIP) back on the same port.
    pub async fn restart_s3(&self) -> std::io::Result<()> {
        self.s3.start_all().await
    }

    /// The one JSON line the binary prints on start: addresses, URLs and seed credentials.
    pub fn startup_info(&self) -> serde_json::Value {
        serde_json::json!({
            "vms_addr": self.vms_addr().to_string(),
            "s3_addr": self.s3_addr().to_string(),
            "vms_url": self.vms_url(),
            "s3_url": self.s3_url(),
            "s3_vips": self.s3_vip_ips(),
            "admin_user": self.config.admin_user,
            "admin_password": self.config.admin_password,
            "tls": self.config.tls,
            "profile": self.config.profile.release(),
            "ca_cert": self.ca_cert_path(),
            "data_dir": self.config.data_dir,
        })
    }

    /// Stops both faces.
    pub fn shutdown(self) {
        self.vms.stop();
        self.s3.stop_all();
    }

    fn scheme(&self) -> &'static str {
        if self.config.tls {
            "https"
        } else {
            "http"
        }
    }
}

async fn bind(addr: SocketAddr, face: &str) -> Result<TcpListener, SimError> {
    TcpListener::bind(addr)
        .await
        .map_err(|source| SimError::Io {
            what: format!("binding the {face} listener on {addr}"),
            source,
        })
}

fn local_addr(tcp: &TcpListener) -> Result<SocketAddr, SimError> {
    tcp.local_addr().map_err(|source| SimError::Io {
        what: "reading a listener address".to_owned(),
        source,
    })
}
