//! Probes before the first VMS call: the VMS host name resolves, and its port accepts TCP.

use std::time::Duration;

use ost_model::ServerName;

use super::{Runner, Stop};
use crate::config::ServerConfig;

/// DNS and TCP to the VMS address: the scheme and host name of the VMS URL.
pub(super) async fn probe(
    run: &mut Runner<'_>,
    config: &ServerConfig,
    name: &ServerName,
) -> Result<(String, String), Stop> {
    let vms_url = config.vms_url_for(name);
    let connect_timeout = Duration::from_secs(config.connect_timeout_secs.max(1));
    let Some((scheme, host, port)) = split_url(&vms_url) else {
        return run.failed(
            "dns",
            "resolve the VMS host name",
            format!("cannot read a host out of the VMS URL {vms_url:?}"),
            "set vms_url to https://HOST[:PORT]".to_owned(),
        );
    };
    let addrs: Vec<std::net::SocketAddr> =
        match tokio::net::lookup_host((host.as_str(), port)).await {
            Ok(a) => a.collect(),
            Err(e) => {
                return run.failed(
                    "dns",
                    "resolve the VMS host name",
                    format!("{host}: {e}"),
                    "check the spelling of the host name and the DNS servers of this host \
                     (/etc/resolv.conf)"
                        .to_owned(),
                );
            }
        };
    let Some(first) = addrs.first().copied() else {
        return run.failed(
            "dns",
            "resolve the VMS host name",
            format!("{host} has no address"),
            "check the DNS record of the VMS host".to_owned(),
        );
    };
    let shown: Vec<String> = addrs.iter().map(|a| a.ip().to_string()).collect();
    run.ok(
        "dns",
        "resolve the VMS host name",
        format!("{host} -> {}", shown.join(", ")),
    );

    match tokio::time::timeout(connect_timeout, tokio::net::TcpStream::connect(first)).await {
        Ok(Ok(_)) => run.ok(
            "tcp",
            "connect to VMS",
            format!("{first} accepts connections"),
        ),
        Ok(Err(e)) => {
            return run.failed(
                "tcp",
                "connect to VMS",
                format!("{first}: {e}"),
                format!(
                    "nothing accepts connections on {first}: check the port, the firewall and \
                 that VMS is running"
                ),
            )
        }
        Err(_) => {
            return run.failed(
                "tcp",
                "connect to VMS",
                format!("{first}: no answer within {connect_timeout:?}"),
                "a firewall probably drops the packets: open the port from this host".to_owned(),
            )
        }
    }
    Ok((scheme, host))
}

/// Host, port and scheme of a URL (`scheme://host[:port][/...]`).
pub(super) fn split_url(url: &str) -> Option<(String, String, u16)> {
    let (scheme, rest) = url.split_once("://")?;
    let authority = rest.split('/').next()?;
    let authority = authority.rsplit('@').next()?;
    let default = if scheme.eq_ignore_ascii_case("https") {
        443
    } else {
        80
    };
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let (h, after) = v6.split_once(']')?;
        let port = match after.strip_prefix(':') {
            Some(p) => p.parse().ok()?,
            None => default,
        };
        (h.to_owned(), port)
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (h.to_owned(), p.parse().ok()?),
            None => (authority.to_owned(), default),
        }
    };
    Some((scheme.to_ascii_lowercase(), host, port))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_split_into_scheme_host_port() {
        assert_eq!(
            split_url("https://vms.example.com"),
            Some(("https".into(), "vms.example.com".into(), 443))
        );
        assert_eq!(
            split_url("http://127.0.0.1:8080/api"),
            Some(("http".into(), "127.0.0.1".into(), 8080))
        );
        assert_eq!(
            split_url("https://[::1]:9443/"),
            Some(("https".into(), "::1".into(), 9443))
        );
        assert_eq!(split_url("vms.example.com"), None);
    }
}
