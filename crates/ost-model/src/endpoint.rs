//! Network endpoints: `host[:port]` where host is a DNS name, an IPv4 address or a bracketed IPv6
//! address. Used by storage-server names and interface lists.

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

use crate::limits::{MAX_HOSTNAME_LABEL_LEN, MAX_HOSTNAME_LEN};

/// Which DNS host-name rule a name broke.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HostnameRule {
    /// The whole name is longer than [`MAX_HOSTNAME_LEN`].
    TooLong,
    /// A label (text between dots) is empty, e.g. `a..b` or a trailing dot.
    EmptyLabel,
    /// A label is longer than [`MAX_HOSTNAME_LABEL_LEN`].
    LabelTooLong,
    /// A character other than ASCII letters, digits, `-` and `.`.
    InvalidChar,
    /// A label starts or ends with `-`.
    HyphenAtLabelEdge,
    /// The last label is all digits (looks like a mistyped IPv4 address).
    NumericTopLabel,
}

impl fmt::Display for HostnameRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = match self {
            Self::TooLong => "host name longer than 253 characters",
            Self::EmptyLabel => "empty label (two dots in a row, or a leading/trailing dot)",
            Self::LabelTooLong => "a label is longer than 63 characters",
            Self::InvalidChar => "only letters, digits, '-' and '.' are allowed",
            Self::HyphenAtLabelEdge => "a label starts or ends with '-'",
            Self::NumericTopLabel => "the last label is all digits",
        };
        f.write_str(text)
    }
}

/// Why an endpoint (`host[:port]`) was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EndpointError {
    /// Nothing where the endpoint should be.
    #[error("the endpoint is empty")]
    Empty,
    /// A path, query, fragment or user-info character (`/ ? # @`).
    #[error("unexpected {ch:?}: only host[:port] is allowed (no path, query or user info)")]
    NotHostPort {
        /// The offending character.
        ch: char,
    },
    /// Whitespace or a control character.
    #[error("whitespace or control character at byte {pos}")]
    InvalidChar {
        /// Byte position in the endpoint.
        pos: usize,
    },
    /// An IPv6 address written without brackets.
    #[error("IPv6 addresses must be written in brackets, e.g. [fd00::1]:443")]
    UnbracketedIpv6,
    /// `[` without a closing `]`.
    #[error("'[' without a closing ']'")]
    UnclosedBracket,
    /// The text in brackets is not an IPv6 address.
    #[error("{text:?} in brackets is not an IPv6 address")]
    InvalidIpv6 {
        /// The bracketed text.
        text: String,
    },
    /// Something other than `:port` after `]`.
    #[error("only ':port' may follow ']'")]
    AfterBracket,
    /// Dotted digits that are not a valid IPv4 address.
    #[error("{text:?} is not a valid IPv4 address")]
    InvalidIpv4 {
        /// The host text.
        text: String,
    },
    /// The port is empty, not a number, zero, or above 65535.
    #[error("invalid port {text:?}: must be a number from 1 to 65535")]
    InvalidPort {
        /// The port text.
        text: String,
    },
    /// The DNS host name broke a rule.
    #[error("invalid host name: {rule}")]
    InvalidHostname {
        /// The rule broken.
        rule: HostnameRule,
    },
}

/// The host part of an endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Host {
    /// A DNS host name, stored in lower case.
    Dns(String),
    /// An IPv4 address.
    Ipv4(Ipv4Addr),
    /// An IPv6 address (printed in brackets).
    Ipv6(Ipv6Addr),
}

impl fmt::Display for Host {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Dns(name) => f.write_str(name),
            Self::Ipv4(addr) => write!(f, "{addr}"),
            Self::Ipv6(addr) => write!(f, "[{addr}]"),
        }
    }
}

/// A network endpoint `host[:port]`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Endpoint {
    host: Host,
    port: Option<u16>,
}

impl Endpoint {
    /// Builds an endpoint from parts.
    pub fn new(host: Host, port: Option<u16>) -> Self {
        Self { host, port }
    }

    /// The host.
    pub fn host(&self) -> &Host {
        &self.host
    }

    /// The explicit port, if any.
    pub fn port(&self) -> Option<u16> {
        self.port
    }

    /// The port, or `default` when none was given.
    pub fn port_or(&self, default: u16) -> u16 {
        self.port.unwrap_or(default)
    }

    /// The host as used in a URL authority (IPv6 in brackets), without the port.
    pub fn host_for_url(&self) -> String {
        self.host.to_string()
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.host)?;
        if let Some(port) = self.port {
            write!(f, ":{port}")?;
        }
        Ok(())
    }
}

impl FromStr for Endpoint {
    type Err = EndpointError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.is_empty() {
            return Err(EndpointError::Empty);
        }
        for (pos, ch) in s.char_indices() {
            if matches!(ch, '/' | '?' | '#' | '@') {
                return Err(EndpointError::NotHostPort { ch });
            }
            if ch.is_whitespace() || ch.is_control() {
                return Err(EndpointError::InvalidChar { pos });
            }
        }
        if let Some(rest) = s.strip_prefix('[') {
            let Some(close) = rest.find(']') else {
                return Err(EndpointError::UnclosedBracket);
            };
            let inner = &rest[..close];
            let addr = Ipv6Addr::from_str(inner).map_err(|_| EndpointError::InvalidIpv6 {
                text: inner.to_owned(),
            })?;
            let after = &rest[close + 1..];
            let port = if after.is_empty() {
                None
            } else if let Some(port) = after.strip_prefix(':') {
                Some(parse_port(port)?)
            } else {
                return Err(EndpointError::AfterBracket);
            };
            return Ok(Self::new(Host::Ipv6(addr), port));
        }
        let (host, port) = match s.matches(':').count() {
            0 => (s, None),
            1 => {
                let (host, port) = s.split_at(s.find(':').unwrap_or(s.len()));
                (host, Some(parse_port(&port[1..])?))
            }
            _ => return Err(EndpointError::UnbracketedIpv6),
        };
        Ok(Self::new(parse_host(host)?, port))
    }
}

