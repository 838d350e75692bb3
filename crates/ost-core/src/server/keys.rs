//! The S3 key of a storage server, stored in the state directory so that every open reuses it
//! (a new key per open would leak keys: VAST allows two per user).
//!
//! File: `<state_dir>/keys/<server>.json`, mode 0600, written atomically (`private_file`); a
//! lock file around the check-issue-save sequence keeps concurrent processes from issuing two
//! keys.

use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use ost_model::{OstError, ServerName};
use serde::{Deserialize, Serialize};
use vast_vms_client::{Secret, VmsClient};

use crate::error;
use crate::plugin::ChildCloses;
use crate::private_file;

/// A stored key pair.
#[derive(Clone, Serialize, Deserialize)]
pub(crate) struct StoredKey {
    /// The S3 user the key belongs to.
    pub(crate) user_id: u64,
    /// Access key id.
    pub(crate) access_key: String,
    /// Secret key.
    pub(crate) secret_key: Secret,
}

impl std::fmt::Debug for StoredKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredKey")
            .field("user_id", &self.user_id)
            .field("access_key", &self.access_key)
            .finish_non_exhaustive()
    }
}

/// Where a server's key lives.
pub(crate) struct KeyStore {
    dir: PathBuf,
    file: PathBuf,
}

impl KeyStore {
    /// The key file of `name` under `state_dir`.
    pub(crate) fn new(state_dir: &Path, name: &ServerName) -> Self {
        let dir = state_dir.join("keys");
        let file = dir.join(format!("{}.json", crate::config::state_file_stem(name)));
        Self { dir, file }
    }

    fn load(&self) -> Option<StoredKey> {
        let text = fs::read(&self.file).ok()?;
        match serde_json::from_slice(&text) {
            Ok(k) => Some(k),
            Err(e) => {
                tracing::warn!(file = %self.file.display(), error = %e, "ignoring an unreadable stored S3 key");
                None
            }
        }
    }

    fn save(&self, key: &StoredKey) -> Result<(), OstError> {
        let body = serde_json::to_vec(&serde_json::json!({
            "user_id": key.user_id,
            "access_key": key.access_key,
            "secret_key": key.secret_key.expose(),
        }))
        .map_err(|e| OstError::Internal {
            cause: e.to_string(),
        })?;
        private_file::write_private(&self.file, &body, "the S3 key file")
    }

    /// The key to use for `user_id`: the stored one when VMS still lists it enabled for that
    /// user, else a new one (the old stored one is revoked). Serialised across processes.
    pub(crate) async fn obtain(
        &self,
        vms: &VmsClient,
        user_id: u64,
        tenant_id: Option<u64>,
    ) -> Result<StoredKey, OstError> {
        private_file::ensure_private_dir(&self.dir)?;
        let lock_path = self.file.with_extension("lock");
        let lock = File::create(&lock_path).map_err(|e| error::io("creating the key lock", &e))?;
        let lock = Arc::new(lock);
        // An flock belongs to the open file, which a fork shares with the child: a child
        // forked while this lock is held closes its copy (or it would hold the lock for ever).
        let child_closes = ChildCloses::register(&lock);
        let waiting = lock.clone();
        tokio::task::spawn_blocking(move || waiting.lock())
            .await
            .map_err(|e| OstError::Internal {
                cause: e.to_string(),
            })?
            .map_err(|e| error::io("locking the key file", &e))?;
        let result = self.obtain_locked(vms, user_id, tenant_id).await;
        // Unlocked before the descriptor leaves the registry, closed after.
        if let Err(e) = lock.unlock() {
            tracing::warn!(error = %e, "unlocking the key file failed; closing it releases it");
        }
        drop(child_closes);
        drop(lock);
        result
    }

    async fn obtain_locked(
        &self,
        vms: &VmsClient,
        user_id: u64,
        tenant_id: Option<u64>,
    ) -> Result<StoredKey, OstError> {
        let stored = self.load();
        if let Some(key) = stored.as_ref().filter(|k| k.user_id == user_id) {
            let listed = vms.users().access_keys(user_id).await.map_err(error::vms)?;
            if listed
                .iter()
                .any(|k| k.access_key == key.access_key && k.enabled)
            {
                tracing::info!(access_key = %key.access_key, "reusing the stored S3 key");
                return Ok(key.clone());
            }
            tracing::info!(access_key = %key.access_key, "the stored S3 key is gone or disabled; issuing a new one");
        }
        let boot = vms.bootstrap();
        let pair = boot
            .issue_access_key(user_id, tenant_id)
            .await
            .map_err(error::vms)?;
        let key = StoredKey {
            user_id,
            access_key: pair.access_key,
            secret_key: pair.secret_key,
        };
        self.save(&key)?;
        if let Some(old) = stored {
            if old.access_key != key.access_key {
                if let Err(e) = vms
                    .bootstrap()
                    .revoke_access_key(old.user_id, &old.access_key)
                    .await
                {
                    tracing::warn!(error = %e, "revoking the previous S3 key failed");
                }
            }
        }
        tracing::info!(access_key = %key.access_key, "issued and stored a new S3 key");
        Ok(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_are_safe_and_debug_hides_the_secret() {
        let name: ServerName = "vast://10.0.0.1:8443".parse().unwrap();
        let store = KeyStore::new(Path::new("/s"), &name);
        assert_eq!(store.file, Path::new("/s/keys/10.0.0.1_8443.json"));
        let k = StoredKey {
            user_id: 1,
            access_key: "AK".into(),
            secret_key: Secret::new("topsecret"),
        };
        assert!(!format!("{k:?}").contains("topsecret"));
    }
}
