//! Host pin sets: WebPKI validation plus pins per host pattern, as OkHttp's `CertificatePinner`
//! and Android's `<pin-set>` define them, with expiry, report-only roll-out, lints and a TOML
//! configuration file.
//!
//! Start with [`HostPinnedVerifier`]'s `builder`: add [`HostPinSet`]s (or a [`PinConfig`], feature
//! `config`), and hosts that match no set get plain WebPKI (or your
//! [`fallback`](HostPinsBuilder::fallback)). A pin counts only on the path webpki validated.
//!
//! ```
//! # #[cfg(feature = "aws-lc-rs")] {
//! use std::sync::Arc;
//! use tlspin::host_pins::{HostPinSet, HostPinnedVerifier};
//! use tlspin::Pin;
//! # let ca = rcgen::generate_simple_self_signed(["ca".to_string()]).unwrap();
//! # let mut roots = rustls::RootCertStore::empty();
//! # roots.add(ca.cert.der().clone()).unwrap();
//!
//! let ca_pin: Pin = "sha256/ZHE5n8VWNTRIIRGnbwFXtn8dB4aKRJzKXBWnV3+4Jjg=".parse()?;
//! let backup: Pin = "sha256/47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=".parse()?;
//! let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
//! let verifier = HostPinnedVerifier::builder(roots, provider.clone())
//!     .pin_set(HostPinSet::new("**.example.com", [ca_pin, backup])?)
//!     .report_only(true) // roll out: report failures, refuse nothing yet
//!     .on_pin_failure(|report| eprintln!("{}", report.to_json()))
//!     .build()?;
//! let config = rustls::ClientConfig::builder_with_provider(provider)
//!     .with_safe_default_protocol_versions()?
//!     .dangerous()
//!     .with_custom_certificate_verifier(verifier)
//!     .with_no_client_auth();
//! # }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#[cfg(feature = "config")]
mod config_file;
mod pattern;
mod verifier;

#[cfg(feature = "config")]
pub use config_file::PinConfig;
pub use pattern::HostPattern;
pub(crate) use pattern::PatternIndex;
pub use verifier::{
    ExpiredPinSet, HostPinSet, HostPinnedVerifier, HostPins, HostPinsBuilder, Lint, PinReport,
};
