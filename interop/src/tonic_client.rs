//! tonic 0.14 (gRPC over HTTP/2) with a tlspin verifier.
//!
//! tonic builds the `rustls::ClientConfig` itself; [`Endpoint::tls_config_with_verifier`]
//! replaces only its certificate verifier.
//!
//! Pitfalls:
//! - tonic picks the config's provider itself: the process default
//!   (`CryptoProvider::install_default`) if one is installed, otherwise *ring* when its
//!   `tls-ring` feature is on. tlspin's verifier checks signatures with the provider *it* was
//!   built with, so signature checks are right either way, but the key exchange and cipher
//!   suites are tonic's choice: install a process default to use aws-lc-rs for those too.
//! - `tls_config_with_verifier` refuses a `ClientTlsConfig` that also sets roots
//!   (`ca_certificate`, `with_webpki_roots`, ...): with a pin there are no roots.
//! - tonic sets ALPN `h2` itself and the server must select it; `domain_name` sets SNI (and
//!   the name tlspin checks if `check_server_name(true)`).

use std::sync::Arc;
use std::time::Duration;

use rustls::client::danger::ServerCertVerifier;
use tonic::transport::{Channel, ClientTlsConfig, Endpoint};

/// Connects to `uri` (`https://host:port`) as `server_name`, verifying the server with
/// `verifier` (a tlspin one), with 10 s connect and request timeouts.
pub async fn channel(
    uri: String,
    server_name: &str,
    verifier: Arc<dyn ServerCertVerifier>,
) -> Result<Channel, tonic::transport::Error> {
    Endpoint::from_shared(uri)?
        .connect_timeout(Duration::from_secs(10))
        .timeout(Duration::from_secs(10))
        .tls_config_with_verifier(ClientTlsConfig::new().domain_name(server_name), verifier)?
        .connect()
        .await
}
