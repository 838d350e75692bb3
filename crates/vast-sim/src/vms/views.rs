//! Views, and buckets: a view whose `protocols` holds `S3` and which names a `bucket` *is* that
//! bucket. Creating such a view creates the bucket in the object store; deleting it removes the
//! bucket when empty (409 `bucket_not_empty` otherwise).

use serde_json::{json, Value};

use super::error::{ApiError, FieldErrors};
use super::events;
use super::resources::{unique, Effects, Usage};
use super::router::Ctx;
use super::schema::VIEWS;
use super::store::{Db, Row};
use super::values::{guid, now_iso};
use crate::control::S3Identity;
use crate::{Profile, SimConfig};

/// The bucket a view row serves, if it is an S3 view.
pub(crate) fn bucket_of(row: &Row) -> Option<&str> {
    let s3 = row
        .get("protocols")
        .and_then(Value::as_array)
        .is_some_and(|p| p.iter().any(|p| p.as_str() == Some("S3")));
    if !s3 {
        return None;
    }
    row.get("bucket")
        .and_then(Value::as_str)
        .filter(|b| !b.is_empty())
}

/// Every bucket a view serves.
pub(crate) fn bucket_names(db: &Db) -> Vec<String> {
    db.rows("views")
        .filter_map(|(_, row)| bucket_of(row).map(str::to_owned))
        .collect()
}

/// The view serving `bucket`.
pub(crate) fn bucket_view<'a>(db: &'a Db, bucket: &str) -> Option<(u64, &'a Row)> {
    db.rows("views")
        .find(|(_, row)| bucket_of(row) == Some(bucket))
        .map(|(id, row)| (*id, row))
}

/// S3 bucket naming rules (3–63 characters of lowercase letters, digits, `.` and `-`,
/// starting and ending with a letter or digit).
fn valid_bucket_name(name: &str) -> bool {
    let bytes = name.as_bytes();
    (3..=63).contains(&bytes.len())
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'.' || *b == b'-')
        && bytes.first().is_some_and(u8::is_ascii_alphanumeric)
        && bytes.last().is_some_and(u8::is_ascii_alphanumeric)
}

fn valid_path(path: &str) -> bool {
    path.starts_with('/') && (path == "/" || !path.ends_with('/')) && !path.contains("//")
}

/// Checks a view (new, or `old` merged with a patch) and fills defaults; returns the bucket
/// to create and the one to delete.
pub(crate) fn prepare(
    db: &Db,
    profile: Profile,
    ctx: &Ctx,
    old: Option<(u64, &Row)>,
    row: &mut Row,
) -> Result<Effects, ApiError> {
    let me = old.map(|(id, _)| id);
    let mut errors = FieldErrors::default();
    let path = row
        .get("path")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    if !valid_path(&path) {
        errors.add(
            "path",
            "Path must be absolute, start with '/' and have no trailing '/'.",
        );
    }
    let policy_id = row
        .get("policy_id")
        .and_then(Value::as_u64)
        .unwrap_or_default();
    let policy = db.row("viewpolicies", policy_id);
    if policy.is_none() {
        errors.add(
            "policy_id",
            format!("Invalid pk \"{policy_id}\" - object does not exist."),
        );
    }
    if !row.get("tenant_id").is_some_and(Value::is_u64) {
        let tenant = ctx
            .tenant
            .or_else(|| {
                policy
                    .and_then(|p| p.get("tenant_id"))
                    .and_then(Value::as_u64)
            })
            .unwrap_or(1);
        row.insert("tenant_id".to_owned(), json!(tenant));
    }
    let tenant_id = row.get("tenant_id").and_then(Value::as_u64).unwrap_or(1);
    if db.row("tenants", tenant_id).is_none() {
        errors.add(
            "tenant_id",
            format!("Invalid pk \"{tenant_id}\" - object does not exist."),
        );
    }
    let policy_tenant = policy
        .and_then(|p| p.get("tenant_id"))
        .and_then(Value::as_u64);
    if let Some(policy_tenant) = policy_tenant.filter(|pt| *pt != tenant_id) {
        if profile.view_tenant_matches_policy() {
            errors.add(
                "policy_id",
                format!(
                    "View policy {policy_id} belongs to tenant {policy_tenant}, \
                     the view to tenant {tenant_id}."
                ),
            );
        }
    }
    if !row.contains_key("protocols") || row.get("protocols").is_some_and(Value::is_null) {
        row.insert("protocols".to_owned(), json!(["NFS"]));
    }
    let s3 = row
        .get("protocols")
        .and_then(Value::as_array)
        .is_some_and(|p| p.iter().any(|p| p.as_str() == Some("S3")));
    if s3 {
        match row.get("bucket").and_then(Value::as_str) {
            None | Some("") => {
                errors.add("bucket", "This field is required when S3 is in protocols.")
            }
            Some(bucket) if !valid_bucket_name(bucket) => errors.add(
                "bucket",
                format!("\"{bucket}\" is not a valid S3 bucket name."),
            ),
            Some(bucket) => {
                if bucket_view(db, bucket).is_some_and(|(id, _)| Some(id) != me) {
                    errors.add("bucket", format!("Bucket {bucket} already exists."));
                }
            }
        }
        match row.get("bucket_owner").and_then(Value::as_str) {
            None | Some("") => errors.add(
                "bucket_owner",
                "This field is required when S3 is in protocols.",
            ),
            Some(owner) if db.find_by("users", "name", owner).is_none() => {
                errors.add("bucket_owner", format!("User \"{owner}\" does not exist."));
            }
            Some(_) => {}
        }
        row.entry("bucket_owner_type").or_insert(json!("USER"));
    }
    let lock = super::worm::check(old.map(|(_, o)| o), row, &mut errors);
    errors.finish()?;
    unique(db, &VIEWS, "path", me, row)?;
    let new_bucket = bucket_of(row).map(str::to_owned);
    let old_bucket = old.and_then(|(_, o)| bucket_of(o)).map(str::to_owned);
    let bucket_lock = new_bucket.clone().zip(lock);
    if new_bucket == old_bucket {
        return Ok(Effects {
            bucket_lock,
            ..Effects::default()
        });
    }
    Ok(Effects {
        create_bucket: new_bucket,
        delete_bucket: old_bucket,
        password: None,
        bucket_lock,
    })
}

