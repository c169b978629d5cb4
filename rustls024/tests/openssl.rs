//! rustls 0.24 clients with tlspin's pinned verifier against `openssl s_server` on loopback:
//! pinned `openssl req -x509` certificates of three key types over TLS 1.2 and 1.3, and the
//! Ed448 TLS 1.2 server, which must refuse cleanly (no provider verifies Ed448, so tlspin never
//! advertises it), as it does under rustls 0.23 (`tests/openssl.rs`).

mod common;

use common::openssl_peer::{req_x509, SServer};
use common::*;
use rustls::enums::ProtocolVersion;
use rustls::error::AlertDescription;
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

/// The seed's server: TLS 1.2, only an Ed448 certificate. A verifier advertising Ed448 without
/// verifying it dies with `PeerMisbehaved(SignedKxWithWrongAlgorithm)`; tlspin's, on either
/// provider, gets the server's clean `handshake_failure` alert.
#[test]
fn ed448_tls12_server_fails_cleanly_not_with_peer_misbehaved() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = req_x509(dir.path(), &["-newkey", "ed448"]);
    let server = SServer::start(&cert, &key, &["-tls1_2"]);
    for (name, provider) in providers() {
        let verifier = PinnedServerVerifier::new(provider.clone(), [pin_of(&cert)]).unwrap();
        let config = client_config(provider, verifier, None);
        let error = connect_loopback(server.port, config).unwrap_err();
        assert_eq!(
            error,
            rustls::Error::AlertReceived(AlertDescription::HandshakeFailure),
            "{name}"
        );
    }
}
