//! tlspin inside the HTTP, gRPC and QUIC clients people use.
//!
//! Each module is a worked example: the few lines that plug a tlspin-verified
//! [`rustls::ClientConfig`] (or verifier) into one client, with that client's pitfalls written
//! next to the code. The crate's tests run every one of them against a local server with a
//! self-signed certificate, and `tests/peers.rs` runs tlspin against OpenSSL and GnuTLS.
//!
//! | client | module | how the config gets in |
//! |---|---|---|
//! | reqwest 0.13 | [`reqwest_client`] | `ClientBuilder::tls_backend_preconfigured` (async and blocking) |
//! | reqwest 0.12 | [`reqwest012_client`] | `ClientBuilder::use_preconfigured_tls` |
//! | hyper-rustls 0.27 | [`hyper_client`] | `HttpsConnectorBuilder::with_tls_config` |
//! | tonic 0.14 | [`tonic_client`] | `Endpoint::tls_config_with_verifier` |
//! | ureq 3 | [`ureq_client`] | a custom `Connector` in the agent's chain |
//! | tokio-rustls 0.26 | [`tokio_client`] | `TlsConnector::from(Arc<ClientConfig>)` |
//! | quinn 0.11 | [`quinn_client`] | `QuicClientConfig::try_from(ClientConfig)` |
//!
//! Every client here links the same `rustls` 0.23 as tlspin; a second rustls in the build makes
//! `use_preconfigured_tls` and friends refuse (or silently ignore) the config.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod hyper_client;
pub mod quinn_client;
pub mod reqwest012_client;
pub mod reqwest_client;
pub mod tokio_client;
pub mod tonic_client;
pub mod ureq_client;

use std::error::Error as StdError;

use tlspin::PinMismatch;

/// The error type of these examples.
pub type BoxError = Box<dyn StdError + Send + Sync>;

/// Finds the [`PinMismatch`] behind a client's error, walking its `source()` chain.
///
/// HTTP clients wrap the handshake error several times (reqwest → hyper-util → `io::Error` →
/// `rustls::Error`), and `io::Error::source()` skips the error it wraps, so a plain
/// `source()` walk never reaches rustls: this looks inside each `io::Error` too.
///
/// ```
/// # fn report(error: &reqwest::Error) {
/// if let Some(mismatch) = tlspin_interop::pin_mismatch(error) {
///     eprintln!("the server now presents {:?}", mismatch.leaf_pin());
/// }
/// # }
/// ```
pub fn pin_mismatch<'a>(error: &'a (dyn StdError + 'static)) -> Option<&'a PinMismatch> {
    if let Some(mismatch) = find(error, |e| e.downcast_ref::<PinMismatch>()) {
        return Some(mismatch);
    }
    rustls_error(error).and_then(PinMismatch::from_rustls)
}

/// Finds the [`rustls::Error`] behind a client's error, walking its `source()` chain and looking
/// inside each `io::Error` (see [`pin_mismatch`]).
///
/// ```
/// # fn report(error: &reqwest::Error) {
/// if let Some(rustls::Error::AlertReceived(alert)) = tlspin_interop::rustls_error(error) {
///     eprintln!("the server refused the handshake: {alert:?}");
/// }
/// # }
/// ```
pub fn rustls_error<'a>(error: &'a (dyn StdError + 'static)) -> Option<&'a rustls::Error> {
    find(error, |e| e.downcast_ref::<rustls::Error>())
}

/// The first error in `error`'s chain (including errors wrapped in an `io::Error`) that `pick`
/// accepts.
fn find<'a, T: 'a>(
    error: &'a (dyn StdError + 'static),
    pick: impl Fn(&'a (dyn StdError + 'static)) -> Option<&'a T> + Copy,
) -> Option<&'a T> {
    let mut next = Some(error);
    while let Some(error) = next {
        if let Some(found) = pick(error) {
            return Some(found);
        }
        if let Some(inner) = error
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
        {
            let inner: &(dyn StdError + 'static) = inner;
            if let Some(found) = find(inner, pick) {
                return Some(found);
            }
        }
        next = error.source();
    }
    None
}
