//! tlspin's error types: [`Error`] for setup, [`PinMismatch`] for a rejected peer.

use core::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use rustls::{CertificateError, OtherError};

use crate::der::DerError;
use crate::pin::Pin;
use crate::policy::PeerChain;

/// An error building a verifier, parsing a pin or loading certificates.
///
/// Handshake-time rejections are not this type: they are [`rustls::Error`]s, as rustls requires
/// (see [`PinMismatch`]).
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// A pin string could not be parsed.
    InvalidPin {
        /// The input, as given.
        input: String,
        /// What was wrong with it.
        problem: String,
    },
    /// A certificate is not well-formed DER.
    InvalidCertificate {
        /// Byte offset of the problem within the certificate.
        offset: usize,
        /// What tlspin expected there.
        expected: &'static str,
        /// What it found instead.
        found: String,
    },
    /// A verifier was built with no pins; it would reject every peer.
    NoPins,
    /// A host pin set has no pins.
    PinSetWithoutPins {
        /// The set's host pattern.
        pattern: String,
    },
    /// A host pattern could not be parsed.
    InvalidHostPattern {
        /// The pattern, as given.
        pattern: String,
        /// What is wrong with it.
        problem: String,
    },
    /// The [`CryptoProvider`](rustls::crypto::CryptoProvider) cannot back a verifier.
    UnusableProvider {
        /// What is wrong with its signature verification table.
        problem: String,
    },
    /// A WebPKI verifier was built with an empty root store; it would reject every peer.
    NoRootCertificates,
    /// A certificate given as a root cannot be used as a trust anchor.
    InvalidRoot {
        /// Its position in the given list, from 0.
        index: usize,
        /// rustls' reason.
        error: rustls::Error,
    },
    /// PEM input contained no `CERTIFICATE` section.
    NoCertificatesInPem {
        /// Where the PEM came from (a path, or "the given PEM text").
        source: String,
    },
    /// PEM input could not be read.
    Pem {
        /// Where the PEM came from (a path, or "the given PEM text").
        source: String,
        /// The PEM parser's complaint.
        problem: String,
    },
    /// A pin configuration file is invalid.
    Config {
        /// The file (or "the given TOML").
        source: String,
        /// 1-based line of the problem.
        line: usize,
        /// 1-based column of the problem.
        column: usize,
        /// What is wrong, naming the bad value.
        message: String,
    },
    /// A known-hosts file does not parse; it is left untouched.
    KnownHostsCorrupt {
        /// The file (or "the given text").
        source: String,
        /// 1-based line.
        line: usize,
        /// What is wrong with it.
        problem: String,
    },
    /// A host given to a known-hosts store is not a DNS name or IP address.
    InvalidKnownHost {
        /// The host, as given.
        host: String,
        /// What is wrong with it.
        problem: String,
    },
    /// An item of a curl `--pinnedpubkey` list is not a `sha256//<base64>` pin.
    InvalidPinList {
        /// The item's position in the list, from 1.
        item: usize,
        /// The item, as given.
        text: String,
        /// What is wrong with it.
        problem: String,
    },
    /// Bytes given as a public key are not one PEM `PUBLIC KEY` or DER SubjectPublicKeyInfo.
    InvalidPublicKey {
        /// Where they came from (a path, or "the given bytes").
        source: String,
        /// What was found instead.
        problem: String,
    },
    /// The operating system's root certificates could not be loaded (feature `native-roots`).
    NativeRoots {
        /// What went wrong: the files that could not be read, or that nothing was found.
        problem: String,
        /// Where it looked, and the `SSL_CERT_FILE` / `SSL_CERT_DIR` values it read.
        searched: String,
    },
    /// A file or directory could not be read, created or written.
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        error: Arc<std::io::Error>,
    },
    /// rustls refused the configuration (for example, no protocol version the provider supports).
    Rustls(rustls::Error),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidPin { input, problem } => {
                let shown: String = input.chars().take(100).collect();
                let ellipsis = if shown.len() < input.len() { "…" } else { "" };
                write!(
                    f,
                    "invalid pin {shown:?}{ellipsis}: {problem}; expected \"sha256/<base64>\" \
                     (OkHttp), \"sha256//<base64>\" (curl), pin-sha256=\"<base64>\" (HPKP), \
                     \"SPKI-SHA256-BASE64 <base64>\" (iOS) or \"3 1 1 <hex>\" (DANE TLSA), \
                     holding the 32-byte SHA-256 digest of the certificate's \
                     SubjectPublicKeyInfo"
                )
            }
            Self::InvalidCertificate {
                offset,
                expected,
                found,
            } => write!(
                f,
                "malformed certificate: expected {expected} at byte {offset}, found {found}"
            ),
            Self::NoPins => f.write_str(
                "no pins were configured: expected at least one (and a backup pin for key \
                 rotation); a verifier without pins would reject every peer",
            ),
            Self::PinSetWithoutPins { pattern } => write!(
                f,
                "the pin set for {pattern} has no pins: expected at least one (and a backup)"
            ),
            Self::InvalidHostPattern { pattern, problem } => write!(
                f,
                "invalid host pattern {pattern:?}: {problem}; expected a host name \
                 (\"api.example.com\"), \"*.example.com\" (one label), \"**.example.com\" \
                 (any depth, and the domain itself) or an IP address"
            ),
            Self::UnusableProvider { problem } => {
                write!(f, "the CryptoProvider cannot back a verifier: {problem}")
            }
            Self::NoRootCertificates => f.write_str(
                "the root certificate store is empty: expected at least one trust anchor",
            ),
            Self::InvalidRoot { index, error } => write!(
                f,
                "certificate {index} cannot be a trust anchor: {error}; expected a well-formed \
                 X.509 certificate"
            ),
            Self::NoCertificatesInPem { source } => write!(
                f,
                "expected at least one \"-----BEGIN CERTIFICATE-----\" section in {source}, \
                 found none"
            ),
            Self::Pem { source, problem } => write!(f, "cannot read PEM from {source}: {problem}"),
            Self::Config {
                source,
                line,
                column,
                message,
            } => write!(f, "{source}:{line}:{column}: {message}"),
            Self::KnownHostsCorrupt {
                source,
                line,
                problem,
            } => write!(
                f,
                "{source}:{line}: corrupt known-hosts entry: {problem}; the file was left as it \
                 is, fix or delete that line"
            ),
            Self::InvalidKnownHost { host, problem } => {
                write!(f, "invalid known host {host:?}: {problem}")
            }
            Self::InvalidPinList {
                item,
                text,
                problem,
            } => write!(
                f,
                "item {item} of the curl pin list, {text:?}: {problem}; expected \
                 sha256//<base64> items separated by ';' (curl's --pinnedpubkey form)"
            ),
            Self::NativeRoots { problem, searched } => write!(
                f,
                "cannot load the system's root certificates: {problem} ({searched}); expected \
                 at least one readable root certificate: point SSL_CERT_FILE at a PEM bundle or \
                 SSL_CERT_DIR at a directory of them, or use the compiled-in Mozilla roots \
                 (feature webpki-roots)"
            ),
            Self::InvalidPublicKey { source, problem } => {
                write!(f, "{source} is not a public key: {problem}")
            }
            Self::Io { path, error } => write!(f, "cannot use {}: {error}", path.display()),
            Self::Rustls(error) => write!(f, "rustls refused the configuration: {error}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Io { error, .. } => Some(error.as_ref()),
            Self::Rustls(error) | Self::InvalidRoot { error, .. } => Some(error),
            _ => None,
        }
    }
}

