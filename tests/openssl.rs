//! Against the real `openssl` binary: pins agree with OpenSSL's pipeline (issue invariant on
//! `Pin`), the Ed448 `s_server` regression (invariant 5), and `openssl req -x509` certificates
//! (invariant 8).

mod common;

use std::path::Path;
use std::sync::Arc;

use common::contrast::HandWritten;
use common::openssl_peer::{openssl, req_x509, shell, SServer};
use common::*;
use rustls::client::danger::ServerCertVerifier;
use rustls::client::WebPkiServerVerifier;
use rustls::{AlertDescription, CertificateError, ClientConfig, PeerMisbehaved, RootCertStore};
use tlspin::danger::{AcceptAnyServerCert, IgnoreServerName};
use tlspin::{Pin, PinnedServerVerifier};

/// The pin as the OpenSSL pipeline from the README prints it.
fn openssl_pin(cert: &Path) -> String {
    let pin = shell(&format!(
        "openssl x509 -pubkey -noout -in '{}' | openssl pkey -pubin -outform der \
         | openssl dgst -sha256 -binary | base64",
        cert.display()
    ));
    format!("sha256/{pin}")
}

fn tlspin_pin(cert: &Path) -> Pin {
    let certs = tlspin::certs_from_pem_file(cert).unwrap();
    Pin::from_cert_der(&certs[0]).unwrap()
}

#[test]
fn pin_equals_the_openssl_pipeline() {
    let dir = tempfile::tempdir().unwrap();
    let key_types: [&[&str]; 7] = [
        &["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"],
        &["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-384"],
        &["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-521"],
        &["-newkey", "ed25519"],
        &["-newkey", "ed448"],
        &["-newkey", "rsa:2048"],
        &["-newkey", "rsa-pss", "-pkeyopt", "rsa_keygen_bits:2048"],
    ];
    for newkey in key_types {
        let (cert, _) = req_x509(dir.path(), newkey);
        assert_eq!(
            tlspin_pin(&cert).to_string(),
            openssl_pin(&cert),
            "{newkey:?}"
        );
    }
    // And certificates tlspin's tests make with rcgen.
    for kind in KeyType::CLASSIC {
        let cert = server_cert(kind);
        let path = dir.path().join("rcgen.pem");
        std::fs::write(&path, &cert.pem).unwrap();
        assert_eq!(cert.pin.to_string(), openssl_pin(&path), "{kind:?}");
        assert_eq!(tlspin_pin(&path), cert.pin);
    }
}

/// tlspin's verifiers for a server whose only certificate is `cert`.
fn tlspin_verifiers(
    provider: &Arc<rustls::crypto::CryptoProvider>,
    cert: &Path,
) -> Vec<(&'static str, Arc<dyn ServerCertVerifier>)> {
    let certs = tlspin::certs_from_pem_file(cert).unwrap();
    let mut roots = RootCertStore::empty();
    roots.add(certs[0].clone()).unwrap();
    vec![
        (
            "pinned",
            PinnedServerVerifier::builder(provider.clone())
                .pin(tlspin_pin(cert))
                .check_validity(false)
                .build()
                .unwrap(),
        ),
        (
            "accept-any",
            AcceptAnyServerCert::new(provider.clone()).unwrap(),
        ),
        (
            "ignore-name",
            IgnoreServerName::new(roots, provider.clone()).unwrap(),
        ),
    ]
}

fn client(
    provider: &Arc<rustls::crypto::CryptoProvider>,
    verifier: Arc<dyn ServerCertVerifier>,
) -> ClientConfig {
    ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .unwrap()
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth()
}

/// The seed's error, still reproducible on rustls 0.23: a TLS 1.2 server whose only certificate
/// is Ed448. reqwest's hand-written list advertises ED448, the server signs its key exchange
/// with it, and rustls aborts with `SignedKxWithWrongAlgorithm`. A tlspin verifier never
/// advertises Ed448 (no provider verifies it), so the server refuses cleanly.
#[test]
fn ed448_tls12_server_fails_cleanly_not_with_peer_misbehaved() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = req_x509(dir.path(), &["-newkey", "ed448"]);
    let server = SServer::start(&cert, &key, &["-tls1_2"]);
    for (name, provider) in providers() {
        let error = server
            .connect(client(&provider, Arc::new(HandWritten::reqwest())))
            .unwrap_err();
        assert_eq!(
            error,
            rustls::Error::PeerMisbehaved(PeerMisbehaved::SignedKxWithWrongAlgorithm),
            "{name}: the hand-written contrast no longer reproduces the seed's error"
        );
        assert_eq!(
            tlspin::explain(&error).kind,
            tlspin::FailureKind::SignatureSchemeMismatch,
            "{name}: {}",
            tlspin::explain(&error)
        );
        for (kind, verifier) in tlspin_verifiers(&provider, &cert) {
            let error = server.connect(client(&provider, verifier)).unwrap_err();
            assert_eq!(
                error,
                rustls::Error::AlertReceived(AlertDescription::HandshakeFailure),
                "{name} {kind}"
            );
        }
    }
}

