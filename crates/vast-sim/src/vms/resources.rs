//! Generic CRUD over the JSON tables, with per-kind hooks (validation, side effects on the
//! object store, computed fields) in the kind's own module.

use std::collections::HashMap;

use hyper::{Method, StatusCode};
use serde_json::{json, Value};

use super::error::{ApiError, ApiResult, Reply};
use super::events;
use super::query::ListQuery;
use super::router::{Call, Ctx};
use super::schema::{self, Kind};
use super::store::{Db, Row};
use super::values::{guid, now_iso};
use super::{quotas, s3policies, system, tenancy, views, VmsState};
use crate::control::{BucketUsage, DataPlaneError};
use crate::Profile;

/// Bucket bytes and objects by bucket name (read before taking the state lock).
pub(crate) type Usage = HashMap<String, BucketUsage>;

/// What a create, update or delete must also do outside the state lock, or after it.
#[derive(Default)]
pub(crate) struct Effects {
    /// Create this bucket in the object store first.
    pub(crate) create_bucket: Option<String>,
    /// Delete this (empty) bucket from the object store first.
    pub(crate) delete_bucket: Option<String>,
    /// A new VMS password for the local user (`password` is write-only in the API).
    pub(crate) password: Option<String>,
    /// The versioning and object lock this bucket must have (a WORM view), applied after any
    /// create.
    pub(crate) bucket_lock: Option<(String, crate::control::BucketLock)>,
}

/// Buckets only: the password never prints.
impl std::fmt::Debug for Effects {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Effects")
            .field("create_bucket", &self.create_bucket)
            .field("delete_bucket", &self.delete_bucket)
            .finish_non_exhaustive()
    }
}

impl VmsState {
    /// `/<collection>/`: list or create.
    pub(crate) fn collection(&self, ctx: &Ctx, call: &Call, kind: &'static Kind) -> ApiResult {
        match call.method {
            Method::GET => self.list(ctx, call, kind),
            Method::POST if kind.name == "events" => events::inject(self, ctx, call),
            Method::POST if kind.create => self.create(ctx, call, kind),
            ref other => Err(ApiError::method_not_allowed(other)),
        }
    }

    /// `/<collection>/<id>/`: read, update or delete one object.
    pub(crate) fn item(&self, ctx: &Ctx, call: &Call, kind: &'static Kind, id: u64) -> ApiResult {
        match call.method {
            Method::GET => {
                let query = ListQuery::parse(&call.query, &[])?;
                let usage = self.usage_for(kind);
                let db = self.lock();
                let row = visible(&db, ctx, kind, id)?;
                Ok(Reply::ok(query.project(Value::Object(decorate(
                    self, &db, ctx, &usage, kind, id, row,
                )))))
            }
            Method::PATCH if kind.patch => self.update(ctx, call, kind, id, false),
            Method::PUT if kind.put => self.update(ctx, call, kind, id, true),
            Method::DELETE if kind.delete => self.remove(ctx, call, kind, id),
            ref other => Err(ApiError::method_not_allowed(other)),
        }
    }

    fn list(&self, ctx: &Ctx, call: &Call, kind: &'static Kind) -> ApiResult {
        let query = ListQuery::parse(&call.query, &[])?;
        let usage = self.usage_for(kind);
        let db = self.lock();
        let rows: Vec<Row> = db
            .rows(kind.name)
            .filter(|(_, row)| in_scope(ctx, kind, row))
            .map(|(id, row)| decorate(self, &db, ctx, &usage, kind, *id, row))
            .collect();
        let rows = if kind.name == "events" || kind.name == "alarms" {
            rows.into_iter().rev().collect()
        } else {
            rows
        };
        let always_envelope = kind.name == "events";
        Ok(Reply::ok(query.render(
            rows,
            always_envelope,
            &call.self_url(),
            &call.query,
        )?))
    }

    fn create(&self, ctx: &Ctx, call: &Call, kind: &'static Kind) -> ApiResult {
        let _change = self.one_change();
        let mut row = schema::validate(kind, &call.body_or_empty(), true)?;
        if kind.tenant_scoped && !row.contains_key("tenant_id") {
            if let Some(tenant) = ctx.tenant {
                row.insert("tenant_id".to_owned(), json!(tenant));
            }
        }
        let profile = self.config.profile;
        let effects = prepare(&self.lock(), profile, ctx, kind, None, &mut row)?;
        self.bucket_effects(&effects)?;
        let usage = self.usage_for(kind);
        let mut db = self.lock();
        // The lock was let go for the object store: check again before committing.
        if let Err(error) = prepare(&db, profile, ctx, kind, None, &mut row) {
            drop(db);
            self.undo_create(&effects);
            return Err(error);
        }
        row.insert("guid".to_owned(), json!(guid()));
        row.insert("created".to_owned(), json!(now_iso()));
        let id = db.table(kind.name).insert(row);
        if let Some(password) = effects.password {
            db.passwords.insert(id, password);
        }
        finish_create(&mut db, profile, kind, id);
        events::record_change(&mut db, &self.config, kind, id, "created");
        self.save(&db)?;
        let row = db.row(kind.name, id).cloned().unwrap_or_default();
        Ok(Reply::created(Value::Object(decorate(
            self, &db, ctx, &usage, kind, id, &row,
        ))))
    }

