//! How the plugin authenticates to VMS. Two modes (docs/configuration.md, "VMS authentication"):
//! - **API token**: `api_token_file` (or `api_token`) in the server's section. VMS calls carry
//!   `Authorization: Api-Token <token>`; no password is needed or used, whatever NetBackup
//!   passes. `vast-ost bootstrap` issues the token once, with a password.
//! - **Password**: the user and password NetBackup passes to `open_server`, else `username` /
//!   `password` from the configuration; VMS calls use JWT sessions.

use std::path::Path;
use std::time::Duration;

use ost_model::{OstError, ServerName};
use vast_vms_client::{Secret, VmsClient};

use crate::config::ServerConfig;
use crate::error;
use crate::types::Credentials;

/// The credentials one server is opened with.
#[derive(Clone, Debug)]
pub(crate) enum VmsAuth {
    /// A VMS API token; `source` says where it came from (for logs and hints).
    ApiToken {
        /// The token (redacted in `Debug`).
        token: Secret,
        /// `api_token_file <path>` or `api_token`.
        source: String,
    },
    /// A VMS user and password (JWT sessions).
    Password(Credentials),
}

impl VmsAuth {
    /// The configured API token, else NetBackup's credentials, else the configured ones.
    pub(crate) fn resolve(
        name: &ServerName,
        config: &ServerConfig,
        credentials: Option<Credentials>,
    ) -> Result<Self, OstError> {
        if let Some(path) = &config.api_token_file {
            let token = read_token_file(path)?;
            if credentials.is_some() {
                tracing::debug!(server = %name, "API token configured: the credentials NetBackup passed are not used");
            }
            return Ok(Self::ApiToken {
                token,
                source: format!("api_token_file {}", path.display()),
            });
        }
        if let Some(token) = &config.api_token {
            return Ok(Self::ApiToken {
                token: token.clone(),
                source: "api_token".to_owned(),
            });
        }
        credentials
            .or_else(|| {
                Some(Credentials::new(
                    config.username.clone()?,
                    config.password.clone()?,
                ))
            })
            .map(Self::Password)
            .ok_or_else(|| OstError::Auth {
                cause: format!(
                    "no credentials for {name}: none from NetBackup, and neither an API token \
                     nor a user and password configured"
                ),
            })
    }

    /// Who the plugin acts as, for logs and hints (never the secret).
    pub(crate) fn who(&self) -> String {
        match self {
            Self::ApiToken { source, .. } => format!("the API token ({source})"),
            Self::Password(c) => c.username.clone(),
        }
    }

    /// Proves the credentials before the first real call: a JWT login, or `GET /login/`
    /// (whoami) for an API token.
    pub(crate) async fn verify(&self, vms: &VmsClient) -> Result<(), vast_vms_client::Error> {
        match self {
            Self::ApiToken { .. } => vms.whoami().await.map(|_| ()),
            Self::Password(_) => vms.login().await,
        }
    }

    /// `err` as the plugin reports it; an authentication failure names the credentials
    /// (user name or token file, never the secret).
    pub(crate) fn refused(&self, err: vast_vms_client::Error) -> OstError {
        match error::vms(err) {
            OstError::Auth { cause } => OstError::Auth {
                cause: format!("VMS refused {}: {cause}", self.who()),
            },
            other => other,
        }
    }
}

/// The token in `path`: its first line, trimmed. A file others may read is used, with a
/// warning.
fn read_token_file(path: &Path) -> Result<Secret, OstError> {
    let text = std::fs::read_to_string(path).map_err(|e| OstError::Auth {
        cause: format!("reading the API token file {}: {e}", path.display()),
    })?;
    let token = text.lines().next().unwrap_or_default().trim();
    if token.is_empty() {
        return Err(OstError::Auth {
            cause: format!("the API token file {} is empty", path.display()),
        });
    }
    warn_if_shared(path);
    Ok(Secret::new(token))
}

#[cfg(unix)]
fn warn_if_shared(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    if let Ok(meta) = std::fs::metadata(path) {
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            tracing::warn!(
                file = %path.display(),
                "the API token file has mode {mode:o}: others on this host can read it (chmod 600)"
            );
        }
    }
}

#[cfg(not(unix))]
fn warn_if_shared(_path: &Path) {}

/// A VMS client for `name` with `auth`, the configured timeouts and TLS trust.
pub(crate) fn build_vms(
    name: &ServerName,
    config: &ServerConfig,
    auth: &VmsAuth,
) -> Result<VmsClient, OstError> {
    let mut b = VmsClient::builder(config.vms_url_for(name))
        .timeout(Duration::from_secs(config.vms_timeout_secs))
        .connect_timeout(Duration::from_secs(config.connect_timeout_secs))
        .insecure(config.insecure);
    b = match auth {
        VmsAuth::ApiToken { token, .. } => b.api_token(token.clone()),
        VmsAuth::Password(c) => b.password(&c.username, c.password.clone()),
    };
    if let Some(ca) = &config.ca_bundle {
        b = b.ca_bundle(ca);
    }
    b.build().map_err(error::vms)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name() -> ServerName {
        "vast://cluster.example".parse().unwrap()
    }

    #[test]
    fn api_token_wins_over_netbackup_credentials_and_password() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("token");
        std::fs::write(&file, "tok-123\n").unwrap();
        let config = ServerConfig {
            api_token_file: Some(file),
            username: Some("admin".to_owned()),
            password: Some(Secret::new("pw")),
            ..ServerConfig::default()
        };
        let auth =
            VmsAuth::resolve(&name(), &config, Some(Credentials::new("nbu", "nbu-pw"))).unwrap();
        match &auth {
            VmsAuth::ApiToken { token, source } => {
                assert_eq!(token.expose(), "tok-123");
                assert!(source.starts_with("api_token_file "), "{source}");
            }
            other => panic!("{other:?}"),
        }
        assert!(!format!("{auth:?}").contains("tok-123"));
        assert!(!auth.who().contains("tok-123"));
    }

    #[test]
    fn netbackup_credentials_then_configured_ones() {
        let config = ServerConfig {
            username: Some("admin".to_owned()),
            password: Some(Secret::new("pw")),
            ..ServerConfig::default()
        };
        let given = VmsAuth::resolve(&name(), &config, Some(Credentials::new("nbu", "x")));
        assert_eq!(given.unwrap().who(), "nbu");
        assert_eq!(
            VmsAuth::resolve(&name(), &config, None).unwrap().who(),
            "admin"
        );
        let none = VmsAuth::resolve(&name(), &ServerConfig::default(), None).unwrap_err();
        assert!(none.to_string().contains("no credentials"), "{none}");
    }

    #[test]
    fn empty_or_missing_token_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let empty = dir.path().join("empty");
        std::fs::write(&empty, "\n").unwrap();
        for path in [empty, dir.path().join("missing")] {
            let config = ServerConfig {
                api_token_file: Some(path.clone()),
                ..ServerConfig::default()
            };
            let err = VmsAuth::resolve(&name(), &config, None).unwrap_err();
            assert!(
                err.to_string().contains(&path.display().to_string()),
                "{err}"
            );
        }
    }
}
