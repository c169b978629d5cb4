//! reqwest 0.13 with a tlspin-verified config, async and blocking.
//!
//! ```no_run
//! # async fn run(pin: tlspin::Pin) -> Result<(), tlspin_interop::BoxError> {
//! use std::sync::Arc;
//! let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
//! let config = tlspin::pinned_client_config(provider, [pin])?;
//! let client = tlspin_interop::reqwest_client::client(config)?;
//! let body = client.get("https://device.local:8443/").send().await?.text().await?;
//! # Ok(()) }
//! ```
//!
//! Pitfalls:
//! - `tls_backend_preconfigured` (0.13's name for `use_preconfigured_tls`, which is deprecated)
//!   takes `impl Any` and recognises only an owned `rustls::ClientConfig` of the rustls *reqwest*
//!   links. An `Arc<ClientConfig>`, or a config from another rustls version, is not a compile
//!   error: `build()` fails with "Unknown TLS backend passed to `use_preconfigured_tls`".
//! - reqwest uses a preconfigured config as it is, so ALPN is yours: offer only protocols this
//!   reqwest build speaks (`h2` needs its `http2` feature). These examples offer `http/1.1`.
//! - reqwest 0.13's default TLS verifies with rustls-platform-verifier (the OS trust store); a
//!   preconfigured config replaces that verifier entirely with tlspin's.
//! - With a preconfigured config, reqwest's own TLS settings (`tls_sni`, `tls_version_min`/`max`,
//!   `tls_danger_accept_invalid_certs`, added roots, `identity`) are silently ignored: set them
//!   on the `rustls::ClientConfig` instead.
//! - `tls_danger_accept_invalid_certs(true)` still installs a verifier with a hand-written list of
//!   13 schemes that checks no handshake signature. It advertises Ed448, so a TLS 1.2 server with
//!   an Ed448 certificate signs with it, and rustls refuses that signature (no TLS 1.2 cipher
//!   suite allows Ed448) with `PeerMisbehaved(SignedKxWithWrongAlgorithm)`; tlspin's
//!   `AcceptAnyServerCert` advertises only what the provider verifies and gets the server's clean
//!   `handshake_failure` alert (tested).
//! - reqwest sends requests through `HTTPS_PROXY`/`ALL_PROXY` when set; a device on the local
//!   network is rarely reachable through one, so the examples turn proxies off.

use std::time::Duration;

use rustls::ClientConfig;

/// A reqwest client that verifies servers with `config`'s verifier (a tlspin one), speaking
/// HTTP/1.1, without proxies, with a 10 s timeout on every request.
pub fn client(mut config: ClientConfig) -> reqwest::Result<reqwest::Client> {
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    reqwest::Client::builder()
        .tls_backend_preconfigured(config)
        .no_proxy()
        .timeout(Duration::from_secs(10))
        .build()
}

/// The same, for reqwest's blocking client (which runs its own runtime: call it outside async
/// code).
pub fn blocking_client(mut config: ClientConfig) -> reqwest::Result<reqwest::blocking::Client> {
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    reqwest::blocking::Client::builder()
        .tls_backend_preconfigured(config)
        .no_proxy()
        .timeout(Duration::from_secs(10))
        .build()
}
