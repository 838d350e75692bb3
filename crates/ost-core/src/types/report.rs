//! What the administrator calls answer: health checks, counters, sweeps.

use ost_model::{ImageId, LsuName};

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
