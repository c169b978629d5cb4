//! tlspin's policies report rustls 0.23 errors; rustls 0.24 wants its own. The conversion keeps
//! every certificate error rustls 0.24 also has, and every error a policy reports in
//! `CertificateError::Other` (tlspin's, webpki's, a custom policy's) reachable by `downcast_ref`
//! along the `source()` chain.

use std::error::Error as StdError;
use std::sync::Arc;

use rustls::error::{CertificateError, ExtendedKeyPurpose, OtherError};
use rustls023::CertificateError as Cert023;
use tlspin::tofu::KnownHostMismatch;
use tlspin::{CaCertificateAsServer, NotAGivenCertificate, PinMismatch};

/// The rustls 0.24 form of a policy's rustls 0.23 error.
pub(crate) fn from_rustls023(error: rustls023::Error) -> rustls::Error {
    match error {
        rustls023::Error::InvalidCertificate(cert) => {
            rustls::Error::InvalidCertificate(certificate_error(cert))
        }
        rustls023::Error::Other(rustls023::OtherError(inner)) => {
            rustls::Error::InvalidCertificate(CertificateError::Other(other_error(inner)))
        }
        other => rustls::Error::InvalidCertificate(CertificateError::Other(OtherError::new(other))),
    }
}

fn certificate_error(error: Cert023) -> CertificateError {
    use CertificateError as C;
    match error {
        Cert023::BadEncoding => C::BadEncoding,
        Cert023::Expired => C::Expired,
        Cert023::ExpiredContext { time, not_after } => C::ExpiredContext { time, not_after },
        Cert023::NotValidYet => C::NotValidYet,
        Cert023::NotValidYetContext { time, not_before } => {
            C::NotValidYetContext { time, not_before }
        }
        Cert023::Revoked => C::Revoked,
        Cert023::UnhandledCriticalExtension => C::UnhandledCriticalExtension,
        Cert023::UnknownIssuer => C::UnknownIssuer,
        Cert023::UnknownRevocationStatus => C::UnknownRevocationStatus,
        Cert023::ExpiredRevocationList => C::ExpiredRevocationList,
        Cert023::ExpiredRevocationListContext { time, next_update } => {
            C::ExpiredRevocationListContext { time, next_update }
        }
        Cert023::BadSignature => C::BadSignature,
        Cert023::NotValidForName => C::NotValidForName,
        Cert023::NotValidForNameContext {
            expected,
            presented,
        } => C::NotValidForNameContext {
            expected,
            presented,
        },
        Cert023::InvalidPurpose => C::InvalidPurpose,
        Cert023::InvalidPurposeContext {
            required,
            presented,
        } => C::InvalidPurposeContext {
            required: purpose(required),
            presented: presented.into_iter().map(purpose).collect(),
        },
        Cert023::InvalidOcspResponse => C::InvalidOcspResponse,
        Cert023::ApplicationVerificationFailure => C::ApplicationVerificationFailure,
        Cert023::Other(rustls023::OtherError(inner)) => C::Other(other_error(inner)),
        // Variants rustls 0.24 lacks or renamed keep their text and their rustls 0.23 value.
        other => C::Other(OtherError::new(rustls023::Error::InvalidCertificate(other))),
    }
}

fn purpose(purpose: rustls023::ExtendedKeyPurpose) -> ExtendedKeyPurpose {
    match purpose {
        rustls023::ExtendedKeyPurpose::ClientAuth => ExtendedKeyPurpose::ClientAuth,
        rustls023::ExtendedKeyPurpose::ServerAuth => ExtendedKeyPurpose::ServerAuth,
        rustls023::ExtendedKeyPurpose::Other(oid) => ExtendedKeyPurpose::Other(oid),
    }
}

/// Any other error a policy reports (a TOFU store's `tlspin::Error`, a custom policy's own
/// type, a webpki error), shared as it came: its `source()` is that very error, so walking the
/// `source()` chain of the `OtherError` reaches it and `downcast_ref` finds its type.
struct Inner(Arc<dyn StdError + Send + Sync>);

impl core::fmt::Debug for Inner {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        core::fmt::Debug::fmt(&*self.0, f)
    }
}

impl core::fmt::Display for Inner {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        core::fmt::Display::fmt(&*self.0, f)
    }
}

impl StdError for Inner {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        Some(&*self.0)
    }
}

/// tlspin's errors are re-wrapped as themselves, so `source()` downcasts to them directly (what
/// [`pin_mismatch`] and [`known_host_mismatch`] rely on); any other error is one step further
/// down the `source()` chain, unchanged.
fn other_error(inner: Arc<dyn StdError + Send + Sync>) -> OtherError {
    if let Some(mismatch) = inner.downcast_ref::<PinMismatch>() {
        OtherError::new(mismatch.clone())
    } else if let Some(ca) = inner.downcast_ref::<CaCertificateAsServer>() {
        OtherError::new(ca.clone())
    } else if let Some(not_given) = inner.downcast_ref::<NotAGivenCertificate>() {
        OtherError::new(not_given.clone())
    } else if let Some(known) = inner.downcast_ref::<KnownHostMismatch>() {
        OtherError::new(known.clone())
    } else {
        OtherError::new(Inner(inner))
    }
}

/// Finds the [`PinMismatch`] in a rustls 0.24 handshake error: what tlspin's
/// `PinMismatch::from_rustls` does for rustls 0.23.
///
/// ```
/// let error = rustls::Error::InvalidCertificate(rustls::error::CertificateError::UnknownIssuer);
/// assert!(tlspin_rustls024::pin_mismatch(&error).is_none());
/// ```
pub fn pin_mismatch(error: &rustls::Error) -> Option<&PinMismatch> {
    match error {
        rustls::Error::InvalidCertificate(CertificateError::Other(other)) => {
            other.source()?.downcast_ref::<PinMismatch>()
        }
        _ => None,
    }
}

/// Finds the [`KnownHostMismatch`] (a known host presented another key than the one recorded)
/// in a rustls 0.24 handshake error: what tlspin's `KnownHostMismatch::from_rustls` does for
/// rustls 0.23.
///
/// ```
/// let error = rustls::Error::InvalidCertificate(rustls::error::CertificateError::UnknownIssuer);
/// assert!(tlspin_rustls024::known_host_mismatch(&error).is_none());
/// ```
pub fn known_host_mismatch(error: &rustls::Error) -> Option<&KnownHostMismatch> {
    match error {
        rustls::Error::InvalidCertificate(CertificateError::Other(other)) => {
            other.source()?.downcast_ref::<KnownHostMismatch>()
        }
        _ => None,
    }
}
