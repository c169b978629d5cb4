//! Verifiers that deliberately skip part of certificate validation.
//!
//! Everything in this module weakens authentication. Each verifier here still checks every
//! handshake signature with its provider — unlike the "accept everything" verifiers found in
//! forum posts, which also accept a man in the middle that holds only the server's *public*
//! certificate — but each accepts some certificates that a correct client must refuse. Use them
//! for tests and diagnostics, or when you have decided, in writing, what the missing check costs.
//! To talk to a self-signed server, pin it instead: [`PinnedServerVerifier`](crate::PinnedServerVerifier).

use std::sync::Arc;

use rustls::crypto::CryptoProvider;
use rustls::pki_types::{ServerName, UnixTime};
use rustls::RootCertStore;

use crate::error::Error;
use crate::policy::{PeerChain, ServerCertPolicy};
use crate::verifier::ServerVerifier;
use crate::webpki_path::WebPki;

/// Accepts **any** server certificate, from anyone, while still verifying the handshake
/// signature against the presented certificate's key.
///
/// # Security
/// This provides **no authentication**: an attacker who can intercept the connection presents
/// their own certificate and is accepted. The signature check only guarantees that the peer holds
/// the private key of the certificate *it* chose to present. Encryption without authentication
/// protects against passive eavesdroppers only.
///
/// Use it to inspect a server (tlspin's CLI does), or in tests. For a known self-signed server,
/// use [`PinnedServerVerifier`](crate::PinnedServerVerifier).
///
/// ```
/// # #[cfg(feature = "aws-lc-rs")] {
/// use std::sync::Arc;
/// let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
/// let verifier = tlspin::danger::AcceptAnyServerCert::new(provider)?;
/// # }
/// # Ok::<(), tlspin::Error>(())
/// ```
pub type AcceptAnyServerCert = ServerVerifier<AcceptAnyCert>;

impl AcceptAnyServerCert {
    /// Builds the verifier; fails with [`Error::UnusableProvider`] if the provider's signature
    /// table is empty or maps a scheme to no algorithm.
    pub fn new(provider: Arc<CryptoProvider>) -> Result<Arc<Self>, Error> {
        ServerVerifier::with_policy(&provider, AcceptAnyCert).map(Arc::new)
    }
}

/// The policy behind [`AcceptAnyServerCert`]: every certificate chain is acceptable.
#[derive(Debug, Clone, Copy, Default)]
pub struct AcceptAnyCert;

impl ServerCertPolicy for AcceptAnyCert {
    fn check_server_cert(
        &self,
        _chain: PeerChain<'_>,
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<(), rustls::Error> {
        Ok(())
    }
}

/// Full WebPKI validation (trust anchors, intermediates, validity, server-auth EKU, certificate
/// signatures, all with the given provider) that tolerates only a server-name mismatch.
///
/// This is the correct form of reqwest's `danger_accept_invalid_hostnames(true)`: the chain must
/// still lead to one of *your* roots, so only servers holding a certificate from those roots are
/// accepted — but any of them is accepted for any name.
///
/// # Security
/// With public roots this accepts **every website's certificate for every name**: anyone can get
/// a publicly trusted certificate for a domain they own and impersonate your server with it. Use
/// it only with a private root that issues certificates to servers you control, typically an
/// internal CA whose certificates name the wrong host. Revocation is not checked.
pub type IgnoreServerName = ServerVerifier<WebPkiIgnoringName>;

impl IgnoreServerName {
    /// Builds the verifier over `roots`, using `provider` for handshake and certificate
    /// signatures.
    ///
    /// Fails with [`Error::NoRootCertificates`] if `roots` is empty, or
    /// [`Error::UnusableProvider`] if the provider cannot verify signatures.
    pub fn new(
        roots: impl Into<Arc<RootCertStore>>,
        provider: Arc<CryptoProvider>,
    ) -> Result<Arc<Self>, Error> {
        let policy = WebPkiIgnoringName {
            webpki: WebPki::new(roots.into(), &provider)?,
        };
        ServerVerifier::with_policy(&provider, policy).map(Arc::new)
    }
}

/// The policy behind [`IgnoreServerName`]: WebPKI path validation without the name check.
#[derive(Debug, Clone)]
pub struct WebPkiIgnoringName {
    webpki: WebPki,
}

impl ServerCertPolicy for WebPkiIgnoringName {
    fn check_server_cert(
        &self,
        chain: PeerChain<'_>,
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<(), rustls::Error> {
        self.webpki.validate(chain, now)
    }
}
