//! A server that answers every request with one canned HTTP response: what S3 implementations
//! other than vast-sim send, byte for byte.
#![allow(
    dead_code,
    unreachable_pub,
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used
)]

use std::net::SocketAddr;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use vast_s3_data::{S3Client, S3ClientBuilder};

/// The secret the clients sign with (it must never show in an error).
pub const SECRET: &str = "q+9/Zt0oVb4D8yJ/7kXw+1mNcP2rS5uTvW3xY6zA0B8=";

/// A server that answers every request with `status` and `body` (one request per connection).
pub async fn canned(
    status: &'static str,
    content_type: &'static str,
    body: &'static str,
) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut request = Vec::new();
                let mut buf = [0u8; 4096];
                while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                    match socket.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => request.extend_from_slice(&buf[..n]),
                    }
                }
                let answer = format!(
                    "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\
                     Connection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = socket.write_all(answer.as_bytes()).await;
            });
        }
    });
    addr
}

/// A client of `url` with a VAST-like key, one attempt per call.
pub fn client(url: &str) -> S3Client {
    S3ClientBuilder::new(url, "2h/MzqtiTQSVl8J/4wsDbg==", SECRET)
        .max_attempts(1)
        .build()
        .unwrap()
}
