//! WORM LSUs: the one place where images are locked, checked before a delete, and removed
//! with every version. Image complete (`image::close_writer`), image delete
//! (`images::delete_image`, `images::remove_image_objects`) and copy (`copy::copy_objects`) call
//! into it; nothing else knows about object lock.
//!
//! - **Which LSUs.** A WORM LSU is a bucket view with `locking` (S3 object lock; versioning on
//!   for good). Its policy (mode + retention) is a bucket tag written when the LSU is made
//!   (`vast-ost lsu create --worm`); the view gets no default retention, so nothing is locked
//!   automatically: pending images, staged tails and listing entries stay deletable.
//! - **Lock at complete.** Every object of the image (data segments, NetBackup's metadata
//!   object, the descriptor), each by its current version id, gets the LSU's mode and a
//!   retain-until date = the image's creation date + the retention (`WormPolicy::retain_until`);
//!   the date is stored in the descriptor (`retain_until_unix`). Data first, then the
//!   descriptor is saved Complete, then the descriptor's own version is locked.
//! - **Refuse, then remove.** A delete first checks the descriptor's date and then every
//!   version under the image's prefix (retention or legal hold): while one holds, the answer is
//!   [`OstError::WormLocked`] (`STS_EWORM`) with one log line naming the image and the date, and
//!   nothing is deleted. Afterwards every version and delete marker of the image's keys goes,
//!   the descriptor's last.
//! - **Bypass.** Only [`Server::delete_image_bypassing_governance`] (the administrator's
//!   `vast-ost image delete --bypass-governance`) sends the governance bypass; compliance is
//!   refused before anything is sent.

use ost_model::image_key::{descriptor_key, image_prefix};
use ost_model::{
    ImageDate, ImageDescriptor, ImageId, ImageKey, LsuFlags, LsuName, ObjectKind, OstError,
    RetentionMode, WormPolicy,
};

use super::Server;
use crate::store::StoredVersion;
use crate::types::unix_now;

/// An image lock as the descriptor and the objects carry it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ImageLock {
    /// The LSU's mode.
    pub(crate) mode: RetentionMode,
    /// Retain-until date, Unix seconds.
    pub(crate) until_unix: u64,
}

/// `YYYY-MM-DDThh:mm:ssZ` of a Unix time (the number itself when out of range).
pub(crate) fn date_text(unix: u64) -> String {
    ImageDate::from_unix_seconds(unix).map_or_else(|_| unix.to_string(), |d| d.to_rfc3339())
}

/// Objects of an image that are locked: data, NetBackup's metadata, the descriptor (not the
/// staged tails of a pending image, and nothing outside the image's prefix).
fn is_image_object(key: &str) -> bool {
    matches!(
        ImageKey::parse(key).map(|k| k.kind),
        Ok(ObjectKind::DataSegment(_) | ObjectKind::Descriptor | ObjectKind::NbMeta)
    )
}

impl Server {
    /// Whether `lsu` keeps versions and locks (its view has WORM locking).
    pub(crate) async fn is_worm_lsu(&self, lsu: &LsuName) -> Result<bool, OstError> {
        Ok(self.worm_of(lsu).await?.0)
    }

    /// Whether `lsu` is WORM and its policy, as the data path needs them (lock at complete,
    /// refuse and purge at delete): from the LSU's properties (cached, or read from VMS), or,
    /// while VMS does not answer, from the bucket's policy tag over S3, so backups and deletes
    /// go on with VMS down as the rest of the data path does.
    async fn worm_of(&self, lsu: &LsuName) -> Result<(bool, Option<WormPolicy>), OstError> {
        match self.lsu_info(lsu).await {
            Ok(info) => Ok((info.flags.contains(LsuFlags::WORM), info.worm)),
            Err(OstError::Network { cause }) => {
                tracing::debug!(%lsu, %cause, "VMS does not answer: the LSU's WORM policy read from its bucket");
                let policy = self.store().worm_policy(lsu).await?;
                Ok((policy.is_some(), policy))
            }
            Err(e) => Err(e),
        }
    }

