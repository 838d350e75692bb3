//! Step 5b: what the cluster's S3 endpoint does with conditional creates (`If-None-Match: *`)
//! and with checksum headers, and so how the plugin's S3 requests are shaped
//! ([`vast_s3_data::S3Modes`]).
//!
//! Probed once per cluster version with small objects under [`PROBE_PREFIX`] in an LSU (the
//! first one written to, or `vast-ost check`'s probe LSU), and cached in
//! `<state_dir>/capabilities/<server>.json` with the cluster's name and version: a cache of
//! another version (an upgrade) is probed again. Until the answer is known nothing is written:
//! the S3 store asks [`CapabilityGate::ensure`] before every write.

use std::path::{Path, PathBuf};

use ost_model::{LsuName, OstError, ServerName};
use serde::{Deserialize, Serialize};
use tokio::sync::OnceCell;
use vast_s3_data::capabilities::{probe_checksum, probe_conditional_create};
use vast_s3_data::{ChecksumMode, ConditionalCreate, S3Client, S3Modes};

use crate::config::S3ChecksumSetting;
use crate::error;

/// Key prefix of the probe objects (each probe writes and deletes its own key).
pub(crate) const PROBE_PREFIX: &str = "netbackup/.vast-ost-probe/";

/// What a probe found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Capabilities {
    /// `If-None-Match: *` on writes.
    pub(crate) conditional_create: ConditionalCreate,
    /// The best body checksum the endpoint takes, when probed (`s3_checksum = "auto"`).
    pub(crate) checksum: Option<ChecksumMode>,
}

/// The cache file's content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct CacheFile {
    cluster: String,
    version: String,
    conditional_create: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    checksum: Option<String>,
    probed_unix: u64,
}

/// The cluster the cache belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ClusterKey {
    /// Its name.
    pub(crate) name: String,
    /// Its software version (empty when VMS does not tell).
    pub(crate) version: String,
}

/// The modes `setting` and `found` give.
pub(crate) fn modes_for(setting: S3ChecksumSetting, found: Option<Capabilities>) -> S3Modes {
    let checksum = match setting {
        S3ChecksumSetting::Crc32c => ChecksumMode::Crc32c,
        S3ChecksumSetting::Md5 => ChecksumMode::Md5,
        S3ChecksumSetting::None => ChecksumMode::None,
        S3ChecksumSetting::Auto => found
            .and_then(|f| f.checksum)
            .unwrap_or(ChecksumMode::Crc32c),
    };
    S3Modes {
        checksum,
        conditional_create: found.map_or(ConditionalCreate::Honoured, |f| f.conditional_create),
    }
}

/// Probes the endpoint in `bucket`: conditional create always, the checksum when `setting` is
/// `auto`.
pub(crate) async fn probe(
    client: &S3Client,
    bucket: &str,
    setting: S3ChecksumSetting,
) -> Result<Capabilities, OstError> {
    let conditional_create = probe_conditional_create(client, bucket, PROBE_PREFIX)
        .await
        .map_err(error::data)?;
    let checksum = if setting == S3ChecksumSetting::Auto {
        Some(
            probe_checksum(client, bucket, PROBE_PREFIX)
                .await
                .map_err(error::data)?,
        )
    } else {
        None
    };
    Ok(Capabilities {
        conditional_create,
        checksum,
    })
}

fn cache_path(state_dir: &Path, server: &ServerName) -> PathBuf {
    state_dir
        .join("capabilities")
        .join(format!("{}.json", crate::config::state_file_stem(server)))
}

/// The cached answer for `cluster`, when there is one of its version that covers `setting`.
pub(crate) fn cached(
    state_dir: &Path,
    server: &ServerName,
    cluster: &ClusterKey,
    setting: S3ChecksumSetting,
) -> Option<Capabilities> {
    let text = std::fs::read(cache_path(state_dir, server)).ok()?;
    let file: CacheFile = serde_json::from_slice(&text).ok()?;
    if file.cluster != cluster.name || file.version != cluster.version {
        return None;
    }
    let checksum = match file.checksum.as_deref() {
        Some(c) => Some(ChecksumMode::parse(c)?),
        None if setting == S3ChecksumSetting::Auto => return None,
        None => None,
    };
    Some(Capabilities {
        conditional_create: ConditionalCreate::parse(&file.conditional_create)?,
        checksum,
    })
}

/// Stores `found` as the answer for `cluster` (a failure is logged: the next process probes
/// again).
pub(crate) fn save(
    state_dir: &Path,
    server: &ServerName,
    cluster: &ClusterKey,
    found: Capabilities,
) {
    let file = CacheFile {
        cluster: cluster.name.clone(),
        version: cluster.version.clone(),
        conditional_create: found.conditional_create.as_str().to_owned(),
        checksum: found.checksum.map(|c| c.as_str().to_owned()),
        probed_unix: crate::types::unix_now(),
    };
    let path = cache_path(state_dir, server);
    let written = serde_json::to_vec_pretty(&file)
        .map_err(|e| OstError::Internal {
            cause: format!("encoding the capability cache: {e}"),
        })
        .and_then(|body| {
            let dir = path.parent().unwrap_or(state_dir);
            crate::private_file::ensure_private_dir(dir)?;
            crate::private_file::write_private(&path, &body, "the S3 capability cache")
        });
    if let Err(e) = written {
        tracing::warn!(file = %path.display(), error = %e, "could not cache the S3 capabilities");
    }
}

