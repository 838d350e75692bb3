//! `/vippools/`: virtual IP pools; PROTOCOLS pools carry the S3 data path.

use std::net::Ipv4Addr;

use serde::{Deserialize, Serialize};

use crate::de::{lenient_id, lenient_u64, nullable};
use crate::error::Error;
use crate::query::Query;
use crate::resources::collection::{Collection, Resource};

/// The pool role that serves client protocols (NFS, SMB, S3).
pub const PROTOCOLS: &str = "PROTOCOLS";

/// Most addresses [`VipPool::addresses`] expands one range into.
const MAX_RANGE_ADDRESSES: u32 = 4096;

/// A VIP pool.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct VipPool {
    /// Pool id.
    #[serde(deserialize_with = "nullable")]
    pub id: u64,
    /// Pool name.
    #[serde(deserialize_with = "nullable")]
    pub name: String,
    /// Globally unique id.
    pub guid: Option<String>,
    /// PROTOCOLS, REPLICATION, ...
    pub role: Option<String>,
    /// Address ranges, as VMS gives them (usually `[["start","end"], ...]`).
    #[serde(deserialize_with = "nullable")]
    pub ip_ranges: Vec<serde_json::Value>,
    /// Prefix length.
    #[serde(deserialize_with = "lenient_u64")]
    pub subnet_cidr: Option<u64>,
    /// Gateway.
    pub gw_ip: Option<String>,
    /// VLAN.
    #[serde(deserialize_with = "lenient_u64")]
    pub vlan: Option<u64>,
    /// Whether the pool is enabled.
    pub enabled: Option<bool>,
    /// State.
    pub state: Option<String>,
    /// Tenant the pool is dedicated to (`None`: all tenants).
    #[serde(deserialize_with = "lenient_id")]
    pub tenant_id: Option<u64>,
    /// VAST-DNS name of the pool.
    pub domain_name: Option<String>,
    /// Self link.
    pub url: Option<String>,
    /// Fields this model does not name.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl VipPool {
    /// Whether the pool serves client protocols.
    pub fn is_protocols(&self) -> bool {
        self.role
            .as_deref()
            .is_some_and(|r| r.eq_ignore_ascii_case(PROTOCOLS))
    }

    /// Whether the pool can be used (not explicitly disabled).
    pub fn is_enabled(&self) -> bool {
        self.enabled != Some(false)
    }

    /// Every address of the pool: `[start, end]` IPv4 ranges are expanded (up to 4096 per
    /// range); single addresses and other forms are kept as written.
    pub fn addresses(&self) -> Vec<String> {
        let mut out = Vec::new();
        for range in &self.ip_ranges {
            match range {
                serde_json::Value::Array(ends) => {
                    let ends: Vec<&str> = ends.iter().filter_map(|e| e.as_str()).collect();
                    match ends.as_slice() {
                        [single] => out.push((*single).to_owned()),
                        [start, end] => out.extend(expand(start, end)),
                        _ => {}
                    }
                }
                serde_json::Value::String(single) => out.push(single.clone()),
                _ => {}
            }
        }
        out
    }
}

fn expand(start: &str, end: &str) -> Vec<String> {
    match (start.parse::<Ipv4Addr>(), end.parse::<Ipv4Addr>()) {
        (Ok(first), Ok(last)) if u32::from(first) <= u32::from(last) => {
            let (first, last) = (u32::from(first), u32::from(last));
            let last = last.min(first.saturating_add(MAX_RANGE_ADDRESSES - 1));
            (first..=last)
                .map(|ip| Ipv4Addr::from(ip).to_string())
                .collect()
        }
        _ if start == end => vec![start.to_owned()],
        _ => vec![start.to_owned(), end.to_owned()],
    }
}

impl Resource for VipPool {
    const COLLECTION: &'static str = "vippools";
}

impl Collection<VipPool> {
    /// The pool called exactly `name`, if any.
    pub async fn by_name(&self, name: &str) -> Result<Option<VipPool>, Error> {
        let found = self.list(&Query::new().filter("name", name)).await?;
        Ok(found.into_iter().find(|p| p.name == name))
    }

    /// Every enabled PROTOCOLS pool.
    pub async fn protocols(&self) -> Result<Vec<VipPool>, Error> {
        let all = self.list(&Query::new()).await?;
        Ok(all
            .into_iter()
            .filter(|p| p.is_protocols() && p.is_enabled())
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_expand_to_addresses() {
        let pool: VipPool = serde_json::from_str(
            r#"{"id":1,"name":"p","role":"PROTOCOLS",
                "ip_ranges":[["10.0.0.1","10.0.0.3"],["10.0.1.9","10.0.1.9"],"fd00::1"]}"#,
        )
        .unwrap();
        assert!(pool.is_protocols() && pool.is_enabled());
        assert_eq!(
            pool.addresses(),
            vec!["10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.1.9", "fd00::1"]
        );
    }
}
