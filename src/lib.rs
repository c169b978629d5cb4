//! rustls certificate verifiers that never break the handshake, and SPKI pinning for
//! self-signed and private servers.
//!
//! # Which type do I need?
//!
//! | your situation | use | runnable example on |
//! |---|---|---|
//! | a device, lab machine or internal service with a self-signed certificate; you know (or can get) its key | [`PinnedServerVerifier`] | [`pinned_client_config`] |
//! | the same, in rustls' config builder with options (backup pins, name check) | [`ClientConfigBuilderExt::with_pinned_server`] | [`ClientConfigBuilderExt`] |
//! | your server must accept only clients whose keys you pinned (mTLS) | [`PinnedClientVerifier`] | [`ServerConfigBuilderExt`] |
//! | a public server: normal WebPKI validation, plus a pin on your CA or key (OkHttp) | [`PinnedWebPkiVerifier`] | [`PinnedWebPkiVerifier`] |
//! | the operating system's trust (rustls-platform-verifier, reqwest 0.13's default) plus your pins (feature `platform`) | `platform::PlatformPinnedVerifier` | `platform::PlatformPinnedVerifier` |
//! | many hosts, each with its own pins, expiry and report-only roll-out (Android `<pin-set>`) | [`host_pins::HostPinnedVerifier`] | [`host_pins`] |
//! | the same, from a TOML file (feature `config`) | [`host_pins::PinConfig`] | [`host_pins::PinConfig`] |
//! | you have the server's certificate file (`CA:FALSE`) and want it to be exactly that certificate | [`SelfSignedVerifier`] | [`SelfSignedVerifier`] |
//! | you cannot know the key beforehand: trust the first one, then only it (SSH) | [`tofu::KnownHosts::verifier`] | [`tofu`] |
//! | the peer presents a bare public key, no certificate (RFC 7250) | [`raw_keys::PinnedRawKeyServerVerifier`] | [`raw_keys`] |
//! | a test or diagnostic that must accept anything, still checking signatures | [`danger::AcceptAnyServerCert`] | [`danger::AcceptAnyServerCert`] |
//! | a rule of your own, with correct signature handling for free | [`policy::ServerCertPolicy`] in a [`policy::ServerVerifier`] | [`policy::after_handshake_signature`] |
//! | a handshake failed and you want to know why | [`explain`] | [`explain`] |
//!
//! Get a pin with [`Pin::from_cert_der`] (from [`certs_from_pem_file`]), `tlspin pin HOST:PORT`,
//! or `openssl` (see [`Pin`]); every common pin syntax parses.
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
//! // Use `config` with tokio-rustls, hyper-rustls, reqwest 0.13's `tls_backend_preconfigured`
//! // (0.12: `use_preconfigured_tls`).
//! // Mind ALPN: reqwest leaves `config.alpn_protocols` to you (set `http/1.1`, and `h2` only if
//! // reqwest speaks it); hyper-rustls sets it itself and panics if you did. The repository's
//! // interop/README.md has tested examples for reqwest, hyper-rustls, tonic, ureq,
//! // tokio-rustls and quinn.
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
//! Every tlspin verifier is built from a `CryptoProvider` and derives *both* the advertised schemes
//! and the signature checks from that provider's table. It verifies every handshake signature,
//! even in [`danger::AcceptAnyServerCert`]. The certificate decision is a separate *policy*
//! ([`policy`]), so a new verifier is a new policy and never new signature code.
//!
//! # Modules
//!
//! The root holds what a first user needs: [`Pin`], the leaf-pinned verifiers, WebPKI + pins,
//! [`SelfSignedVerifier`], the errors, [`explain`] and the config helpers. Each other pinning
//! model has a module: [`host_pins`], [`tofu`], [`raw_keys`]; [`policy`] holds the traits and
//! types for policies of your own, and [`danger`] everything that weakens checks.
//!
//! # Features
//!
//! `aws-lc-rs` (default) and `ring` enable the rustls providers of the same name; tlspin computes
//! pin digests with whichever is enabled. `config` adds [`host_pins::PinConfig`] (TOML);
//! `webpki-roots` and `native-roots` add `roots`, Mozilla's and the operating system's root
//! certificates, with one-call builders such as `PinnedWebPkiVerifier::builder_with_native_roots`;
//! `platform` adds `platform::PlatformPinnedVerifier`, the OS trust decision plus pins; `fips`
//! builds aws-lc-rs on its FIPS module, and every verifier's `fips()` reports whether its
//! cryptography runs there (`ClientConfig::fips()` ignores custom verifiers).
//! Verifiers never use a process-default provider: the one you pass is the one used.

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
pub mod danger;
mod deferred;
mod der;
mod error;
mod explain;
mod host;
pub mod host_pins;
mod pin;
mod pin_set;
mod pin_sources;
mod pinned;
#[cfg(feature = "platform")]
pub mod platform;
pub mod policy;
pub mod raw_keys;
#[cfg(any(feature = "webpki-roots", feature = "native-roots"))]
pub mod roots;
mod self_signed;
mod signatures;
mod time;
pub mod tofu;
mod verifier;
mod webpki_path;
mod webpki_pins;

pub use certs::{certs_from_pem, certs_from_pem_file};
pub use config::{pinned_client_config, ClientConfigBuilderExt, ServerConfigBuilderExt};
pub use error::{CaCertificateAsServer, Error, NotAGivenCertificate, Peer, PinMismatch};
pub use explain::{explain, Explanation, FailureKind};
pub use pin::Pin;
pub use pinned::{PinnedClientVerifier, PinnedServerVerifier, PinnedVerifierBuilder};
pub use self_signed::SelfSignedVerifier;
pub use webpki_pins::{PinnedWebPkiVerifier, PinnedWebPkiVerifierBuilder};
