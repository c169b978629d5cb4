//! OpenSSL peers for rustls 0.23 clients: the process helpers of `openssl_peer.rs`, and a
//! loopback handshake with a rustls 0.23 `ClientConfig`.

use std::net::{Ipv4Addr, TcpStream};
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::ServerName;
use rustls::{ClientConfig, ClientConnection};

use super::openssl_peer::SServer;

impl SServer {
    /// Connects over loopback with `config` and runs the handshake to completion.
    pub fn connect(&self, config: ClientConfig) -> Result<super::Negotiated, rustls::Error> {
        connect(self.port, config)
    }
}

/// Connects to `127.0.0.1:port` as `localhost` and completes a TLS handshake.
pub fn connect(port: u16, config: ClientConfig) -> Result<super::Negotiated, rustls::Error> {
    let mut sock =
        TcpStream::connect_timeout(&(Ipv4Addr::LOCALHOST, port).into(), Duration::from_secs(10))
            .expect("connect to loopback server");
    sock.set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    sock.set_write_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    let name = ServerName::try_from("localhost").expect("name");
    let mut conn = ClientConnection::new(Arc::new(config), name).expect("client connection");
    while conn.is_handshaking() {
        if let Err(e) = conn.complete_io(&mut sock) {
            return Err(
                match e
                    .into_inner()
                    .map(|inner| inner.downcast::<rustls::Error>())
                {
                    Some(Ok(rustls)) => *rustls,
                    other => panic!("I/O failure, not a TLS error: {other:?}"),
                },
            );
        }
    }
    Ok(super::Negotiated {
        version: conn.protocol_version().expect("version"),
        suite: conn.negotiated_cipher_suite().expect("suite").suite(),
        scheme: None,
        resumed: conn.handshake_kind() == Some(rustls::HandshakeKind::Resumed),
    })
}
