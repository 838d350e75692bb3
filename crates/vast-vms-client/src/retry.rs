//! When and how long to wait before trying a call again.

use std::time::Duration;

use crate::error::Error;

/// Bounded retries with exponential backoff and full jitter. Only idempotent calls (GET, PUT,
/// PATCH, DELETE) are retried on transient failures (connection errors, timeouts, 502, 503,
/// 504); a POST is retried only when its connection could not even be established, since it
/// then never reached VMS.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Most attempts per call, the first included (1 turns retries off).
    pub max_attempts: u32,
    /// Delay cap before the first retry; it doubles with every further retry.
    pub base_delay: Duration,
    /// Upper bound of any one delay (also caps a server's `Retry-After`).
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 4,
            base_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(5),
        }
    }
}

impl RetryPolicy {
    /// A policy that never retries.
    pub fn none() -> Self {
        Self {
            max_attempts: 1,
            ..Self::default()
        }
    }

    /// Whether a call that failed with `error` on attempt number `attempt` (1-based) gets
    /// another try.
    pub(crate) fn should_retry(&self, attempt: u32, idempotent: bool, error: &Error) -> bool {
        if attempt >= self.max_attempts {
            return false;
        }
        match error {
            Error::Transport { connect: true, .. } => true,
            _ if !idempotent => false,
            other => other.is_transient(),
        }
    }

    /// How long to wait before attempt `attempt + 1`: a random delay in
    /// `[0, min(max_delay, base_delay * 2^(attempt-1))]`, or the server's `Retry-After` when it
    /// asked for one (capped at `max_delay`).
    pub(crate) fn delay(&self, attempt: u32, retry_after: Option<Duration>) -> Duration {
        if let Some(asked) = retry_after {
            return asked.min(self.max_delay);
        }
        let exponent = attempt.saturating_sub(1).min(20);
        let ceiling = self
            .base_delay
            .saturating_mul(1u32 << exponent)
            .min(self.max_delay);
        let millis = u64::try_from(ceiling.as_millis()).unwrap_or(u64::MAX);
        Duration::from_millis(rand::random_range(0..=millis))
    }
}

#[cfg(test)]
mod tests {
    use http::Method;

    use super::*;
    use crate::error::Call;

    fn server(status: u16) -> Error {
        Error::Server {
            call: Call::new(&Method::GET, "/api/x/", Some(status)),
            detail: String::new(),
        }
    }

    fn transport(connect: bool) -> Error {
        Error::transport(
            Call::new(&Method::POST, "/api/x/", None),
            connect,
            "boom".into(),
        )
    }

    #[test]
    fn retries_transient_failures_of_idempotent_calls_only() {
        let policy = RetryPolicy::default();
        for status in [502, 503, 504] {
            assert!(policy.should_retry(1, true, &server(status)));
            assert!(!policy.should_retry(1, false, &server(status)));
        }
        assert!(!policy.should_retry(1, true, &server(500)));
        assert!(policy.should_retry(1, true, &transport(false)));
        assert!(!policy.should_retry(1, false, &transport(false)));
        assert!(policy.should_retry(1, false, &transport(true)));
    }

    #[test]
    fn attempts_are_bounded() {
        let policy = RetryPolicy {
            max_attempts: 3,
            ..RetryPolicy::default()
        };
        assert!(policy.should_retry(2, true, &server(503)));
        assert!(!policy.should_retry(3, true, &server(503)));
        assert!(!RetryPolicy::none().should_retry(1, true, &server(503)));
    }

    #[test]
    fn delays_grow_but_stay_capped() {
        let policy = RetryPolicy {
            max_attempts: 10,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(400),
        };
        for _ in 0..50 {
            assert!(policy.delay(1, None) <= Duration::from_millis(100));
            assert!(policy.delay(2, None) <= Duration::from_millis(200));
            assert!(policy.delay(9, None) <= Duration::from_millis(400));
        }
        assert_eq!(
            policy.delay(1, Some(Duration::from_secs(60))),
            Duration::from_millis(400)
        );
        assert_eq!(
            policy.delay(1, Some(Duration::from_millis(50))),
            Duration::from_millis(50)
        );
    }
}
