//! Steps 3 and 4: the plugin's identity on the cluster (tenant, S3 user, view policy) and the
//! S3 key it reads and writes data with.

use std::path::Path;

use ost_model::{OstError, ServerName};
use vast_vms_client::bootstrap::S3_DEFAULT_POLICY;
use vast_vms_client::{ApiProfile, Ensured, S3UserSpec, Tenant, User, ViewPolicy, VmsClient};

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

/// Step 3: the configured tenant, S3 user (in the tenant's local provider) and view policy,
/// created when missing, following the rules of the cluster's release (`profile`, from its
/// version). A custom policy lives in the tenant; VAST's built-in `s3_default_policy` lives in
/// the default tenant, so where a view's policy must be of the view's tenant (5.5) and the
/// plugin's tenant is another, the plugin uses an S3 policy of its own tenant,
/// [`tenant_policy_name`].
pub(crate) async fn ensure_identity(
    vms: &VmsClient,
    config: &ServerConfig,
    profile: ApiProfile,
) -> Result<Identity, vast_vms_client::Error> {
    let boot = vms.bootstrap();
    let tenant = boot.ensure_tenant(&config.tenant).await?;
    let spec = S3UserSpec::new(&config.s3_user).for_tenant_under(tenant.get(), profile)?;
    let user = boot.ensure_s3_user(&spec).await?;
    let tenant_id = tenant.get().id;
    let policy_tenant = (config.view_policy != S3_DEFAULT_POLICY).then_some(tenant_id);
    let mut policy = boot
        .ensure_s3_policy(&config.view_policy, policy_tenant)
        .await?;
    let foreign = policy.get().tenant_id.is_some_and(|t| t != tenant_id);
    if foreign && profile.view_policy_in_view_tenant() {
        policy = boot
            .ensure_s3_policy(&tenant_policy_name(config), Some(tenant_id))
            .await?;
    }
    Ok(Identity {
        tenant,
        user,
        policy,
    })
}

/// The S3 view policy the plugin makes in its own tenant when the configured one belongs to
/// another tenant and the cluster's release wants a view's policy in the view's tenant:
/// `<view_policy>-<tenant>`.
pub(crate) fn tenant_policy_name(config: &ServerConfig) -> String {
    format!("{}-{}", config.view_policy, config.tenant)
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
