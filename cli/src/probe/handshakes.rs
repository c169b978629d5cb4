//! The probe's rustls handshakes: one per provider for its verdict (which also shows whether the
//! server asks for a client certificate), and short ones that stop at the server's certificate
//! to see which ALPN protocols it selects and whether its certificate or its acceptance depends
//! on the SNI sent.

use std::sync::{Arc, Mutex, PoisonError};

use rustls::client::ResolvesClientCert;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::ServerName;
use rustls::sign::CertifiedKey;
use rustls::{ClientConfig, ClientConnection, SignatureScheme};

use super::pool::Pool;
use super::tls13_schemes::Recorder;
use crate::net::{after_finished, closed_early, drive_handshake, AfterFinished, HandshakeError};
use crate::providers::{broadest_provider, inspecting_builder};

/// What a provider's handshake negotiated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Negotiated {
    /// The protocol version.
    pub version: Option<u16>,
    /// The cipher suite.
    pub suite: Option<u16>,
    /// The key-exchange group.
    pub group: Option<u16>,
}

/// A CertificateRequest the server sent.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ClientAuthRequest {
    /// The DER distinguished names of the CAs the server hints at (may be empty).
    pub ca_names: Vec<Vec<u8>>,
    /// The signature schemes the server accepts from a client.
    pub schemes: Vec<u16>,
    /// Whether the server went on to reject the handshake without a certificate (`None`: it
    /// could not be told).
    pub required: Option<bool>,
}

/// One provider's handshake.
#[derive(Debug)]
pub struct ProviderHandshake {
    /// What it negotiated, or why it failed.
    pub result: Result<Negotiated, HandshakeError>,
    /// The server's CertificateRequest, if it sent one.
    pub client_auth: Option<ClientAuthRequest>,
}

/// Runs a handshake with `provider`'s defaults (any certificate accepted, the handshake signature
/// verified), offering no client certificate; if the server asks for one, records its request and
/// whether it then rejects the connection.
pub fn with_provider(pool: &Pool<'_>, provider: &CryptoProvider) -> ProviderHandshake {
    let recorder = Arc::new(ClientAuthRecorder::default());
    let config = match inspecting_builder(provider.clone()) {
        Ok(builder) => Arc::new(builder.with_client_cert_resolver(recorder.clone())),
        Err(failure) => {
            return ProviderHandshake {
                result: Err(HandshakeError::Network(failure)),
                client_auth: None,
            }
        }
    };
    // Whether the server accepted the handshake without a client certificate, when it asked
    // for one: `None` while it cannot be told.
    let mut accepted_without = None;
    let result = pool.retry_closed(|| {
        let result = handshake_once(pool, &config, &recorder, &mut accepted_without);
        let closed = result.as_ref().is_err_and(closed_early);
        (result, closed)
    });
    let client_auth = recorder.take().map(|mut request| {
        request.required = match (&result, accepted_without) {
            (_, Some(accepted)) => Some(!accepted),
            // A TLS 1.2 server that requires a certificate answers the empty one with an
            // alert instead of its Finished; a failure of our own (a certificate or signature
            // we refuse) or a network one says nothing about the request.
            (Err(HandshakeError::Tls(rustls::Error::AlertReceived(alert))), None) => {
                refuses_a_missing_certificate(*alert).then_some(true)
            }
            _ => None,
        };
        request
    });
    ProviderHandshake {
        result,
        client_auth,
    }
}

/// One connection of [`with_provider`].
fn handshake_once(
    pool: &Pool<'_>,
    config: &Arc<ClientConfig>,
    recorder: &ClientAuthRecorder,
    accepted_without: &mut Option<bool>,
) -> Result<Negotiated, HandshakeError> {
    let target = pool.target();
    let mut lease = pool.connect().map_err(HandshakeError::Network)?;
    let socket = lease.socket().map_err(HandshakeError::Network)?;
    let mut connection = ClientConnection::new(config.clone(), target.server_name.clone())
        .map_err(HandshakeError::Tls)?;
    drive_handshake(socket, target, &mut connection, false)?;
    if !recorder.requested() {
        // Done: say so with our Finished, so a server handling one connection at a time is
        // free at once.
        connection.send_close_notify();
        let _ = connection.write_tls(socket);
    } else if connection.protocol_version() == Some(rustls::ProtocolVersion::TLSv1_3) {
        // TLS 1.3: our (empty) Certificate went with our Finished; a server that requires a
        // certificate answers with an alert instead of its session tickets.
        match after_finished(socket, target, &mut connection, target.timeout) {
            AfterFinished::Accepted => *accepted_without = Some(true),
            AfterFinished::Rejected(error) => {
                *accepted_without = Some(false);
                return Err(HandshakeError::Tls(error));
            }
            AfterFinished::Unknown(_) => {}
        }
    } else {
        // TLS 1.2: the server's Finished came after our empty Certificate.
        *accepted_without = Some(true);
        connection.send_close_notify();
        let _ = connection.write_tls(socket);
    }
    Ok(Negotiated {
        version: connection.protocol_version().map(u16::from),
        suite: connection
            .negotiated_cipher_suite()
            .map(|suite| u16::from(suite.suite())),
        group: connection
            .negotiated_key_exchange_group()
            .map(|group| u16::from(group.name())),
    })
}

