//! Events (what the simulator did: views, quotas, users, keys… created, changed, deleted) and
//! alarms (raised by injected events above INFO severity).

use hyper::Method;
use serde_json::{json, Value};

use super::error::{ApiError, ApiResult, Reply};
use super::router::{Call, Ctx};
use super::schema::{self, Kind, EVENTS};
use super::store::{Db, Row};
use super::values::{guid, now_iso};
use super::VmsState;
use crate::SimConfig;

/// Oldest events are dropped beyond this many.
const MAX_EVENTS: usize = 2_000;

/// What one event says.
struct Event<'a> {
    object_type: &'a str,
    object_id: u64,
    object_name: Value,
    event_name: String,
    event_type: &'a str,
    message: String,
    severity: &'a str,
}

fn record(db: &mut Db, config: &SimConfig, event: Event<'_>) -> u64 {
    let mut row = Row::new();
    let now = now_iso();
    row.insert("guid".to_owned(), json!(guid()));
    row.insert("timestamp".to_owned(), json!(now));
    row.insert("event_type".to_owned(), json!(event.event_type));
    row.insert("event_name".to_owned(), json!(event.event_name));
    row.insert("event_definition".to_owned(), json!(event.event_name));
    row.insert("event_message".to_owned(), json!(event.message));
    row.insert("event_origin".to_owned(), json!("VMS"));
    row.insert("severity".to_owned(), json!(event.severity));
    row.insert("object_type".to_owned(), json!(event.object_type));
    row.insert("object_id".to_owned(), json!(event.object_id));
    row.insert("object_guid".to_owned(), Value::Null);
    row.insert("object_name".to_owned(), event.object_name);
    row.insert("cluster".to_owned(), json!(config.cluster_name));
    row.insert("metadata".to_owned(), json!({}));
    let table = db.table("events");
    let id = table.insert(row);
    while table.rows.len() > MAX_EVENTS {
        table.rows.pop_first();
    }
    id
}

/// Records `<noun> <verb>` for an object of a generic kind (before a delete, while it exists).
pub(crate) fn record_change(db: &mut Db, config: &SimConfig, kind: &Kind, id: u64, verb: &str) {
    if matches!(kind.name, "events" | "alarms" | "vtasks" | "versions") {
        return;
    }
    let row = db.row(kind.name, id);
    let name = row
        .and_then(|r| r.get("name").or_else(|| r.get("path")))
        .cloned()
        .unwrap_or(Value::Null);
    let guid = row
        .and_then(|r| r.get("guid"))
        .cloned()
        .unwrap_or(Value::Null);
    let object_type = kind.noun.replace(' ', "");
    let label = name.as_str().map_or_else(|| id.to_string(), str::to_owned);
    let noun = kind.noun;
    let event_id = record(
        db,
        config,
        Event {
            object_type: &object_type,
            object_id: id,
            object_name: name,
            event_name: format!("{}_{}", object_type.to_uppercase(), verb.to_uppercase()),
            event_type: "OBJECT_MODIFIED",
            message: format!("{}{} {label} {verb}", noun[..1].to_uppercase(), &noun[1..]),
            severity: "INFO",
        },
    );
    if let Some(row) = db.table("events").rows.get_mut(&event_id) {
        row.insert("object_guid".to_owned(), guid);
    }
}

/// Records an event about a user (its access keys).
pub(crate) fn record_user_event(
    db: &mut Db,
    config: &SimConfig,
    user_id: u64,
    name: &str,
    message: &str,
) {
    let user = db.name_of("users", user_id);
    record(
        db,
        config,
        Event {
            object_type: "user",
            object_id: user_id,
            object_name: json!(user),
            event_name: name.to_owned(),
            event_type: "OBJECT_MODIFIED",
            message: message.to_owned(),
            severity: "INFO",
        },
    );
}

/// `POST /events/ {object_type, object_id, event_type?, event_message?, severity?}`: injects an
/// event (201); above INFO severity it also raises an alarm.
pub(crate) fn inject(state: &VmsState, ctx: &Ctx, call: &Call) -> ApiResult {
    let row = schema::validate(&EVENTS, &call.body_or_empty(), true)?;
    let text = |f: &str, default: &str| {
        row.get(f)
            .and_then(Value::as_str)
            .unwrap_or(default)
            .to_owned()
    };
    let severity = text("severity", "INFO");
    let object_type = text("object_type", "cluster");
    let event_type = text("event_type", "OBJECT_MODIFIED");
    let message = text("event_message", "Event injected through the API");
    let object_id = row.get("object_id").and_then(Value::as_u64).unwrap_or(0);
    let mut db = state.lock();
    let id = record(
        &mut db,
        &state.config,
        Event {
            object_type: &object_type,
            object_id,
            object_name: Value::Null,
            event_name: "USER_INJECTED_EVENT".to_owned(),
            event_type: &event_type,
            message: message.clone(),
            severity: &severity,
        },
    );
    if severity != "INFO" {
        let mut alarm = Row::new();
        let now = now_iso();
        for (k, v) in [
            ("guid", json!(guid())),
            ("timestamp", json!(now)),
            ("last_updated", json!(now)),
            ("severity", json!(severity)),
            ("alarm_message", json!(message)),
            ("acknowledged", json!(false)),
            ("event", json!(id.to_string())),
            ("event_name", json!("USER_INJECTED_EVENT")),
            ("event_type", json!(event_type)),
            ("object_type", json!(object_type)),
            ("object_id", json!(object_id)),
            ("object_guid", Value::Null),
            ("object_name", Value::Null),
            ("rel_obj_class", Value::Null),
            ("rel_obj_id", Value::Null),
            ("metadata", json!({})),
        ] {
            alarm.insert(k.to_owned(), v);
        }
        db.table("alarms").insert(alarm);
    }
    state.save(&db)?;
    let mut out = db.row("events", id).cloned().unwrap_or_default();
    out.insert("url".to_owned(), json!(ctx.links.item("events", id)));
    Ok(Reply::created(Value::Object(out)))
}

/// `PATCH /alarms/clear/`: clears every alarm.
pub(crate) fn clear_alarms(state: &VmsState, call: &Call) -> ApiResult {
    if call.method != Method::PATCH {
        return Err(ApiError::method_not_allowed(&call.method));
    }
    let mut db = state.lock();
    let cleared = db.table("alarms").rows.len();
    db.table("alarms").rows.clear();
    state.save(&db)?;
    Ok(Reply::ok(json!({ "cleared": cleared })))
}
