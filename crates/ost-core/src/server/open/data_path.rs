//! Step 5: the data store, over S3 (a configured or resolved endpoint, the server's key) or
//! over files under an NFS-mounted view root.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use ost_model::{OstError, ServerName};
use vast_s3_data::{BufferBudget, S3Client, S3ClientBuilder, Throttles, TlsOptions};
use vast_vms_client::{EndpointSpec, VmsClient};

use super::capabilities::{CapabilityGate, ClusterKey};
use super::DataKey;
use crate::config::{S3VipsSetting, ServerConfig};
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
    /// The task that keeps the client's VIP list current (`s3_vips = "all"` through VMS).
    pub(crate) vip_refresh: Option<VipRefresh>,
}

/// A task re-reading the VIP list from VMS every `s3_vip_refresh_secs`; it stops when this is
/// dropped (the server closes).
pub(crate) struct VipRefresh(tokio::task::JoinHandle<()>);

impl Drop for VipRefresh {
    fn drop(&mut self) {
        self.0.abort();
    }
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
    throttles: Throttles,
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
                store: Arc::new(NfsStore::new(root, throttles)),
                s3: None,
                gate: None,
                vip_refresh: None,
            });
        }
    };
    let spec = endpoint_spec(config, tenant_id);
    let from_interfaces =
        config.s3_vips == S3VipsSetting::Interfaces && !config.interfaces.is_empty();
    let urls = match &config.s3_url {
        Some(u) => vec![u.clone()],
        None if from_interfaces => config.interfaces.iter().map(|a| spec.url_for(a)).collect(),
        None => resolve_s3_urls(vms, config.s3_vips, &spec)
            .await
            .map_err(DataPathError::S3Endpoint)?,
    };
    if !config.interfaces.is_empty() && !from_interfaces {
        tracing::info!(server = %scope.server, interfaces = ?config.interfaces, "NetBackup passed interfaces; not used for S3 (s3_vips = \"interfaces\" would)");
    }
    let url = urls.first().cloned().unwrap_or_default();
    let client = build_s3(config, &urls, &key, throttles).map_err(DataPathError::S3Client)?;
    tracing::info!(server = %scope.server, "s3 VIPs in use: {urls:?}");
    let vip_refresh = (config.s3_url.is_none()
        && !from_interfaces
        && config.s3_vips != S3VipsSetting::One
        && config.s3_vip_refresh_secs > 0)
        .then(|| {
            spawn_vip_refresh(
                client.clone(),
                vms.clone(),
                spec,
                Duration::from_secs(config.s3_vip_refresh_secs),
                scope.server.to_string(),
            )
        });
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
        vip_refresh,
    })
}

/// The client, spread over `urls` (the first one names it).
fn build_s3(
    config: &ServerConfig,
    urls: &[String],
    key: &StoredKey,
    throttles: Throttles,
) -> Result<S3Client, OstError> {
    let url = urls.first().map_or("", String::as_str);
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
        .endpoints(urls.to_vec())
        .throttles(throttles)
        .build()
        .map_err(error::data)
}

/// Which VIPs the configuration allows: its pool (or any PROTOCOLS pool open to the tenant),
/// scheme and port.
fn endpoint_spec(config: &ServerConfig, tenant_id: u64) -> EndpointSpec {
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
    spec
}

/// The S3 endpoint URLs of the pool's VIPs: all of them, or one picked at random.
async fn resolve_s3_urls(
    vms: &VmsClient,
    vips: S3VipsSetting,
    spec: &EndpointSpec,
) -> Result<Vec<String>, OstError> {
    let boot = vms.bootstrap();
    let urls = match vips {
        // Interfaces without addresses from NetBackup: the pool's VIPs.
        S3VipsSetting::All | S3VipsSetting::Interfaces => boot
            .resolve_s3_endpoints(spec)
            .await
            .map_err(error::vms)?
            .into_iter()
            .map(|e| e.url)
            .collect(),
        S3VipsSetting::One => vec![
            boot.resolve_s3_endpoint(spec)
                .await
                .map_err(error::vms)?
                .url,
        ],
    };
    Ok(urls)
}

/// Re-reads the VIP list every `every` and hands a changed one to the client (endpoints it
/// keeps keep their state); a failed read keeps the list in use.
fn spawn_vip_refresh(
    client: S3Client,
    vms: VmsClient,
    spec: EndpointSpec,
    every: Duration,
    server: String,
) -> VipRefresh {
    VipRefresh(tokio::spawn(async move {
        loop {
            tokio::time::sleep(every).await;
            let urls = match resolve_s3_urls(&vms, S3VipsSetting::All, &spec).await {
                Ok(urls) => urls,
                Err(error) => {
                    tracing::warn!(%server, %error, "re-reading the S3 VIPs failed; keeping the list in use");
                    continue;
                }
            };
            let current: Vec<String> = client.endpoint_stats().into_iter().map(|s| s.url).collect();
            if urls == current {
                continue;
            }
            match client.set_endpoints(&urls) {
                Ok(()) => tracing::info!(%server, "s3 VIPs in use: {urls:?}"),
                Err(error) => {
                    tracing::warn!(%server, %error, "the VIP list VMS gave is unusable; keeping the list in use")
                }
            }
        }
    }))
}
