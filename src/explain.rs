//! [`explain`]: a failed handshake's [`rustls::Error`], in plain words, with the likely fix.

use core::fmt;

use rustls::pki_types::ServerName;
use rustls::{AlertDescription, CertificateError, Error, PeerIncompatible, PeerMisbehaved};

use crate::error::{CaCertificateAsServer, PinMismatch};
use crate::pin::Pin;
use crate::tofu::KnownHostMismatch;

/// What kind of failure an [`Explanation`] describes, for callers that act on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FailureKind {
    /// Client and server enable no cipher suite in common.
    NoCommonCipherSuite,
    /// Client and server enable no key-exchange group in common.
    NoCommonGroup,
    /// The server can sign with no signature scheme the client accepts (or the reverse).
    NoCommonSignatureScheme,
    /// The server signed with an algorithm that does not fit what was negotiated, typically
    /// because a hand-written verifier advertised a scheme its provider cannot verify.
    SignatureSchemeMismatch,
    /// Client and server enable no protocol version in common.
    NoCommonProtocolVersion,
    /// The peer refused the handshake (a `handshake_failure` alert) without saying why: one of
    /// the "no common ..." cases, seen from the side that did not detect it.
    HandshakeRefused,
    /// The certificate chain leads to no trusted root.
    UnknownIssuer,
    /// The certificate has expired.
    Expired,
    /// The certificate is not valid yet.
    NotValidYet,
    /// The certificate does not cover the name that was connected to.
    NameMismatch,
    /// The leaf certificate's key matches none of the configured pins.
    PinMismatch,
    /// A CA certificate (`basicConstraints CA:TRUE`) was presented as the server's own.
    CaUsedAsEndEntity,
    /// Any other failure; the explanation repeats rustls' message.
    Other,
}

/// A failed handshake explained: the likely cause and the fix, in plain words.
///
/// Its `Display` is one paragraph: `cause; fix: fix`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Explanation {
    /// Which failure this is.
    pub kind: FailureKind,
    /// What most likely went wrong.
    pub cause: String,
    /// What to change so the handshake succeeds.
    pub fix: String,
}

impl fmt::Display for Explanation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}; fix: {}", self.cause, self.fix)
    }
}

/// Explains the [`rustls::Error`] a failed handshake returned (on either side): its likely cause,
/// and the fix.
///
/// rustls reports a failed negotiation precisely only on the side that detected it; the other
/// side sees a bare `handshake_failure` alert, which this explains as the list of possible
/// causes and how to tell them apart (`tlspin probe HOST:PORT` does).
///
/// ```
/// use rustls::{Error, PeerIncompatible};
/// use tlspin::{explain, FailureKind};
///
/// let explanation = explain(&Error::PeerIncompatible(PeerIncompatible::NoKxGroupsInCommon));
/// assert_eq!(explanation.kind, FailureKind::NoCommonGroup);
/// println!("{explanation}");
/// ```
pub fn explain(error: &Error) -> Explanation {
    if let Some(mismatch) = PinMismatch::from_rustls(error) {
        return pin_mismatch(mismatch);
    }
    if let Some(mismatch) = KnownHostMismatch::from_rustls(error) {
        return Explanation {
            kind: FailureKind::PinMismatch,
            cause: format!(
                "{} presented key {}, but the known-hosts store records {}",
                mismatch.stored().address(),
                mismatch.presented(),
                mismatch.stored().pin
            ),
            fix: format!(
                "if the server's key changed on purpose, confirm the new key over a channel you \
                 trust, delete the line \"{}\" from the store and build a new verifier; \
                 otherwise treat the connection as intercepted",
                mismatch.stored()
            ),
        };
    }
    if let Some(ca) = CaCertificateAsServer::from_rustls(error) {
        return ca_used_as_end_entity(ca.pin());
    }
    match error {
        Error::PeerIncompatible(incompatible) => peer_incompatible(incompatible, error),
        Error::PeerMisbehaved(
            PeerMisbehaved::SignedKxWithWrongAlgorithm
            | PeerMisbehaved::SignedHandshakeWithUnadvertisedSigScheme,
        ) => Explanation {
            kind: FailureKind::SignatureSchemeMismatch,
            cause: format!(
                "the server signed the handshake with a signature scheme that does not fit what \
                 was negotiated ({error}); this happens when the client's certificate verifier \
                 advertises schemes its CryptoProvider cannot verify (a hand-written \
                 supported_verify_schemes list naming ECDSA-SHA1, Ed448, or P-521 under ring) and \
                 the server picks one"
            ),
            fix: "derive supported_verify_schemes from the provider (every tlspin verifier does: \
                  use PinnedServerVerifier or danger::AcceptAnyServerCert instead of a \
                  hand-written verifier), or give the server a key the provider verifies \
                  (ECDSA P-256/P-384, Ed25519 or RSA)"
                .into(),
        },
        Error::AlertReceived(AlertDescription::HandshakeFailure) => Explanation {
            kind: FailureKind::HandshakeRefused,
            cause: "the peer refused the handshake (handshake_failure alert): it found no cipher \
                    suite, key-exchange group or signature scheme in common with this side's \
                    offer"
                .into(),
            fix: "run `tlspin probe HOST:PORT` to see what the server supports and which of \
                  these is missing, then enable a common one on either side"
                .into(),
        },
        Error::AlertReceived(AlertDescription::ProtocolVersion) => no_common_version(error),
        Error::InvalidCertificate(certificate) => invalid_certificate(certificate, error),
        other => Explanation {
            kind: FailureKind::Other,
            cause: format!("the handshake failed: {other}"),
            fix: "no specific advice for this error; `tlspin probe HOST:PORT` shows what the \
                  server supports"
                .into(),
        },
    }
}

