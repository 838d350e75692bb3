//! The client handle: authenticated calls with retries, and the entry points to resources.

use std::sync::Arc;

use bytes::Bytes;
use http::Method;
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::auth::Auth;
use crate::builder::ClientBuilder;
use crate::config::ClientConfig;
use crate::connection::Connection;
use crate::error::{is_token_rejection, Call, Error};
use crate::paging::{self, ItemStream, Page, PageStream};
use crate::query::Query;
use crate::transport::{RawResponse, Transport};

/// A VMS client. Cheap to clone (clones share the connection pool and the login session) and
/// safe to use from many tasks at once.
#[derive(Clone)]
pub struct VmsClient {
    inner: Arc<Inner>,
}

struct Inner {
    conn: Connection,
    auth: Auth,
    url: String,
}

impl std::fmt::Debug for VmsClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VmsClient")
            .field("url", &self.inner.url)
            .finish_non_exhaustive()
    }
}

impl VmsClient {
    /// Starts building a client for the VMS at `url` (`https://<vms>[:port]`).
    pub fn builder(url: impl Into<String>) -> ClientBuilder {
        ClientBuilder::new(url)
    }

    /// Creates a client from a complete configuration.
    pub fn from_config(config: ClientConfig) -> Result<Self, Error> {
        let transport = Transport::new(&config)?;
        Ok(Self {
            inner: Arc::new(Inner {
                conn: Connection {
                    transport,
                    retry: config.retry.clone(),
                },
                auth: Auth::new(config.credentials.clone()),
                url: config.url,
            }),
        })
    }

    /// The VMS URL this client talks to.
    pub fn url(&self) -> &str {
        &self.inner.url
    }

    /// Logs in now (JWT credentials), so bad credentials show up before the first real call.
    /// Calls log in by themselves when needed, so this is optional.
    pub async fn login(&self) -> Result<(), Error> {
        self.inner.auth.login(&self.inner.conn).await
    }

    /// Ends the JWT session (`POST /api/logout/`). The client stays usable: a later call logs
    /// in again.
    pub async fn close(&self) -> Result<(), Error> {
        self.inner.auth.logout(&self.inner.conn).await
    }

    /// GETs `relative` (e.g. `"clusters/1/"`) and decodes the JSON answer: an escape hatch for
    /// endpoints without a typed wrapper.
    pub async fn get_json<T: DeserializeOwned>(
        &self,
        relative: &str,
        query: &Query,
    ) -> Result<T, Error> {
        self.call(Method::GET, relative, query, None::<&()>).await
    }

    /// Sends `method` to `relative` with an optional JSON body and decodes the answer (an empty
    /// answer decodes as JSON `null`). POST is not retried on transient failures.
    pub async fn send_json<B, T>(
        &self,
        method: Method,
        relative: &str,
        query: &Query,
        body: Option<&B>,
    ) -> Result<T, Error>
    where
        B: Serialize + ?Sized,
        T: DeserializeOwned,
    {
        self.call(method, relative, query, body).await
    }

    /// Every item of a list endpoint (`relative` like `"views/"`), following `next` links.
    pub async fn list_all<T>(&self, relative: &str, query: &Query) -> Result<Vec<T>, Error>
    where
        T: DeserializeOwned + Send + 'static,
    {
        use futures::TryStreamExt;
        self.stream(relative, query).try_collect().await
    }

    /// The items of a list endpoint as a stream across pages.
    pub fn stream<T>(&self, relative: &str, query: &Query) -> ItemStream<T>
    where
        T: DeserializeOwned + Send + 'static,
    {
        paging::items(self.clone(), self.api_path(relative, query))
    }

    /// The pages of a list endpoint as a stream.
    pub fn pages<T>(&self, relative: &str, query: &Query) -> PageStream<T>
    where
        T: DeserializeOwned + Send + 'static,
    {
        paging::pages(self.clone(), self.api_path(relative, query))
    }

    pub(crate) async fn fetch_page<T: DeserializeOwned>(
        &self,
        path: &str,
    ) -> Result<Page<T>, Error> {
        let response = self.execute(&Method::GET, path, None).await?;
        paging::parse_page(&response.body).map_err(|e| {
            Error::decode(
                Call::new(&Method::GET, path, Some(response.status.as_u16())),
                &e,
            )
        })
    }

    pub(crate) async fn call<B, T>(
        &self,
        method: Method,
        relative: &str,
        query: &Query,
        body: Option<&B>,
    ) -> Result<T, Error>
    where
        B: Serialize + ?Sized,
        T: DeserializeOwned,
    {
        let path = self.api_path(relative, query);
        let bytes = encode_body(&method, &path, body)?;
        let response = self.execute(&method, &path, bytes.as_ref()).await?;
        let status = Some(response.status.as_u16());
        let text: &[u8] = if response.body.iter().all(u8::is_ascii_whitespace) {
            b"null"
        } else {
            &response.body
        };
        serde_json::from_slice(text)
            .map_err(|e| Error::decode(Call::new(&method, &path, status), &e))
    }

    /// A call whose success answer carries nothing the caller needs: any 2xx body (JSON, a
    /// plain string, nothing) is accepted unread.
    pub(crate) async fn call_any_body<B>(
        &self,
        method: Method,
        relative: &str,
        query: &Query,
        body: Option<&B>,
    ) -> Result<(), Error>
    where
        B: Serialize + ?Sized,
    {
        let path = self.api_path(relative, query);
        let bytes = encode_body(&method, &path, body)?;
        self.execute(&method, &path, bytes.as_ref()).await?;
        Ok(())
    }

    fn api_path(&self, relative: &str, query: &Query) -> String {
        self.inner
            .conn
            .transport
            .api_path(&query.append_to(relative))
    }

    /// One authenticated call: retries per policy, and one renewal of the JWT session if VMS
    /// rejects the token. Non-success statuses become errors.
    async fn execute(
        &self,
        method: &Method,
        path: &str,
        body: Option<&Bytes>,
    ) -> Result<RawResponse, Error> {
        let Inner { conn, auth, .. } = &*self.inner;
        let idempotent = method != Method::POST;
        let mut renewed = false;
        loop {
            let authorization = auth.authorization(conn).await?;
            let response = conn
                .exchange(
                    method,
                    path,
                    authorization.header.as_ref(),
                    body,
                    idempotent,
                )
                .await?;
            let status = response.status.as_u16();
            let token_rejected =
                status == 401 || (status == 403 && is_token_rejection(&response.body));
            if token_rejected && auth.uses_jwt() && !renewed {
                tracing::debug!(%method, path, status, "VMS rejected the access token; renewing");
                auth.renew_after_rejection(conn, &authorization).await?;
                renewed = true;
                continue;
            }
            if !response.status.is_success() {
                return Err(Error::from_response(
                    Call::new(method, path, Some(status)),
                    &response.body,
                ));
            }
            return Ok(response);
        }
    }
}

/// A request body as JSON bytes (`None` for no body); a body that cannot be encoded is a
/// decode error of the call.
fn encode_body<B: Serialize + ?Sized>(
    method: &Method,
    path: &str,
    body: Option<&B>,
) -> Result<Option<Bytes>, Error> {
    body.map(|body| {
        serde_json::to_vec(body)
            .map(Bytes::from)
            .map_err(|e| Error::decode(Call::new(method, path, None), &e))
    })
    .transpose()
}
