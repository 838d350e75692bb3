//! The S3 face as a pool of virtual IPs: one listener per VIP (`127.0.0.1 ..= 127.0.0.N`), all
//! on the same port and behind one store, as a VAST cluster serves S3 on every CNode.
//!
//! Each listener counts what it served (requests, part uploads, object GETs) and can be stopped
//! and started again on its own ("a CNode goes down").

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use hyper::body::Incoming;
use hyper::{Method, Request};
use serde::{Deserialize, Serialize};
use tokio::net::TcpListener;

use crate::http::{FaceFuture, Handler};
use crate::serve::Listener;

/// What one VIP served, and whether it is up (`GET /_sim/vips`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VipStatus {
    /// The VIP's address.
    pub ip: String,
    /// Whether its listener accepts connections.
    pub up: bool,
    /// S3 requests it served.
    pub requests: u64,
    /// `UploadPart` requests (PUT with `partNumber` and `uploadId`) it served.
    pub part_uploads: u64,
    /// Object GETs (GET of a key, not a listing or ListParts) it served.
    pub gets: u64,
}

#[derive(Debug, Default)]
struct Counters {
    requests: AtomicU64,
    part_uploads: AtomicU64,
    gets: AtomicU64,
}

struct Vip {
    ip: IpAddr,
    listener: Arc<Listener>,
    counters: Arc<Counters>,
}

/// The S3 face's listeners, one per VIP.
pub struct VipSet {
    vips: Vec<Vip>,
}

impl std::fmt::Debug for VipSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ips: Vec<IpAddr> = self.vips.iter().map(|v| v.ip).collect();
        f.debug_struct("VipSet").field("ips", &ips).finish()
    }
}

/// The addresses of a pool of `count` VIPs starting at `first`: consecutive IPv4 addresses
/// (`127.0.0.1`, `127.0.0.2`, ...); an IPv6 first address gives a pool of one.
pub fn vip_addresses(first: IpAddr, count: usize) -> Vec<IpAddr> {
    match first {
        IpAddr::V4(v4) => {
            let start = u32::from(v4);
            (0..count.max(1))
                .filter_map(|i| u32::try_from(i).ok().and_then(|i| start.checked_add(i)))
                .map(|ip| IpAddr::V4(Ipv4Addr::from(ip)))
                .collect()
        }
        IpAddr::V6(_) => vec![first],
    }
}

impl VipSet {
    /// Serves `handler` on `first` (already bound) and on one more listener per further VIP of
    /// a pool of `count`, each bound on `first`'s port.
    pub async fn start(
        first: TcpListener,
        count: usize,
        tls: Option<Arc<rustls::ServerConfig>>,
        handler: &Handler,
    ) -> std::io::Result<Self> {
        let first_addr = first.local_addr()?;
        let mut vips = Vec::new();
        let mut sockets = vec![first];
        for ip in vip_addresses(first_addr.ip(), count).into_iter().skip(1) {
            sockets.push(TcpListener::bind(SocketAddr::new(ip, first_addr.port())).await?);
        }
        for tcp in sockets {
            let ip = tcp.local_addr()?.ip();
            let counters = Arc::new(Counters::default());
            let counted = counting(counters.clone(), handler.clone());
            let listener = Listener::start_on(tcp, tls.clone(), counted)?;
            vips.push(Vip {
                ip,
                listener,
                counters,
            });
        }
        Ok(Self { vips })
    }

    /// The first VIP's listener address (the S3 face's address).
    pub fn first_addr(&self) -> Option<SocketAddr> {
        self.vips.first().map(|v| v.listener.local_addr())
    }

    /// Every VIP's address.
    pub fn ips(&self) -> Vec<IpAddr> {
        self.vips.iter().map(|v| v.ip).collect()
    }

    /// Each VIP's state and counters, in address order.
    pub fn status(&self) -> Vec<VipStatus> {
        self.vips
            .iter()
            .map(|v| VipStatus {
                ip: v.ip.to_string(),
                up: v.listener.is_running(),
                requests: v.counters.requests.load(Ordering::Relaxed),
                part_uploads: v.counters.part_uploads.load(Ordering::Relaxed),
                gets: v.counters.gets.load(Ordering::Relaxed),
            })
            .collect()
    }

    /// Stops the listener of `ip` (its socket closes, its connections drop). False when no VIP
    /// has that address.
    pub fn stop(&self, ip: IpAddr) -> bool {
        self.find(ip).map(|v| v.listener.stop()).is_some()
    }

    /// Starts the listener of `ip` again on the same port. `Ok(false)` when no VIP has that
    /// address.
    pub async fn start_vip(&self, ip: IpAddr) -> std::io::Result<bool> {
        match self.find(ip) {
            Some(v) => v.listener.restart().await.map(|()| true),
            None => Ok(false),
        }
    }

    /// Stops every listener (the whole S3 face goes away).
    pub fn stop_all(&self) {
        for v in &self.vips {
            v.listener.stop();
        }
    }

    /// Starts every stopped listener again.
    pub async fn start_all(&self) -> std::io::Result<()> {
        for v in &self.vips {
            v.listener.restart().await?;
        }
        Ok(())
    }

    fn find(&self, ip: IpAddr) -> Option<&Vip> {
        self.vips.iter().find(|v| v.ip == ip)
    }
}

/// Wraps a VIP's handler so it counts what it serves.
fn counting(counters: Arc<Counters>, inner: Handler) -> Handler {
    Arc::new(move |req: Request<Incoming>| -> FaceFuture {
        counters.requests.fetch_add(1, Ordering::Relaxed);
        let query = req.uri().query().unwrap_or("");
        let has = |name: &str| {
            query
                .split('&')
                .any(|kv| kv == name || kv.starts_with(&format!("{name}=")))
        };
        let is_object = req
            .uri()
            .path()
            .trim_start_matches('/')
            .split_once('/')
            .is_some_and(|(_, key)| !key.is_empty());
        if req.method() == Method::PUT && has("partNumber") && has("uploadId") {
            counters.part_uploads.fetch_add(1, Ordering::Relaxed);
        } else if req.method() == Method::GET && is_object && !has("uploadId") {
            counters.gets.fetch_add(1, Ordering::Relaxed);
        }
        inner(req)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pool_is_consecutive_addresses() {
        let first: IpAddr = "127.0.0.1".parse().unwrap();
        let ips: Vec<String> = vip_addresses(first, 3)
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(ips, ["127.0.0.1", "127.0.0.2", "127.0.0.3"]);
        assert_eq!(vip_addresses(first, 0).len(), 1);
        let v6: IpAddr = "::1".parse().unwrap();
        assert_eq!(vip_addresses(v6, 4), vec![v6]);
    }
}
