//! The cluster itself: seed data, tokens and login/logout, `/clusters/`, `/vms/`, `/capacity/`
//! and completed `/vtasks/`.

use std::time::Duration;

use serde_json::{json, Value};

use super::auth::{self, Principal};
use super::error::{ApiError, ApiResult, FieldErrors, Reply};
use super::resources::Usage;
use super::router::{admin, Call, Ctx, Links};
use super::store::{Db, Row};
use super::values::{guid, now_iso};
use super::views::bucket_of;
use super::{Endpoints, VmsState};
use crate::SimConfig;

/// Simulated raw capacity (1 PiB), physical and logical.
const CAPACITY: u64 = 1 << 50;

fn object(value: Value) -> Row {
    match value {
        Value::Object(map) => map,
        _ => Row::new(),
    }
}

fn seed_row(db: &mut Db, table: &str, id: u64, value: Value) {
    let t = db.table(table);
    t.rows.entry(id).or_insert_with(|| {
        let mut row = object(value);
        row.insert("id".to_owned(), json!(id));
        row.entry("guid").or_insert(json!(guid()));
        row.entry("created").or_insert(json!(now_iso()));
        row
    });
    t.next_id = t.next_id.max(id + 1);
}

/// Seeds what a fresh cluster has and refreshes what depends on this run's listeners.
pub(crate) fn seed(db: &mut Db, config: &SimConfig, endpoints: &Endpoints) {
    let vms_ip = endpoints.vms.ip().to_string();
    let s3_ip = endpoints.s3.ip().to_string();
    seed_row(
        db,
        "tenants",
        1,
        json!({"name": "default", "client_ip_ranges": [], "access_ip_ranges": []}),
    );
    seed_row(
        db,
        "viewpolicies",
        1,
        json!({
            "name": "default", "flavor": "NFS", "tenant_id": 1, "auth_source": "RPC",
            "is_s3_default_policy": false, "nfs_read_write": ["*"], "nfs_root_squash": [],
        }),
    );
    seed_row(
        db,
        "viewpolicies",
        2,
        json!({
            "name": "s3_default_policy", "flavor": "S3_NATIVE", "tenant_id": 1, "auth_source": "RPC",
            "allowed_characters": "LCD", "is_s3_default_policy": true, "s3_read_write": [],
        }),
    );
    seed_row(
        db,
        "vippools",
        1,
        json!({
            "name": "vippool-1", "role": "PROTOCOLS", "enabled": true, "tenant_id": null,
            "subnet_cidr": 8, "vast_sim_s3_url": "",
        }),
    );
    seed_row(
        db,
        "clusters",
        1,
        json!({
            "name": config.cluster_name, "psnt": "VAST-SIM-0001", "sw_version": config.profile.sw_version(),
            "build": config.profile.build(), "state": "ONLINE", "leader_state": "UP",
            "ssd_raid_state": "HEALTHY", "nvram_raid_state": "HEALTHY", "memory_raid_state": "HEALTHY",
            "enable_s3": true, "s3_enable_http": true, "s3_enable_https": true,
            "s3_block_v2_authentication": false, "s3_enable_v2_authentication": false,
        }),
    );
    seed_row(
        db,
        "vms",
        1,
        json!({"name": "vms", "min_tls_version": "1.2"}),
    );
    seed_row(
        db,
        "versions",
        1,
        json!({
            "name": "vast-sim", "sys_version": config.profile.sw_version(), "status": "success", "os_version": "sim",
        }),
    );
    seed_row(
        db,
        "localproviders",
        1,
        json!({"name": "local", "tenant_id": 1}),
    );
    seed_row(
        db,
        "managers",
        1,
        json!({
            "username": config.admin_user, "user_type": "SUPER_ADMIN", "tenant_id": null, "roles": [],
        }),
    );
    if let Some(manager) = db.table("managers").rows.get_mut(&1) {
        manager.insert("username".to_owned(), json!(config.admin_user));
    }
    if let Some(cluster) = db.table("clusters").rows.get_mut(&1) {
        cluster.insert("name".to_owned(), json!(config.cluster_name));
        cluster.insert("mgmt_vip".to_owned(), json!(vms_ip));
        cluster.insert("sw_version".to_owned(), json!(config.profile.sw_version()));
        cluster.insert("build".to_owned(), json!(config.profile.build()));
    }
    if let Some(version) = db.table("versions").rows.get_mut(&1) {
        version.insert("sys_version".to_owned(), json!(config.profile.sw_version()));
    }
    let s3_url = format!("{}://{}", endpoints.scheme(), endpoints.s3);
    let vip_ips: Vec<String> = crate::vips::vip_addresses(endpoints.s3.ip(), endpoints.s3_vips)
        .iter()
        .map(ToString::to_string)
        .collect();
    let last_ip = vip_ips.last().cloned().unwrap_or_else(|| s3_ip.clone());
    for pool in db.table("vippools").rows.values_mut() {
        if pool.contains_key("vast_sim_s3_url") {
            pool.insert("ip_ranges".to_owned(), json!([[s3_ip, last_ip]]));
            pool.insert("vast_sim_s3_url".to_owned(), json!(s3_url));
        }
    }
    seed_vips(db, config, &vip_ips);
}

