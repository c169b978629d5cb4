//! The `danger` verifiers: what each accepts, and what each still refuses.

mod common;

use std::sync::Arc;

use common::contrast::HandWritten;
use common::*;
use rustls::client::WebPkiServerVerifier;
use rustls::CertificateError;
use tlspin::danger::{AcceptAnyServerCert, IgnoreServerName};

#[test]
fn accept_any_accepts_unknown_certificates() {
    for (name, provider) in providers() {
        for kind in [KeyType::EcdsaP384, KeyType::Ed25519, KeyType::Rsa2048] {
            let cert = self_signed_with(kind, leaf_params(&["anything.example"]));
            for (version_name, version) in VERSIONS {
                let verifier = AcceptAnyServerCert::new(provider.clone()).unwrap();
                let outcome = handshake(
                    client_config(&provider, version, verifier),
                    ServerSetup::new(&provider, &cert).build(),
                    "localhost",
                );
                assert!(
                    outcome.negotiated().scheme.is_some(),
                    "{name} {kind:?} {version_name}"
                );
            }
        }
    }
}

/// The difference between `AcceptAnyServerCert` and the hand-written "accept everything"
/// verifier: a peer that presents someone else's certificate without its key is refused.
#[test]
fn accept_any_still_verifies_the_handshake_signature() {
    for (name, provider) in providers() {
        let real = server_cert(KeyType::EcdsaP256);
        let attacker = self_signed_with(KeyType::EcdsaP256, leaf_params(&["localhost"]));
        for (version_name, version) in VERSIONS {
            let impostor = || impostor(&provider, &real, &attacker);
            let verifier = AcceptAnyServerCert::new(provider.clone()).unwrap();
            let outcome = handshake(
                client_config(&provider, version, verifier),
                impostor(),
                "localhost",
            );
            assert_eq!(
                outcome.client_error(),
                &rustls::Error::InvalidCertificate(CertificateError::BadSignature),
                "{name} {version_name}"
            );
            let contrast = client_config(&provider, version, Arc::new(HandWritten::reqwest()));
            handshake(contrast, impostor(), "localhost").negotiated();
        }
    }
}

#[test]
fn ignore_server_name_tolerates_only_the_name() {
    for (name, provider) in providers() {
        let wrong_name = test_ca().issue(KeyType::EcdsaP256, &["other.example"]);
        let stock = WebPkiServerVerifier::builder_with_provider(test_roots(), provider.clone())
            .build()
            .unwrap();
        for (version_name, version) in VERSIONS {
            let verifier = IgnoreServerName::new(test_roots(), provider.clone()).unwrap();
            let outcome = handshake(
                client_config(&provider, version, verifier),
                ServerSetup::new(&provider, &wrong_name).build(),
                "localhost",
            );
            outcome.negotiated();

            // The stock verifier refuses exactly this certificate for the name alone.
            let outcome = handshake(
                client_config(&provider, version, stock.clone()),
                ServerSetup::new(&provider, &wrong_name).build(),
                "localhost",
            );
            assert!(
                matches!(
                    outcome.client_error(),
                    rustls::Error::InvalidCertificate(
                        CertificateError::NotValidForNameContext { .. }
                    )
                ),
                "{name} {version_name}: {:?}",
                outcome.client
            );
        }
    }
}

#[test]
fn ignore_server_name_still_rejects_everything_else() {
    for (name, provider) in providers() {
        let untrusted = self_signed_with(KeyType::EcdsaP256, leaf_params(&["localhost"]));
        let mut expired = leaf_params(&["localhost"]);
        expired.not_after = rcgen::date_time_ymd(2025, 6, 1);
        let expired = test_ca().issue_with(KeyType::EcdsaP256, expired);
        let real = server_cert(KeyType::EcdsaP256);
        let attacker = self_signed_with(KeyType::EcdsaP256, leaf_params(&["localhost"]));

        for (version_name, version) in VERSIONS {
            let verifier = IgnoreServerName::new(test_roots(), provider.clone()).unwrap();
            let outcome = handshake(
                client_config(&provider, version, verifier.clone()),
                ServerSetup::new(&provider, &untrusted).build(),
                "localhost",
            );
            assert_eq!(
                outcome.client_error(),
                &rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer),
                "{name} {version_name}"
            );

            let outcome = handshake(
                client_config(&provider, version, verifier.clone()),
                ServerSetup::new(&provider, &expired).build(),
                "localhost",
            );
            assert!(
                matches!(
                    outcome.client_error(),
                    rustls::Error::InvalidCertificate(CertificateError::ExpiredContext { .. })
                ),
                "{name} {version_name}: {:?}",
                outcome.client
            );

            let outcome = handshake(
                client_config(&provider, version, verifier),
                impostor(&provider, &real, &attacker),
                "localhost",
            );
            assert_eq!(
                outcome.client_error(),
                &rustls::Error::InvalidCertificate(CertificateError::BadSignature),
                "{name} {version_name}"
            );
        }
    }
}

#[test]
fn ignore_server_name_needs_roots() {
    for (_, provider) in providers() {
        let err = IgnoreServerName::new(rustls::RootCertStore::empty(), provider).unwrap_err();
        assert!(matches!(err, tlspin::Error::NoRootCertificates), "{err}");
        assert!(err
            .to_string()
            .contains("expected at least one trust anchor"));
    }
}
