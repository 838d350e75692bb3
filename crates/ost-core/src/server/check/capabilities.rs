//! The S3 capabilities as `check` reports them: probed afresh in the probe LSU (and cached for
//! the plugin, see `open::capabilities`), each with what the plugin does because of it.

use ost_model::LsuName;
use vast_s3_data::{ChecksumMode, ConditionalCreate};
use vast_vms_client::VmsClient;

use super::{Runner, Stop};
use crate::config::S3ChecksumSetting;
use crate::server::open::DataPath;
use crate::store::refusal::QuotaCheck;

/// Reports conditional create, checksums, the quota answer, object lock and the cluster version.
pub(super) async fn report(
    run: &mut Runner<'_>,
    data: &DataPath,
    lsu: &LsuName,
    vms: &VmsClient,
    version: &str,
) -> Result<(), Stop> {
    let Some(gate) = &data.gate else {
        run.skipped(
            "conditional-create",
            "S3 capabilities",
            "data_path = nfs: no S3",
        );
        return Ok(());
    };
    let found = match gate.probe_now(lsu).await {
        Ok(found) => found,
        Err(e) => {
            return run.failed(
                "conditional-create",
                "S3 capabilities",
                e.to_string(),
                format!(
                    "the probe objects under {} in LSU {lsu} could not be written or deleted",
                    crate::server::open::PROBE_PREFIX
                ),
            )
        }
    };
    let modes = gate.modes();
    run.ok(
        "conditional-create",
        "conditional create (If-None-Match: *)",
        match found.conditional_create {
            ConditionalCreate::Honoured => {
                "honoured (412 on the second create): descriptors are created with If-None-Match: *"
                    .to_owned()
            }
            other => format!(
                "{} by the cluster: descriptors are created by check, write and read back, \
                 guarded by the writer lease (see docs/ARCHITECTURE.md, data path)",
                other.as_str()
            ),
        },
    );
    let how = match modes.checksum {
        ChecksumMode::Crc32c => "x-amz-checksum-crc32c on every part and object",
        ChecksumMode::Md5 => "Content-MD5 on every part and object",
        ChecksumMode::None => "no body checksum on the wire (TLS only)",
    };
    let why = match (gate.setting(), found.checksum) {
        (S3ChecksumSetting::Auto, Some(best)) => {
            format!("s3_checksum = auto, the cluster takes {}", best.as_str())
        }
        (setting, _) => format!("s3_checksum = {}", setting.as_str()),
    };
    run.ok(
        "checksums",
        "S3 checksums",
        format!("{why}: {how}; the descriptor keeps the plugin's CRC32C of each image"),
    );
    let quota = QuotaCheck::new(vms.clone(), 0);
    let state = match quota.state(lsu).await {
        Ok(Some(q)) => format!(
            "LSU {lsu} quota: {} of {} bytes used ({})",
            q.used,
            if q.hard_limit == 0 {
                "unlimited".to_owned()
            } else {
                q.hard_limit.to_string()
            },
            if q.state.is_empty() {
                "state unknown"
            } else {
                &q.state
            }
        ),
        Ok(None) => format!("LSU {lsu} has no quota"),
        Err(e) => format!("the quota of LSU {lsu} could not be read: {e}"),
    };
    run.ok(
        "quota-answer",
        "answer to a write past a full quota",
        format!(
            "not probed (it would fill a quota): QuotaExceeded, 507 and 413 mean no space; a \
             write refused with 403 AccessDenied or 500 is answered no space only when VMS \
             reports the bucket's quota full. {state}"
        ),
    );
    let lock = match vms.views().by_bucket(lsu.as_str()).await {
        Ok(Some(v)) if v.locking == Some(true) => {
            format!("LSU {lsu} is a WORM view (S3 object lock): images are WORM-locked LSU images")
        }
        Ok(Some(_)) => format!("LSU {lsu}: not a WORM view, no object lock"),
        Ok(None) => format!("LSU {lsu}: no bucket view found"),
        Err(e) => format!("LSU {lsu}: the view could not be read: {e}"),
    };
    run.ok("object-lock", "object lock", lock);
    run.ok(
        "cluster-version",
        "cluster version",
        format!(
            "{}: the capabilities above are cached per version and probed again after an upgrade",
            if version.is_empty() {
                "unknown"
            } else {
                version
            }
        ),
    );
    Ok(())
}
