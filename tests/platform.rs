//! The operating system's trust plus pins (feature `platform`), driving the real
//! rustls-platform-verifier code path: on Linux it trusts what `SSL_CERT_FILE` names, so the
//! test points it at the tests' CA.
#![cfg(feature = "platform")]

mod common;

use std::sync::Arc;

use common::*;
use rustls::client::danger::ServerCertVerifier;
use rustls::pki_types::CertificateDer;
use rustls::CertificateError;
use tlspin::platform::PlatformPinnedVerifier;
use tlspin::{Pin, PinMismatch};

/// One test, because it changes this process's environment.
#[test]
fn the_platform_decides_trust_and_the_pins_must_match_on_the_validated_path() {
    let dir = tempfile::tempdir().unwrap();
    let bundle = dir.path().join("roots.pem");
    std::fs::write(&bundle, &test_ca().cert.pem).unwrap();
    std::env::remove_var("SSL_CERT_DIR");
    std::env::set_var("SSL_CERT_FILE", &bundle);

    let leaf = server_cert(KeyType::EcdsaP256);
    let other_leaf = test_ca().issue(KeyType::EcdsaP256, &["localhost"]);
    let self_signed = self_signed_with(KeyType::EcdsaP256, leaf_params(&["localhost"]));
    let rogue_ca = TestCa::new(KeyType::EcdsaP256, "rogue CA");
    let rogue_leaf = rogue_ca.issue(KeyType::EcdsaP256, &["localhost"]);

    for (name, provider) in providers() {
        assert!(matches!(
            PlatformPinnedVerifier::new(provider.clone(), []),
            Err(tlspin::Error::NoPins)
        ));
        let verifier = |pins: &[Pin]| -> Arc<dyn ServerCertVerifier> {
            PlatformPinnedVerifier::new(provider.clone(), pins.iter().copied()).unwrap()
        };
        for (version_name, version) in VERSIONS {
            let context = format!("{name} {version_name}");
            let run = |verifier: Arc<dyn ServerCertVerifier>,
                       presented: &TestCert,
                       chain: Vec<CertificateDer<'static>>| {
                let mut server = ServerSetup::new(&provider, presented);
                server.identity.chain = chain;
                handshake(
                    client_config(&provider, version, verifier),
                    server.build(),
                    "localhost",
                )
            };
            let unrelated = Pin::from_sha256([7; 32]);

            // Trusted and pinned: by the CA on the path, or by the leaf.
            for pins in [[test_ca().cert.pin, unrelated], [leaf.pin, unrelated]] {
                run(verifier(&pins), &leaf, vec![leaf.der.clone()]).negotiated();
            }
            // Trusted, not pinned.
            let outcome = run(verifier(&[unrelated]), &leaf, vec![leaf.der.clone()]);
            let error = outcome.client_error();
            assert!(
                PinMismatch::from_rustls(error).is_some(),
                "{context}: {error:?}"
            );
            // Pinned, not trusted: the platform's own error.
            let outcome = run(
                verifier(&[self_signed.pin]),
                &self_signed,
                vec![self_signed.der.clone()],
            );
            assert_eq!(
                outcome.client_error(),
                &rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer),
                "{context}"
            );
            // A pinned certificate appended to a trusted chain is not on the validated path.
            let outcome = run(
                verifier(&[other_leaf.pin]),
                &leaf,
                vec![leaf.der.clone(), other_leaf.der.clone()],
            );
            let error = outcome.client_error();
            assert!(
                PinMismatch::from_rustls(error).is_some(),
                "{context}: {error:?}"
            );
            // A rogue chain with the pinned, trusted leaf appended: the platform refuses it.
            let outcome = run(
                verifier(&[leaf.pin, test_ca().cert.pin]),
                &rogue_leaf,
                vec![
                    rogue_leaf.der.clone(),
                    leaf.der.clone(),
                    test_ca().cert.der.clone(),
                ],
            );
            assert_eq!(
                outcome.client_error(),
                &rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer),
                "{context}"
            );
            // The verifier advertises its provider's schemes, not the platform verifier's.
            let advertised = verifier(&[unrelated]).supported_verify_schemes();
            assert_eq!(
                advertised,
                provider
                    .signature_verification_algorithms
                    .supported_schemes(),
                "{context}"
            );
        }
    }

    // Without any system root there is no platform verifier, and so no verifier.
    std::env::set_var("SSL_CERT_FILE", dir.path().join("missing.pem"));
    let error = PlatformPinnedVerifier::new(providers()[0].1.clone(), [leaf.pin]).unwrap_err();
    assert!(matches!(error, tlspin::Error::Rustls(_)), "{error}");
    assert!(error.to_string().contains("No CA certificates"), "{error}");
    std::env::remove_var("SSL_CERT_FILE");
}
