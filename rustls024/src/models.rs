//! tlspin's other models for rustls 0.24: host pin sets, self-signed certificates and trust on
//! first use, built from tlspin's own builders and policies.

use std::sync::Arc;

use rustls::crypto::CryptoProvider;
use rustls::pki_types::CertificateDer;
use rustls::RootCertStore;
use tlspin::host_pins::{HostPins, HostPinsBuilder};
use tlspin::policy::SelfSignedRoots;
use tlspin::tofu::{KnownHosts, Tofu};
use tlspin::Error;

use crate::signatures::Signatures;
use crate::verifier::ServerVerifier;

/// tlspin's [`host_pins::HostPinnedVerifier`](tlspin::host_pins::HostPinnedVerifier) for rustls
/// 0.24: WebPKI validation plus pin sets per host pattern, with expiry, report-only roll-out
/// (reports made once the handshake signature has verified) and a fallback.
pub type HostPinnedVerifier = ServerVerifier<HostPins>;

/// tlspin's [`SelfSignedVerifier`](tlspin::SelfSignedVerifier) for rustls 0.24: exactly the
/// given self-signed certificates, each fully validated as its own root.
pub type SelfSignedVerifier = ServerVerifier<SelfSignedRoots>;

/// tlspin's [`tofu::TofuVerifier`](tlspin::tofu::TofuVerifier) for rustls 0.24: trust on first
/// use with a [`KnownHosts`] store. A first-use host is recorded only once its handshake
/// signature has verified with the key being recorded.
pub type TofuVerifier = ServerVerifier<Tofu>;

/// A rustls 0.24 root store as the rustls 0.23 one tlspin's policies validate with (the same
/// pki-types trust anchors).
pub(crate) fn roots_023(roots: impl Into<Arc<RootCertStore>>) -> Arc<rustls023::RootCertStore> {
    Arc::new(rustls023::RootCertStore {
        roots: roots.into().roots.clone(),
    })
}

impl HostPinnedVerifier {
    /// A verifier validating against `roots` with `provider`'s algorithms, configured through
    /// tlspin's [`HostPinsBuilder`] (pin sets, report-only, callbacks, fallback). Paths are
    /// validated with the algorithms of the provider's signature table. Fails with
    /// [`Error::NoRootCertificates`].
    ///
    /// ```
    /// use std::sync::Arc;
    /// use tlspin::host_pins::HostPinSet;
    /// use tlspin_rustls024::HostPinnedVerifier;
    /// # let ca = rcgen::generate_simple_self_signed(["ca".to_string()]).unwrap();
    /// # let mut roots = rustls::RootCertStore::empty();
    /// # roots.add(ca.cert.der().clone()).unwrap();
    ///
    /// let pin = "sha256/ZHE5n8VWNTRIIRGnbwFXtn8dB4aKRJzKXBWnV3+4Jjg=".parse()?;
    /// let provider = Arc::new(rustls_aws_lc_rs::DEFAULT_PROVIDER);
    /// let verifier = HostPinnedVerifier::configure(roots, provider.clone(), |pins| {
    ///     pins.pin_set(HostPinSet::new("**.example.com", [pin]).unwrap())
    ///         .report_only(true)
    ///         .on_pin_failure(|report| eprintln!("{}", report.to_json()))
    /// })?;
    /// let config = rustls::ClientConfig::builder(provider)
    ///     .dangerous()
    ///     .with_custom_certificate_verifier(verifier)
    ///     .with_no_client_auth()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn configure(
        roots: impl Into<Arc<RootCertStore>>,
        provider: Arc<CryptoProvider>,
        configure: impl FnOnce(HostPinsBuilder) -> HostPinsBuilder,
    ) -> Result<Arc<Self>, Error> {
        let algorithms = Signatures::new(&provider).certificate_algorithms();
        let policy = configure(HostPins::builder(roots_023(roots), algorithms)).into_policy()?;
        Ok(Arc::new(ServerVerifier::with_policy(&provider, policy)))
    }
}

impl SelfSignedVerifier {
    /// A verifier trusting exactly `certs`, validated with `provider`'s algorithms. Fails with
    /// [`Error::NoRootCertificates`] if `certs` is empty or [`Error::InvalidRoot`].
    ///
    /// ```
    /// use std::sync::Arc;
    /// use tlspin_rustls024::SelfSignedVerifier;
    /// # let device = rcgen::generate_simple_self_signed(["device.lan".to_string()]).unwrap();
    ///
    /// let provider = Arc::new(rustls_ring::DEFAULT_PROVIDER);
    /// let verifier = SelfSignedVerifier::new([device.cert.der().clone()], provider)?;
    /// # Ok::<(), tlspin::Error>(())
    /// ```
    pub fn new<'a>(
        certs: impl IntoIterator<Item = CertificateDer<'a>>,
        provider: Arc<CryptoProvider>,
    ) -> Result<Arc<Self>, Error> {
        let algorithms = Signatures::new(&provider).certificate_algorithms();
        let policy = SelfSignedRoots::new(certs, algorithms)?;
        Ok(Arc::new(ServerVerifier::with_policy(&provider, policy)))
    }
}

impl TofuVerifier {
    /// A verifier trusting servers on `port` on first use, recording them in `store`. Like
    /// tlspin's, it works from a snapshot of the store taken now plus the hosts it records;
    /// after changing the store, build a new verifier and config (sessions it verified are not
    /// resumed by another: its configuration hash names its snapshot).
    ///
    /// ```
    /// use std::sync::Arc;
    /// use tlspin::tofu::KnownHosts;
    /// use tlspin_rustls024::TofuVerifier;
    ///
    /// # let dir = tempfile::tempdir()?;
    /// # let path = dir.path().join("known_hosts");
    /// let store = KnownHosts::open(&path)?;
    /// let provider = Arc::new(rustls_aws_lc_rs::DEFAULT_PROVIDER);
    /// let verifier = TofuVerifier::new(&store, provider.clone(), 443)?;
    /// let config = rustls::ClientConfig::builder(provider)
    ///     .dangerous()
    ///     .with_custom_certificate_verifier(verifier)
    ///     .with_no_client_auth()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(
        store: &KnownHosts,
        provider: Arc<CryptoProvider>,
        port: u16,
    ) -> Result<Arc<Self>, Error> {
        let policy = store.policy(port)?;
        Ok(Arc::new(ServerVerifier::with_policy(&provider, policy)))
    }

    /// Like [`TofuVerifier::new`], and a first chain valid for WebPKI against `roots` marks the
    /// host `Trust::WebPki` (a certificate failing WebPKI can never replace it).
    ///
    /// ```
    /// use std::sync::Arc;
    /// use tlspin::tofu::KnownHosts;
    /// use tlspin_rustls024::TofuVerifier;
    ///
    /// # let dir = tempfile::tempdir()?;
    /// let store = KnownHosts::open(dir.path().join("known_hosts"))?;
    /// let provider = Arc::new(rustls_ring::DEFAULT_PROVIDER);
    /// let refused = TofuVerifier::with_roots(&store, provider, 443, rustls::RootCertStore::empty());
    /// assert!(matches!(refused, Err(tlspin::Error::NoRootCertificates)));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn with_roots(
        store: &KnownHosts,
        provider: Arc<CryptoProvider>,
        port: u16,
        roots: impl Into<Arc<RootCertStore>>,
    ) -> Result<Arc<Self>, Error> {
        let algorithms = Signatures::new(&provider).certificate_algorithms();
        let policy = store.policy_with_roots(port, roots_023(roots), algorithms)?;
        Ok(Arc::new(ServerVerifier::with_policy(&provider, policy)))
    }
}
