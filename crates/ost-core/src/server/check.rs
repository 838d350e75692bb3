//! The open-server path, step by step, for administrators (`vast-ost check`): every step of
//! [`Server::open`] plus a probe object, each reported as ok / failed / skipped with the cause
//! and a hint of what to fix. Stops at the first failure.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use ost_model::{LsuName, OstError, ServerName};
use vast_s3_data::BufferBudget;
use vast_vms_client::{BucketSpec, S3UserSpec};

use super::{build_s3, build_vms, keys, resolve_s3_url, VmsAuth};
use crate::config::{DataPathKind, ServerConfig};
use crate::errors;
use crate::store::nfs::NfsStore;
use crate::store::s3::S3Store;
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
    fn push(&mut self, step: CheckStep) -> bool {
        (self.on_step)(&step);
        let ok = step.outcome != CheckOutcome::Failed;
        self.report.steps.push(step);
        ok
    }

    fn ok(&mut self, name: &'static str, title: &'static str, detail: String) -> bool {
        self.push(CheckStep {
            name,
            title,
            outcome: CheckOutcome::Ok,
            detail,
            hint: None,
        })
    }

    fn skipped(&mut self, name: &'static str, title: &'static str, detail: &str) -> bool {
        self.push(CheckStep {
            name,
            title,
            outcome: CheckOutcome::Skipped,
            detail: detail.to_owned(),
            hint: None,
        })
    }

    fn failed(
        &mut self,
        name: &'static str,
        title: &'static str,
        detail: String,
        hint: String,
    ) -> bool {
        self.push(CheckStep {
            name,
            title,
            outcome: CheckOutcome::Failed,
            detail,
            hint: Some(hint),
        })
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

/// Runs the open-server path for `name` step by step. Never fails as a call: a failure is
/// the report's last step. `on_step` sees each step as it ends (for live output).
pub(crate) async fn check_server(
    name: &ServerName,
    config: &ServerConfig,
    credentials: Option<Credentials>,
    state_dir: PathBuf,
    on_step: &mut (dyn FnMut(&CheckStep) + Send),
) -> CheckReport {
    let mut run = Runner {
        report: CheckReport::default(),
        on_step,
    };
    steps(&mut run, name, config, credentials, state_dir).await;
    run.report
}

async fn steps(
    run: &mut Runner<'_>,
    name: &ServerName,
    config: &ServerConfig,
    credentials: Option<Credentials>,
    state_dir: PathBuf,
) {
    let vms_url = config.vms_url_for(name);
    let connect_timeout = Duration::from_secs(config.connect_timeout_secs.max(1));

    // DNS.
    let Some((scheme, host, port)) = split_url(&vms_url) else {
        run.failed(
            "dns",
            "resolve the VMS host name",
            format!("cannot read a host out of the VMS URL {vms_url:?}"),
            "set vms_url to https://HOST[:PORT]".to_owned(),
        );
        return;
    };
    let addrs: Vec<std::net::SocketAddr> =
        match tokio::net::lookup_host((host.as_str(), port)).await {
            Ok(a) => a.collect(),
            Err(e) => {
                run.failed(
                    "dns",
                    "resolve the VMS host name",
                    format!("{host}: {e}"),
                    "check the spelling of the host name and the DNS servers of this host \
                     (/etc/resolv.conf)"
                        .to_owned(),
                );
                return;
            }
        };
    let Some(first) = addrs.first().copied() else {
        run.failed(
            "dns",
            "resolve the VMS host name",
            format!("{host} has no address"),
            "check the DNS record of the VMS host".to_owned(),
        );
        return;
    };
    let shown: Vec<String> = addrs.iter().map(|a| a.ip().to_string()).collect();
    run.ok(
        "dns",
        "resolve the VMS host name",
        format!("{host} -> {}", shown.join(", ")),
    );

    // TCP.
    match tokio::time::timeout(connect_timeout, tokio::net::TcpStream::connect(first)).await {
        Ok(Ok(_)) => run.ok(
            "tcp",
            "connect to VMS",
            format!("{first} accepts connections"),
        ),
        Ok(Err(e)) => run.failed(
            "tcp",
            "connect to VMS",
            format!("{first}: {e}"),
            format!(
                "nothing accepts connections on {first}: check the port, the firewall and \
                 that VMS is running"
            ),
        ),
        Err(_) => run.failed(
            "tcp",
            "connect to VMS",
            format!("{first}: no answer within {connect_timeout:?}"),
            "a firewall probably drops the packets: open the port from this host".to_owned(),
        ),
    };
    if run.report.failure().is_some() {
        return;
    }

    // Credentials (needed from here on).
    let auth = match VmsAuth::resolve(name, config, credentials) {
        Ok(a) => a,
        Err(e) => {
            run.failed(
                "login",
                "log in to VMS",
                e.to_string(),
                "give --user and a password (--password-file, VAST_OST_PASSWORD or the prompt), \
                 username/password in the configuration, or api_token_file (vast-ost bootstrap)"
                    .to_owned(),
            );
            return;
        }
    };
    let vms = match build_vms(name, config, &auth) {
        Ok(v) => v,
        Err(e) => {
            run.failed(
                "tls",
                "TLS and certificate",
                e.to_string(),
                "fix ca_bundle in the configuration (a readable PEM file)".to_owned(),
            );
            return;
        }
    };

    // TLS (the login is the first TLS connection) and login.
    let login = auth.verify(&vms).await;
    let tls_failed = matches!(login, Err(vast_vms_client::Error::Tls { .. }));
    if scheme == "https" {
        if let Err(e @ vast_vms_client::Error::Tls { .. }) = &login {
            run.failed(
                "tls",
                "TLS and certificate",
                e.to_string(),
                trust_hint(config),
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
    } else if !tls_failed {
        run.skipped(
            "tls",
            "TLS and certificate",
            "plain http:// (no TLS): use https in production",
        );
    }
    if let Err(e) = login {
        let hint = vms_hint(&e, &auth);
        run.failed("login", "log in to VMS", e.to_string(), hint);
        return;
    }
    run.ok(
        "login",
        "log in to VMS",
        format!("{} accepted at {vms_url}", auth.who()),
    );

    // Cluster state.
    match vms.cluster().await {
        Ok(c) if c.is_online() => run.ok(
            "cluster",
            "cluster state",
            format!(
                "{} is ONLINE (version {})",
                c.name,
                c.sw_version.as_deref().unwrap_or("unknown")
            ),
        ),
        Ok(c) => run.failed(
            "cluster",
            "cluster state",
            format!(
                "{} is {}",
                c.name,
                c.state.as_deref().unwrap_or("in an unknown state")
            ),
            "wait until the cluster is ONLINE (see the VAST web UI for its alarms)".to_owned(),
        ),
        Err(e) => {
            let hint = vms_hint(&e, &auth);
            run.failed("cluster", "cluster state", e.to_string(), hint)
        }
    };
    if run.report.failure().is_some() {
        return;
    }

    // Tenant, S3 user, view policy.
    let boot = vms.bootstrap();
    let bootstrap = async {
        let tenant = boot.ensure_tenant(&config.tenant).await?;
        let user = boot
            .ensure_s3_user(&S3UserSpec::new(&config.s3_user).in_tenant(tenant.get().id))
            .await?;
        let policy_tenant = (config.view_policy != vast_vms_client::bootstrap::S3_DEFAULT_POLICY)
            .then_some(tenant.get().id);
        let policy = boot
            .ensure_s3_policy(&config.view_policy, policy_tenant)
            .await?;
        Ok::<_, vast_vms_client::Error>((tenant, user, policy))
    };
    let (tenant, user, policy) = match bootstrap.await {
        Ok((t, u, p)) => {
            let state = |created: bool| if created { "created" } else { "exists" };
            run.ok(
                "bootstrap",
                "tenant, S3 user and view policy",
                format!(
                    "tenant {} ({}), user {} ({}), policy {} ({})",
                    t.get().name,
                    state(t.was_created()),
                    u.get().name,
                    state(u.was_created()),
                    p.get().name,
                    state(p.was_created())
                ),
            );
            (t.into_inner(), u.into_inner(), p.into_inner())
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
                other => vms_hint(other, &auth),
            };
            run.failed(
                "bootstrap",
                "tenant, S3 user and view policy",
                e.to_string(),
                hint,
            );
            return;
        }
    };

    // The LSU the probe goes to: the first bucket of the plugin's user, else the default one.
    let probe_lsu = match boot.buckets_of(&user.name).await {
        Ok(views) => {
            let mut names: Vec<LsuName> = views
                .into_iter()
                .filter(|v| v.tenant_id.is_none() || v.tenant_id == Some(tenant.id))
                .filter_map(|v| v.bucket.and_then(|b| LsuName::new(&b).ok()))
                .collect();
            names.sort();
            names.into_iter().next()
        }
        Err(_) => None,
    };

    let store: Arc<dyn DataStore> = match config.data_path {
        DataPathKind::Nfs => {
            run.skipped("access-key", "S3 access key", "data_path = nfs");
            let Some(root) = config.nfs_root.clone() else {
                run.failed(
                    "s3",
                    "data path reachable",
                    "data_path = \"nfs\" without nfs_root".to_owned(),
                    "set nfs_root to the mount point of the view root".to_owned(),
                );
                return;
            };
            if !root.is_dir() {
                run.failed(
                    "s3",
                    "data path reachable",
                    format!("{} is not a directory", root.display()),
                    "mount the view (NFS) at nfs_root first".to_owned(),
                );
                return;
            }
            run.ok(
                "s3",
                "data path reachable",
                format!("NFS root {}", root.display()),
            );
            Arc::new(NfsStore::new(root))
        }
        DataPathKind::S3 => {
            let key = match keys::KeyStore::new(&state_dir, name)
                .obtain(&vms, user.id, Some(tenant.id))
                .await
            {
                Ok(k) => {
                    run.ok(
                        "access-key",
                        "S3 access key",
                        format!(
                            "{} for user {} (stored under {})",
                            k.access_key,
                            user.name,
                            state_dir.display()
                        ),
                    );
                    k
                }
                Err(e) => {
                    run.failed(
                        "access-key",
                        "S3 access key",
                        e.to_string(),
                        format!(
                            "the state directory {} must be writable, and user {} may hold at \
                             most two keys: remove a stale one in VMS",
                            state_dir.display(),
                            user.name
                        ),
                    );
                    return;
                }
            };
            let url = match &config.s3_url {
                Some(u) => Ok(u.clone()),
                None => resolve_s3_url(&vms, config, tenant.id).await,
            };
            let url = match url {
                Ok(u) => u,
                Err(e) => {
                    run.failed(
                        "s3",
                        "S3 endpoint reachable",
                        e.to_string(),
                        "no usable PROTOCOLS VIP pool: create one (or name it with s3_vippool), \
                         or set s3_url"
                            .to_owned(),
                    );
                    return;
                }
            };
            let client = match build_s3(config, &url, &key.access_key, key.secret_key.expose()) {
                Ok(c) => c,
                Err(e) => {
                    run.failed(
                        "s3",
                        "S3 endpoint reachable",
                        e.to_string(),
                        "check s3_url and ca_bundle".to_owned(),
                    );
                    return;
                }
            };
            let bucket = probe_lsu
                .as_ref()
                .map_or(config.default_lsu.as_str(), LsuName::as_str)
                .to_owned();
            match vast_s3_data::buckets::exists(&client, &bucket).await {
                Ok(exists) => run.ok(
                    "s3",
                    "S3 endpoint reachable",
                    format!(
                        "{url} answers (bucket {bucket} {})",
                        if exists { "exists" } else { "not created yet" }
                    ),
                ),
                Err(e) => {
                    let mapped = errors::data(e);
                    let hint = match &mapped {
                        OstError::Network { .. } | OstError::Timeout { .. } => format!(
                            "nothing answers S3 at {url}: check that the S3 protocol is \
                             enabled on the cluster, the PROTOCOLS VIP pool (s3_vippool) or \
                             s3_url, and the firewall"
                        ),
                        OstError::Auth { .. } | OstError::PermissionDenied { .. } => {
                            "the S3 key was refused: delete the stored key file under the \
                             state directory so a new key is issued"
                                .to_owned()
                        }
                        _ => "see the S3 answer above".to_owned(),
                    };
                    run.failed("s3", "S3 endpoint reachable", mapped.to_string(), hint);
                    return;
                }
            };
            Arc::new(S3Store::new(client, BufferBudget::new(64 << 20)))
        }
    };

    // Probe object: write, read back, delete.
    let lsu = match probe_lsu {
        Some(l) => l,
        None => {
            let lsu = match LsuName::new(&config.default_lsu) {
                Ok(l) => l,
                Err(e) => {
                    run.failed(
                        "probe",
                        "probe object write/read/delete",
                        e.to_string(),
                        "fix default_lsu in the configuration".to_owned(),
                    );
                    return;
                }
            };
            let prefix = config.bucket_path_prefix.trim_end_matches('/');
            let spec = BucketSpec::new(
                lsu.as_str(),
                format!("{prefix}/{lsu}"),
                &user.name,
                policy.id,
            )
            .in_tenant(tenant.id);
            let made = boot.ensure_bucket_view(&spec).await.map_err(errors::vms);
            let made = match made {
                Ok(_) => store.prepare_lsu(&lsu).await,
                Err(e) => Err(e),
            };
            if let Err(e) = made {
                run.failed(
                    "probe",
                    "probe object write/read/delete",
                    format!("creating the default LSU {lsu}: {e}"),
                    "the user may not create views: create the bucket view by hand".to_owned(),
                );
                return;
            }
            lsu
        }
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
        Ok(()) => run.ok(
            "probe",
            "probe object write/read/delete",
            format!(
                "{} bytes written, read back and deleted in LSU {lsu}",
                payload.len()
            ),
        ),
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
            run.failed(
                "probe",
                "probe object write/read/delete",
                e.to_string(),
                hint,
            )
        }
    };
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
