//! quinn 0.11 (QUIC) with a tlspin-verified config.
//!
//! Pitfalls:
//! - QUIC is TLS 1.3 only, and every QUIC endpoint must support TLS13_AES_128_GCM_SHA256 (it
//!   protects the Initial packets). `QuicClientConfig::try_from` fails with
//!   `NoInitialCipherSuite` when the config's provider lacks it, as a provider cut down to
//!   AES-256 or ChaCha20 would.
//! - Set ALPN: a quinn server with ALPN configured closes a connection that offers none of its
//!   protocols (`no_application_protocol`).
//! - A handshake failure arrives as `ConnectionError::TransportError` carrying only rustls'
//!   message, not the `rustls::Error`: a pin mismatch is recognisable by its text
//!   ("certificate pin mismatch") but cannot be downcast.

use std::net::SocketAddr;
use std::sync::Arc;

use quinn::crypto::rustls::QuicClientConfig;
use rustls::ClientConfig;

use crate::BoxError;

/// A client endpoint bound to `bind` whose connections use `config` (whose verifier is a tlspin
/// one) and offer the single ALPN protocol `alpn`.
pub fn endpoint(
    mut config: ClientConfig,
    bind: SocketAddr,
    alpn: &[u8],
) -> Result<quinn::Endpoint, BoxError> {
    config.alpn_protocols = vec![alpn.to_vec()];
    let quic = QuicClientConfig::try_from(config)?;
    let mut endpoint = quinn::Endpoint::client(bind)?;
    endpoint.set_default_client_config(quinn::ClientConfig::new(Arc::new(quic)));
    Ok(endpoint)
}

/// Connects to `server` as `server_name`, sends `request` on a new bidirectional stream and
/// returns the whole response (at most `limit` bytes).
pub async fn request(
    endpoint: &quinn::Endpoint,
    server: SocketAddr,
    server_name: &str,
    request: &[u8],
    limit: usize,
) -> Result<Vec<u8>, BoxError> {
    let connection = endpoint.connect(server, server_name)?.await?;
    let (mut send, mut recv) = connection.open_bi().await?;
    send.write_all(request).await?;
    send.finish()?;
    let response = recv.read_to_end(limit).await?;
    connection.close(0u32.into(), b"done");
    Ok(response)
}
