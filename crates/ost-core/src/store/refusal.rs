//! A write the S3 endpoint refused without saying why: VAST's answer to a write past a full
//! quota is not documented, and may be 403 `AccessDenied` or HTTP 500 as well as
//! `QuotaExceeded` / 507. For those ambiguous answers ([`error::ambiguous_write_refusal`]) the
//! quota of the bucket's path is asked of VMS before answering: full means no space
//! (`STS_ENO_SPACE`-like), otherwise the S3 answer stands (permission denied, server error).

use ost_model::{LsuName, OstError};
use vast_s3_data::DataError;
use vast_vms_client::VmsClient;

use crate::error;

/// Asks VMS about the quota of a refused write's bucket.
pub(crate) struct QuotaCheck {
    vms: VmsClient,
    /// Used bytes this close to the hard limit count as full (the most one writer has in
    /// flight: `max_in_flight` parts).
    margin: u64,
}

/// A bucket's quota as VMS reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct QuotaState {
    /// The bucket view's path.
    pub(crate) path: String,
    /// The hard limit in bytes (0: none).
    pub(crate) hard_limit: u64,
    /// Used bytes.
    pub(crate) used: u64,
    /// VMS's own state word (`OK`, `SOFT_EXCEEDED`, `HARD_EXCEEDED`, ...).
    pub(crate) state: String,
}

impl QuotaState {
    /// True when a write of up to `margin` bytes cannot fit.
    pub(crate) fn is_full(&self, margin: u64) -> bool {
        self.state.eq_ignore_ascii_case("HARD_EXCEEDED")
            || (self.hard_limit > 0 && self.used.saturating_add(margin) > self.hard_limit)
    }
}

impl QuotaCheck {
    /// A check through `vms`; `margin` is the most one writer has in flight (parts × part size).
    pub(crate) fn new(vms: VmsClient, margin: u64) -> Self {
        Self { vms, margin }
    }

    /// The quota of `lsu`'s bucket view, `None` when it has none.
    pub(crate) async fn state(&self, lsu: &LsuName) -> Result<Option<QuotaState>, OstError> {
        let Some(view) = self
            .vms
            .views()
            .by_bucket(lsu.as_str())
            .await
            .map_err(error::vms)?
        else {
            return Ok(None);
        };
        let quota = self
            .vms
            .quotas()
            .by_path(&view.path)
            .await
            .map_err(error::vms)?;
        Ok(quota.map(|q| QuotaState {
            path: view.path.clone(),
            hard_limit: q.hard_limit.unwrap_or(0),
            used: q.used_capacity.unwrap_or(0),
            state: q.state.unwrap_or_default(),
        }))
    }

    /// The OST error for a write into `lsu` that failed with `err`.
    pub(crate) async fn write_error(&self, lsu: &LsuName, err: DataError) -> OstError {
        if !error::ambiguous_write_refusal(&err) {
            return error::data(err);
        }
        match self.state(lsu).await {
            Ok(Some(q)) if q.is_full(self.margin) => OstError::NoSpace {
                cause: format!(
                    "{err}; VMS: the quota of {} is full ({} of {} bytes used, {})",
                    q.path, q.used, q.hard_limit, q.state
                ),
            },
            Ok(q) => {
                tracing::info!(%lsu, quota = ?q, error = %err, "write refused; the bucket's quota is not full");
                error::data(err)
            }
            Err(e) => {
                tracing::warn!(%lsu, error = %err, quota_error = %e, "write refused; the bucket's quota could not be read");
                error::data(err)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(hard_limit: u64, used: u64, word: &str) -> QuotaState {
        QuotaState {
            path: "/netbackup/b".to_owned(),
            hard_limit,
            used,
            state: word.to_owned(),
        }
    }

    #[test]
    fn full_means_the_next_part_cannot_fit() {
        assert!(state(100, 100, "HARD_EXCEEDED").is_full(10));
        assert!(state(100, 95, "OK").is_full(10));
        assert!(!state(100, 50, "OK").is_full(10));
        assert!(!state(0, 1 << 40, "OK").is_full(10), "no hard limit");
    }
}
