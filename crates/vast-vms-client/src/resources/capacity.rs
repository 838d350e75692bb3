//! `GET /capacity/`: usage of a directory and its children (expensive; prefer quotas and view
//! capacity fields for routine checks).

use serde::{Deserialize, Serialize};

use crate::client::VmsClient;
use crate::de::nullable;
use crate::error::Error;
use crate::query::Query;

/// Which capacity figure `/capacity/` reports on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CapacityKind {
    /// Usable capacity.
    Usable,
    /// Logical capacity.
    Logical,
    /// Unique (not shared by snapshots) capacity.
    Unique,
}

/// Filters of a capacity call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CapacityQuery {
    /// Directory to measure.
    pub path: String,
    /// Figure to report.
    pub kind: Option<CapacityKind>,
    /// Tenant whose namespace `path` is in.
    pub tenant_id: Option<u64>,
}

impl CapacityQuery {
    /// Measure `path`.
    pub fn path(path: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            kind: None,
            tenant_id: None,
        }
    }

    fn to_query(&self) -> Query {
        let mut query = Query::new().filter("path", &self.path);
        if let Some(kind) = self.kind {
            let kind = match kind {
                CapacityKind::Usable => "usable",
                CapacityKind::Logical => "logical",
                CapacityKind::Unique => "unique",
            };
            query = query.filter("type", kind);
        }
        if let Some(tenant) = self.tenant_id {
            query = query.filter("tenant_id", tenant);
        }
        query
    }
}

/// The answer of `/capacity/`. Only `root_data` is reliably documented: index 0 is usable,
/// 1 unique and 2 logical bytes of the root path.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct Capacity {
    /// Names of the figures in each data row.
    #[serde(deserialize_with = "nullable")]
    pub keys: Vec<String>,
    /// Key the children are sorted by.
    pub sort_key: Option<String>,
    /// When the figures were computed.
    pub time: Option<String>,
    /// Figures of the root path.
    #[serde(deserialize_with = "nullable")]
    pub root_data: Vec<serde_json::Value>,
    /// Per-child figures.
    pub details: serde_json::Value,
    /// Fields this model does not name.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl Capacity {
    fn figure(&self, index: usize) -> Option<u64> {
        let value = self.root_data.get(index)?;
        value
            .as_u64()
            .or_else(|| value.as_f64().filter(|f| *f >= 0.0).map(|f| f as u64))
    }

    /// Usable bytes of the root path.
    pub fn usable(&self) -> Option<u64> {
        self.figure(0)
    }

    /// Unique bytes of the root path.
    pub fn unique(&self) -> Option<u64> {
        self.figure(1)
    }

    /// Logical bytes of the root path.
    pub fn logical(&self) -> Option<u64> {
        self.figure(2)
    }
}

/// The `/capacity/` endpoint.
#[derive(Clone, Debug)]
pub struct CapacityApi {
    pub(crate) client: VmsClient,
}

impl CapacityApi {
    /// Capacity of `query.path` and its children.
    pub async fn get(&self, query: &CapacityQuery) -> Result<Capacity, Error> {
        self.client.get_json("capacity/", &query.to_query()).await
    }
}
