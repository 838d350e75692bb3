//! Steps 3 and 4: the plugin's identity on the cluster (tenant, the S3 user owning the buckets,
//! view policy; on the S3 data path also this media server's S3 user and the identity policy
//! that lets it use the buckets, see `media_server.rs`) and the S3 key it reads and writes
//! data with.

use std::path::Path;

use ost_model::{OstError, ServerName};
use vast_vms_client::bootstrap::S3_DEFAULT_POLICY;
use vast_vms_client::{
    ApiProfile, Ensured, EnsuredPolicy, EnsuredPolicyUser, S3UserSpec, Tenant, User, ViewPolicy,
    VmsClient,
};

use super::media_server::{data_policy_document, data_policy_name, media_server_user};
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
    /// S3 data path only: who reads and writes the bytes.
    pub(crate) data: Option<DataIdentity>,
}

/// The S3 user this media server reads and writes with, and the identity policy attached to
/// it that lets it use the buckets of the owner.
pub(crate) struct DataIdentity {
    /// `<s3_user>-<media_server>`.
    pub(crate) user: EnsuredPolicyUser,
    /// `<s3_user>-data`.
    pub(crate) policy: EnsuredPolicy,
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
/// [`tenant_policy_name`]. On the S3 data path, also `media_server`'s own S3 user with the
/// plugin's identity policy attached ([`ensure_data_identity`]).
pub(crate) async fn ensure_identity(
    vms: &VmsClient,
    config: &ServerConfig,
    profile: ApiProfile,
    media_server: &str,
) -> Result<Identity, vast_vms_client::Error> {
    let boot = vms.bootstrap();
    let tenant = boot.ensure_tenant(&config.tenant).await?;
    let spec = S3UserSpec::new(&config.s3_user).for_tenant_under(tenant.get(), profile)?;
    let user = boot.ensure_s3_user(&spec).await?;
    let data = match config.data_path {
        DataPathKind::S3 => {
            Some(ensure_data_identity(vms, config, profile, tenant.get(), media_server).await?)
        }
        DataPathKind::Nfs => None,
    };
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
        data,
    })
}

/// The identity policy `<s3_user>-data` of the tenant (created once; put back when an
/// administrator changed or disabled it) and the media server's user `<s3_user>-<media_server>`
/// with it attached (created with it; attached again when detached).
async fn ensure_data_identity(
    vms: &VmsClient,
    config: &ServerConfig,
    profile: ApiProfile,
    tenant: &Tenant,
    media_server: &str,
) -> Result<DataIdentity, vast_vms_client::Error> {
    let boot = vms.bootstrap();
    let policy_name = data_policy_name(&config.s3_user);
    let policy = boot
        .ensure_identity_policy(&policy_name, &data_policy_document(), tenant.id)
        .await?;
    if policy.restored {
        tracing::warn!(policy = %policy_name, "the plugin's S3 identity policy was changed or disabled in VMS; restored it (restrict media servers with a Deny policy of your own)");
    }
    let name = media_server_user(&config.s3_user, media_server);
    let spec = S3UserSpec::new(&name).for_tenant_under(tenant, profile)?;
    let user = boot
        .ensure_policy_user(&spec, policy.policy.get().id)
        .await?;
    if user.attached {
        tracing::warn!(user = %name, policy = %policy_name, "the S3 identity policy was not attached to this media server's user; attached it");
    }
    Ok(DataIdentity { user, policy })
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

/// Step 4: for the S3 data path, the key of this media server's user stored for this server
/// in `state_dir` when VMS still lists it enabled, else a newly issued one (see
/// `server/keys.rs`).
pub(crate) async fn obtain_data_key(
    state_dir: &Path,
    name: &ServerName,
    vms: &VmsClient,
    identity: &Identity,
) -> Result<DataKey, OstError> {
    match &identity.data {
        None => Ok(DataKey::NotNeeded),
        Some(data) => KeyStore::new(state_dir, name)
            .obtain(vms, data.user.user.get(), Some(identity.tenant_id()))
            .await
            .map(DataKey::S3),
    }
}
