//! WebPKI path validation with a provider's algorithms, optionally requiring that the validated
//! path contains a pinned certificate. Shared by every policy that trusts roots.

use core::cell::RefCell;
use core::hash::{Hash, Hasher};
use std::sync::Arc;

use rustls::client::{verify_server_cert_signed_by_trust_anchor, verify_server_name};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{ServerName, SignatureVerificationAlgorithm, UnixTime};
use rustls::server::ParsedCertificate;
use rustls::{CertificateError, OtherError, RootCertStore};

use crate::der::wrap_sequence;
use crate::error::{CaCertificateAsServer, Error};
use crate::pin::Pin;
use crate::policy::PeerChain;

/// A callback that may refuse a path webpki has validated.
type PathCheck<'a> = &'a dyn Fn(&webpki::VerifiedPath<'_>) -> Result<(), webpki::Error>;

/// Roots plus the provider's certificate-signature algorithms.
#[derive(Debug, Clone)]
pub(crate) struct WebPki {
    roots: Arc<RootCertStore>,
    algorithms: Arc<[&'static dyn SignatureVerificationAlgorithm]>,
}

/// Why a chain was refused.
#[derive(Debug)]
pub(crate) enum Rejection {
    /// The chain is invalid for WebPKI, with rustls' own error for it.
    Invalid(rustls::Error),
    /// The chain is valid, but no validated path contains a pinned certificate; `path` holds the
    /// pins of the last validated path (leaf first, trust anchor last).
    Unpinned { path: Vec<Pin> },
}

impl WebPki {
    /// Refuses an empty root store or a provider with no certificate-signature algorithm: either
    /// would reject every peer.
    pub(crate) fn new(roots: Arc<RootCertStore>, provider: &CryptoProvider) -> Result<Self, Error> {
        Self::with_algorithms(roots, provider.signature_verification_algorithms.all.into())
    }

    /// [`new`](Self::new) with the provider's certificate signature algorithms alone.
    pub(crate) fn with_algorithms(
        roots: Arc<RootCertStore>,
        algorithms: Arc<[&'static dyn SignatureVerificationAlgorithm]>,
    ) -> Result<Self, Error> {
        if roots.is_empty() {
            return Err(Error::NoRootCertificates);
        }
        if algorithms.is_empty() {
            return Err(Error::UnusableProvider {
                problem: "its signature_verification_algorithms.all is empty, so it could \
                          verify no certificate signature; expected at least one algorithm"
                    .into(),
            });
        }
        Ok(Self { roots, algorithms })
    }

    /// Feeds `h` the trust anchors and the algorithms: with the pins, all a verdict depends on.
    pub(crate) fn hash_config(&self, mut h: &mut dyn Hasher) {
        for anchor in &self.roots.roots {
            let constraints: Option<&[u8]> = anchor.name_constraints.as_ref().map(|c| c.as_ref());
            (
                &*anchor.subject,
                &*anchor.subject_public_key_info,
                constraints,
            )
                .hash(&mut h);
        }
        for algorithm in self.algorithms.iter() {
            let ids = (algorithm.public_key_alg_id(), algorithm.signature_alg_id());
            (ids.0.as_ref(), ids.1.as_ref()).hash(&mut h);
        }
    }

    /// Validates `chain` for server authentication at `now` (not the name).
    pub(crate) fn validate(
        &self,
        chain: PeerChain<'_>,
        now: UnixTime,
    ) -> Result<(), rustls::Error> {
        self.verify(chain, now, None)
            .map_err(|_| self.rustls_error(chain, now))
    }

    /// Like [`WebPki::validate`], but a path is accepted only if its leaf, an intermediate or its
    /// trust anchor matches one of `pins`, which must be sorted (it is binary-searched). webpki
    /// keeps searching other paths after a refusal, so a cross-signed chain passes if any pinned
    /// path exists.
    pub(crate) fn validate_pinned(
        &self,
        chain: PeerChain<'_>,
        now: UnixTime,
        pins: &[Pin],
    ) -> Result<(), Rejection> {
        debug_assert!(pins.is_sorted(), "validate_pinned needs sorted pins");
        let unpinned = RefCell::new(None);
        let check = |path: &webpki::VerifiedPath<'_>| -> Result<(), webpki::Error> {
            let path_pins = path_pins(path);
            if path_pins.iter().any(|pin| pins.binary_search(pin).is_ok()) {
                Ok(())
            } else {
                unpinned.replace(Some(path_pins));
                Err(webpki::Error::UnknownIssuer)
            }
        };
        match (self.verify(chain, now, Some(&check)), unpinned.take()) {
            (Ok(()), _) => Ok(()),
            (Err(_), Some(path)) => Err(Rejection::Unpinned { path }),
            (Err(_), None) => Err(Rejection::Invalid(self.rustls_error(chain, now))),
        }
    }

    fn verify(
        &self,
        chain: PeerChain<'_>,
        now: UnixTime,
        on_path: Option<PathCheck<'_>>,
    ) -> Result<(), webpki::Error> {
        let leaf = webpki::EndEntityCert::try_from(chain.end_entity)?;
        leaf.verify_for_usage(
            &self.algorithms,
            &self.roots.roots,
            chain.intermediates,
            now,
            webpki::KeyUsage::server_auth(),
            None,
            on_path,
        )
        .map(|_| ())
    }

    /// The error rustls' own WebPKI verifier gives for this chain. Only called on failure, so
    /// validation runs a second time there and tlspin reports exactly what rustls would (rustls
    /// does not export its webpki-to-rustls error mapping).
    fn rustls_error(&self, chain: PeerChain<'_>, now: UnixTime) -> rustls::Error {
        let error = ParsedCertificate::try_from(chain.end_entity).and_then(|leaf| {
            verify_server_cert_signed_by_trust_anchor(
                &leaf,
                &self.roots,
                chain.intermediates,
                now,
                &self.algorithms,
            )
        });
        match error {
            Err(rustls::Error::InvalidCertificate(CertificateError::Other(OtherError(inner))))
                if inner.downcast_ref::<webpki::Error>()
                    == Some(&webpki::Error::CaUsedAsEndEntity) =>
            {
                CaCertificateAsServer::new(Pin::from_cert_der(chain.end_entity).ok()).into()
            }
            Err(error) => error,
            // Unreachable: the same inputs just failed validation.
            Ok(()) => rustls::Error::General("WebPKI validation failed".into()),
        }
    }
}

/// Checks that the leaf of `chain` is valid for `server_name`, with rustls' error if not.
pub(crate) fn check_name(
    chain: PeerChain<'_>,
    server_name: &ServerName<'_>,
) -> Result<(), rustls::Error> {
    verify_server_name(&ParsedCertificate::try_from(chain.end_entity)?, server_name)
}

/// The pins of a validated path: leaf, intermediates towards the anchor, then the anchor, whose
/// stored SubjectPublicKeyInfo lacks its outer SEQUENCE and is re-wrapped before hashing.
fn path_pins(path: &webpki::VerifiedPath<'_>) -> Vec<Pin> {
    let mut pins = vec![Pin::from(&path.end_entity().subject_public_key_info())];
    pins.extend(
        path.intermediate_certificates()
            .map(|cert| Pin::from(&cert.subject_public_key_info())),
    );
    pins.push(Pin::from_spki_der(&wrap_sequence(
        path.anchor().subject_public_key_info.as_ref(),
    )));
    pins
}
