//! [`HostPinnedVerifier`]: pin sets per host pattern over WebPKI validation, with expiry,
//! report-only roll-out and lints.

use core::any::{Any, TypeId};
use core::fmt;
use core::hash::{Hash, Hasher};
use std::sync::Arc;

use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, SignatureVerificationAlgorithm, UnixTime};
use rustls::RootCertStore;

use super::{HostPattern, PatternIndex};
use crate::deferred;
use crate::error::{Error, PinMismatch};
use crate::host::host_of;
use crate::pin::Pin;
use crate::pin_set::sorted_pins;
use crate::policy::{PeerChain, ServerCertPolicy};
use crate::time::format_rfc3339;
use crate::verifier::ServerVerifier;
use crate::webpki_path::{check_name, Rejection, WebPki};

/// WebPKI validation plus per-host pin sets, as OkHttp's `CertificatePinner` and Android's
/// Network Security Config `<pin-set>` define them.
///
/// - Each [`HostPinSet`] maps a [`HostPattern`] to pins; a host matched by several sets accepts
///   the pins of all of them. A pin matches any certificate on the **validated** path (see
///   [`PinnedWebPkiVerifier`](crate::PinnedWebPkiVerifier)).
/// - A set may expire; after that it is not enforced and the host gets the fallback (plain
///   WebPKI unless [`HostPinsBuilder::fallback`] says otherwise). This is never silent: a `warn`
///   log line and the [`HostPinsBuilder::on_expired`] callback fire on every such connection.
/// - Hosts with no set get the fallback.
/// - In report-only mode ([`HostPinsBuilder::report_only`]) pin failures are reported through
///   [`HostPinsBuilder::on_pin_failure`] and the log instead of failing the handshake; WebPKI
///   failures still fail.
///
/// ```
/// # #[cfg(feature = "aws-lc-rs")] {
/// use std::sync::Arc;
/// use tlspin::{host_pins::HostPinSet, host_pins::HostPinnedVerifier, Pin};
/// # let ca = rcgen::generate_simple_self_signed(["ca".to_string()]).unwrap();
/// # let mut roots = rustls::RootCertStore::empty();
/// # roots.add(ca.cert.der().clone()).unwrap();
///
/// let primary: Pin = "sha256/ZHE5n8VWNTRIIRGnbwFXtn8dB4aKRJzKXBWnV3+4Jjg=".parse()?;
/// let backup: Pin = "sha256/47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=".parse()?;
/// let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
/// let verifier = HostPinnedVerifier::builder(roots, provider)
///     .pin_set(HostPinSet::new("**.example.com", [primary, backup])?)
///     .on_pin_failure(|report| eprintln!("{}", report.to_json()))
///     .build()?;
/// # }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub type HostPinnedVerifier = ServerVerifier<HostPins>;

impl HostPinnedVerifier {
    /// Starts building a verifier that validates against `roots` with `provider`.
    pub fn builder(
        roots: impl Into<Arc<RootCertStore>>,
        provider: Arc<CryptoProvider>,
    ) -> HostPinsBuilder {
        HostPinsBuilder {
            roots: roots.into(),
            algorithms: provider.signature_verification_algorithms.all.into(),
            provider: Some(provider),
            sets: Vec::new(),
            fallback: None,
            report_only: false,
            on_pin_failure: None,
            on_expired: None,
        }
    }

    /// [`HostPinnedVerifier::builder`] over Mozilla's roots
    /// ([`roots::mozilla`](crate::roots::mozilla), feature `webpki-roots`).
    #[cfg(feature = "webpki-roots")]
    pub fn builder_with_mozilla_roots(provider: Arc<CryptoProvider>) -> HostPinsBuilder {
        Self::builder(crate::roots::mozilla(), provider)
    }

    /// [`HostPinnedVerifier::builder`] over the operating system's roots
    /// ([`roots::native`](crate::roots::native), feature `native-roots`); fails as that does.
    #[cfg(feature = "native-roots")]
    pub fn builder_with_native_roots(
        provider: Arc<CryptoProvider>,
    ) -> Result<HostPinsBuilder, Error> {
        Ok(Self::builder(crate::roots::native()?, provider))
    }
}

/// Pins for the hosts one pattern matches, optionally until an expiry time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostPinSet {
    pattern: HostPattern,
    pins: Vec<Pin>,
    expires: Option<UnixTime>,
}

