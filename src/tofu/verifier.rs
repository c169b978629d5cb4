//! [`TofuVerifier`]: trust on first use, backed by a [`KnownHosts`] store.

use core::fmt;
use core::hash::{Hash, Hasher};
use core::sync::atomic::{AtomicU64, Ordering};
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use rustls::crypto::CryptoProvider;
use rustls::pki_types::{ServerName, SignatureVerificationAlgorithm, UnixTime};
use rustls::{CertificateError, OtherError, RootCertStore};

use super::{KnownHost, KnownHosts, Trust};
use crate::deferred;
use crate::der;
use crate::error::Error;
use crate::host::host_of;
use crate::pin::Pin;
use crate::pinned::check_validity;
use crate::policy::{PeerChain, ServerCertPolicy};
use crate::verifier::ServerVerifier;
use crate::webpki_path::{check_name, WebPki};

/// Trust on first use, like SSH: the first connection to a `host:port` records the server's key
/// in a [`KnownHosts`] file; later connections must present the same key.
///
/// - The key is recorded only once the server has proven it holds it: after its handshake
///   signature has verified. A server that presents somebody else's certificate without the
///   private key fails the handshake and leaves the store (and the verifier) unchanged.
/// - So the verifier must check the handshake signatures of the connections whose certificates
///   it checks. Use it as the connection's verifier, or, in a verifier of your own that wraps
///   it, delegate `verify_tls12_signature` and `verify_tls13_signature` to it as well as
///   `verify_server_cert` (asking other verifiers about the certificate too is fine). A wrapper
///   that checks signatures some other way leaves every first use unrecorded: tlspin logs a
///   warning when it drops such a record, but cannot record a key whose proof it never saw.
///
/// - The leaf's validity period is always checked.
/// - With roots ([`KnownHosts::verifier_with_roots`]), a first chain that is valid for WebPKI
///   (including the name) is recorded as [`Trust::WebPki`]; such a host is later accepted with
///   its recorded key or with another WebPKI-valid chain, never with a certificate that fails
///   WebPKI (so a self-signed impostor cannot take the place of a real server).
/// - A mismatch fails with a [`KnownHostMismatch`] showing the stored and presented pins and how
///   to update the entry.
/// - A verifier never changes what it trusts for a host it has seen: it works from a snapshot
///   of the store taken when it was built, plus the hosts it records itself. After changing the
///   store ([`KnownHosts::forget`]), build a new verifier and a new rustls config: TLS 1.3
///   resumption skips certificate verification, and rustls only refuses to resume a session
///   across a *different* verifier.
///
/// # Security
/// The first connection is unauthenticated: whoever answers it is trusted from then on. Check
/// the recorded pin out of band when you can.
pub type TofuVerifier = ServerVerifier<Tofu>;

impl KnownHosts {
    /// A verifier trusting servers on `port` on first use.
    pub fn verifier(
        &self,
        provider: Arc<CryptoProvider>,
        port: u16,
    ) -> Result<Arc<TofuVerifier>, Error> {
        self.build_verifier(provider, port, None)
    }

    /// Like [`KnownHosts::verifier`], and a first chain valid for WebPKI against `roots` marks
    /// the host [`Trust::WebPki`].
    pub fn verifier_with_roots(
        &self,
        provider: Arc<CryptoProvider>,
        port: u16,
        roots: impl Into<Arc<RootCertStore>>,
    ) -> Result<Arc<TofuVerifier>, Error> {
        let webpki = WebPki::new(roots.into(), &provider)?;
        self.build_verifier(provider, port, Some(webpki))
    }

    fn build_verifier(
        &self,
        provider: Arc<CryptoProvider>,
        port: u16,
        webpki: Option<WebPki>,
    ) -> Result<Arc<TofuVerifier>, Error> {
        let policy = self.build_policy(port, webpki)?;
        ServerVerifier::with_policy(&provider, policy).map(Arc::new)
    }

    /// The policy of [`KnownHosts::verifier`] alone, for the verifier traits of another rustls
    /// version (`tlspin-rustls024`).
    ///
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// let store = tlspin::tofu::KnownHosts::open(dir.path().join("known_hosts"))?;
    /// let policy = store.policy(443)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn policy(&self, port: u16) -> Result<Tofu, Error> {
        self.build_policy(port, None)
    }

    /// The policy of [`KnownHosts::verifier_with_roots`] alone, validating with `algorithms`
    /// (a provider's certificate signature algorithms). Fails with
    /// [`Error::NoRootCertificates`] or [`Error::UnusableProvider`] (no algorithm).
    ///
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// let store = tlspin::tofu::KnownHosts::open(dir.path().join("known_hosts"))?;
    /// let refused = store.policy_with_roots(443, rustls::RootCertStore::empty(), Vec::new().into());
    /// assert!(matches!(refused, Err(tlspin::Error::NoRootCertificates)));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn policy_with_roots(
        &self,
        port: u16,
        roots: impl Into<Arc<RootCertStore>>,
        algorithms: Arc<[&'static dyn SignatureVerificationAlgorithm]>,
    ) -> Result<Tofu, Error> {
        let webpki = WebPki::with_algorithms(roots.into(), algorithms)?;
        self.build_policy(port, Some(webpki))
    }

    fn build_policy(&self, port: u16, webpki: Option<WebPki>) -> Result<Tofu, Error> {
        static SNAPSHOTS: AtomicU64 = AtomicU64::new(0);
        Ok(Tofu {
            known: Arc::new(RwLock::new(self.for_port(port)?)),
            snapshot: SNAPSHOTS.fetch_add(1, Ordering::Relaxed),
            store: self.clone(),
            port,
            webpki,
        })
    }
}

