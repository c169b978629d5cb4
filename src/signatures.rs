//! The one building block every verifier shares: handshake signatures, from one provider.

use rustls::client::danger::HandshakeSignatureValid;
use rustls::crypto::{
    verify_tls12_signature, verify_tls13_signature, verify_tls13_signature_with_raw_key,
    CryptoProvider, WebPkiSupportedAlgorithms,
};
use rustls::pki_types::{CertificateDer, SubjectPublicKeyInfoDer};
use rustls::{DigitallySignedStruct, SignatureScheme};

use crate::error::Error;

/// A provider's signature verification table, checked once, answering every signature question a
/// verifier is asked.
///
/// The schemes advertised to the peer and the algorithms used to check its signatures are read
/// from the same [`WebPkiSupportedAlgorithms`], so a verifier can never advertise a scheme it
/// cannot verify, nor fail to advertise one it can.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Signatures {
    algorithms: WebPkiSupportedAlgorithms,
}

impl Signatures {
    /// Takes `provider`'s table, refusing one that would break handshakes: an empty scheme list
    /// is a protocol error, and rustls 0.23 indexes the first algorithm of a TLS 1.3 scheme, so a
    /// scheme mapped to no algorithm would panic mid-handshake.
    /// Whether every signature algorithm of the table is FIPS-approved and runs in a
    /// FIPS-validated module, as the provider reports it.
    pub(crate) fn fips(&self) -> bool {
        self.algorithms.fips()
    }

    pub(crate) fn new(provider: &CryptoProvider) -> Result<Self, Error> {
        let algorithms = provider.signature_verification_algorithms;
        if algorithms.mapping.is_empty() {
            return Err(Error::UnusableProvider {
                problem: "its signature_verification_algorithms.mapping is empty, so it could \
                          verify no handshake signature; expected at least one \
                          (SignatureScheme, algorithms) entry"
                    .into(),
            });
        }
        if let Some((scheme, _)) = algorithms.mapping.iter().find(|(_, algs)| algs.is_empty()) {
            return Err(Error::UnusableProvider {
                problem: format!(
                    "its signature_verification_algorithms.mapping maps {scheme:?} to no \
                     verification algorithm; expected at least one"
                ),
            });
        }
        Ok(Self { algorithms })
    }

    /// The schemes to advertise: exactly the provider's, in its order of preference.
    pub(crate) fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }

    /// Checks a TLS 1.2 signature by `cert`'s key. (rustls negotiates raw public keys in TLS 1.3
    /// only; were a raw key ever passed here, it would fail to parse as a certificate.)
    pub(crate) fn verify_tls12(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    /// Checks a TLS 1.3 signature by `cert`'s key, or with raw public keys by the
    /// SubjectPublicKeyInfo that rustls passes in `cert`'s place.
    pub(crate) fn verify_tls13(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
        raw_public_key: bool,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        if raw_public_key {
            let spki = SubjectPublicKeyInfoDer::from(cert.as_ref());
            return verify_tls13_signature_with_raw_key(message, &spki, dss, &self.algorithms);
        }
        verify_tls13_signature(message, cert, dss, &self.algorithms)
    }
}