impl HostPinSet {
    /// Pins `pins` for hosts matching `pattern`. Fails if the pattern is invalid or there are
    /// no pins.
    pub fn new(pattern: &str, pins: impl IntoIterator<Item = Pin>) -> Result<Self, Error> {
        let pattern: HostPattern = pattern.parse()?;
        let Some(pins) = sorted_pins(pins) else {
            return Err(Error::PinSetWithoutPins {
                pattern: pattern.to_string(),
            });
        };
        Ok(Self {
            pattern,
            pins,
            expires: None,
        })
    }

    /// Stops enforcing the set at `expires` (Android's `<pin-set expiration>`), so that an app
    /// that is never updated does not lock itself out after the server rotates keys.
    pub fn expires(mut self, expires: UnixTime) -> Self {
        self.expires = Some(expires);
        self
    }

    /// The host pattern.
    pub fn pattern(&self) -> &HostPattern {
        &self.pattern
    }

    /// The pins, sorted and without duplicates.
    pub fn pins(&self) -> &[Pin] {
        &self.pins
    }

    /// When the set stops being enforced, if ever.
    pub fn expiry(&self) -> Option<UnixTime> {
        self.expires
    }

    fn active_at(&self, now: UnixTime) -> bool {
        self.expires.is_none_or(|expires| now < expires)
    }
}

type PinFailureCallback = Arc<dyn Fn(&PinReport) + Send + Sync>;
type ExpiredCallback = Arc<dyn Fn(&ExpiredPinSet) + Send + Sync>;

/// Builds a [`HostPinnedVerifier`].
#[must_use = "call .build() to get the verifier"]
pub struct HostPinsBuilder {
    roots: Arc<RootCertStore>,
    algorithms: Arc<[&'static dyn SignatureVerificationAlgorithm]>,
    /// `None` when built by [`HostPins::builder`], for another rustls version.
    provider: Option<Arc<CryptoProvider>>,
    sets: Vec<HostPinSet>,
    /// With its concrete type, which the configuration hash names.
    fallback: Option<(Arc<dyn ServerCertPolicy>, TypeId)>,
    report_only: bool,
    on_pin_failure: Option<PinFailureCallback>,
    on_expired: Option<ExpiredCallback>,
}

impl fmt::Debug for HostPinsBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HostPinsBuilder")
            .field("sets", &self.sets)
            .field("fallback", &self.fallback)
            .field("report_only", &self.report_only)
            .finish_non_exhaustive()
    }
}

impl HostPinsBuilder {
    /// Adds a pin set.
    pub fn pin_set(mut self, set: HostPinSet) -> Self {
        self.sets.push(set);
        self
    }

    /// Adds pin sets.
    pub fn pin_sets(mut self, sets: impl IntoIterator<Item = HostPinSet>) -> Self {
        self.sets.extend(sets);
        self
    }

    /// The policy for hosts without an active pin set (default: WebPKI against the same roots,
    /// with the name checked).
    pub fn fallback(mut self, policy: impl ServerCertPolicy + 'static) -> Self {
        let type_id = Any::type_id(&policy);
        self.fallback = Some((Arc::new(policy), type_id));
        self
    }

    /// Reports pin failures instead of failing the handshake (default: `false`). WebPKI
    /// failures still fail. Use it to roll pins out safely, then turn it off.
    pub fn report_only(mut self, report_only: bool) -> Self {
        self.report_only = report_only;
        self
    }

    /// Called with a [`PinReport`] on every pin failure, enforced or not. An enforced failure is
    /// reported when the chain is refused, before the server has proven anything. In report-only
    /// mode a failure is reported only for a connection that goes ahead, once the server's
    /// handshake signature has verified, so nobody can make the client report a chain they
    /// merely copied from the real server.
    pub fn on_pin_failure(mut self, callback: impl Fn(&PinReport) + Send + Sync + 'static) -> Self {
        self.on_pin_failure = Some(Arc::new(callback));
        self
    }

    /// Called whenever an expired set is skipped for a connection.
    pub fn on_expired(mut self, callback: impl Fn(&ExpiredPinSet) + Send + Sync + 'static) -> Self {
        self.on_expired = Some(Arc::new(callback));
        self
    }

    /// Problems worth fixing that do not stop the build: today, sets without a backup pin.
    /// [`HostPins::lint_chain`] checks pins against a server's current chain.
    pub fn lints(&self) -> Vec<Lint> {
        self.sets
            .iter()
            .filter_map(|set| match set.pins.as_slice() {
                [only] => Some(Lint::NoBackupPin {
                    pattern: set.pattern.to_string(),
                    pin: *only,
                }),
                _ => None,
            })
            .collect()
    }

