//! Events from an event channel.

use ost_model::{ImageId, LsuName};

/// What an event is about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EventKind {
    /// An image was sealed by close-complete.
    ImageCreated,
    /// An image was deleted.
    ImageDeleted,
    /// An asynchronous copy finished.
    CopyDone,
    /// An asynchronous copy failed or was cancelled.
    CopyFailed,
    /// A cluster event or alarm from VMS.
    Cluster,
}

/// One event from an event channel (`stspi_get_event`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    /// Kind.
    pub kind: EventKind,
    /// Severity (`INFO`, `MINOR`, `MAJOR`, `CRITICAL` for cluster events; `INFO`/`ERROR` here).
    pub severity: String,
    /// LSU, for image and copy events.
    pub lsu: Option<LsuName>,
    /// Image, for image and copy events.
    pub image: Option<ImageId>,
    /// Operation, for copy events.
    pub op: Option<crate::handles::OpId>,
    /// Human text.
    pub message: String,
    /// When, Unix seconds.
    pub time_unix: u64,
}
