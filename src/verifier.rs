//! The rustls 0.23 verifier traits, implemented once for every policy.
//!
//! This is the only file that names rustls' verifier traits; moving to rustls 0.24 rewrites
//! this file and leaves the policies alone.

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{DigitallySignedStruct, DistinguishedName, SignatureScheme};

use crate::deferred;
use crate::error::Error;
use crate::policy::{ClientCertPolicy, PeerChain, ServerCertPolicy};
use crate::signatures::Signatures;

/// A [`ServerCertVerifier`] made of a [`ServerCertPolicy`] and a provider's signature table.
///
/// The policy judges the certificates; the verifier checks every handshake signature with the
/// provider it was built from and advertises exactly that provider's signature schemes. What a
/// policy records or reports about a connection (a trust-on-first-use entry, a report-only pin
/// failure) happens only after that signature has verified, when the server has proven it holds
/// the certificate's key. Most
/// users want a ready-made policy: [`PinnedServerVerifier`](crate::PinnedServerVerifier),
/// [`danger::AcceptAnyServerCert`](crate::danger::AcceptAnyServerCert) or
/// [`danger::IgnoreServerName`](crate::danger::IgnoreServerName).
#[derive(Debug)]
pub struct ServerVerifier<P> {
    signatures: Signatures,
    policy: P,
    /// Tags the policy's deferred effects with this verifier.
    deferred: deferred::DeferredEffects,
}

impl<P: ServerCertPolicy> ServerVerifier<P> {
    /// Combines `policy` with `provider`'s signature verification.
    ///
    /// Fails with [`Error::UnusableProvider`] if the provider's signature table is empty or maps
    /// a scheme to no algorithm.
    pub fn with_policy(provider: &CryptoProvider, policy: P) -> Result<Self, Error> {
        Ok(Self {
            signatures: Signatures::new(provider)?,
            policy,
            deferred: deferred::DeferredEffects::new(),
        })
    }

    /// The certificate policy.
    pub fn policy(&self) -> &P {
        &self.policy
    }

    /// Whether this verifier's cryptography runs in a FIPS-validated module: every signature
    /// algorithm of its provider is FIPS (the provider's own report, as
    /// `CryptoProvider::fips()` gives it; `rustls::crypto::default_fips_provider()` with the
    /// `fips` feature), and tlspin computes pin digests in the FIPS module (aws-lc-rs built with
    /// its `fips` feature), and the policy does no cryptography of its own outside it
    /// ([`ServerCertPolicy::fips`]). Always `false` with *ring*.
    ///
    /// rustls' `ClientConfig::fips()` does not look at custom verifiers: check this too.
    pub fn fips(&self) -> bool {
        self.signatures.fips() && crate::pin::digests_in_fips_module() && self.policy.fips()
    }

    /// Runs the policy's deferred effects if the signature verified, drops them if not.
    fn signature_checked(
        &self,
        cert: &CertificateDer<'_>,
        result: Result<HandshakeSignatureValid, rustls::Error>,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        let verified = result.is_ok();
        self.deferred.signature_checked(cert, verified)?;
        result
    }
}

impl<P: ServerCertPolicy> ServerCertVerifier for ServerVerifier<P> {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let chain = PeerChain {
            end_entity,
            intermediates,
        };
        self.deferred
            .check_server_cert(end_entity, || {
                self.policy
                    .check_server_cert(chain, server_name, ocsp_response, now)
            })
            .map(|()| ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.signature_checked(cert, self.signatures.verify_tls12(message, cert, dss))
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        let raw_key = self.policy.requires_raw_public_keys();
        self.signature_checked(
            cert,
            self.signatures.verify_tls13(message, cert, dss, raw_key),
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.signatures.supported_verify_schemes()
    }

    fn requires_raw_public_keys(&self) -> bool {
        self.policy.requires_raw_public_keys()
    }
}

/// A [`ClientCertVerifier`] made of a [`ClientCertPolicy`] and a provider's signature table.
///
/// It always offers and requires client authentication: a client without a certificate is
/// rejected during the handshake.
#[derive(Debug)]
pub struct ClientVerifier<P> {
    signatures: Signatures,
    policy: P,
}

impl<P: ClientCertPolicy> ClientVerifier<P> {
    /// Combines `policy` with `provider`'s signature verification.
    ///
    /// Fails with [`Error::UnusableProvider`] if the provider's signature table is empty or maps
    /// a scheme to no algorithm.
    pub fn with_policy(provider: &CryptoProvider, policy: P) -> Result<Self, Error> {
        Ok(Self {
            signatures: Signatures::new(provider)?,
            policy,
        })
    }

    /// The certificate policy.
    pub fn policy(&self) -> &P {
        &self.policy
    }

    /// Whether this verifier's cryptography runs in a FIPS-validated module: every signature
    /// algorithm of its provider is FIPS (the provider's own report, as
    /// `CryptoProvider::fips()` gives it; `rustls::crypto::default_fips_provider()` with the
    /// `fips` feature), and tlspin computes pin digests in the FIPS module (aws-lc-rs built with
    /// its `fips` feature), and the policy does no cryptography of its own outside it
    /// ([`ServerCertPolicy::fips`]). Always `false` with *ring*.
    ///
    /// rustls' `ClientConfig::fips()` does not look at custom verifiers: check this too.
    pub fn fips(&self) -> bool {
        self.signatures.fips() && crate::pin::digests_in_fips_module() && self.policy.fips()
    }
}

impl<P: ClientCertPolicy> ClientCertVerifier for ClientVerifier<P> {
    fn offer_client_auth(&self) -> bool {
        true
    }

    fn client_auth_mandatory(&self) -> bool {
        true
    }

    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        // Pinned clients need not chain to a CA, so there is no CA name to hint.
        &[]
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        let chain = PeerChain {
            end_entity,
            intermediates,
        };
        self.policy
            .check_client_cert(chain, now)
            .map(|()| ClientCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.signatures.verify_tls12(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.signatures
            .verify_tls13(message, cert, dss, self.policy.requires_raw_public_keys())
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.signatures.supported_verify_schemes()
    }

    fn requires_raw_public_keys(&self) -> bool {
        self.policy.requires_raw_public_keys()
    }
}