    /// The lock an image created at `created_unix` gets in `lsu`: `None` on a normal LSU, or
    /// when the date is already past (NetBackup's expiry has come; S3 refuses past dates).
    pub(crate) async fn lock_for(
        &self,
        lsu: &LsuName,
        id: &ImageId,
        created_unix: u64,
    ) -> Result<Option<ImageLock>, OstError> {
        let (worm, policy) = self.worm_of(lsu).await?;
        let Some(policy) = policy.filter(|_| worm) else {
            if worm {
                tracing::warn!(%lsu, image = %id, "WORM view without a vast-ost WORM policy (bucket tag netbackup-worm): the image is not locked");
            }
            return Ok(None);
        };
        let until = policy.retain_until(created_unix);
        if until <= unix_now() {
            tracing::warn!(%lsu, image = %id, until = %date_text(until), "the image's retention has already run out; it is not locked");
            return Ok(None);
        }
        Ok(Some(ImageLock {
            mode: policy.mode,
            until_unix: until,
        }))
    }

    /// Locks the current version of each object of the image, the descriptor included or not.
    pub(crate) async fn lock_image_objects(
        &self,
        lsu: &LsuName,
        id: &ImageId,
        lock: ImageLock,
        with_descriptor: bool,
    ) -> Result<(), OstError> {
        let desc = descriptor_key(id);
        let versions = self.store().versions(lsu, &image_prefix(id)).await?;
        let mut locked = 0;
        for v in versions
            .iter()
            .filter(|v| v.is_latest && !v.delete_marker && is_image_object(&v.key))
            .filter(|v| with_descriptor || v.key != desc)
        {
            self.store()
                .lock_version(lsu, &v.key, &v.version_id, lock.mode, lock.until_unix)
                .await?;
            locked += 1;
        }
        tracing::info!(%lsu, image = %id, objects = locked, mode = %lock.mode, until = %date_text(lock.until_unix), "image objects locked");
        Ok(())
    }

    /// Seals a completing image's WORM lock: sets `retain_until_unix` in `sealed` (cleared on a
    /// normal LSU, so a copy from a WORM LSU is not locked) and locks everything but the
    /// descriptor. Returns the lock for [`Server::lock_descriptor`] after the save.
    pub(crate) async fn lock_before_seal(
        &self,
        lsu: &LsuName,
        sealed: &mut ImageDescriptor,
        created_unix: u64,
    ) -> Result<Option<ImageLock>, OstError> {
        let id = sealed.def().id();
        let lock = self.lock_for(lsu, &id, created_unix).await?;
        sealed.retain_until_unix = lock.map(|l| l.until_unix);
        if let Some(lock) = lock {
            self.lock_image_objects(lsu, &id, lock, false).await?;
        }
        Ok(lock)
    }

    /// Locks the descriptor's saved version (after [`Server::lock_before_seal`] and the save).
    pub(crate) async fn lock_descriptor(
        &self,
        lsu: &LsuName,
        id: &ImageId,
        lock: Option<ImageLock>,
    ) -> Result<(), OstError> {
        let Some(lock) = lock else {
            return Ok(());
        };
        let desc = descriptor_key(id);
        let versions = self.store().versions(lsu, &desc).await?;
        let current = versions
            .iter()
            .find(|v| v.key == desc && v.is_latest && !v.delete_marker)
            .ok_or_else(|| OstError::Corrupt {
                cause: format!(
                    "image {id} in {lsu}: its descriptor has no current version to lock"
                ),
            })?;
        self.store()
            .lock_version(lsu, &desc, &current.version_id, lock.mode, lock.until_unix)
            .await
    }

    /// Locks the current version of `key` written after the image was locked (NetBackup's
    /// metadata object rewritten after close), until the descriptor's date.
    pub(crate) async fn lock_late_object(
        &self,
        lsu: &LsuName,
        id: &ImageId,
        descriptor: &ImageDescriptor,
        key: &str,
    ) -> Result<(), OstError> {
        let Some(until) = descriptor.retain_until_unix.filter(|u| *u > unix_now()) else {
            return Ok(());
        };
        let Some(policy) = self.worm_of(lsu).await?.1 else {
            return Ok(());
        };
        let versions = self.store().versions(lsu, key).await?;
        if let Some(v) = versions
            .iter()
            .find(|v| v.key == key && v.is_latest && !v.delete_marker)
        {
            self.store()
                .lock_version(lsu, key, &v.version_id, policy.mode, until)
                .await?;
            tracing::info!(%lsu, image = %id, key, until = %date_text(until), "late object of a locked image locked");
        }
        Ok(())
    }