/// `/vips/`: one row per S3 VIP of the seeded pool, each on its own CNode, rebuilt on every
/// start (the listeners are this run's). Rows carry `vippool_id` and `cnode_id` beside the
/// real names so `vippool__id` and `cnode__id` filter them.
fn seed_vips(db: &mut Db, config: &SimConfig, ips: &[String]) {
    let pool_name = db.name_of("vippools", 1);
    let table = db.table("vips");
    table.rows.clear();
    for (i, ip) in ips.iter().enumerate() {
        let id = u64::try_from(i).unwrap_or(u64::MAX).saturating_add(1);
        let mut row = object(json!({
            "id": id, "ip": ip, "vippool": pool_name, "vippool_id": 1,
            "cnode": format!("cnode-{id}"), "cnode_id": id, "hostname": format!("cnode-{id}"),
            "cluster": config.cluster_name, "name": format!("vip-{id}"), "guid": guid(),
        }));
        row.insert("created".to_owned(), json!(now_iso()));
        table.rows.insert(id, row);
    }
    table.next_id = u64::try_from(ips.len())
        .unwrap_or(u64::MAX)
        .saturating_add(1);
}

fn text_field(body: &Value, field: &str, errors: &mut FieldErrors) -> String {
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

/// `POST /token/ {username, password}` → 200 `{access, refresh}`.
pub(crate) fn obtain_token(state: &VmsState, call: &Call) -> ApiResult {
    let body = call.body_or_empty();
    let mut errors = FieldErrors::default();
    let username = text_field(&body, "username", &mut errors);
    let password = text_field(&body, "password", &mut errors);
    errors.finish()?;
    let principal =
        auth::login(&state.lock(), admin(state), &username, &password).ok_or_else(|| {
            ApiError::unauthorized("No active account found with the given credentials")
        })?;
    state.faults.count("vms.auth.token");
    Ok(Reply::ok(
        state.jwt.pair(&principal, state.faults.token_epoch())?,
    ))
}

/// `POST /token/refresh/ {refresh}` → 200 with a new pair (both rotated), or with a new
/// `access` only when the profile does not rotate refresh tokens.
pub(crate) fn refresh_token(state: &VmsState, call: &Call) -> ApiResult {
    let body = call.body_or_empty();
    let mut errors = FieldErrors::default();
    let refresh = text_field(&body, "refresh", &mut errors);
    errors.finish()?;
    let rotate = state.config.profile.refresh_rotates();
    let principal = state.jwt.use_refresh(&refresh, rotate)?;
    if let Principal::User { id, .. } = &principal {
        if state.lock().row("users", *id).is_none() {
            return Err(ApiError::unauthorized("User not found"));
        }
    }
    state.faults.count("vms.auth.refresh");
    let epoch = state.faults.token_epoch();
    Ok(Reply::ok(if rotate {
        state.jwt.pair(&principal, epoch)?
    } else {
        state.jwt.access_only(&principal, epoch)?
    }))
}

fn manager_record(ctx: &Ctx) -> Value {
    match &ctx.principal {
        Principal::Admin { username } => json!({
            "id": 1,
            "username": username,
            "user_type": "SUPER_ADMIN",
            "tenant_id": null,
            "roles": [],
            "permissions": ["create_security", "view_security", "edit_security", "delete_security",
                "create_logical", "view_logical", "edit_logical", "delete_logical"],
            "url": ctx.links.item("managers", 1),
        }),
        Principal::User { id, name } => json!({
            "id": id,
            "username": name,
            "user_type": "LOCAL_USER",
            "tenant_id": ctx.tenant.unwrap_or(1),
            "roles": [],
            "permissions": [],
            "url": ctx.links.item("users", id),
        }),
    }
}

/// `GET /login/`: the caller's manager record.
pub(crate) fn whoami(ctx: &Ctx) -> ApiResult {
    Ok(Reply::ok(manager_record(ctx)))
}

/// `POST /logout/`: the access token used stops working; 201 with the manager record.
pub(crate) fn logout(state: &VmsState, ctx: &Ctx) -> ApiResult {
    if let Some(jti) = &ctx.jti {
        state.jwt.revoke(jti);
    }
    Ok(Reply::created(manager_record(ctx)))
}

/// `GET /capacity/?path=/dir`: usable/unique/logical bytes of a path and its bucket views.
pub(crate) fn capacity(state: &VmsState, call: &Call) -> ApiResult {
    let path = call.param("path").unwrap_or("/").to_owned();
    let usage = state.usage();
    let db = state.lock();
    let mut total = 0u64;
    let mut details = Vec::new();
    for (_, view) in db.rows("views") {
        let Some(view_path) = view.get("path").and_then(Value::as_str) else {
            continue;
        };
        let under = path == "/"
            || view_path == path
            || view_path
                .strip_prefix(path.as_str())
                .is_some_and(|r| r.starts_with('/'));
        if !under {
            continue;
        }
        let bytes = bucket_of(view)
            .and_then(|b| usage.get(b))
            .map_or(0, |u| u.bytes);
        total += bytes;
        details.push(json!([view_path, {"data": [bytes, bytes, bytes]}]));
    }
    Ok(Reply::ok(json!({
        "keys": ["usable", "unique", "logical"],
        "sort_key": "usable",
        "time": now_iso(),
        "root_data": [total, total, total],
        "details": details,
    })))
}

/// Records a vtask that already completed and returns it (for `async_task` answers).
pub(crate) fn completed_task(db: &mut Db, name: &str, links: &Links) -> Value {
    let now = now_iso();
    let mut row = object(json!({
        "name": name, "state": "COMPLETED", "messages": [], "info": null,
        "start_time": now, "end_time": now, "execution_time": 0, "timeout_in_seconds": 300,
    }));
    row.insert("guid".to_owned(), json!(guid()));
    let id = db.table("vtasks").insert(row.clone());
    row.insert("id".to_owned(), json!(id));
    row.insert("url".to_owned(), json!(links.item("vtasks", id)));
    Value::Object(row)
}

/// Computed cluster fields: capacity from the buckets' usage.
pub(crate) fn decorate_cluster(state: &VmsState, usage: &Usage, out: &mut Row) {
    // Logical figures: the bytes stored; physical: after the configured data reduction; the
    // estimated logical capacity is the physical one times the ratio (as VMS estimates it).
    let used: u64 = usage.values().map(|u| u.bytes).sum();
    let ratio = state.config.reduction_ratio();
    let used_phys = state.config.physical_of(used);
    let logical_space = (CAPACITY as f64 * ratio) as u64;
    let free = CAPACITY.saturating_sub(used_phys);
    let free_logical = logical_space.saturating_sub(used);
    let percent = (used_phys as f64 * 100.0 / CAPACITY as f64).round() as u64;
    let logical_percent = (used as f64 * 100.0 / logical_space as f64).round() as u64;
    for (k, v) in [
        ("physical_space", json!(CAPACITY)),
        ("physical_space_in_use", json!(used_phys)),
        ("logical_space", json!(logical_space)),
        ("logical_space_in_use", json!(used)),
        ("free_physical_space", json!(free)),
        ("free_logical_space", json!(free_logical)),
        ("usable_capacity_bytes", json!(CAPACITY)),
        ("free_usable_capacity", json!(free)),
        ("physical_space_tb", json!(CAPACITY as f64 / 1e12)),
        ("logical_space_tb", json!(logical_space as f64 / 1e12)),
        ("drr", json!(ratio)),
        ("drr_text", json!(format!("1:{ratio:.1}"))),
        ("physical_space_in_use_percent", json!(percent)),
        ("logical_space_in_use_percent", json!(logical_percent)),
    ] {
        out.insert(k.to_owned(), v);
    }
    out.insert(
        "mgmt_vip".to_owned(),
        json!(state.endpoints.vms.ip().to_string()),
    );
}

/// `[DD ]HH:MM:SS`, as VMS prints token lifetimes.
fn lifetime(d: Duration) -> String {
    let s = d.as_secs();
    let (days, h, m, s) = (s / 86_400, s % 86_400 / 3_600, s % 3_600 / 60, s % 60);
    if days > 0 {
        format!("{days} {h:02}:{m:02}:{s:02}")
    } else {
        format!("{h:02}:{m:02}:{s:02}")
    }
}

/// Computed VMS fields from the simulator's configuration.
pub(crate) fn decorate_vms(state: &VmsState, out: &mut Row) {
    let c = &state.config;
    for (k, v) in [
        ("sw_version", json!(c.profile.sw_version())),
        ("build", json!(c.profile.build())),
        ("mgmt_vip", json!(state.endpoints.vms.ip().to_string())),
        ("mgmt_ip", json!(state.endpoints.vms.ip().to_string())),
        ("ssl_port", json!(state.endpoints.vms.port())),
        ("access_token_lifetime", json!(lifetime(c.access_token_ttl))),
        (
            "refresh_token_lifetime",
            json!(lifetime(c.refresh_token_ttl)),
        ),
        ("max_api_tokens_per_user", json!(c.max_api_tokens_per_user)),
        ("state", json!("CONFIGURED")),
        ("degraded_reason", Value::Null),
        ("capacity_base_10", json!(true)),
    ] {
        out.insert(k.to_owned(), v);
    }
}

#[cfg(test)]
mod tests {
    use super::lifetime;
    use std::time::Duration;

    #[test]
    fn lifetimes() {
        assert_eq!(lifetime(Duration::from_secs(3600)), "01:00:00");
        assert_eq!(lifetime(Duration::from_secs(86_400)), "1 00:00:00");
    }
}
