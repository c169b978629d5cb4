//! Loading certificates and computing pins: the inputs users hand to tlspin.

mod common;

use common::*;
use rustls::server::ParsedCertificate;
use tlspin::{certs_from_pem, certs_from_pem_file, Error, Pin};

#[test]
fn pin_agrees_with_webpki_spki_for_every_key_type() {
    for kind in KeyType::CLASSIC.into_iter().chain([KeyType::MlDsa65]) {
        let cert = server_cert(kind);
        let parsed = ParsedCertificate::try_from(&cert.der).unwrap();
        assert_eq!(
            Pin::from(&parsed.subject_public_key_info()),
            Pin::from_cert_der(&cert.der).unwrap(),
            "{kind:?}"
        );
    }
}

#[test]
fn malformed_certificate_says_where_and_what() {
    let cert = server_cert(KeyType::EcdsaP256);
    let truncated = rustls::pki_types::CertificateDer::from(cert.der[..100].to_vec());
    match Pin::from_cert_der(&truncated).unwrap_err() {
        Error::InvalidCertificate {
            offset,
            expected,
            found,
        } => {
            assert_eq!(offset, 0);
            assert_eq!(expected, "a certificate (DER SEQUENCE, tag 0x30)");
            assert!(found.contains("bytes with only 96 left"), "{found}");
        }
        other => panic!("{other}"),
    }
    let err = Pin::from_cert_der(&cert.pem.as_bytes().to_vec().into()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "malformed certificate: expected a certificate (DER SEQUENCE, tag 0x30) at byte 0, \
         found tag 0x2d"
    );
}

#[test]
fn pem_text_yields_every_certificate_in_order_and_skips_keys() {
    let a = server_cert(KeyType::EcdsaP256);
    let b = server_cert(KeyType::Ed25519);
    let key_pem =
        "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIA==\n-----END PRIVATE KEY-----\n";
    let text = format!("{}{key_pem}{}", a.pem, b.pem);
    let certs = certs_from_pem(&text).unwrap();
    assert_eq!(certs, vec![a.der.clone(), b.der.clone()]);
}

#[test]
fn pem_without_certificates_is_an_error() {
    let key_pem =
        "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIA==\n-----END PRIVATE KEY-----\n";
    for input in ["", "not pem at all", key_pem] {
        let err = certs_from_pem(input).unwrap_err();
        assert!(
            matches!(err, Error::NoCertificatesInPem { .. }),
            "{input:?}: {err}"
        );
        assert!(err.to_string().contains("expected at least one"), "{err}");
    }
}

#[test]
fn malformed_pem_is_an_error() {
    let broken = "-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n";
    let err = certs_from_pem(broken).unwrap_err();
    assert!(matches!(err, Error::Pem { .. }), "{err}");
    assert!(err.to_string().contains("the given PEM text"), "{err}");

    let unterminated = "-----BEGIN CERTIFICATE-----\nMIIB\n";
    let err = certs_from_pem(unterminated).unwrap_err();
    assert!(matches!(err, Error::Pem { .. }), "{err}");
}

#[test]
fn pem_files_are_read_and_missing_files_named() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("server.pem");
    let cert = server_cert(KeyType::EcdsaP384);
    std::fs::write(&path, &cert.pem).unwrap();
    assert_eq!(certs_from_pem_file(&path).unwrap(), vec![cert.der.clone()]);

    let missing = dir.path().join("missing.pem");
    let err = certs_from_pem_file(&missing).unwrap_err();
    assert!(matches!(err, Error::Io { .. }), "{err}");
    assert!(err.to_string().contains("missing.pem"), "{err}");
    assert!(std::error::Error::source(&err).is_some());

    std::fs::write(&path, "no certificates here").unwrap();
    let err = certs_from_pem_file(&path).unwrap_err();
    assert!(err.to_string().contains("server.pem"), "{err}");
}

#[test]
fn long_pin_input_is_truncated_in_the_message() {
    let input = format!("sha256/{}", "A".repeat(10_000));
    let message = input.parse::<Pin>().unwrap_err().to_string();
    assert!(message.len() < 600, "{} bytes", message.len());
    assert!(
        message.contains("decodes to 7500 bytes instead of 32"),
        "{message}"
    );
}

/// Without the `fips` feature nothing runs in a FIPS module, and no verifier claims it does.
#[cfg(not(feature = "fips"))]
#[test]
fn without_the_fips_feature_no_verifier_claims_fips() {
    for (name, provider) in providers() {
        let pin = tlspin::Pin::from_sha256([1; 32]);
        let verifier = tlspin::PinnedServerVerifier::builder(provider.clone())
            .pin(pin)
            .build()
            .unwrap();
        assert!(!verifier.fips(), "{name}");
        let client = tlspin::PinnedClientVerifier::builder(provider)
            .pin(pin)
            .build()
            .unwrap();
        assert!(!client.fips(), "{name}");
    }
}
