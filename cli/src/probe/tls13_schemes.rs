//! TLS 1.3 signature schemes. The server's CertificateVerify is encrypted, so a plain ClientHello
//! cannot see it: this runs rustls handshakes whose verifier advertises the candidate schemes,
//! records the scheme the server signed with, and aborts the handshake right there.

use std::sync::{Arc, Mutex, PoisonError};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, ClientConnection, DigitallySignedStruct, SignatureScheme};

use super::pool::Pool;
use crate::net::{closed_early, drive_handshake};
use crate::providers::broadest_provider;

/// The message the recording verifier aborts every handshake with.
const ABORT: &str =
    "tlspin probe: certificate or signature scheme recorded; handshake deliberately \
                     abandoned";

/// Runs one TLS 1.3 handshake advertising exactly `offer`; returns the scheme the server signed
/// with and its leaf certificate, as far as it got.
///
/// Connection failures count as "no scheme": the raw ClientHello scan running beside this
/// reports network problems.
///
/// The hello is abandoned right behind ([`crate::net::ABANDON`]); if the server then closes
/// before signing (it wanted a second ClientHello, or reads ahead), the handshake is run again
/// without that.
pub fn signed_with(pool: &Pool<'_>, offer: &[u16]) -> (Option<u16>, Option<Vec<u8>>) {
    // A server that closes connections unanswered is asked again, with fewer open at once.
    pool.retry_closed(|| {
        let abandon = pool.abandon();
        let (scheme, leaf, closed) = signed_with_once(pool, offer, abandon);
        // Without a signature, the abandon alerts may be to blame: the connection closed, or
        // the server refused before it has shown that it reads hellos before the alerts behind
        // them.
        if !abandon || scheme.is_some() || (!closed && pool.abandon_confirmed()) {
            return ((scheme, leaf), closed && scheme.is_none());
        }
        let (scheme, plain_leaf, closed) = signed_with_once(pool, offer, false);
        if scheme.is_some() {
            pool.abandon_unreliable();
        }
        ((scheme, plain_leaf.or(leaf)), closed && scheme.is_none())
    })
}

/// One handshake for [`signed_with`]; the flag says whether it ended by the server closing.
fn signed_with_once(
    pool: &Pool<'_>,
    offer: &[u16],
    abandon: bool,
) -> (Option<u16>, Option<Vec<u8>>, bool) {
    let recorder = Arc::new(Recorder::new(
        offer.iter().copied().map(SignatureScheme::from).collect(),
        false,
    ));
    let Ok(builder) = ClientConfig::builder_with_provider(Arc::new(broadest_provider()))
        .with_protocol_versions(&[&rustls::version::TLS13])
    else {
        return (None, None, false);
    };
    let config = builder
        .dangerous()
        .with_custom_certificate_verifier(recorder.clone())
        .with_no_client_auth();
    let Ok(mut lease) = pool.connect() else {
        return (None, None, false);
    };
    let target = pool.target();
    let Ok(mut connection) = ClientConnection::new(Arc::new(config), target.server_name.clone())
    else {
        return (None, None, false);
    };
    // The handshake always fails: the recorder aborts it after seeing the signature.
    let closed = match lease.socket() {
        Ok(socket) => drive_handshake(socket, target, &mut connection, abandon)
            .as_ref()
            .is_err_and(closed_early),
        Err(_) => true,
    };
    (recorder.scheme(), recorder.leaf(), closed)
}

/// A verifier that never lets a handshake complete: it advertises `offer`, records the server's
/// leaf certificate, and fails the handshake there (`stop_at_certificate`) or after recording
/// the scheme of the server's CertificateVerify. It authenticates nothing and must never be used
/// for a connection that carries data.
#[derive(Debug)]
pub(crate) struct Recorder {
    offer: Vec<SignatureScheme>,
    stop_at_certificate: bool,
    seen: Mutex<Option<SignatureScheme>>,
    leaf: Mutex<Option<Vec<u8>>>,
}

impl Recorder {
    /// A recorder advertising `offer`.
    pub(crate) fn new(offer: Vec<SignatureScheme>, stop_at_certificate: bool) -> Self {
        Self {
            offer,
            stop_at_certificate,
            seen: Mutex::new(None),
            leaf: Mutex::new(None),
        }
    }

    /// The leaf certificate the server presented, if the handshake got that far.
    pub(crate) fn leaf(&self) -> Option<Vec<u8>> {
        self.leaf
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
    }

    /// The scheme the server signed its TLS 1.3 CertificateVerify with.
    fn scheme(&self) -> Option<u16> {
        let seen = *self.seen.lock().unwrap_or_else(PoisonError::into_inner);
        seen.map(u16::from)
    }
}

impl ServerCertVerifier for Recorder {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        *self.leaf.lock().unwrap_or_else(PoisonError::into_inner) =
            Some(end_entity.as_ref().to_vec());
        if self.stop_at_certificate {
            return Err(rustls::Error::General(ABORT.into()));
        }
        // Let the handshake reach CertificateVerify; verify_tls13_signature aborts it.
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        _message: &[u8],
        _cert: &CertificateDer<'_>,
        _dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        Err(rustls::Error::General(ABORT.into()))
    }

    fn verify_tls13_signature(
        &self,
        _message: &[u8],
        _cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        *self.seen.lock().unwrap_or_else(PoisonError::into_inner) = Some(dss.scheme);
        Err(rustls::Error::General(ABORT.into()))
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.offer.clone()
    }
}
