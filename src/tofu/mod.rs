//! Trust on first use, like SSH: the first connection to a `host:port` records the server's key
//! in a [`KnownHosts`] file, once the server's handshake signature has proven it holds that key,
//! and later connections must present the same key.
//!
//! Open a store with [`KnownHosts::open`] and ask it for a [`TofuVerifier`]
//! ([`KnownHosts::verifier`], or [`KnownHosts::verifier_with_roots`] so that hosts first seen
//! with a WebPKI-valid chain can never be taken over by a self-signed certificate).
//!
//! ```
//! # #[cfg(feature = "aws-lc-rs")] {
//! use std::sync::Arc;
//! use tlspin::tofu::KnownHosts;
//!
//! # let dir = tempfile::tempdir()?;
//! # let path = dir.path().join("known_hosts");
//! let store = KnownHosts::open(&path)?; // e.g. /var/lib/myapp/known_hosts
//! let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
//! let verifier = store.verifier(provider.clone(), 443)?;
//! let config = rustls::ClientConfig::builder_with_provider(provider)
//!     .with_safe_default_protocol_versions()?
//!     .dangerous()
//!     .with_custom_certificate_verifier(verifier)
//!     .with_no_client_auth();
//! # }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Security
//! The first connection is unauthenticated: whoever answers it is trusted from then on. Check
//! the recorded pin out of band when you can.

mod known_hosts;
mod verifier;

pub use known_hosts::{KnownHost, KnownHosts, Trust};
pub use verifier::{KnownHostMismatch, Tofu, TofuVerifier};
