//! S3 object lock rules: which version may be deleted or have its retention changed, and what
//! a new version gets. Object lock needs versioning and cannot be turned off (AWS's rules, which
//! VAST follows for buckets on WORM views).
//!
//! - A version under legal hold, or whose retain-until date is in the future, is not deleted:
//!   403 `AccessDenied`. In `GOVERNANCE` mode the `x-amz-bypass-governance-retention` header lets
//!   an identity allowed `s3:BypassGovernanceRetention` through; `COMPLIANCE` lets no one.
//! - A retention may be extended; shortening it or changing its mode needs the bypass in
//!   `GOVERNANCE` and is refused in `COMPLIANCE`. A retain-until date must be in the future.
//! - Lock headers on a write into a bucket without object lock are `InvalidRequest`; a write
//!   that asks for none gets the bucket's default retention, if one is configured.

use s3s::{s3_error, S3Result};

use super::meta::{BucketMeta, ObjectMeta, Retention};

/// `GOVERNANCE`.
pub(crate) const GOVERNANCE: &str = "GOVERNANCE";
/// `COMPLIANCE`.
pub(crate) const COMPLIANCE: &str = "COMPLIANCE";

fn locked(what: &str) -> s3s::S3Error {
    s3_error!(
        AccessDenied,
        "Access Denied because object protected by object lock: {what}"
    )
}

/// A mode as S3 spells it, or `InvalidArgument`.
pub(crate) fn mode(s: &str) -> S3Result<String> {
    match s.to_ascii_uppercase().as_str() {
        GOVERNANCE => Ok(GOVERNANCE.to_owned()),
        COMPLIANCE => Ok(COMPLIANCE.to_owned()),
        _ => Err(s3_error!(InvalidArgument, "Unknown object lock mode {s}")),
    }
}

/// Fails with `AccessDenied` while `meta` may not be removed; `bypass` is the governance
/// bypass, already authorised.
pub(crate) fn check_removable(meta: &ObjectMeta, bypass: bool, now_ms: i64) -> S3Result<()> {
    if meta.legal_hold {
        return Err(locked("a legal hold is on"));
    }
    match &meta.retention {
        Some(r) if r.until_ms > now_ms => {
            if r.mode == GOVERNANCE && bypass {
                Ok(())
            } else {
                Err(locked(&format!("{} retention", r.mode)))
            }
        }
        _ => Ok(()),
    }
}

/// Checks that `meta`'s retention may become `new` (extend always; shorten, change mode or
/// remove only in governance with the bypass).
pub(crate) fn check_retention_change(
    meta: &ObjectMeta,
    new: Option<&Retention>,
    bypass: bool,
    now_ms: i64,
) -> S3Result<()> {
    if let Some(n) = new {
        if n.until_ms <= now_ms {
            return Err(s3_error!(
                InvalidArgument,
                "The retain until date must be in the future!"
            ));
        }
    }
    let Some(old) = meta.retention.as_ref().filter(|r| r.until_ms > now_ms) else {
        return Ok(());
    };
    let weaker = match new {
        None => true,
        Some(n) => n.mode != old.mode || n.until_ms < old.until_ms,
    };
    if !weaker {
        return Ok(());
    }
    if old.mode == GOVERNANCE && bypass {
        return Ok(());
    }
    Err(locked(&format!(
        "{} retention cannot be shortened or changed",
        old.mode
    )))
}

/// Applies the bucket's rules to a new version: lock headers need object lock; the default
/// retention fills in.
pub(crate) fn apply_on_write(
    bucket: &BucketMeta,
    meta: &mut ObjectMeta,
    now_ms: i64,
) -> S3Result<()> {
    if !bucket.object_lock {
        if meta.retention.is_some() || meta.legal_hold {
            return Err(s3_error!(
                InvalidRequest,
                "Bucket is missing Object Lock Configuration"
            ));
        }
        return Ok(());
    }
    if meta.retention.is_none() {
        if let Some(d) = &bucket.default_retention {
            meta.retention = Some(Retention {
                mode: d.mode.clone(),
                until_ms: now_ms.saturating_add(d.secs.saturating_mul(1000)),
            });
        }
    }
    Ok(())
}

/// The retention asked for by a write's `x-amz-object-lock-mode` and
/// `x-amz-object-lock-retain-until-date` headers (both or neither), and its legal hold.
pub(crate) fn from_headers(
    mode_header: Option<&s3s::dto::ObjectLockMode>,
    until: Option<&s3s::dto::Timestamp>,
    legal_hold: Option<&s3s::dto::ObjectLockLegalHoldStatus>,
) -> S3Result<(Option<Retention>, bool)> {
    let mode_header = mode_header.map(|m| m.as_str());
    let legal_hold = legal_hold.map(|h| h.as_str());
    let retention = match (mode_header, until) {
        (None, None) => None,
        (Some(m), Some(u)) => Some(Retention {
            mode: mode(m)?,
            until_ms: timestamp_ms(u),
        }),
        _ => {
            return Err(s3_error!(
            InvalidArgument,
            "x-amz-object-lock-retain-until-date and x-amz-object-lock-mode must both be supplied"
        ))
        }
    };
    let hold = legal_hold.is_some_and(|h| h.eq_ignore_ascii_case("ON"));
    Ok((retention, hold))
}

/// Milliseconds since the Unix epoch of an s3s timestamp.
pub(crate) fn timestamp_ms(t: &s3s::dto::Timestamp) -> i64 {
    let t: time::OffsetDateTime = t.clone().into();
    i64::try_from(t.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
}
