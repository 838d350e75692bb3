//! One HTTP exchange with VMS: pooled connections, TLS, standard headers, per-request timeout.

use std::time::Duration;

use bytes::Bytes;
use http::header::{HeaderValue, ACCEPT, AUTHORIZATION, CONTENT_TYPE, RETRY_AFTER, USER_AGENT};
use http::uri::{Authority, Scheme};
use http::{HeaderMap, Method, Request, StatusCode, Uri};
use http_body_util::{BodyExt, Full};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

use crate::config::ClientConfig;
use crate::error::{Call, Error};
use crate::tls;

/// The header VMS reads to scope a call to one tenant.
const TENANT_HEADER: &str = "x-tenant-name";

/// A response read to the end.
#[derive(Debug)]
pub(crate) struct RawResponse {
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
}

impl RawResponse {
    /// The server's `Retry-After`, when given in seconds.
    pub(crate) fn retry_after(&self) -> Option<Duration> {
        self.headers
            .get(RETRY_AFTER)?
            .to_str()
            .ok()?
            .trim()
            .parse::<u64>()
            .ok()
            .map(Duration::from_secs)
    }
}

/// The connection pool and fixed request settings of one client.
pub(crate) struct Transport {
    client: Client<HttpsConnector<HttpConnector>, Full<Bytes>>,
    scheme: Scheme,
    authority: Authority,
    api_prefix: String,
    user_agent: HeaderValue,
    tenant: Option<HeaderValue>,
    timeout: Duration,
}

impl Transport {
    pub(crate) fn new(config: &ClientConfig) -> Result<Self, Error> {
        let uri: Uri = config
            .url
            .parse()
            .map_err(|e| Error::Config(format!("VMS URL {:?}: {e}", config.url)))?;
        let scheme = uri
            .scheme()
            .cloned()
            .ok_or_else(|| Error::Config(format!("VMS URL {:?} has no scheme", config.url)))?;
        let authority = uri
            .authority()
            .cloned()
            .ok_or_else(|| Error::Config(format!("VMS URL {:?} has no host", config.url)))?;
        if !matches!(uri.path(), "" | "/" | "/api" | "/api/") {
            return Err(Error::Config(format!(
                "VMS URL {:?}: give only scheme, host and port (the client builds /api/... paths)",
                config.url
            )));
        }
        let https = if scheme == Scheme::HTTPS {
            true
        } else if scheme == Scheme::HTTP {
            false
        } else {
            return Err(Error::Config(format!(
                "VMS URL {:?}: only http:// and https:// are supported",
                config.url
            )));
        };
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_nodelay(true);
        http.set_connect_timeout(Some(config.connect_timeout));
        let builder = tls::connector_builder(&config.tls)?;
        let connector = if https {
            builder.https_only().enable_http1().wrap_connector(http)
        } else {
            builder.https_or_http().enable_http1().wrap_connector(http)
        };
        let client = Client::builder(TokioExecutor::new())
            .pool_idle_timeout(Duration::from_secs(60))
            .build(connector);
        let tenant = config
            .tenant
            .as_deref()
            .map(HeaderValue::from_str)
            .transpose()
            .map_err(|_| Error::Config("tenant name is not a valid header value".to_owned()))?;
        let user_agent = HeaderValue::from_str(&config.user_agent)
            .map_err(|_| Error::Config("user agent is not a valid header value".to_owned()))?;
        let api_prefix = match config.api_version.as_deref().map(|v| v.trim_matches('/')) {
            Some(version) if !version.is_empty() => format!("/api/{version}/"),
            _ => "/api/".to_owned(),
        };
        Ok(Self {
            client,
            scheme,
            authority,
            api_prefix,
            user_agent,
            tenant,
            timeout: config.timeout,
        })
    }

    /// `/api/<version>/<relative>` with the trailing slash VMS expects before any query.
    pub(crate) fn api_path(&self, relative: &str) -> String {
        join(&self.api_prefix, relative)
    }

    /// `/api/<relative>` without a version segment (token endpoints are served there on every
    /// VMS release).
    pub(crate) fn unversioned_path(&self, relative: &str) -> String {
        join("/api/", relative)
    }

