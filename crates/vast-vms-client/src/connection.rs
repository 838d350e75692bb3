//! The transport plus the retry policy: one call, tried as often as the policy allows.

use bytes::Bytes;
use http::header::HeaderValue;
use http::Method;

use crate::error::{Call, Error};
use crate::retry::RetryPolicy;
use crate::transport::{RawResponse, Transport};

/// Sends calls with retries; knows nothing of authentication.
pub(crate) struct Connection {
    pub(crate) transport: Transport,
    pub(crate) retry: RetryPolicy,
}

impl Connection {
    /// Sends a call, retrying transient failures as the policy allows, and returns the last
    /// answer whatever its status (a 503 that outlived the retries included).
    pub(crate) async fn exchange(
        &self,
        method: &Method,
        path: &str,
        authorization: Option<&HeaderValue>,
        body: Option<&Bytes>,
        idempotent: bool,
    ) -> Result<RawResponse, Error> {
        let mut attempt = 1;
        loop {
            let outcome = self.transport.send(method, path, authorization, body).await;
            match &outcome {
                Ok(response) => {
                    tracing::debug!(%method, path, status = response.status.as_u16(), attempt, "VMS call");
                }
                Err(error) => tracing::debug!(%method, path, attempt, %error, "VMS call failed"),
            }
            let (error, retry_after) = match outcome {
                Ok(response) if matches!(response.status.as_u16(), 502..=504) => {
                    let call = Call::new(method, path, Some(response.status.as_u16()));
                    let error = Error::from_response(call, &response.body);
                    if !self.retry.should_retry(attempt, idempotent, &error) {
                        return Ok(response);
                    }
                    let retry_after = response.retry_after();
                    (error, retry_after)
                }
                Ok(response) => return Ok(response),
                Err(error) => {
                    if !self.retry.should_retry(attempt, idempotent, &error) {
                        return Err(error);
                    }
                    (error, None)
                }
            };
            let delay = self.retry.delay(attempt, retry_after);
            tracing::debug!(%error, attempt, ?delay, "retrying VMS call");
            tokio::time::sleep(delay).await;
            attempt += 1;
        }
    }
}
