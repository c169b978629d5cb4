//! tokio-rustls 0.26 directly: a TLS stream verified by tlspin.
//!
//! Pitfalls:
//! - A handshake error comes back as an `io::Error` of kind `InvalidData` whose inner error
//!   is the `rustls::Error`: use [`crate::pin_mismatch`] (or `io::Error::get_ref`) to reach it.
//!   `io::Error::source()` skips it.
//! - The server name passed to `connect` is the SNI and, with `check_server_name(true)`, the
//!   name checked; a pinned device reached by IP address can be given any name it answers to.

use std::sync::Arc;

use rustls::pki_types::ServerName;
use rustls::ClientConfig;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;
use tokio_rustls::TlsConnector;

/// Opens a TLS connection to `addr` as `server_name`, verified by `config`'s verifier.
pub async fn connect(
    config: ClientConfig,
    addr: std::net::SocketAddr,
    server_name: &str,
) -> std::io::Result<TlsStream<TcpStream>> {
    let name = ServerName::try_from(server_name.to_owned())
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
    let tcp = TcpStream::connect(addr).await?;
    TlsConnector::from(Arc::new(config))
        .connect(name, tcp)
        .await
}

/// Sends `GET path HTTP/1.1` for `host` with `Connection: close` over `stream` and returns the
/// raw response (status line, headers and body).
pub async fn http_get(
    mut stream: TlsStream<TcpStream>,
    host: &str,
    path: &str,
) -> std::io::Result<String> {
    let request = format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await?;
    let mut response = String::new();
    stream.read_to_string(&mut response).await?;
    Ok(response)
}
