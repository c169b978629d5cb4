//! `SelfSignedVerifier`: self-signed certificates as their own trust anchors, fully validated.

mod common;

use common::*;
use rustls::pki_types::CertificateDer;
use rustls::CertificateError;
use tlspin::{CaCertificateAsServer, NotAGivenCertificate, SelfSignedVerifier};

#[test]
fn a_self_signed_leaf_is_its_own_root() {
    for (name, provider) in providers() {
        let cert = self_signed_with(KeyType::EcdsaP256, leaf_params(&["localhost"]));
        let other = self_signed_with(KeyType::Ed25519, leaf_params(&["other.example"]));
        let verifier =
            SelfSignedVerifier::new([other.der.clone(), cert.der.clone()], provider.clone())
                .unwrap();
        for (version_name, version) in VERSIONS {
            let outcome = handshake(
                client_config(&provider, version, verifier.clone()),
                ServerSetup::new(&provider, &cert).build(),
                "localhost",
            );
            assert_eq!(
                outcome.negotiated().version,
                version.version,
                "{name} {version_name}"
            );
        }
    }
}

#[test]
fn everything_else_is_validated() {
    for (name, provider) in providers() {
        let cert = self_signed_with(KeyType::EcdsaP256, leaf_params(&["localhost"]));
        let mut expired = leaf_params(&["localhost"]);
        expired.not_after = rcgen::date_time_ymd(2025, 1, 1);
        let expired = self_signed_with(KeyType::EcdsaP256, expired);
        let mut client_only = leaf_params(&["localhost"]);
        client_only.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ClientAuth];
        let client_only = self_signed_with(KeyType::EcdsaP256, client_only);
        // Same subject name as the trusted certificate, another key: webpki finds the anchor by
        // name and the signature fails.
        let impostor = self_signed_with(KeyType::EcdsaP256, leaf_params(&["localhost"]));
        let mut stranger = leaf_params(&["localhost"]);
        stranger.distinguished_name = rcgen::DistinguishedName::new();
        stranger
            .distinguished_name
            .push(rcgen::DnType::CommonName, "stranger");
        let stranger = self_signed_with(KeyType::EcdsaP256, stranger);

        let verifier = SelfSignedVerifier::new(
            [
                cert.der.clone(),
                expired.der.clone(),
                client_only.der.clone(),
            ],
            provider.clone(),
        )
        .unwrap();
        for (version_name, version) in VERSIONS {
            let run = |presented: &TestCert, server_name: &str| {
                handshake(
                    client_config(&provider, version, verifier.clone()),
                    ServerSetup::new(&provider, presented).build(),
                    server_name,
                )
            };
            let context = format!("{name} {version_name}");
            assert!(
                matches!(
                    run(&cert, "other.example").client_error(),
                    rustls::Error::InvalidCertificate(
                        CertificateError::NotValidForNameContext { .. }
                    )
                ),
                "{context}"
            );
            assert!(
                matches!(
                    run(&expired, "localhost").client_error(),
                    rustls::Error::InvalidCertificate(CertificateError::ExpiredContext { .. })
                ),
                "{context}"
            );
            assert!(
                matches!(
                    run(&client_only, "localhost").client_error(),
                    rustls::Error::InvalidCertificate(
                        CertificateError::InvalidPurposeContext { .. }
                    )
                ),
                "{context}"
            );
            // Certificates that are not among the given ones, whatever their names.
            for other in [&stranger, &impostor] {
                let outcome = run(other, "localhost");
                let error = outcome.client_error();
                let refused = NotAGivenCertificate::from_rustls(error)
                    .unwrap_or_else(|| panic!("{context}: {error:?}"));
                assert_eq!(refused.presented(), Some(other.pin), "{context}");
                assert!(!refused.same_key_as_a_given_certificate(), "{context}");
            }
        }
    }
}

