//! `SelfSignedVerifier`: self-signed certificates as their own trust anchors, fully validated.

mod common;

use common::*;
use rustls::pki_types::CertificateDer;
use rustls::CertificateError;
use tlspin::{CaCertificateAsServer, SelfSignedVerifier};

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
            assert_eq!(
                run(&stranger, "localhost").client_error(),
                &rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer),
                "{context}"
            );
            assert_eq!(
                run(&impostor, "localhost").client_error(),
                &rustls::Error::InvalidCertificate(CertificateError::BadSignature),
                "{context}"
            );
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
