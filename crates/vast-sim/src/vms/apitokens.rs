//! API tokens (`/apitokens/`, `Authorization: Api-Token <token>`): at most
//! `max_api_tokens_per_user` active per owner (then 503), shown once, revocable. Modify and
//! revoke answer a JSON string, as VAST's schema says, not the token.

use hyper::Method;
use serde_json::{json, Map, Value};

use super::auth::Principal;
use super::error::{ApiError, ApiResult, FieldErrors, Reply};
use super::query::ListQuery;
use super::router::{Call, Ctx};
use super::store::{ApiToken, Db};
use super::values::{api_token, guid, now_iso, now_unix};
use super::VmsState;

fn active(token: &ApiToken, now: i64) -> bool {
    !token.revoked && token.expires_at.is_none_or(|t| t > now)
}

/// The principal an API token stands for (401 `Invalid token.` otherwise).
pub(crate) fn principal(state: &VmsState, token: &str) -> Result<Principal, ApiError> {
    let mut db = state.lock();
    let now = now_unix();
    let found = db
        .api_tokens
        .iter_mut()
        .find(|t| t.token == token && active(t, now))
        .ok_or_else(|| ApiError::unauthorized("Invalid token."))?;
    found.last_used = Some(now_iso());
    let owner = found.owner.clone();
    if owner == state.config.admin_user {
        return Ok(Principal::Admin { username: owner });
    }
    let (id, _) = db
        .find_by("users", "name", &owner)
        .ok_or_else(|| ApiError::unauthorized("Invalid token."))?;
    Ok(Principal::User { id, name: owner })
}

/// Seconds in an `expiry_date` like `90d`, `12h`, `1Y` (Y 365 d, M 30 d, w, d, h, m minutes, s).
fn expiry_seconds(s: &str) -> Option<i64> {
    let unit = s.chars().last()?;
    let n: i64 = s[..s.len() - unit.len_utf8()].parse().ok()?;
    let per = match unit {
        'Y' => 365 * 86_400,
        'M' => 30 * 86_400,
        'w' | 'W' => 7 * 86_400,
        'd' | 'D' => 86_400,
        'h' | 'H' => 3_600,
        'm' => 60,
        's' | 'S' => 1,
        _ => return None,
    };
    (n > 0).then(|| n.saturating_mul(per))
}

fn show(token: &ApiToken) -> Map<String, Value> {
    let value = json!({
        "id": token.id,
        "name": token.name,
        "owner": token.owner,
        "created": token.created,
        "last_used": token.last_used,
        "expiry_date": token.expiry_date,
        "revoked": token.revoked,
        "revocation_time": token.revocation_time,
    });
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

fn read_expiry(body: &Value, errors: &mut FieldErrors) -> Option<(String, i64)> {
    match body.get("expiry_date") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => match expiry_seconds(s) {
            Some(secs) => Some((s.clone(), secs)),
            None => {
                errors.add(
                    "expiry_date",
                    "Invalid expiry date. Use an integer and a unit, e.g. 90d.",
                );
                None
            }
        },
        Some(_) => {
            errors.add("expiry_date", "Not a valid string.");
            None
        }
    }
}

