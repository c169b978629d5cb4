//! rustls 0.24 clients with tlspin's pinned verifier against `openssl s_server` on loopback:
//! pinned `openssl req -x509` certificates of three key types over TLS 1.2 and 1.3, and the
//! Ed448 TLS 1.2 server, which must refuse cleanly (no provider verifies Ed448, so tlspin never
//! advertises it), as it does under rustls 0.23 (`tests/openssl.rs`); and trust on first use of
//! an `openssl s_server`, recorded after its handshake signature and then pinned.

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
use tlspin::tofu::KnownHosts;
use tlspin::Pin;
use tlspin_rustls024::{known_host_mismatch, PinnedServerVerifier, TofuVerifier};

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

/// Trust on first use against real `openssl s_server`s: the first server's key is recorded
/// (after its handshake signature verified) and accepted again; a server with another key
/// answering for the same `localhost:port` (here: on another loopback port, verified as the
/// first one's) is refused with the stored and presented pins.
#[test]
fn tofu_records_an_openssl_server_then_refuses_another_key() {
    let dir = tempfile::tempdir().unwrap();
    let first_dir = dir.path().join("first");
    let other_dir = dir.path().join("other");
    std::fs::create_dir_all(&first_dir).unwrap();
    std::fs::create_dir_all(&other_dir).unwrap();
    let p256 = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"];
    let (cert, key) = req_x509(&first_dir, &p256);
    let (other_cert, other_key) = req_x509(&other_dir, &["-newkey", "ed25519"]);
    for (version_name, flag) in [("TLS 1.2", "-tls1_2"), ("TLS 1.3", "-tls1_3")] {
        let server = SServer::start(&cert, &key, &[flag]);
        let impostor = SServer::start(&other_cert, &other_key, &[flag]);
        for (name, provider) in providers() {
            let label = format!("{name} {version_name}");
            let store_dir = tempfile::tempdir().unwrap();
            let store = KnownHosts::open(store_dir.path().join("known_hosts")).unwrap();
            let verifier = TofuVerifier::new(&store, provider.clone(), server.port).unwrap();
            let connect = |port: u16| {
                connect_loopback(
                    port,
                    client_config(provider.clone(), verifier.clone(), None),
                )
            };
            connect(server.port).unwrap_or_else(|e| panic!("{label}: first use: {e:?}"));
            let recorded = store.get("localhost", server.port).unwrap();
            assert_eq!(recorded.map(|r| r.pin), Some(pin_of(&cert)), "{label}");
            connect(server.port).unwrap_or_else(|e| panic!("{label}: known key: {e:?}"));
            let error = connect(impostor.port).unwrap_err();
            let mismatch =
                known_host_mismatch(&error).unwrap_or_else(|| panic!("{label}: {error:?}"));
            assert_eq!(mismatch.stored().pin, pin_of(&cert), "{label}");
            assert_eq!(mismatch.presented(), pin_of(&other_cert), "{label}");
        }
    }
}
