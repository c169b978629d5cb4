//! tlspin's ready-made verifiers for rustls 0.24: the same policies, built from a rustls 0.24
//! provider.

use std::sync::Arc;

use rustls::crypto::CryptoProvider;
use rustls::RootCertStore;
use tlspin::policy::{LeafPins, WebPkiPins};
use tlspin::raw_keys::RawKeyPins;
use tlspin::{Error, Peer, Pin, PinnedVerifierBuilder};

use crate::models::roots_023;
use crate::signatures::Signatures;
use crate::verifier::{ClientVerifier, ServerVerifier};

/// tlspin's [`PinnedServerVerifier`](tlspin::PinnedServerVerifier) for rustls 0.24: accepts a
/// server whose **leaf** key matches a pin, checking its validity period (and, if asked, its
/// name) and every handshake signature.
pub type PinnedServerVerifier = ServerVerifier<LeafPins>;

/// tlspin's [`PinnedClientVerifier`](tlspin::PinnedClientVerifier) for rustls 0.24 (mTLS).
pub type PinnedClientVerifier = ClientVerifier<LeafPins>;

/// tlspin's [`PinnedWebPkiVerifier`](tlspin::PinnedWebPkiVerifier) for rustls 0.24: full WebPKI
/// validation, and a pin on the validated path.
pub type PinnedWebPkiVerifier = ServerVerifier<WebPkiPins>;

/// tlspin's [`raw_keys::PinnedRawKeyServerVerifier`](tlspin::raw_keys::PinnedRawKeyServerVerifier)
/// for rustls 0.24 (RFC 7250, TLS 1.3).
pub type PinnedRawKeyServerVerifier = ServerVerifier<RawKeyPins>;

/// tlspin's [`raw_keys::PinnedRawKeyClientVerifier`](tlspin::raw_keys::PinnedRawKeyClientVerifier)
/// for rustls 0.24.
pub type PinnedRawKeyClientVerifier = ClientVerifier<RawKeyPins>;

/// tlspin's pinned-server builder, holding a rustls 0.24 provider: its `pin`, `pins`,
/// `check_validity` and `check_server_name` options.
pub type ServerPinsBuilder =
    PinnedVerifierBuilder<tlspin::PinnedServerVerifier, Arc<CryptoProvider>>;

/// tlspin's pinned-client builder, holding a rustls 0.24 provider.
pub type ClientPinsBuilder =
    PinnedVerifierBuilder<tlspin::PinnedClientVerifier, Arc<CryptoProvider>>;

impl PinnedServerVerifier {
    /// A verifier accepting servers whose leaf key has one of `pins`, with tlspin's defaults
    /// (validity checked, name not). Fails with [`Error::NoPins`] if `pins` is empty.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use tlspin_rustls024::PinnedServerVerifier;
    ///
    /// let provider = Arc::new(rustls_aws_lc_rs::DEFAULT_PROVIDER);
    /// let pin = "sha256/ZHE5n8VWNTRIIRGnbwFXtn8dB4aKRJzKXBWnV3+4Jjg=".parse()?;
    /// let verifier = PinnedServerVerifier::new(provider.clone(), [pin])?;
    /// let config = rustls::ClientConfig::builder(provider)
    ///     .dangerous()
    ///     .with_custom_certificate_verifier(verifier)
    ///     .with_no_client_auth()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(
        provider: Arc<CryptoProvider>,
        pins: impl IntoIterator<Item = Pin>,
    ) -> Result<Arc<Self>, Error> {
        Self::configure(provider, |builder| builder.pins(pins))
    }

    /// A verifier configured through tlspin's builder (backup pins, the name check, validity).
    ///
    /// ```
    /// use std::sync::Arc;
    /// use tlspin_rustls024::PinnedServerVerifier;
    ///
    /// let provider = Arc::new(rustls_ring::DEFAULT_PROVIDER);
    /// let (primary, backup) = (
    ///     "sha256/ZHE5n8VWNTRIIRGnbwFXtn8dB4aKRJzKXBWnV3+4Jjg=".parse()?,
    ///     "sha256/47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=".parse()?,
    /// );
    /// let verifier = PinnedServerVerifier::configure(provider, |pins| {
    ///     pins.pins([primary, backup]).check_server_name(true)
    /// })?;
    /// assert_eq!(verifier.policy().pins().len(), 2);
    /// # Ok::<(), tlspin::Error>(())
    /// ```
    pub fn configure(
        provider: Arc<CryptoProvider>,
        configure: impl FnOnce(ServerPinsBuilder) -> ServerPinsBuilder,
    ) -> Result<Arc<Self>, Error> {
        let (provider, policy) =
            configure(PinnedVerifierBuilder::with_provider(provider)).into_policy()?;
        Ok(Arc::new(ServerVerifier::with_policy(&provider, policy)))
    }
}

