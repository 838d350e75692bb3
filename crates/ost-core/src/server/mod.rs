//! One open storage server: the VMS session, the data store, the LSU cache, the registry of
//! images open in this process, statistics and the event hub.

pub(crate) mod admin;
mod auth;
mod catalogue;
pub(crate) mod check;
mod copy;
mod health;
mod image_list;
pub(crate) mod images;
mod keys;
mod lsu;
mod meta;
pub(crate) mod open;
mod runtime_config;
mod sweep;
mod sweep_lease;
pub(crate) mod worm;
mod worm_grant;

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use ost_model::{ImageId, LsuName, OstError, ServerCapabilities, ServerFlags, ServerName};
use vast_s3_data::BufferBudget;
use vast_vms_client::VmsClient;

use crate::config::ServerConfig;
use crate::error;
use crate::events::EventHub;
pub(crate) use crate::shared::Busy;
use crate::shared::ServerShared;
use crate::stats::Stats;
use crate::store::{DataLayout, DataStore, ReadAhead};
use crate::types::{Credentials, ServerProps, Statistics};
use open::{DataPath, LsuOwner, VmsSession};

pub(crate) use image_list::ImagePager;
pub(crate) use lsu::LsuCache;

/// An open storage server.
pub(crate) struct Server {
    name: ServerName,
    config: RwLock<ServerConfig>,
    vms: VmsClient,
    store: Arc<dyn DataStore>,
    owner: LsuOwner,
    /// The id of this media server's S3 user (S3 data path only): the administrator's
    /// governance bypass attaches its grant to it for the duration of the delete.
    media_user_id: Option<u64>,
    lsus: LsuCache,
    shared: Arc<ServerShared>,
    /// Keeps the S3 client's VIP list current while the server is open.
    vip_refresh: std::sync::Mutex<Option<open::VipRefresh>>,
    /// LSUs whose listing catalogue is known to cover every image.
    catalogued: std::sync::Mutex<HashSet<LsuName>>,
}

impl Server {
    /// Opens the server: the steps of [`open`] in order (VMS session, cluster ONLINE,
    /// tenant / users / policies, S3 key, data store), then, when configured, the orphan sweep
    /// at open in the background (at most once per LSU per interval, bounded: `sweep_lease`).
    /// `media_server` names this media server on the cluster (its S3 user).
    pub(crate) async fn open(
        name: ServerName,
        config: ServerConfig,
        credentials: Option<Credentials>,
        state_dir: PathBuf,
        media_server: &str,
        budget: BufferBudget,
        shared: Arc<ServerShared>,
    ) -> Result<Arc<Self>, OstError> {
        let VmsSession { vms, .. } = open::connect_vms(&name, &config, credentials).await?;
        let cluster = open::verify_cluster(&vms).await?;
        let profile = vast_vms_client::ApiProfile::for_version(cluster.sw_version.as_deref());
        let identity = open::ensure_identity(&vms, &config, profile, media_server)
            .await
            .map_err(error::vms)?;
        let key = open::obtain_data_key(&state_dir, &name, &vms, &identity).await?;
        let scope = open::GateScope {
            state_dir: &state_dir,
            server: &name,
            cluster: open::ClusterKey {
                name: cluster.name.clone(),
                version: cluster.sw_version.clone().unwrap_or_default(),
            },
        };
        shared.bandwidth.configure(
            &config,
            Some(crate::bandwidth::override_path(&state_dir, &name)),
        );
        let (write_limit, read_limit) = shared.bandwidth.now();
        if write_limit > 0 || read_limit > 0 {
            tracing::info!(server = %name, write_bytes_per_sec = write_limit, read_bytes_per_sec = read_limit, "bandwidth limited");
        }
        let DataPath {
            store, vip_refresh, ..
        } = open::build_data_store(
            &config,
            &vms,
            identity.tenant_id(),
            key,
            budget,
            shared.bandwidth.throttles(),
            scope,
        )
        .await?;
        tracing::info!(server = %name, cluster = %cluster.name, version = cluster.sw_version.as_deref().unwrap_or("unknown"), rules = %profile, data_path = ?config.data_path, "storage server opened");
        let sweep = config.sweep_on_open;
        let server = Arc::new(Self {
            lsus: LsuCache::new(config.lsu_cache_ttl()),
            name,
            config: RwLock::new(config),
            vms,
            store,
            owner: identity.owner(),
            media_user_id: identity.data.as_ref().map(|d| d.user.user.get().id),
            shared,
            vip_refresh: std::sync::Mutex::new(vip_refresh),
            catalogued: std::sync::Mutex::new(HashSet::new()),
        });
        if sweep {
            let s = server.clone();
            tokio::spawn(async move {
                match s.sweep_at_open(&state_dir).await {
                    Ok(r) => tracing::info!(
                        images = r.images_removed.len(),
                        uploads = r.uploads_aborted,
                        "orphan sweep at open done"
                    ),
                    Err(e) => tracing::warn!(error = %e, "orphan sweep at open failed"),
                }
            });
        }
        Ok(server)
    }