/// The policy behind [`TofuVerifier`].
pub struct Tofu {
    store: KnownHosts,
    port: u16,
    webpki: Option<WebPki>,
    /// The store's entries for `port` when built, plus hosts recorded since; never replaced.
    known: Arc<RwLock<HashMap<String, KnownHost>>>,
    /// Numbers the snapshots `known` starts from, for [`ServerCertPolicy::hash_config`].
    snapshot: u64,
}

impl fmt::Debug for Tofu {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tofu")
            .field("store", &self.store.path())
            .field("port", &self.port)
            .field("webpki", &self.webpki.is_some())
            .finish_non_exhaustive()
    }
}

impl Tofu {
    fn known(&self, host: &str) -> Option<KnownHost> {
        // A poisoned lock only means another thread panicked mid-insert of a complete entry.
        let known = self
            .known
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        known.get(host).cloned()
    }
}

/// Records `entry` in `store` (unless another process recorded the host first) and in the
/// verifier's snapshot `known`, then compares what is stored with what was presented.
fn record(
    store: &KnownHosts,
    known: &RwLock<HashMap<String, KnownHost>>,
    entry: KnownHost,
    webpki_valid: bool,
) -> Result<(), rustls::Error> {
    let presented = entry.pin;
    // Another process may have recorded the host meanwhile: `add` returns what is stored.
    let stored = store
        .add(entry)
        .map_err(|e| CertificateError::Other(OtherError(Arc::new(e))))?;
    if stored.pin == presented {
        log::info!("tlspin: trusting {stored} on first use");
    }
    known
        .write()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .entry(stored.host.clone())
        .or_insert_with(|| stored.clone());
    compare(store, &stored, presented, webpki_valid)
}

fn compare(
    store: &KnownHosts,
    stored: &KnownHost,
    presented: Pin,
    webpki_valid: bool,
) -> Result<(), rustls::Error> {
    if stored.pin == presented || (stored.trust == Trust::WebPki && webpki_valid) {
        Ok(())
    } else {
        Err(
            CertificateError::Other(OtherError(Arc::new(KnownHostMismatch {
                stored: stored.clone(),
                presented,
                store: store.path().display().to_string(),
            })))
            .into(),
        )
    }
}

impl ServerCertPolicy for Tofu {
    /// The store's path, the port, the roots and algorithms, and which snapshot of the store
    /// this policy works from: two policies built from the same store at different times may
    /// trust different keys (a host forgotten in between), so a session one verified is never
    /// resumed, past verification, by the other.
    fn hash_config(&self, mut h: &mut dyn Hasher) -> bool {
        (
            self.store.path(),
            self.port,
            self.snapshot,
            self.webpki.is_some(),
        )
            .hash(&mut h);
        if let Some(webpki) = &self.webpki {
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
        let fields = der::parse_certificate(chain.end_entity.as_ref())
            .map_err(|_| CertificateError::BadEncoding)?;
        check_validity(&fields, now)?;
        let presented = Pin::from_spki_der(fields.spki);
        let webpki_valid = self.webpki.as_ref().is_some_and(|webpki| {
            webpki.validate(chain, now).is_ok() && check_name(chain, server_name).is_ok()
        });
        let host = host_of(server_name);
        if let Some(stored) = self.known(&host) {
            return compare(&self.store, &stored, presented, webpki_valid);
        }
        let entry = KnownHost {
            host,
            port: self.port,
            pin: presented,
            trust: if webpki_valid {
                Trust::WebPki
            } else {
                Trust::FirstUse
            },
            first_seen: UnixTime::since_unix_epoch(core::time::Duration::from_secs(now.as_secs())),
        };
        // Not yet: the server has not proven it holds the key (see `crate::deferred`).
        let store = self.store.clone();
        let known = Arc::clone(&self.known);
        let what = format!("the trust-on-first-use record \"{entry}\"");
        deferred::after_signature(deferred::Effect {
            what,
            run: Box::new(move || record(&store, &known, entry, webpki_valid)),
        });
        Ok(())
    }
}

/// A known host presented a different key than the one recorded for it.
///
/// Returned as `rustls::Error::InvalidCertificate(CertificateError::Other(..))`; downcast with
/// [`KnownHostMismatch::from_rustls`].
#[derive(Clone, PartialEq, Eq)]
pub struct KnownHostMismatch {
    stored: KnownHost,
    presented: Pin,
    store: String,
}

impl KnownHostMismatch {
    /// The stored entry.
    pub fn stored(&self) -> &KnownHost {
        &self.stored
    }

    /// The pin of the key the server presented.
    pub fn presented(&self) -> Pin {
        self.presented
    }

    /// Finds a `KnownHostMismatch` inside a rustls handshake error.
    pub fn from_rustls(error: &rustls::Error) -> Option<&Self> {
        match error {
            rustls::Error::InvalidCertificate(CertificateError::Other(OtherError(inner))) => {
                inner.downcast_ref::<Self>()
            }
            _ => None,
        }
    }
}

impl fmt::Display for KnownHostMismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} presented key {}, but {} records {} ({}); someone may be intercepting the \
             connection. If the server's key really changed (check out of band), delete the \
             line \"{}\" from {} and build a new verifier",
            self.stored.address(),
            self.presented,
            self.store,
            self.stored.pin,
            match self.stored.trust {
                Trust::WebPki =>
                    "first seen with a WebPKI-valid chain; a certificate that fails \
                                  WebPKI cannot replace it",
                Trust::FirstUse => "trusted on first use",
            },
            self.stored,
            self.store,
        )
    }
}

/// Shown by rustls' `Display` of the enclosing error; see [`PinMismatch`](crate::PinMismatch).
impl fmt::Debug for KnownHostMismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl std::error::Error for KnownHostMismatch {}
