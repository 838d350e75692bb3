//! The S3 face (contract stub: being implemented).

use std::path::Path;
use std::sync::Arc;

use crate::control::{BucketUsage, ControlPlane, DataPlane, DataPlaneError};
use crate::faults::Faults;
use crate::http::Handler;

/// Why the object store could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The store's directory failed.
    #[error("object store: {0}")]
    Io(String),
}

/// Buckets and objects as files under one directory.
pub struct ObjectStore;

impl ObjectStore {
    /// Opens (or creates) the store under `dir`.
    pub fn open(_dir: &Path, _faults: Arc<Faults>) -> Result<Arc<Self>, StoreError> {
        unimplemented!()
    }
}

impl DataPlane for ObjectStore {
    fn create_bucket(&self, _name: &str) -> Result<(), DataPlaneError> {
        unimplemented!()
    }
    fn delete_bucket(&self, _name: &str) -> Result<(), DataPlaneError> {
        unimplemented!()
    }
    fn bucket_usage(&self, _name: &str) -> Option<BucketUsage> {
        unimplemented!()
    }
}

/// The S3 face's request handler.
pub fn handler(
    _store: Arc<ObjectStore>,
    _control: Arc<dyn ControlPlane>,
    _faults: Arc<Faults>,
) -> Handler {
    unimplemented!()
}
