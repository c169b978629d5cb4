//! The rustls 0.24 verifier traits, implemented once for every tlspin policy.

use core::any::TypeId;
use core::hash::{Hash, Hasher};
use core::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerIdentity, SignatureVerificationInput};
use rustls::crypto::{CryptoProvider, Identity, SignatureScheme, VerifiedIdentity};
use rustls::enums::CertificateType;
use rustls::pki_types::{CertificateDer, FipsStatus};
use rustls::server::danger::ClientIdentity;
use rustls::{DistinguishedName, SignerPublicKey};
use tlspin::policy::{ClientCertPolicy, PeerChain, RegisteredEffects, ServerCertPolicy};

use crate::deferred::Pending;
use crate::error::from_rustls023;
use crate::signatures::Signatures;

/// A rustls 0.24 `ServerVerifier` made of a tlspin [`ServerCertPolicy`] and a provider's
/// signature table: tlspin's [`policy::ServerVerifier`](tlspin::policy::ServerVerifier) for
/// rustls 0.24.
///
/// The policy judges the certificates (or the raw public key); the verifier checks every
/// handshake signature with the provider it was built from and advertises exactly that
/// provider's signature schemes. What a policy records or reports about a connection
/// (`tlspin::policy::after_handshake_signature`: a trust-on-first-use entry, a report-only pin
/// failure) happens only after a signature made with the accepted certificate's key has verified
/// here, as with tlspin's rustls 0.23 verifiers. What waits is kept in the verifier, so the
/// identity may be verified on another thread than the signature (rustls 0.24's
/// `presented_identity` and `continue_with`). A signature names only its certificate: while
/// identity checks of one certificate with different effects wait at once (an impostor presenting
/// a copied certificate for another host), their effects are all dropped, with a warning naming
/// them, never run on another connection's signature; checks with equal effects (equal `what`s)
/// each run on one signature. A check waits at most two minutes. Session resumption is keyed by the policy's type
/// (`P`), the provider's table and the policy's configuration
/// ([`ServerCertPolicy::hash_config`]), or by this verifier instance for a policy that cannot
/// hash its configuration.
///
/// ```
/// use std::sync::Arc;
/// use tlspin::policy::LeafPins;
/// use tlspin::{PinnedVerifierBuilder, Pin};
///
/// let provider = Arc::new(rustls_aws_lc_rs::DEFAULT_PROVIDER);
/// let pin: Pin = "sha256/ZHE5n8VWNTRIIRGnbwFXtn8dB4aKRJzKXBWnV3+4Jjg=".parse()?;
/// let builder = PinnedVerifierBuilder::<tlspin::PinnedServerVerifier, _>::with_provider(provider);
/// let (provider, policy): (_, LeafPins) = builder.pin(pin).into_policy()?;
/// let verifier = tlspin_rustls024::ServerVerifier::with_policy(&provider, policy);
/// assert_eq!(verifier.policy().pins(), &[pin]);
/// # Ok::<(), tlspin::Error>(())
/// ```
#[derive(Debug)]
pub struct ServerVerifier<P> {
    signatures: Signatures,
    policy: P,
    instance: u64,
    /// The policy's deferred effects, waiting for the signatures of their connections.
    pending: Pending,
}

/// A rustls 0.24 `ClientVerifier` (mTLS) made of a tlspin [`ClientCertPolicy`] and a
/// provider's signature table. It always offers and requires client authentication.
///
/// rustls 0.24's `ClientVerifier` has no configuration hash: a server resumes any session its
/// `session_storage` or `ticketer` knows, whatever the client verifier. After changing client
/// pins, build the new `ServerConfig` with resumption state of its own
/// ([`isolate_resumption`](crate::isolate_resumption)).
///
/// ```
/// use std::sync::Arc;
/// use tlspin::{raw_keys::RawKeyPins, Peer, Pin};
///
/// let provider = rustls_ring::DEFAULT_PROVIDER;
/// let pin: Pin = "sha256/ZHE5n8VWNTRIIRGnbwFXtn8dB4aKRJzKXBWnV3+4Jjg=".parse()?;
/// let policy = RawKeyPins::new(Peer::Client, [pin])?;
/// let verifier = tlspin_rustls024::ClientVerifier::with_policy(&provider, policy);
/// assert_eq!(verifier.policy().pins(), &[pin]);
/// # Ok::<(), tlspin::Error>(())
/// ```
#[derive(Debug)]
pub struct ClientVerifier<P> {
    signatures: Signatures,
    policy: P,
    no_hints: Arc<[DistinguishedName]>,
}

/// Numbers verifier instances, for resumption keys of policies without a configuration hash.
fn next_instance() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// The certificate types a policy accepts.
fn certificate_types(raw_public_keys: bool) -> &'static [CertificateType] {
    if raw_public_keys {
        &[CertificateType::RawPublicKey]
    } else {
        &[CertificateType::X509]
    }
}

