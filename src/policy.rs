//! Certificate policies: the only part of a verifier that differs from one verifier to the next.
//!
//! A tlspin verifier is a [`ServerVerifier`](crate::ServerVerifier) or
//! [`ClientVerifier`](crate::ClientVerifier) holding a provider's signature table plus a policy.
//! The policy decides whether the presented certificates are acceptable; the verifier always
//! checks the handshake signature itself, with the same provider that chose the advertised
//! schemes. A policy therefore never sees, and can never skip, a signature check.
//!
//! The traits use only [`rustls::pki_types`] and [`rustls::Error`], which are the same in rustls
//! 0.23 and 0.24, so a policy does not change when the rustls verifier traits do.

use core::fmt::Debug;

use rustls::pki_types::{CertificateDer, ServerName, UnixTime};

/// The certificates a peer presented: its leaf (end-entity) certificate and the rest of the
/// chain, in the order the peer sent them.
///
/// Nothing here has been validated: the chain is whatever the peer chose to send.
#[derive(Debug, Clone, Copy)]
pub struct PeerChain<'a> {
    /// The end-entity certificate; its key signs the handshake.
    pub end_entity: &'a CertificateDer<'a>,
    /// Every other certificate the peer sent (possibly none, possibly unrelated to the leaf).
    pub intermediates: &'a [CertificateDer<'a>],
}

impl<'a> PeerChain<'a> {
    /// All presented certificates, leaf first.
    pub fn iter(&self) -> impl Iterator<Item = &'a CertificateDer<'a>> {
        core::iter::once(self.end_entity).chain(self.intermediates)
    }
}

/// Decides whether a server's certificate chain is acceptable.
///
/// Implement this to build a custom server verifier; wrap it with
/// [`ServerVerifier::with_policy`](crate::ServerVerifier::with_policy). Return a
/// [`rustls::Error::InvalidCertificate`] that says what was expected and what was seen.
pub trait ServerCertPolicy: Debug + Send + Sync {
    /// Checks `chain`, presented by the server the client knows as `server_name`, at time `now`.
    /// `ocsp_response` is the stapled OCSP response, empty if none.
    fn check_server_cert(
        &self,
        chain: PeerChain<'_>,
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<(), rustls::Error>;

    /// Whether the server must present a raw public key (RFC 7250) instead of a certificate.
    /// Then [`PeerChain::end_entity`] holds the DER SubjectPublicKeyInfo, and handshake
    /// signatures are checked against it (TLS 1.3 only).
    fn requires_raw_public_keys(&self) -> bool {
        false
    }
}

/// Decides whether a client's certificate chain is acceptable (mTLS).
///
/// Implement this to build a custom client verifier; wrap it with
/// [`ClientVerifier::with_policy`](crate::ClientVerifier::with_policy).
pub trait ClientCertPolicy: Debug + Send + Sync {
    /// Checks `chain`, presented by a client, at time `now`.
    fn check_client_cert(&self, chain: PeerChain<'_>, now: UnixTime) -> Result<(), rustls::Error>;

    /// Whether the client must present a raw public key (RFC 7250); see
    /// [`ServerCertPolicy::requires_raw_public_keys`].
    fn requires_raw_public_keys(&self) -> bool {
        false
    }
}
