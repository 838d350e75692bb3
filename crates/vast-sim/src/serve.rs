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
