//! Leaf SPKI pinning: [`PinnedServerVerifier`] and [`PinnedClientVerifier`].

use std::sync::Arc;

use core::hash::{Hash, Hasher};

use rustls::client::verify_server_name;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{ServerName, UnixTime};
use rustls::server::ParsedCertificate;
use rustls::CertificateError;

use crate::der;
use crate::error::{Error, Peer, PinMismatch};
use crate::pin::Pin;
use crate::pin_set::PinSet;
use crate::policy::{ClientCertPolicy, PeerChain, ServerCertPolicy};
use crate::verifier::{ClientVerifier, ServerVerifier};

/// A server verifier that accepts a server whose **leaf** certificate key matches a pin.
///
/// This is the verifier for a self-signed or privately issued server: a device, a lab machine,
/// an internal service. The pin is the server's identity, so no CA is consulted and the chain is
/// not path-validated. What it does check:
///
/// - the leaf's SubjectPublicKeyInfo hashes to one of the configured [`Pin`]s; other presented
///   certificates are never compared (see [`PinMismatch`]);
/// - the handshake signature, with the provider it was built from (always);
/// - the leaf's validity period (on by default; see
///   [`PinnedVerifierBuilder::check_validity`]);
/// - the server name against the leaf's subjectAltName (off by default, since the pin already
///   names the key; see [`PinnedVerifierBuilder::check_server_name`]).
///
/// A `basicConstraints CA:TRUE` certificate, as `openssl req -x509` makes by default, pins fine:
/// unlike a [`rustls::RootCertStore`] anchor, a pin does not care how the certificate is marked.
///
/// # Example
/// ```
/// # #[cfg(feature = "aws-lc-rs")] {
/// use std::sync::Arc;
/// use tlspin::{Pin, PinnedServerVerifier};
///
/// let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
/// let pin: Pin = "sha256/ZHE5n8VWNTRIIRGnbwFXtn8dB4aKRJzKXBWnV3+4Jjg=".parse()?;
/// let verifier = PinnedServerVerifier::builder(provider.clone())
///     .pin(pin)
///     .check_server_name(true)
///     .build()?;
///
/// let config = rustls::ClientConfig::builder_with_provider(provider)
///     .with_safe_default_protocol_versions()?
///     .dangerous() // a custom verifier: the pin replaces CA validation
///     .with_custom_certificate_verifier(verifier)
///     .with_no_client_auth();
/// # }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// [`ClientConfigBuilderExt`](crate::ClientConfigBuilderExt) does the same in one call.
pub type PinnedServerVerifier = ServerVerifier<LeafPins>;

/// A client-certificate verifier for mTLS servers that accepts clients whose **leaf**
/// certificate key matches a pin.
///
/// It offers and requires client authentication: a client without a certificate, or with an
/// unpinned one, fails the handshake. Validity checking works as for [`PinnedServerVerifier`].
///
/// # Example
/// ```
/// # #[cfg(feature = "aws-lc-rs")] {
/// use std::sync::Arc;
/// use tlspin::{Pin, PinnedClientVerifier};
///
/// let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
/// let pin: Pin = "sha256/ZHE5n8VWNTRIIRGnbwFXtn8dB4aKRJzKXBWnV3+4Jjg=".parse()?;
/// let verifier = PinnedClientVerifier::builder(provider.clone()).pin(pin).build()?;
/// let builder = rustls::ServerConfig::builder_with_provider(provider)
///     .with_safe_default_protocol_versions()?
///     .with_client_cert_verifier(verifier);
/// // ... .with_single_cert(server_chain, server_key)
/// # }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub type PinnedClientVerifier = ClientVerifier<LeafPins>;

impl PinnedServerVerifier {
    /// Starts building a pinned server verifier that uses `provider` for every signature check.
    pub fn builder(provider: Arc<CryptoProvider>) -> PinnedVerifierBuilder<Self> {
        PinnedVerifierBuilder::with_provider(provider)
    }
}

impl PinnedClientVerifier {
    /// Starts building a pinned client verifier that uses `provider` for every signature check.
    pub fn builder(provider: Arc<CryptoProvider>) -> PinnedVerifierBuilder<Self> {
        PinnedVerifierBuilder::with_provider(provider)
    }
}

