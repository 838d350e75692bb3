//! Who is calling: JWT pairs (HS256 with a per-simulator random secret), API tokens and Basic.
//!
//! Access tokens carry the fault plan's token epoch; `/_sim/expire-tokens` bumps the epoch, so
//! every access token minted before it answers 403 `Token is invalid or expired`, as a token past
//! its lifetime does. Refresh tokens are not affected (a client refreshes and goes on), are
//! single-use (rotation blacklists the old one) and answer 401 when expired.

use std::collections::HashSet;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use hyper::header::{HeaderMap, AUTHORIZATION};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::error::{ApiError, TOKEN_INVALID};
use super::store::Db;
use super::values::now_unix;

/// The caller of one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Principal {
    /// The seeded super-admin manager.
    Admin {
        /// Its user name.
        username: String,
    },
    /// A local user logging in with its VMS password (self-service only).
    User {
        /// The user's id.
        id: u64,
        /// The user's name.
        name: String,
    },
}

impl Principal {
    /// The caller's login name (API token `owner`).
    pub(crate) fn username(&self) -> &str {
        match self {
            Principal::Admin { username } => username,
            Principal::User { name, .. } => name,
        }
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    token_type: String,
    exp: i64,
    exp_ms: u128,
    iat: i64,
    jti: String,
    user_id: u64,
    username: String,
    kind: String,
    epoch: u64,
}

/// Mints and checks JWTs.
pub(crate) struct Jwt {
    encoding: EncodingKey,
    decoding: DecodingKey,
    access_ttl: Duration,
    refresh_ttl: Duration,
    /// `jti`s of refresh tokens already rotated, and of access tokens logged out.
    spent: Mutex<HashSet<String>>,
}

impl std::fmt::Debug for Jwt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Jwt")
            .field("access_ttl", &self.access_ttl)
            .field("refresh_ttl", &self.refresh_ttl)
            .finish_non_exhaustive()
    }
}

fn now_ms() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or(0)
}

impl Jwt {
    /// A signer with a fresh random secret.
    pub(crate) fn new(access_ttl: Duration, refresh_ttl: Duration) -> Self {
        let secret: [u8; 32] = rand::random();
        Self {
            encoding: EncodingKey::from_secret(&secret),
            decoding: DecodingKey::from_secret(&secret),
            access_ttl,
            refresh_ttl,
            spent: Mutex::new(HashSet::new()),
        }
    }

    fn mint(
        &self,
        principal: &Principal,
        token_type: &str,
        ttl: Duration,
        epoch: u64,
    ) -> Result<String, ApiError> {
        let now = now_ms();
        let exp_ms = now + ttl.as_millis();
        let (kind, user_id) = match principal {
            Principal::Admin { .. } => ("manager", 1),
            Principal::User { id, .. } => ("user", *id),
        };
        let claims = Claims {
            token_type: token_type.to_owned(),
            exp: i64::try_from(exp_ms.div_ceil(1000)).unwrap_or(i64::MAX),
            exp_ms,
            iat: now_unix(),
            jti: super::values::api_token(),
            user_id,
            username: principal.username().to_owned(),
            kind: kind.to_owned(),
            epoch,
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|e| ApiError::internal(format!("signing a token: {e}")))
    }

    /// A new `{access, refresh}` pair.
    pub(crate) fn pair(
        &self,
        principal: &Principal,
        epoch: u64,
    ) -> Result<serde_json::Value, ApiError> {
        Ok(json!({
            "access": self.mint(principal, "access", self.access_ttl, epoch)?,
            "refresh": self.mint(principal, "refresh", self.refresh_ttl, epoch)?,
        }))
    }

    /// A new access token alone (a refresh that does not rotate).
    pub(crate) fn access_only(
        &self,
        principal: &Principal,
        epoch: u64,
    ) -> Result<serde_json::Value, ApiError> {
        Ok(json!({ "access": self.mint(principal, "access", self.access_ttl, epoch)? }))
    }

