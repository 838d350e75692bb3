//! Lists: Django-style filters (`name`, `path__contains`, `timestamp__gte`, `policy__id`, …),
//! `fields=` projection and `page`/`page_size` paging into the `{count,next,previous,results}`
//! envelope.

use std::cmp::Ordering;

use serde_json::{json, Map, Value};

use super::error::ApiError;
use super::paths::percent_encode;
use super::values::parse_iso;

/// Query parameters that never filter.
const NON_FILTERS: &[&str] = &[
    "page",
    "page_size",
    "fields",
    "format",
    "force",
    "force_remove",
    "ordering",
    "archived",
    "sort",
];

/// Page size when only `page` is sent.
const DEFAULT_PAGE_SIZE: usize = 50;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lookup {
    Exact,
    IExact,
    Contains,
    IContains,
    StartsWith,
    IStartsWith,
    EndsWith,
    IEndsWith,
    In,
    Gte,
    Lte,
    Gt,
    Lt,
    IsNull,
}

impl Lookup {
    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "exact" => Self::Exact,
            "iexact" => Self::IExact,
            "contains" => Self::Contains,
            "icontains" => Self::IContains,
            "startswith" => Self::StartsWith,
            "istartswith" => Self::IStartsWith,
            "endswith" => Self::EndsWith,
            "iendswith" => Self::IEndsWith,
            "in" => Self::In,
            "gte" => Self::Gte,
            "lte" => Self::Lte,
            "gt" => Self::Gt,
            "lt" => Self::Lt,
            "isnull" => Self::IsNull,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone)]
struct Filter {
    field: Vec<String>,
    lookup: Lookup,
    values: Vec<String>,
}

/// The list-shaping part of a request's query string.
#[derive(Debug, Clone, Default)]
pub(crate) struct ListQuery {
    filters: Vec<Filter>,
    fields: Option<Vec<String>>,
    page: Option<usize>,
    page_size: Option<usize>,
}

impl ListQuery {
    /// Reads filters, `fields`, `page` and `page_size` from the query pairs. `extra_non_filters`
    /// names further parameters an endpoint consumes itself.
    pub(crate) fn parse(
        pairs: &[(String, String)],
        extra_non_filters: &[&str],
    ) -> Result<Self, ApiError> {
        let mut query = Self::default();
        for (key, value) in pairs {
            match key.as_str() {
                "fields" => query.fields.get_or_insert_with(Vec::new).extend(
                    value
                        .split(',')
                        .map(str::trim)
                        .filter(|f| !f.is_empty())
                        .map(str::to_owned),
                ),
                "page" => query.page = Some(positive(key, value)?),
                "page_size" => query.page_size = Some(positive(key, value)?),
                k if NON_FILTERS.contains(&k) || extra_non_filters.contains(&k) => {}
                _ => query.add_filter(key, value),
            }
        }
        Ok(query)
    }

    fn add_filter(&mut self, key: &str, value: &str) {
        let mut parts: Vec<String> = key.split("__").map(str::to_owned).collect();
        let lookup = match parts.last().and_then(|l| Lookup::parse(l)) {
            Some(lookup) if parts.len() > 1 => {
                parts.pop();
                lookup
            }
            _ => Lookup::Exact,
        };
        let values: Vec<String> = if lookup == Lookup::In {
            value.split(',').map(str::to_owned).collect()
        } else {
            vec![value.to_owned()]
        };
        if lookup == Lookup::In {
            if let Some(existing) = self
                .filters
                .iter_mut()
                .find(|f| f.lookup == Lookup::In && f.field == parts)
            {
                existing.values.extend(values);
                return;
            }
        }
        self.filters.push(Filter {
            field: parts,
            lookup,
            values,
        });
    }

    /// Whether paging parameters were sent (the answer is then the envelope).
    pub(crate) fn paged(&self) -> bool {
        self.page.is_some() || self.page_size.is_some()
    }

