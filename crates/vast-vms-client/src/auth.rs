//! Credentials and the JWT session: login, refresh before expiry, refresh on rejection,
//! re-login when the refresh token is refused, logout. Concurrent callers share one renewal.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use bytes::Bytes;
use http::header::HeaderValue;
use http::Method;
use serde::Deserialize;

use crate::connection::Connection;
use crate::error::{is_token_rejection, Call, Error};
use crate::secret::Secret;

/// Lifetime assumed for an access token whose `exp` cannot be read (VMS default: 1 hour).
const DEFAULT_ACCESS_TTL: Duration = Duration::from_secs(3600);

/// Renew this long before expiry at most (less for short-lived tokens: a fifth of the lifetime).
const MAX_RENEW_MARGIN: Duration = Duration::from_secs(60);

/// How a client proves who it is.
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub enum Credentials {
    /// No `Authorization` header (only useful against endpoints that need none).
    #[default]
    None,
    /// User name and password exchanged for JWTs at `POST /api/token/`; the access token is sent
    /// as `Bearer` and renewed transparently.
    Jwt {
        /// VMS manager user name.
        username: String,
        /// Its password.
        password: Secret,
    },
    /// HTTP Basic with every call.
    Basic {
        /// VMS manager user name.
        username: String,
        /// Its password.
        password: Secret,
    },
    /// A VMS API token (`Authorization: Api-Token <token>`).
    ApiToken(Secret),
}

/// The `Authorization` header to send and the session generation it came from.
pub(crate) struct Authorization {
    pub(crate) header: Option<HeaderValue>,
    generation: u64,
}

/// The JWT pair in use.
struct Session {
    access: Secret,
    /// `None` when VMS never gave one (then the next renewal is a password login).
    refresh: Option<Secret>,
    renew_at: Instant,
    generation: u64,
}

/// Authentication state of one client.
pub(crate) struct Auth {
    credentials: Credentials,
    session: Mutex<Option<Session>>,
    renewal: tokio::sync::Mutex<()>,
    generations: AtomicU64,
}

/// A `/token/` or `/token/refresh/` answer. `refresh` is optional in VAST's schema: a refresh
/// that does not rotate answers only `access`.
#[derive(Deserialize)]
struct TokenPair {
    access: Secret,
    #[serde(default)]
    refresh: Option<Secret>,
}

#[derive(Deserialize)]
struct Claims {
    exp: Option<u64>,
    iat: Option<u64>,
}

impl Auth {
    pub(crate) fn new(credentials: Credentials) -> Self {
        Self {
            credentials,
            session: Mutex::new(None),
            renewal: tokio::sync::Mutex::new(()),
            generations: AtomicU64::new(0),
        }
    }

    /// Whether this client uses JWTs (and so can renew on a token rejection).
    pub(crate) fn uses_jwt(&self) -> bool {
        matches!(self.credentials, Credentials::Jwt { .. })
    }

    /// The header for the next call, logging in or refreshing first when the access token is
    /// missing or about to expire.
    pub(crate) async fn authorization(&self, conn: &Connection) -> Result<Authorization, Error> {
        match &self.credentials {
            Credentials::None => Ok(Authorization {
                header: None,
                generation: 0,
            }),
            Credentials::Basic { username, password } => {
                let raw = format!("{username}:{}", password.expose());
                let encoded = base64::engine::general_purpose::STANDARD.encode(raw);
                Ok(Authorization {
                    header: Some(sensitive(&format!("Basic {encoded}"))?),
                    generation: 0,
                })
            }
            Credentials::ApiToken(token) => Ok(Authorization {
                header: Some(sensitive(&format!("Api-Token {}", token.expose()))?),
                generation: 0,
            }),
            Credentials::Jwt { .. } => {
                let seen = self.generation();
                if let Some(current) = self.current(false) {
                    return Ok(current);
                }
                self.renew(conn, seen, false).await?;
                self.current(true).ok_or_else(|| {
                    Error::Config("JWT session vanished right after login".to_owned())
                })
            }
        }
    }

    /// Called after VMS refused the token of `rejected`: renews the session unless another
    /// caller already did.
    pub(crate) async fn renew_after_rejection(
        &self,
        conn: &Connection,
        rejected: &Authorization,
    ) -> Result<(), Error> {
        self.renew(conn, rejected.generation, true).await
    }

