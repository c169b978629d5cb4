//! [`SelfSignedVerifier`]: given self-signed certificates as their own trust anchors.

use std::sync::Arc;

use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::RootCertStore;

use crate::error::Error;
use crate::policy::{PeerChain, ServerCertPolicy};
use crate::verifier::ServerVerifier;
use crate::webpki_path::{check_name, WebPki};

/// Trusts the given self-signed certificates as roots and validates servers fully against them:
/// validity period, subjectAltName, server-auth EKU and signatures, as for a public CA.
///
/// This is what rustls' maintainers recommend instead of a custom verifier, offered here so you
/// can choose knowingly:
///
/// | | `SelfSignedVerifier` | [`PinnedServerVerifier`](crate::PinnedServerVerifier) |
/// |---|---|---|
/// | identifies the server by | the whole certificate, as a root | its key (SPKI pin) |
/// | certificate renewed with the same key | must be re-distributed | keeps working |
/// | server name checked | always | optional |
/// | `openssl req -x509` default (`CA:TRUE`) | refused: re-issue with `CA:FALSE` | works |
/// | expired certificate | refused | refused unless validity checking is off |
///
/// A `CA:TRUE` certificate cannot be its own end-entity certificate in WebPKI; such a server is
/// refused with a [`CaCertificateAsServer`](crate::CaCertificateAsServer) error that says which
/// mode works instead.
pub type SelfSignedVerifier = ServerVerifier<SelfSignedRoots>;

impl SelfSignedVerifier {
    /// Builds a verifier trusting exactly `certs` as roots, with `provider` for every signature.
    ///
    /// Fails with [`Error::NoRootCertificates`] if `certs` is empty, with
    /// [`Error::InvalidRoot`] if one cannot be used as a trust anchor, or with
    /// [`Error::UnusableProvider`].
    pub fn new<'a>(
        certs: impl IntoIterator<Item = CertificateDer<'a>>,
        provider: Arc<CryptoProvider>,
    ) -> Result<Arc<Self>, Error> {
        let mut roots = RootCertStore::empty();
        for (index, cert) in certs.into_iter().enumerate() {
            roots
                .add(cert)
                .map_err(|error| Error::InvalidRoot { index, error })?;
        }
        let policy = SelfSignedRoots {
            webpki: WebPki::new(Arc::new(roots), &provider)?,
        };
        ServerVerifier::with_policy(&provider, policy).map(Arc::new)
    }
}

/// The policy behind [`SelfSignedVerifier`].
#[derive(Debug, Clone)]
pub struct SelfSignedRoots {
    webpki: WebPki,
}

impl ServerCertPolicy for SelfSignedRoots {
    fn check_server_cert(
        &self,
        chain: PeerChain<'_>,
        server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<(), rustls::Error> {
        self.webpki.validate(chain, now)?;
        check_name(chain, server_name)
    }
}
