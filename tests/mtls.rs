//! The pinned client-certificate verifier (mTLS), over real handshakes.

mod common;

use std::sync::Arc;

use common::*;
use rustls::server::danger::ClientCertVerifier;
use rustls::{AlertDescription, CertificateError, ServerConfig};
use tlspin::danger::AcceptAnyServerCert;
use tlspin::{PinMismatch, PinnedClientVerifier, ServerConfigBuilderExt};

fn server_requiring(
    provider: &Arc<rustls::crypto::CryptoProvider>,
    pin: tlspin::Pin,
) -> (ServerConfig, SchemeLog) {
    let mut server = ServerSetup::new(provider, &server_cert(KeyType::EcdsaP256));
    server.client_verifier = Some(
        PinnedClientVerifier::builder(provider.clone())
            .pin(pin)
            .build()
            .unwrap(),
    );
    server.build()
}

fn client_presenting(
    provider: &Arc<rustls::crypto::CryptoProvider>,
    version: &'static rustls::SupportedProtocolVersion,
    identity: Option<Identity>,
) -> rustls::ClientConfig {
    let server_verifier = AcceptAnyServerCert::new(provider.clone()).unwrap();
    client_config_with_identity(provider, version, server_verifier, identity).0
}

#[test]
fn offers_and_requires_client_auth() {
    for (_, provider) in providers() {
        let verifier = PinnedClientVerifier::builder(provider)
            .pin(tlspin::Pin::from_sha256([0; 32]))
            .build()
            .unwrap();
        assert!(verifier.offer_client_auth());
        assert!(verifier.client_auth_mandatory());
        assert!(verifier.root_hint_subjects().is_empty());
    }
}

#[test]
fn accepts_a_pinned_client_for_every_key_type() {
    for (name, provider) in providers() {
        for kind in [
            KeyType::EcdsaP256,
            KeyType::EcdsaP384,
            KeyType::Ed25519,
            KeyType::Rsa2048,
        ] {
            let client_cert = self_signed_with(kind, leaf_params(&["client"]));
            for (version_name, version) in VERSIONS {
                let outcome = handshake(
                    client_presenting(&provider, version, Some(Identity::of(&client_cert))),
                    server_requiring(&provider, client_cert.pin),
                    "localhost",
                );
                assert_eq!(
                    outcome.negotiated().version,
                    version.version,
                    "{name} {kind:?} {version_name}"
                );
            }
        }
    }
}

#[test]
fn server_config_extension_uses_the_builders_provider() {
    for (name, provider) in providers() {
        let client_cert = self_signed_with(KeyType::EcdsaP256, leaf_params(&["client"]));
        let server_cert = server_cert(KeyType::EcdsaP256);
        let mut config = ServerConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_client_pins([client_cert.pin])
            .unwrap()
            .with_single_cert(vec![server_cert.der.clone()], server_cert.key_der())
            .unwrap();
        config.time_provider = Arc::new(FixedTime(test_time()));
        for (version_name, version) in VERSIONS {
            let outcome = handshake(
                client_presenting(&provider, version, Some(Identity::of(&client_cert))),
                (config.clone(), SchemeLog::default()),
                "localhost",
            );
            outcome.negotiated();
            let stranger = self_signed_with(KeyType::EcdsaP256, leaf_params(&["client"]));
            let outcome = handshake(
                client_presenting(&provider, version, Some(Identity::of(&stranger))),
                (config.clone(), SchemeLog::default()),
                "localhost",
            );
            assert!(
                PinMismatch::from_rustls(outcome.server_error()).is_some(),
                "{name} {version_name}: {:?}",
                outcome.server
            );
        }
    }
}

#[test]
fn rejects_a_client_with_the_wrong_pin() {
    for (name, provider) in providers() {
        let pinned = self_signed_with(KeyType::EcdsaP256, leaf_params(&["client"]));
        let other = self_signed_with(KeyType::EcdsaP256, leaf_params(&["client"]));
        for (version_name, version) in VERSIONS {
            let outcome = handshake(
                client_presenting(&provider, version, Some(Identity::of(&other))),
                server_requiring(&provider, pinned.pin),
                "localhost",
            );
            let error = outcome.server_error();
            let mismatch = PinMismatch::from_rustls(error)
                .unwrap_or_else(|| panic!("{name} {version_name}: {error:?}"));
            assert_eq!(mismatch.peer(), tlspin::Peer::Client);
            assert_eq!(mismatch.expected(), &[pinned.pin]);
            assert_eq!(mismatch.leaf_pin(), Some(other.pin));
            assert!(
                error
                    .to_string()
                    .contains("the client's leaf certificate key"),
                "{error}"
            );
            assert_eq!(
                outcome.client_error(),
                &rustls::Error::AlertReceived(AlertDescription::CertificateUnknown)
            );
        }
    }
}

#[test]
fn rejects_a_client_without_a_certificate() {
    for (name, provider) in providers() {
        let pinned = self_signed_with(KeyType::EcdsaP256, leaf_params(&["client"]));
        for (version_name, version) in VERSIONS {
            let outcome = handshake(
                client_presenting(&provider, version, None),
                server_requiring(&provider, pinned.pin),
                "localhost",
            );
            assert_eq!(
                outcome.server_error(),
                &rustls::Error::NoCertificatesPresented,
                "{name} {version_name}"
            );
            assert_eq!(
                outcome.client_error(),
                &rustls::Error::AlertReceived(AlertDescription::CertificateRequired)
            );
        }
    }
}

#[test]
fn rejects_a_client_presenting_the_pinned_certificate_without_its_key() {
    for (name, provider) in providers() {
        let pinned = self_signed_with(KeyType::EcdsaP256, leaf_params(&["client"]));
        let attacker = self_signed_with(KeyType::EcdsaP256, leaf_params(&["client"]));
        for (version_name, version) in VERSIONS {
            let mut identity = Identity::of(&pinned);
            identity.key = attacker.key_der();
            let outcome = handshake(
                client_presenting(&provider, version, Some(identity)),
                server_requiring(&provider, pinned.pin),
                "localhost",
            );
            assert_eq!(
                outcome.server_error(),
                &rustls::Error::InvalidCertificate(CertificateError::BadSignature),
                "{name} {version_name}"
            );
        }
    }
}

#[test]
fn rejects_an_expired_client_certificate() {
    for (name, provider) in providers() {
        let mut params = leaf_params(&["client"]);
        params.not_before = rcgen::date_time_ymd(2020, 1, 1);
        params.not_after = rcgen::date_time_ymd(2025, 1, 1);
        let expired = self_signed_with(KeyType::Ed25519, params);
        for (version_name, version) in VERSIONS {
            let outcome = handshake(
                client_presenting(&provider, version, Some(Identity::of(&expired))),
                server_requiring(&provider, expired.pin),
                "localhost",
            );
            assert!(
                matches!(
                    outcome.server_error(),
                    rustls::Error::InvalidCertificate(CertificateError::ExpiredContext { .. })
                ),
                "{name} {version_name}: {:?}",
                outcome.server
            );
        }
    }
}
