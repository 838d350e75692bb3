//! Open steps 1 to 3 as `check` reports them: TLS and login, cluster state, tenant / S3 user /
//! view policy, with hints for VMS answers.

use ost_model::ServerName;
use vast_vms_client::{ApiProfile, VmsClient};

use super::{Runner, Stop};
use crate::config::ServerConfig;
use crate::server::auth::VmsAuth;
use crate::server::open::{self, ClusterError, ConnectError, Identity, VmsSession};
use crate::types::Credentials;

/// Open step 1 ([`open::connect_vms`]), reported as `tls` (the login is the first TLS
/// connection) and `login`.
pub(super) async fn login(
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

/// Open step 2 ([`open::verify_cluster`]), then the API rules the plugin follows because of
/// the cluster's version (`rules`).
pub(super) async fn cluster(
    run: &mut Runner<'_>,
    vms: &VmsClient,
    auth: &VmsAuth,
) -> Result<(vast_vms_client::Cluster, ApiProfile), Stop> {
    match open::verify_cluster(vms).await {
        Ok(c) => {
            let version = c.sw_version.as_deref().unwrap_or("unknown");
            run.ok(
                "cluster",
                "cluster state",
                format!("{} is ONLINE (version {version})", c.name),
            );
            let profile = ApiProfile::for_version(c.sw_version.as_deref());
            run.ok(
                "rules",
                "VMS API rules for this version",
                format!(
                    "version {version}: {profile}: {}",
                    profile.rules().join("; ")
                ),
            );
            Ok((c, profile))
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
pub(super) async fn identity(
    run: &mut Runner<'_>,
    vms: &VmsClient,
    config: &ServerConfig,
    auth: &VmsAuth,
    profile: ApiProfile,
    media_server: &str,
) -> Result<Identity, Stop> {
    match open::ensure_identity(vms, config, profile, media_server).await {
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
            media_server_step(run, &id, media_server);
            Ok(id)
        }
        Err(e) => {
            let hint = match &e {
                vast_vms_client::Error::PermissionDenied { .. } => format!(
                    "{} may not create tenants, users, view policies or S3 identity policies: \
                     run `vast-ost bootstrap` with an admin account once, or create tenant {:?} \
                     and user {:?} by hand",
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

/// The media server's own S3 user and the identity policy that lets it use the buckets
/// (`media-server`; S3 data path only).
fn media_server_step(run: &mut Runner<'_>, id: &Identity, media_server: &str) {
    const TITLE: &str = "media server's S3 user and identity policy";
    let Some(data) = &id.data else {
        run.skipped("media-server", TITLE, "data_path = nfs");
        return;
    };
    let user = match (data.user.user.was_created(), data.user.attached) {
        (true, _) => "created",
        (false, true) => "exists, policy attached now",
        (false, false) => "exists",
    };
    let policy = match (data.policy.policy.was_created(), data.policy.restored) {
        (true, _) => "created",
        (false, true) => "exists, restored: it had been changed or disabled",
        (false, false) => "exists",
    };
    run.ok(
        "media-server",
        TITLE,
        format!(
            "media server {media_server}: user {} ({user}), identity policy {} ({policy}) \
             allowing the data path's S3 actions on the tenant's buckets",
            data.user.user.get().name,
            data.policy.policy.get().name,
        ),
    );
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