/// The S3 capabilities of one open server: known from the cache at open, or probed before the
/// first write. Applies the resulting [`S3Modes`] to the server's S3 client.
pub(crate) struct CapabilityGate {
    client: S3Client,
    state_dir: PathBuf,
    server: ServerName,
    cluster: ClusterKey,
    setting: S3ChecksumSetting,
    known: OnceCell<Capabilities>,
}

impl CapabilityGate {
    /// A gate for `client`; a cached answer for this cluster version is applied at once.
    pub(crate) fn new(
        client: S3Client,
        state_dir: PathBuf,
        server: ServerName,
        cluster: ClusterKey,
        setting: S3ChecksumSetting,
    ) -> Self {
        let found = cached(&state_dir, &server, &cluster, setting);
        client.set_modes(modes_for(setting, found));
        let known = OnceCell::new();
        if let Some(found) = found {
            tracing::debug!(server = %server, ?found, "S3 capabilities from the cache");
            let _ = known.set(found);
        }
        Self {
            client,
            state_dir,
            server,
            cluster,
            setting,
            known,
        }
    }

    /// Makes sure the capabilities are known, probing in `lsu` the first time.
    pub(crate) async fn ensure(&self, lsu: &LsuName) -> Result<(), OstError> {
        self.known
            .get_or_try_init(|| self.probe_in(lsu))
            .await
            .map(drop)
    }

    /// Probes in `lsu` now, whatever is cached (`vast-ost check`), and applies the answer.
    pub(crate) async fn probe_now(&self, lsu: &LsuName) -> Result<Capabilities, OstError> {
        let found = self.probe_in(lsu).await?;
        let _ = self.known.set(found);
        Ok(found)
    }

    /// The modes requests follow now.
    pub(crate) fn modes(&self) -> S3Modes {
        self.client.modes()
    }

    /// The `s3_checksum` setting.
    pub(crate) fn setting(&self) -> S3ChecksumSetting {
        self.setting
    }

    async fn probe_in(&self, lsu: &LsuName) -> Result<Capabilities, OstError> {
        let found = probe(&self.client, lsu.as_str(), self.setting).await?;
        let modes = modes_for(self.setting, Some(found));
        tracing::info!(
            server = %self.server,
            cluster = %self.cluster.name,
            version = %self.cluster.version,
            conditional_create = found.conditional_create.as_str(),
            checksum = modes.checksum.as_str(),
            "S3 capabilities probed"
        );
        save(&self.state_dir, &self.server, &self.cluster, found);
        self.client.set_modes(modes);
        Ok(found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(version: &str) -> ClusterKey {
        ClusterKey {
            name: "c1".to_owned(),
            version: version.to_owned(),
        }
    }

    #[test]
    fn the_cache_is_kept_per_cluster_version_and_setting() {
        let dir = tempfile::tempdir().unwrap();
        let server: ServerName = "vast://10.0.0.1".parse().unwrap();
        let found = Capabilities {
            conditional_create: ConditionalCreate::Ignored,
            checksum: Some(ChecksumMode::Md5),
        };
        save(dir.path(), &server, &key("5.3.1"), found);
        let auto = S3ChecksumSetting::Auto;
        assert_eq!(
            cached(dir.path(), &server, &key("5.3.1"), auto),
            Some(found)
        );
        // An upgraded cluster is probed again.
        assert_eq!(cached(dir.path(), &server, &key("5.4.0"), auto), None);

        // A cache written with a configured checksum does not answer `auto`.
        let configured = Capabilities {
            conditional_create: ConditionalCreate::Refused,
            checksum: None,
        };
        save(dir.path(), &server, &key("5.3.1"), configured);
        assert_eq!(cached(dir.path(), &server, &key("5.3.1"), auto), None);
        assert_eq!(
            cached(dir.path(), &server, &key("5.3.1"), S3ChecksumSetting::Md5),
            Some(configured)
        );
    }

    #[test]
    fn a_configured_checksum_wins_over_the_probe() {
        let found = Some(Capabilities {
            conditional_create: ConditionalCreate::Refused,
            checksum: Some(ChecksumMode::None),
        });
        let auto = modes_for(S3ChecksumSetting::Auto, found);
        assert_eq!(auto.checksum, ChecksumMode::None);
        assert!(!auto.uses_if_none_match());
        assert_eq!(
            modes_for(S3ChecksumSetting::Md5, found).checksum,
            ChecksumMode::Md5
        );
        // Nothing known yet: what AWS S3 does.
        let default = modes_for(S3ChecksumSetting::Auto, None);
        assert_eq!(default.checksum, ChecksumMode::Crc32c);
        assert!(default.uses_if_none_match());
    }
}