/// A `CA:TRUE` self-signed certificate (the `openssl req -x509` default) cannot be its own leaf
/// in WebPKI; the error says so and names the pin that works instead.
#[test]
fn a_ca_certificate_as_its_own_leaf_is_explained() {
    for (name, provider) in providers() {
        let mut params = leaf_params(&["localhost"]);
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        let cert = self_signed_with(KeyType::EcdsaP256, params);
        let verifier = SelfSignedVerifier::new([cert.der.clone()], provider.clone()).unwrap();
        let outcome = handshake(
            client_config(&provider, &rustls::version::TLS13, verifier),
            ServerSetup::new(&provider, &cert).build(),
            "localhost",
        );
        let error = outcome.client_error();
        let explained = CaCertificateAsServer::from_rustls(error)
            .unwrap_or_else(|| panic!("{name}: {error:?}"));
        assert_eq!(explained.pin(), Some(cert.pin));
        let shown = error.to_string();
        assert!(shown.contains("CaUsedAsEndEntity"), "{shown}");
        assert!(
            shown.contains(&format!("PinnedServerVerifier ({})", cert.pin)),
            "{shown}"
        );
        assert!(shown.contains("CA:FALSE"), "{shown}");

        // What the error recommends works.
        let pinned = tlspin::PinnedServerVerifier::builder(provider.clone())
            .pin(cert.pin)
            .build()
            .unwrap();
        let outcome = handshake(
            client_config(&provider, &rustls::version::TLS13, pinned),
            ServerSetup::new(&provider, &cert).build(),
            "localhost",
        );
        outcome.negotiated();
    }
}

