//! TLS 1.3 signature schemes. The server's CertificateVerify is encrypted, so a plain ClientHello
//! cannot see it: this runs rustls handshakes whose verifier advertises the candidate schemes,
//! records the scheme the server signed with, and aborts the handshake right there.

use std::sync::{Arc, Mutex};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, SignatureScheme};

use super::scan::enumerate;
use crate::net::{handshake, Target};

/// The message the recording verifier aborts every handshake with.
const ABORT: &str = "tlspin probe: signature scheme recorded; handshake deliberately abandoned";

/// Which of `candidates` the server signs TLS 1.3 handshakes with, in its order of preference,
/// and the leaf certificate it presented (TLS 1.3 encrypts it, so the raw scan cannot see it).
///
/// Connection failures end the discovery early (the schemes found so far are returned): the
/// raw ClientHello scan that runs first has already reported any network problem.
pub fn discover(target: &Target, candidates: &[u16]) -> (Vec<u16>, Option<Vec<u8>>) {
    let mut leaf = None;
    let found = enumerate(candidates, |offer| {
        let (scheme, presented) = signed_with(target, offer);
        leaf = leaf.take().or(presented);
        Ok(scheme)
    });
    (found.unwrap_or_default(), leaf)
}

/// Runs one TLS 1.3 handshake advertising exactly `offer`; returns the scheme the server signed
/// with and its leaf certificate, as far as it got.
fn signed_with(target: &Target, offer: &[u16]) -> (Option<u16>, Option<Vec<u8>>) {
    let recorder = Arc::new(SchemeRecorder {
        offer: offer.iter().copied().map(SignatureScheme::from).collect(),
        seen: Mutex::new(None),
        leaf: Mutex::new(None),
    });
    // Every suite and group aws-lc-rs has, so as many servers as possible get as far as signing.
    let provider = CryptoProvider {
        cipher_suites: rustls::crypto::aws_lc_rs::ALL_CIPHER_SUITES.to_vec(),
        kx_groups: rustls::crypto::aws_lc_rs::ALL_KX_GROUPS.to_vec(),
        ..rustls::crypto::aws_lc_rs::default_provider()
    };
    let Ok(builder) = ClientConfig::builder_with_provider(Arc::new(provider))
        .with_protocol_versions(&[&rustls::version::TLS13])
    else {
        return (None, None);
    };
    let config = builder
        .dangerous()
        .with_custom_certificate_verifier(recorder.clone())
        .with_no_client_auth();
    // The handshake always fails: the recorder aborts it after seeing the signature.
    let _ = handshake(target, Arc::new(config));
    let seen = recorder.seen.lock().ok().and_then(|seen| *seen);
    let leaf = recorder.leaf.lock().ok().and_then(|mut leaf| leaf.take());
    (seen.map(u16::from), leaf)
}

/// A verifier that never lets a handshake complete: it advertises the schemes under test,
/// records the scheme of the server's CertificateVerify, and then fails the handshake. It
/// authenticates nothing and must never be used for a connection that carries data.
#[derive(Debug)]
struct SchemeRecorder {
    offer: Vec<SignatureScheme>,
    seen: Mutex<Option<SignatureScheme>>,
    leaf: Mutex<Option<Vec<u8>>>,
}

impl ServerCertVerifier for SchemeRecorder {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if let Ok(mut leaf) = self.leaf.lock() {
            *leaf = Some(end_entity.as_ref().to_vec());
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
        if let Ok(mut seen) = self.seen.lock() {
            *seen = Some(dss.scheme);
        }
        Err(rustls::Error::General(ABORT.into()))
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.offer.clone()
    }
}