impl From<DerError> for Error {
    fn from(e: DerError) -> Self {
        Self::InvalidCertificate {
            offset: e.offset,
            expected: e.expected,
            found: e.found,
        }
    }
}

impl From<rustls::Error> for Error {
    fn from(e: rustls::Error) -> Self {
        Self::Rustls(e)
    }
}

/// Which side of the connection presented the rejected certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Peer {
    /// The server (tlspin is verifying on the client).
    Server,
    /// The client (tlspin is verifying client certificates on a server, mTLS).
    Client,
}

impl fmt::Display for Peer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Server => "server",
            Self::Client => "client",
        })
    }
}

/// A peer's leaf certificate key matched none of the configured pins.
///
/// Returned during the handshake as
/// `rustls::Error::InvalidCertificate(CertificateError::Other(OtherError(..)))`; recover it with
/// [`PinMismatch::from_rustls`]. It lists the expected pins and the pin of every certificate the
/// peer presented, so the right pin can be copied from the message — after checking out of band
/// that the new key really is the peer's.
///
/// Only the leaf (the key that signs the handshake) is compared. A pin that matches another
/// presented certificate is pointed out, not accepted: anyone can append a public CA certificate
/// to their chain.
///
/// With WebPKI validation plus pins ([`PinnedWebPkiVerifier`](crate::PinnedWebPkiVerifier)), the
/// chain was valid but no certificate on the *validated path* (leaf, intermediates, trust anchor)
/// matched; [`PinMismatch::validated_path`] lists that path.
#[derive(Clone, PartialEq, Eq)]
pub struct PinMismatch {
    peer: Peer,
    expected: Vec<Pin>,
    presented: Vec<Option<Pin>>,
    checked: Checked,
}

