//! Plain records the public API takes and returns (besides the `ost_model` ones).

use std::time::SystemTime;

use ost_model::{ImageDef, ImageId, LsuName, ServerCapabilities, ServerFlags, ServerName};
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

/// LSU properties beyond `LsuInfo`: image count and state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LsuProps {
    /// Capacity, use, flags, label.
    pub info: ost_model::LsuInfo,
    /// Complete images in the LSU.
    pub image_count: u64,
    /// Pending images (being written or checkpointed).
    pub pending_count: u64,
    /// The LSU answers (its bucket view exists and its data store is reachable).
    pub online: bool,
}

/// Which images an image list returns.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ImageFilter {
    /// Only images whose base name starts with this.
    pub basename_prefix: Option<String>,
    /// Only images created at or after this date (Unix seconds).
    pub created_after: Option<u64>,
    /// Only images created before this date (Unix seconds).
    pub created_before: Option<u64>,
    /// Include images still pending (default: complete ones only).
    pub include_pending: bool,
}

impl ImageFilter {
    /// Every complete image.
    pub fn all() -> Self {
        Self::default()
    }

    /// Whether `def` passes the name and date criteria (state is checked by the caller).
    pub fn matches(&self, def: &ImageDef) -> bool {
        let secs = def.date.to_unix_seconds();
        self.basename_prefix
            .as_deref()
            .is_none_or(|p| def.basename.as_str().starts_with(p))
            && self.created_after.is_none_or(|t| secs >= t)
            && self.created_before.is_none_or(|t| secs < t)
    }
}

/// Where an image copy goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CopyRequest {
    /// Source LSU.
    pub src_lsu: LsuName,
    /// Source image.
    pub src: ImageId,
    /// Destination LSU (same storage server).
    pub dst_lsu: LsuName,
    /// Destination image definition.
    pub dst: ImageDef,
}

/// State of an asynchronous operation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OpState {
    /// Still running.
    Running,
    /// Finished; the copy is complete.
    Done,
    /// Failed; nothing of the copy remains.
    Failed(ost_model::OstError),
    /// Cancelled; nothing of the copy remains.
    Cancelled,
}

/// Progress of an asynchronous operation (`stspi_query_operation`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpStatus {
    /// The operation.
    pub id: crate::handles::OpId,
    /// Its state.
    pub state: OpState,
    /// Bytes copied so far.
    pub bytes_done: u64,
    /// Bytes to copy in all.
    pub bytes_total: u64,
}

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

/// One check of a health report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HealthCheck {
    /// What was checked (`vms`, `cluster`, `s3`, `lsu:<name>`).
    pub name: String,
    /// Passed.
    pub ok: bool,
    /// Detail (the failure cause when not ok).
    pub detail: String,
}

/// Result of `health_check`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HealthReport {
    /// Every check, in order.
    pub checks: Vec<HealthCheck>,
}

impl HealthReport {
    /// True when every check passed.
    pub fn healthy(&self) -> bool {
        self.checks.iter().all(|c| c.ok)
    }
}

/// Counters of one server or LSU.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Counters {
    /// Bytes written to images.
    pub bytes_written: u64,
    /// Bytes read from images.
    pub bytes_read: u64,
    /// Bytes copied server-side.
    pub bytes_copied: u64,
    /// Images created.
    pub images_created: u64,
    /// Images sealed complete.
    pub images_completed: u64,
    /// Images deleted.
    pub images_deleted: u64,
    /// Operations (entry-point calls) served.
    pub operations: u64,
    /// Operations that failed.
    pub errors: u64,
}

/// Result of `statistics`.
#[derive(Clone, Debug, PartialEq)]
pub struct Statistics {
    /// The whole server.
    pub server: Counters,
    /// Per LSU.
    pub lsus: Vec<(LsuName, Counters)>,
    /// Bytes per second written plus read since the previous `statistics` call.
    pub throughput_bps: f64,
    /// Images open right now.
    pub open_images: usize,
}

/// What an orphan sweep removed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SweepReport {
    /// Pending images removed (descriptor, data and metadata).
    pub images_removed: Vec<(LsuName, ImageId)>,
    /// Multipart uploads aborted.
    pub uploads_aborted: usize,
}

/// A timestamp in Unix seconds.
pub(crate) fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}