    /// Whether `row` passes every filter.
    pub(crate) fn matches(&self, row: &Map<String, Value>) -> bool {
        self.filters.iter().all(|f| filter_matches(f, row))
    }

    /// Keeps only the `fields=` keys of one object.
    pub(crate) fn project(&self, value: Value) -> Value {
        match (&self.fields, value) {
            (Some(fields), Value::Object(map)) => Value::Object(
                map.into_iter()
                    .filter(|(k, _)| fields.iter().any(|f| f == k))
                    .collect(),
            ),
            (_, value) => value,
        }
    }

    /// Filters, projects and (when asked, or when `always_envelope`) pages a list. `self_url` is
    /// the absolute URL of the request without its query; `pairs` its query, for next/previous.
    pub(crate) fn render(
        &self,
        rows: Vec<Map<String, Value>>,
        always_envelope: bool,
        self_url: &str,
        pairs: &[(String, String)],
    ) -> Result<Value, ApiError> {
        let rows: Vec<Value> = rows
            .into_iter()
            .filter(|r| self.matches(r))
            .map(|r| self.project(Value::Object(r)))
            .collect();
        if !self.paged() && !always_envelope {
            return Ok(Value::Array(rows));
        }
        let count = rows.len();
        let page_size = self.page_size.unwrap_or(if self.paged() {
            DEFAULT_PAGE_SIZE
        } else {
            count.max(DEFAULT_PAGE_SIZE)
        });
        let page = self.page.unwrap_or(1);
        let start = (page - 1).saturating_mul(page_size);
        if start >= count && page > 1 {
            return Err(ApiError {
                status: hyper::StatusCode::NOT_FOUND,
                body: json!({"detail": "Invalid page."}),
            });
        }
        let results: Vec<Value> = rows.into_iter().skip(start).take(page_size).collect();
        let link = |p: usize| -> Value {
            let mut query: Vec<String> = pairs
                .iter()
                .filter(|(k, _)| k != "page")
                .map(|(k, v)| format!("{}={}", percent_encode(k), percent_encode(v)))
                .collect();
            query.push(format!("page={p}"));
            if self.page_size.is_none() {
                query.push(format!("page_size={page_size}"));
            }
            Value::String(format!("{self_url}?{}", query.join("&")))
        };
        let next = if start + page_size < count {
            link(page + 1)
        } else {
            Value::Null
        };
        let previous = if page > 1 {
            link(page - 1)
        } else {
            Value::Null
        };
        Ok(json!({ "count": count, "next": next, "previous": previous, "results": results }))
    }
}

fn positive(key: &str, value: &str) -> Result<usize, ApiError> {
    match value.parse::<usize>() {
        Ok(n) if n > 0 => Ok(n),
        _ if key == "page" => Err(ApiError {
            status: hyper::StatusCode::NOT_FOUND,
            body: json!({"detail": "Invalid page."}),
        }),
        _ => Err(ApiError::field(
            key,
            "A valid positive integer is required.",
        )),
    }
}

/// Finds the value a (possibly nested) filter field names: `policy__id` → `policy_id` or
/// `policy.id`; `policy__name` → the `policy` name string.
fn resolve<'a>(row: &'a Map<String, Value>, parts: &[String]) -> Option<&'a Value> {
    let (first, rest) = parts.split_first()?;
    if rest.is_empty() {
        return row.get(first);
    }
    if let Some(v) = row.get(&parts.join("_")) {
        return Some(v);
    }
    match row.get(first)? {
        Value::Object(inner) => resolve(inner, rest),
        v @ Value::String(_) if rest == ["name"] => Some(v),
        _ => None,
    }
}

fn filter_matches(filter: &Filter, row: &Map<String, Value>) -> bool {
    let value = resolve(row, &filter.field);
    if filter.lookup == Lookup::IsNull {
        let want_null = filter
            .values
            .first()
            .is_some_and(|v| v.eq_ignore_ascii_case("true"));
        return value.is_none_or(Value::is_null) == want_null;
    }
    let Some(value) = value else { return false };
    match value {
        Value::Array(items) => items.iter().any(|item| scalar_matches(filter, item)),
        _ => scalar_matches(filter, value),
    }
}