    /// Logs in now (JWT only; other credentials need no login).
    pub(crate) async fn login(&self, conn: &Connection) -> Result<(), Error> {
        if !self.uses_jwt() {
            return Ok(());
        }
        let _turn = self.renewal.lock().await;
        self.obtain(conn, None).await
    }

    /// Ends the JWT session (`POST /api/logout/`) and forgets the tokens.
    pub(crate) async fn logout(&self, conn: &Connection) -> Result<(), Error> {
        let Some(current) = self.current(true) else {
            return Ok(());
        };
        *self.session.lock().unwrap_or_else(PoisonError::into_inner) = None;
        let path = conn.transport.api_path("logout/");
        let response = conn
            .exchange(&Method::POST, &path, current.header.as_ref(), None, false)
            .await?;
        let status = response.status.as_u16();
        // A session VMS no longer knows is as ended as a logged-out one.
        if response.status.is_success()
            || status == 401
            || (status == 403 && is_token_rejection(&response.body))
        {
            Ok(())
        } else {
            Err(Error::from_response(
                Call::new(&Method::POST, &path, Some(response.status.as_u16())),
                &response.body,
            ))
        }
    }

    fn generation(&self) -> u64 {
        self.session
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .as_ref()
            .map_or(0, |s| s.generation)
    }

    /// The current bearer header; `None` if there is no session or (unless `even_if_stale`) it
    /// is due for renewal.
    fn current(&self, even_if_stale: bool) -> Option<Authorization> {
        let guard = self.session.lock().unwrap_or_else(PoisonError::into_inner);
        let session = guard.as_ref()?;
        if !even_if_stale && Instant::now() >= session.renew_at {
            return None;
        }
        let header = sensitive(&format!("Bearer {}", session.access.expose())).ok()?;
        Some(Authorization {
            header: Some(header),
            generation: session.generation,
        })
    }

    /// Single-flight renewal: the first caller refreshes (or logs in); callers that queued
    /// behind it find a newer generation and return at once.
    async fn renew(&self, conn: &Connection, seen: u64, forced: bool) -> Result<(), Error> {
        let _turn = self.renewal.lock().await;
        let (generation, fresh) = {
            let guard = self.session.lock().unwrap_or_else(PoisonError::into_inner);
            match guard.as_ref() {
                Some(s) => (s.generation, Instant::now() < s.renew_at),
                None => (0, false),
            }
        };
        if generation != seen && (fresh || forced) {
            return Ok(());
        }
        let refresh = self
            .session
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .as_ref()
            .and_then(|s| s.refresh.clone());
        self.obtain(conn, refresh).await
    }

    /// Refreshes with `refresh` when given, falling back to a password login when VMS refuses
    /// it; stores the new pair.
    async fn obtain(&self, conn: &Connection, refresh: Option<Secret>) -> Result<(), Error> {
        if let Some(refresh) = refresh {
            let body = serde_json::json!({ "refresh": refresh.expose() });
            match self.token_call(conn, "token/refresh/", &body).await {
                Ok(pair) => {
                    tracing::debug!("VMS access token refreshed");
                    // Without a new refresh token the one just used stays valid: keep it.
                    self.store(pair, Some(refresh));
                    return Ok(());
                }
                Err(Error::AuthFailed { .. } | Error::Validation { .. }) => {
                    tracing::debug!("VMS refused the refresh token; logging in again");
                }
                Err(other) => return Err(other),
            }
        }
        let Credentials::Jwt { username, password } = &self.credentials else {
            return Ok(());
        };
        let body = serde_json::json!({ "username": username, "password": password.expose() });
        let pair = self.token_call(conn, "token/", &body).await?;
        tracing::debug!(user = %username, "logged in to VMS");
        self.store(pair, None);
        Ok(())
    }