/// What had to match a pin.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Checked {
    Leaf,
    RawPublicKey,
    ValidatedPath(Vec<Pin>),
}

impl PinMismatch {
    /// A leaf-only mismatch.
    pub(crate) fn leaf(peer: Peer, expected: Vec<Pin>, chain: PeerChain<'_>) -> Self {
        Self {
            peer,
            expected,
            presented: presented_pins(chain),
            checked: Checked::Leaf,
        }
    }

    /// A raw public key (RFC 7250) mismatch.
    pub(crate) fn raw_public_key(peer: Peer, expected: Vec<Pin>, key: Pin) -> Self {
        Self {
            peer,
            expected,
            presented: vec![Some(key)],
            checked: Checked::RawPublicKey,
        }
    }

    /// A mismatch on a WebPKI-validated path.
    pub(crate) fn path(expected: Vec<Pin>, chain: PeerChain<'_>, path: Vec<Pin>) -> Self {
        Self {
            peer: Peer::Server,
            expected,
            presented: presented_pins(chain),
            checked: Checked::ValidatedPath(path),
        }
    }

    /// Which side presented the certificate.
    pub fn peer(&self) -> Peer {
        self.peer
    }

    /// The configured pins.
    pub fn expected(&self) -> &[Pin] {
        &self.expected
    }

    /// The pin of each presented certificate, leaf first, in the order the peer sent them;
    /// `None` for a certificate too malformed to read. For a raw public key, its pin.
    pub fn presented(&self) -> &[Option<Pin>] {
        &self.presented
    }

    /// The leaf certificate's pin.
    pub fn leaf_pin(&self) -> Option<Pin> {
        self.presented.first().copied().flatten()
    }

    /// For WebPKI plus pins: the pins of the validated path, leaf first and trust anchor last;
    /// `None` for leaf pinning, where no path is built.
    pub fn validated_path(&self) -> Option<&[Pin]> {
        match &self.checked {
            Checked::ValidatedPath(path) => Some(path),
            Checked::Leaf | Checked::RawPublicKey => None,
        }
    }

    /// Finds a `PinMismatch` inside a rustls handshake error.
    ///
    /// ```
    /// # fn report(error: &rustls::Error) {
    /// if let Some(mismatch) = tlspin::PinMismatch::from_rustls(error) {
    ///     eprintln!("server key changed; it now presents {:?}", mismatch.leaf_pin());
    /// }
    /// # }
    /// ```
    pub fn from_rustls(error: &rustls::Error) -> Option<&Self> {
        match error {
            rustls::Error::InvalidCertificate(CertificateError::Other(OtherError(inner))) => {
                inner.downcast_ref::<Self>()
            }
            _ => None,
        }
    }

    fn pinned_non_leaf(&self) -> Option<usize> {
        self.presented
            .iter()
            .enumerate()
            .skip(1)
            .find(|(_, pin)| pin.is_some_and(|pin| self.expected.contains(&pin)))
            .map(|(index, _)| index)
    }
}

