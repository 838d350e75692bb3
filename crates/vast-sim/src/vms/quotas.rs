//! Directory quotas. A quota covers the views at or under its path; its usage is the bytes and
//! objects of the buckets those views serve, and its hard limit is what the S3 face enforces.

use serde_json::{json, Value};

use super::error::{ApiError, FieldErrors};
use super::resources::{unique, Effects, Usage};
use super::schema::QUOTAS;
use super::store::{Db, Row};
use super::views::bucket_of;

fn covers(quota_path: &str, view_path: &str) -> bool {
    quota_path == "/"
        || view_path == quota_path
        || view_path
            .strip_prefix(quota_path)
            .is_some_and(|rest| rest.starts_with('/'))
}

/// Checks a quota (path absolute and unique, limits not negative).
pub(crate) fn prepare(
    db: &Db,
    old: Option<(u64, &Row)>,
    row: &mut Row,
) -> Result<Effects, ApiError> {
    let mut errors = FieldErrors::default();
    let path = row.get("path").and_then(Value::as_str).unwrap_or_default();
    if !path.starts_with('/') || (path.len() > 1 && path.ends_with('/')) {
        errors.add(
            "path",
            "Path must be absolute, start with '/' and have no trailing '/'.",
        );
    }
    for field in [
        "hard_limit",
        "soft_limit",
        "hard_limit_inodes",
        "soft_limit_inodes",
    ] {
        if row
            .get(field)
            .and_then(Value::as_i64)
            .is_some_and(|v| v < 0)
        {
            errors.add(field, "Ensure this value is greater than or equal to 0.");
        }
    }
    if let (Some(soft), Some(hard)) = (
        row.get("soft_limit")
            .and_then(Value::as_u64)
            .filter(|v| *v > 0),
        row.get("hard_limit")
            .and_then(Value::as_u64)
            .filter(|v| *v > 0),
    ) {
        if soft > hard {
            errors.add("soft_limit", "Soft limit must not exceed the hard limit.");
        }
    }
    errors.finish()?;
    row.entry("tenant_id").or_insert(json!(1));
    unique(db, &QUOTAS, "path", old.map(|(id, _)| id), row)?;
    Ok(Effects::default())
}

/// The buckets a quota path covers.
fn covered_buckets<'a>(db: &'a Db, quota_path: &'a str) -> impl Iterator<Item = &'a str> + 'a {
    db.rows("views").filter_map(move |(_, view)| {
        let path = view.get("path").and_then(Value::as_str)?;
        covers(quota_path, path).then(|| bucket_of(view)).flatten()
    })
}

fn limit(row: &Row, field: &str) -> Option<u64> {
    row.get(field).and_then(Value::as_u64).filter(|v| *v > 0)
}

/// Computed quota fields: usage, percentages and state.
pub(crate) fn decorate(config: &crate::SimConfig, db: &Db, usage: &Usage, out: &mut Row) {
    let path = out
        .get("path")
        .and_then(Value::as_str)
        .unwrap_or("/")
        .to_owned();
    let (bytes, objects) = covered_buckets(db, &path)
        .filter_map(|b| usage.get(b))
        .fold((0u64, 0u64), |(b, o), u| (b + u.bytes, o + u.objects));
    let hard = limit(out, "hard_limit");
    let soft = limit(out, "soft_limit");
    let state = match (hard, soft) {
        (Some(h), _) if bytes >= h => "HARD_EXCEEDED",
        (_, Some(s)) if bytes > s => "SOFT_EXCEEDED",
        _ => "OK",
    };
    let percent = |limit: Option<u64>, used: u64| -> Value {
        limit.map_or(json!(0), |l| {
            json!(((used as f64) * 100.0 / l as f64).round() as u64)
        })
    };
    out.insert("state".to_owned(), json!(state));
    out.insert("used_capacity".to_owned(), json!(bytes));
    out.insert(
        "used_effective_capacity".to_owned(),
        json!(config.physical_of(bytes)),
    );
    out.insert("used_capacity_tb".to_owned(), json!(bytes as f64 / 1e12));
    out.insert("used_inodes".to_owned(), json!(objects));
    out.insert("percent_capacity".to_owned(), percent(hard, bytes));
    out.insert(
        "percent_inodes".to_owned(),
        percent(limit(out, "hard_limit_inodes"), objects),
    );
    out.insert("time_to_block".to_owned(), Value::Null);
    out.insert(
        "title".to_owned(),
        out.get("name").cloned().unwrap_or(Value::Null),
    );
    out.insert("cluster_id".to_owned(), json!(1));
    let cluster = db.row("clusters", 1).and_then(|c| c.get("name")).cloned();
    out.insert("cluster".to_owned(), cluster.unwrap_or(Value::Null));
    out.entry("grace_period").or_insert(Value::Null);
    let grace = out.get("grace_period").cloned().unwrap_or(Value::Null);
    out.insert("pretty_grace_period".to_owned(), grace);
    for field in ["hard_limit", "soft_limit"] {
        out.entry(field).or_insert(Value::Null);
    }
    for field in ["hard_limit_inodes", "soft_limit_inodes"] {
        out.entry(field).or_insert(json!(0));
    }
}

/// The smallest enforced hard limit over the quotas covering a bucket's view.
pub(crate) fn bucket_hard_limit(db: &Db, bucket: &str) -> Option<u64> {
    let (_, view) = super::views::bucket_view(db, bucket)?;
    let view_path = view.get("path").and_then(Value::as_str)?;
    db.rows("quotas")
        .filter(|(_, q)| {
            q.get("path")
                .and_then(Value::as_str)
                .is_some_and(|p| covers(p, view_path))
        })
        .filter_map(|(_, q)| limit(q, "hard_limit"))
        .min()
}

#[cfg(test)]
mod tests {
    use super::covers;

    #[test]
    fn coverage() {
        assert!(covers("/a", "/a"));
        assert!(covers("/a", "/a/b"));
        assert!(!covers("/a", "/ab"));
        assert!(covers("/", "/x"));
    }
}
