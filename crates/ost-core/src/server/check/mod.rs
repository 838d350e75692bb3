//! The open-server path, step by step, for administrators (`vast-ost check`): the very steps
//! of `Server::open` (`super::open`), with probes around them (DNS, TCP, TLS, S3
//! reachability, a probe object), each reported as ok / failed / skipped with the cause and a
//! hint of what to fix. Stops at the first failure.
//!
//! `network.rs`: DNS and TCP; `vms.rs`: open steps 1 to 3 (TLS and login, cluster, tenant /
//! user / policy); `data.rs`: open steps 4 to 6 (S3 key, data path, LSUs) and the probe object;
//! `capabilities.rs`: the S3 capabilities probed afresh (conditional create, checksums, quota
//! answer, object lock, cluster version) and what the plugin does because of each.

mod capabilities;
mod data;
mod network;
mod vms;

use std::path::{Path, PathBuf};

use ost_model::ServerName;
use vast_s3_data::BufferBudget;

use super::open::VmsSession;
use crate::config::ServerConfig;
use crate::types::Credentials;

/// Key of the probe object `check` writes, reads back and deletes.
pub const CHECK_PROBE_KEY: &str = "netbackup/.vast-ost-check-probe";

/// How one step of a server check ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckOutcome {
    /// The step passed.
    Ok,
    /// The step failed; the check stops here.
    Failed,
    /// The step does not apply (e.g. TLS on a plain `http://` URL).
    Skipped,
}

/// One step of a server check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckStep {
    /// Short machine name (`dns`, `tcp`, `tls`, `login`, `cluster`, `rules`, `bootstrap`,
    /// `media-server`, `access-key`, `s3`, `probe`, `conditional-create`, `checksums`,
    /// `quota-answer`, `object-lock`, `cluster-version`).
    pub name: &'static str,
    /// What the step checks, for people.
    pub title: &'static str,
    /// How it ended.
    pub outcome: CheckOutcome,
    /// What was found, or the cause of the failure (the server's answer).
    pub detail: String,
    /// What to try, for a failed step.
    pub hint: Option<String>,
}

/// Result of a server check: the steps run, in order (the last one failed when not all ok).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CheckReport {
    /// Steps run, in order.
    pub steps: Vec<CheckStep>,
}

impl CheckReport {
    /// True when no step failed.
    pub fn passed(&self) -> bool {
        self.steps.iter().all(|s| s.outcome != CheckOutcome::Failed)
    }

    /// The failed step, if any.
    pub fn failure(&self) -> Option<&CheckStep> {
        self.steps
            .iter()
            .find(|s| s.outcome == CheckOutcome::Failed)
    }
}

/// Runs the steps and reports each one to `on_step` as it ends.
struct Runner<'a> {
    report: CheckReport,
    on_step: &'a mut (dyn FnMut(&CheckStep) + Send),
}

impl Runner<'_> {
    fn push(&mut self, step: CheckStep) {
        (self.on_step)(&step);
        self.report.steps.push(step);
    }

    fn ok(&mut self, name: &'static str, title: &'static str, detail: String) {
        self.push(CheckStep {
            name,
            title,
            outcome: CheckOutcome::Ok,
            detail,
            hint: None,
        });
    }

    fn skipped(&mut self, name: &'static str, title: &'static str, detail: &str) {
        self.push(CheckStep {
            name,
            title,
            outcome: CheckOutcome::Skipped,
            detail: detail.to_owned(),
            hint: None,
        });
    }

    /// Reports a failed step: the check stops here.
    fn failed<T>(
        &mut self,
        name: &'static str,
        title: &'static str,
        detail: String,
        hint: String,
    ) -> Result<T, Stop> {
        self.push(CheckStep {
            name,
            title,
            outcome: CheckOutcome::Failed,
            detail,
            hint: Some(hint),
        });
        Err(Stop)
    }
}

/// Runs the open-server path for `name` step by step: the steps of [`Server::open`]
/// (`super::open`) with probes and hints around them. Never fails as a call: a failure is the
/// report's last step. `on_step` sees each step as it ends (for live output). `local` is the
/// state directory and this media server's name.
///
/// [`Server::open`]: super::Server::open
pub(crate) async fn check_server(
    name: &ServerName,
    config: &ServerConfig,
    credentials: Option<Credentials>,
    local: (PathBuf, &str),
    budget: BufferBudget,
    on_step: &mut (dyn FnMut(&CheckStep) + Send),
) -> CheckReport {
    let mut run = Runner {
        report: CheckReport::default(),
        on_step,
    };
    // A failure is already the report's last step.
    let (state_dir, media_server) = local;
    let local = (state_dir.as_path(), media_server);
    let _stopped = steps(&mut run, name, config, credentials, local, budget).await;
    run.report
}

/// A step failed and was reported; the check stops.
struct Stop;

async fn steps(
    run: &mut Runner<'_>,
    name: &ServerName,
    config: &ServerConfig,
    credentials: Option<Credentials>,
    (state_dir, media_server): (&Path, &str),
    budget: BufferBudget,
) -> Result<(), Stop> {
    let (scheme, host) = network::probe(run, config, name).await?;
    let VmsSession { vms, auth } =
        vms::login(run, name, config, credentials, &scheme, &host).await?;
    let (cluster, profile) = vms::cluster(run, &vms, &auth).await?;
    let identity = vms::identity(run, &vms, config, &auth, profile, media_server).await?;
    let key = data::access_key(run, state_dir, name, &vms, &identity).await?;
    let owner = identity.owner();
    let version = cluster.sw_version.clone().unwrap_or_default();
    let scope = super::open::GateScope {
        state_dir,
        server: name,
        cluster: super::open::ClusterKey {
            name: cluster.name.clone(),
            version: version.clone(),
        },
    };
    let data = data::data_path(run, config, &vms, &identity, key, budget, &owner, scope).await?;
    let lsu = data::probe_object(run, config, &vms, &owner, data.store.as_ref()).await?;
    capabilities::report(run, &data, &lsu, &vms, &version).await
}
