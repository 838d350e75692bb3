//! Steps 1 and 2: an authenticated VMS session, and the cluster state.

use ost_model::{OstError, ServerName};
use vast_vms_client::{Cluster, VmsClient};

use crate::config::ServerConfig;
use crate::error;
use crate::server::auth::{build_vms, VmsAuth};
use crate::types::Credentials;

/// A VMS client whose credentials VMS has accepted.
pub(crate) struct VmsSession {
    /// The client.
    pub(crate) vms: VmsClient,
    /// The credentials it uses.
    pub(crate) auth: VmsAuth,
}

/// Why [`connect_vms`] failed.
#[derive(Debug)]
pub(crate) enum ConnectError {
    /// No usable credentials: none given, none configured, or an unreadable API token file.
    Credentials(OstError),
    /// The client cannot be built (the VMS URL, an unreadable CA bundle).
    Client(OstError),
    /// VMS refused the credentials, or the connection failed (TLS included).
    Refused {
        /// The credentials that were tried.
        auth: VmsAuth,
        /// VMS's answer.
        error: vast_vms_client::Error,
    },
}

impl From<ConnectError> for OstError {
    fn from(e: ConnectError) -> Self {
        match e {
            ConnectError::Credentials(e) | ConnectError::Client(e) => e,
            ConnectError::Refused { auth, error } => auth.refused(error),
        }
    }
}

/// Step 1: resolves the credentials, builds the VMS client and proves the credentials (a JWT
/// login, or whoami for an API token).
pub(crate) async fn connect_vms(
    name: &ServerName,
    config: &ServerConfig,
    credentials: Option<Credentials>,
) -> Result<VmsSession, ConnectError> {
    let auth = VmsAuth::resolve(name, config, credentials).map_err(ConnectError::Credentials)?;
    let vms = build_vms(name, config, &auth).map_err(ConnectError::Client)?;
    match auth.verify(&vms).await {
        Ok(()) => Ok(VmsSession { vms, auth }),
        Err(error) => Err(ConnectError::Refused { auth, error }),
    }
}

/// Why [`verify_cluster`] failed.
#[derive(Debug)]
pub(crate) enum ClusterError {
    /// VMS answers, but the cluster is not ONLINE.
    NotOnline(Box<Cluster>),
    /// VMS did not tell the cluster state.
    Vms(vast_vms_client::Error),
}

impl ClusterError {
    /// The cluster's state as people read it.
    pub(crate) fn state(cluster: &Cluster) -> &str {
        cluster.state.as_deref().unwrap_or("in an unknown state")
    }
}

impl From<ClusterError> for OstError {
    fn from(e: ClusterError) -> Self {
        match e {
            ClusterError::NotOnline(c) => OstError::TryAgain {
                cause: format!(
                    "cluster {} is {}, not ONLINE",
                    c.name,
                    ClusterError::state(&c)
                ),
            },
            ClusterError::Vms(e) => error::vms(e),
        }
    }
}

/// Step 2: the cluster, when it is ONLINE.
pub(crate) async fn verify_cluster(vms: &VmsClient) -> Result<Cluster, ClusterError> {
    let cluster = vms.cluster().await.map_err(ClusterError::Vms)?;
    if cluster.is_online() {
        Ok(cluster)
    } else {
        Err(ClusterError::NotOnline(Box::new(cluster)))
    }
}