    fn update(&self, ctx: &Ctx, call: &Call, kind: &'static Kind, id: u64, put: bool) -> ApiResult {
        let _change = self.one_change();
        let patch = schema::validate(kind, &call.body_or_empty(), put)?;
        let profile = self.config.profile;
        let merge = |old: &Row| {
            let mut merged = old.clone();
            merged.extend(patch.clone());
            merged
        };
        let effects = {
            let db = self.lock();
            let old = visible(&db, ctx, kind, id)?;
            let mut merged = merge(old);
            prepare(&db, profile, ctx, kind, Some((id, old)), &mut merged)?
        };
        self.bucket_effects(&effects)?;
        let usage = self.usage_for(kind);
        let mut db = self.lock();
        let old = match visible(&db, ctx, kind, id) {
            Ok(old) => old.clone(),
            Err(error) => {
                drop(db);
                self.undo_create(&effects);
                return Err(error);
            }
        };
        let mut merged = merge(&old);
        if let Err(error) = prepare(&db, profile, ctx, kind, Some((id, &old)), &mut merged) {
            drop(db);
            self.undo_create(&effects);
            return Err(error);
        }
        db.table(kind.name).rows.insert(id, merged.clone());
        if let Some(password) = effects.password {
            db.passwords.insert(id, password);
        }
        if !matches!(kind.name, "alarms" | "clusters" | "vms") {
            events::record_change(&mut db, &self.config, kind, id, "updated");
        }
        self.save(&db)?;
        Ok(Reply::ok(Value::Object(decorate(
            self, &db, ctx, &usage, kind, id, &merged,
        ))))
    }

    fn remove(&self, ctx: &Ctx, call: &Call, kind: &'static Kind, id: u64) -> ApiResult {
        let _change = self.one_change();
        let effects = {
            let db = self.lock();
            let row = visible(&db, ctx, kind, id)?;
            prepare_delete(&db, kind, id, row)?
        };
        self.bucket_effects(&effects)?;
        let mut db = self.lock();
        if db.row(kind.name, id).is_none() {
            return Err(ApiError::not_found());
        }
        events::record_change(&mut db, &self.config, kind, id, "deleted");
        db.table(kind.name).rows.remove(&id);
        if kind.name == "s3policies" {
            s3policies::detach_everywhere(&mut db, id);
        }
        if kind.name == "users" {
            db.access_keys.retain(|k| k.user_id != id);
            db.passwords.remove(&id);
        }
        if kind.name == "tenants" && call.param("force_remove") == Some("true") {
            let task = system::completed_task(&mut db, "TenantDeleteTask", &call.links);
            self.save(&db)?;
            return Ok(Reply::with(StatusCode::OK, json!({ "async_task": task })));
        }
        self.save(&db)?;
        Ok(Reply::no_content())
    }

    /// Bucket usage, read only for the kinds that show it (it may cost the store a scan).
    fn usage_for(&self, kind: &Kind) -> Usage {
        if matches!(kind.name, "views" | "quotas" | "clusters") {
            self.usage()
        } else {
            Usage::new()
        }
    }

    /// Runs the object-store side of a mutation (without the state lock). A failed delete of
    /// the old bucket rolls a just-created new one back.
    fn bucket_effects(&self, effects: &Effects) -> Result<(), ApiError> {
        if let Some(bucket) = &effects.create_bucket {
            self.data.create_bucket(bucket).map_err(|e| match e {
                DataPlaneError::BucketExists(_) => {
                    ApiError::field("bucket", format!("Bucket {bucket} already exists."))
                }
                other => ApiError::internal(other.to_string()),
            })?;
        }
        if let Some((bucket, lock)) = &effects.bucket_lock {
            if let Err(error) = self.data.set_bucket_lock(bucket, lock) {
                self.undo_create(effects);
                return Err(ApiError::internal(error.to_string()));
            }
        }
        if let Some(bucket) = &effects.delete_bucket {
            match self.data.delete_bucket(bucket) {
                Ok(()) | Err(DataPlaneError::NoSuchBucket(_)) => {}
                Err(error) => {
                    self.undo_create(effects);
                    return Err(match error {
                        DataPlaneError::BucketNotEmpty(_) => ApiError::conflict(
                            "bucket_not_empty",
                            format!("Bucket {bucket} is not empty. Delete its objects first."),
                        ),
                        other => ApiError::internal(other.to_string()),
                    });
                }
            }
        }
        Ok(())
    }

