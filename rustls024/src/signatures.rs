//! Handshake signatures, from one rustls 0.24 provider: what tlspin's `signatures.rs` is for
//! rustls 0.23.

use core::hash::{Hash, Hasher};
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, SignatureVerificationInput};
use rustls::crypto::{
    verify_tls12_signature, verify_tls13_signature, CryptoProvider, SignatureScheme,
    WebPkiSupportedAlgorithms,
};
use rustls::pki_types::SignatureVerificationAlgorithm;

/// A provider's signature verification table, answering every signature question a verifier is
/// asked: the schemes advertised and the algorithms that check the peer's signatures come from
/// the same table. rustls 0.24 checks the table when it is made
/// (`WebPkiSupportedAlgorithms::new` refuses an empty mapping or a scheme without algorithm), so
/// unlike rustls 0.23's, every table is usable.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Signatures {
    algorithms: WebPkiSupportedAlgorithms,
}

impl Signatures {
    pub(crate) fn new(provider: &CryptoProvider) -> Self {
        Self {
            algorithms: provider.signature_verification_algorithms,
        }
    }

    /// The schemes to advertise: exactly the provider's, in its order of preference.
    pub(crate) fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }

    /// Every algorithm the table maps a scheme to, once each: the certificate signature
    /// algorithms for path validation. rustls 0.24 keeps the provider's full list private;
    /// this is the part of it the handshake can use.
    pub(crate) fn certificate_algorithms(
        &self,
    ) -> Arc<[&'static dyn SignatureVerificationAlgorithm]> {
        let mut all: Vec<&'static dyn SignatureVerificationAlgorithm> = Vec::new();
        for &(_, algorithms) in self.algorithms.mapping() {
            for &algorithm in algorithms {
                let ids = (algorithm.public_key_alg_id(), algorithm.signature_alg_id());
                if !all
                    .iter()
                    .any(|known| (known.public_key_alg_id(), known.signature_alg_id()) == ids)
                {
                    all.push(algorithm);
                }
            }
        }
        all.into()
    }

    pub(crate) fn verify_tls12(
        &self,
        input: &SignatureVerificationInput<'_>,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(input, &self.algorithms)
    }

    /// Checks a TLS 1.3 signature, by a certificate's key or a raw public key alike.
    pub(crate) fn verify_tls13(
        &self,
        input: &SignatureVerificationInput<'_>,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(input, &self.algorithms)
    }

    /// The table's own FIPS status.
    pub(crate) fn fips(&self) -> rustls::pki_types::FipsStatus {
        self.algorithms.fips()
    }

    pub(crate) fn hash(&self, mut h: &mut dyn Hasher) {
        self.algorithms.hash(&mut h);
    }
}
