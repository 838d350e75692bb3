//! S3 identity policies (`/s3policies/`, attached to users by their `s3_policies_ids`) and the
//! S3 authorisation they take part in: who may do what on a bucket.
//!
//! A request on a bucket is allowed when no attached, enabled policy denies it, and the user
//! owns the bucket (`bucket_owner`), or is `s3_superuser` in the bucket's tenant, or an
//! attached, enabled policy of the bucket's tenant allows the action on the bucket or key.
//! Anything else is denied (the S3 face answers 403 `AccessDenied`). Groups are not modelled:
//! policies reach users only through `s3_policies_ids`.

use serde_json::{json, Value};

use super::error::{ApiError, FieldErrors};
use super::iam::{self, Decision};
use super::store::{Db, Row};
use super::views::bucket_view;
use crate::control::{AccessRequest, S3Identity};

/// The table.
const TABLE: &str = "s3policies";

/// Defaults and checks of a policy being created or changed: enabled unless said otherwise,
/// in the default tenant unless one is named (or `X-Tenant-Name` scoped the call), and a
/// `policy` that reads as a policy document.
pub(crate) fn prepare(db: &Db, row: &mut Row) -> Result<(), ApiError> {
    row.entry("enabled").or_insert(json!(true));
    row.entry("tenant_id").or_insert(json!(1));
    let mut errors = FieldErrors::default();
    if let Some(tenant) = row.get("tenant_id").and_then(Value::as_u64) {
        if db.row("tenants", tenant).is_none() {
            errors.add(
                "tenant_id",
                format!("Invalid pk \"{tenant}\" - object does not exist."),
            );
        }
    }
    if let Some(text) = row.get("policy").and_then(Value::as_str) {
        if let Err(why) = iam::validate(text) {
            errors.add("policy", format!("Invalid S3 policy: {why}."));
        }
    }
    errors.finish()
}

/// `s3_policies_ids` of a user must name existing policies.
pub(crate) fn check_user_policies(db: &Db, row: &Row) -> Result<(), ApiError> {
    let ids = row
        .get("s3_policies_ids")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    for id in ids.iter().filter_map(Value::as_u64) {
        if db.row(TABLE, id).is_none() {
            return Err(ApiError::field(
                "s3_policies_ids",
                format!("Invalid pk \"{id}\" - object does not exist."),
            ));
        }
    }
    Ok(())
}

/// The policy ids attached to user `user_id`.
fn attached(db: &Db, user_id: u64) -> Vec<u64> {
    db.row("users", user_id)
        .and_then(|u| u.get("s3_policies_ids"))
        .and_then(Value::as_array)
        .map(|ids| ids.iter().filter_map(Value::as_u64).collect())
        .unwrap_or_default()
}

/// Computed policy fields: the names of the users it is attached to, its groups (none).
pub(crate) fn decorate(db: &Db, id: u64, out: &mut Row) {
    let users: Vec<Value> = db
        .rows("users")
        .filter(|(uid, _)| attached(db, **uid).contains(&id))
        .filter_map(|(_, u)| u.get("name").cloned())
        .collect();
    out.insert("users".to_owned(), json!(users));
    out.insert("groups".to_owned(), json!([]));
    out.insert("is_replicated".to_owned(), json!(false));
    let name = out.get("name").cloned().unwrap_or(Value::Null);
    out.insert("title".to_owned(), name);
}

/// `s3_policies` of a user as VMS shows it: `[{id, name}]` of its attached policies.
pub(crate) fn user_policies(db: &Db, user_id: u64) -> Value {
    Value::Array(
        attached(db, user_id)
            .into_iter()
            .filter_map(|id| {
                db.row(TABLE, id)
                    .map(|p| json!({"id": id, "name": p.get("name")}))
            })
            .collect(),
    )
}

/// A deleted policy is detached from every user.
pub(crate) fn detach_everywhere(db: &mut Db, id: u64) {
    for row in db.table("users").rows.values_mut() {
        if let Some(Value::Array(ids)) = row.get_mut("s3_policies_ids") {
            ids.retain(|v| v.as_u64() != Some(id));
        }
    }
}

/// Whether `identity` may do `request` (see the module documentation).
pub(crate) fn may_access(db: &Db, identity: &S3Identity, request: &AccessRequest<'_>) -> bool {
    let Some((_, view)) = bucket_view(db, request.bucket) else {
        return false;
    };
    let bucket_tenant = view.get("tenant_id").and_then(Value::as_u64).unwrap_or(1);
    let asked = iam::Request {
        action: &request.action,
        bucket: request.bucket,
        key: request.key,
    };
    let mut allowed_by_policy = false;
    for id in attached(db, identity.user_id) {
        let Some(policy) = db.row(TABLE, id) else {
            continue;
        };
        if policy.get("enabled").and_then(Value::as_bool) == Some(false) {
            continue;
        }
        let text = policy.get("policy").and_then(Value::as_str).unwrap_or("");
        match iam::decide(text, &asked) {
            Decision::Deny => return false,
            Decision::Allow => {
                let tenant = policy.get("tenant_id").and_then(Value::as_u64).unwrap_or(1);
                allowed_by_policy |= tenant == bucket_tenant;
            }
            Decision::NotApplicable => {}
        }
    }
    let owner = view.get("bucket_owner").and_then(Value::as_str) == Some(&identity.user_name);
    let superuser = db
        .row("users", identity.user_id)
        .and_then(|u| u.get("s3_superuser"))
        .and_then(Value::as_bool)
        == Some(true)
        && identity.tenant_id == bucket_tenant;
    owner || superuser || allowed_by_policy
}
