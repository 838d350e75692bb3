//! Open steps 4 to 6 as `check` reports them: the S3 key, the data path (with an S3
//! reachability probe) and the LSUs, then the probe object written, read back and deleted.

use std::path::Path;

use ost_model::{LsuName, OstError, ServerName};
use vast_s3_data::BufferBudget;
use vast_vms_client::VmsClient;

use super::{Runner, Stop, CHECK_PROBE_KEY};
use crate::config::ServerConfig;
use crate::error;
use crate::server::open::{self, DataKey, DataPath, DataPathError, Identity, LsuOwner};
use crate::store::DataStore;

/// Open step 4 ([`open::obtain_data_key`]).
pub(super) async fn access_key(
    run: &mut Runner<'_>,
    state_dir: &Path,
    name: &ServerName,
    vms: &VmsClient,
    identity: &Identity,
) -> Result<DataKey, Stop> {
    let user = identity
        .data
        .as_ref()
        .map_or(&identity.user.get().name, |d| &d.user.user.get().name);
    match open::obtain_data_key(state_dir, name, vms, identity).await {
        Ok(DataKey::NotNeeded) => {
            run.skipped("access-key", "S3 access key", "data_path = nfs");
            Ok(DataKey::NotNeeded)
        }
        Ok(DataKey::S3(k)) => {
            run.ok(
                "access-key",
                "S3 access key",
                format!(
                    "{} for user {user} (stored under {})",
                    k.access_key,
                    state_dir.display()
                ),
            );
            Ok(DataKey::S3(k))
        }
        Err(e) => run.failed(
            "access-key",
            "S3 access key",
            e.to_string(),
            format!(
                "the state directory {} must be writable, and user {user} may hold at most \
                     two keys: give every media server its own media_server name, or remove a \
                     stale key in VMS",
                state_dir.display(),
            ),
        ),
    }
}

/// Open step 5 ([`open::build_data_store`]), reported as `s3`; on S3, the endpoint must also
/// answer for a bucket of the plugin (the first LSU, else the default one).
#[allow(clippy::too_many_arguments)] // open step 5's inputs plus the check's runner and owner
pub(super) async fn data_path(
    run: &mut Runner<'_>,
    config: &ServerConfig,
    vms: &VmsClient,
    identity: &Identity,
    key: DataKey,
    budget: BufferBudget,
    owner: &LsuOwner,
    scope: open::GateScope<'_>,
) -> Result<DataPath, Stop> {
    const NFS: &str = "data path reachable";
    const S3: &str = "S3 endpoint reachable";
    let built = open::build_data_store(
        config,
        vms,
        identity.tenant_id(),
        key,
        budget,
        vast_s3_data::Throttles::default(),
        scope,
    )
    .await;
    let data = match built {
        Ok(d) => d,
        Err(e) => {
            let (title, hint) = match &e {
                DataPathError::NfsRootUnset => (
                    NFS,
                    "set nfs_root to the mount point of the view root".to_owned(),
                ),
                DataPathError::NfsRootNotADirectory(_) => {
                    (NFS, "mount the view (NFS) at nfs_root first".to_owned())
                }
                DataPathError::S3Endpoint(_) => (
                    S3,
                    "no usable PROTOCOLS VIP pool: create one (or name it with s3_vippool), \
                     or set s3_url"
                        .to_owned(),
                ),
                DataPathError::S3Client(_) => (S3, "check s3_url and ca_bundle".to_owned()),
            };
            return run.failed("s3", title, OstError::from(e).to_string(), hint);
        }
    };
    let Some(client) = &data.s3 else {
        run.ok("s3", NFS, format!("NFS root {}", data.location));
        return Ok(data);
    };
    // Any bucket of ours answers for the endpoint; a listing failure shows at the probe.
    let first = owner.fetch_lsus(vms).await.ok().and_then(|mut l| {
        l.sort();
        l.into_iter().next()
    });
    let bucket = first.map_or_else(|| config.default_lsu.clone(), |l| l.as_str().to_owned());
    let url = &data.location;
    match vast_s3_data::buckets::exists(client, &bucket).await {
        Ok(exists) => {
            run.ok(
                "s3",
                S3,
                format!(
                    "{url} answers (bucket {bucket} {})",
                    if exists { "exists" } else { "not created yet" }
                ),
            );
            Ok(data)
        }
        Err(e) => {
            let mapped = error::data(e);
            let hint = match &mapped {
                OstError::Network { .. } | OstError::Timeout { .. } => format!(
                    "nothing answers S3 at {url}: check that the S3 protocol is enabled on the \
                     cluster, the PROTOCOLS VIP pool (s3_vippool) or s3_url, and the firewall"
                ),
                OstError::Auth { .. } | OstError::PermissionDenied { .. } => {
                    "the S3 key was refused: delete the stored key file under the state \
                     directory so a new key is issued"
                        .to_owned()
                }
                _ => "see the S3 answer above".to_owned(),
            };
            run.failed("s3", S3, mapped.to_string(), hint)
        }
    }
}

/// Open step 6 ([`LsuOwner::ensure_lsus`]: the default LSU is created when there is none),
/// then a probe object written, read back and deleted in the first LSU.
pub(super) async fn probe_object(
    run: &mut Runner<'_>,
    config: &ServerConfig,
    vms: &VmsClient,
    owner: &LsuOwner,
    store: &dyn DataStore,
) -> Result<LsuName, Stop> {
    const TITLE: &str = "probe object write/read/delete";
    let lsus = owner.ensure_lsus(vms, store, config).await;
    let Some(lsu) = lsus.as_ref().ok().and_then(|l| l.first()).cloned() else {
        let cause = lsus
            .err()
            .map_or_else(|| "no LSU".to_owned(), |e| e.to_string());
        return run.failed(
            "probe",
            TITLE,
            format!(
                "listing the LSUs or creating the default LSU {}: {cause}",
                config.default_lsu
            ),
            "the user may not create views: create the bucket view by hand".to_owned(),
        );
    };
    let payload = format!("vast-ost check {}", crate::types::unix_now()).into_bytes();
    let probe = async {
        store
            .put(&lsu, CHECK_PROBE_KEY, payload.clone(), false)
            .await?;
        let back = store.get(&lsu, CHECK_PROBE_KEY).await?;
        store.delete(&lsu, &[CHECK_PROBE_KEY.to_owned()]).await?;
        if back.as_deref() != Some(payload.as_slice()) {
            return Err(OstError::Corrupt {
                cause: "the probe object read back differs from what was written".to_owned(),
            });
        }
        Ok(())
    };
    match probe.await {
        Ok(()) => {
            run.ok(
                "probe",
                TITLE,
                format!(
                    "{} bytes written, read back and deleted in LSU {lsu}",
                    payload.len()
                ),
            );
            Ok(lsu)
        }
        Err(e) => {
            let hint = match &e {
                OstError::NoSpace { .. } => {
                    format!("LSU {lsu} is full: raise its quota or free space")
                }
                OstError::PermissionDenied { .. } | OstError::Auth { .. } => format!(
                    "the S3 user may not write to {lsu}: check the bucket owner and the view \
                     policy ({})",
                    config.view_policy
                ),
                OstError::Network { .. } | OstError::Timeout { .. } => {
                    "the data path dropped the connection: check the network to the VIPs".to_owned()
                }
                _ => "see the answer above".to_owned(),
            };
            run.failed("probe", TITLE, e.to_string(), hint)
        }
    }
}
