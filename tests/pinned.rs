//! Invariants 3 and 4: the pinned server verifier accepts the pinned key over real handshakes
//! for every key type, and rejects everything else with a specific error.

mod common;

use std::sync::Arc;

use common::contrast::HandWritten;
use common::*;
use rustls::client::danger::ServerCertVerifier;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName};
use rustls::{AlertDescription, CertificateError, ClientConfig, SignatureScheme};
use tlspin::{ClientConfigBuilderExt, PinMismatch, PinnedServerVerifier};

/// A client for `provider` and `version` pinned with the builder extension, at the test time.
fn pinned_client(
    provider: &Arc<CryptoProvider>,
    version: &'static rustls::SupportedProtocolVersion,
    configure: impl FnOnce(
        tlspin::PinnedVerifierBuilder<PinnedServerVerifier>,
    ) -> tlspin::PinnedVerifierBuilder<PinnedServerVerifier>,
) -> ClientConfig {
    let mut config = ClientConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(&[version])
        .unwrap()
        .with_pinned_server(configure)
        .unwrap()
        .with_no_client_auth();
    config.time_provider = Arc::new(FixedTime(test_time()));
    config
}

fn supports(provider: &CryptoProvider, scheme: SignatureScheme) -> bool {
    provider
        .signature_verification_algorithms
        .supported_schemes()
        .contains(&scheme)
}

#[test]
fn accepts_the_pinned_key_for_every_key_type_and_version() {
    use SignatureScheme as S;
    // (key type, schemes the server may sign with, the scheme expected, TLS 1.3 allowed)
    let cases = [
        (KeyType::EcdsaP256, None, S::ECDSA_NISTP256_SHA256, true),
        (KeyType::EcdsaP384, None, S::ECDSA_NISTP384_SHA384, true),
        (KeyType::EcdsaP521, None, S::ECDSA_NISTP521_SHA512, true),
        (KeyType::Ed25519, None, S::ED25519, true),
        (
            KeyType::Rsa2048,
            Some(vec![S::RSA_PKCS1_SHA256]),
            S::RSA_PKCS1_SHA256,
            false,
        ),
        (
            KeyType::Rsa2048,
            Some(vec![S::RSA_PSS_SHA256]),
            S::RSA_PSS_SHA256,
            true,
        ),
    ];
    let mut handshakes = 0;
    for (name, provider) in providers() {
        for (kind, only, expected, tls13) in &cases {
            if !supports(&provider, *expected) {
                // Only P-521 under ring; its clean failure is tested in cross_provider.rs.
                assert_eq!((name, *kind), ("ring", KeyType::EcdsaP521));
                continue;
            }
            let cert = self_signed_with(*kind, leaf_params(&["localhost"]));
            for (version_name, version) in VERSIONS {
                if version == &rustls::version::TLS13 && !tls13 {
                    continue;
                }
                let mut server = ServerSetup::new(&provider, &cert);
                server.identity.only_schemes = only.clone();
                let client = pinned_client(&provider, version, |b| b.pin(cert.pin));
                let outcome = handshake(client, server.build(), "localhost");
                let negotiated = outcome.negotiated();
                assert_eq!(
                    negotiated.scheme,
                    Some(*expected),
                    "{name} {kind:?} {version_name}"
                );
                assert_eq!(negotiated.version, version.version, "{name} {kind:?}");
                handshakes += 1;
            }
        }
    }
    assert!(
        handshakes >= 9 * providers().len(),
        "only {handshakes} handshakes ran"
    );
}

#[test]
fn accepts_any_of_several_pins() {
    for (name, provider) in providers() {
        let cert = server_cert(KeyType::EcdsaP256);
        let backup = tlspin::Pin::from_sha256([9; 32]);
        for (_, version) in VERSIONS {
            let client = pinned_client(&provider, version, |b| b.pins([backup, cert.pin]));
            let outcome = handshake(
                client,
                ServerSetup::new(&provider, &cert).build(),
                "localhost",
            );
            outcome.negotiated();
            let _ = name;
        }
    }
}

