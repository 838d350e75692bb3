//! The open-server path, step by step, for administrators (`vast-ost check`): the very steps
//! of `Server::open` (`super::open`), with probes around them (DNS, TCP, TLS, S3
//! reachability, a probe object), each reported as ok / failed / skipped with the cause and a
//! hint of what to fix. Stops at the first failure.

use std::path::{Path, PathBuf};
use std::time::Duration;

use ost_model::{OstError, ServerName};
use vast_s3_data::BufferBudget;
use vast_vms_client::VmsClient;

use super::auth::VmsAuth;
use super::open::{
    self, ClusterError, ConnectError, DataKey, DataPath, DataPathError, Identity, LsuOwner,
    VmsSession,
};
use crate::config::ServerConfig;
use crate::errors;
use crate::store::DataStore;
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
    /// Short machine name (`dns`, `tcp`, `tls`, `login`, `cluster`, `bootstrap`, `access-key`,
    /// `s3`, `probe`).
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

/// Host, port and scheme of a URL (`scheme://host[:port][/...]`).
fn split_url(url: &str) -> Option<(String, String, u16)> {
    let (scheme, rest) = url.split_once("://")?;
    let authority = rest.split('/').next()?;
    let authority = authority.rsplit('@').next()?;
    let default = if scheme.eq_ignore_ascii_case("https") {
        443
    } else {
        80
    };
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let (h, after) = v6.split_once(']')?;
        let port = match after.strip_prefix(':') {
            Some(p) => p.parse().ok()?,
            None => default,
        };
        (h.to_owned(), port)
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (h.to_owned(), p.parse().ok()?),
            None => (authority.to_owned(), default),
        }
    };
    Some((scheme.to_ascii_lowercase(), host, port))
}

fn trust_hint(config: &ServerConfig) -> String {
    match &config.ca_bundle {
        Some(ca) => format!(
            "the certificate is not signed by a CA in {}: put the cluster's CA (or its \
             self-signed certificate) in that PEM file",
            ca.display()
        ),
        None => "the certificate is not trusted by the system roots: set ca_bundle to a PEM \
                 file with the cluster's CA (or its self-signed certificate), e.g. \
                 `--ca-bundle FILE`; `insecure = true` is for labs only"
            .to_owned(),
    }
}

fn vms_hint(err: &vast_vms_client::Error, auth: &VmsAuth) -> String {
    use vast_vms_client::Error as E;
    let user = auth.who();
    match err {
        E::AuthFailed { .. } if matches!(auth, VmsAuth::ApiToken { .. }) => format!(
            "VMS refused {user}: it may be expired or revoked; issue a new one with \
             `vast-ost bootstrap` (see docs/configuration.md)"
        ),
        E::AuthFailed { .. } => format!(
            "check the VMS user name ({user}) and its password (--user, --password-file or \
             VAST_OST_PASSWORD); the account may also be locked or disabled"
        ),
        E::PermissionDenied { .. } => format!(
            "user {user} lacks a permission: give it a role with create/view rights on tenants, \
             users, view policies and views"
        ),
        E::Tls { .. } => {
            "the TLS handshake failed: check ca_bundle / the cluster certificate".to_owned()
        }
        E::Transport { .. } | E::Timeout { .. } => {
            "the VMS did not answer: check the address, the firewall and that VMS is running"
                .to_owned()
        }
        E::NotFound { .. } => {
            "the VMS URL does not look like a VMS REST API: check vms_url".to_owned()
        }
        _ => "see the VMS answer above".to_owned(),
    }
}

/// Runs the open-server path for `name` step by step: the steps of [`Server::open`]
/// (`super::open`) with probes and hints around them. Never fails as a call: a failure is the
/// report's last step. `on_step` sees each step as it ends (for live output).
///
/// [`Server::open`]: super::Server::open
pub(crate) async fn check_server(
    name: &ServerName,
    config: &ServerConfig,
    credentials: Option<Credentials>,
    state_dir: PathBuf,
    budget: BufferBudget,
    on_step: &mut (dyn FnMut(&CheckStep) + Send),
) -> CheckReport {
    let mut run = Runner {
        report: CheckReport::default(),
        on_step,
    };
    // A failure is already the report's last step.
    let _stopped = steps(&mut run, name, config, credentials, &state_dir, budget).await;
    run.report
}

/// A step failed and was reported; the check stops.
struct Stop;

async fn steps(
    run: &mut Runner<'_>,
    name: &ServerName,
    config: &ServerConfig,
    credentials: Option<Credentials>,
    state_dir: &Path,
    budget: BufferBudget,
) -> Result<(), Stop> {
    let (scheme, host) = probe_network(run, config, name).await?;
    let VmsSession { vms, auth } = login(run, name, config, credentials, &scheme, &host).await?;
    cluster(run, &vms, &auth).await?;
    let identity = identity(run, &vms, config, &auth).await?;
    let key = access_key(run, config, state_dir, name, &vms, &identity).await?;
    let owner = identity.owner();
    let data = data_path(run, config, &vms, &identity, key, budget, &owner).await?;
    probe_object(run, config, &vms, &owner, data.store.as_ref()).await
}

