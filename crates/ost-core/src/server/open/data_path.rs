//! Step 5: the data store, over S3 (a configured or resolved endpoint, the server's key) or
//! over files under an NFS-mounted view root.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use ost_model::{OstError, ServerName};
use vast_s3_data::{BufferBudget, S3Client, S3ClientBuilder, TlsOptions};
use vast_vms_client::{EndpointSpec, VmsClient};

use super::capabilities::{CapabilityGate, ClusterKey};
use super::DataKey;
use crate::config::ServerConfig;
use crate::error;
use crate::server::keys::StoredKey;
use crate::store::nfs::NfsStore;
use crate::store::refusal::QuotaCheck;
use crate::store::s3::S3Store;
use crate::store::DataStore;

/// A data store and what it reaches.
pub(crate) struct DataPath {
    /// The store the state machines use.
    pub(crate) store: Arc<dyn DataStore>,
    /// The S3 client under the store, on the S3 data path.
    pub(crate) s3: Option<S3Client>,
    /// The S3 endpoint URL, or the NFS root, for people.
    pub(crate) location: String,
    /// The S3 endpoint's capabilities (S3 data path only).
    pub(crate) gate: Option<Arc<CapabilityGate>>,
}

/// Whose capabilities a data store's gate caches: the state dir, the server and its cluster.
pub(crate) struct GateScope<'a> {
    /// The plugin's state directory.
    pub(crate) state_dir: &'a Path,
    /// The server being opened.
    pub(crate) server: &'a ServerName,
    /// Its cluster's name and version.
    pub(crate) cluster: ClusterKey,
}

/// Why [`build_data_store`] failed.
#[derive(Debug)]
pub(crate) enum DataPathError {
    /// `data_path = "nfs"` without `nfs_root`.
    NfsRootUnset,
    /// `nfs_root` is not a directory (the view is not mounted there).
    NfsRootNotADirectory(PathBuf),
    /// No S3 endpoint: `s3_url` is unset and VMS offers no usable VIP.
    S3Endpoint(OstError),
    /// The S3 client cannot be built (URL, CA bundle).
    S3Client(OstError),
}

impl From<DataPathError> for OstError {
    fn from(e: DataPathError) -> Self {
        match e {
            DataPathError::NfsRootUnset => OstError::InvalidArgument {
                cause: "data_path = \"nfs\" needs nfs_root".to_owned(),
            },
            DataPathError::NfsRootNotADirectory(root) => OstError::InvalidArgument {
                cause: format!(
                    "nfs_root {} is not a directory: mount the view there first",
                    root.display()
                ),
            },
            DataPathError::S3Endpoint(e) | DataPathError::S3Client(e) => e,
        }
    }
}

/// Step 5: the S3 store when `key` is an S3 key (endpoint `s3_url`, else resolved through VMS
/// in the plugin's tenant), else the NFS store on `nfs_root`, which must be a directory (a
/// missing mount point must not turn into directories on the local disk). S3 reads use the
/// configured chunk size and read-ahead, and buffers come out of `budget`.
pub(crate) async fn build_data_store(
    config: &ServerConfig,
    vms: &VmsClient,
    tenant_id: u64,
    key: DataKey,
    budget: BufferBudget,
    scope: GateScope<'_>,
) -> Result<DataPath, DataPathError> {
    let key = match key {
        DataKey::S3(key) => key,
        DataKey::NotNeeded => {
            let root = config.nfs_root.clone().ok_or(DataPathError::NfsRootUnset)?;
            if !root.is_dir() {
                return Err(DataPathError::NfsRootNotADirectory(root));
            }
            return Ok(DataPath {
                location: root.display().to_string(),
                store: Arc::new(NfsStore::new(root)),
                s3: None,
                gate: None,
            });
        }
    };
    let url = match &config.s3_url {
        Some(u) => u.clone(),
        None => resolve_s3_url(vms, config, tenant_id)
            .await
            .map_err(DataPathError::S3Endpoint)?,
    };
    let client = build_s3(config, &url, &key).map_err(DataPathError::S3Client)?;
    let gate = Arc::new(CapabilityGate::new(
        client.clone(),
        scope.state_dir.to_path_buf(),
        scope.server.clone(),
        scope.cluster,
        config.s3_checksum,
    ));
    // One writer may have `max_in_flight` parts on the wire when the quota fills: the refused
    // part's siblings hold space that VMS does not count yet (on VAST either, whose quota usage
    // lags the writes), so "full" means that much room or less is left.
    let in_flight = config
        .part_size
        .saturating_mul(u64::try_from(config.max_in_flight).unwrap_or(u64::MAX));
    let quota = Arc::new(QuotaCheck::new(vms.clone(), in_flight));
    Ok(DataPath {
        store: Arc::new(S3Store::new(client.clone(), budget).with_checks(gate.clone(), quota)),
        s3: Some(client),
        location: url,
        gate: Some(gate),
    })
}

fn build_s3(config: &ServerConfig, url: &str, key: &StoredKey) -> Result<S3Client, OstError> {
    let tls = if config.insecure {
        TlsOptions::Insecure
    } else if let Some(ca) = &config.ca_bundle {
        let pem = std::fs::read(ca).map_err(|e| error::io("reading the CA bundle", &e))?;
        TlsOptions::CaBundle(pem)
    } else {
        TlsOptions::SystemRoots
    };
    S3ClientBuilder::new(url, &key.access_key, key.secret_key.expose())
        .tls(tls)
        .connect_timeout(Duration::from_secs(config.connect_timeout_secs))
        .attempt_timeout(Some(Duration::from_secs(config.s3_timeout_secs)))
        .build()
        .map_err(error::data)
}

async fn resolve_s3_url(
    vms: &VmsClient,
    config: &ServerConfig,
    tenant_id: u64,
) -> Result<String, OstError> {
    let mut spec = EndpointSpec::new().for_tenant(tenant_id);
    if let Some(pool) = &config.s3_vippool {
        spec = spec.pool(pool);
    }
    if config.s3_https {
        spec = spec.https();
    }
    if let Some(port) = config.s3_port {
        spec = spec.port(port);
    }
    let ep = vms
        .bootstrap()
        .resolve_s3_endpoint(&spec)
        .await
        .map_err(error::vms)?;
    Ok(ep.url)
}
