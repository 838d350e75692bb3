//! `/events/`: the cluster's event log, polled with time filters.

use serde::{Deserialize, Serialize};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::de::{lenient_id, nullable};
use crate::error::Error;
use crate::query::Query;
use crate::resources::collection::{Collection, Resource};

/// One event.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct Event {
    /// Event id (increasing).
    #[serde(deserialize_with = "nullable")]
    pub id: u64,
    /// Globally unique id.
    pub guid: Option<String>,
    /// When it happened (ISO 8601).
    pub timestamp: Option<String>,
    /// Object modified, Threshold, Rate, ...
    pub event_type: Option<String>,
    /// Event name.
    pub event_name: Option<String>,
    /// Event definition.
    pub event_definition: Option<String>,
    /// Human-readable message.
    pub event_message: Option<String>,
    /// Origin (USER, SYSTEM, ...).
    pub event_origin: Option<String>,
    /// INFO, MINOR, MAJOR or CRITICAL.
    pub severity: Option<String>,
    /// Kind of the object concerned.
    pub object_type: Option<String>,
    /// Id of the object concerned.
    #[serde(deserialize_with = "lenient_id")]
    pub object_id: Option<u64>,
    /// Guid of the object concerned.
    pub object_guid: Option<String>,
    /// Name of the object concerned.
    pub object_name: Option<String>,
    /// Cluster name.
    pub cluster: Option<String>,
    /// Extra data.
    pub metadata: serde_json::Value,
    /// Fields this model does not name.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl Resource for Event {
    const COLLECTION: &'static str = "events";
}

/// Filters for listing events or alarms: a time window plus optional exact matches.
#[derive(Clone, Debug, Default, PartialEq)]
#[must_use]
pub struct EventQuery {
    /// Only entries at or after this time (`timestamp__gte`).
    pub since: Option<OffsetDateTime>,
    /// Only entries at or before this time (`timestamp__lte`).
    pub until: Option<OffsetDateTime>,
    /// Only this severity.
    pub severity: Option<String>,
    /// Only this object type.
    pub object_type: Option<String>,
    /// Only this object id.
    pub object_id: Option<u64>,
    /// Page size used while fetching.
    pub page_size: Option<u32>,
}

impl EventQuery {
    /// No filter.
    pub fn new() -> Self {
        Self::default()
    }

    /// Entries at or after `time`.
    pub fn since(mut self, time: OffsetDateTime) -> Self {
        self.since = Some(time);
        self
    }

    /// Entries at or before `time`.
    pub fn until(mut self, time: OffsetDateTime) -> Self {
        self.until = Some(time);
        self
    }

    /// Entries of one severity.
    pub fn severity(mut self, severity: impl Into<String>) -> Self {
        self.severity = Some(severity.into());
        self
    }

    /// Entries about one kind of object.
    pub fn object_type(mut self, object_type: impl Into<String>) -> Self {
        self.object_type = Some(object_type.into());
        self
    }

    /// Entries about one object.
    pub fn object_id(mut self, object_id: u64) -> Self {
        self.object_id = Some(object_id);
        self
    }

    /// Fetch in pages of `size`.
    pub fn page_size(mut self, size: u32) -> Self {
        self.page_size = Some(size);
        self
    }

    /// The VMS query string form.
    pub fn to_query(&self) -> Query {
        let mut query = Query::new();
        // Whole seconds in UTC: the form every VMS release parses.
        let stamp = |t: &OffsetDateTime| {
            let t = t.to_offset(time::UtcOffset::UTC);
            let t = t.replace_nanosecond(0).unwrap_or(t);
            t.format(&Rfc3339).unwrap_or_else(|_| t.to_string())
        };
        if let Some(since) = &self.since {
            query = query.filter("timestamp__gte", stamp(since));
        }
        if let Some(until) = &self.until {
            query = query.filter("timestamp__lte", stamp(until));
        }
        if let Some(severity) = &self.severity {
            query = query.filter("severity", severity);
        }
        if let Some(object_type) = &self.object_type {
            query = query.filter("object_type", object_type);
        }
        if let Some(object_id) = self.object_id {
            query = query.filter("object_id", object_id);
        }
        if let Some(size) = self.page_size {
            query = query.page_size(size);
        }
        query
    }
}

impl Collection<Event> {
    /// Events matching `filter`, across all pages.
    pub async fn query(&self, filter: &EventQuery) -> Result<Vec<Event>, Error> {
        self.list(&filter.to_query()).await
    }
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    #[test]
    fn time_window_becomes_django_filters() {
        let query = EventQuery::new()
            .since(datetime!(2026-11-25 12:00:00.75 +02:00))
            .until(datetime!(2026-11-25 11:30:00 UTC))
            .severity("MAJOR")
            .page_size(50)
            .to_query();
        assert_eq!(query.get("timestamp__gte"), Some("2026-11-25T10:00:00Z"));
        assert_eq!(query.get("timestamp__lte"), Some("2026-11-25T11:30:00Z"));
        assert_eq!(query.get("severity"), Some("MAJOR"));
        assert_eq!(query.get("page_size"), Some("50"));
    }
}
