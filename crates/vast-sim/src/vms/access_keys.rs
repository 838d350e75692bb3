//! S3 access keys of local users: `/users/<id>/access_keys/` (admin), `/s3keys/` (the calling
//! user's own) and `/locals3keys/` (list). These keys are what the S3 face authenticates.

use hyper::Method;
use serde_json::{json, Value};

use super::auth::Principal;
use super::error::{ApiError, ApiResult, FieldErrors, Reply};
use super::events;
use super::query::ListQuery;
use super::router::{Call, Ctx};
use super::store::{AccessKey, Db};
use super::values::{access_key, now_iso, secret_key};
use super::VmsState;
use crate::control::S3Identity;

/// The identity behind an enabled key.
pub(crate) fn identity(db: &Db, key: &str) -> Option<S3Identity> {
    let k = db
        .access_keys
        .iter()
        .find(|k| k.access_key == key && k.enabled)?;
    let user = db.row("users", k.user_id)?;
    let flag = |f: &str| user.get(f).and_then(Value::as_bool).unwrap_or(false);
    Some(S3Identity {
        access_key: k.access_key.clone(),
        secret_key: k.secret_key.clone(),
        user_id: k.user_id,
        user_name: user
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
        tenant_id: k.tenant_id,
        allow_create_bucket: flag("allow_create_bucket") || flag("s3_superuser"),
        allow_delete_bucket: flag("allow_delete_bucket") || flag("s3_superuser"),
    })
}

/// A user's keys as `GET /users/<id>/` shows them (no secrets).
pub(crate) fn user_keys(db: &Db, user_id: u64) -> Value {
    Value::Array(
        db.access_keys
            .iter()
            .filter(|k| k.user_id == user_id)
            .map(|k| {
                json!({
                    "access_key": k.access_key,
                    "creation_time": k.creation_time,
                    "enabled": k.enabled,
                    "tenant_id": k.tenant_id,
                })
            })
            .collect(),
    )
}

/// Issues a key pair for a user: `{access_key, secret_key}` (the only time the secret shows).
fn issue(state: &VmsState, db: &mut Db, user_id: u64, tenant_id: u64) -> Result<Value, ApiError> {
    let held = db
        .access_keys
        .iter()
        .filter(|k| k.user_id == user_id)
        .count();
    if held >= state.config.max_access_keys_per_user {
        return Err(ApiError::bad_request(format!(
            "User can have at most {} access keys.",
            state.config.max_access_keys_per_user
        )));
    }
    if db.row("tenants", tenant_id).is_none() {
        return Err(ApiError::field(
            "tenant_id",
            format!("Invalid pk \"{tenant_id}\" - object does not exist."),
        ));
    }
    let key = AccessKey {
        access_key: access_key(),
        secret_key: secret_key(),
        user_id,
        tenant_id,
        enabled: true,
        creation_time: now_iso(),
    };
    let reply = json!({"access_key": key.access_key, "secret_key": key.secret_key});
    let message = format!("Access key {} created", key.access_key);
    db.access_keys.push(key);
    events::record_user_event(db, &state.config, user_id, "ACCESS_KEY_CREATED", &message);
    state.save(db)?;
    Ok(reply)
}

fn string_field(body: &Value, field: &str, errors: &mut FieldErrors) -> String {
    match body.get(field) {
        Some(Value::String(s)) if !s.is_empty() => s.clone(),
        Some(Value::String(_)) => {
            errors.add(field, "This field may not be blank.");
            String::new()
        }
        Some(_) => {
            errors.add(field, "Not a valid string.");
            String::new()
        }
        None => {
            errors.add(field, "This field is required.");
            String::new()
        }
    }
}