/// DNS and TCP to the VMS address: the scheme and host name of the VMS URL.
async fn probe_network(
    run: &mut Runner<'_>,
    config: &ServerConfig,
    name: &ServerName,
) -> Result<(String, String), Stop> {
    let vms_url = config.vms_url_for(name);
    let connect_timeout = Duration::from_secs(config.connect_timeout_secs.max(1));
    let Some((scheme, host, port)) = split_url(&vms_url) else {
        return run.failed(
            "dns",
            "resolve the VMS host name",
            format!("cannot read a host out of the VMS URL {vms_url:?}"),
            "set vms_url to https://HOST[:PORT]".to_owned(),
        );
    };
    let addrs: Vec<std::net::SocketAddr> =
        match tokio::net::lookup_host((host.as_str(), port)).await {
            Ok(a) => a.collect(),
            Err(e) => {
                return run.failed(
                    "dns",
                    "resolve the VMS host name",
                    format!("{host}: {e}"),
                    "check the spelling of the host name and the DNS servers of this host \
                     (/etc/resolv.conf)"
                        .to_owned(),
                );
            }
        };
    let Some(first) = addrs.first().copied() else {
        return run.failed(
            "dns",
            "resolve the VMS host name",
            format!("{host} has no address"),
            "check the DNS record of the VMS host".to_owned(),
        );
    };
    let shown: Vec<String> = addrs.iter().map(|a| a.ip().to_string()).collect();
    run.ok(
        "dns",
        "resolve the VMS host name",
        format!("{host} -> {}", shown.join(", ")),
    );

    match tokio::time::timeout(connect_timeout, tokio::net::TcpStream::connect(first)).await {
        Ok(Ok(_)) => run.ok(
            "tcp",
            "connect to VMS",
            format!("{first} accepts connections"),
        ),
        Ok(Err(e)) => {
            return run.failed(
                "tcp",
                "connect to VMS",
                format!("{first}: {e}"),
                format!(
                    "nothing accepts connections on {first}: check the port, the firewall and \
                 that VMS is running"
                ),
            )
        }
        Err(_) => {
            return run.failed(
                "tcp",
                "connect to VMS",
                format!("{first}: no answer within {connect_timeout:?}"),
                "a firewall probably drops the packets: open the port from this host".to_owned(),
            )
        }
    }
    Ok((scheme, host))
}

/// Open step 1 ([`open::connect_vms`]), reported as `tls` (the login is the first TLS
/// connection) and `login`.
async fn login(
    run: &mut Runner<'_>,
    name: &ServerName,
    config: &ServerConfig,
    credentials: Option<Credentials>,
    scheme: &str,
    host: &str,
) -> Result<VmsSession, Stop> {
    let refused = match open::connect_vms(name, config, credentials).await {
        Ok(session) => {
            tls_passed(run, config, scheme, host);
            run.ok(
                "login",
                "log in to VMS",
                format!(
                    "{} accepted at {}",
                    session.auth.who(),
                    config.vms_url_for(name)
                ),
            );
            return Ok(session);
        }
        Err(ConnectError::Credentials(e)) => {
            return run.failed(
                "login",
                "log in to VMS",
                e.to_string(),
                "give --user and a password (--password-file, VAST_OST_PASSWORD or the prompt), \
                 username/password in the configuration, or api_token_file (vast-ost bootstrap)"
                    .to_owned(),
            );
        }
        Err(ConnectError::Client(e)) => {
            return run.failed(
                "tls",
                "TLS and certificate",
                e.to_string(),
                "fix ca_bundle in the configuration (a readable PEM file)".to_owned(),
            );
        }
        Err(ConnectError::Refused { auth, error }) => (auth, error),
    };
    let (auth, error) = refused;
    let tls_failed = matches!(error, vast_vms_client::Error::Tls { .. });
    if scheme == "https" && tls_failed {
        return run.failed(
            "tls",
            "TLS and certificate",
            error.to_string(),
            trust_hint(config),
        );
    }
    if !tls_failed {
        tls_passed(run, config, scheme, host);
    }
    let hint = vms_hint(&error, &auth);
    run.failed("login", "log in to VMS", error.to_string(), hint)
}

