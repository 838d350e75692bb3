//! One request, end to end: read the body, parse the path, authenticate, authorize, dispatch.

use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper::header::{HeaderMap, HOST};
use hyper::{Method, Request, Response};
use serde_json::Value;

use super::auth::{self, Credentials, Principal};
use super::error::{into_response, ApiError, ApiResult};
use super::paths::{parse_path, parse_query, ApiPath};
use super::schema;
use super::{access_keys, apitokens, events, system, VmsState};
use crate::http::FaceBody;

/// Builds absolute self links with the API prefix the client used.
#[derive(Debug, Clone)]
pub(crate) struct Links {
    /// `http(s)://host:port`.
    pub(crate) base: String,
    /// `/api/` or `/api/v5/` or `/api/latest/`.
    pub(crate) prefix: String,
}

impl Links {
    /// `…/api/<coll>/<id>/`.
    pub(crate) fn item(&self, collection: &str, id: impl std::fmt::Display) -> String {
        format!("{}{}{collection}/{id}/", self.base, self.prefix)
    }
}

/// One parsed request.
pub(crate) struct Call {
    pub(crate) method: Method,
    pub(crate) path: ApiPath,
    pub(crate) query: Vec<(String, String)>,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Option<Value>,
    pub(crate) links: Links,
}