    fn decode(&self, token: &str) -> Option<Claims> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.validate_exp = false;
        validation.leeway = 0;
        validation.required_spec_claims = HashSet::new();
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &validation)
            .ok()
            .map(|data| data.claims)
    }

    fn is_spent(&self, jti: &str) -> bool {
        self.spent
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .contains(jti)
    }

    fn spend(&self, jti: &str) -> bool {
        self.spent
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(jti.to_owned())
    }

    /// The principal behind a valid access token (403 `Token is invalid or expired` otherwise).
    pub(crate) fn check_access(
        &self,
        token: &str,
        epoch: u64,
    ) -> Result<(Principal, String), ApiError> {
        let claims = self.decode(token).ok_or_else(ApiError::token_invalid)?;
        if claims.token_type != "access"
            || claims.exp_ms <= now_ms()
            || claims.epoch < epoch
            || self.is_spent(&claims.jti)
        {
            return Err(ApiError::token_invalid());
        }
        Ok((principal_of(&claims), claims.jti))
    }

    /// Uses a refresh token: the principal it was minted for (401 when expired or spent).
    /// With `rotate` the token is spent (its successor comes in the reply); without, it stays
    /// valid until it expires.
    pub(crate) fn use_refresh(&self, token: &str, rotate: bool) -> Result<Principal, ApiError> {
        let invalid = || ApiError {
            status: hyper::StatusCode::UNAUTHORIZED,
            body: json!({"detail": TOKEN_INVALID, "code": "token_not_valid"}),
        };
        let claims = self.decode(token).ok_or_else(invalid)?;
        let usable = if rotate {
            self.spend(&claims.jti)
        } else {
            !self.is_spent(&claims.jti)
        };
        if claims.token_type != "refresh" || claims.exp_ms <= now_ms() || !usable {
            return Err(invalid());
        }
        Ok(principal_of(&claims))
    }

    /// Logs an access token out: it stops working at once.
    pub(crate) fn revoke(&self, jti: &str) {
        self.spend(jti);
    }
}

fn principal_of(claims: &Claims) -> Principal {
    if claims.kind == "manager" {
        Principal::Admin {
            username: claims.username.clone(),
        }
    } else {
        Principal::User {
            id: claims.user_id,
            name: claims.username.clone(),
        }
    }
}

/// Checks a user name and password: the seeded admin, or a local user with a VMS password.
pub(crate) fn login(
    db: &Db,
    admin: (&str, &str),
    username: &str,
    password: &str,
) -> Option<Principal> {
    if username == admin.0 && password == admin.1 {
        return Some(Principal::Admin {
            username: username.to_owned(),
        });
    }
    let (id, _) = db.find_by("users", "name", username)?;
    (db.passwords.get(&id).map(String::as_str) == Some(password)).then(|| Principal::User {
        id,
        name: username.to_owned(),
    })
}

/// The credentials an `Authorization` header carries.
pub(crate) enum Credentials {
    /// `Bearer <jwt>`.
    Bearer(String),
    /// `Api-Token <token>`.
    ApiToken(String),
    /// `Basic base64(user:pass)`.
    Basic(String, String),
}

/// The scheme only, never the secret.
impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Credentials::Bearer(_) => f.write_str("Bearer(<redacted>)"),
            Credentials::ApiToken(_) => f.write_str("ApiToken(<redacted>)"),
            Credentials::Basic(user, _) => write!(f, "Basic({user}, <redacted>)"),
        }
    }
}

/// Reads the `Authorization` header (401 when missing or malformed).
pub(crate) fn credentials(headers: &HeaderMap) -> Result<Credentials, ApiError> {
    let header = headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| ApiError::unauthorized("Authentication credentials were not provided."))?;
    let (scheme, value) = header
        .split_once(' ')
        .ok_or_else(|| ApiError::unauthorized("Invalid authorization header."))?;
    let value = value.trim();
    match scheme {
        s if s.eq_ignore_ascii_case("Bearer") => Ok(Credentials::Bearer(value.to_owned())),
        "Api-Token" => Ok(Credentials::ApiToken(value.to_owned())),
        s if s.eq_ignore_ascii_case("Basic") => {
            let decoded = STANDARD
                .decode(value)
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .ok_or_else(|| {
                    ApiError::unauthorized(
                        "Invalid basic header. Credentials not correctly base64 encoded.",
                    )
                })?;
            let (user, pass) = decoded.split_once(':').ok_or_else(|| {
                ApiError::unauthorized(
                    "Invalid basic header. Credentials not correctly base64 encoded.",
                )
            })?;
            Ok(Credentials::Basic(user.to_owned(), pass.to_owned()))
        }
        _ => Err(ApiError::unauthorized("Invalid authorization header.")),
    }
}
