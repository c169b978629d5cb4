//! Test-only contrast: the hand-written verifier that tlspin exists to replace.
//!
//! It is kept so the failures it causes stay visible next to tlspin's behaviour. Never copy it.

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, WebPkiSupportedAlgorithms};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};

/// The list reqwest 0.12's `NoVerifier` (`danger_accept_invalid_certs`) advertises, in its order:
/// SHA-1 schemes first, Ed448 last, whatever the provider can verify.
pub const REQWEST_0_12_SCHEMES: [SignatureScheme; 13] = [
    SignatureScheme::RSA_PKCS1_SHA1,
    SignatureScheme::ECDSA_SHA1_Legacy,
    SignatureScheme::RSA_PKCS1_SHA256,
    SignatureScheme::ECDSA_NISTP256_SHA256,
    SignatureScheme::RSA_PKCS1_SHA384,
    SignatureScheme::ECDSA_NISTP384_SHA384,
    SignatureScheme::RSA_PKCS1_SHA512,
    SignatureScheme::ECDSA_NISTP521_SHA512,
    SignatureScheme::RSA_PSS_SHA256,
    SignatureScheme::RSA_PSS_SHA384,
    SignatureScheme::RSA_PSS_SHA512,
    SignatureScheme::ED25519,
    SignatureScheme::ED448,
];

/// A verifier with a hand-written scheme list that accepts every certificate.
#[derive(Debug)]
pub struct HandWritten {
    /// What it tells the server it can verify.
    pub advertise: Vec<SignatureScheme>,
    /// What it really verifies with; `None` checks no signature at all, as reqwest's
    /// `NoVerifier` and most forum copies do.
    pub verify_with: Option<WebPkiSupportedAlgorithms>,
}

impl HandWritten {
    /// reqwest 0.12's `NoVerifier`.
    pub fn reqwest() -> Self {
        Self {
            advertise: REQWEST_0_12_SCHEMES.to_vec(),
            verify_with: None,
        }
    }
}

impl ServerCertVerifier for HandWritten {
    fn verify_server_cert(
        &self,
        _: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        match &self.verify_with {
            Some(algs) => verify_tls12_signature(message, cert, dss, algs),
            None => Ok(HandshakeSignatureValid::assertion()),
        }
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        match &self.verify_with {
            Some(algs) => verify_tls13_signature(message, cert, dss, algs),
            None => Ok(HandshakeSignatureValid::assertion()),
        }
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.advertise.clone()
    }
}
