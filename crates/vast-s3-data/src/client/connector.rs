//! The HTTP client under the SDK: hyper 1 + hyper-rustls with our TLS settings.
//!
//! The SDK's own client cannot skip certificate verification, so the SDK is given this
//! connector instead; it serves both `http://` and `https://` endpoints.

use std::time::Duration;

use aws_sdk_s3::config::http::{HttpRequest, HttpResponse};
use aws_sdk_s3::config::{HttpClient, RuntimeComponents, SharedHttpClient};
use aws_smithy_runtime_api::client::http::{
    HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_types::body::SdkBody;
use hyper_util::client::legacy::connect::HttpConnector as TcpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

use super::tls::{client_config, TlsOptions};
use crate::error::Result;

/// The most a connection's HTTP/1 read buffer grows to (hyper's default is about 400 KiB). A
/// restore keeps one connection per read-ahead GET, and these buffers sit outside the buffer
/// budget: 16 restores at once peaked at 580 MiB with a 512 MiB budget at hyper's default, 555 MiB
/// with this, at the same speed (docs/benchmarks.md).
const HTTP1_READ_BUFFER: usize = 128 << 10;

type Https = hyper_rustls::HttpsConnector<TcpConnector>;

/// An SDK connector over a pooled hyper client.
#[derive(Clone)]
struct HyperConnector {
    client: Client<Https, SdkBody>,
}

impl std::fmt::Debug for HyperConnector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("HyperConnector")
    }
}

impl HttpConnector for HyperConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let client = self.client.clone();
        HttpConnectorFuture::new(async move {
            let request = request
                .try_into_http1x()
                .map_err(|e| ConnectorError::other(Box::new(e), None))?;
            let response = client.request(request).await.map_err(classify)?;
            let response = response.map(SdkBody::from_body_1_x);
            HttpResponse::try_from(response).map_err(|e| ConnectorError::other(Box::new(e), None))
        })
    }
}

/// Sorts a transport failure the way the SDK's retry policy understands: connection-level
/// failures (refused, reset, closed before the response was complete) are I/O errors, which the
/// SDK retries as transient; a timeout is a timeout; anything else is not retried.
fn classify(err: hyper_util::client::legacy::Error) -> ConnectorError {
    let mut transport = err.is_connect();
    let mut timed_out = false;
    let mut source: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(&err);
    while let Some(s) = source {
        if let Some(h) = s.downcast_ref::<hyper::Error>() {
            transport |= h.is_incomplete_message() || h.is_closed() || h.is_canceled();
            timed_out |= h.is_timeout();
        }
        if let Some(io) = s.downcast_ref::<std::io::Error>() {
            transport = true;
            timed_out |= io.kind() == std::io::ErrorKind::TimedOut;
        }
        source = s.source();
    }
    if timed_out {
        ConnectorError::timeout(Box::new(err))
    } else if transport {
        ConnectorError::io(Box::new(err))
    } else {
        ConnectorError::other(Box::new(err), None)
    }
}

/// The [`HttpClient`] handed to the SDK: always the same pooled connector.
#[derive(Debug, Clone)]
struct FixedClient {
    connector: SharedHttpConnector,
}

impl HttpClient for FixedClient {
    fn http_connector(
        &self,
        _settings: &HttpConnectorSettings,
        _components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        self.connector.clone()
    }
}

/// Builds the SDK HTTP client for the given TLS options and timeouts.
pub(crate) fn http_client(
    tls: &TlsOptions,
    connect_timeout: Duration,
    max_idle_per_host: usize,
) -> Result<SharedHttpClient> {
    let mut tcp = TcpConnector::new();
    tcp.enforce_http(false);
    tcp.set_nodelay(true);
    tcp.set_connect_timeout(Some(connect_timeout));
    let https = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(client_config(tls)?)
        .https_or_http()
        .enable_http1()
        .wrap_connector(tcp);
    let client = Client::builder(TokioExecutor::new())
        .pool_max_idle_per_host(max_idle_per_host)
        .pool_idle_timeout(Duration::from_secs(60))
        .http1_max_buf_size(HTTP1_READ_BUFFER)
        .build(https);
    let connector = SharedHttpConnector::new(HyperConnector { client });
    Ok(SharedHttpClient::new(FixedClient { connector }))
}