    /// Refuses ([`OstError::WormLocked`], one log line) while the descriptor's date or any
    /// version under the image's prefix holds. Nothing is deleted before this passes.
    pub(crate) async fn refuse_if_locked(
        &self,
        lsu: &LsuName,
        id: &ImageId,
        descriptor: Option<&ImageDescriptor>,
    ) -> Result<(), OstError> {
        let now = unix_now();
        if let Some(until) = descriptor
            .and_then(|d| d.retain_until_unix)
            .filter(|u| *u > now)
        {
            return Err(locked(lsu, id, until, "its retention"));
        }
        if !self.is_worm_lsu(lsu).await? {
            return Ok(());
        }
        for v in self.store().versions(lsu, &image_prefix(id)).await? {
            if v.delete_marker {
                continue;
            }
            let hold = self
                .store()
                .version_hold(lsu, &v.key, &v.version_id)
                .await?;
            if hold.legal_hold {
                return Err(locked(lsu, id, now, &format!("a legal hold on {}", v.key)));
            }
            if let Some((_, until)) = hold.retention.filter(|(_, u)| *u > now) {
                return Err(locked(
                    lsu,
                    id,
                    until,
                    &format!("the retention of {}", v.key),
                ));
            }
        }
        Ok(())
    }

    /// Removes every version and delete marker under the image's prefix, the descriptor's
    /// last, so an interrupted removal is still found by the sweep. A refusal by the server (a
    /// lock that appeared after the check) is [`OstError::WormLocked`].
    pub(crate) async fn purge_versions(
        &self,
        lsu: &LsuName,
        id: &ImageId,
        bypass_governance: bool,
    ) -> Result<(), OstError> {
        let desc = descriptor_key(id);
        let all: Vec<StoredVersion> = self.store().versions(lsu, &image_prefix(id)).await?;
        let (last, first): (Vec<_>, Vec<_>) = all
            .into_iter()
            .map(|v| (v.key, v.version_id))
            .partition(|(k, _)| *k == desc);
        for batch in [first, last] {
            if batch.is_empty() {
                continue;
            }
            self.store()
                .delete_versions(lsu, &batch, bypass_governance)
                .await
                .map_err(|e| match e {
                    OstError::PermissionDenied { cause } => OstError::WormLocked {
                        cause: format!("image {id} in {lsu}: the cluster refused to remove a locked version: {cause}"),
                    },
                    other => other,
                })?;
        }
        Ok(())
    }

    /// `vast-ost image delete --bypass-governance`: removes an image whose governance lock has
    /// not run out (the administrator's explicit act, logged). Refused on a compliance LSU and
    /// on a normal one; a legal hold still holds.
    pub(crate) async fn delete_image_bypassing_governance(
        &self,
        lsu: &LsuName,
        id: &ImageId,
    ) -> Result<(), OstError> {
        let info = self.lsu_info(lsu).await?;
        match info.worm.map(|p| p.mode) {
            Some(RetentionMode::Governance) => {}
            Some(RetentionMode::Compliance) => {
                return Err(OstError::WormLocked {
                    cause: format!(
                        "image {id} in {lsu}: LSU {lsu} is in compliance mode; no one can remove an image before its retain-until date"
                    ),
                })
            }
            None => {
                return Err(OstError::InvalidArgument {
                    cause: format!("LSU {lsu} is not a governance-mode WORM LSU; nothing to bypass"),
                })
            }
        }
        tracing::warn!(%lsu, image = %id, "administrator bypasses the governance lock to delete an image");
        self.with_bypass_grant(self.delete_image_as(lsu, id, true))
            .await
    }
}

/// The WORM refusal, logged once.
fn locked(lsu: &LsuName, id: &ImageId, until: u64, what: &str) -> OstError {
    let date = date_text(until);
    tracing::warn!(%lsu, image = %id, until = %date, "delete refused: image is WORM locked by {what}");
    OstError::WormLocked {
        cause: format!("image {id} in {lsu} is locked until {date} ({what}); nothing was deleted"),
    }
}
