//! Tenants, view policies, VIP pools and local users: checks, defaults and computed fields.

use serde_json::{json, Value};

use super::access_keys;
use super::error::{ApiError, FieldErrors};
use super::resources::Effects;
use super::schema::Kind;
use super::store::{Db, Row};
use crate::{Profile, SimConfig};

/// The seeded local provider (`local`), the only one a 5.3 profile has.
const SEEDED_PROVIDER: u64 = 1;

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

/// Checks and defaults of tenants, view policies and VIP pools. `me` is the id of the object
/// being updated.
pub(crate) fn prepare(
    db: &Db,
    profile: Profile,
    kind: &Kind,
    me: Option<u64>,
    row: &mut Row,
) -> Result<(), ApiError> {
    let mut errors = FieldErrors::default();
    match kind.name {
        "tenants" => tenant_provider(db, profile, me, row, &mut errors),
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

/// A tenant's `local_provider_id` must exist; with a provider per tenant (5.5) no other tenant
/// may hold it, and a new tenant without one gets its own (`finish_tenant`). 5.3 tenants
/// share the seeded provider.
fn tenant_provider(
    db: &Db,
    profile: Profile,
    me: Option<u64>,
    row: &mut Row,
    errors: &mut FieldErrors,
) {
    let Some(provider) = row.get("local_provider_id").and_then(Value::as_u64) else {
        if !profile.local_provider_per_tenant() {
            row.insert("local_provider_id".to_owned(), json!(SEEDED_PROVIDER));
        }
        return;
    };
    if db.row("localproviders", provider).is_none() {
        errors.add(
            "local_provider_id",
            format!("Invalid pk \"{provider}\" - object does not exist."),
        );
        return;
    }
    if profile.local_provider_per_tenant() {
        let holder = db.rows("tenants").find(|(id, t)| {
            Some(**id) != me && t.get("local_provider_id").and_then(Value::as_u64) == Some(provider)
        });
        if let Some((_, holder)) = holder {
            let name = holder.get("name").and_then(Value::as_str).unwrap_or("?");
            errors.add(
                "local_provider_id",
                format!("Local provider {provider} is already assigned to tenant {name}."),
            );
        }
    }
}

/// With a provider per tenant, a new tenant that named none gets a provider of its own,
/// `<tenant>-local`.
pub(crate) fn finish_tenant(db: &mut Db, profile: Profile, id: u64) {
    if !profile.local_provider_per_tenant() {
        return;
    }
    let Some(tenant) = db.row("tenants", id) else {
        return;
    };
    if tenant.get("local_provider_id").is_some_and(Value::is_u64) {
        return;
    }
    let name = tenant
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or("tenant");
    let mut provider = Row::new();
    provider.insert("name".to_owned(), json!(format!("{name}-local")));
    provider.insert("tenant_id".to_owned(), json!(id));
    provider.insert("guid".to_owned(), json!(super::values::guid()));
    provider.insert("created".to_owned(), json!(super::values::now_iso()));
    let provider_id = db.table("localproviders").insert(provider);
    if let Some(tenant) = db.table("tenants").rows.get_mut(&id) {
        tenant.insert("local_provider_id".to_owned(), json!(provider_id));
    }
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

/// Defaults of a local user; its write-only `password` moves out of the row. A 5.5 profile
/// requires `local_provider_id` on create; 5.3 defaults it to the seeded provider.
pub(crate) fn prepare_user(
    db: &Db,
    profile: Profile,
    old: Option<(u64, &Row)>,
    row: &mut Row,
) -> Result<Effects, ApiError> {
    let no_provider = row.get("local_provider_id").is_none_or(Value::is_null);
    if old.is_none() && no_provider && profile.user_requires_local_provider() {
        return Err(ApiError::field(
            "local_provider_id",
            "This field is required.",
        ));
    }
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
        ("local_provider_id", json!(SEEDED_PROVIDER)),
    ] {
        if row.get(field).is_none_or(Value::is_null) {
            row.insert(field.to_owned(), default);
        }
    }
    let provider = row
        .get("local_provider_id")
        .and_then(Value::as_u64)
        .unwrap_or(SEEDED_PROVIDER);
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
    let provider = out.get("local_provider_id").and_then(Value::as_u64);
    out.insert("local_provider".to_owned(), provider_ref(db, provider));
    out.insert("vid".to_owned(), json!(id));
    out.insert("sid".to_owned(), json!(format!("S-1-5-21-vast-sim-{id}")));
    out.insert("groups".to_owned(), json!([]));
    out.insert("leading_group_name".to_owned(), Value::Null);
    out.insert(
        "s3_policies".to_owned(),
        super::s3policies::user_policies(db, id),
    );
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
    let provider = out
        .get("local_provider_id")
        .and_then(Value::as_u64)
        .unwrap_or(SEEDED_PROVIDER);
    out.insert("local_provider_id".to_owned(), json!(provider));
    out.insert(
        "local_provider".to_owned(),
        provider_ref(db, Some(provider)),
    );
    if let Some(Value::Object(p)) = out.get("local_provider") {
        let title = p.get("name").cloned().unwrap_or(Value::Null);
        out.insert("local_provider_title".to_owned(), title);
    }
    out.insert("encryption_group_state".to_owned(), json!("NONE"));
    out.insert("sync".to_owned(), json!("SYNCED"));
}

/// `{id, name}` of a local provider (`LocalProviderData`); rows from before providers were
/// recorded use the seeded one, a tenant without any shows `null`.
fn provider_ref(db: &Db, provider: Option<u64>) -> Value {
    let id = provider.unwrap_or(SEEDED_PROVIDER);
    match db.name_of("localproviders", id) {
        Some(name) => json!({"id": id, "name": name}),
        None => Value::Null,
    }
}

/// Cluster name and id on policies and pools.
pub(crate) fn decorate_cluster_object(config: &SimConfig, out: &mut Row) {
    out.insert("cluster".to_owned(), json!(config.cluster_name));
    out.insert("cluster_id".to_owned(), json!(1));
    if out.contains_key("ip_ranges") {
        out.entry("state").or_insert(json!("ACTIVE"));
    }
}