fn assert_pin_mismatch(outcome: &Outcome, expected: &[tlspin::Pin], leaf: tlspin::Pin) -> String {
    let error = outcome.client_error();
    let mismatch = PinMismatch::from_rustls(error)
        .unwrap_or_else(|| panic!("expected a PinMismatch, got {error:?}"));
    assert_eq!(mismatch.expected(), expected);
    assert_eq!(mismatch.leaf_pin(), Some(leaf));
    assert_eq!(mismatch.peer(), tlspin::Peer::Server);
    assert_eq!(
        outcome.server_error(),
        &rustls::Error::AlertReceived(AlertDescription::CertificateUnknown)
    );
    // What a reqwest or hyper user sees: rustls' Display of the error.
    let shown = error.to_string();
    assert!(shown.contains(&leaf.to_string()), "{shown}");
    for pin in expected {
        assert!(shown.contains(&pin.to_string()), "{shown}");
    }
    shown
}

#[test]
fn rejects_a_wrong_pin_and_names_the_presented_key() {
    for (name, provider) in providers() {
        let cert = server_cert(KeyType::EcdsaP256);
        let wrong = server_cert(KeyType::Ed25519).pin;
        for (version_name, version) in VERSIONS {
            let client = pinned_client(&provider, version, |b| b.pin(wrong));
            let outcome = handshake(
                client,
                ServerSetup::new(&provider, &cert).build(),
                "localhost",
            );
            let shown = assert_pin_mismatch(&outcome, &[wrong], cert.pin);
            assert!(!shown.contains("note:"), "{name} {version_name}: {shown}");
        }
    }
}

/// The known bypass of pinning libraries that match any presented certificate: an attacker with
/// their own key appends the real (public) pinned certificate to their chain.
#[test]
fn rejects_a_pinned_certificate_appended_after_an_unpinned_leaf() {
    for (name, provider) in providers() {
        let real = server_cert(KeyType::EcdsaP256);
        let attacker = self_signed_with(KeyType::EcdsaP256, leaf_params(&["localhost"]));
        for (version_name, version) in VERSIONS {
            let mut server = ServerSetup::new(&provider, &attacker);
            server.identity.chain = vec![attacker.der.clone(), real.der.clone()];
            let client = pinned_client(&provider, version, |b| b.pin(real.pin));
            let outcome = handshake(client, server.build(), "localhost");
            let shown = assert_pin_mismatch(&outcome, &[real.pin], attacker.pin);
            let mismatch = PinMismatch::from_rustls(outcome.client_error()).unwrap();
            assert_eq!(mismatch.presented(), &[Some(attacker.pin), Some(real.pin)]);
            assert!(
                shown.contains("certificate [1] matches a pin, but only the leaf is compared"),
                "{name} {version_name}: {shown}"
            );
        }
    }
}

/// A man in the middle holding only the server's public certificate presents it, but cannot
/// sign with its key. tlspin rejects the signature; reqwest's hand-written verifier accepts.
#[test]
fn rejects_the_pinned_certificate_signed_with_another_key() {
    for (name, provider) in providers() {
        let real = server_cert(KeyType::EcdsaP256);
        let attacker = self_signed_with(KeyType::EcdsaP256, leaf_params(&["localhost"]));
        for (version_name, version) in VERSIONS {
            let impostor = || impostor(&provider, &real, &attacker);
            let client = pinned_client(&provider, version, |b| b.pin(real.pin));
            let outcome = handshake(client, impostor(), "localhost");
            assert_eq!(
                outcome.client_error(),
                &rustls::Error::InvalidCertificate(CertificateError::BadSignature),
                "{name} {version_name}"
            );

            let contrast = client_config(&provider, version, Arc::new(HandWritten::reqwest()));
            let outcome = handshake(contrast, impostor(), "localhost");
            outcome.negotiated(); // the hand-written verifier lets the impostor in
        }
    }
}

