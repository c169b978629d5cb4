//! tlspin's verifiers for the rustls 0.24 prerelease (`=0.24.0-dev.2`).
//!
//! The policies, pins, pin sets and errors are tlspin's own, unchanged: this crate only
//! implements rustls 0.24's verifier traits (`client::danger::ServerVerifier`,
//! `server::danger::ClientVerifier`) around them, as tlspin's `policy::ServerVerifier` does for
//! rustls 0.23. Every verifier advertises exactly the signature schemes of the provider it is
//! given (`rustls-aws-lc-rs`, `rustls-ring`, or your own) and checks every handshake signature
//! with it; there is no process-default provider.
//!
//! rustls 0.24 keys a client's resumed sessions by a hash of its server verifier's
//! configuration. Every server verifier here hashes its policy's type, its provider's signature
//! table and its policy's whole configuration (pins, options, the trust anchors), so a session
//! made under one pin set is never resumed under another: the new pins get a full handshake.
//! Client (mTLS) verifiers cannot: rustls' `ClientVerifier` has no configuration hash, and a
//! server resumes any session its storage or ticketer knows. After changing client pins, give the
//! new `ServerConfig` resumption state of its own ([`isolate_resumption`]).
//!
//! ```
//! use std::sync::Arc;
//! use tlspin::Pin;
//! use tlspin_rustls024::PinnedServerVerifier;
//!
//! let pin: Pin = "sha256/ZHE5n8VWNTRIIRGnbwFXtn8dB4aKRJzKXBWnV3+4Jjg=".parse()?;
//! let provider = Arc::new(rustls_aws_lc_rs::DEFAULT_PROVIDER);
//! let verifier = PinnedServerVerifier::new(provider.clone(), [pin])?;
//! let config = rustls::ClientConfig::builder(provider)
//!     .dangerous()
//!     .with_custom_certificate_verifier(verifier)
//!     .with_no_client_auth()?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Ready-made: leaf pins ([`PinnedServerVerifier`], [`PinnedClientVerifier`]), WebPKI + pins
//! ([`PinnedWebPkiVerifier`]), raw public keys ([`PinnedRawKeyServerVerifier`],
//! [`PinnedRawKeyClientVerifier`]), host pin sets ([`HostPinnedVerifier`]), self-signed
//! certificates ([`SelfSignedVerifier`]) and trust on first use ([`TofuVerifier`]). Any other
//! `tlspin::policy::ServerCertPolicy` or `ClientCertPolicy`, your own included, goes in
//! [`ServerVerifier`] and [`ClientVerifier`]. Effects a policy defers with
//! `tlspin::policy::after_handshake_signature` (trust-on-first-use records, report-only pin
//! reports) run once the verifier has verified the handshake signature made with the accepted
//! certificate, as under rustls 0.23, also when the identity is verified outside the handshake
//! (`presented_identity` and `continue_with`), on any thread; effects that cannot be attributed
//! to one connection are dropped with a warning (see [`ServerVerifier`]). The platform verifier
//! has no rustls 0.24 constructor yet.

#![forbid(unsafe_code)]
#![warn(missing_docs)]
#![cfg_attr(
    not(test),
    warn(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::indexing_slicing,
        clippy::panic
    )
)]

mod deferred;
mod error;
mod models;
mod pinned;
mod resumption;
mod signatures;
mod verifier;

pub use error::{known_host_mismatch, pin_mismatch};
pub use models::{HostPinnedVerifier, SelfSignedVerifier, TofuVerifier};
pub use pinned::{
    ClientPinsBuilder, PinnedClientVerifier, PinnedRawKeyClientVerifier,
    PinnedRawKeyServerVerifier, PinnedServerVerifier, PinnedWebPkiVerifier, ServerPinsBuilder,
};
pub use resumption::isolate_resumption;
pub use verifier::{ClientVerifier, ServerVerifier};
