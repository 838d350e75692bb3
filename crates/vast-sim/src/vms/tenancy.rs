//! Tenants, view policies, VIP pools and local users: checks, defaults and computed fields.

use serde_json::{json, Value};

use super::access_keys;
use super::error::{ApiError, FieldErrors};
use super::resources::Effects;
use super::schema::Kind;
use super::store::{Db, Row};
use crate::SimConfig;

fn tenant_exists(db: &Db, row: &Row, errors: &mut FieldErrors) {
    if let Some(tenant) = row.get("tenant_id").and_then(Value::as_u64) {
        if db.row("tenants", tenant).is_none() {
            errors.add(
                "tenant_id",
                format!("Invalid pk \"{tenant}\" - object does not exist."),
            );
        }
    }
}

/// Checks and defaults of tenants, view policies and VIP pools.
pub(crate) fn prepare(db: &Db, kind: &Kind, row: &mut Row) -> Result<(), ApiError> {
    let mut errors = FieldErrors::default();
    match kind.name {
        "viewpolicies" => {
            row.entry("tenant_id").or_insert(json!(1));
            row.entry("flavor").or_insert(json!("NFS"));
            tenant_exists(db, row, &mut errors);
        }
        "vippools" => {
            row.entry("role").or_insert(json!("PROTOCOLS"));
            row.entry("enabled").or_insert(json!(true));
            row.entry("tenant_id").or_insert(Value::Null);
            row.entry("ip_ranges").or_insert(json!([]));
            tenant_exists(db, row, &mut errors);
            let ranges_ok = row
                .get("ip_ranges")
                .and_then(Value::as_array)
                .is_some_and(|ranges| {
                    ranges.iter().all(|r| {
                        r.as_array().is_some_and(|pair| {
                            pair.len() == 2
                                && pair.iter().all(|ip| {
                                    ip.as_str()
                                        .is_some_and(|s| s.parse::<std::net::IpAddr>().is_ok())
                                })
                        })
                    })
                });
            if !ranges_ok {
                errors.add("ip_ranges", "Expected a list of [start_ip, end_ip] pairs.");
            }
        }
        _ => {}
    }
    errors.finish()
}

/// Refuses to delete the default tenant, and tenants or policies still in use.
pub(crate) fn prepare_delete(db: &Db, kind: &Kind, id: u64) -> Result<(), ApiError> {
    let used_by = |table: &str, field: &str| {
        db.rows(table)
            .any(|(_, r)| r.get(field).and_then(Value::as_u64) == Some(id))
    };
    match kind.name {
        "tenants" if id == 1 => Err(ApiError::bad_request(
            "The default tenant cannot be deleted.",
        )),
        "tenants" if used_by("views", "tenant_id") || used_by("quotas", "tenant_id") => Err(
            ApiError::conflict("tenant_in_use", "The tenant still has views or quotas."),
        ),
        "viewpolicies" if used_by("views", "policy_id") => Err(ApiError::conflict(
            "policy_in_use",
            "The view policy is still used by views.",
        )),
        _ => Ok(()),
    }
}

/// Defaults of a local user; its write-only `password` moves out of the row.
pub(crate) fn prepare_user(
    db: &Db,
    old: Option<(u64, &Row)>,
    row: &mut Row,
) -> Result<Effects, ApiError> {
    let password = row
        .remove("password")
        .and_then(|p| p.as_str().map(str::to_owned));
    if old.is_none() && !row.get("uid").is_some_and(Value::is_i64) {
        let next_uid = db
            .rows("users")
            .filter_map(|(_, r)| r.get("uid").and_then(Value::as_i64))
            .max()
            .map_or(1000, |m| m + 1)
            .max(1000);
        row.insert("uid".to_owned(), json!(next_uid));
    }
    for (field, default) in [
        ("allow_create_bucket", json!(false)),
        ("allow_delete_bucket", json!(false)),
        ("s3_superuser", json!(false)),
        ("gids", json!([])),
        ("s3_policies_ids", json!([])),
        ("local_provider_id", json!(1)),
    ] {
        if row.get(field).is_none_or(Value::is_null) {
            row.insert(field.to_owned(), default);
        }
    }
    let provider = row
        .get("local_provider_id")
        .and_then(Value::as_u64)
        .unwrap_or(1);
    if db.row("localproviders", provider).is_none() {
        return Err(ApiError::field(
            "local_provider_id",
            format!("Invalid pk \"{provider}\" - object does not exist."),
        ));
    }
    Ok(Effects {
        password,
        ..Effects::default()
    })
}

/// Computed user fields: the keys (never their secrets) and the provider.
pub(crate) fn decorate_user(db: &Db, id: u64, out: &mut Row) {
    out.insert("access_keys".to_owned(), access_keys::user_keys(db, id));
    out.insert(
        "local_provider".to_owned(),
        json!({"id": 1, "name": "local"}),
    );
    out.insert("vid".to_owned(), json!(id));
    out.insert("sid".to_owned(), json!(format!("S-1-5-21-vast-sim-{id}")));
    out.insert("groups".to_owned(), json!([]));
    out.insert("leading_group_name".to_owned(), Value::Null);
    out.insert("s3_policies".to_owned(), json!([]));
}

/// Computed tenant fields: its VIP pools and provider.
pub(crate) fn decorate_tenant(db: &Db, id: u64, out: &mut Row) {
    let pools: Vec<Value> = db
        .rows("vippools")
        .filter(|(_, p)| p.get("tenant_id").and_then(Value::as_u64) == Some(id))
        .map(|(pid, p)| json!({"id": pid, "name": p.get("name")}))
        .collect();
    let names: Vec<Value> = pools
        .iter()
        .filter_map(|p| p.get("name").cloned())
        .collect();
    out.insert("vippools".to_owned(), json!(pools));
    out.insert("vippool_names".to_owned(), json!(names));
    out.insert(
        "local_provider".to_owned(),
        json!({"id": 1, "name": "local"}),
    );
    out.insert("encryption_group_state".to_owned(), json!("NONE"));
    out.insert("sync".to_owned(), json!("SYNCED"));
}

/// Cluster name and id on policies and pools.
pub(crate) fn decorate_cluster_object(config: &SimConfig, out: &mut Row) {
    out.insert("cluster".to_owned(), json!(config.cluster_name));
    out.insert("cluster_id".to_owned(), json!(1));
    if out.contains_key("ip_ranges") {
        out.entry("state").or_insert(json!("ACTIVE"));
    }
}