    async fn token_call(
        &self,
        conn: &Connection,
        endpoint: &str,
        body: &serde_json::Value,
    ) -> Result<TokenPair, Error> {
        let path = conn.transport.unversioned_path(endpoint);
        let call = |status| Call::new(&Method::POST, &path, status);
        let bytes = Bytes::from(body.to_string());
        // Token calls create nothing on the server, so they are safe to retry.
        let response = conn
            .exchange(&Method::POST, &path, None, Some(&bytes), true)
            .await?;
        let status = response.status.as_u16();
        if !response.status.is_success() {
            return Err(Error::from_response(call(Some(status)), &response.body));
        }
        serde_json::from_slice(&response.body).map_err(|e| Error::decode(call(Some(status)), &e))
    }

    /// Stores a new session; its refresh token is the answer's, else `previous` (the refresh
    /// token just used), never an empty one.
    fn store(&self, pair: TokenPair, previous: Option<Secret>) {
        let refresh = pair
            .refresh
            .filter(|r| !r.is_empty())
            .or(previous.filter(|r| !r.is_empty()));
        let lifetime = access_lifetime(pair.access.expose());
        let margin = (lifetime / 5).min(MAX_RENEW_MARGIN);
        let generation = self.generations.fetch_add(1, Ordering::SeqCst) + 1;
        let mut guard = self.session.lock().unwrap_or_else(PoisonError::into_inner);
        *guard = Some(Session {
            access: pair.access,
            refresh,
            renew_at: Instant::now() + lifetime.saturating_sub(margin),
            generation,
        });
    }
}

/// How long an access token lives, read from its (unverified) `exp` and `iat` claims. The
/// difference of the two is immune to clock skew between client and VMS; without `iat`, `exp`
/// is compared with the local clock; without `exp`, the VMS default of one hour is assumed.
fn access_lifetime(token: &str) -> Duration {
    let Ok(data) = jsonwebtoken::dangerous::insecure_decode::<Claims>(token) else {
        return DEFAULT_ACCESS_TTL;
    };
    match (data.claims.exp, data.claims.iat) {
        (Some(exp), Some(iat)) if exp > iat => Duration::from_secs(exp - iat),
        (Some(exp), _) => {
            let now = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_secs());
            if exp > now {
                Duration::from_secs(exp - now)
            } else {
                DEFAULT_ACCESS_TTL
            }
        }
        _ => DEFAULT_ACCESS_TTL,
    }
}

fn sensitive(value: &str) -> Result<HeaderValue, Error> {
    let mut header = HeaderValue::from_str(value).map_err(|_| {
        Error::Config("credentials contain characters not allowed in a header".to_owned())
    })?;
    header.set_sensitive(true);
    Ok(header)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jwt(claims: &serde_json::Value) -> String {
        let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        format!(
            "{}.{}.c2ln",
            engine.encode(r#"{"alg":"HS256","typ":"JWT"}"#),
            engine.encode(claims.to_string())
        )
    }

    #[test]
    fn lifetime_comes_from_exp_and_iat() {
        let token = jwt(&serde_json::json!({"exp": 1_000_120, "iat": 1_000_000}));
        assert_eq!(access_lifetime(&token), Duration::from_secs(120));
    }

    #[test]
    fn lifetime_falls_back_to_an_hour() {
        assert_eq!(access_lifetime("not-a-jwt"), DEFAULT_ACCESS_TTL);
        let no_exp = jwt(&serde_json::json!({"user": "admin"}));
        assert_eq!(access_lifetime(&no_exp), DEFAULT_ACCESS_TTL);
        let past = jwt(&serde_json::json!({"exp": 5}));
        assert_eq!(access_lifetime(&past), DEFAULT_ACCESS_TTL);
    }

    #[test]
    fn lifetime_without_iat_uses_the_local_clock() {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let token = jwt(&serde_json::json!({"exp": now + 600}));
        let lifetime = access_lifetime(&token);
        assert!(lifetime <= Duration::from_secs(600) && lifetime >= Duration::from_secs(590));
    }

    #[test]
    fn credentials_debug_hides_passwords() {
        let creds = Credentials::Jwt {
            username: "admin".to_owned(),
            password: Secret::new("123456"),
        };
        let shown = format!(
            "{creds:?} {:?}",
            Credentials::ApiToken(Secret::new("tok-xyz"))
        );
        assert!(
            !shown.contains("123456") && !shown.contains("tok-xyz"),
            "{shown}"
        );
        assert!(shown.contains("admin"));
    }
}
