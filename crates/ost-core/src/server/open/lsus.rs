//! Step 6: the LSUs of the plugin (bucket views of its S3 user in its tenant), the default one
//! created when there is none. Run by the first LSU listing of an open server, and by
//! `vast-ost check` for its probe object.

use ost_model::{LsuName, OstError};
use vast_vms_client::{BucketSpec, VmsClient};

use super::super::catalogue::catalogue_marked_or_mark_empty;
use crate::config::ServerConfig;
use crate::error;
use crate::store::DataStore;

/// Whose buckets the LSUs are: the plugin's S3 user in its tenant, and the policy its new
/// bucket views get.
#[derive(Clone, Debug)]
pub(crate) struct LsuOwner {
    /// The plugin's tenant.
    pub(crate) tenant_id: u64,
    /// The S3 user owning the buckets.
    pub(crate) user_name: String,
    /// The view policy of new bucket views.
    pub(crate) policy_id: u64,
}

impl LsuOwner {
    /// The LSUs as VMS lists them now (bucket views of the user in the tenant), unsorted.
    pub(crate) async fn fetch_lsus(&self, vms: &VmsClient) -> Result<Vec<LsuName>, OstError> {
        let views = vms
            .bootstrap()
            .buckets_of(&self.user_name)
            .await
            .map_err(error::vms)?;
        Ok(views
            .into_iter()
            .filter(|v| v.tenant_id.is_none() || v.tenant_id == Some(self.tenant_id))
            .filter_map(|v| v.bucket.and_then(|b| LsuName::new(&b).ok()))
            .collect())
    }

    /// Creates the bucket view `lsu` under `bucket_path_prefix` (idempotent for our own
    /// buckets) and prepares it in `store`.
    pub(crate) async fn create_lsu(
        &self,
        vms: &VmsClient,
        store: &dyn DataStore,
        bucket_path_prefix: &str,
        lsu: &LsuName,
        worm: bool,
    ) -> Result<(), OstError> {
        let prefix = bucket_path_prefix.trim_end_matches('/');
        let mut spec = BucketSpec::new(
            lsu.as_str(),
            format!("{prefix}/{lsu}"),
            &self.user_name,
            self.policy_id,
        )
        .in_tenant(self.tenant_id);
        if worm {
            spec = spec.worm();
        }
        vms.bootstrap()
            .ensure_bucket_view(&spec)
            .await
            .map_err(error::vms)?;
        store.prepare_lsu(lsu).await
    }

    /// Step 6: the LSUs, sorted; when there is none, the default one (`default_lsu`) is
    /// created and is the only one.
    pub(crate) async fn ensure_lsus(
        &self,
        vms: &VmsClient,
        store: &dyn DataStore,
        config: &ServerConfig,
    ) -> Result<Vec<LsuName>, OstError> {
        let mut names = self.fetch_lsus(vms).await?;
        if names.is_empty() {
            let default = LsuName::new(&config.default_lsu)?;
            tracing::info!(lsu = %default, "no LSU yet; creating the default one");
            self.create_lsu(vms, store, &config.bucket_path_prefix, &default, false)
                .await?;
            // NetBackup backs up before it first lists images: the catalogue starts with the
            // LSU, or every list would read every descriptor until a sweep built it.
            if let Err(e) = catalogue_marked_or_mark_empty(store, &default).await {
                tracing::warn!(lsu = %default, error = %e, "could not start the new LSU's listing catalogue; a sweep builds it later");
            }
            names = vec![default];
        }
        names.sort();
        Ok(names)
    }
}