/// A verifier remembers the keys that matched a pin, so that later connections compare bytes
/// instead of hashing again. One verifier shared by many connections must still check each of
/// them in full: another key, another signer, an expired certificate with the pinned key.
#[test]
fn a_reused_verifier_checks_every_connection_in_full() {
    for (name, provider) in providers() {
        let real = server_cert(KeyType::EcdsaP256);
        let backup = server_cert(KeyType::Ed25519);
        let attacker = self_signed_with(KeyType::EcdsaP256, leaf_params(&["localhost"]));
        let mut params = leaf_params(&["localhost"]);
        params.not_after = rcgen::date_time_ymd(2025, 1, 1);
        let real_key = rcgen::KeyPair::try_from(real.key.as_slice()).unwrap();
        let expired = params.self_signed(&real_key).unwrap();
        let expired = TestCert {
            der: expired.der().clone(),
            pem: expired.pem(),
            key: real.key.clone(),
            pin: real.pin,
        };
        assert_eq!(tlspin::Pin::from_cert_der(&expired.der).unwrap(), real.pin);

        let verifier = PinnedServerVerifier::builder(provider.clone())
            .pins([real.pin, backup.pin])
            .build()
            .unwrap();
        let expected = verifier.policy().pins().to_vec();
        for (version_name, version) in VERSIONS {
            let context = format!("{name} {version_name}");
            let client = || client_config(&provider, version, verifier.clone());
            let connect = |server| handshake(client(), server, "localhost");

            connect(ServerSetup::new(&provider, &real).build()).negotiated();
            let outcome = connect(ServerSetup::new(&provider, &attacker).build());
            assert_pin_mismatch(&outcome, &expected, attacker.pin);
            let outcome = connect(impostor(&provider, &real, &attacker));
            assert_eq!(
                outcome.client_error(),
                &rustls::Error::InvalidCertificate(CertificateError::BadSignature),
                "{context}"
            );
            let outcome = connect(ServerSetup::new(&provider, &expired).build());
            assert_eq!(
                outcome.client_error(),
                &rustls::Error::InvalidCertificate(CertificateError::ExpiredContext {
                    time: test_time(),
                    not_after: unix(2025, 1, 1),
                }),
                "{context}"
            );
            connect(ServerSetup::new(&provider, &backup).build()).negotiated();
            connect(ServerSetup::new(&provider, &real).build()).negotiated();
        }
    }
}

#[test]
fn validity_period_is_enforced_by_default_and_can_be_turned_off() {
    for (name, provider) in providers() {
        let mut expired = leaf_params(&["localhost"]);
        expired.not_before = rcgen::date_time_ymd(2020, 1, 1);
        expired.not_after = rcgen::date_time_ymd(2025, 1, 1);
        let expired = self_signed_with(KeyType::EcdsaP256, expired);
        let mut future = leaf_params(&["localhost"]);
        future.not_before = rcgen::date_time_ymd(2030, 1, 1);
        future.not_after = rcgen::date_time_ymd(2031, 1, 1);
        let future = self_signed_with(KeyType::EcdsaP256, future);

        for (version_name, version) in VERSIONS {
            let outcome = handshake(
                pinned_client(&provider, version, |b| b.pin(expired.pin)),
                ServerSetup::new(&provider, &expired).build(),
                "localhost",
            );
            assert_eq!(
                outcome.client_error(),
                &rustls::Error::InvalidCertificate(CertificateError::ExpiredContext {
                    time: test_time(),
                    not_after: unix(2025, 1, 1),
                }),
                "{name} {version_name}"
            );

            let outcome = handshake(
                pinned_client(&provider, version, |b| b.pin(future.pin)),
                ServerSetup::new(&provider, &future).build(),
                "localhost",
            );
            assert_eq!(
                outcome.client_error(),
                &rustls::Error::InvalidCertificate(CertificateError::NotValidYetContext {
                    time: test_time(),
                    not_before: unix(2030, 1, 1),
                }),
                "{name} {version_name}"
            );

            for cert in [&expired, &future] {
                let outcome = handshake(
                    pinned_client(&provider, version, |b| {
                        b.pin(cert.pin).check_validity(false)
                    }),
                    ServerSetup::new(&provider, cert).build(),
                    "localhost",
                );
                outcome.negotiated();
            }
        }
    }
}

