//! `/clusters/`: the cluster's identity, state and capacity (a list of exactly one).

use serde::{Deserialize, Serialize};

use crate::de::{lenient_f64, lenient_u64, nullable};
use crate::resources::collection::Resource;

/// A VAST cluster as `GET /clusters/` describes it. Sizes are bytes.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct Cluster {
    /// Cluster id (1 on a single cluster).
    #[serde(deserialize_with = "nullable")]
    pub id: u64,
    /// Cluster name.
    #[serde(deserialize_with = "nullable")]
    pub name: String,
    /// Globally unique id.
    pub guid: Option<String>,
    /// Serial number.
    pub psnt: Option<String>,
    /// Software version, e.g. `5.3.1.0`.
    pub sw_version: Option<String>,
    /// Build name.
    pub build: Option<String>,
    /// State: ONLINE when healthy (also INIT, OFFLINE, FAILED, ...).
    pub state: Option<String>,
    /// Leader state (UP, DOWN, UNKNOWN).
    pub leader_state: Option<String>,
    /// SSD RAID state (HEALTHY or REBALANCE when fine).
    pub ssd_raid_state: Option<String>,
    /// NVRAM RAID state.
    pub nvram_raid_state: Option<String>,
    /// Memory RAID state.
    pub memory_raid_state: Option<String>,
    /// Management VIP.
    pub mgmt_vip: Option<String>,
    /// Whether S3 is on.
    pub enable_s3: Option<bool>,
    /// Raw physical capacity.
    #[serde(deserialize_with = "lenient_u64")]
    pub physical_space: Option<u64>,
    /// Physical capacity in use.
    #[serde(deserialize_with = "lenient_u64")]
    pub physical_space_in_use: Option<u64>,
    /// Logical capacity.
    #[serde(deserialize_with = "lenient_u64")]
    pub logical_space: Option<u64>,
    /// Logical capacity in use.
    #[serde(deserialize_with = "lenient_u64")]
    pub logical_space_in_use: Option<u64>,
    /// Free physical capacity.
    #[serde(deserialize_with = "lenient_u64")]
    pub free_physical_space: Option<u64>,
    /// Free logical capacity.
    #[serde(deserialize_with = "lenient_u64")]
    pub free_logical_space: Option<u64>,
    /// Usable capacity.
    #[serde(deserialize_with = "lenient_u64")]
    pub usable_capacity_bytes: Option<u64>,
    /// Free usable capacity.
    #[serde(deserialize_with = "lenient_u64")]
    pub free_usable_capacity: Option<u64>,
    /// Data-reduction ratio, `logical_space_in_use / physical_space_in_use`.
    #[serde(deserialize_with = "lenient_f64")]
    pub drr: Option<f64>,
    /// Percentage of physical capacity in use.
    #[serde(deserialize_with = "lenient_f64")]
    pub physical_space_in_use_percent: Option<f64>,
    /// Percentage of logical capacity in use.
    #[serde(deserialize_with = "lenient_f64")]
    pub logical_space_in_use_percent: Option<f64>,
    /// Self link.
    pub url: Option<String>,
    /// Fields this model does not name.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl Resource for Cluster {
    const COLLECTION: &'static str = "clusters";
}

impl Cluster {
    /// The data-reduction ratio VMS reports (`drr`: logical / physical space in use), else
    /// computed from `logical_space_in_use` / `physical_space_in_use`; `None` when neither
    /// is known (or nothing is stored yet).
    pub fn data_reduction(&self) -> Option<f64> {
        self.drr.filter(|r| r.is_finite() && *r > 0.0).or_else(|| {
            match (self.logical_space_in_use, self.physical_space_in_use) {
                (Some(l), Some(p)) if p > 0 => Some(l as f64 / p as f64),
                _ => None,
            }
        })
    }

    /// Whether the cluster reports data reduction (a ratio above 1).
    pub fn reduces_data(&self) -> bool {
        self.data_reduction().is_some_and(|r| r > 1.0)
    }

    /// Whether VMS reports the cluster ONLINE.
    pub fn is_online(&self) -> bool {
        self.state
            .as_deref()
            .is_some_and(|s| s.eq_ignore_ascii_case("ONLINE"))
    }
}