#[test]
fn builder_errors() {
    for (_, provider) in providers() {
        let err = SelfSignedVerifier::new(Vec::<CertificateDer<'_>>::new(), provider.clone())
            .unwrap_err();
        assert!(matches!(err, tlspin::Error::NoRootCertificates), "{err}");
        let good = server_cert(KeyType::EcdsaP256).der;
        let err = SelfSignedVerifier::new(
            [good, CertificateDer::from(vec![0x30, 0x03, 1, 2, 3])],
            provider,
        )
        .unwrap_err();
        assert!(
            matches!(err, tlspin::Error::InvalidRoot { index: 1, .. }),
            "{err}"
        );
        assert!(
            err.to_string()
                .starts_with("certificate 1 cannot be a trust anchor"),
            "{err}"
        );
    }
}

/// A device certificate signed with a key the verifier trusts is still not one of the given
/// certificates.
fn issued_by(
    issuer_params: rcgen::CertificateParams,
    issuer: &TestCert,
    params: rcgen::CertificateParams,
) -> TestCert {
    let issuer_key = rcgen::KeyPair::try_from(issuer.key.as_slice()).unwrap();
    let issuer = rcgen::Issuer::new(issuer_params, issuer_key);
    let key = KeyType::EcdsaP256.generate();
    let cert = params.signed_by(&key, &issuer).unwrap();
    TestCert {
        pin: tlspin::Pin::from_cert_der(cert.der()).unwrap(),
        der: cert.der().clone(),
        pem: cert.pem(),
        key: key.serialize_der(),
    }
}

/// The holder of one trusted device's key signs a certificate for another trusted device's
/// name; and a fresh certificate is signed with the key of a trusted certificate that has
/// expired. Both are refused as certificates that were not given, in real handshakes.
#[test]
fn only_the_given_certificates_themselves_are_accepted() {
    for (name, provider) in providers() {
        let a_params = leaf_params(&["a.device"]);
        let a = self_signed_with(KeyType::EcdsaP256, a_params.clone());
        let b = self_signed_with(KeyType::EcdsaP256, leaf_params(&["b.device"]));
        let mut old_params = leaf_params(&["old.device"]);
        old_params.not_after = rcgen::date_time_ymd(2025, 1, 1);
        let old = self_signed_with(KeyType::EcdsaP256, old_params.clone());

        // Signed by a trusted key, for another trusted device's name (and for its own).
        let forged_b = issued_by(a_params.clone(), &a, leaf_params(&["b.device"]));
        let forged_a = issued_by(a_params, &a, leaf_params(&["a.device"]));
        // Signed by the expired trusted certificate's key, valid today.
        let revived = issued_by(old_params, &old, leaf_params(&["old.device"]));

        let verifier = SelfSignedVerifier::new(
            [a.der.clone(), b.der.clone(), old.der.clone()],
            provider.clone(),
        )
        .unwrap();
        for (version_name, version) in VERSIONS {
            let context = format!("{name} {version_name}");
            let run = |presented: &TestCert, chain: Vec<CertificateDer<'static>>, host: &str| {
                let mut server = ServerSetup::new(&provider, presented);
                server.identity.chain = chain;
                handshake(
                    client_config(&provider, version, verifier.clone()),
                    server.build(),
                    host,
                )
            };
            // The given certificates themselves connect.
            run(&a, vec![a.der.clone()], "a.device").negotiated();
            run(&b, vec![b.der.clone()], "b.device").negotiated();
            for (forged, host) in [
                (&forged_b, "b.device"),
                (&forged_a, "a.device"),
                (&revived, "old.device"),
            ] {
                // With and without the trusted issuer appended to the chain.
                for with_issuer in [false, true] {
                    let mut chain = vec![forged.der.clone()];
                    if with_issuer {
                        chain.extend([a.der.clone(), old.der.clone()]);
                    }
                    let outcome = run(forged, chain, host);
                    let error = outcome.client_error();
                    let refused = NotAGivenCertificate::from_rustls(error)
                        .unwrap_or_else(|| panic!("{context} {host}: {error:?}"));
                    assert_eq!(refused.presented(), Some(forged.pin), "{context}");
                    let shown = error.to_string();
                    assert!(shown.contains("is not one of the 3 self-signed"), "{shown}");
                    assert!(shown.contains("WebPkiServerVerifier"), "{shown}");
                }
            }
            // The expired trusted certificate itself is refused for its validity.
            assert!(
                matches!(
                    run(&old, vec![old.der.clone()], "old.device").client_error(),
                    rustls::Error::InvalidCertificate(CertificateError::ExpiredContext { .. })
                ),
                "{context}"
            );
        }
    }
}

/// A certificate re-issued with a given certificate's key is refused, and the error says that
/// it carries that key.
#[test]
fn a_certificate_reissued_with_a_given_key_is_refused_and_named() {
    for (name, provider) in providers() {
        let given = self_signed_with(KeyType::EcdsaP256, leaf_params(&["device.lan"]));
        let key = rcgen::KeyPair::try_from(given.key.as_slice()).unwrap();
        let mut params = leaf_params(&["device.lan"]);
        params.not_after = rcgen::date_time_ymd(2035, 1, 1);
        let renewed = params.self_signed(&key).unwrap();
        let renewed = TestCert {
            pin: given.pin,
            der: renewed.der().clone(),
            pem: renewed.pem(),
            key: given.key.clone(),
        };
        let verifier = SelfSignedVerifier::new([given.der.clone()], provider.clone()).unwrap();
        for (version_name, version) in VERSIONS {
            let outcome = handshake(
                client_config(&provider, version, verifier.clone()),
                ServerSetup::new(&provider, &renewed).build(),
                "device.lan",
            );
            let error = outcome.client_error();
            let refused = NotAGivenCertificate::from_rustls(error)
                .unwrap_or_else(|| panic!("{name} {version_name}: {error:?}"));
            assert!(refused.same_key_as_a_given_certificate());
            assert_eq!(refused.given(), &[given.pin]);
            let shown = error.to_string();
            assert!(
                shown.contains("carries the key of a given certificate"),
                "{shown}"
            );
        }
    }
}