impl fmt::Display for PinMismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.checked {
            Checked::Leaf | Checked::RawPublicKey => {
                let what = match self.checked {
                    Checked::RawPublicKey => "raw public key",
                    _ => "leaf certificate key",
                };
                write!(f, "certificate pin mismatch: the {}'s {what} ", self.peer)?;
                match self.leaf_pin() {
                    Some(leaf) => write!(f, "{leaf}")?,
                    None => f.write_str("(unreadable)")?,
                }
                f.write_str(" is not pinned")?;
            }
            Checked::ValidatedPath(path) => {
                f.write_str(
                    "certificate pin mismatch: the chain is valid, but no certificate on the \
                     validated path to a trusted root is pinned; validated path: ",
                )?;
                let last = path.len().saturating_sub(1);
                write_list(
                    f,
                    path.iter().enumerate().map(|(i, pin)| {
                        let role = match i {
                            0 => "leaf",
                            i if i == last => "root",
                            _ => "intermediate",
                        };
                        format!("{pin} ({role})")
                    }),
                )?;
            }
        }
        f.write_str("; expected one of: ")?;
        write_list(f, self.expected.iter().map(|pin| pin.to_string()))?;
        if self.checked == Checked::RawPublicKey {
            return Ok(());
        }
        f.write_str("; presented chain: ")?;
        write_list(
            f,
            self.presented.iter().enumerate().map(|(i, pin)| {
                let role = if i == 0 { "leaf" } else { "intermediate" };
                match pin {
                    Some(pin) => format!("[{i}] {pin} ({role})"),
                    None => format!("[{i}] (malformed certificate) ({role})"),
                }
            }),
        )?;
        if let (Checked::Leaf, Some(index)) = (&self.checked, self.pinned_non_leaf()) {
            write!(
                f,
                "; note: certificate [{index}] matches a pin, but only the leaf is compared \
                 because only the leaf's key signs the handshake and any public certificate can \
                 be appended to a chain; pin the leaf's key, or use WebPKI validation plus pins \
                 to pin a CA"
            )?;
        }
        Ok(())
    }
}

/// rustls 0.23 formats `CertificateError::Other` with `Debug`, so that is what a user of reqwest
/// or hyper sees: make it the readable message, not a struct dump.
impl fmt::Debug for PinMismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl std::error::Error for PinMismatch {}

impl From<PinMismatch> for rustls::Error {
    fn from(mismatch: PinMismatch) -> Self {
        CertificateError::Other(OtherError(Arc::new(mismatch))).into()
    }
}

fn presented_pins(chain: PeerChain<'_>) -> Vec<Option<Pin>> {
    chain
        .iter()
        .map(|cert| Pin::from_cert_der(cert).ok())
        .collect()
}

/// The server presented a CA certificate (basicConstraints `CA:TRUE`) as its own certificate,
/// which WebPKI refuses (`CaUsedAsEndEntity`). `openssl req -x509` makes such certificates by
/// default, so this usually means "a self-signed certificate used as its own root".
///
/// Returned as `rustls::Error::InvalidCertificate(CertificateError::Other(..))`; its
/// [`source`](std::error::Error::source) is `webpki::Error::CaUsedAsEndEntity`.
#[derive(Clone, PartialEq, Eq)]
pub struct CaCertificateAsServer {
    pin: Option<Pin>,
}

static CA_USED_AS_END_ENTITY: webpki::Error = webpki::Error::CaUsedAsEndEntity;

impl CaCertificateAsServer {
    pub(crate) fn new(pin: Option<Pin>) -> Self {
        Self { pin }
    }

    /// The pin of the refused certificate's key, to pin it instead.
    pub fn pin(&self) -> Option<Pin> {
        self.pin
    }

    /// Finds a `CaCertificateAsServer` inside a rustls handshake error.
    pub fn from_rustls(error: &rustls::Error) -> Option<&Self> {
        match error {
            rustls::Error::InvalidCertificate(CertificateError::Other(OtherError(inner))) => {
                inner.downcast_ref::<Self>()
            }
            _ => None,
        }
    }
}