    /// Sends one request and reads the whole answer, within the per-request timeout.
    pub(crate) async fn send(
        &self,
        method: &Method,
        path: &str,
        authorization: Option<&HeaderValue>,
        body: Option<&Bytes>,
    ) -> Result<RawResponse, Error> {
        let call = |status| Call::new(method, path, status);
        let uri = Uri::builder()
            .scheme(self.scheme.clone())
            .authority(self.authority.clone())
            .path_and_query(path)
            .build()
            .map_err(|e| Error::transport(call(None), false, Box::new(e)))?;
        let mut request = Request::builder()
            .method(method.clone())
            .uri(uri)
            .header(USER_AGENT, self.user_agent.clone())
            .header(ACCEPT, HeaderValue::from_static("application/json"));
        if let Some(auth) = authorization {
            request = request.header(AUTHORIZATION, auth.clone());
        }
        if let Some(tenant) = &self.tenant {
            request = request.header(TENANT_HEADER, tenant.clone());
        }
        if body.is_some() {
            request = request.header(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        }
        let request = request
            .body(Full::new(body.cloned().unwrap_or_default()))
            .map_err(|e| Error::transport(call(None), false, Box::new(e)))?;
        let exchange = async {
            let response = self.client.request(request).await.map_err(|e| {
                let connect = e.is_connect();
                Error::transport(call(None), connect, Box::new(e))
            })?;
            let (parts, body) = response.into_parts();
            let body = body
                .collect()
                .await
                .map_err(|e| {
                    Error::transport(call(Some(parts.status.as_u16())), false, Box::new(e))
                })?
                .to_bytes();
            Ok(RawResponse {
                status: parts.status,
                headers: parts.headers,
                body,
            })
        };
        match tokio::time::timeout(self.timeout, exchange).await {
            Ok(result) => result,
            Err(_) => Err(Error::Timeout {
                call: call(None),
                after: self.timeout,
            }),
        }
    }
}

fn join(prefix: &str, relative: &str) -> String {
    let relative = relative.trim_start_matches('/');
    let (path, query) = match relative.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (relative, None),
    };
    let mut out = String::with_capacity(prefix.len() + relative.len() + 2);
    out.push_str(prefix);
    out.push_str(path);
    if !out.ends_with('/') {
        out.push('/');
    }
    if let Some(query) = query.filter(|q| !q.is_empty()) {
        out.push('?');
        out.push_str(query);
    }
    out
}

/// The path and query of a `next` link, which VMS gives as an absolute URL. The link's host is
/// ignored on purpose: VMS may name itself by an address the client cannot reach, and every
/// call of one client goes to the host it was configured with.
pub(crate) fn path_of_link(link: &str) -> Option<String> {
    if link.starts_with('/') {
        return Some(link.to_owned());
    }
    let uri: Uri = link.parse().ok()?;
    uri.path_and_query().map(|pq| pq.as_str().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_always_end_in_a_slash_before_the_query() {
        assert_eq!(join("/api/latest/", "views"), "/api/latest/views/");
        assert_eq!(join("/api/latest/", "/views/7/"), "/api/latest/views/7/");
        assert_eq!(
            join("/api/v5/", "views?bucket=b&page_size=2"),
            "/api/v5/views/?bucket=b&page_size=2"
        );
        assert_eq!(join("/api/", "token/refresh"), "/api/token/refresh/");
        assert_eq!(join("/api/", "views/?"), "/api/views/");
    }

    #[test]
    fn urls_are_checked() {
        let transport = |url: &str| {
            let config = ClientConfig::new(url, crate::Credentials::None);
            Transport::new(&config).map(|_| ())
        };
        assert!(transport("https://vms.example.com").is_ok());
        assert!(transport("http://127.0.0.1:8080/").is_ok());
        assert!(transport("https://vms.example.com/api").is_ok());
        assert!(matches!(transport("ftp://vms"), Err(Error::Config(_))));
        assert!(matches!(
            transport("vms.example.com"),
            Err(Error::Config(_))
        ));
        assert!(matches!(
            transport("https://vms/other/prefix"),
            Err(Error::Config(_))
        ));
    }

    #[test]
    fn next_links_keep_only_path_and_query() {
        assert_eq!(
            path_of_link("https://10.0.0.1/api/latest/views/?page=2&page_size=1").as_deref(),
            Some("/api/latest/views/?page=2&page_size=1")
        );
        assert_eq!(
            path_of_link("/api/views/?page=3").as_deref(),
            Some("/api/views/?page=3")
        );
    }
}
