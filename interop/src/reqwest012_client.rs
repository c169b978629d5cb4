//! reqwest 0.12 with a tlspin-verified config (the dependency is renamed `reqwest012` here, beside
//! reqwest 0.13 in [`reqwest_client`](crate::reqwest_client)).
//!
//! ```no_run
//! # async fn run(pin: tlspin::Pin) -> Result<(), tlspin_interop::BoxError> {
//! use std::sync::Arc;
//! let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
//! let config = tlspin::pinned_client_config(provider, [pin])?;
//! let client = tlspin_interop::reqwest012_client::client(config)?;
//! let body = client.get("https://device.local:8443/").send().await?.text().await?;
//! # Ok(()) }
//! ```
//!
//! Pitfalls:
//! - `use_preconfigured_tls` takes `impl Any` and recognises only the `rustls::ClientConfig` of
//!   the rustls *reqwest* links. A config from another rustls version is not a compile error:
//!   `build()` fails with "Unknown TLS backend passed to `use_preconfigured_tls`". Check with
//!   `cargo tree -d -i rustls` that there is one rustls.
//! - reqwest does not touch a preconfigured config, so ALPN is yours: offer only protocols this
//!   reqwest build speaks. Built without its `http2` feature (as here), a server that selects
//!   `h2` would get HTTP/1.1 bytes from reqwest: offer `http/1.1`.
//! - The TLS feature must be one of the `rustls-tls*` ones; `rustls-tls-manual-roots-no-provider`
//!   pulls neither webpki-roots nor a second crypto provider.
//! - reqwest sends requests through `HTTPS_PROXY`/`ALL_PROXY` when set. Pins still hold through a
//!   CONNECT proxy, but a device on the local network is rarely reachable through one (and
//!   these tests must stay on loopback), so the example turns proxies off with `no_proxy()`.
//! - Never reach for `danger_accept_invalid_certs(true)`: its verifier advertises a hand-written
//!   list of 13 schemes and checks no handshake signature (see the README's comparison table).

use std::time::Duration;

use rustls::ClientConfig;

/// A reqwest client that verifies servers with `config`'s verifier (a tlspin one), speaking
/// HTTP/1.1, without proxies, with a 10 s timeout on every request.
pub fn client(mut config: ClientConfig) -> reqwest012::Result<reqwest012::Client> {
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    reqwest012::Client::builder()
        .use_preconfigured_tls(config)
        .no_proxy()
        .timeout(Duration::from_secs(10))
        .build()
}
