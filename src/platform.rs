//! [`PlatformPinnedVerifier`]: the operating system's trust decision, plus pins (feature
//! `platform`).

use std::sync::Arc;

use rustls::client::danger::ServerCertVerifier;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{ServerName, UnixTime};

use crate::error::{Error, Peer, PinMismatch};
use crate::pin::Pin;
use crate::pin_set::sorted_pins;
use crate::policy::{PeerChain, ServerCertPolicy};
use crate::verifier::ServerVerifier;
use crate::webpki_path::{Rejection, WebPki};

/// "The system's trust + my pins", as OkHttp, Android and iOS pin: a server is accepted only if
/// rustls-platform-verifier (reqwest 0.13's default verifier) accepts its chain **and** a pin
/// matches its leaf or a CA certificate on a path that webpki validates from the chain to the
/// operating system's roots ([`roots::native`](crate::roots::native)), with the same rules as
/// [`PinnedWebPkiVerifier`](crate::PinnedWebPkiVerifier): a certificate the server merely sent,
/// off the validated path, never counts.
///
/// The platform verifier decides trust (and the name); tlspin decides the pins. The advertised
/// signature schemes and the handshake-signature checks come from the provider you pass, as in
/// every tlspin verifier, not from the platform verifier.
///
/// # Where the two checks can disagree
/// On Linux (and other Unix but macOS), rustls-platform-verifier is webpki over the same
/// native roots, so both checks see the same trust. On macOS, Windows and Android the OS builds
/// and checks the path itself: it may accept a chain that webpki over the exported roots
/// cannot build (a missing intermediate the OS fetches through AIA, a root only in a keychain),
/// and then a **CA pin** is refused with webpki's error although the OS trusted the chain. A
/// **leaf pin** does not depend on path building. This verifier can reject a chain the OS
/// accepts; it never accepts one the OS rejects.
///
/// ```no_run
/// # #[cfg(feature = "aws-lc-rs")] {
/// use std::sync::Arc;
/// use tlspin::platform::PlatformPinnedVerifier;
/// use tlspin::Pin;
///
/// let ca_pin: Pin = "sha256/ZHE5n8VWNTRIIRGnbwFXtn8dB4aKRJzKXBWnV3+4Jjg=".parse()?;
/// let backup: Pin = "sha256/47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=".parse()?;
/// let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
/// let verifier = PlatformPinnedVerifier::new(provider.clone(), [ca_pin, backup])?;
/// let config = rustls::ClientConfig::builder_with_provider(provider)
///     .with_safe_default_protocol_versions()?
///     .dangerous()
///     .with_custom_certificate_verifier(verifier)
///     .with_no_client_auth();
/// // reqwest 0.13: ClientBuilder::tls_backend_preconfigured(config)
/// # }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub type PlatformPinnedVerifier = ServerVerifier<PlatformPins>;

impl PlatformPinnedVerifier {
    /// Builds the verifier: `provider` for every signature (also inside the platform verifier),
    /// `pins` for the leaf or a CA on the validated path.
    ///
    /// The native roots for CA pins are loaded as rustls-platform-verifier loads its own:
    /// unreadable files are logged and skipped, since the platform decides trust and a missing
    /// root can only make a CA pin fail, never pass. Where none can be loaded (Android, some
    /// sandboxes), only leaf pins can match, and that is logged.
    ///
    /// Fails with [`Error::NoPins`], with [`Error::Rustls`] if rustls-platform-verifier cannot be
    /// set up (on Linux: no system roots at all), or with [`Error::UnusableProvider`].
    pub fn new(
        provider: Arc<CryptoProvider>,
        pins: impl IntoIterator<Item = Pin>,
    ) -> Result<Arc<Self>, Error> {
        let pins = sorted_pins(pins).ok_or(Error::NoPins)?;
        let roots = crate::roots::native_as_the_platform_loads_them();
        let webpki = if roots.is_empty() {
            log::warn!(
                "tlspin: no native root certificates could be loaded, so only leaf pins can \
                 match in PlatformPinnedVerifier"
            );
            None
        } else {
            Some(WebPki::new(Arc::new(roots), &provider)?)
        };
        let platform =
            rustls_platform_verifier::Verifier::new(provider.clone()).map_err(Error::Rustls)?;
        let policy = PlatformPins {
            platform,
            pins,
            webpki,
        };
        ServerVerifier::with_policy(&provider, policy).map(Arc::new)
    }
}

/// The policy behind [`PlatformPinnedVerifier`].
#[derive(Debug)]
pub struct PlatformPins {
    platform: rustls_platform_verifier::Verifier,
    /// Sorted, for the binary search.
    pins: Vec<Pin>,
    /// The native roots, to find the validated path CA pins must be on; `None` where none could
    /// be loaded, and then only leaf pins match.
    webpki: Option<WebPki>,
}

impl PlatformPins {
    /// The pins, sorted and without duplicates.
    pub fn pins(&self) -> &[Pin] {
        &self.pins
    }
}

impl ServerCertPolicy for PlatformPins {
    /// On Linux and the other Unix systems rustls-platform-verifier validates with webpki and the
    /// provider it was given; on macOS, iOS, Windows and Android the operating system's own
    /// cryptography validates the path, which is not the provider's FIPS module.
    fn fips(&self) -> bool {
        cfg!(all(
            unix,
            not(target_vendor = "apple"),
            not(target_os = "android")
        ))
    }

    fn check_server_cert(
        &self,
        chain: PeerChain<'_>,
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<(), rustls::Error> {
        // The operating system's verdict (trust, validity, name) comes first and stands.
        self.platform.verify_server_cert(
            chain.end_entity,
            chain.intermediates,
            server_name,
            ocsp_response,
            now,
        )?;
        let leaf_pinned = Pin::from_cert_der(chain.end_entity)
            .is_ok_and(|leaf| self.pins.binary_search(&leaf).is_ok());
        if leaf_pinned {
            return Ok(());
        }
        let Some(webpki) = &self.webpki else {
            return Err(PinMismatch::leaf(Peer::Server, self.pins.clone(), chain).into());
        };
        match webpki.validate_pinned(chain, now, &self.pins) {
            Ok(()) => Ok(()),
            Err(Rejection::Invalid(error)) => Err(error),
            Err(Rejection::Unpinned { path }) => {
                Err(PinMismatch::path(self.pins.clone(), chain, path).into())
            }
        }
    }
}
