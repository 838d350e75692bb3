//! Steps 3 and 4: the plugin's identity on the cluster (tenant, S3 user, view policy) and the
//! S3 key it reads and writes data with.

use std::path::Path;

use ost_model::{OstError, ServerName};
use vast_vms_client::bootstrap::S3_DEFAULT_POLICY;
use vast_vms_client::{Ensured, S3UserSpec, Tenant, User, ViewPolicy, VmsClient};

use super::LsuOwner;
use crate::config::{DataPathKind, ServerConfig};
use crate::server::keys::{KeyStore, StoredKey};

/// The plugin's tenant, S3 user and view policy, each as found or as just created.
pub(crate) struct Identity {
    /// The tenant the user and the buckets live in.
    pub(crate) tenant: Ensured<Tenant>,
    /// The S3 user owning the buckets.
    pub(crate) user: Ensured<User>,
    /// The view policy new bucket views get.
    pub(crate) policy: Ensured<ViewPolicy>,
}

impl Identity {
    /// The tenant's id.
    pub(crate) fn tenant_id(&self) -> u64 {
        self.tenant.get().id
    }

    /// Whose buckets the LSUs are.
    pub(crate) fn owner(&self) -> LsuOwner {
        LsuOwner {
            tenant_id: self.tenant_id(),
            user_name: self.user.get().name.clone(),
            policy_id: self.policy.get().id,
        }
    }
}

/// Step 3: the configured tenant, S3 user (in that tenant) and view policy, created when
/// missing. A custom policy lives in the tenant; VAST's built-in one is global.
pub(crate) async fn ensure_identity(
    vms: &VmsClient,
    config: &ServerConfig,
) -> Result<Identity, vast_vms_client::Error> {
    let boot = vms.bootstrap();
    let tenant = boot.ensure_tenant(&config.tenant).await?;
    let user = boot
        .ensure_s3_user(&S3UserSpec::new(&config.s3_user).in_tenant(tenant.get().id))
        .await?;
    let policy_tenant = (config.view_policy != S3_DEFAULT_POLICY).then_some(tenant.get().id);
    let policy = boot
        .ensure_s3_policy(&config.view_policy, policy_tenant)
        .await?;
    Ok(Identity {
        tenant,
        user,
        policy,
    })
}

/// What the data path authenticates with: an S3 key exactly when `data_path = "s3"`.
pub(crate) enum DataKey {
    /// The S3 user's key pair.
    S3(StoredKey),
    /// NFS: the mount decides access, no key.
    NotNeeded,
}

/// Step 4: for the S3 data path, the key stored for this server in `state_dir` when VMS still
/// lists it enabled, else a newly issued one (see `server/keys.rs`).
pub(crate) async fn obtain_data_key(
    config: &ServerConfig,
    state_dir: &Path,
    name: &ServerName,
    vms: &VmsClient,
    identity: &Identity,
) -> Result<DataKey, OstError> {
    match config.data_path {
        DataPathKind::Nfs => Ok(DataKey::NotNeeded),
        DataPathKind::S3 => KeyStore::new(state_dir, name)
            .obtain(vms, identity.user.get().id, Some(identity.tenant_id()))
            .await
            .map(DataKey::S3),
    }
}
