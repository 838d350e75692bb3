//! LSUs: the bucket views of the plugin's S3 user in its tenant, with a short-lived cache so
//! NetBackup's frequent polling does not hammer VMS.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use ost_model::{LsuFlags, LsuInfo, LsuName, OstError, RetentionMode, WormPolicy};

use super::Server;
use crate::error;

#[derive(Default)]
struct Cached {
    list: Option<(Instant, Vec<LsuName>)>,
    info: HashMap<LsuName, (Instant, LsuInfo)>,
}

/// The cache of LSU lists and properties.
pub(crate) struct LsuCache {
    ttl: Mutex<Duration>,
    inner: Mutex<Cached>,
}

impl LsuCache {
    /// A cache keeping answers for `ttl`.
    pub(crate) fn new(ttl: Duration) -> Self {
        Self {
            ttl: Mutex::new(ttl),
            inner: Mutex::new(Cached::default()),
        }
    }

    fn ttl(&self) -> Duration {
        *self
            .ttl
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Changes the lifetime (and forgets everything).
    pub(crate) fn set_ttl(&self, ttl: Duration) {
        *self
            .ttl
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = ttl;
        self.invalidate();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Cached> {
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn list(&self) -> Option<Vec<LsuName>> {
        let ttl = self.ttl();
        let g = self.lock();
        g.list
            .as_ref()
            .filter(|(t, _)| t.elapsed() < ttl)
            .map(|(_, l)| l.clone())
    }

    fn info(&self, lsu: &LsuName) -> Option<LsuInfo> {
        let ttl = self.ttl();
        let g = self.lock();
        g.info
            .get(lsu)
            .filter(|(t, _)| t.elapsed() < ttl)
            .map(|(_, i)| i.clone())
    }

    /// Forgets everything.
    pub(crate) fn invalidate(&self) {
        let mut g = self.lock();
        g.list = None;
        g.info.clear();
    }
}

impl Server {
    /// The LSUs of this server; the default one is created when there is none.
    pub(crate) async fn list_lsus(&self) -> Result<Vec<LsuName>, OstError> {
        if let Some(l) = self.lsus.list() {
            return Ok(l);
        }
        let names = self
            .owner
            .ensure_lsus(self.vms(), self.store().as_ref(), &self.config())
            .await?;
        self.lsus.lock().list = Some((Instant::now(), names.clone()));
        Ok(names)
    }

    /// Fails with [`OstError::NotFound`] unless `lsu` is one of this server's LSUs.
    pub(crate) async fn check_lsu(&self, lsu: &LsuName) -> Result<(), OstError> {
        if self.list_lsus().await?.contains(lsu) {
            return Ok(());
        }
        // The cache may predate an LSU created elsewhere: look again.
        self.lsus.invalidate();
        if self.list_lsus().await?.contains(lsu) {
            Ok(())
        } else {
            Err(OstError::NotFound {
                cause: format!(
                    "LSU {lsu} is not a bucket of this plugin on {}",
                    self.name()
                ),
            })
        }
    }

    /// Creates the bucket view `lsu` (idempotent for our own buckets).
    pub(crate) async fn create_lsu(&self, lsu: &LsuName) -> Result<(), OstError> {
        self.create_lsu_with(lsu, None).await
    }

    /// Creates the bucket view `lsu`; with a WORM policy the view gets WORM locking (S3
    /// object lock, for good) and the policy is stored with the bucket. An existing view of
    /// ours is kept (with a policy it must already have locking); a WORM LSU's policy is never
    /// replaced by a shorter retention or by governance after compliance.
    pub(crate) async fn create_lsu_with(
        &self,
        lsu: &LsuName,
        worm: Option<WormPolicy>,
    ) -> Result<(), OstError> {
        let prefix = self.config().bucket_path_prefix;
        self.owner
            .create_lsu(
                self.vms(),
                self.store().as_ref(),
                &prefix,
                lsu,
                worm.is_some(),
            )
            .await?;
        if let Some(policy) = worm {
            match self.store().worm_policy(lsu).await? {
                Some(old) if weaker(&policy, &old) => {
                    return Err(OstError::InvalidArgument {
                        cause: format!(
                            "LSU {lsu} is WORM with {old}; its retention is never shortened nor its mode relaxed (asked: {policy})"
                        ),
                    });
                }
                _ => self.store().set_worm_policy(lsu, &policy).await?,
            }
            tracing::info!(%lsu, %policy, "WORM LSU ready");
        }
        self.lsus.invalidate();
        self.catalogue_ready(lsu).await.map(drop)
    }

    /// Capacity, use, label and flags of `lsu`.
    pub(crate) async fn lsu_info(&self, lsu: &LsuName) -> Result<LsuInfo, OstError> {
        if let Some(i) = self.lsus.info(lsu) {
            return Ok(i);
        }
        let view = self
            .vms()
            .views()
            .by_bucket(lsu.as_str())
            .await
            .map_err(error::vms)?
            .filter(|v| v.bucket_owner.as_deref() == Some(self.owner.user_name.as_str()))
            .ok_or_else(|| OstError::NotFound {
                cause: format!("LSU {lsu} is not a bucket of this plugin"),
            })?;
        let quota = self
            .vms()
            .quotas()
            .by_path(&view.path)
            .await
            .map_err(error::vms)?;
        let cluster_capacity = || async {
            self.vms()
                .cluster()
                .await
                .ok()
                .and_then(|c| c.usable_capacity_bytes.or(c.logical_space))
                .unwrap_or(0)
        };
        let (capacity, used, used_phys) = match quota
            .as_ref()
            .and_then(|q| q.hard_limit.filter(|l| *l > 0).map(|l| (q, l)))
        {
            Some((q, limit)) => {
                let used = q.used_capacity.or(view.logical_capacity).unwrap_or(0);
                (
                    limit,
                    used,
                    q.used_effective_capacity
                        .or(view.physical_capacity)
                        .unwrap_or(used),
                )
            }
            None => {
                let used = view.logical_capacity.unwrap_or(0);
                (
                    cluster_capacity().await,
                    used,
                    view.physical_capacity.unwrap_or(used),
                )
            }
        };
        let label = self.read_label(lsu).await;
        let mut flags = LsuFlags::empty();
        let mut worm = None;
        if view.locking == Some(true) {
            flags |= LsuFlags::WORM;
            worm = self.store().worm_policy(lsu).await?;
        }
        if used_phys < used {
            flags |= LsuFlags::DEDUP;
        }
        let info = LsuInfo {
            name: lsu.clone(),
            capacity,
            used,
            used_phys,
            flags,
            label,
            worm,
        };
        self.lsus
            .lock()
            .info
            .insert(lsu.clone(), (Instant::now(), info.clone()));
        Ok(info)
    }

    /// [`LsuInfo`] plus image counts and state (counts read every descriptor: not cached
    /// beyond `lsu_cache_secs`).
    pub(crate) async fn lsu_props(
        &self,
        lsu: &LsuName,
    ) -> Result<crate::types::LsuProps, OstError> {
        let info = self.lsu_info(lsu).await?;
        let filter = crate::types::ImageFilter {
            include_pending: true,
            ..crate::types::ImageFilter::default()
        };
        let (images, online) = match self.list_images(lsu, &filter).await {
            Ok(i) => (i, true),
            Err(e) => {
                tracing::warn!(%lsu, error = %e, "LSU is not answering");
                (Vec::new(), false)
            }
        };
        let pending = images
            .iter()
            .filter(|i| i.flags.contains(ost_model::ImageInfoFlags::IMAGE_PENDING))
            .count() as u64;
        Ok(crate::types::LsuProps {
            info,
            image_count: images.len() as u64 - pending,
            pending_count: pending,
            online,
        })
    }

    /// The label of `lsu`, or `None`: a store that keeps no labels, or one that cannot be read
    /// now (the rest of the properties still answer).
    async fn read_label(&self, lsu: &LsuName) -> Option<String> {
        if !self.store().keeps_labels() {
            return None;
        }
        match self.store().lsu_label(lsu).await {
            Ok(label) => label,
            Err(e) => {
                tracing::warn!(%lsu, error = %e, "the LSU's label could not be read");
                None
            }
        }
    }

    /// `label_lsu`: stores `label` with the LSU (a bucket tag on S3; not supported on NFS).
    pub(crate) async fn label_lsu(&self, lsu: &LsuName, label: &str) -> Result<(), OstError> {
        self.check_lsu(lsu).await?;
        self.store().set_lsu_label(lsu, label).await?;
        self.lsus.lock().info.remove(lsu);
        Ok(())
    }
}

/// Whether `new` would lock less than `old`: a shorter retention, or governance after
/// compliance.
fn weaker(new: &WormPolicy, old: &WormPolicy) -> bool {
    new.retention < old.retention
        || (old.mode == RetentionMode::Compliance && new.mode == RetentionMode::Governance)
}