/// `/apitokens/…`.
pub(crate) fn route(state: &VmsState, ctx: &Ctx, call: &Call, rest: &[&str]) -> ApiResult {
    match (&call.method, rest) {
        (&Method::GET, []) => {
            let query = ListQuery::parse(&call.query, &[])?;
            let archived = call.param("archived") == Some("true");
            let now = now_unix();
            let db = state.lock();
            let rows = db
                .api_tokens
                .iter()
                .filter(|t| archived || active(t, now))
                .map(show)
                .collect();
            Ok(Reply::ok(query.render(
                rows,
                false,
                &call.self_url(),
                &call.query,
            )?))
        }
        (&Method::POST, []) => create(state, ctx, call),
        (&Method::GET, [id]) => {
            let db = state.lock();
            let token = find(&db, id)?;
            Ok(Reply::ok(Value::Object(show(token))))
        }
        (&Method::PATCH, [id]) => {
            let body = call.body_or_empty();
            let mut errors = FieldErrors::default();
            let expiry = read_expiry(&body, &mut errors);
            let name = match body.get("name") {
                None => None,
                Some(Value::String(s)) => Some(s.clone()),
                Some(_) => {
                    errors.add("name", "Not a valid string.");
                    None
                }
            };
            errors.finish()?;
            let mut db = state.lock();
            let token = db
                .api_tokens
                .iter_mut()
                .find(|t| t.id == *id)
                .ok_or_else(ApiError::not_found)?;
            if let Some(name) = name {
                token.name = name;
            }
            if let Some((text, secs)) = expiry {
                token.expiry_date = Some(text);
                token.expires_at = Some(now_unix().saturating_add(secs));
            }
            state.save(&db)?;
            // S53 and S55 `apitokens_modify`: 200, a JSON string.
            Ok(Reply::ok(json!("API token has been modified")))
        }
        (&Method::PATCH, [id, "revoke"]) => {
            let mut db = state.lock();
            let token = db
                .api_tokens
                .iter_mut()
                .find(|t| t.id == *id)
                .ok_or_else(ApiError::not_found)?;
            token.revoked = true;
            token.revocation_time = Some(now_iso());
            state.save(&db)?;
            // S53 and S55 `apitokens_revoke`: 200, a JSON string.
            Ok(Reply::ok(json!("API token has been revoked")))
        }
        (method, [] | [_] | [_, "revoke"]) => Err(ApiError::method_not_allowed(method)),
        _ => Err(ApiError::not_found()),
    }
}

fn find<'a>(db: &'a Db, id: &str) -> Result<&'a ApiToken, ApiError> {
    db.api_tokens
        .iter()
        .find(|t| t.id == id)
        .ok_or_else(ApiError::not_found)
}

fn create(state: &VmsState, ctx: &Ctx, call: &Call) -> ApiResult {
    let body = call.body_or_empty();
    let mut errors = FieldErrors::default();
    let expiry = read_expiry(&body, &mut errors);
    let text = |field: &str, errors: &mut FieldErrors| match body.get(field) {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => {
            errors.add(field, "Not a valid string.");
            None
        }
    };
    let name = text("name", &mut errors).unwrap_or_default();
    let owner = text("owner", &mut errors).unwrap_or_else(|| ctx.principal.username().to_owned());
    errors.finish()?;
    let mut db = state.lock();
    if owner != state.config.admin_user && db.find_by("users", "name", &owner).is_none() {
        return Err(ApiError::field(
            "owner",
            format!("User \"{owner}\" does not exist."),
        ));
    }
    let now = now_unix();
    let held = db
        .api_tokens
        .iter()
        .filter(|t| t.owner == owner && active(t, now))
        .count();
    if held >= state.config.max_api_tokens_per_user {
        return Err(ApiError::unavailable_string(
            "Max allowed API tokens reached",
        ));
    }
    let token = ApiToken {
        id: guid()[..8].to_owned(),
        name,
        owner,
        token: api_token(),
        created: now_iso(),
        expires_at: expiry.as_ref().map(|(_, secs)| now.saturating_add(*secs)),
        expiry_date: expiry.map(|(text, _)| text),
        last_used: None,
        revoked: false,
        revocation_time: None,
    };
    let reply = json!({"id": token.id, "token": token.token});
    db.api_tokens.push(token);
    state.save(&db)?;
    Ok(Reply::created(reply))
}

#[cfg(test)]
mod tests {
    use super::expiry_seconds;

    #[test]
    fn expiry_units() {
        assert_eq!(expiry_seconds("90d"), Some(90 * 86_400));
        assert_eq!(expiry_seconds("2h"), Some(7_200));
        assert_eq!(expiry_seconds("5m"), Some(300));
        assert_eq!(expiry_seconds("x"), None);
        assert_eq!(expiry_seconds("0d"), None);
    }
}