    /// Builds the verifier, logging each [lint](Self::lints) at `warn` level. Fails with
    /// [`Error::NoRootCertificates`] or [`Error::UnusableProvider`] (also for a builder from
    /// [`HostPins::builder`], which has no rustls 0.23 provider: finish that one with
    /// [`into_policy`](Self::into_policy)).
    pub fn build(mut self) -> Result<Arc<HostPinnedVerifier>, Error> {
        let Some(provider) = self.provider.take() else {
            return Err(Error::UnusableProvider {
                problem: "this builder came from HostPins::builder and has no rustls 0.23                           provider; expected HostPinnedVerifier::builder, or finish it with                           into_policy"
                    .into(),
            });
        };
        let policy = self.into_policy()?;
        ServerVerifier::with_policy(&provider, policy).map(Arc::new)
    }

    /// The policy alone, for the verifier traits of another rustls version
    /// (`tlspin-rustls024`), logging each [lint](Self::lints) at `warn` level. Fails with
    /// [`Error::NoRootCertificates`] or [`Error::UnusableProvider`] (no algorithm).
    ///
    /// ```
    /// use tlspin::host_pins::HostPins;
    ///
    /// let refused = HostPins::builder(rustls::RootCertStore::empty(), Vec::new().into())
    ///     .into_policy();
    /// assert!(matches!(refused, Err(tlspin::Error::NoRootCertificates)));
    /// ```
    pub fn into_policy(self) -> Result<HostPins, Error> {
        for lint in self.lints() {
            log::warn!("tlspin: {lint}");
        }
        let mut index = PatternIndex::default();
        for (id, set) in self.sets.iter().enumerate() {
            index.insert(&set.pattern, id);
        }
        Ok(HostPins {
            webpki: WebPki::with_algorithms(self.roots, self.algorithms)?,
            sets: self.sets,
            index,
            fallback: self.fallback,
            report_only: self.report_only,
            on_pin_failure: self.on_pin_failure,
            on_expired: self.on_expired,
        })
    }
}

/// The policy behind [`HostPinnedVerifier`].
pub struct HostPins {
    webpki: WebPki,
    sets: Vec<HostPinSet>,
    index: PatternIndex,
    /// With its concrete type, which the configuration hash names.
    fallback: Option<(Arc<dyn ServerCertPolicy>, TypeId)>,
    report_only: bool,
    on_pin_failure: Option<PinFailureCallback>,
    on_expired: Option<ExpiredCallback>,
}

impl fmt::Debug for HostPins {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HostPins")
            .field("sets", &self.sets.len())
            .field("fallback", &self.fallback)
            .field("report_only", &self.report_only)
            .finish_non_exhaustive()
    }
}

impl HostPins {
    /// Starts building the policy of a [`HostPinnedVerifier`] alone, validating against `roots`
    /// with `algorithms` (a provider's certificate signature algorithms), for the verifier
    /// traits of another rustls version (`tlspin-rustls024`); finish it with
    /// [`HostPinsBuilder::into_policy`].
    ///
    /// ```
    /// # #[cfg(feature = "aws-lc-rs")] {
    /// use tlspin::host_pins::{HostPinSet, HostPins};
    /// # let ca = rcgen::generate_simple_self_signed(["ca".to_string()]).unwrap();
    /// # let mut roots = rustls::RootCertStore::empty();
    /// # roots.add(ca.cert.der().clone()).unwrap();
    /// # let algorithms = rustls::crypto::aws_lc_rs::default_provider()
    /// #     .signature_verification_algorithms.all.into();
    /// let pin = "sha256/ZHE5n8VWNTRIIRGnbwFXtn8dB4aKRJzKXBWnV3+4Jjg=".parse()?;
    /// let policy = HostPins::builder(roots, algorithms)
    ///     .pin_set(HostPinSet::new("example.com", [pin])?)
    ///     .into_policy()?;
    /// assert_eq!(policy.sets_for("example.com").len(), 1);
    /// # }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn builder(
        roots: impl Into<Arc<RootCertStore>>,
        algorithms: Arc<[&'static dyn SignatureVerificationAlgorithm]>,
    ) -> HostPinsBuilder {
        HostPinsBuilder {
            roots: roots.into(),
            algorithms,
            provider: None,
            sets: Vec::new(),
            fallback: None,
            report_only: false,
            on_pin_failure: None,
            on_expired: None,
        }
    }