fn peer_incompatible(incompatible: &PeerIncompatible, error: &Error) -> Explanation {
    match incompatible {
        PeerIncompatible::NoCipherSuitesInCommon => Explanation {
            kind: FailureKind::NoCommonCipherSuite,
            cause: "client and server enable no cipher suite in common (typically a server that \
                    offers only static-RSA key exchange such as TLS_RSA_WITH_AES_128_GCM_SHA256, \
                    or only CBC suites, none of which rustls implements)"
                .into(),
            fix: "enable an ECDHE suite with AES-GCM or ChaCha20-Poly1305 on the server (or a \
                  TLS 1.3 suite), or add the server's suites to the provider's cipher_suites if \
                  it implements them"
                .into(),
        },
        PeerIncompatible::NoKxGroupsInCommon => Explanation {
            kind: FailureKind::NoCommonGroup,
            cause: "client and server enable no key-exchange group in common (rustls offers \
                    X25519, secp256r1, secp384r1 and, with aws-lc-rs, X25519MLKEM768; finite-field \
                    DHE groups are not implemented)"
                .into(),
            fix: "enable X25519 or secp256r1 on the server, or add the server's group to the \
                  provider's kx_groups"
                .into(),
        },
        PeerIncompatible::NoSignatureSchemesInCommon
        | PeerIncompatible::NoCertificateRequestSignatureSchemesInCommon => Explanation {
            kind: FailureKind::NoCommonSignatureScheme,
            cause: "the server's key can sign with no signature scheme the client verifies (for \
                    example ECDSA-SHA1, Ed448, or P-521 under ring)"
                .into(),
            fix: "give the server a certificate whose key the provider verifies (ECDSA P-256 or \
                  P-384, Ed25519, RSA with SHA-256 or better), or allow such schemes in the \
                  server's signature algorithms"
                .into(),
        },
        PeerIncompatible::ServerDoesNotSupportTls12Or13
        | PeerIncompatible::ServerTlsVersionIsDisabledByOurConfig
        | PeerIncompatible::Tls12NotOffered
        | PeerIncompatible::Tls12NotOfferedOrEnabled
        | PeerIncompatible::SupportedVersionsExtensionRequired => no_common_version(error),
        other => Explanation {
            kind: FailureKind::Other,
            cause: format!("the peer lacks a feature this side requires ({other:?})"),
            fix: "enable that feature on the peer, or relax the requirement in this side's \
                  rustls configuration"
                .into(),
        },
    }
}

fn no_common_version(error: &Error) -> Explanation {
    Explanation {
        kind: FailureKind::NoCommonProtocolVersion,
        cause: format!(
            "client and server enable no protocol version in common ({error}); rustls \
             implements TLS 1.2 and TLS 1.3 only, never TLS 1.0 or 1.1"
        ),
        fix: "enable TLS 1.2 or TLS 1.3 on the server, and make sure the client config enables \
              the same version (with_protocol_versions)"
            .into(),
    }
}

