//! The S3 key of a storage server, stored in the state directory so that every open reuses it
//! (a new key per open would leak keys: VAST allows two per user). The key belongs to this
//! media server's own S3 user (`open/media_server.rs`), so each media server holds one key.
//!
//! File: `<state_dir>/keys/<server>.json`, mode 0600, written atomically (`private_file`); a
//! lock file around the check-issue-save sequence keeps concurrent processes from issuing two
//! keys. Only the key stored here is ever revoked (after its replacement is stored): a key
//! another state directory issued, maybe in use by a running job elsewhere, is never touched.

use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use ost_model::{OstError, ServerName};
use serde::{Deserialize, Serialize};
use vast_vms_client::{Secret, User, VmsClient};

use crate::error;
use crate::plugin::ChildCloses;
use crate::private_file;

/// The number of S3 keys VAST lets one user hold.
pub(crate) const MAX_KEYS_PER_USER: usize = 2;

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

    /// The key to use for `user`: the stored one when VMS still lists it enabled for that
    /// user, else a new one (the old stored one, of this user or of another, e.g. the bucket
    /// owner's before the upgrade to a user per media server, is then revoked). Serialised
    /// across processes.
    pub(crate) async fn obtain(
        &self,
        vms: &VmsClient,
        user: &User,
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
        let result = self.obtain_locked(vms, user, tenant_id).await;
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
        user: &User,
        tenant_id: Option<u64>,
    ) -> Result<StoredKey, OstError> {
        let user_id = user.id;
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
        let pair = match boot.issue_access_key(user_id, tenant_id).await {
            Ok(pair) => pair,
            Err(e) => return Err(self.refused(vms, user, e).await),
        };
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

impl KeyStore {
    /// Why VMS refused a new key for `user`: at VAST's limit of keys per user, an error that
    /// names the cause and the fix (no key held by someone else is revoked to make room); else
    /// VMS's answer as it came.
    async fn refused(&self, vms: &VmsClient, user: &User, err: vast_vms_client::Error) -> OstError {
        let held = match vms.users().access_keys(user.id).await {
            Ok(keys) => keys,
            Err(_) => return error::vms(err),
        };
        if held.len() < MAX_KEYS_PER_USER {
            return error::vms(err);
        }
        let keys: Vec<&str> = held.iter().map(|k| k.access_key.as_str()).collect();
        OstError::PermissionDenied {
            cause: format!(
                "S3 user {:?} already holds VAST's {MAX_KEYS_PER_USER} keys ({}), none of them \
                 stored in {}: another media server uses the same media_server name (give each \
                 media server its own media_server in [plugin]), or a key is stale (delete it \
                 in VMS: Users > {} > S3 keys); VMS answered: {err}",
                user.name,
                keys.join(", "),
                self.dir.display(),
                user.name,
            ),
        }
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
