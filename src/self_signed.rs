//! [`SelfSignedVerifier`]: exactly the given self-signed certificates, each fully validated.

use core::hash::{Hash, Hasher};
use std::collections::HashMap;
use std::sync::Arc;

use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, SignatureVerificationAlgorithm, UnixTime};
use rustls::RootCertStore;

use crate::error::{Error, NotAGivenCertificate};
use crate::pin::Pin;
use crate::policy::{PeerChain, ServerCertPolicy};
use crate::verifier::ServerVerifier;
use crate::webpki_path::{check_name, WebPki};

/// Accepts a server only if it presents one of the given self-signed certificates, byte for
/// byte, and validates that certificate fully, as its own root: validity period,
/// subjectAltName, server-auth EKU and its self-signature.
///
/// Anything else is refused with [`NotAGivenCertificate`], including a certificate *issued by*
/// one of the given ones (their keys are not trusted to vouch for other certificates: the holder
/// of one device's key cannot speak for another device) and a certificate re-issued with a given
/// one's key (an expired certificate cannot be revived by signing a new one with its key). The
/// chain the server sends after its certificate is ignored.
///
/// This is what rustls' maintainers recommend instead of a custom verifier, offered here so you
/// can choose knowingly:
///
/// | | `SelfSignedVerifier` | [`PinnedServerVerifier`](crate::PinnedServerVerifier) |
/// |---|---|---|
/// | identifies the server by | the whole certificate | its key (SPKI pin) |
/// | certificate renewed with the same key | must be re-distributed | keeps working |
/// | server name checked | always | optional |
/// | `openssl req -x509` default (`CA:TRUE`) | refused: re-issue with `CA:FALSE` | works |
/// | expired certificate | refused | refused unless validity checking is off |
///
/// A `CA:TRUE` certificate cannot be its own end-entity certificate in WebPKI; such a server is
/// refused with a [`CaCertificateAsServer`](crate::CaCertificateAsServer) error that says which
/// mode works instead. To trust every certificate a private CA issues, use rustls'
/// `WebPkiServerVerifier` with the CA as a root, or
/// [`PinnedWebPkiVerifier`](crate::PinnedWebPkiVerifier) to pin it as well.
pub type SelfSignedVerifier = ServerVerifier<SelfSignedRoots>;

impl SelfSignedVerifier {
    /// Builds a verifier trusting exactly `certs`, with `provider` for every signature.
    ///
    /// Fails with [`Error::NoRootCertificates`] if `certs` is empty, with
    /// [`Error::InvalidRoot`] if one cannot be used as a trust anchor, or with
    /// [`Error::UnusableProvider`].
    ///
    /// ```
    /// # #[cfg(feature = "aws-lc-rs")] {
    /// use std::sync::Arc;
    /// use tlspin::SelfSignedVerifier;
    /// # let device = rcgen::generate_simple_self_signed(["device.lan".to_string()]).unwrap();
    /// # let dir = tempfile::tempdir()?;
    /// # let path = dir.path().join("device.pem");
    /// # std::fs::write(&path, device.cert.pem())?;
    ///
    /// // The certificate the device was set up with (a `CA:FALSE` certificate).
    /// let certs = tlspin::certs_from_pem_file(&path)?;
    /// let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    /// let verifier = SelfSignedVerifier::new(certs, provider.clone())?;
    /// let config = rustls::ClientConfig::builder_with_provider(provider)
    ///     .with_safe_default_protocol_versions()?
    ///     .dangerous()
    ///     .with_custom_certificate_verifier(verifier)
    ///     .with_no_client_auth();
    /// # }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new<'a>(
        certs: impl IntoIterator<Item = CertificateDer<'a>>,
        provider: Arc<CryptoProvider>,
    ) -> Result<Arc<Self>, Error> {
        let algorithms = provider.signature_verification_algorithms.all.into();
        let policy = SelfSignedRoots::new(certs, algorithms)?;
        ServerVerifier::with_policy(&provider, policy).map(Arc::new)
    }
}

impl SelfSignedRoots {
    /// The policy of [`SelfSignedVerifier::new`] alone, validating with `algorithms` (a
    /// provider's certificate signature algorithms), for the verifier traits of another rustls
    /// version (`tlspin-rustls024`). Fails as [`SelfSignedVerifier::new`] does.
    ///
    /// ```
    /// let refused = tlspin::policy::SelfSignedRoots::new([], Vec::new().into());
    /// assert!(matches!(refused, Err(tlspin::Error::NoRootCertificates)));
    /// ```
    pub fn new<'a>(
        certs: impl IntoIterator<Item = CertificateDer<'a>>,
        algorithms: Arc<[&'static dyn SignatureVerificationAlgorithm]>,
    ) -> Result<Self, Error> {
        let mut trusted = HashMap::new();
        let mut pins = Vec::new();
        for (index, cert) in certs.into_iter().enumerate() {
            let cert = cert.into_owned();
            let mut root = RootCertStore::empty();
            root.add(cert.clone())
                .map_err(|error| Error::InvalidRoot { index, error })?;
            pins.push(Pin::from_cert_der(&cert)?);
            // Each certificate is its own and only root: a leaf validates against it only if it
            // is that very certificate (checked before validation, by its bytes).
            let webpki = WebPki::with_algorithms(Arc::new(root), algorithms.clone())?;
            trusted.insert(cert.to_vec(), webpki);
        }
        if trusted.is_empty() {
            return Err(Error::NoRootCertificates);
        }
        pins.sort_unstable();
        pins.dedup();
        Ok(Self { trusted, pins })
    }
}

/// The policy behind [`SelfSignedVerifier`].
#[derive(Debug, Clone)]
pub struct SelfSignedRoots {
    /// Each given certificate's DER, with WebPKI validation against that certificate alone.
    trusted: HashMap<Vec<u8>, WebPki>,
    /// The given certificates' pins, for error messages.
    pins: Vec<Pin>,
}

impl ServerCertPolicy for SelfSignedRoots {
    /// The given certificates, each with its validation's roots and algorithms.
    fn hash_config(&self, mut h: &mut dyn Hasher) -> bool {
        let mut trusted: Vec<(&Vec<u8>, &WebPki)> = self.trusted.iter().collect();
        trusted.sort_unstable_by(|a, b| a.0.cmp(b.0));
        for (cert, webpki) in trusted {
            cert.hash(&mut h);
            webpki.hash_config(h);
        }
        true
    }

    fn check_server_cert(
        &self,
        chain: PeerChain<'_>,
        server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<(), rustls::Error> {
        let Some(webpki) = self.trusted.get(chain.end_entity.as_ref()) else {
            let presented = Pin::from_cert_der(chain.end_entity).ok();
            return Err(NotAGivenCertificate::new(presented, self.pins.clone()).into());
        };
        let alone = PeerChain {
            end_entity: chain.end_entity,
            intermediates: &[],
        };
        webpki.validate(alone, now)?;
        check_name(alone, server_name)
    }
}