fn unix(year: i32, month: u8, day: u8) -> rustls::pki_types::UnixTime {
    let t = rcgen::date_time_ymd(year, month, day);
    rustls::pki_types::UnixTime::since_unix_epoch(std::time::Duration::from_secs(
        t.unix_timestamp() as u64,
    ))
}

#[test]
fn server_name_is_checked_only_when_asked() {
    for (name, provider) in providers() {
        let cert = self_signed_with(KeyType::Ed25519, leaf_params(&["device.example"]));
        for (version_name, version) in VERSIONS {
            let outcome = handshake(
                pinned_client(&provider, version, |b| {
                    b.pin(cert.pin).check_server_name(true)
                }),
                ServerSetup::new(&provider, &cert).build(),
                "localhost",
            );
            match outcome.client_error() {
                rustls::Error::InvalidCertificate(CertificateError::NotValidForNameContext {
                    expected,
                    presented,
                }) => {
                    assert_eq!(expected, &ServerName::try_from("localhost").unwrap());
                    assert_eq!(presented, &["DnsName(\"device.example\")".to_string()]);
                }
                other => panic!("{name} {version_name}: expected a name error, got {other:?}"),
            }

            let outcome = handshake(
                pinned_client(&provider, version, |b| {
                    b.pin(cert.pin).check_server_name(true)
                }),
                ServerSetup::new(&provider, &cert).build(),
                "device.example",
            );
            outcome.negotiated();

            let outcome = handshake(
                pinned_client(&provider, version, |b| b.pin(cert.pin)),
                ServerSetup::new(&provider, &cert).build(),
                "localhost",
            );
            outcome.negotiated();
        }
    }
}

#[test]
fn rejects_malformed_certificates() {
    for (name, provider) in providers() {
        let cert = server_cert(KeyType::EcdsaP256);
        let truncated = CertificateDer::from(cert.der[..cert.der.len() - 10].to_vec());
        let garbage = CertificateDer::from(b"-----BEGIN CERTIFICATE-----".to_vec());
        for bad in [truncated, garbage, CertificateDer::from(Vec::new())] {
            for (version_name, version) in VERSIONS {
                let mut server = ServerSetup::new(&provider, &cert);
                server.identity.chain = vec![bad.clone()];
                let client = pinned_client(&provider, version, |b| b.pin(cert.pin));
                let outcome = handshake(client, server.build(), "localhost");
                assert_eq!(
                    outcome.client_error(),
                    &rustls::Error::InvalidCertificate(CertificateError::BadEncoding),
                    "{name} {version_name} {} bytes",
                    bad.len()
                );
            }
            // The same, calling the verifier directly.
            let verifier = PinnedServerVerifier::builder(provider.clone())
                .pin(cert.pin)
                .build()
                .unwrap();
            let result = verifier.verify_server_cert(
                &bad,
                &[],
                &ServerName::try_from("localhost").unwrap(),
                &[],
                test_time(),
            );
            assert_eq!(
                result.unwrap_err(),
                rustls::Error::InvalidCertificate(CertificateError::BadEncoding)
            );
        }
    }
}

