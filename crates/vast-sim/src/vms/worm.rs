//! WORM views: the view fields of S3 object lock and their rules, in the real API's shapes
//! (VAST's OpenAPI schema, `View` and the `POST /views/` / `PATCH /views/{id}/` bodies):
//!
//! | field | type | rule |
//! |---|---|---|
//! | `locking` | bool | WORM locking; cannot be disabled once enabled; must be true if `s3_versioning` is |
//! | `s3_versioning` | bool | S3 versioning; cannot be disabled once enabled |
//! | `s3_locks_retention_mode` | string | retention mode of new object versions (`GOVERNANCE`, `COMPLIANCE`, or `NONE`) |
//! | `default_retention_period` | string | `<n>h|d|m|y` (m = months); required with a governance/compliance mode; new versions are locked for it |
//! | `min_retention_period`, `max_retention_period` | string | bounds of locks on files (`<n>h|d|m|y`) |
//! | `files_retention_mode` | `NONE`, `GOVERNANCE`, `COMPLIANCE` | file (NFS/SMB) locks; `NONE` allowed on S3-only views |
//!
//! Changes reach the object store as a [`BucketLock`] (versioning on, object lock on, the
//! default retention). The simulator reads the unit `m` as months (30 days) everywhere; the
//! schema's text calls it minutes for `max_retention_period` (an inconsistency of the real
//! documentation, listed in vast-sim.md).

use serde_json::Value;

use super::error::FieldErrors;
use super::store::Row;
use crate::control::BucketLock;

/// Seconds of one unit of a retention period.
fn unit_secs(unit: char) -> Option<i64> {
    match unit {
        'h' => Some(3_600),
        'd' => Some(86_400),
        'm' => Some(30 * 86_400),
        'y' => Some(365 * 86_400),
        _ => None,
    }
}

/// Seconds of a period such as `30d`, or `None` when it is not `<n>h|d|m|y` with n > 0.
pub(crate) fn period_secs(s: &str) -> Option<i64> {
    let unit = s.chars().last()?;
    let n: i64 = s.get(..s.len() - unit.len_utf8())?.parse().ok()?;
    (n > 0).then_some(n.checked_mul(unit_secs(unit)?)?)
}

fn flag(row: &Row, field: &str) -> bool {
    row.get(field).and_then(Value::as_bool) == Some(true)
}

fn text<'a>(row: &'a Row, field: &str) -> Option<&'a str> {
    row.get(field)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

/// Checks a view's WORM fields (`old` is the stored view on an update) and returns what the
/// bucket must become, `None` when the view has no versioning and no locking.
pub(crate) fn check(old: Option<&Row>, row: &Row, errors: &mut FieldErrors) -> Option<BucketLock> {
    let locking = flag(row, "locking");
    let versioning = flag(row, "s3_versioning");
    if let Some(old) = old {
        if flag(old, "locking") && !locking {
            errors.add(
                "locking",
                "Object locking cannot be disabled after the view is created.",
            );
        }
        if flag(old, "s3_versioning") && !versioning {
            errors.add(
                "s3_versioning",
                "Versioning cannot be disabled after the view is created.",
            );
        }
    }
    if versioning && !locking {
        errors.add("locking", "Must be true if s3_versioning is true.");
    }
    for field in [
        "default_retention_period",
        "min_retention_period",
        "max_retention_period",
    ] {
        if let Some(p) = text(row, field) {
            if period_secs(p).is_none() {
                errors.add(
                    field,
                    format!(
                        "\"{p}\" is not a period: an integer followed by h, d, m or y (e.g. 2d)."
                    ),
                );
            } else if !locking {
                errors.add(field, "Applicable only if locking is enabled.");
            }
        }
    }
    if let Some(mode) = text(row, "files_retention_mode") {
        if !matches!(mode, "NONE" | "GOVERNANCE" | "COMPLIANCE") {
            errors.add(
                "files_retention_mode",
                format!("\"{mode}\" is not a valid choice."),
            );
        }
    }
    let mode = text(row, "s3_locks_retention_mode").map(str::to_ascii_uppercase);
    let default = match mode.as_deref() {
        None | Some("NONE") => None,
        Some(m @ ("GOVERNANCE" | "COMPLIANCE")) => {
            if !locking {
                errors.add(
                    "s3_locks_retention_mode",
                    "Applicable only if locking is enabled.",
                );
            }
            match text(row, "default_retention_period").and_then(period_secs) {
                Some(secs) => Some((m.to_owned(), secs)),
                None => {
                    errors.add(
                        "default_retention_period",
                        "Required if s3_locks_retention_mode is set to governance or compliance.",
                    );
                    None
                }
            }
        }
        Some(other) => {
            errors.add(
                "s3_locks_retention_mode",
                format!("\"{other}\" is not a valid choice."),
            );
            None
        }
    };
    (locking || versioning).then_some(BucketLock {
        versioning: versioning || locking,
        object_lock: locking,
        default_retention: default,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_are_an_integer_and_a_unit() {
        assert_eq!(period_secs("2d"), Some(2 * 86_400));
        assert_eq!(period_secs("1y"), Some(365 * 86_400));
        assert_eq!(period_secs("0d"), None);
        assert_eq!(period_secs("d"), None);
        assert_eq!(period_secs("5w"), None);
    }
}
