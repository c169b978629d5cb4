//! [`PinnedWebPkiVerifier`]: full WebPKI validation, and a pin on the validated path.

use core::hash::{Hash, Hasher};
use std::sync::Arc;

use rustls::crypto::CryptoProvider;
use rustls::pki_types::{ServerName, SignatureVerificationAlgorithm, UnixTime};
use rustls::RootCertStore;

use crate::error::{Error, PinMismatch};
use crate::pin::Pin;
use crate::pin_set::sorted_pins;
use crate::policy::{PeerChain, ServerCertPolicy};
use crate::verifier::ServerVerifier;
use crate::webpki_path::{check_name, Rejection, WebPki};

/// Full WebPKI validation — trust anchors, intermediates, validity, server name, server-auth
/// EKU, certificate signatures, all with the given provider — that additionally requires a
/// pinned certificate on the **validated path**: the leaf, an intermediate, or the trust anchor.
///
/// This is OkHttp's `CertificatePinner` and Android's `<pin-set>` model: pin your CA (or an
/// intermediate, or the leaf), keep public validation. Only certificates on a path that webpki
/// actually validated count, never one the server merely sent: an attacker can append any public
/// certificate to their chain. If one chain admits several paths (a cross-signed CA), any
/// validated path with a pinned certificate is accepted.
///
/// It never accepts anything rustls' `WebPkiServerVerifier` rejects: WebPKI failures are reported
/// with the same error rustls gives. Revocation is not checked.
///
/// # Example
/// ```
/// # #[cfg(feature = "aws-lc-rs")] {
/// use std::sync::Arc;
/// use tlspin::{Pin, PinnedWebPkiVerifier};
/// # let ca = rcgen::generate_simple_self_signed(["ca".to_string()]).unwrap();
/// # let ca_certificates = [ca.cert.der().clone()];
/// // The roots: your CA bundle here; for public servers, Mozilla's (the `webpki-roots` crate)
/// // or the system's (`rustls-native-certs`).
/// let mut roots = rustls::RootCertStore::empty();
/// roots.add_parsable_certificates(ca_certificates);
///
/// let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
/// let ca_pin: Pin = "sha256/ZHE5n8VWNTRIIRGnbwFXtn8dB4aKRJzKXBWnV3+4Jjg=".parse()?;
/// let backup: Pin = "sha256/47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=".parse()?;
/// let verifier = PinnedWebPkiVerifier::builder(roots, provider).pins([ca_pin, backup]).build()?;
/// # }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub type PinnedWebPkiVerifier = ServerVerifier<WebPkiPins>;

impl PinnedWebPkiVerifier {
    /// Starts building a verifier that validates against `roots` with `provider`.
    pub fn builder(
        roots: impl Into<Arc<RootCertStore>>,
        provider: Arc<CryptoProvider>,
    ) -> PinnedWebPkiVerifierBuilder {
        PinnedWebPkiVerifierBuilder {
            roots: roots.into(),
            provider,
            pins: Vec::new(),
        }
    }

    /// [`PinnedWebPkiVerifier::builder`] over Mozilla's roots
    /// ([`roots::mozilla`](crate::roots::mozilla), feature `webpki-roots`).
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # #[cfg(feature = "aws-lc-rs")] {
    /// let ca_pin: tlspin::Pin = "sha256/ZHE5n8VWNTRIIRGnbwFXtn8dB4aKRJzKXBWnV3+4Jjg=".parse()?;
    /// let backup: tlspin::Pin = "sha256/47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=".parse()?;
    /// let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    /// let verifier = tlspin::PinnedWebPkiVerifier::builder_with_mozilla_roots(provider)
    ///     .pins([ca_pin, backup])
    ///     .build()?;
    /// # }
    /// # Ok::<(), tlspin::Error>(())
    /// ```
    #[cfg(feature = "webpki-roots")]
    pub fn builder_with_mozilla_roots(
        provider: Arc<CryptoProvider>,
    ) -> PinnedWebPkiVerifierBuilder {
        Self::builder(crate::roots::mozilla(), provider)
    }