/// Builds a [`PinnedServerVerifier`] or a [`PinnedClientVerifier`].
///
/// `P` is the provider it holds: rustls 0.23's unless a verifier for another rustls version
/// starts the builder ([`with_provider`](Self::with_provider)).
#[derive(Debug, Clone)]
#[must_use = "call .build() to get the verifier"]
pub struct PinnedVerifierBuilder<V, P = Arc<CryptoProvider>> {
    provider: P,
    pins: Vec<Pin>,
    check_validity: bool,
    check_server_name: bool,
    _verifier: core::marker::PhantomData<fn() -> V>,
}

impl<V, P> PinnedVerifierBuilder<V, P> {
    /// A builder holding `provider`, of any rustls version: how the tlspin-rustls024 crate reuses
    /// this builder for rustls 0.24, finishing it with `into_policy`. With rustls 0.23, start
    /// from [`PinnedServerVerifier::builder`] or [`PinnedClientVerifier::builder`] instead.
    ///
    /// ```
    /// use tlspin::{PinnedServerVerifier, PinnedVerifierBuilder};
    ///
    /// let pin = "sha256/ZHE5n8VWNTRIIRGnbwFXtn8dB4aKRJzKXBWnV3+4Jjg=".parse()?;
    /// let builder = PinnedVerifierBuilder::<PinnedServerVerifier, _>::with_provider("a provider");
    /// let (provider, policy) = builder.pin(pin).into_policy()?;
    /// assert_eq!((provider, policy.pins()), ("a provider", &[pin][..]));
    /// # Ok::<(), tlspin::Error>(())
    /// ```
    pub fn with_provider(provider: P) -> Self {
        Self {
            provider,
            pins: Vec::new(),
            check_validity: true,
            check_server_name: false,
            _verifier: core::marker::PhantomData,
        }
    }

    /// Accepts a leaf certificate whose key has this pin.
    pub fn pin(mut self, pin: Pin) -> Self {
        self.pins.push(pin);
        self
    }

    /// Accepts a leaf certificate whose key has any of these pins. Configure a backup pin (a
    /// second key kept offline) so that the server's key can be rotated without an outage.
    pub fn pins(mut self, pins: impl IntoIterator<Item = Pin>) -> Self {
        self.pins.extend(pins);
        self
    }

    /// Whether to reject a leaf outside its notBefore..notAfter period (default: `true`).
    ///
    /// Turn this off only for a device whose certificate expired and cannot be renewed; the pin
    /// then accepts the key forever.
    pub fn check_validity(mut self, check: bool) -> Self {
        self.check_validity = check;
        self
    }

    fn leaf_pins(self, peer: Peer) -> Result<(P, LeafPins), Error> {
        let policy = LeafPins {
            peer,
            pins: PinSet::new(self.pins).ok_or(Error::NoPins)?,
            check_validity: self.check_validity,
            check_server_name: self.check_server_name,
        };
        Ok((self.provider, policy))
    }
}

impl<P> PinnedVerifierBuilder<PinnedServerVerifier, P> {
    /// Whether to require that the leaf's subjectAltName covers the server name the client
    /// connects to (default: `false`).
    ///
    /// The pin already identifies the server's key, so the name adds nothing when each key is
    /// pinned for one server only; devices reached by IP address often carry a certificate for
    /// some other name. Turn it on when one pin set is shared by several hosts.
    pub fn check_server_name(mut self, check: bool) -> Self {
        self.check_server_name = check;
        self
    }

    /// The provider and the server policy, for a verifier of another rustls version (see
    /// [`with_provider`](Self::with_provider)). Fails with [`Error::NoPins`] if no pin was given.
    pub fn into_policy(self) -> Result<(P, LeafPins), Error> {
        self.leaf_pins(Peer::Server)
    }
}

impl PinnedVerifierBuilder<PinnedServerVerifier> {
    /// Builds the verifier.
    ///
    /// Fails with [`Error::NoPins`] if no pin was given, or [`Error::UnusableProvider`] if the
    /// provider's signature table is empty or maps a scheme to no algorithm.
    pub fn build(self) -> Result<Arc<PinnedServerVerifier>, Error> {
        let (provider, policy) = self.leaf_pins(Peer::Server)?;
        ServerVerifier::with_policy(&provider, policy).map(Arc::new)
    }
}

