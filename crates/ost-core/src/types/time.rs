//! Wall-clock time as the records carry it.

use std::time::SystemTime;

/// A timestamp in Unix seconds.
pub(crate) fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}
