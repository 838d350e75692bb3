//! Storage servers: the credentials NetBackup opens one with, an API token issued for the plugin,
//! and the server's properties.

use ost_model::{ServerCapabilities, ServerFlags, ServerName};
use vast_vms_client::Secret;

/// Credentials NetBackup hands to `open_server` (`sts_cred_t`, clear text).
#[derive(Clone, Debug)]
pub struct Credentials {
    /// VMS user name.
    pub username: String,
    /// Its password (redacted in `Debug`).
    pub password: Secret,
}

impl Credentials {
    /// A user name and password.
    pub fn new(username: impl Into<String>, password: impl Into<Secret>) -> Self {
        Self {
            username: username.into(),
            password: password.into(),
        }
    }
}

/// A VMS API token issued for the plugin (`vast-ost bootstrap`). VMS shows the token once.
#[derive(Clone, Debug)]
pub struct IssuedToken {
    /// Token id on VMS (for revocation).
    pub id: String,
    /// The manager it acts as.
    pub owner: String,
    /// The token (redacted in `Debug`).
    pub token: Secret,
}

/// Storage-server properties (`stspi_get_server_prop`).
#[derive(Clone, Debug, PartialEq)]
pub struct ServerProps {
    /// The server name.
    pub name: ServerName,
    /// Server flags.
    pub flags: ServerFlags,
    /// Capabilities this plugin offers on it.
    pub capabilities: ServerCapabilities,
    /// Cluster name as VMS reports it.
    pub cluster_name: String,
    /// Cluster software version.
    pub cluster_version: String,
    /// Cluster state (`ONLINE` when healthy).
    pub cluster_state: String,
    /// Usable capacity in bytes (0 when unknown).
    pub capacity: u64,
    /// Free capacity in bytes (0 when unknown).
    pub free: u64,
    /// Which data path the server uses.
    pub data_path: crate::config::DataPathKind,
    /// Plugin version.
    pub plugin_version: String,
}