/// `POST|PATCH|DELETE /users/<id>/access_keys/`.
pub(crate) fn route(state: &VmsState, ctx: &Ctx, call: &Call, id: &str) -> ApiResult {
    let user_id: u64 = id.parse().map_err(|_| ApiError::not_found())?;
    let body = call.body_or_empty();
    let mut db = state.lock();
    if db.row("users", user_id).is_none() {
        return Err(ApiError::not_found());
    }
    match call.method {
        Method::POST => {
            let tenant_id = match body.get("tenant_id") {
                None | Some(Value::Null) => ctx.tenant.unwrap_or(1),
                Some(v) => v
                    .as_u64()
                    .ok_or_else(|| ApiError::field("tenant_id", "A valid integer is required."))?,
            };
            Ok(Reply::ok(issue(state, &mut db, user_id, tenant_id)?))
        }
        Method::PATCH => {
            let mut errors = FieldErrors::default();
            let key = string_field(&body, "access_key", &mut errors);
            let enabled = match body.get("enabled") {
                Some(Value::Bool(b)) => *b,
                Some(_) => {
                    errors.add("enabled", "Must be a valid boolean.");
                    false
                }
                None => {
                    errors.add("enabled", "This field is required.");
                    false
                }
            };
            errors.finish()?;
            let found = db
                .access_keys
                .iter_mut()
                .find(|k| k.user_id == user_id && k.access_key == key)
                .ok_or_else(ApiError::not_found)?;
            found.enabled = enabled;
            let what = if enabled { "enabled" } else { "disabled" };
            let message = format!("Access key {key} {what}");
            events::record_user_event(
                &mut db,
                &state.config,
                user_id,
                "ACCESS_KEY_MODIFIED",
                &message,
            );
            state.save(&db)?;
            Ok(Reply::no_content())
        }
        Method::DELETE => {
            let mut errors = FieldErrors::default();
            let key = string_field(&body, "access_key", &mut errors);
            errors.finish()?;
            delete_key(state, &mut db, user_id, &key)
        }
        ref other => Err(ApiError::method_not_allowed(other)),
    }
}

fn delete_key(state: &VmsState, db: &mut Db, user_id: u64, key: &str) -> ApiResult {
    let before = db.access_keys.len();
    db.access_keys
        .retain(|k| !(k.user_id == user_id && k.access_key == key));
    if db.access_keys.len() == before {
        return Err(ApiError::not_found());
    }
    let message = format!("Access key {key} deleted");
    events::record_user_event(db, &state.config, user_id, "ACCESS_KEY_DELETED", &message);
    state.save(db)?;
    Ok(Reply::no_content())
}

/// `/s3keys/`: the calling local user's own keys (POST 201, GET, DELETE `/s3keys/<key>/`).
pub(crate) fn self_service(state: &VmsState, ctx: &Ctx, call: &Call, rest: &[&str]) -> ApiResult {
    let Principal::User { id: user_id, .. } = ctx.principal else {
        return Err(ApiError::bad_request(
            "Self-service S3 keys belong to local users; use /users/<id>/access_keys/.",
        ));
    };
    let mut db = state.lock();
    match (&call.method, rest) {
        (&Method::GET, []) => Ok(Reply::ok(user_keys(&db, user_id))),
        (&Method::POST, []) => {
            let tenant = ctx.tenant.unwrap_or(1);
            Ok(Reply::created(issue(state, &mut db, user_id, tenant)?))
        }
        (&Method::DELETE, [key]) => delete_key(state, &mut db, user_id, key),
        (method, [] | [_]) => Err(ApiError::method_not_allowed(method)),
        _ => Err(ApiError::not_found()),
    }
}

/// `GET /locals3keys/?user_id=&tenant_id=`: every local user's keys (no secrets).
pub(crate) fn list_local(state: &VmsState, call: &Call) -> ApiResult {
    let query = ListQuery::parse(&call.query, &[])?;
    let db = state.lock();
    let rows = db
        .access_keys
        .iter()
        .enumerate()
        .map(|(i, k)| {
            let user = db.name_of("users", k.user_id);
            let tenant = db.name_of("tenants", k.tenant_id);
            let row = json!({
                "id": i + 1,
                "access_key": k.access_key,
                "creation_time": k.creation_time,
                "enabled": k.enabled,
                "user_id": k.user_id,
                "tenant_id": k.tenant_id,
                "user": {"id": k.user_id, "name": user},
                "tenant": {"id": k.tenant_id, "name": tenant},
            });
            match row {
                Value::Object(map) => map,
                _ => serde_json::Map::new(),
            }
        })
        .collect();
    Ok(Reply::ok(query.render(
        rows,
        false,
        &call.self_url(),
        &call.query,
    )?))
}