impl PinnedClientVerifier {
    /// A verifier accepting clients whose leaf key has one of `pins` (validity checked). Fails
    /// with [`Error::NoPins`] if `pins` is empty.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use tlspin_rustls024::PinnedClientVerifier;
    ///
    /// let provider = Arc::new(rustls_aws_lc_rs::DEFAULT_PROVIDER);
    /// let pin = "sha256/ZHE5n8VWNTRIIRGnbwFXtn8dB4aKRJzKXBWnV3+4Jjg=".parse()?;
    /// let verifier = PinnedClientVerifier::new(provider.clone(), [pin])?;
    /// let builder = rustls::ServerConfig::builder(provider).with_client_cert_verifier(verifier);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(
        provider: Arc<CryptoProvider>,
        pins: impl IntoIterator<Item = Pin>,
    ) -> Result<Arc<Self>, Error> {
        Self::configure(provider, |builder| builder.pins(pins))
    }

    /// A verifier configured through tlspin's builder.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use tlspin_rustls024::PinnedClientVerifier;
    ///
    /// let provider = Arc::new(rustls_ring::DEFAULT_PROVIDER);
    /// let pin = "sha256/ZHE5n8VWNTRIIRGnbwFXtn8dB4aKRJzKXBWnV3+4Jjg=".parse()?;
    /// let verifier = PinnedClientVerifier::configure(provider, |b| b.pin(pin).check_validity(false))?;
    /// # Ok::<(), tlspin::Error>(())
    /// ```
    pub fn configure(
        provider: Arc<CryptoProvider>,
        configure: impl FnOnce(ClientPinsBuilder) -> ClientPinsBuilder,
    ) -> Result<Arc<Self>, Error> {
        let (provider, policy) =
            configure(PinnedVerifierBuilder::with_provider(provider)).into_policy()?;
        Ok(Arc::new(ClientVerifier::with_policy(&provider, policy)))
    }
}

impl PinnedWebPkiVerifier {
    /// A verifier accepting chains that WebPKI validates to `roots` for the server name, with a
    /// certificate whose key has one of `pins` on the validated path. Paths are validated with
    /// the algorithms of the provider's signature table (rustls 0.24 keeps the provider's full
    /// certificate-algorithm list private). Fails with [`Error::NoPins`] or
    /// [`Error::NoRootCertificates`].
    ///
    /// ```
    /// use std::sync::Arc;
    /// use tlspin_rustls024::PinnedWebPkiVerifier;
    ///
    /// let provider = Arc::new(rustls_aws_lc_rs::DEFAULT_PROVIDER);
    /// let pin = "sha256/ZHE5n8VWNTRIIRGnbwFXtn8dB4aKRJzKXBWnV3+4Jjg=".parse()?;
    /// let refused = PinnedWebPkiVerifier::new(rustls::RootCertStore::empty(), provider, [pin]);
    /// assert!(matches!(refused, Err(tlspin::Error::NoRootCertificates)));
    /// # Ok::<(), tlspin::Error>(())
    /// ```
    pub fn new(
        roots: impl Into<Arc<RootCertStore>>,
        provider: Arc<CryptoProvider>,
        pins: impl IntoIterator<Item = Pin>,
    ) -> Result<Arc<Self>, Error> {
        // tlspin's policies validate with rustls-webpki through rustls 0.23's root store, whose
        // trust anchors are the same pki-types values.
        let algorithms = Signatures::new(&provider).certificate_algorithms();
        let policy = WebPkiPins::new(roots_023(roots), algorithms, pins)?;
        Ok(Arc::new(ServerVerifier::with_policy(&provider, policy)))
    }
}

impl PinnedRawKeyServerVerifier {
    /// A verifier accepting a server's raw public key (RFC 7250) whose pin is one of `pins`.
    /// Fails with [`Error::NoPins`] if `pins` is empty.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use tlspin_rustls024::PinnedRawKeyServerVerifier;
    ///
    /// let provider = Arc::new(rustls_aws_lc_rs::DEFAULT_PROVIDER);
    /// let pin = "sha256/ZHE5n8VWNTRIIRGnbwFXtn8dB4aKRJzKXBWnV3+4Jjg=".parse()?;
    /// let verifier = PinnedRawKeyServerVerifier::new(provider, [pin])?;
    /// # Ok::<(), tlspin::Error>(())
    /// ```
    pub fn new(
        provider: Arc<CryptoProvider>,
        pins: impl IntoIterator<Item = Pin>,
    ) -> Result<Arc<Self>, Error> {
        let policy = RawKeyPins::new(Peer::Server, pins)?;
        Ok(Arc::new(ServerVerifier::with_policy(&provider, policy)))
    }
}

impl PinnedRawKeyClientVerifier {
    /// A verifier accepting a client's raw public key whose pin is one of `pins`.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use tlspin_rustls024::PinnedRawKeyClientVerifier;
    ///
    /// let provider = Arc::new(rustls_ring::DEFAULT_PROVIDER);
    /// let refused = PinnedRawKeyClientVerifier::new(provider, []);
    /// assert!(matches!(refused, Err(tlspin::Error::NoPins)));
    /// ```
    pub fn new(
        provider: Arc<CryptoProvider>,
        pins: impl IntoIterator<Item = Pin>,
    ) -> Result<Arc<Self>, Error> {
        let policy = RawKeyPins::new(Peer::Client, pins)?;
        Ok(Arc::new(ClientVerifier::with_policy(&provider, policy)))
    }
}