impl fmt::Display for CaCertificateAsServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(
            "the server's certificate is a CA certificate (basicConstraints CA:TRUE, the \
             `openssl req -x509` default), and WebPKI refuses a CA certificate as the server's \
             own (CaUsedAsEndEntity); expected an end-entity certificate. To trust this one \
             certificate, pin its key with PinnedServerVerifier",
        )?;
        if let Some(pin) = self.pin {
            write!(f, " ({pin})")?;
        }
        f.write_str(
            " after checking over a channel you trust that it is the server's key (this \
             connection did not get far enough to prove the server holds it)",
        )?;
        f.write_str(
            ", or re-issue it with `-addext basicConstraints=critical,CA:FALSE` and keep it as a \
             root",
        )
    }
}

/// Shown by rustls' `Display` of the enclosing error; see [`PinMismatch`]'s `Debug`.
impl fmt::Debug for CaCertificateAsServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl std::error::Error for CaCertificateAsServer {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&CA_USED_AS_END_ENTITY)
    }
}

impl From<CaCertificateAsServer> for rustls::Error {
    fn from(error: CaCertificateAsServer) -> Self {
        CertificateError::Other(OtherError(Arc::new(error))).into()
    }
}

/// The server presented a certificate that is not one of those a
/// [`SelfSignedVerifier`](crate::SelfSignedVerifier) was given.
///
/// Returned as `rustls::Error::InvalidCertificate(CertificateError::Other(..))`; downcast with
/// [`NotAGivenCertificate::from_rustls`].
#[derive(Clone, PartialEq, Eq)]
pub struct NotAGivenCertificate {
    presented: Option<Pin>,
    given: Vec<Pin>,
}

impl NotAGivenCertificate {
    pub(crate) fn new(presented: Option<Pin>, given: Vec<Pin>) -> Self {
        Self { presented, given }
    }

    /// The pin of the presented certificate's key (`None` if it could not be read).
    pub fn presented(&self) -> Option<Pin> {
        self.presented
    }

    /// The pins of the given certificates' keys.
    pub fn given(&self) -> &[Pin] {
        &self.given
    }

    /// Whether the presented certificate carries the key of a given certificate (it was
    /// re-issued or renewed with the same key).
    pub fn same_key_as_a_given_certificate(&self) -> bool {
        self.presented.is_some_and(|pin| self.given.contains(&pin))
    }

    /// Finds a `NotAGivenCertificate` inside a rustls handshake error.
    pub fn from_rustls(error: &rustls::Error) -> Option<&Self> {
        match error {
            rustls::Error::InvalidCertificate(CertificateError::Other(OtherError(inner))) => {
                inner.downcast_ref::<Self>()
            }
            _ => None,
        }
    }
}

impl fmt::Display for NotAGivenCertificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the server's certificate")?;
        if let Some(pin) = self.presented {
            write!(f, " (key {pin})")?;
        }
        write!(
            f,
            " is not one of the {} self-signed certificates this verifier trusts (keys: ",
            self.given.len()
        )?;
        write_list(f, self.given.iter().map(Pin::to_string))?;
        f.write_str(
            "); expected one of them, byte for byte: SelfSignedVerifier accepts neither              certificates issued by them nor certificates re-issued with their keys",
        )?;
        if self.same_key_as_a_given_certificate() {
            f.write_str(
                ". This one carries the key of a given certificate: if the server renewed its                  certificate, give the new one, or pin the key with PinnedServerVerifier",
            )?;
        } else {
            f.write_str(
                ". To trust every certificate a private CA issues, use rustls'                  WebPkiServerVerifier with the CA as a root (PinnedWebPkiVerifier to pin it too)",
            )?;
        }
        Ok(())
    }
}

/// Shown by rustls' `Display` of the enclosing error; see [`PinMismatch`]'s `Debug`.
impl fmt::Debug for NotAGivenCertificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl std::error::Error for NotAGivenCertificate {}

impl From<NotAGivenCertificate> for rustls::Error {
    fn from(error: NotAGivenCertificate) -> Self {
        CertificateError::Other(OtherError(Arc::new(error))).into()
    }
}

fn write_list(f: &mut fmt::Formatter<'_>, items: impl Iterator<Item = String>) -> fmt::Result {
    for (i, item) in items.enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        f.write_str(&item)?;
    }
    Ok(())
}