fn invalid_certificate(certificate: &CertificateError, error: &Error) -> Explanation {
    match certificate {
        CertificateError::UnknownIssuer => Explanation {
            kind: FailureKind::UnknownIssuer,
            cause: "the server's certificate chain leads to no root in the client's trust store \
                    (a self-signed or privately issued certificate, or a missing intermediate)"
                .into(),
            fix: "pin the server's key (tlspin::PinnedServerVerifier; `tlspin pin HOST:PORT` \
                  prints the pin), add the issuing CA to the RootCertStore, or make the server \
                  send its intermediate certificates"
                .into(),
        },
        CertificateError::Expired | CertificateError::ExpiredContext { .. } => Explanation {
            kind: FailureKind::Expired,
            cause: match certificate {
                CertificateError::ExpiredContext { time, not_after } => format!(
                    "the certificate expired: it was valid until {} (UNIX time), and the time \
                     now is {}",
                    not_after.as_secs(),
                    time.as_secs()
                ),
                _ => "the certificate has expired".into(),
            },
            fix: "renew the server's certificate (keeping its key keeps its pin); check the \
                  client's clock; for a device that cannot be renewed, pin it with \
                  check_validity(false)"
                .into(),
        },
        CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => {
            Explanation {
                kind: FailureKind::NotValidYet,
                cause: match certificate {
                    CertificateError::NotValidYetContext { time, not_before } => format!(
                        "the certificate is not valid yet: it is valid from {} (UNIX time), and \
                         the time now is {}",
                        not_before.as_secs(),
                        time.as_secs()
                    ),
                    _ => "the certificate is not valid yet".into(),
                },
                fix: "check the clocks of client and server; a device without a real-time clock \
                      often starts in 1970"
                    .into(),
            }
        }
        CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
            Explanation {
                kind: FailureKind::NameMismatch,
                cause: match certificate {
                    CertificateError::NotValidForNameContext {
                        expected,
                        presented,
                    } => format!(
                        "the certificate is not valid for the name connected to: expected \
                         {}, the certificate names {}",
                        server_name(expected),
                        if presented.is_empty() {
                            "nothing (no subjectAltName)".to_owned()
                        } else {
                            presented.join(", ")
                        }
                    ),
                    _ => "the certificate is not valid for the name connected to".into(),
                },
                fix: "connect with a name the certificate's subjectAltName lists (--sni or the \
                      ServerName), or reissue the certificate with the right name; for a pinned \
                      server, leave check_server_name off"
                    .into(),
            }
        }
        CertificateError::Other(other)
            if other.0.downcast_ref::<webpki::Error>()
                == Some(&webpki::Error::CaUsedAsEndEntity) =>
        {
            ca_used_as_end_entity(None)
        }
        _ => Explanation {
            kind: FailureKind::Other,
            cause: format!("the certificate was rejected: {error}"),
            fix: "check the certificate with `tlspin pin HOST:PORT`".into(),
        },
    }
}

fn server_name(name: &ServerName<'_>) -> String {
    match name {
        ServerName::DnsName(dns) => format!("{:?}", dns.as_ref()),
        ServerName::IpAddress(ip) => std::net::IpAddr::from(*ip).to_string(),
        other => format!("{other:?}"),
    }
}

fn ca_used_as_end_entity(pin: Option<Pin>) -> Explanation {
    let pin = pin.map(|pin| format!(" ({pin})")).unwrap_or_default();
    Explanation {
        kind: FailureKind::CaUsedAsEndEntity,
        cause: "the server presents a CA certificate (basicConstraints CA:TRUE, as \
                `openssl req -x509` makes by default) as its own, and WebPKI refuses that"
            .into(),
        fix: format!(
            "pin the certificate's key{pin} instead of trusting it as a root \
             (tlspin::PinnedServerVerifier), after checking over a channel you trust that it \
             is the server's key (the server has not proven it holds it), or reissue it with \
             basicConstraints CA:FALSE"
        ),
    }
}

fn pin_mismatch(mismatch: &PinMismatch) -> Explanation {
    let pins = |pins: &[Pin]| {
        pins.iter()
            .map(Pin::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    };
    let expected = pins(mismatch.expected());
    let cause = match mismatch.validated_path() {
        Some(path) => format!(
            "the chain is valid, but no certificate on the validated path ({}) is pinned \
             (expected one of: {expected})",
            pins(path)
        ),
        None => {
            let leaf = match mismatch.leaf_pin() {
                Some(pin) => pin.to_string(),
                None => "an unreadable key".into(),
            };
            format!(
                "the {}'s leaf certificate key is {leaf}, which is not pinned (expected one of: \
                 {expected})",
                mismatch.peer()
            )
        }
    };
    Explanation {
        kind: FailureKind::PinMismatch,
        cause,
        fix: "if the key was rotated on purpose, confirm the new key over a channel you trust and \
              add its pin; otherwise treat the connection as intercepted"
            .into(),
    }
}