    /// [`PinnedWebPkiVerifier::builder`] over the operating system's roots
    /// ([`roots::native`](crate::roots::native), feature `native-roots`); fails as that does.
    #[cfg(feature = "native-roots")]
    pub fn builder_with_native_roots(
        provider: Arc<CryptoProvider>,
    ) -> Result<PinnedWebPkiVerifierBuilder, Error> {
        Ok(Self::builder(crate::roots::native()?, provider))
    }
}

/// Builds a [`PinnedWebPkiVerifier`].
#[derive(Debug, Clone)]
#[must_use = "call .build() to get the verifier"]
pub struct PinnedWebPkiVerifierBuilder {
    roots: Arc<RootCertStore>,
    provider: Arc<CryptoProvider>,
    pins: Vec<Pin>,
}

impl PinnedWebPkiVerifierBuilder {
    /// Accepts a validated path containing a certificate whose key has this pin.
    pub fn pin(mut self, pin: Pin) -> Self {
        self.pins.push(pin);
        self
    }

    /// Accepts a validated path containing a certificate whose key has any of these pins.
    pub fn pins(mut self, pins: impl IntoIterator<Item = Pin>) -> Self {
        self.pins.extend(pins);
        self
    }

    /// Builds the verifier. Fails with [`Error::NoPins`], [`Error::NoRootCertificates`] or
    /// [`Error::UnusableProvider`].
    pub fn build(self) -> Result<Arc<PinnedWebPkiVerifier>, Error> {
        let algorithms = self.provider.signature_verification_algorithms.all;
        let policy = WebPkiPins::new(self.roots, algorithms.into(), self.pins)?;
        ServerVerifier::with_policy(&self.provider, policy).map(Arc::new)
    }
}

/// The policy behind [`PinnedWebPkiVerifier`].
#[derive(Debug, Clone)]
pub struct WebPkiPins {
    webpki: WebPki,
    pins: Vec<Pin>,
}

impl WebPkiPins {
    /// The policy validating paths to `roots` with `algorithms` (a provider's certificate
    /// signature algorithms) and requiring one of `pins` on the validated path, for a verifier
    /// of another rustls version (the tlspin-rustls024 crate). Fails with [`Error::NoPins`],
    /// [`Error::NoRootCertificates`] or [`Error::UnusableProvider`] (no algorithm).
    ///
    /// ```
    /// # #[cfg(feature = "aws-lc-rs")] {
    /// use tlspin::policy::WebPkiPins;
    ///
    /// let algorithms = rustls::crypto::aws_lc_rs::default_provider()
    ///     .signature_verification_algorithms
    ///     .all;
    /// let pin = "sha256/ZHE5n8VWNTRIIRGnbwFXtn8dB4aKRJzKXBWnV3+4Jjg=".parse()?;
    /// let empty = rustls::RootCertStore::empty();
    /// let refused = WebPkiPins::new(empty.into(), algorithms.into(), [pin]);
    /// assert!(matches!(refused, Err(tlspin::Error::NoRootCertificates)));
    /// # }
    /// # Ok::<(), tlspin::Error>(())
    /// ```
    pub fn new(
        roots: Arc<RootCertStore>,
        algorithms: Arc<[&'static dyn SignatureVerificationAlgorithm]>,
        pins: impl IntoIterator<Item = Pin>,
    ) -> Result<Self, Error> {
        let pins = sorted_pins(pins).ok_or(Error::NoPins)?;
        let webpki = WebPki::with_algorithms(roots, algorithms)?;
        Ok(Self { webpki, pins })
    }

    /// The accepted pins, sorted and without duplicates.
    pub fn pins(&self) -> &[Pin] {
        &self.pins
    }
}

impl ServerCertPolicy for WebPkiPins {
    fn check_server_cert(
        &self,
        chain: PeerChain<'_>,
        server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<(), rustls::Error> {
        match self.webpki.validate_pinned(chain, now, &self.pins) {
            Ok(()) => check_name(chain, server_name),
            Err(Rejection::Invalid(error)) => Err(error),
            Err(Rejection::Unpinned { path }) => {
                // A chain for another name is refused as such, not as a pin failure.
                check_name(chain, server_name)?;
                Err(PinMismatch::path(self.pins.clone(), chain, path).into())
            }
        }
    }

    fn hash_config(&self, mut h: &mut dyn Hasher) -> bool {
        self.pins.hash(&mut h);
        self.webpki.hash_config(h);
        true
    }
}