/// Method and path only: headers and bodies carry credentials.
impl std::fmt::Debug for Call {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Call")
            .field("method", &self.method)
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl Call {
    /// The body, or an empty object when none was sent.
    pub(crate) fn body_or_empty(&self) -> Value {
        self.body
            .clone()
            .unwrap_or_else(|| Value::Object(serde_json::Map::new()))
    }

    /// A query parameter's first value.
    pub(crate) fn param(&self, key: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// The absolute URL of the request path (no query), for paging links.
    pub(crate) fn self_url(&self) -> String {
        let mut url = format!("{}{}", self.links.base, self.path.prefix);
        for segment in &self.path.segments {
            url.push_str(segment);
            url.push('/');
        }
        url
    }
}

/// Who is calling, and in which tenant.
#[derive(Debug, Clone)]
pub(crate) struct Ctx {
    pub(crate) principal: Principal,
    /// The tenant `X-Tenant-Name` scoped the request to.
    pub(crate) tenant: Option<u64>,
    /// The `jti` of the access token used, if any (for logout).
    pub(crate) jti: Option<String>,
    pub(crate) links: Links,
}

/// Serves one request.
pub(crate) async fn serve(state: &VmsState, req: Request<Incoming>) -> Response<FaceBody> {
    let (parts, body) = req.into_parts();
    let bytes = match body.collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(error) => {
            return into_response(Err(ApiError::bad_request(format!(
                "reading the request body: {error}"
            ))))
        }
    };
    let Some(path) = parse_path(parts.uri.path()) else {
        return into_response(Err(ApiError::not_found()));
    };
    let body = if bytes.iter().all(u8::is_ascii_whitespace) {
        None
    } else {
        match serde_json::from_slice::<Value>(&bytes) {
            Ok(value) => Some(value),
            Err(error) => {
                return into_response(Err(ApiError::bad_request(format!(
                    "JSON parse error - {error}"
                ))))
            }
        }
    };
    let host = parts
        .headers
        .get(HOST)
        .and_then(|h| h.to_str().ok())
        .map_or_else(|| state.endpoints.vms.to_string(), str::to_owned);
    let links = Links {
        base: format!("{}://{host}", state.endpoints.scheme()),
        prefix: path.prefix.clone(),
    };
    let call = Call {
        method: parts.method,
        query: parse_query(parts.uri.query()),
        path,
        headers: parts.headers,
        body,
        links,
    };
    state.faults.count("vms.api.requests");
    into_response(route(state, &call))
}

fn route(state: &VmsState, call: &Call) -> ApiResult {
    let segments: Vec<&str> = call.path.segments.iter().map(String::as_str).collect();
    match segments.as_slice() {
        ["token"] => only(call, &Method::POST, || system::obtain_token(state, call)),
        ["token", "refresh"] => only(call, &Method::POST, || system::refresh_token(state, call)),
        _ => {
            let ctx = authenticate(state, call)?;
            authorize(&ctx, &segments)?;
            dispatch(state, &ctx, call, &segments)
        }
    }
}

/// Answers 405 unless the method is `method`.
pub(crate) fn only(call: &Call, method: &Method, f: impl FnOnce() -> ApiResult) -> ApiResult {
    if call.method == *method {
        f()
    } else {
        Err(ApiError::method_not_allowed(&call.method))
    }
}

fn authenticate(state: &VmsState, call: &Call) -> Result<Ctx, ApiError> {
    let epoch = state.faults.token_epoch();
    let (principal, jti) = match auth::credentials(&call.headers)? {
        Credentials::Bearer(token) => {
            state.faults.count("vms.auth.bearer_requests");
            let (principal, jti) = state.jwt.check_access(&token, epoch)?;
            (principal, Some(jti))
        }
        Credentials::ApiToken(token) => {
            state.faults.count("vms.auth.api_token_requests");
            (apitokens::principal(state, &token)?, None)
        }
        Credentials::Basic(user, pass) => {
            state.faults.count("vms.auth.basic_requests");
            let db = state.lock();
            let principal = auth::login(&db, admin(state), &user, &pass)
                .ok_or_else(|| ApiError::unauthorized("Invalid username/password."))?;
            (principal, None)
        }
    };
    let db = state.lock();
    if let Principal::User { id, .. } = &principal {
        if db.row("users", *id).is_none() {
            return Err(ApiError::unauthorized("User not found"));
        }
    }
    let tenant = match call
        .headers
        .get("x-tenant-name")
        .and_then(|v| v.to_str().ok())
    {
        Some(name) if !name.is_empty() => Some(
            db.rows("tenants")
                .find(|(_, row)| {
                    row.get("name").and_then(Value::as_str) == Some(name)
                        || row.get("domain_name").and_then(Value::as_str) == Some(name)
                })
                .map(|(id, _)| *id)
                .ok_or_else(|| {
                    ApiError::bad_request(format!("Tenant \"{name}\" does not exist."))
                })?,
        ),
        _ => None,
    };
    Ok(Ctx {
        principal,
        tenant,
        jti,
        links: call.links.clone(),
    })
}

/// The seeded admin's credentials.
pub(crate) fn admin(state: &VmsState) -> (&str, &str) {
    (&state.config.admin_user, &state.config.admin_password)
}

/// RBAC: a local user may only use its self-service calls.
fn authorize(ctx: &Ctx, segments: &[&str]) -> Result<(), ApiError> {
    match (&ctx.principal, segments.first()) {
        (Principal::Admin { .. }, _) => Ok(()),
        (Principal::User { .. }, Some(&("login" | "logout" | "s3keys"))) => Ok(()),
        (Principal::User { .. }, _) => Err(ApiError::permission_denied()),
    }
}

fn dispatch(state: &VmsState, ctx: &Ctx, call: &Call, segments: &[&str]) -> ApiResult {
    match segments {
        ["login"] => only(call, &Method::GET, || system::whoami(ctx)),
        ["logout"] => only(call, &Method::POST, || system::logout(state, ctx)),
        ["capacity"] => only(call, &Method::GET, || system::capacity(state, call)),
        ["apitokens", rest @ ..] => apitokens::route(state, ctx, call, rest),
        ["users", id, "access_keys"] => access_keys::route(state, ctx, call, id),
        ["s3keys", rest @ ..] => access_keys::self_service(state, ctx, call, rest),
        ["locals3keys"] => only(call, &Method::GET, || access_keys::list_local(state, call)),
        ["alarms", "clear"] => events::clear_alarms(state, call),
        [collection] => match schema::kind(collection) {
            Some(kind) => state.collection(ctx, call, kind),
            None => Err(ApiError::not_found()),
        },
        [collection, id] => match (schema::kind(collection), id.parse::<u64>()) {
            (Some(kind), Ok(id)) => state.item(ctx, call, kind, id),
            _ => Err(ApiError::not_found()),
        },
        _ => Err(ApiError::not_found()),
    }
}
