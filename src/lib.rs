//! rustls certificate verifiers that never break the handshake, and SPKI pinning for
//! self-signed and private servers.
//!
//! # Pin a self-signed server
//!
//! ```
//! # #[cfg(feature = "aws-lc-rs")] {
//! use std::sync::Arc;
//! use tlspin::Pin;
//!
//! // The server's key pin, from `tlspin pin cert.pem`, `openssl` (see `Pin`) or the error
//! // message of a first failed connection.
//! let pin: Pin = "sha256/ZHE5n8VWNTRIIRGnbwFXtn8dB4aKRJzKXBWnV3+4Jjg=".parse()?;
//! let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
//! let config = tlspin::pinned_client_config(provider, [pin])?;
//! // Use `config` with tokio-rustls, hyper-rustls, reqwest's `use_preconfigured_tls`, ...
//! # }
//! # Ok::<(), tlspin::Error>(())
//! ```
//!
//! # Why not write a `ServerCertVerifier` by hand?
//!
//! A verifier tells rustls which signature schemes it can check (`supported_verify_schemes`,
//! sent to the server in the ClientHello) and then checks the server's handshake signature.
//! Hand-written verifiers hard-code that list. When it names schemes the active
//! [`CryptoProvider`](rustls::crypto::CryptoProvider) cannot verify (ECDSA-SHA1, P-521 under
//! *ring*, Ed448), a server that picks one breaks the handshake with
//! `PeerMisbehaved(SignedKxWithWrongAlgorithm)` or `SignedHandshakeWithUnadvertisedSigScheme`;
//! when it misses schemes the provider can verify, servers that need them fail for no reason.
//! Many copies also skip the signature check, which lets a man in the middle that holds only
//! the server's public certificate through.
//!
//! Every tlspin verifier takes an `Arc<CryptoProvider>` and derives *both* the advertised schemes
//! and the signature checks from that provider's table. It verifies every handshake signature,
//! even in [`danger::AcceptAnyServerCert`]. The certificate decision is a separate *policy*
//! ([`policy`]), so a new verifier is a new policy and never new signature code.
//!
//! # What is here
//!
//! | pinning model | type | like |
//! |---|---|---|
//! | leaf key pin, no CA | [`PinnedServerVerifier`], [`PinnedClientVerifier`] (mTLS) | curl `--pinnedpubkey` |
//! | WebPKI + a pin on the validated path | [`PinnedWebPkiVerifier`] | OkHttp `CertificatePinner` |
//! | per-host pin sets, expiry, report-only | [`HostPinnedVerifier`], [`PinConfig`] (feature `config`) | Android `<pin-set>` |
//! | exactly the given self-signed certificates | [`SelfSignedVerifier`] | a root store of device certificates |
//! | raw public keys (RFC 7250) | [`PinnedRawKeyServerVerifier`], [`PinnedRawKeyClientVerifier`] | |
//! | trust on first use | [`KnownHosts`], [`TofuVerifier`] | SSH `known_hosts` |
//! | no authentication / no name check | [`danger::AcceptAnyServerCert`], [`danger::IgnoreServerName`] | |
//!
//! Also: [`Pin`] (every common pin syntax), [`certs_from_pem`], the config helpers
//! [`ClientConfigBuilderExt`], [`ServerConfigBuilderExt`] and [`pinned_client_config`], typed
//! rejections ([`PinMismatch`], [`KnownHostMismatch`], [`CaCertificateAsServer`],
//! [`NotAGivenCertificate`]), [`explain`] for a
//! failed handshake's `rustls::Error` in plain words with the likely fix, and
//! [`ServerVerifier`] / [`ClientVerifier`] with the [`policy`] traits for your own policy, with
//! correct signature handling for free.
//!
//! # Features
//!
//! `aws-lc-rs` (default) and `ring` enable the rustls providers of the same name; tlspin computes
//! pin digests with whichever is enabled. Verifiers never use a process-default provider: the one
//! you pass is the one used.

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

mod certs;
mod config;
#[cfg(feature = "config")]
mod config_file;
pub mod danger;
mod deferred;
mod der;
mod error;
mod explain;
mod host;
mod host_pattern;
mod host_pins;
mod known_hosts;
mod pin;
mod pin_set;
mod pinned;
pub mod policy;
mod raw_key;
mod self_signed;
mod signatures;
mod time;
mod tofu;
mod verifier;
mod webpki_path;
mod webpki_pins;

pub use certs::{certs_from_pem, certs_from_pem_file};
pub use config::{pinned_client_config, ClientConfigBuilderExt, ServerConfigBuilderExt};
#[cfg(feature = "config")]
pub use config_file::PinConfig;
pub use error::{CaCertificateAsServer, Error, NotAGivenCertificate, Peer, PinMismatch};
pub use explain::{explain, Explanation, FailureKind};
pub use host_pattern::HostPattern;
pub use host_pins::{
    ExpiredPinSet, HostPinSet, HostPinnedVerifier, HostPins, HostPinsBuilder, Lint, PinReport,
};
pub use known_hosts::{KnownHost, KnownHosts, Trust};
pub use pin::Pin;
pub use pinned::{LeafPins, PinnedClientVerifier, PinnedServerVerifier, PinnedVerifierBuilder};
pub use raw_key::{PinnedRawKeyClientVerifier, PinnedRawKeyServerVerifier, RawKeyPins};
pub use self_signed::{SelfSignedRoots, SelfSignedVerifier};
pub use tofu::{KnownHostMismatch, Tofu, TofuVerifier};
pub use verifier::{ClientVerifier, ServerVerifier};
pub use webpki_pins::{PinnedWebPkiVerifier, PinnedWebPkiVerifierBuilder, WebPkiPins};
