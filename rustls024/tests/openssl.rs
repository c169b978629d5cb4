//! rustls 0.24 clients with tlspin's pinned verifier against `openssl s_server` on loopback:
//! pinned `openssl req -x509` certificates of three key types over TLS 1.2 and 1.3, and the
//! Ed448 TLS 1.2 server, which must refuse cleanly (no provider verifies Ed448, so tlspin never
//! advertises it), as it does under rustls 0.23 (`tests/openssl.rs`).

mod common;

use core::hash::Hasher;
use std::sync::Arc;

use common::openssl_peer::{req_x509, SServer};
use common::*;
use rustls::client::danger::{
    HandshakeSignatureValid, ServerIdentity, ServerVerifier, SignatureVerificationInput,
};
use rustls::crypto::{SignatureScheme, VerifiedIdentity};
use rustls::enums::ProtocolVersion;
use rustls::error::{AlertDescription, PeerMisbehaved};
use tlspin::Pin;
use tlspin_rustls024::PinnedServerVerifier;

fn pin_of(cert: &std::path::Path) -> Pin {
    let certs = tlspin::certs_from_pem_file(cert).expect("openssl wrote a certificate");
    Pin::from_cert_der(certs.first().expect("one certificate")).expect("it parses")
}

#[test]
fn pinned_openssl_servers_across_key_types_and_versions() {
    let key_types: [(&str, &[&str]); 3] = [
        (
            "P-256",
            &["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"],
        ),
        ("Ed25519", &["-newkey", "ed25519"]),
        ("RSA 2048", &["-newkey", "rsa:2048"]),
    ];
    for (key_name, newkey) in key_types {
        let dir = tempfile::tempdir().unwrap();
        let (cert, key) = req_x509(dir.path(), newkey);
        let pin = pin_of(&cert);
        for (version_name, version, flag) in [
            ("TLS 1.2", ProtocolVersion::TLSv1_2, "-tls1_2"),
            ("TLS 1.3", ProtocolVersion::TLSv1_3, "-tls1_3"),
        ] {
            let server = SServer::start(&cert, &key, &[flag]);
            for (name, provider) in providers() {
                let verifier = PinnedServerVerifier::new(provider.clone(), [pin]).unwrap();
                let config = client_config(provider, verifier, None);
                let negotiated = connect_loopback(server.port, config)
                    .unwrap_or_else(|e| panic!("{name} {key_name} {version_name}: {e:?}"));
                assert_eq!(negotiated, version, "{name} {key_name}");
            }
        }
    }
}

/// The contrast: tlspin's verifier with Ed448 added to what it advertises, as a hand-written
/// scheme list has it (reqwest 0.12's, `tests/common/contrast.rs`). Everything else delegates.
#[derive(Debug)]
struct AdvertisesEd448(Arc<PinnedServerVerifier>);

impl ServerVerifier for AdvertisesEd448 {
    fn verify_identity<'a>(
        &self,
        identity: &ServerIdentity<'a, '_>,
    ) -> Result<VerifiedIdentity<'a>, rustls::Error> {
        self.0.verify_identity(identity)
    }

    fn verify_tls12_signature(
        &self,
        input: &SignatureVerificationInput<'_>,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls12_signature(input)
    }

    fn verify_tls13_signature(
        &self,
        input: &SignatureVerificationInput<'_>,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls13_signature(input)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        let mut schemes = self.0.supported_verify_schemes();
        schemes.push(SignatureScheme::ED448);
        schemes
    }

    fn request_ocsp_response(&self) -> bool {
        false
    }

    fn hash_config(&self, h: &mut dyn Hasher) {
        self.0.hash_config(h);
    }
}

/// The seed's server: TLS 1.2, only an Ed448 certificate. A verifier advertising Ed448 without
/// verifying it dies with `PeerMisbehaved(SignedKxWithWrongAlgorithm)` (the contrast, under
/// rustls 0.24 too); tlspin's, on either provider, gets the server's clean `handshake_failure`.
#[test]
fn ed448_tls12_server_fails_cleanly_not_with_peer_misbehaved() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = req_x509(dir.path(), &["-newkey", "ed448"]);
    let server = SServer::start(&cert, &key, &["-tls1_2"]);
    for (name, provider) in providers() {
        let verifier = PinnedServerVerifier::new(provider.clone(), [pin_of(&cert)]).unwrap();
        let contrast = Arc::new(AdvertisesEd448(verifier.clone()));
        let config = client_config(provider.clone(), contrast, None);
        let error = connect_loopback(server.port, config).unwrap_err();
        assert_eq!(
            error,
            rustls::Error::PeerMisbehaved(PeerMisbehaved::SignedKxWithWrongAlgorithm),
            "{name}: the contrast no longer reproduces the seed's error"
        );

        let config = client_config(provider, verifier, None);
        let error = connect_loopback(server.port, config).unwrap_err();
        assert_eq!(
            error,
            rustls::Error::AlertReceived(AlertDescription::HandshakeFailure),
            "{name}"
        );
    }
}
