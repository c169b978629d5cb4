//! Shared test support for the interop tests: providers, certificates, timeouts.
//!
//! Every integration test file includes this module; not every file uses every helper.
#![allow(dead_code)]

/// The hand-written verifier of the library's own tests (reqwest 0.12's scheme list), shared
/// rather than copied.
#[path = "../../../tests/common/contrast.rs"]
pub mod contrast;
/// Real servers (PostgreSQL here), shared with the CLI's STARTTLS tests.
#[path = "../../../tests/common/daemons.rs"]
pub mod daemons;
pub mod peers;
pub mod record;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use rcgen::{CertificateParams, KeyPair};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tlspin::Pin;

/// Both providers, by name: the interop member builds tlspin with both, and every test that lets
/// the client choose runs once per provider.
pub fn providers() -> [(&'static str, Arc<CryptoProvider>); 2] {
    [
        (
            "aws-lc-rs",
            Arc::new(rustls::crypto::aws_lc_rs::default_provider()),
        ),
        ("ring", Arc::new(rustls::crypto::ring::default_provider())),
    ]
}

/// A self-signed ECDSA P-256 certificate for `localhost` and 127.0.0.1, with its key and pin.
#[derive(Debug, Clone)]
pub struct TestCert {
    pub der: CertificateDer<'static>,
    pub pem: String,
    /// The private key as PKCS#8 PEM, for servers that read files.
    pub key_pem: String,
    key_der: Vec<u8>,
    pub pin: Pin,
}

impl TestCert {
    pub fn self_signed() -> Self {
        let params = CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
            .expect("valid names");
        let key = KeyPair::generate().expect("P-256 key");
        let cert = params.self_signed(&key).expect("self-signed certificate");
        Self {
            pin: Pin::from_cert_der(cert.der()).expect("rcgen certificate parses"),
            der: cert.der().clone(),
            pem: cert.pem(),
            key_pem: key.serialize_pem(),
            key_der: key.serialize_der(),
        }
    }

    pub fn key(&self) -> PrivateKeyDer<'static> {
        PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(self.key_der.clone()))
    }
}

/// A pin no test server presents.
pub fn wrong_pin() -> Pin {
    Pin::from_sha256([0x42; Pin::LEN])
}

/// A client config that trusts exactly `pin`, built with `provider`.
pub fn pinned(provider: &Arc<CryptoProvider>, pin: Pin) -> rustls::ClientConfig {
    tlspin::pinned_client_config(provider.clone(), [pin]).expect("pinned client config")
}

/// Every network step of a test is bounded by this.
pub const TIMEOUT: Duration = Duration::from_secs(20);

/// Awaits `future`, failing the test if it takes longer than [`TIMEOUT`].
pub async fn within<F: Future>(what: &str, future: F) -> F::Output {
    tokio::time::timeout(TIMEOUT, future)
        .await
        .unwrap_or_else(|_| panic!("{what} did not finish within {TIMEOUT:?}"))
}
