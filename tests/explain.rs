//! `tlspin::explain` on the errors real handshakes return (in memory, both sides rustls, once per
//! provider). The `SignedKxWithWrongAlgorithm` case needs a peer rustls cannot be (an Ed448
//! server): `tests/openssl.rs` explains that one against `openssl s_server`.

mod common;

use std::sync::Arc;

use common::*;
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::CryptoProvider;
use rustls::{CipherSuite, NamedGroup, SignatureScheme};
use tlspin::danger::AcceptAnyServerCert;
use tlspin::{explain, FailureKind, Pin, PinnedServerVerifier};

fn accept_any(provider: &Arc<CryptoProvider>) -> Arc<AcceptAnyServerCert> {
    AcceptAnyServerCert::new(provider.clone()).unwrap()
}

/// `provider` with only the cipher suites and groups `keep` accepts.
fn restricted(
    provider: &Arc<CryptoProvider>,
    suite: CipherSuite,
    group: NamedGroup,
) -> Arc<CryptoProvider> {
    let mut restricted = CryptoProvider::clone(provider);
    restricted.cipher_suites.retain(|s| s.suite() == suite);
    restricted.kx_groups.retain(|g| g.name() == group);
    assert!(!restricted.cipher_suites.is_empty() && !restricted.kx_groups.is_empty());
    Arc::new(restricted)
}

/// Asserts the kind, and that cause and fix are non-empty prose.
fn assert_explained(error: &rustls::Error, kind: FailureKind, needle: &str) {
    let explanation = explain(error);
    assert_eq!(explanation.kind, kind, "{error:?}: {explanation}");
    let text = explanation.to_string();
    assert!(text.contains(needle), "{error:?}: {text}");
    assert!(text.contains("; fix: "), "{text}");
}

#[test]
fn no_common_cipher_suite_or_group() {
    let cert = server_cert(KeyType::EcdsaP256);
    for (_, provider) in providers() {
        let cases = [
            (
                restricted(
                    &provider,
                    CipherSuite::TLS13_AES_128_GCM_SHA256,
                    NamedGroup::X25519,
                ),
                restricted(
                    &provider,
                    CipherSuite::TLS13_AES_256_GCM_SHA384,
                    NamedGroup::X25519,
                ),
                FailureKind::NoCommonCipherSuite,
                "static-RSA",
            ),
            (
                restricted(
                    &provider,
                    CipherSuite::TLS13_AES_128_GCM_SHA256,
                    NamedGroup::X25519,
                ),
                restricted(
                    &provider,
                    CipherSuite::TLS13_AES_128_GCM_SHA256,
                    NamedGroup::secp384r1,
                ),
                FailureKind::NoCommonGroup,
                "enable X25519 or secp256r1",
            ),
        ];
        for (client_provider, server_provider, kind, needle) in cases {
            let client = client_config(
                &client_provider,
                &rustls::version::TLS13,
                accept_any(&client_provider),
            );
            let server = ServerSetup::new(&server_provider, &cert).build();
            let outcome = handshake(client, server, "localhost");
            // The server detects the mismatch; the client only sees its alert.
            assert_explained(outcome.server_error(), kind, needle);
            assert_explained(
                outcome.client_error(),
                FailureKind::HandshakeRefused,
                "tlspin probe HOST:PORT",
            );
        }
    }
}

#[test]
fn no_common_signature_scheme() {
    let cert = server_cert(KeyType::EcdsaP256);
    for (_, provider) in providers() {
        // A P-256 key that will only sign with ECDSA-P384-SHA384, as `-sigalgs` would make it.
        let mut setup = ServerSetup::new(&provider, &cert);
        setup.identity.only_schemes = Some(vec![SignatureScheme::ECDSA_NISTP384_SHA384]);
        let client = client_config(&provider, &rustls::version::TLS13, accept_any(&provider));
        let outcome = handshake(client, setup.build(), "localhost");
        assert_explained(
            outcome.server_error(),
            FailureKind::NoCommonSignatureScheme,
            "give the server a certificate",
        );
    }
}

#[test]
fn no_common_protocol_version() {
    let cert = server_cert(KeyType::EcdsaP256);
    for (_, provider) in providers() {
        let mut setup = ServerSetup::new(&provider, &cert);
        setup.versions = vec![&rustls::version::TLS12];
        let client = client_config(&provider, &rustls::version::TLS13, accept_any(&provider));
        let outcome = handshake(client, setup.build(), "localhost");
        assert_explained(
            outcome.server_error(),
            FailureKind::NoCommonProtocolVersion,
            "TLS 1.2 and TLS 1.3 only",
        );
        assert_explained(
            outcome.client_error(),
            FailureKind::NoCommonProtocolVersion,
            "enable TLS 1.2 or TLS 1.3",
        );
    }
}

#[test]
fn certificate_failures() {
    let ca_issued = server_cert(KeyType::EcdsaP256);
    let self_signed = self_signed_with(KeyType::EcdsaP256, leaf_params(&["localhost"]));
    let mut expired_params = leaf_params(&["localhost"]);
    expired_params.not_before = rcgen::date_time_ymd(2020, 1, 1);
    expired_params.not_after = rcgen::date_time_ymd(2021, 1, 1);
    let expired = self_signed_with(KeyType::EcdsaP256, expired_params);
    for (_, provider) in providers() {
        let webpki = || {
            WebPkiServerVerifier::builder_with_provider(test_roots(), provider.clone())
                .build()
                .unwrap()
        };
        let pinned = |pin: Pin| {
            PinnedServerVerifier::builder(provider.clone())
                .pin(pin)
                .build()
                .unwrap()
        };
        let run = |verifier: Arc<dyn rustls::client::danger::ServerCertVerifier>,
                   cert: &TestCert,
                   name: &str| {
            let client = client_config(&provider, &rustls::version::TLS13, verifier);
            let outcome = handshake(client, ServerSetup::new(&provider, cert).build(), name);
            outcome.client_error().clone()
        };

        let error = run(webpki(), &self_signed, "localhost");
        assert_explained(&error, FailureKind::UnknownIssuer, "pin the server's key");

        let error = run(webpki(), &ca_issued, "other.example");
        assert_explained(
            &error,
            FailureKind::NameMismatch,
            "expected \"other.example\", the certificate names DnsName(\"localhost\")",
        );

        let error = run(webpki(), &test_ca().cert, "localhost");
        assert_explained(
            &error,
            FailureKind::CaUsedAsEndEntity,
            "basicConstraints CA:TRUE",
        );

        let error = run(pinned(expired.pin), &expired, "localhost");
        assert_explained(
            &error,
            FailureKind::Expired,
            "valid until 1609459200 (UNIX time), and the time now is 1767225600",
        );

        let wrong = Pin::from_sha256([7; 32]);
        let error = run(pinned(wrong), &self_signed, "localhost");
        assert_explained(
            &error,
            FailureKind::PinMismatch,
            &format!(
                "leaf certificate key is {}, which is not pinned",
                self_signed.pin
            ),
        );
    }
}
