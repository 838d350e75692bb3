//! Listeners: accept TCP (optionally TLS) connections and serve a face's handler over HTTP/1.1.
//!
//! A listener can be stopped and started again on the same port, which is how tests take the S3
//! face away for a while: stopping closes the socket (new connections are refused) and aborts every
//! open connection, as a cluster whose protocol service went down would. Aborting a task is not
//! instant (a connection may be mid-poll on another thread), so a gate closes first: once `stop`
//! returns, no request reaches the handler, which is what a test counting served requests relies on.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError, RwLock};

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::{JoinHandle, JoinSet};
use tokio_rustls::TlsAcceptor;

use crate::http::Handler;

/// One face's listener.
pub struct Listener {
    addr: SocketAddr,
    tls: Option<TlsAcceptor>,
    handler: Handler,
    task: Mutex<Option<JoinHandle<()>>>,
    /// Open while the listener serves; `stop` closes it before aborting the tasks.
    gate: Arc<RwLock<bool>>,
}

impl Listener {
    /// Starts serving `handler` on an already bound socket.
    pub fn start_on(
        tcp: TcpListener,
        tls: Option<Arc<rustls::ServerConfig>>,
        handler: Handler,
    ) -> std::io::Result<Arc<Self>> {
        let addr = tcp.local_addr()?;
        let listener = Arc::new(Self {
            addr,
            tls: tls.map(TlsAcceptor::from),
            handler,
            task: Mutex::new(None),
            gate: Arc::new(RwLock::new(false)),
        });
        listener.spawn(tcp);
        Ok(listener)
    }

    /// The address the listener is (or was last) bound to.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Whether the listener is accepting connections now.
    pub fn is_running(&self) -> bool {
        self.task
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .as_ref()
            .is_some_and(|task| !task.is_finished())
    }

    /// Closes the socket and aborts every open connection.
    pub fn stop(&self) {
        // Waits for any request being handed to the handler right now; none is handed after.
        *self.gate.write().unwrap_or_else(PoisonError::into_inner) = false;
        if let Some(task) = self
            .task
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
        {
            task.abort();
        }
    }

    /// Binds the same address again and resumes serving. A no-op when already running.
    pub async fn restart(&self) -> std::io::Result<()> {
        if self.is_running() {
            return Ok(());
        }
        let tcp = TcpListener::bind(self.addr).await?;
        self.spawn(tcp);
        Ok(())
    }

    fn spawn(&self, tcp: TcpListener) {
        *self.gate.write().unwrap_or_else(PoisonError::into_inner) = true;
        let handler = gated(self.gate.clone(), self.handler.clone());
        let task = tokio::spawn(accept_loop(tcp, self.tls.clone(), handler));
        *self.task.lock().unwrap_or_else(PoisonError::into_inner) = Some(task);
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Calls `inner` only while `gate` is open, holding the gate's read side for the call (the
/// handler's synchronous part, where counters are bumped); a request after `stop` is refused.
fn gated(gate: Arc<RwLock<bool>>, inner: Handler) -> Handler {
    Arc::new(move |req| {
        let open = gate.read().unwrap_or_else(PoisonError::into_inner);
        if *open {
            inner(req)
        } else {
            Box::pin(async {
                Err(std::io::Error::new(
                    std::io::ErrorKind::ConnectionAborted,
                    "the listener is stopped",
                ))
            })
        }
    })
}

/// Accepts until aborted; dropping the `JoinSet` on abort aborts every connection with it.
async fn accept_loop(tcp: TcpListener, tls: Option<TlsAcceptor>, handler: Handler) {
    let mut connections = JoinSet::new();
    loop {
        while connections.try_join_next().is_some() {}
        let stream = match tcp.accept().await {
            Ok((stream, _peer)) => stream,
            Err(error) => {
                tracing::warn!(%error, "accept failed");
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        connections.spawn(serve_connection(stream, tls.clone(), handler.clone()));
    }
}

async fn serve_connection(stream: TcpStream, tls: Option<TlsAcceptor>, handler: Handler) {
    let service = service_fn(move |req: hyper::Request<hyper::body::Incoming>| handler(req));
    let mut builder = http1::Builder::new();
    builder.keep_alive(true);
    let result = match tls {
        Some(acceptor) => match acceptor.accept(stream).await {
            Ok(stream) => {
                builder
                    .serve_connection(TokioIo::new(stream), service)
                    .await
            }
            Err(error) => {
                tracing::debug!(%error, "TLS handshake failed");
                return;
            }
        },
        None => {
            builder
                .serve_connection(TokioIo::new(stream), service)
                .await
        }
    };
    if let Err(error) = result {
        tracing::debug!(%error, "connection ended with an error");
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::time::Duration;

    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::*;
    use crate::http::full_body;

    /// Keeps one keep-alive connection busy with requests until the listener goes away.
    async fn hammer(addr: SocketAddr) {
        let Ok(mut stream) = TcpStream::connect(addr).await else {
            return;
        };
        let mut buf = [0u8; 1024];
        loop {
            let sent = stream
                .write_all(b"GET / HTTP/1.1\r\nhost: sim\r\n\r\n")
                .await;
            // One small response per request: read until its blank line.
            let mut got = Vec::new();
            while sent.is_ok() && !got.windows(4).any(|w| w == b"\r\n\r\n") {
                match stream.read(&mut buf).await {
                    Ok(0) | Err(_) => return,
                    Ok(n) => got.extend_from_slice(&buf[..n]),
                }
            }
            if sent.is_err() {
                return;
            }
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn once_stop_returns_no_request_reaches_the_handler() {
        let served = Arc::new(AtomicU64::new(0));
        let counter = served.clone();
        let handler: Handler = Arc::new(move |_req| {
            counter.fetch_add(1, Ordering::SeqCst);
            Box::pin(async { Ok(hyper::Response::new(full_body(""))) })
        });
        let tcp = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let listener = Listener::start_on(tcp, None, handler).unwrap();
        let clients: Vec<_> = (0..8)
            .map(|_| tokio::spawn(hammer(listener.local_addr())))
            .collect();
        while served.load(Ordering::SeqCst) < 500 {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        listener.stop();
        let at_stop = served.load(Ordering::SeqCst);
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert_eq!(
            served.load(Ordering::SeqCst),
            at_stop,
            "requests reached the handler after stop returned"
        );
        assert!(!listener.is_running());
        for client in clients {
            client.await.unwrap();
        }
    }
}