    fn undo_create(&self, effects: &Effects) {
        if let Some(bucket) = &effects.create_bucket {
            if let Err(error) = self.data.delete_bucket(bucket) {
                tracing::warn!(%error, bucket, "rolling back a bucket");
            }
        }
    }
}

/// A row the caller may see (404 otherwise).
pub(crate) fn visible<'a>(
    db: &'a Db,
    ctx: &Ctx,
    kind: &Kind,
    id: u64,
) -> Result<&'a Row, ApiError> {
    db.row(kind.name, id)
        .filter(|row| in_scope(ctx, kind, row))
        .ok_or_else(ApiError::not_found)
}

/// Whether `X-Tenant-Name` lets the caller see `row` (rows without a tenant are shared).
pub(crate) fn in_scope(ctx: &Ctx, kind: &Kind, row: &Row) -> bool {
    match (ctx.tenant, kind.tenant_scoped) {
        (Some(tenant), true) => match row.get("tenant_id") {
            Some(Value::Number(n)) => n.as_u64() == Some(tenant),
            _ => true,
        },
        (Some(tenant), false) if kind.name == "tenants" => {
            row.get("id").and_then(Value::as_u64) == Some(tenant)
        }
        _ => true,
    }
}

fn prepare(
    db: &Db,
    profile: Profile,
    ctx: &Ctx,
    kind: &Kind,
    old: Option<(u64, &Row)>,
    row: &mut Row,
) -> Result<Effects, ApiError> {
    let me = old.map(|(id, _)| id);
    if kind.unique_name {
        unique(db, kind, "name", me, row)?;
    }
    match kind.name {
        "views" => views::prepare(db, profile, ctx, old, row),
        "quotas" => quotas::prepare(db, old, row),
        "users" => {
            s3policies::check_user_policies(db, row)?;
            tenancy::prepare_user(db, profile, old, row)
        }
        "s3policies" => s3policies::prepare(db, row).map(|()| Effects::default()),
        "tenants" | "viewpolicies" | "vippools" => {
            tenancy::prepare(db, profile, kind, me, row).map(|()| Effects::default())
        }
        _ => Ok(Effects::default()),
    }
}

fn finish_create(db: &mut Db, profile: Profile, kind: &Kind, id: u64) {
    match kind.name {
        "views" => views::finish_create(db, id),
        "tenants" => tenancy::finish_tenant(db, profile, id),
        _ => {}
    }
}

fn prepare_delete(db: &Db, kind: &Kind, id: u64, row: &Row) -> Result<Effects, ApiError> {
    match kind.name {
        "views" => Ok(views::prepare_delete(row)),
        "tenants" | "viewpolicies" => {
            tenancy::prepare_delete(db, kind, id).map(|()| Effects::default())
        }
        _ => Ok(Effects::default()),
    }
}

/// 400 `{"<field>": ["<noun> with this <field> already exists."]}` on a duplicate.
pub(crate) fn unique(
    db: &Db,
    kind: &Kind,
    field: &str,
    me: Option<u64>,
    row: &Row,
) -> Result<(), ApiError> {
    let Some(value) = row.get(field).filter(|v| !v.is_null()) else {
        return Ok(());
    };
    let taken = db
        .rows(kind.name)
        .any(|(id, other)| Some(*id) != me && other.get(field) == Some(value));
    if taken {
        return Err(ApiError::field(
            field,
            format!("{} with this {field} already exists.", kind.noun),
        ));
    }
    Ok(())
}

/// The object as the API shows it: the stored fields plus id, url and computed fields.
pub(crate) fn decorate(
    state: &VmsState,
    db: &Db,
    ctx: &Ctx,
    usage: &Usage,
    kind: &Kind,
    id: u64,
    row: &Row,
) -> Row {
    let mut out = row.clone();
    out.insert("id".to_owned(), json!(id));
    out.insert("url".to_owned(), json!(ctx.links.item(kind.name, id)));
    if let Some(tenant) = row.get("tenant_id").and_then(Value::as_u64) {
        out.insert(
            "tenant_name".to_owned(),
            json!(db.name_of("tenants", tenant)),
        );
    }
    match kind.name {
        "views" => views::decorate(&state.config, db, usage, &mut out),
        "quotas" => quotas::decorate(&state.config, db, usage, &mut out),
        "users" => tenancy::decorate_user(db, id, &mut out),
        "s3policies" => s3policies::decorate(db, id, &mut out),
        "tenants" => tenancy::decorate_tenant(db, id, &mut out),
        "viewpolicies" | "vippools" => tenancy::decorate_cluster_object(&state.config, &mut out),
        "clusters" => system::decorate_cluster(state, usage, &mut out),
        "vms" => system::decorate_vms(state, &mut out),
        _ => {}
    }
    out
}
