//! Certificate policies: the only part of a verifier that differs from one verifier to the next.
//!
//! A tlspin verifier is a [`ServerVerifier`] or
//! [`ClientVerifier`] holding a provider's signature table plus a policy.
//! The policy decides whether the presented certificates are acceptable; the verifier always
//! checks the handshake signature itself, with the same provider that chose the advertised
//! schemes. A policy therefore never sees, and can never skip, a signature check.
//!
//! A server certificate policy runs *before* the server has proven it holds the certificate's
//! key: rustls checks the handshake signature after the certificate. Whatever a policy records
//! or reports about a connection must therefore wait; hand it to [`after_handshake_signature`].
//!
//! The traits use only [`rustls::pki_types`] and [`rustls::Error`], which are the same in rustls
//! 0.23 and 0.24, so a policy does not change when the rustls verifier traits do.

use core::fmt::Debug;
use core::hash::Hasher;

use rustls::pki_types::{CertificateDer, ServerName, UnixTime};

#[doc(hidden)]
pub use crate::deferred::{DeferredEffects, RegisteredEffects};
pub use crate::pinned::LeafPins;
pub use crate::self_signed::SelfSignedRoots;
pub use crate::verifier::{ClientVerifier, ServerVerifier};
pub use crate::webpki_pins::WebPkiPins;

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
/// [`ServerVerifier::with_policy`]. Return a
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

    /// Feeds `h` everything that decides this policy's verdicts (pins, options, the identity of
    /// its roots) and returns `true`; or returns `false` if it cannot, the default. rustls 0.24
    /// keys resumed sessions by a hash of the verifier's configuration, so a session is only
    /// resumed by a verifier that would accept the same servers; a policy returning `false` is
    /// keyed by its verifier instance instead (sessions resume only through that verifier).
    /// rustls 0.23 does not ask.
    ///
    /// ```
    /// use core::hash::{Hash, Hasher};
    /// # use rustls::pki_types::{ServerName, UnixTime};
    /// # use tlspin::policy::{PeerChain, ServerCertPolicy};
    ///
    /// #[derive(Debug)]
    /// struct OnlyKey(tlspin::Pin);
    ///
    /// impl ServerCertPolicy for OnlyKey {
    /// #   fn check_server_cert(
    /// #       &self,
    /// #       _: PeerChain<'_>,
    /// #       _: &ServerName<'_>,
    /// #       _: &[u8],
    /// #       _: UnixTime,
    /// #   ) -> Result<(), rustls::Error> {
    /// #       Ok(())
    /// #   }
    ///     // check_server_cert compares the leaf's key with self.0 …
    ///     fn hash_config(&self, mut h: &mut dyn Hasher) -> bool {
    ///         self.0.hash(&mut h);
    ///         true
    ///     }
    /// }
    /// let pin: tlspin::Pin = "sha256/ZHE5n8VWNTRIIRGnbwFXtn8dB4aKRJzKXBWnV3+4Jjg=".parse()?;
    /// let mut hasher = std::collections::hash_map::DefaultHasher::new();
    /// assert!(OnlyKey(pin).hash_config(&mut hasher));
    /// # Ok::<(), tlspin::Error>(())
    /// ```
    fn hash_config(&self, h: &mut dyn Hasher) -> bool {
        let _ = h;
        false
    }

    /// Whether the cryptography this policy does itself, if any, runs in a FIPS-validated module
    /// (see [`ServerVerifier::fips`]). The default, `true`, is right for a policy that verifies
    /// signatures only through the provider it was given, or not at all.
    fn fips(&self) -> bool {
        true
    }
}

