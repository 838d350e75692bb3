//! Listeners: accept TCP (optionally TLS) connections and serve a face's handler over HTTP/1.1.
//!
//! A listener can be stopped and started again on the same port, which is how tests take the S3
//! face away for a while: stopping closes the socket (new connections are refused) and aborts every
//! open connection, as a cluster whose protocol service went down would.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};

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
        let task = tokio::spawn(accept_loop(tcp, self.tls.clone(), self.handler.clone()));
        *self.task.lock().unwrap_or_else(PoisonError::into_inner) = Some(task);
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        self.stop();
    }
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
