//! `/alarms/`: active alarms (events at MINOR or above that need attention).

use serde::{Deserialize, Serialize};

use crate::de::{lenient_id, nullable};
use crate::error::Error;
use crate::resources::collection::{Collection, Resource};
pub use crate::resources::events::EventQuery as AlarmQuery;

/// One alarm.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct Alarm {
    /// Alarm id.
    #[serde(deserialize_with = "nullable")]
    pub id: u64,
    /// When it was raised (ISO 8601).
    pub timestamp: Option<String>,
    /// When it last changed.
    pub last_updated: Option<String>,
    /// MINOR, MAJOR or CRITICAL.
    pub severity: Option<String>,
    /// Human-readable message.
    pub alarm_message: Option<String>,
    /// Whether an operator acknowledged it.
    pub acknowledged: Option<bool>,
    /// The event that raised it.
    #[serde(deserialize_with = "lenient_id")]
    pub event: Option<u64>,
    /// Event name.
    pub event_name: Option<String>,
    /// Event type.
    pub event_type: Option<String>,
    /// Kind of the object concerned.
    pub object_type: Option<String>,
    /// Id of the object concerned.
    #[serde(deserialize_with = "lenient_id")]
    pub object_id: Option<u64>,
    /// Guid of the object concerned.
    pub object_guid: Option<String>,
    /// Name of the object concerned.
    pub object_name: Option<String>,
    /// Extra data.
    pub metadata: serde_json::Value,
    /// Fields this model does not name.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl Resource for Alarm {
    const COLLECTION: &'static str = "alarms";
}

impl Collection<Alarm> {
    /// Alarms matching `filter` (time window, severity, object), across all pages.
    pub async fn query(&self, filter: &AlarmQuery) -> Result<Vec<Alarm>, Error> {
        self.list(&filter.to_query()).await
    }
}