fn parse_port(text: &str) -> Result<u16, EndpointError> {
    let bad = || EndpointError::InvalidPort {
        text: text.to_owned(),
    };
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    match text.parse::<u16>() {
        Ok(0) | Err(_) => Err(bad()),
        // Leading zeros would not survive a round trip through Display.
        Ok(port) if port.to_string() != text => Err(bad()),
        Ok(port) => Ok(port),
    }
}

fn parse_host(text: &str) -> Result<Host, EndpointError> {
    if text.is_empty() {
        return Err(EndpointError::Empty);
    }
    if text.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return Ipv4Addr::from_str(text)
            .map(Host::Ipv4)
            .map_err(|_| EndpointError::InvalidIpv4 {
                text: text.to_owned(),
            });
    }
    validate_hostname(text).map_err(|rule| EndpointError::InvalidHostname { rule })?;
    Ok(Host::Dns(text.to_ascii_lowercase()))
}

/// Checks a DNS host name (RFC 1123 letters-digits-hyphen labels) and says which rule it broke.
pub fn validate_hostname(name: &str) -> Result<(), HostnameRule> {
    if name.len() > MAX_HOSTNAME_LEN {
        return Err(HostnameRule::TooLong);
    }
    if !name
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
    {
        return Err(HostnameRule::InvalidChar);
    }
    let mut last = "";
    for label in name.split('.') {
        if label.is_empty() {
            return Err(HostnameRule::EmptyLabel);
        }
        if label.len() > MAX_HOSTNAME_LABEL_LEN {
            return Err(HostnameRule::LabelTooLong);
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err(HostnameRule::HyphenAtLabelEdge);
        }
        last = label;
    }
    if last.bytes().all(|b| b.is_ascii_digit()) {
        return Err(HostnameRule::NumericTopLabel);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_each_host_form() {
        let e: Endpoint = "Vast.Example.com:8443".parse().unwrap();
        assert_eq!(e.host(), &Host::Dns("vast.example.com".into()));
        assert_eq!(e.port(), Some(8443));
        let e: Endpoint = "10.0.1.1".parse().unwrap();
        assert_eq!(e.host(), &Host::Ipv4(Ipv4Addr::new(10, 0, 1, 1)));
        assert_eq!(e.port_or(443), 443);
        let e: Endpoint = "[fd00::1]:9000".parse().unwrap();
        assert_eq!(e.host(), &Host::Ipv6("fd00::1".parse().unwrap()));
        assert_eq!(e.to_string(), "[fd00::1]:9000");
        assert_eq!(e.host_for_url(), "[fd00::1]");
    }

    #[test]
    fn rejects_with_reason() {
        let cases: &[(&str, EndpointError)] = &[
            ("", EndpointError::Empty),
            ("host/path", EndpointError::NotHostPort { ch: '/' }),
            ("user@host", EndpointError::NotHostPort { ch: '@' }),
            ("ho st", EndpointError::InvalidChar { pos: 2 }),
            ("fd00::1", EndpointError::UnbracketedIpv6),
            ("[fd00::1", EndpointError::UnclosedBracket),
            ("[fd00::1]x", EndpointError::AfterBracket),
            (
                "[zz::1]",
                EndpointError::InvalidIpv6 {
                    text: "zz::1".into(),
                },
            ),
            (
                "256.1.1.1",
                EndpointError::InvalidIpv4 {
                    text: "256.1.1.1".into(),
                },
            ),
            ("h:0", EndpointError::InvalidPort { text: "0".into() }),
            (
                "h:65536",
                EndpointError::InvalidPort {
                    text: "65536".into(),
                },
            ),
            ("h:", EndpointError::InvalidPort { text: "".into() }),
            ("h:080", EndpointError::InvalidPort { text: "080".into() }),
            (
                "-a.com",
                EndpointError::InvalidHostname {
                    rule: HostnameRule::HyphenAtLabelEdge,
                },
            ),
            (
                "a..com",
                EndpointError::InvalidHostname {
                    rule: HostnameRule::EmptyLabel,
                },
            ),
            (
                "a_b.com",
                EndpointError::InvalidHostname {
                    rule: HostnameRule::InvalidChar,
                },
            ),
            (
                "a.123",
                EndpointError::InvalidHostname {
                    rule: HostnameRule::NumericTopLabel,
                },
            ),
        ];
        for (input, want) in cases {
            assert_eq!(input.parse::<Endpoint>().as_ref(), Err(want), "{input}");
        }
    }

    #[test]
    fn long_labels_and_names_rejected() {
        let label = "a".repeat(64);
        assert_eq!(validate_hostname(&label), Err(HostnameRule::LabelTooLong));
        let name = vec!["a".repeat(60); 5].join(".");
        assert_eq!(validate_hostname(&name), Err(HostnameRule::TooLong));
    }
}