fn as_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => "null".to_owned(),
        other => other.to_string(),
    }
}

fn scalar_matches(filter: &Filter, value: &Value) -> bool {
    let text = as_text(value);
    let lower = text.to_lowercase();
    filter.values.iter().any(|want| match filter.lookup {
        Lookup::Exact | Lookup::In => equal(value, &text, want),
        Lookup::IExact => lower == want.to_lowercase(),
        Lookup::Contains => text.contains(want.as_str()),
        Lookup::IContains => lower.contains(&want.to_lowercase()),
        Lookup::StartsWith => text.starts_with(want.as_str()),
        Lookup::IStartsWith => lower.starts_with(&want.to_lowercase()),
        Lookup::EndsWith => text.ends_with(want.as_str()),
        Lookup::IEndsWith => lower.ends_with(&want.to_lowercase()),
        Lookup::Gte => compare(value, &text, want).is_some_and(Ordering::is_ge),
        Lookup::Lte => compare(value, &text, want).is_some_and(Ordering::is_le),
        Lookup::Gt => compare(value, &text, want).is_some_and(Ordering::is_gt),
        Lookup::Lt => compare(value, &text, want).is_some_and(Ordering::is_lt),
        Lookup::IsNull => false,
    })
}

fn equal(value: &Value, text: &str, want: &str) -> bool {
    match value {
        Value::Bool(b) => want.eq_ignore_ascii_case(if *b { "true" } else { "false" }),
        Value::Number(n) => want
            .parse::<f64>()
            .ok()
            .zip(n.as_f64())
            .is_some_and(|(w, v)| w == v),
        _ => text == want,
    }
}

fn compare(value: &Value, text: &str, want: &str) -> Option<Ordering> {
    if let Value::Number(n) = value {
        return n.as_f64()?.partial_cmp(&want.parse::<f64>().ok()?);
    }
    if let (Some(a), Some(b)) = (parse_iso(text), parse_iso(want)) {
        return Some(a.cmp(&b));
    }
    Some(text.cmp(want))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(pairs: &[(&str, &str)]) -> ListQuery {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        ListQuery::parse(&pairs, &[]).unwrap()
    }

    fn row(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn lookups() {
        let r = row(
            json!({"id": 3, "name": "Alpha", "path": "/a/b", "policy_id": 2,
            "policy": "s3", "protocols": ["S3", "NFS"], "ts": "2026-01-02T00:00:00Z",
            "local_provider": {"id": 1}}),
        );
        assert!(q(&[("name", "Alpha")]).matches(&r));
        assert!(!q(&[("name", "alpha")]).matches(&r));
        assert!(q(&[("name__icontains", "LPH")]).matches(&r));
        assert!(q(&[("path__startswith", "/a")]).matches(&r));
        assert!(q(&[("path__endswith", "/b")]).matches(&r));
        assert!(q(&[("id__in", "1,3")]).matches(&r));
        assert!(q(&[("id__gte", "3"), ("id__lte", "3")]).matches(&r));
        assert!(!q(&[("id__gte", "4")]).matches(&r));
        assert!(q(&[("policy__id", "2")]).matches(&r));
        assert!(q(&[("policy__name", "s3")]).matches(&r));
        assert!(q(&[("local_provider__id", "1")]).matches(&r));
        assert!(q(&[("protocols", "S3")]).matches(&r));
        assert!(q(&[("ts__gte", "2026-01-01T23:00:00+00:00")]).matches(&r));
        assert!(!q(&[("ts__lte", "2026-01-01T23:00:00Z")]).matches(&r));
        assert!(!q(&[("missing", "x")]).matches(&r));
        assert!(q(&[("page", "1"), ("fields", "id")]).matches(&r));
    }
}