/// Hands the presented identity to `check` as tlspin's [`PeerChain`] (a raw public key as the
/// chain's only "certificate", as rustls 0.23 passes it), with the verdict in rustls 0.24's terms.
/// The kind of identity must be the one the policy takes (`raw_public_keys`): over TLS 1.2 no
/// certificate type is negotiated, and rustls hands over whatever the peer sent.
fn check_identity(
    identity: &Identity<'_>,
    raw_public_keys: bool,
    check: impl FnOnce(PeerChain<'_>) -> Result<(), rustls023::Error>,
) -> Result<(), rustls::Error> {
    let seen = match identity {
        Identity::X509(_) => Some(false),
        Identity::RawPublicKey(_) => Some(true),
        _ => None,
    };
    if let Some(raw) = seen.filter(|&raw| raw != raw_public_keys) {
        let kind = |raw: bool| {
            if raw {
                "a raw public key (RFC 7250)"
            } else {
                "an X.509 certificate chain"
            }
        };
        return Err(rustls::Error::General(format!(
            "tlspin: this verifier expects {}; the peer presented {}",
            kind(raw_public_keys),
            kind(raw)
        )));
    }
    let verdict = match identity {
        Identity::X509(certificates) => check(PeerChain {
            end_entity: &certificates.end_entity,
            intermediates: &certificates.intermediates,
        }),
        Identity::RawPublicKey(spki) => {
            let key = CertificateDer::from(spki.as_ref());
            check(PeerChain {
                end_entity: &key,
                intermediates: &[],
            })
        }
        other => {
            return Err(rustls::Error::General(format!(
                "tlspin verifies an X.509 certificate chain or a raw public key; the peer \
                 presented another kind of identity: {other:?}"
            )))
        }
    };
    verdict.map_err(from_rustls023)
}

impl<P: ServerCertPolicy> ServerVerifier<P> {
    /// Combines `policy` with `provider`'s signature verification.
    pub fn with_policy(provider: &CryptoProvider, policy: P) -> Self {
        Self {
            signatures: Signatures::new(provider),
            policy,
            instance: next_instance(),
            pending: Pending::default(),
        }
    }

    /// The certificate policy.
    pub fn policy(&self) -> &P {
        &self.policy
    }

    /// Whether this verifier's cryptography is FIPS-validated: the provider's signature table's
    /// own status (`WebPkiSupportedAlgorithms::fips`), but [`FipsStatus::Unvalidated`] unless
    /// tlspin also computes pin digests in the FIPS module
    /// ([`tlspin::policy::pin_digests_in_fips_module`]: aws-lc-rs with tlspin's `fips` feature;
    /// never *ring*) and the policy does no cryptography outside it ([`ServerCertPolicy::fips`]).
    /// rustls' `ClientConfig::fips()` does not look at custom verifiers: check this too.
    ///
    /// ```
    /// use rustls::pki_types::FipsStatus;
    ///
    /// let provider = std::sync::Arc::new(rustls_ring::DEFAULT_PROVIDER);
    /// let pin = "sha256/ZHE5n8VWNTRIIRGnbwFXtn8dB4aKRJzKXBWnV3+4Jjg=".parse()?;
    /// let verifier = tlspin_rustls024::PinnedServerVerifier::new(provider, [pin])?;
    /// assert_eq!(verifier.fips(), FipsStatus::Unvalidated); // *ring* is not FIPS-validated
    /// # Ok::<(), tlspin::Error>(())
    /// ```
    pub fn fips(&self) -> FipsStatus {
        fips(&self.signatures, self.policy.fips())
    }

    /// Runs the policy's deferred effects if the signature made with the identity it accepted
    /// verified and they are attributable to it (see `crate::deferred`), drops them if not.
    fn signature_checked(
        &self,
        input: &SignatureVerificationInput<'_>,
        result: Result<HandshakeSignatureValid, rustls::Error>,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        let signer: Option<&[u8]> = match input.signer {
            SignerPublicKey::X509(cert) => Some(cert.as_ref()),
            SignerPublicKey::RawPublicKey(spki) => Some(spki.as_ref()),
            // A kind of key no tlspin policy accepted: nothing it registered may run.
            _ => None,
        };
        if let Some(signer) = signer {
            if let Some(effects) = self.pending.signature_checked(signer, result.is_ok()) {
                effects.run().map_err(from_rustls023)?;
            }
        }
        result
    }
}

/// The FIPS status of a verifier with `signatures` whose policy's own cryptography is FIPS or not.
fn fips(signatures: &Signatures, policy_fips: bool) -> FipsStatus {
    if policy_fips && tlspin::policy::pin_digests_in_fips_module() {
        signatures.fips()
    } else {
        FipsStatus::Unvalidated
    }
}

impl<P: ClientCertPolicy> ClientVerifier<P> {
    /// Combines `policy` with `provider`'s signature verification.
    pub fn with_policy(provider: &CryptoProvider, policy: P) -> Self {
        Self {
            signatures: Signatures::new(provider),
            policy,
            no_hints: Arc::from(Vec::new()),
        }
    }

    /// The certificate policy.
    pub fn policy(&self) -> &P {
        &self.policy
    }

    /// Whether this verifier's cryptography is FIPS-validated; see [`ServerVerifier::fips`].
    ///
    /// ```
    /// use rustls::pki_types::FipsStatus;
    ///
    /// let provider = std::sync::Arc::new(rustls_ring::DEFAULT_PROVIDER);
    /// let pin = "sha256/ZHE5n8VWNTRIIRGnbwFXtn8dB4aKRJzKXBWnV3+4Jjg=".parse()?;
    /// let verifier = tlspin_rustls024::PinnedClientVerifier::new(provider, [pin])?;
    /// assert_eq!(verifier.fips(), FipsStatus::Unvalidated);
    /// # Ok::<(), tlspin::Error>(())
    /// ```
    pub fn fips(&self) -> FipsStatus {
        fips(&self.signatures, self.policy.fips())
    }
}

impl<P: ServerCertPolicy + 'static> rustls::client::danger::ServerVerifier for ServerVerifier<P> {
    fn verify_identity<'a>(
        &self,
        identity: &ServerIdentity<'a, '_>,
    ) -> Result<VerifiedIdentity<'a>, rustls::Error> {
        // What the policy defers waits for a signature made with the very identity checked.
        let raw_public_keys = self.policy.requires_raw_public_keys();
        check_identity(identity.identity, raw_public_keys, |chain| {
            let (verdict, effects) = RegisteredEffects::collect(|| {
                self.policy.check_server_cert(
                    chain,
                    identity.server_name,
                    identity.ocsp_response,
                    identity.now,
                )
            });
            if verdict.is_ok() {
                self.pending.accepted(chain.end_entity.as_ref(), effects);
            }
            verdict
        })?;
        Ok(VerifiedIdentity::assertion(identity.identity.clone()))
    }

    fn verify_tls12_signature(
        &self,
        input: &SignatureVerificationInput<'_>,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.signature_checked(input, self.signatures.verify_tls12(input))
    }

    fn verify_tls13_signature(
        &self,
        input: &SignatureVerificationInput<'_>,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.signature_checked(input, self.signatures.verify_tls13(input))
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.signatures.supported_verify_schemes()
    }

    fn request_ocsp_response(&self) -> bool {
        false
    }

    fn supported_certificate_types(&self) -> &'static [CertificateType] {
        certificate_types(self.policy.requires_raw_public_keys())
    }

    fn hash_config(&self, mut h: &mut dyn Hasher) {
        // rustls 0.24.0-dev.2 hashes `type_id()` of the `Arc<dyn ServerVerifier>` it holds: the
        // `Arc`'s type, the same for every verifier. The policy's type is named here, so two
        // policies whose configurations hash alike never share sessions.
        TypeId::of::<P>().hash(&mut h);
        self.signatures.hash(h);
        if !self.policy.hash_config(h) {
            self.instance.hash(&mut h);
        }
    }
}