/// Defaults set once the id is known (`name` = `view-<id>`).
pub(crate) fn finish_create(db: &mut Db, id: u64) {
    if let Some(row) = db.table("views").rows.get_mut(&id) {
        if !row.get("name").is_some_and(Value::is_string) {
            row.insert("name".to_owned(), json!(format!("view-{id}")));
        }
    }
}

/// Deleting a bucket view deletes its (empty) bucket.
pub(crate) fn prepare_delete(row: &Row) -> Effects {
    Effects {
        delete_bucket: bucket_of(row).map(str::to_owned),
        ..Effects::default()
    }
}

/// Computed view fields: title, policy name, cluster, capacities.
pub(crate) fn decorate(config: &SimConfig, db: &Db, usage: &Usage, out: &mut Row) {
    let path = out.get("path").cloned().unwrap_or(Value::Null);
    out.insert("title".to_owned(), path);
    if let Some(policy) = out.get("policy_id").and_then(Value::as_u64) {
        out.insert(
            "policy".to_owned(),
            json!(db.name_of("viewpolicies", policy)),
        );
    }
    let bytes = bucket_of(out)
        .and_then(|b| usage.get(b))
        .map_or(0, |u| u.bytes);
    out.insert("logical_capacity".to_owned(), json!(bytes));
    out.insert(
        "physical_capacity".to_owned(),
        json!(config.physical_of(bytes)),
    );
    out.insert("cluster_id".to_owned(), json!(1));
    let cluster = db.row("clusters", 1).and_then(|c| c.get("name")).cloned();
    out.insert("cluster".to_owned(), cluster.unwrap_or(Value::Null));
    out.insert("is_remote".to_owned(), json!(false));
    out.insert("sync".to_owned(), json!("SYNCED"));
}

/// Records the view of a bucket created over S3 (under `/`, S3 default policy). `false` when
/// a view already serves it.
pub(crate) fn record_s3_bucket(
    db: &mut Db,
    config: &SimConfig,
    bucket: &str,
    owner: &S3Identity,
    locking: bool,
) -> bool {
    if bucket_view(db, bucket).is_some() {
        return false;
    }
    let policy_id = db
        .rows("viewpolicies")
        .find(|(_, r)| r.get("is_s3_default_policy").and_then(Value::as_bool) == Some(true))
        .map_or(2, |(id, _)| *id);
    let mut path = format!("/{bucket}");
    let mut n = 1;
    while db.find_by("views", "path", &path).is_some() {
        n += 1;
        path = format!("/{bucket}-{n}");
    }
    let mut row = Row::new();
    row.insert("path".to_owned(), json!(path));
    row.insert("policy_id".to_owned(), json!(policy_id));
    row.insert("protocols".to_owned(), json!(["S3"]));
    row.insert("bucket".to_owned(), json!(bucket));
    row.insert("bucket_owner".to_owned(), json!(owner.user_name));
    row.insert("bucket_owner_type".to_owned(), json!("USER"));
    row.insert("tenant_id".to_owned(), json!(owner.tenant_id));
    row.insert("guid".to_owned(), json!(guid()));
    row.insert("created".to_owned(), json!(now_iso()));
    if locking {
        row.insert("locking".to_owned(), json!(true));
        row.insert("s3_versioning".to_owned(), json!(true));
    }
    let id = db.table("views").insert(row);
    finish_create(db, id);
    events::record_change(db, config, &VIEWS, id, "created");
    true
}

/// Drops the view of a bucket deleted over S3. `false` when none served it.
pub(crate) fn drop_s3_bucket(db: &mut Db, config: &SimConfig, bucket: &str) -> bool {
    let Some((id, _)) = bucket_view(db, bucket) else {
        return false;
    };
    events::record_change(db, config, &VIEWS, id, "deleted");
    db.table("views").rows.remove(&id);
    true
}
