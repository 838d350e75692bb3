//! Storage-server names (`vast://<endpoint>`) and storage-server interface lists.
//!
//! NetBackup itself shows servers as `<stype>:<host>`; the `vast://` form is a project choice
//! (ost-api.md 6). Whether a name parses decides `stspi_claim`.

use std::fmt;
use std::str::FromStr;

use crate::endpoint::{Endpoint, EndpointError};
use crate::limits::{MAX_INTERFACE_LIST_LEN, MAX_SERVER_NAME_LEN, SERVER_SCHEME};

/// Why a storage-server name was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ServerNameError {
    /// The name is empty.
    #[error("storage server name is empty")]
    Empty,
    /// The name is longer than [`MAX_SERVER_NAME_LEN`].
    #[error("storage server name is {len} bytes long; the limit is {max}")]
    TooLong {
        /// Length in bytes.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// The name does not start with `vast://` (so it belongs to another plugin).
    #[error("storage server name must start with \"vast://\"")]
    MissingScheme,
    /// The endpoint after `vast://` is invalid.
    #[error("invalid endpoint after \"vast://\": {0}")]
    Endpoint(#[from] EndpointError),
}

/// A vast-ost storage-server name: `vast://<host>[:port]`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ServerName {
    endpoint: Endpoint,
}

impl ServerName {
    /// Wraps an endpoint.
    pub fn new(endpoint: Endpoint) -> Self {
        Self { endpoint }
    }

    /// The endpoint the name points at.
    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    /// True when `name` is a vast-ost server name (the `stspi_claim` decision).
    pub fn claims(name: &str) -> bool {
        name.parse::<Self>().is_ok()
    }
}

impl fmt::Display for ServerName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{SERVER_SCHEME}{}", self.endpoint)
    }
}

impl FromStr for ServerName {
    type Err = ServerNameError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.is_empty() {
            return Err(ServerNameError::Empty);
        }
        if s.len() > MAX_SERVER_NAME_LEN {
            return Err(ServerNameError::TooLong {
                len: s.len(),
                max: MAX_SERVER_NAME_LEN,
            });
        }
        let rest = s
            .strip_prefix(SERVER_SCHEME)
            .ok_or(ServerNameError::MissingScheme)?;
        Ok(Self::new(rest.parse()?))
    }
}

/// Why a storage server's interface list was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InterfaceListError {
    /// The list is empty or only whitespace.
    #[error("interface list is empty")]
    Empty,
    /// The list is longer than [`MAX_INTERFACE_LIST_LEN`].
    #[error("interface list is {len} bytes long; the limit is {max}")]
    TooLong {
        /// Length in bytes.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// One entry is not a valid endpoint.
    #[error("interface {index} ({text:?}): {source}")]
    Entry {
        /// Zero-based position in the list.
        index: usize,
        /// The entry text.
        text: String,
        /// Why it was rejected.
        source: EndpointError,
    },
}

/// Parses a comma-separated interface list such as `10.0.1.1,10.0.1.2:9000,[fd00::2]`.
/// Whitespace around entries is ignored; empty entries are rejected.
pub fn parse_interface_list(list: &str) -> Result<Vec<Endpoint>, InterfaceListError> {
    if list.len() > MAX_INTERFACE_LIST_LEN {
        return Err(InterfaceListError::TooLong {
            len: list.len(),
            max: MAX_INTERFACE_LIST_LEN,
        });
    }
    if list.trim().is_empty() {
        return Err(InterfaceListError::Empty);
    }
    list.split(',')
        .enumerate()
        .map(|(index, raw)| {
            let text = raw.trim();
            text.parse().map_err(|source| InterfaceListError::Entry {
                index,
                text: text.to_owned(),
                source,
            })
        })
        .collect()
}

/// Prints endpoints back as a comma-separated interface list.
pub fn format_interface_list(endpoints: &[Endpoint]) -> String {
    endpoints
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::endpoint::Host;

    #[test]
    fn round_trips() {
        for s in [
            "vast://cluster.example.com",
            "vast://10.0.1.100:443",
            "vast://[fd00::10]",
            "vast://[::1]:9443",
        ] {
            let n: ServerName = s.parse().unwrap();
            assert_eq!(n.to_string(), s);
            assert!(ServerName::claims(s));
        }
    }

    #[test]
    fn rejects_other_plugins_and_garbage() {
        assert_eq!(
            "PureDisk:server.local".parse::<ServerName>(),
            Err(ServerNameError::MissingScheme)
        );
        assert_eq!(
            "VAST://x.com".parse::<ServerName>(),
            Err(ServerNameError::MissingScheme)
        );
        assert_eq!("".parse::<ServerName>(), Err(ServerNameError::Empty));
        assert_eq!(
            "vast://".parse::<ServerName>(),
            Err(ServerNameError::Endpoint(EndpointError::Empty))
        );
        assert_eq!(
            "vast://h.com/bucket".parse::<ServerName>(),
            Err(ServerNameError::Endpoint(EndpointError::NotHostPort {
                ch: '/'
            }))
        );
        let long = format!("vast://{}", "a".repeat(MAX_SERVER_NAME_LEN));
        assert!(matches!(
            long.parse::<ServerName>(),
            Err(ServerNameError::TooLong { .. })
        ));
        assert!(!ServerName::claims("vast://fd00::1"));
        let msg = "vast://fd00::1"
            .parse::<ServerName>()
            .unwrap_err()
            .to_string();
        assert!(msg.contains("brackets"), "{msg}");
    }

    #[test]
    fn interface_lists() {
        let eps = parse_interface_list("10.0.1.1, 10.0.1.2:9000 ,[fd00::2],vip.local").unwrap();
        assert_eq!(eps.len(), 4);
        assert_eq!(eps[1].port(), Some(9000));
        assert_eq!(eps[3].host(), &Host::Dns("vip.local".into()));
        assert_eq!(
            format_interface_list(&eps),
            "10.0.1.1,10.0.1.2:9000,[fd00::2],vip.local"
        );
        assert_eq!(parse_interface_list(" "), Err(InterfaceListError::Empty));
        assert_eq!(
            parse_interface_list("10.0.1.1,,10.0.1.2"),
            Err(InterfaceListError::Entry {
                index: 1,
                text: String::new(),
                source: EndpointError::Empty
            })
        );
    }
}