impl<P: ClientCertPolicy + 'static> rustls::server::danger::ClientVerifier for ClientVerifier<P> {
    fn verify_identity<'a>(
        &self,
        identity: &ClientIdentity<'a, '_>,
    ) -> Result<VerifiedIdentity<'a>, rustls::Error> {
        check_identity(
            identity.identity,
            self.policy.requires_raw_public_keys(),
            |chain| self.policy.check_client_cert(chain, identity.now),
        )?;
        Ok(VerifiedIdentity::assertion(identity.identity.clone()))
    }

    fn verify_tls12_signature(
        &self,
        input: &SignatureVerificationInput<'_>,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.signatures.verify_tls12(input)
    }

    fn verify_tls13_signature(
        &self,
        input: &SignatureVerificationInput<'_>,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.signatures.verify_tls13(input)
    }

    fn root_hint_subjects(&self) -> Arc<[DistinguishedName]> {
        // Pinned clients need not chain to a CA, so there is no CA name to hint.
        Arc::clone(&self.no_hints)
    }

    fn client_auth_mandatory(&self) -> bool {
        true
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.signatures.supported_verify_schemes()
    }

    fn supported_certificate_types(&self) -> &'static [CertificateType] {
        certificate_types(self.policy.requires_raw_public_keys())
    }
}