    /// The pin sets whose pattern matches `host`, expired or not.
    pub fn sets_for(&self, host: &str) -> Vec<&HostPinSet> {
        let mut ids = self.index.matching(host);
        ids.sort_unstable();
        ids.iter().filter_map(|id| self.sets.get(*id)).collect()
    }

    /// Lints the sets matching `host` against the certificates the server presents today:
    /// every pin that matches none of them (a typo, or a key that was already rotated).
    pub fn lint_chain(&self, host: &str, chain: &[CertificateDer<'_>]) -> Vec<Lint> {
        let present: Vec<Pin> = chain
            .iter()
            .filter_map(|cert| Pin::from_cert_der(cert).ok())
            .collect();
        self.sets_for(host)
            .into_iter()
            .flat_map(|set| {
                set.pins
                    .iter()
                    .filter(|pin| !present.contains(pin))
                    .map(|pin| Lint::PinMatchesNothing {
                        pattern: set.pattern.to_string(),
                        pin: *pin,
                    })
            })
            .collect()
    }

    fn fall_back(
        &self,
        chain: PeerChain<'_>,
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<(), rustls::Error> {
        match &self.fallback {
            Some((policy, _)) => policy.check_server_cert(chain, server_name, ocsp_response, now),
            None => {
                self.webpki.validate(chain, now)?;
                check_name(chain, server_name)
            }
        }
    }
}

impl ServerCertPolicy for HostPins {
    /// The roots and algorithms, every set (pattern, pins, expiry), report-only mode and the
    /// fallback's type and configuration; `false` if the fallback cannot hash its own. The callbacks
    /// decide no verdict.
    fn hash_config(&self, mut h: &mut dyn Hasher) -> bool {
        self.webpki.hash_config(h);
        for set in &self.sets {
            (&set.pattern, &set.pins, set.expires.map(|t| t.as_secs())).hash(&mut h);
        }
        (self.sets.len(), self.report_only, self.fallback.is_some()).hash(&mut h);
        self.fallback.as_ref().is_none_or(|(fallback, type_id)| {
            type_id.hash(&mut h);
            fallback.hash_config(h)
        })
    }

    /// Hosts without an active set go to the fallback: the verifier is FIPS only if it is.
    fn fips(&self) -> bool {
        self.fallback
            .as_ref()
            .is_none_or(|(fallback, _)| fallback.fips())
    }

    fn check_server_cert(
        &self,
        chain: PeerChain<'_>,
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<(), rustls::Error> {
        let host = host_of(server_name);
        let (active, expired): (Vec<&HostPinSet>, Vec<&HostPinSet>) = self
            .sets_for(&host)
            .into_iter()
            .partition(|set| set.active_at(now));
        for set in expired {
            let notice = ExpiredPinSet {
                host: host.clone(),
                pattern: set.pattern.to_string(),
                expired_at: set.expires.unwrap_or(now),
            };
            log::warn!("tlspin: {notice}");
            if let Some(callback) = &self.on_expired {
                callback(&notice);
            }
        }
        if active.is_empty() {
            return self.fall_back(chain, server_name, ocsp_response, now);
        }
        // Transient, per handshake: sorted for the binary search, not shrunk like a stored set.
        let mut pins: Vec<Pin> = active
            .iter()
            .flat_map(|set| set.pins.iter().copied())
            .collect();
        pins.sort_unstable();
        pins.dedup();
        match self.webpki.validate_pinned(chain, now, &pins) {
            Ok(()) => check_name(chain, server_name),
            Err(Rejection::Invalid(error)) => Err(error),
            Err(Rejection::Unpinned { path }) => {
                // A chain for another name is refused as such, and is no pin failure to report.
                check_name(chain, server_name)?;
                let report = PinReport {
                    host,
                    patterns: active.iter().map(|set| set.pattern.to_string()).collect(),
                    expected: pins.clone(),
                    validated_path: path.clone(),
                    presented: chain
                        .iter()
                        .map(|cert| Pin::from_cert_der(cert).ok())
                        .collect(),
                    enforced: !self.report_only,
                    time: now,
                };
                if self.report_only {
                    // Reported once the server has proven it holds the key (`crate::deferred`):
                    // nobody can make the client report a chain they merely copied.
                    let callback = self.on_pin_failure.clone();
                    deferred::after_signature(deferred::Effect {
                        // Naming the chain too: rustls 0.24's adapter treats effects with
                        // equal `what` waiting for one certificate as the same.
                        what: format!(
                            "the report-only pin failure report for {} (chain {})",
                            report.host,
                            report
                                .presented
                                .iter()
                                .map(|pin| pin.map_or("?".to_owned(), |pin| pin.to_string()))
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                        run: Box::new(move || {
                            report_pin_failure(&report, callback.as_deref());
                            Ok(())
                        }),
                    });
                    Ok(())
                } else {
                    report_pin_failure(&report, self.on_pin_failure.as_deref());
                    Err(PinMismatch::path(pins, chain, path).into())
                }
            }
        }
    }
}

fn report_pin_failure(report: &PinReport, callback: Option<&(dyn Fn(&PinReport) + Send + Sync)>) {
    log::warn!("tlspin: {report}");
    if let Some(callback) = callback {
        callback(report);
    }
}

/// A pin failure, as structured data for monitoring ([`PinReport::to_json`]).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PinReport {
    /// The server name the client connected to.
    pub host: String,
    /// The patterns of the active sets that matched the host.
    pub patterns: Vec<String>,
    /// The pins those sets accept.
    pub expected: Vec<Pin>,
    /// The pins of the validated path, leaf first and trust anchor last.
    pub validated_path: Vec<Pin>,
    /// The pins of the certificates the server sent (`None` where unreadable).
    pub presented: Vec<Option<Pin>>,
    /// `false` in report-only mode: the connection went ahead.
    pub enforced: bool,
    /// The verification time.
    pub time: UnixTime,
}

impl PinReport {
    /// The report as one line of JSON, e.g. for a log pipeline.
    pub fn to_json(&self) -> String {
        let strings = |items: &mut dyn Iterator<Item = String>| {
            let quoted: Vec<String> = items.map(|s| json_string(&s)).collect();
            format!("[{}]", quoted.join(","))
        };
        format!(
            "{{\"host\":{},\"patterns\":{},\"expected\":{},\"validated_path\":{},\
             \"presented\":[{}],\"enforced\":{},\"time\":{}}}",
            json_string(&self.host),
            strings(&mut self.patterns.iter().cloned()),
            strings(&mut self.expected.iter().map(Pin::to_string)),
            strings(&mut self.validated_path.iter().map(Pin::to_string)),
            self.presented
                .iter()
                .map(|pin| pin.map_or("null".to_owned(), |pin| json_string(&pin.to_string())))
                .collect::<Vec<_>>()
                .join(","),
            self.enforced,
            json_string(&format_rfc3339(self.time.as_secs())),
        )
    }
}

impl fmt::Display for PinReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let list = |pins: &[Pin]| {
            pins.iter()
                .map(Pin::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        };
        write!(
            f,
            "pin failure for {} ({}): validated path [{}] matches none of [{}]; {}",
            self.host,
            self.patterns.join(", "),
            list(&self.validated_path),
            list(&self.expected),
            if self.enforced {
                "connection refused"
            } else {
                "report-only, connection allowed"
            }
        )
    }
}

/// An expired pin set that was skipped for a connection.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ExpiredPinSet {
    /// The server name the client connected to.
    pub host: String,
    /// The expired set's pattern.
    pub pattern: String,
    /// When it expired.
    pub expired_at: UnixTime,
}

impl fmt::Display for ExpiredPinSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "pin set {} expired at {} and is not enforced for {}; renew or remove it",
            self.pattern,
            format_rfc3339(self.expired_at.as_secs()),
            self.host
        )
    }
}

/// A problem in a pin configuration that does not stop it from working.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Lint {
    /// A set has a single pin: rotating that key locks clients out. Add a backup pin.
    NoBackupPin {
        /// The set's pattern.
        pattern: String,
        /// Its only pin.
        pin: Pin,
    },
    /// A pin matches no certificate of the chain it was checked against.
    PinMatchesNothing {
        /// The set's pattern.
        pattern: String,
        /// The pin.
        pin: Pin,
    },
}

impl fmt::Display for Lint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NoBackupPin { pattern, pin } => write!(
                f,
                "pin set {pattern} has one pin ({pin}) and no backup: rotating that key will \
                 lock clients out; expected at least two pins, one for a key kept offline"
            ),
            Self::PinMatchesNothing { pattern, pin } => write!(
                f,
                "pin {pin} of set {pattern} matches no certificate of the given chain (a typo, \
                 or a key already rotated out)"
            ),
        }
    }
}

fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if u32::from(c) < 0x20 => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