/// The `tls` step of a connection that got past TLS: how the certificate was checked, or
/// skipped for plain http.
fn tls_passed(run: &mut Runner<'_>, config: &ServerConfig, scheme: &str, host: &str) {
    if scheme != "https" {
        run.skipped(
            "tls",
            "TLS and certificate",
            "plain http:// (no TLS): use https in production",
        );
        return;
    }
    let how = if config.insecure {
        "NOT verified (insecure = true)".to_owned()
    } else if let Some(ca) = &config.ca_bundle {
        format!("verified against {}", ca.display())
    } else {
        "verified against the system roots".to_owned()
    };
    run.ok(
        "tls",
        "TLS and certificate",
        format!("certificate of {host} {how}"),
    );
}

/// Open step 2 ([`open::verify_cluster`]).
async fn cluster(run: &mut Runner<'_>, vms: &VmsClient, auth: &VmsAuth) -> Result<(), Stop> {
    match open::verify_cluster(vms).await {
        Ok(c) => {
            run.ok(
                "cluster",
                "cluster state",
                format!(
                    "{} is ONLINE (version {})",
                    c.name,
                    c.sw_version.as_deref().unwrap_or("unknown")
                ),
            );
            Ok(())
        }
        Err(ClusterError::NotOnline(c)) => run.failed(
            "cluster",
            "cluster state",
            format!("{} is {}", c.name, ClusterError::state(&c)),
            "wait until the cluster is ONLINE (see the VAST web UI for its alarms)".to_owned(),
        ),
        Err(ClusterError::Vms(e)) => {
            let hint = vms_hint(&e, auth);
            run.failed("cluster", "cluster state", e.to_string(), hint)
        }
    }
}

/// Open step 3 ([`open::ensure_identity`]), reported as `bootstrap`.
async fn identity(
    run: &mut Runner<'_>,
    vms: &VmsClient,
    config: &ServerConfig,
    auth: &VmsAuth,
) -> Result<Identity, Stop> {
    match open::ensure_identity(vms, config).await {
        Ok(id) => {
            let state = |created: bool| if created { "created" } else { "exists" };
            run.ok(
                "bootstrap",
                "tenant, S3 user and view policy",
                format!(
                    "tenant {} ({}), user {} ({}), policy {} ({})",
                    id.tenant.get().name,
                    state(id.tenant.was_created()),
                    id.user.get().name,
                    state(id.user.was_created()),
                    id.policy.get().name,
                    state(id.policy.was_created())
                ),
            );
            Ok(id)
        }
        Err(e) => {
            let hint = match &e {
                vast_vms_client::Error::PermissionDenied { .. } => format!(
                    "{} may not create tenants, users or view policies: run `vast-ost \
                     bootstrap` with an admin account once, or create tenant {:?} and user {:?} \
                     by hand",
                    auth.who(),
                    config.tenant,
                    config.s3_user
                ),
                other => vms_hint(other, auth),
            };
            run.failed(
                "bootstrap",
                "tenant, S3 user and view policy",
                e.to_string(),
                hint,
            )
        }
    }
}

/// Open step 4 ([`open::obtain_data_key`]).
async fn access_key(
    run: &mut Runner<'_>,
    config: &ServerConfig,
    state_dir: &Path,
    name: &ServerName,
    vms: &VmsClient,
    identity: &Identity,
) -> Result<DataKey, Stop> {
    let user = &identity.user.get().name;
    match open::obtain_data_key(config, state_dir, name, vms, identity).await {
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
                     two keys: remove a stale one in VMS",
                state_dir.display(),
            ),
        ),
    }
}

/// Open step 5 ([`open::build_data_store`]), reported as `s3`; on S3, the endpoint must also
/// answer for a bucket of the plugin (the first LSU, else the default one).
async fn data_path(
    run: &mut Runner<'_>,
    config: &ServerConfig,
    vms: &VmsClient,
    identity: &Identity,
    key: DataKey,
    budget: BufferBudget,
    owner: &LsuOwner,
) -> Result<DataPath, Stop> {
    const NFS: &str = "data path reachable";
    const S3: &str = "S3 endpoint reachable";
    let data = match open::build_data_store(config, vms, identity.tenant_id(), key, budget).await {
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
            let mapped = errors::data(e);
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
async fn probe_object(
    run: &mut Runner<'_>,
    config: &ServerConfig,
    vms: &VmsClient,
    owner: &LsuOwner,
    store: &dyn DataStore,
) -> Result<(), Stop> {
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
            Ok(())
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_split_into_scheme_host_port() {
        assert_eq!(
            split_url("https://vms.example.com"),
            Some(("https".into(), "vms.example.com".into(), 443))
        );
        assert_eq!(
            split_url("http://127.0.0.1:8080/api"),
            Some(("http".into(), "127.0.0.1".into(), 8080))
        );
        assert_eq!(
            split_url("https://[::1]:9443/"),
            Some(("https".into(), "::1".into(), 9443))
        );
        assert_eq!(split_url("vms.example.com"), None);
    }
}