/// Decides whether a client's certificate chain is acceptable (mTLS).
///
/// Implement this to build a custom client verifier; wrap it with
/// [`ClientVerifier::with_policy`].
pub trait ClientCertPolicy: Debug + Send + Sync {
    /// Checks `chain`, presented by a client, at time `now`.
    fn check_client_cert(&self, chain: PeerChain<'_>, now: UnixTime) -> Result<(), rustls::Error>;

    /// Whether the client must present a raw public key (RFC 7250); see
    /// [`ServerCertPolicy::requires_raw_public_keys`].
    fn requires_raw_public_keys(&self) -> bool {
        false
    }

    /// Feeds `h` everything that decides this policy's verdicts and returns `true`, or returns
    /// `false` (the default) if it cannot; see [`ServerCertPolicy::hash_config`].
    ///
    /// ```
    /// # #[cfg(feature = "aws-lc-rs")] {
    /// use tlspin::policy::ClientCertPolicy;
    ///
    /// let provider = rustls::crypto::aws_lc_rs::default_provider();
    /// let pin: tlspin::Pin = "sha256/ZHE5n8VWNTRIIRGnbwFXtn8dB4aKRJzKXBWnV3+4Jjg=".parse()?;
    /// let verifier = tlspin::PinnedClientVerifier::builder(provider.into()).pin(pin).build()?;
    /// let mut hasher = std::collections::hash_map::DefaultHasher::new();
    /// assert!(verifier.policy().hash_config(&mut hasher));
    /// # }
    /// # Ok::<(), tlspin::Error>(())
    /// ```
    fn hash_config(&self, h: &mut dyn Hasher) -> bool {
        let _ = h;
        false
    }

    /// Whether the cryptography this policy does itself runs in a FIPS-validated module; see
    /// [`ServerCertPolicy::fips`].
    fn fips(&self) -> bool {
        true
    }
}

/// Runs `effect` once the server has proven it holds the key of the certificate that the
/// [`ServerCertPolicy::check_server_cert`] now running is checking: after the handshake signature
/// made with that key has verified. Never, if the certificate is refused or the handshake fails
/// before that. Call it from `check_server_cert` for anything that records or reports (a
/// trust-on-first-use store, an audit log, a metrics counter of accepted servers): done
/// directly, it would also happen for a peer that merely copied the real server's certificate.
///
/// `what` names the effect in the warning logged if it is dropped unrun; make it name what the
/// effect is about (host, key): `tlspin-rustls024` treats effects with equal `what` waiting for
/// the same certificate as the same. An error from `effect` fails the handshake. `effect` is
/// `Send`: under rustls 0.24 it may run on the thread that checks the signature.
///
/// It works for server policies run by a [`ServerVerifier`] (or `tlspin-rustls024`'s, for
/// rustls 0.24) that rustls (or a wrapper delegating all its methods) drives: rustls 0.23 checks
/// the certificate and then the signature in one step, on one thread (for rustls 0.24, see
/// `tlspin-rustls024`'s `ServerVerifier`). A call outside such a check only logs a warning. Client
/// policies ([`ClientCertPolicy`]) cannot defer: rustls' server checks a client's certificate
/// and its signature on different messages.
///
/// ```
/// # #[cfg(feature = "aws-lc-rs")] {
/// use std::sync::atomic::{AtomicUsize, Ordering};
/// use std::sync::Arc;
///
/// use rustls::pki_types::{ServerName, UnixTime};
/// use tlspin::policy::{after_handshake_signature, PeerChain, ServerCertPolicy};
/// use tlspin::policy::ServerVerifier;
/// use tlspin::Pin;
///
/// /// Accepts one pinned leaf key and counts the servers that proved they hold it.
/// #[derive(Debug)]
/// struct CountingPin {
///     pin: Pin,
///     proven: Arc<AtomicUsize>,
/// }
///
/// impl ServerCertPolicy for CountingPin {
///     fn check_server_cert(
///         &self,
///         chain: PeerChain<'_>,
///         _server_name: &ServerName<'_>,
///         _ocsp_response: &[u8],
///         _now: UnixTime,
///     ) -> Result<(), rustls::Error> {
///         let presented = Pin::from_cert_der(chain.end_entity)
///             .map_err(|_| rustls::CertificateError::BadEncoding)?;
///         if presented != self.pin {
///             return Err(rustls::CertificateError::UnknownIssuer.into());
///         }
///         let proven = self.proven.clone();
///         after_handshake_signature("a count of proven servers", move || {
///             proven.fetch_add(1, Ordering::Relaxed);
///             Ok(())
///         });
///         Ok(())
///     }
/// }
///
/// let provider = rustls::crypto::aws_lc_rs::default_provider();
/// let policy = CountingPin {
///     pin: "sha256/ZHE5n8VWNTRIIRGnbwFXtn8dB4aKRJzKXBWnV3+4Jjg=".parse()?,
///     proven: Arc::default(),
/// };
/// let verifier = Arc::new(ServerVerifier::with_policy(&provider, policy)?);
/// # }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn after_handshake_signature(
    what: impl Into<String>,
    effect: impl FnOnce() -> Result<(), rustls::Error> + Send + 'static,
) {
    crate::deferred::after_signature(crate::deferred::Effect {
        what: what.into(),
        run: Box::new(effect),
    });
}

/// Whether tlspin computes pin digests in a FIPS-validated module: aws-lc-rs built with its
/// `fips` feature (tlspin's feature `fips`), as it reports at run time; never with *ring*. A
/// verifier is FIPS only if this, its provider's signature algorithms and its policy
/// ([`ServerCertPolicy::fips`]) all are; tlspin's verifiers check all three.
///
/// ```
/// // Without tlspin's `fips` feature, digests run outside the FIPS module.
/// assert!(!tlspin::policy::pin_digests_in_fips_module() || cfg!(feature = "fips"));
/// ```
pub fn pin_digests_in_fips_module() -> bool {
    crate::pin::digests_in_fips_module()
}