/// webpki parses validity times only when validating a path; tlspin computes the pin without
/// them and refuses malformed times only when it checks validity.
#[test]
fn a_malformed_validity_time_fails_the_validity_check_not_the_pin() {
    for (name, provider) in providers() {
        let cert = self_signed_with(KeyType::EcdsaP256, leaf_params(&["localhost"]));
        let mut der = cert.der.to_vec();
        let at = der
            .windows(13)
            .position(|w| w == b"240101000000Z")
            .expect("notBefore");
        der[at + 10] = b'!';
        let broken = CertificateDer::from(der);
        assert_eq!(tlspin::Pin::from_cert_der(&broken).unwrap(), cert.pin);
        for (check, accepted) in [(true, false), (false, true)] {
            let mut server = ServerSetup::new(&provider, &cert);
            server.identity.chain = vec![broken.clone()];
            let client = pinned_client(&provider, &rustls::version::TLS13, |b| {
                b.pin(cert.pin).check_validity(check)
            });
            let outcome = handshake(client, server.build(), "localhost");
            if accepted {
                outcome.negotiated();
            } else {
                assert_eq!(
                    outcome.client_error(),
                    &rustls::Error::InvalidCertificate(CertificateError::BadEncoding),
                    "{name}"
                );
            }
        }
    }
}

#[test]
fn rejects_an_empty_certificate_chain() {
    for (name, provider) in providers() {
        let cert = server_cert(KeyType::EcdsaP256);
        for (version_name, version) in VERSIONS {
            let mut server = ServerSetup::new(&provider, &cert);
            server.identity.chain = Vec::new();
            let client = pinned_client(&provider, version, |b| b.pin(cert.pin));
            let outcome = handshake(client, server.build(), "localhost");
            assert_eq!(
                outcome.client_error(),
                &rustls::Error::NoCertificatesPresented,
                "{name} {version_name}"
            );
            assert_eq!(
                outcome.server_error(),
                &rustls::Error::General(PEER_HUNG_UP.into()),
                "{name} {version_name}"
            );
        }
    }
}

#[test]
fn building_without_pins_is_an_error() {
    for (_, provider) in providers() {
        let err = PinnedServerVerifier::builder(provider.clone())
            .build()
            .unwrap_err();
        assert!(matches!(err, tlspin::Error::NoPins), "{err}");
        assert!(err.to_string().contains("expected at least one"), "{err}");
        let err = PinnedServerVerifier::builder(provider.clone())
            .pins([])
            .build()
            .unwrap_err();
        assert!(matches!(err, tlspin::Error::NoPins), "{err}");
        let err = tlspin::pinned_client_config(provider, []).unwrap_err();
        assert!(matches!(err, tlspin::Error::NoPins), "{err}");
    }
}

#[test]
fn duplicate_pins_are_stored_once() {
    for (_, provider) in providers() {
        let pin = tlspin::Pin::from_sha256([3; 32]);
        let verifier = PinnedServerVerifier::builder(provider)
            .pins([pin, pin])
            .pin(pin)
            .build()
            .unwrap();
        assert_eq!(verifier.policy().pins(), &[pin]);
    }
}

/// 1,000 pins spread over the whole digest space, so that a real pin sorts among them.
fn filler_pins() -> Vec<tlspin::Pin> {
    (0..1000u16)
        .map(|i| {
            let mut digest = [0x5a; 32];
            digest[..2].copy_from_slice(&(i.wrapping_mul(65)).to_be_bytes());
            tlspin::Pin::from_sha256(digest)
        })
        .collect()
}

#[test]
fn a_pin_among_many_is_found_and_a_missing_one_is_not() {
    let cert = server_cert(KeyType::EcdsaP256);
    let name = ServerName::try_from("localhost").unwrap();
    for (provider_name, provider) in providers() {
        let verify = |pins: Vec<tlspin::Pin>| {
            PinnedServerVerifier::builder(provider.clone())
                .pins(pins)
                .build()
                .unwrap()
                .verify_server_cert(&cert.der, &[], &name, &[], test_time())
                .map(|_| ())
        };
        let mut with_leaf = filler_pins();
        with_leaf.push(cert.pin);
        assert_eq!(verify(with_leaf), Ok(()), "{provider_name}");
        let error = verify(filler_pins()).unwrap_err();
        assert!(
            PinMismatch::from_rustls(&error).is_some(),
            "{provider_name}: {error}"
        );
    }
}
