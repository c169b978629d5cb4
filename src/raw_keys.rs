//! Raw public keys (RFC 7250): peers that present a bare SubjectPublicKeyInfo instead of a
//! certificate, accepted when the key matches a pin. TLS 1.3 only.
//!
//! ```
//! # #[cfg(feature = "aws-lc-rs")] {
//! use std::sync::Arc;
//! use tlspin::raw_keys::PinnedRawKeyServerVerifier;
//! use tlspin::Pin;
//!
//! let device_key: Pin = "sha256/ZHE5n8VWNTRIIRGnbwFXtn8dB4aKRJzKXBWnV3+4Jjg=".parse()?;
//! let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
//! let verifier = PinnedRawKeyServerVerifier::new(provider.clone(), [device_key])?;
//! let config = rustls::ClientConfig::builder_with_provider(provider)
//!     .with_protocol_versions(&[&rustls::version::TLS13])?
//!     .dangerous()
//!     .with_custom_certificate_verifier(verifier)
//!     .with_no_client_auth();
//! // The server presents its key with rustls' `AlwaysResolvesServerRawPublicKeys`.
//! # }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use core::hash::{Hash, Hasher};
use std::sync::Arc;

use rustls::crypto::CryptoProvider;
use rustls::pki_types::{ServerName, UnixTime};

use crate::error::{Error, Peer, PinMismatch};
use crate::pin::Pin;
use crate::pin_set::PinSet;
use crate::policy::{ClientCertPolicy, PeerChain, ServerCertPolicy};
use crate::verifier::{ClientVerifier, ServerVerifier};

/// Accepts a server that presents a raw public key (RFC 7250, TLS 1.3 only) matching a pin.
///
/// There is no certificate, so no validity period and no name: the pinned key is the whole
/// identity. The client offers only the raw-public-key certificate type; a server that cannot
/// present one fails the handshake. Pair it with a server using
/// [`rustls::server::AlwaysResolvesServerRawPublicKeys`].
pub type PinnedRawKeyServerVerifier = ServerVerifier<RawKeyPins>;

/// Accepts an mTLS client that presents a raw public key (RFC 7250, TLS 1.3 only) matching a
/// pin; pair it with [`rustls::client::AlwaysResolvesClientRawPublicKeys`] on the client.
pub type PinnedRawKeyClientVerifier = ClientVerifier<RawKeyPins>;

impl PinnedRawKeyServerVerifier {
    /// Builds the verifier; fails with [`Error::NoPins`] or [`Error::UnusableProvider`].
    pub fn new(
        provider: Arc<CryptoProvider>,
        pins: impl IntoIterator<Item = Pin>,
    ) -> Result<Arc<Self>, Error> {
        ServerVerifier::with_policy(&provider, RawKeyPins::new(Peer::Server, pins)?).map(Arc::new)
    }
}

impl PinnedRawKeyClientVerifier {
    /// Builds the verifier; fails with [`Error::NoPins`] or [`Error::UnusableProvider`].
    pub fn new(
        provider: Arc<CryptoProvider>,
        pins: impl IntoIterator<Item = Pin>,
    ) -> Result<Arc<Self>, Error> {
        ClientVerifier::with_policy(&provider, RawKeyPins::new(Peer::Client, pins)?).map(Arc::new)
    }
}

/// The policy behind the raw-public-key verifiers: the presented SubjectPublicKeyInfo must hash
/// to a pin. Like [`LeafPins`](crate::policy::LeafPins), it remembers the first four keys that matched.
#[derive(Debug, Clone)]
pub struct RawKeyPins {
    peer: Peer,
    pins: PinSet,
}

impl RawKeyPins {
    /// The policy checking `peer`'s raw public key against `pins`, for a verifier of another
    /// rustls version (the tlspin-rustls024 crate). Fails with [`Error::NoPins`] if `pins` is
    /// empty.
    ///
    /// ```
    /// use tlspin::{raw_keys::RawKeyPins, Peer};
    ///
    /// let pin = "sha256/ZHE5n8VWNTRIIRGnbwFXtn8dB4aKRJzKXBWnV3+4Jjg=".parse()?;
    /// assert_eq!(RawKeyPins::new(Peer::Server, [pin])?.pins(), &[pin]);
    /// # Ok::<(), tlspin::Error>(())
    /// ```
    pub fn new(peer: Peer, pins: impl IntoIterator<Item = Pin>) -> Result<Self, Error> {
        let pins = PinSet::new(pins).ok_or(Error::NoPins)?;
        Ok(Self { peer, pins })
    }

    /// The accepted pins, sorted and without duplicates.
    pub fn pins(&self) -> &[Pin] {
        self.pins.pins()
    }

    /// Everything that decides a verdict.
    fn hash_options(&self, mut h: &mut dyn Hasher) -> bool {
        (self.peer == Peer::Server, self.pins()).hash(&mut h);
        true
    }

    fn check(&self, chain: PeerChain<'_>) -> Result<(), rustls::Error> {
        // In raw-public-key mode rustls hands over the SubjectPublicKeyInfo as the "certificate".
        let key = chain.end_entity.as_ref();
        if self.pins.matches_key(key) {
            Ok(())
        } else {
            let presented = Pin::from_spki_der(key);
            Err(PinMismatch::raw_public_key(self.peer, self.pins().to_vec(), presented).into())
        }
    }
}

impl ServerCertPolicy for RawKeyPins {
    fn check_server_cert(
        &self,
        chain: PeerChain<'_>,
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<(), rustls::Error> {
        self.check(chain)
    }

    fn requires_raw_public_keys(&self) -> bool {
        true
    }

    fn hash_config(&self, h: &mut dyn Hasher) -> bool {
        self.hash_options(h)
    }
}

impl ClientCertPolicy for RawKeyPins {
    fn check_client_cert(&self, chain: PeerChain<'_>, _now: UnixTime) -> Result<(), rustls::Error> {
        self.check(chain)
    }

    fn requires_raw_public_keys(&self) -> bool {
        true
    }

    fn hash_config(&self, h: &mut dyn Hasher) -> bool {
        self.hash_options(h)
    }
}