/// The alerts servers send when a client sends no certificate they require: OpenSSL
/// handshake_failure (TLS 1.2) or certificate_required (TLS 1.3), GnuTLS decode_error (TLS
/// 1.2), others bad_certificate or access_denied.
fn refuses_a_missing_certificate(alert: rustls::AlertDescription) -> bool {
    use rustls::AlertDescription as A;
    matches!(
        alert,
        A::HandshakeFailure
            | A::CertificateRequired
            | A::BadCertificate
            | A::AccessDenied
            | A::DecodeError
    )
}

/// Records the server's CertificateRequest and offers no certificate.
#[derive(Debug, Default)]
struct ClientAuthRecorder {
    request: Mutex<Option<ClientAuthRequest>>,
}

impl ClientAuthRecorder {
    fn requested(&self) -> bool {
        self.request
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .is_some()
    }

    fn take(&self) -> Option<ClientAuthRequest> {
        self.request
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
    }
}

impl ResolvesClientCert for ClientAuthRecorder {
    fn resolve(
        &self,
        root_hint_subjects: &[&[u8]],
        sigschemes: &[SignatureScheme],
    ) -> Option<Arc<CertifiedKey>> {
        *self.request.lock().unwrap_or_else(PoisonError::into_inner) = Some(ClientAuthRequest {
            ca_names: root_hint_subjects
                .iter()
                .map(|name| name.to_vec())
                .collect(),
            schemes: sigschemes.iter().map(|s| u16::from(*s)).collect(),
            required: None,
        });
        None
    }

    fn has_certs(&self) -> bool {
        false
    }
}

/// How a server answered a ClientHello that stopped at its certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Observed {
    /// The server got as far as its certificate.
    Certificate {
        /// The leaf certificate (DER).
        leaf: Vec<u8>,
        /// The ALPN protocol it selected, if any.
        alpn: Option<Vec<u8>>,
    },
    /// The server refused the ClientHello with an alert (or the handshake failed in TLS).
    Refused(String),
    /// The connection failed (closed, reset, timed out) before the certificate.
    Failed(String),
}

impl Observed {
    fn got_certificate(&self) -> bool {
        matches!(self, Self::Certificate { .. })
    }
}

/// Runs a handshake (TLS 1.2 and 1.3, every suite and group aws-lc-rs has) offering `alpn` and
/// presenting `server_name` (`None`: no SNI), and abandons it at the server's certificate. No
/// such connection ever carries data.
///
/// The hello is abandoned right behind ([`crate::net::ABANDON`]); if the server then closes
/// before its certificate (it wanted a second ClientHello, or reads ahead), the handshake is run
/// again without that.
pub fn observe(
    pool: &Pool<'_>,
    alpn: &[&[u8]],
    server_name: Option<ServerName<'static>>,
) -> Observed {
    // A server that closes connections unanswered is asked again, with fewer open at once.
    pool.retry_closed(|| {
        let abandon = pool.abandon();
        let (observed, closed) = observe_once(pool, alpn, server_name.clone(), abandon);
        let doubtful = match &observed {
            Observed::Certificate { .. } => false,
            Observed::Refused(_) => !pool.abandon_confirmed(),
            Observed::Failed(_) => true,
        };
        if !(abandon && doubtful) {
            return (observed, closed);
        }
        let (plain, closed) = observe_once(pool, alpn, server_name.clone(), false);
        if plain.got_certificate() {
            pool.abandon_unreliable();
        }
        (plain, closed)
    })
}

/// One handshake for [`observe`], and whether the server closed it before its certificate.
fn observe_once(
    pool: &Pool<'_>,
    alpn: &[&[u8]],
    server_name: Option<ServerName<'static>>,
    abandon: bool,
) -> (Observed, bool) {
    let provider = broadest_provider();
    let recorder = Arc::new(Recorder::new(
        provider
            .signature_verification_algorithms
            .supported_schemes(),
        true,
    ));
    let mut config = match ClientConfig::builder_with_provider(Arc::new(provider))
        .with_safe_default_protocol_versions()
    {
        Ok(builder) => builder
            .dangerous()
            .with_custom_certificate_verifier(recorder.clone())
            .with_no_client_auth(),
        Err(e) => {
            return (
                Observed::Failed(format!("cannot build a client config: {e}")),
                false,
            )
        }
    };
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    let target = pool.target();
    config.enable_sni = server_name.is_some();
    // Without SNI rustls still needs a name; an IP address is never sent.
    let name =
        server_name.unwrap_or_else(|| ServerName::IpAddress(std::net::Ipv4Addr::LOCALHOST.into()));
    let mut lease = match pool.connect() {
        Ok(lease) => lease,
        Err(failure) => return (Observed::Failed(failure.message), false),
    };
    let mut connection = match ClientConnection::new(Arc::new(config), name) {
        Ok(connection) => connection,
        Err(e) => return (Observed::Failed(e.to_string()), false),
    };
    let outcome = match lease.socket() {
        Ok(socket) => drive_handshake(socket, target, &mut connection, abandon),
        Err(failure) => Err(HandshakeError::Network(failure)),
    };
    let leaf = recorder.leaf();
    let closed = leaf.is_none() && outcome.as_ref().is_err_and(closed_early);
    let observed = match (leaf, outcome) {
        (Some(leaf), _) => Observed::Certificate {
            leaf,
            alpn: connection.alpn_protocol().map(<[u8]>::to_vec),
        },
        (None, Err(HandshakeError::Tls(e))) => Observed::Refused(e.to_string()),
        (None, Err(HandshakeError::Network(f))) => Observed::Failed(f.message),
        (None, Ok(())) => Observed::Refused("the server presented no certificate".into()),
    };
    (observed, closed)
}