/// `openssl req -x509` marks its certificate `CA:TRUE`. Pinned, it works; as a root for the
/// stock WebPKI verifier it fails with `CaUsedAsEndEntity`, the most common complaint.
#[test]
fn openssl_req_x509_certificate_pins_but_fails_as_a_root() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = req_x509(
        dir.path(),
        &["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"],
    );
    let text = String::from_utf8(openssl(&[
        "x509",
        "-noout",
        "-text",
        "-in",
        cert.to_str().unwrap(),
    ]))
    .unwrap();
    assert!(
        text.contains("CA:TRUE"),
        "openssl's defaults changed:\n{text}"
    );

    let server = SServer::start(&cert, &key, &[]);
    for (name, provider) in providers() {
        let config = tlspin::pinned_client_config(provider.clone(), [tlspin_pin(&cert)]).unwrap();
        let negotiated = server.connect(config).unwrap();
        assert_eq!(
            negotiated.version,
            rustls::ProtocolVersion::TLSv1_3,
            "{name}"
        );

        let mut roots = RootCertStore::empty();
        roots
            .add(tlspin::certs_from_pem_file(&cert).unwrap().remove(0))
            .unwrap();
        let stock = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
            .build()
            .unwrap();
        let error = server.connect(client(&provider, stock)).unwrap_err();
        match &error {
            rustls::Error::InvalidCertificate(CertificateError::Other(other)) => {
                assert_eq!(
                    other.0.downcast_ref::<webpki::Error>(),
                    Some(&webpki::Error::CaUsedAsEndEntity),
                    "{name}: {error}"
                );
            }
            _ => panic!("{name}: expected CaUsedAsEndEntity, got {error:?}"),
        }
    }
}

/// Public-key files as `openssl pkey -pubout` writes them (PEM and DER) pin exactly as the
/// OpenSSL pipeline computes, and as the certificate carrying the key; a curl list of such pins
/// reads back in order.
#[test]
fn public_key_files_pin_as_openssl_computes() {
    let dir = tempfile::tempdir().unwrap();
    let key_types: [&[&str]; 6] = [
        &["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"],
        &["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-384"],
        &["-newkey", "ed25519"],
        &["-newkey", "ed448"],
        &["-newkey", "rsa:2048"],
        &["-newkey", "rsa-pss", "-pkeyopt", "rsa_keygen_bits:2048"],
    ];
    let mut pins = Vec::new();
    for newkey in key_types {
        let (cert, key) = req_x509(dir.path(), newkey);
        let public_pem = dir.path().join("public.pem");
        let public_der = dir.path().join("public.der");
        let key = key.to_str().unwrap();
        openssl(&[
            "pkey",
            "-in",
            key,
            "-pubout",
            "-out",
            public_pem.to_str().unwrap(),
        ]);
        let der_args = ["-outform", "der", "-out", public_der.to_str().unwrap()];
        openssl(&[&["pkey", "-in", key, "-pubout"][..], &der_args[..]].concat());
        let expected = shell(&format!(
            "openssl pkey -pubin -in '{}' -outform der | openssl dgst -sha256 -binary | base64",
            public_pem.display()
        ));
        let from_pem = Pin::from_public_key_file(&public_pem).unwrap();
        assert_eq!(
            from_pem.to_string(),
            format!("sha256/{expected}"),
            "{newkey:?}"
        );
        assert_eq!(Pin::from_public_key_file(&public_der).unwrap(), from_pem);
        assert_eq!(tlspin_pin(&cert), from_pem, "{newkey:?}");
        pins.push(from_pem);
    }
    let list: Vec<String> = pins.iter().map(Pin::to_curl_string).collect();
    assert_eq!(Pin::from_curl_list(&list.join(";")).unwrap(), pins);

    // A certificate, or a private key, given as a public key is refused with the way out.
    let (cert, key) = req_x509(dir.path(), &["-newkey", "ed25519"]);
    let error = Pin::from_public_key_file(&cert).unwrap_err().to_string();
    assert!(error.contains("Pin::from_cert_der"), "{error}");
    let error = Pin::from_public_key_file(&key).unwrap_err().to_string();
    assert!(error.contains("openssl pkey -pubout"), "{error}");
    let missing = dir.path().join("missing.pem");
    assert!(matches!(
        Pin::from_public_key_file(&missing),
        Err(tlspin::Error::Io { .. })
    ));
}