    /// Logs out of VMS.
    pub(crate) async fn close(&self) {
        drop(
            self.vip_refresh
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .take(),
        );
        if let Err(e) = self.vms.close().await {
            tracing::warn!(server = %self.name, error = %e, "VMS logout failed");
        }
        tracing::info!(server = %self.name, "storage server closed");
    }

    /// The server name.
    pub(crate) fn name(&self) -> &ServerName {
        &self.name
    }

    /// The data store.
    pub(crate) fn store(&self) -> &Arc<dyn DataStore> {
        &self.store
    }

    /// What every open of this server in the process shares.
    pub(crate) fn shared(&self) -> &Arc<ServerShared> {
        &self.shared
    }

    /// The event hub.
    pub(crate) fn events(&self) -> &EventHub {
        &self.shared.events
    }

    /// The statistics.
    pub(crate) fn stats(&self) -> &Stats {
        &self.shared.stats
    }

    /// A copy of the current settings.
    pub(crate) fn config(&self) -> ServerConfig {
        self.config
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Geometry for new images.
    pub(crate) fn data_layout(&self) -> DataLayout {
        let c = self.config();
        DataLayout {
            part_size: c.part_size,
            segment_size: c.segment_size,
            max_in_flight: c.max_in_flight,
        }
    }

    /// Read-ahead for readers opened now (`set_config("read_ahead_chunks")` applies to them).
    pub(crate) fn read_ahead(&self) -> ReadAhead {
        let c = self.config();
        ReadAhead {
            chunk_size: c.read_chunk_size,
            chunks: c.read_ahead_chunks,
        }
    }

    /// The LSUs whose listing catalogue is known to be complete.
    fn catalogued_lsus(&self) -> std::sync::MutexGuard<'_, HashSet<LsuName>> {
        self.catalogued
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    // ---- busy registry ----------------------------------------------------------------------

    fn busy_map(&self) -> std::sync::MutexGuard<'_, HashMap<(LsuName, ImageId), Busy>> {
        self.shared
            .busy
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Marks an image open for write; [`OstError::Busy`] when it is open at all.
    pub(crate) fn claim_write(&self, lsu: &LsuName, id: &ImageId) -> Result<(), OstError> {
        let mut map = self.busy_map();
        let key = (lsu.clone(), id.clone());
        if let Some(b) = map.get(&key) {
            return Err(OstError::Busy {
                cause: format!("image {id} in {lsu} is open ({b:?})"),
            });
        }
        map.insert(key, Busy::Write);
        Ok(())
    }

    /// Marks an image open for read; [`OstError::Busy`] while it is open for write.
    pub(crate) fn claim_read(&self, lsu: &LsuName, id: &ImageId) -> Result<(), OstError> {
        let mut map = self.busy_map();
        let entry = map
            .entry((lsu.clone(), id.clone()))
            .or_insert(Busy::Read(0));
        match entry {
            Busy::Write => Err(OstError::Busy {
                cause: format!("image {id} in {lsu} is open for write"),
            }),
            Busy::Read(n) => {
                *n += 1;
                Ok(())
            }
        }
    }

    /// Releases one claim.
    pub(crate) fn release(&self, lsu: &LsuName, id: &ImageId) {
        let mut map = self.busy_map();
        let key = (lsu.clone(), id.clone());
        match map.get_mut(&key) {
            Some(Busy::Read(n)) if *n > 1 => *n -= 1,
            Some(_) => {
                map.remove(&key);
            }
            None => {}
        }
    }

    /// How the image is held open here, if at all.
    pub(crate) fn busy_state(&self, lsu: &LsuName, id: &ImageId) -> Option<Busy> {
        self.busy_map().get(&(lsu.clone(), id.clone())).copied()
    }

    // ---- properties, configuration, statistics ---------------------------------------------

    /// Server properties from VMS.
    pub(crate) async fn props(&self) -> Result<ServerProps, OstError> {
        let cluster = self.vms.cluster().await.map_err(error::vms)?;
        // Not WRITE_IMAGE_RANDOM: writes may arrive out of order only within a few parts.
        let mut capabilities = ServerCapabilities::COPY_IMAGE
            | ServerCapabilities::ASYNC_COPY
            | ServerCapabilities::EVENTS
            | ServerCapabilities::IMAGE_META
            | ServerCapabilities::LIST_IMAGES
            | ServerCapabilities::FLUSH;
        if self.store.keeps_labels() {
            capabilities |= ServerCapabilities::LABEL_LSU;
        }
        if self.store.can_lock() {
            capabilities |= ServerCapabilities::WORM;
        }
        let mut flags = ServerFlags::DISK | ServerFlags::CRED;
        // VAST's own figure (`drr`, logical / physical in use): NetBackup then reads an LSU's
        // lsu_used (logical) against lsu_used_phys (physical).
        if cluster.reduces_data() {
            flags |= ServerFlags::DEDUP;
        }
        Ok(ServerProps {
            name: self.name.clone(),
            flags,
            capabilities,
            cluster_name: cluster.name.clone(),
            cluster_version: cluster.sw_version.clone().unwrap_or_default(),
            cluster_state: cluster.state.clone().unwrap_or_default(),
            capacity: cluster
                .usable_capacity_bytes
                .or(cluster.logical_space)
                .unwrap_or(0),
            free: cluster
                .free_usable_capacity
                .or(cluster.free_logical_space)
                .unwrap_or(0),
            data_path: self.config().data_path,
            plugin_version: crate::PLUGIN_VERSION.to_owned(),
        })
    }

    /// Statistics snapshot.
    pub(crate) fn statistics(&self) -> Statistics {
        let open = self.busy_map().len();
        self.shared.stats.snapshot(open)
    }

    /// The VMS client.
    pub(crate) fn vms(&self) -> &VmsClient {
        &self.vms
    }
}

/// Polls VMS events for the event channels of a server until the last one is closed (one
/// poller per server per process, see [`crate::events`]). Events already present when the
/// first channel opens are not delivered; each event is published once (by id).
pub(crate) async fn poll_cluster_events(server: Arc<Server>) {
    // Whole-second time filters: overlap each window a little and dedup by id.
    let overlap = Duration::from_secs(2);
    let window_start = || time_now() - overlap;
    let mut since = window_start();
    let mut last_id = match server
        .vms
        .events()
        .query(&vast_vms_client::EventQuery::new().since(since))
        .await
    {
        Ok(events) => events.iter().map(|e| e.id).max().unwrap_or(0),
        Err(_) => 0,
    };
    loop {
        let every = Duration::from_secs(server.config().event_poll_secs.max(1));
        tokio::time::sleep(every).await;
        let next_since = window_start();
        let query = vast_vms_client::EventQuery::new().since(since);
        match server.vms.events().query(&query).await {
            Ok(mut events) => {
                events.sort_by_key(|e| e.id);
                let seen = last_id;
                for e in events.into_iter().filter(|e| e.id > seen) {
                    last_id = e.id;
                    server.events().publish(crate::types::Event {
                        kind: crate::types::EventKind::Cluster,
                        severity: e.severity.clone().unwrap_or_else(|| "INFO".to_owned()),
                        lsu: None,
                        image: None,
                        op: None,
                        message: e
                            .event_message
                            .clone()
                            .or(e.event_name.clone())
                            .unwrap_or_default(),
                        time_unix: crate::types::unix_now(),
                    });
                }
                since = next_since;
            }
            Err(err) => tracing::debug!(error = %err, "polling VMS events failed"),
        }
    }
}

fn time_now() -> time::OffsetDateTime {
    time::OffsetDateTime::now_utc()
}
