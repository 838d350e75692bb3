//! The administrator's governance bypass needs `s3:BypassGovernanceRetention`, which the media
//! servers' identity policy never grants (so an attacker holding a media server's S3 key cannot
//! lift a governance lock). `vast-ost image delete --bypass-governance` runs with VMS
//! credentials: it attaches the identity policy `<s3_user>-governance-bypass` (that one action,
//! on every bucket of the tenant) to this media server's S3 user for the duration of the
//! delete and detaches it afterwards.

use std::future::Future;

use ost_model::OstError;

use super::Server;
use crate::error;

/// `<s3_user>-governance-bypass`.
pub(crate) fn bypass_policy_name(s3_user: &str) -> String {
    format!("{s3_user}-governance-bypass")
}

/// The bypass policy's document: `s3:BypassGovernanceRetention` on every object.
fn bypass_policy_document() -> String {
    serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "VastOstGovernanceBypass",
            "Effect": "Allow",
            "Action": ["s3:BypassGovernanceRetention"],
            "Resource": ["arn:aws:s3:::*"],
        }],
    })
    .to_string()
}

impl Server {
    /// Runs `work` with the governance bypass granted to this media server's S3 user; the
    /// grant is removed afterwards whatever `work` answered (a failed removal is logged with
    /// what to detach by hand).
    pub(crate) async fn with_bypass_grant<T>(
        &self,
        work: impl Future<Output = Result<T, OstError>>,
    ) -> Result<T, OstError> {
        let user_id = self.media_user_id.ok_or_else(|| OstError::NotSupported {
            cause: "the governance bypass needs the S3 data path".to_owned(),
        })?;
        let name = bypass_policy_name(&self.owner.user_name);
        let policy = self
            .vms()
            .bootstrap()
            .ensure_identity_policy(&name, &bypass_policy_document(), self.owner.tenant_id)
            .await
            .map_err(error::vms)?;
        let policy_id = policy.policy.get().id;
        let users = self.vms().users();
        let before: Vec<u64> = users
            .get(user_id)
            .await
            .map_err(error::vms)?
            .s3_policy_ids()
            .into_iter()
            .filter(|p| *p != policy_id)
            .collect();
        let mut with = before.clone();
        with.push(policy_id);
        users
            .update(user_id, &serde_json::json!({ "s3_policies_ids": with }))
            .await
            .map_err(error::vms)?;
        tracing::warn!(policy = %name, user_id, "governance bypass granted to this media server's S3 user for the administrator's delete");
        let result = work.await;
        match users
            .update(user_id, &serde_json::json!({ "s3_policies_ids": before }))
            .await
        {
            Ok(_) => tracing::info!(policy = %name, user_id, "governance bypass grant removed"),
            Err(e) => {
                tracing::error!(policy = %name, user_id, error = %e, "the governance bypass grant could not be removed: detach this identity policy from the user in VMS")
            }
        }
        result
    }
}
