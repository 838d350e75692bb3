//! The VMS REST API face (contract stub: being implemented).

use std::net::SocketAddr;
use std::sync::Arc;

use crate::control::{ControlPlane, DataPlane, S3Identity};
use crate::faults::Faults;
use crate::http::Handler;
use crate::SimConfig;

/// Where the two faces listen, for self links and the PROTOCOLS VIP pool.
#[derive(Clone, Copy, Debug)]
pub struct Endpoints {
    /// The VMS listener.
    pub vms: SocketAddr,
    /// The S3 listener.
    pub s3: SocketAddr,
    /// Whether both faces speak HTTPS.
    pub tls: bool,
}

/// Why the VMS state could not be loaded or saved.
#[derive(Debug, thiserror::Error)]
pub enum VmsError {
    /// Reading or writing the state file failed.
    #[error("VMS state: {0}")]
    State(String),
}

/// The cluster's control-plane state.
pub struct VmsState;

impl VmsState {
    /// Loads (or seeds) the state in `config.data_dir`.
    pub fn open(
        _config: &SimConfig,
        _endpoints: Endpoints,
        _data: Arc<dyn DataPlane>,
        _faults: Arc<Faults>,
    ) -> Result<Arc<Self>, VmsError> {
        unimplemented!()
    }
}

impl ControlPlane for VmsState {
    fn s3_identity(&self, _access_key: &str) -> Option<S3Identity> {
        unimplemented!()
    }
    fn bucket_hard_limit(&self, _bucket: &str) -> Option<u64> {
        unimplemented!()
    }
    fn may_access(&self, _identity: &S3Identity, _bucket: &str) -> bool {
        unimplemented!()
    }
    fn bucket_created_over_s3(&self, _bucket: &str, _owner: &S3Identity) {
        unimplemented!()
    }
    fn bucket_deleted_over_s3(&self, _bucket: &str) {
        unimplemented!()
    }
}

/// The VMS face's request handler.
pub fn handler(_state: Arc<VmsState>) -> Handler {
    unimplemented!()
}