impl<P> PinnedVerifierBuilder<PinnedClientVerifier, P> {
    /// The provider and the client policy, for a verifier of another rustls version (see
    /// [`with_provider`](Self::with_provider)). Fails with [`Error::NoPins`] if no pin was given.
    pub fn into_policy(self) -> Result<(P, LeafPins), Error> {
        self.leaf_pins(Peer::Client)
    }
}

impl PinnedVerifierBuilder<PinnedClientVerifier> {
    /// Builds the verifier.
    ///
    /// Fails with [`Error::NoPins`] if no pin was given, or [`Error::UnusableProvider`] if the
    /// provider's signature table is empty or maps a scheme to no algorithm.
    pub fn build(self) -> Result<Arc<PinnedClientVerifier>, Error> {
        let (provider, policy) = self.leaf_pins(Peer::Client)?;
        ClientVerifier::with_policy(&provider, policy).map(Arc::new)
    }
}

/// The policy behind [`PinnedServerVerifier`] and [`PinnedClientVerifier`]: the leaf's key must
/// match a pin; optionally its validity period and name are checked.
///
/// The policy remembers the first four distinct keys that matched a pin and compares a presented
/// key with those byte for byte before hashing it, so a client that keeps connecting to the same
/// server hashes its key once. Only matching keys are remembered (a peer cannot fill the memo
/// with its own), and every other check — validity, name, the handshake signature — runs on
/// every connection.
#[derive(Debug, Clone)]
pub struct LeafPins {
    peer: Peer,
    pins: PinSet,
    check_validity: bool,
    check_server_name: bool,
}

impl LeafPins {
    /// The accepted pins, sorted and without duplicates.
    pub fn pins(&self) -> &[Pin] {
        self.pins.pins()
    }

    fn check(&self, chain: PeerChain<'_>, now: UnixTime) -> Result<(), rustls::Error> {
        // The whole leaf must be well-formed for webpki, which checks the handshake signature
        // with it; refuse early what would fail there anyway.
        let fields = der::parse_certificate(chain.end_entity.as_ref())
            .map_err(|_| CertificateError::BadEncoding)?;
        if !self.pins.matches_key(fields.spki) {
            return Err(PinMismatch::leaf(self.peer, self.pins().to_vec(), chain).into());
        }
        if self.check_validity {
            check_validity(&fields, now)?;
        }
        Ok(())
    }
}

impl LeafPins {
    /// Everything that decides a verdict; the memo of matched keys only saves work.
    fn hash_options(&self, mut h: &mut dyn Hasher) -> bool {
        let server = self.peer == Peer::Server;
        (
            server,
            self.pins(),
            self.check_validity,
            self.check_server_name,
        )
            .hash(&mut h);
        true
    }
}

impl ServerCertPolicy for LeafPins {
    fn check_server_cert(
        &self,
        chain: PeerChain<'_>,
        server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<(), rustls::Error> {
        self.check(chain, now)?;
        if self.check_server_name {
            verify_server_name(&ParsedCertificate::try_from(chain.end_entity)?, server_name)?;
        }
        Ok(())
    }

    fn hash_config(&self, h: &mut dyn Hasher) -> bool {
        self.hash_options(h)
    }
}

impl ClientCertPolicy for LeafPins {
    fn check_client_cert(&self, chain: PeerChain<'_>, now: UnixTime) -> Result<(), rustls::Error> {
        self.check(chain, now)
    }

    fn hash_config(&self, h: &mut dyn Hasher) -> bool {
        self.hash_options(h)
    }
}

/// Rejects a certificate outside its validity period with rustls' own context-rich errors, and
/// one whose validity times are malformed with `BadEncoding` (as webpki does).
pub(crate) fn check_validity(
    fields: &der::CertFields<'_>,
    now: UnixTime,
) -> Result<(), CertificateError> {
    let fields = fields
        .validity()
        .map_err(|_| CertificateError::BadEncoding)?;
    let time = i64::try_from(now.as_secs()).unwrap_or(i64::MAX);
    let unix = |secs: i64| {
        UnixTime::since_unix_epoch(core::time::Duration::from_secs(secs.max(0).unsigned_abs()))
    };
    if time < fields.not_before {
        return Err(CertificateError::NotValidYetContext {
            time: now,
            not_before: unix(fields.not_before),
        });
    }
    if time > fields.not_after {
        return Err(CertificateError::ExpiredContext {
            time: now,
            not_after: unix(fields.not_after),
        });
    }
    Ok(())
}
