//! tlspin's policies behind rustls 0.24's verifier traits, in real handshakes, with both
//! provider crates (rustls-aws-lc-rs and rustls-ring): schemes, key types and versions, wrong
//! and stolen keys, appended pinned certificates, mTLS, raw public keys, WebPKI + pins.

mod common;

use std::sync::Arc;

use common::*;
use rustls::client::danger::ServerVerifier as _;
use rustls::enums::ProtocolVersion;
use rustls::error::{CertificateError, PeerMisbehaved};
use rustls::RootCertStore;
use tlspin::{Peer, Pin};
use tlspin_rustls024::{
    pin_mismatch, PinnedClientVerifier, PinnedRawKeyClientVerifier, PinnedRawKeyServerVerifier,
    PinnedServerVerifier, PinnedWebPkiVerifier,
};

const KEY_TYPES: [KeyType; 5] = KeyType::CLASSIC;

/// Whether `provider` advertises a scheme for `kind`'s keys.
fn verifies(provider: &rustls::crypto::CryptoProvider, kind: KeyType) -> bool {
    use rustls::crypto::SignatureScheme as S;
    let wanted: &[S] = match kind {
        KeyType::EcdsaP256 => &[S::ECDSA_NISTP256_SHA256],
        KeyType::EcdsaP384 => &[S::ECDSA_NISTP384_SHA384],
        KeyType::EcdsaP521 => &[S::ECDSA_NISTP521_SHA512],
        KeyType::Ed25519 => &[S::ED25519],
        KeyType::Rsa2048 => &[S::RSA_PSS_SHA256, S::RSA_PKCS1_SHA256],
        other => panic!("no scheme listed for {other:?}"),
    };
    let schemes = provider
        .signature_verification_algorithms
        .supported_schemes();
    wanted.iter().any(|scheme| schemes.contains(scheme))
}

fn roots_024(certs: &[&TestCert]) -> RootCertStore {
    let mut roots = RootCertStore::empty();
    for cert in certs {
        roots.add(cert.der.clone()).expect("root parses");
    }
    roots
}

#[test]
fn advertised_schemes_are_the_providers_own() {
    let cert = server_cert(KeyType::EcdsaP256);
    for (name, provider) in providers() {
        let expected = provider
            .signature_verification_algorithms
            .supported_schemes();
        let pinned = PinnedServerVerifier::new(provider.clone(), [cert.pin]).unwrap();
        let webpki =
            PinnedWebPkiVerifier::new(roots_024(&[&test_ca().cert]), provider.clone(), [cert.pin])
                .unwrap();
        let raw = PinnedRawKeyServerVerifier::new(provider.clone(), [cert.pin]).unwrap();
        let client = PinnedClientVerifier::new(provider.clone(), [cert.pin]).unwrap();
        assert_eq!(pinned.supported_verify_schemes(), expected, "{name}");
        assert_eq!(webpki.supported_verify_schemes(), expected, "{name}");
        assert_eq!(raw.supported_verify_schemes(), expected, "{name}");
        assert_eq!(
            rustls::server::danger::ClientVerifier::supported_verify_schemes(&*client),
            expected,
            "{name}"
        );
        // And what a real ClientHello carries, as a TLS 1.3 server sees it (rustls' server
        // keeps the schemes TLS 1.3 allows).
        let (server, resolver) = server_config(&Presented::cert(&cert), None);
        let tls13 = only(&provider, ProtocolVersion::TLSv1_3);
        let verifier = PinnedServerVerifier::new(tls13.clone(), [cert.pin]).unwrap();
        handshake(&Arc::new(client_config(tls13, verifier, None)), &server).unwrap();
        let tls13_schemes: Vec<_> = expected
            .iter()
            .copied()
            .filter(|scheme| {
                use rustls::crypto::SignatureScheme as S;
                // RFC 8446 4.2.3: PKCS#1 v1.5 and SHA-1 schemes are for certificates only.
                ![
                    S::RSA_PKCS1_SHA1,
                    S::ECDSA_SHA1_Legacy,
                    S::RSA_PKCS1_SHA256,
                    S::RSA_PKCS1_SHA384,
                    S::RSA_PKCS1_SHA512,
                ]
                .contains(scheme)
            })
            .collect();
        assert!(tls13_schemes.len() > 3, "{name}: {tls13_schemes:?}");
        assert_eq!(
            resolver.offered.lock().unwrap().as_deref(),
            Some(&tls13_schemes[..]),
            "{name}"
        );
    }
}

#[test]
fn pinned_handshakes_across_key_types_and_versions() {
    for (name, provider) in providers() {
        for kind in KEY_TYPES {
            let cert = server_cert(kind);
            let (server, _) = server_config(&Presented::cert(&cert), None);
            for (version_name, version) in VERSIONS {
                let client_provider = only(&provider, version);
                let verifier =
                    PinnedServerVerifier::new(client_provider.clone(), [cert.pin]).unwrap();
                let config = Arc::new(client_config(client_provider, verifier, None));
                let outcome = handshake(&config, &server);
                if verifies(&provider, kind) {
                    let negotiated =
                        outcome.unwrap_or_else(|e| panic!("{name} {kind:?} {version_name}: {e:?}"));
                    assert_eq!(negotiated.version, version, "{name} {kind:?}");
                } else {
                    // The client never advertised a scheme for this key: the server has none
                    // to sign with, and says so.
                    let error = outcome.expect_err("no scheme in common").server();
                    assert!(
                        matches!(error, rustls::Error::PeerIncompatible(_)),
                        "{name} {kind:?} {version_name}: {error:?}"
                    );
                }
            }
        }
    }
}

#[test]
fn wrong_pin_is_refused_with_a_pin_mismatch() {
    let cert = server_cert(KeyType::EcdsaP256);
    let other = server_cert(KeyType::Ed25519);
    let (server, _) = server_config(&Presented::cert(&cert), None);
    for (name, provider) in providers() {
        for (version_name, version) in VERSIONS {
            let client_provider = only(&provider, version);
            let verifier = PinnedServerVerifier::new(client_provider.clone(), [other.pin]).unwrap();
            let config = Arc::new(client_config(client_provider, verifier, None));
            let error = handshake(&config, &server).unwrap_err().client();
            let mismatch = pin_mismatch(&error)
                .unwrap_or_else(|| panic!("{name} {version_name}: not a PinMismatch: {error:?}"));
            assert_eq!(mismatch.expected(), &[other.pin], "{name} {version_name}");
            assert_eq!(mismatch.leaf_pin(), Some(cert.pin), "{name} {version_name}");
            assert_eq!(mismatch.peer(), Peer::Server, "{name} {version_name}");
        }
    }
}

/// The pinned certificate, presented by a server holding another key: the policy accepts the
/// certificate, the handshake signature does not verify.
#[test]
fn stolen_certificate_without_its_key_is_refused() {
    let pinned = server_cert(KeyType::EcdsaP256);
    // `server_cert` caches one certificate per key type: the thief's is freshly issued.
    let thief = test_ca().issue(KeyType::EcdsaP256, &["localhost"]);
    let (server, _) = server_config(&Presented::chain(vec![pinned.der.clone()], &thief), None);
    for (name, provider) in providers() {
        for (version_name, version) in VERSIONS {
            let client_provider = only(&provider, version);
            let verifier =
                PinnedServerVerifier::new(client_provider.clone(), [pinned.pin]).unwrap();
            let config = Arc::new(client_config(client_provider, verifier, None));
            let error = handshake(&config, &server).unwrap_err().client();
            assert_eq!(
                error,
                rustls::Error::InvalidCertificate(CertificateError::BadSignature),
                "{name} {version_name}"
            );
        }
    }
}

/// An attacker's own leaf followed by the pinned certificate: only the leaf counts.
#[test]
fn appended_pinned_certificate_is_refused() {
    let pinned = server_cert(KeyType::EcdsaP256);
    let attacker = server_cert(KeyType::EcdsaP384);
    let chain = vec![attacker.der.clone(), pinned.der.clone()];
    let (server, _) = server_config(&Presented::chain(chain, &attacker), None);
    for (name, provider) in providers() {
        for (version_name, version) in VERSIONS {
            let client_provider = only(&provider, version);
            let verifier =
                PinnedServerVerifier::new(client_provider.clone(), [pinned.pin]).unwrap();
            let config = Arc::new(client_config(client_provider, verifier, None));
            let error = handshake(&config, &server).unwrap_err().client();
            let mismatch = pin_mismatch(&error)
                .unwrap_or_else(|| panic!("{name} {version_name}: not a PinMismatch: {error:?}"));
            assert_eq!(
                mismatch.leaf_pin(),
                Some(attacker.pin),
                "{name} {version_name}"
            );
            assert!(
                mismatch.to_string().contains("only the leaf is compared"),
                "{name} {version_name}: {mismatch}"
            );
        }
    }
}

#[test]
fn mtls_pinned_clients() {
    let server_identity = server_cert(KeyType::EcdsaP256);
    let client_cert = server_cert(KeyType::Ed25519);
    let stranger = server_cert(KeyType::EcdsaP384);
    let thief = test_ca().issue(KeyType::Ed25519, &["localhost"]);
    for (name, provider) in providers() {
        for (version_name, version) in VERSIONS {
            let label = format!("{name} {version_name}");
            let client_provider = only(&provider, version);
            let server_pins = || {
                PinnedServerVerifier::new(client_provider.clone(), [server_identity.pin]).unwrap()
            };
            let clients = PinnedClientVerifier::new(provider.clone(), [client_cert.pin]).unwrap();
            let (server, _) = server_config(&Presented::cert(&server_identity), Some(clients));

            let pinned = Presented::cert(&client_cert);
            let config = client_config(client_provider.clone(), server_pins(), Some(&pinned));
            handshake(&Arc::new(config), &server).unwrap_or_else(|e| panic!("{label}: {e:?}"));

            let unpinned = Presented::cert(&stranger);
            let config = client_config(client_provider.clone(), server_pins(), Some(&unpinned));
            let error = handshake(&Arc::new(config), &server).unwrap_err().server();
            let mismatch = pin_mismatch(&error)
                .unwrap_or_else(|| panic!("{label}: not a PinMismatch: {error:?}"));
            assert_eq!(mismatch.peer(), Peer::Client, "{label}");
            assert_eq!(mismatch.leaf_pin(), Some(stranger.pin), "{label}");

            let stolen = Presented::chain(vec![client_cert.der.clone()], &thief);
            let config = client_config(client_provider.clone(), server_pins(), Some(&stolen));
            let error = handshake(&Arc::new(config), &server).unwrap_err().server();
            assert_eq!(
                error,
                rustls::Error::InvalidCertificate(CertificateError::BadSignature),
                "{label}"
            );

            let config = client_config(client_provider.clone(), server_pins(), None);
            let error = handshake(&Arc::new(config), &server).unwrap_err().server();
            assert_eq!(
                error,
                rustls::Error::PeerMisbehaved(PeerMisbehaved::NoCertificatesPresented),
                "{label}: a client without a certificate"
            );
        }
    }
}

#[test]
fn raw_public_keys_both_ways() {
    let server_key = server_cert(KeyType::EcdsaP256);
    let client_key = server_cert(KeyType::Ed25519);
    let other = server_cert(KeyType::EcdsaP384);
    for (name, provider) in providers() {
        let client_provider = only(&provider, ProtocolVersion::TLSv1_3);
        let clients = PinnedRawKeyClientVerifier::new(provider.clone(), [client_key.pin]).unwrap();
        let (server, _) = server_config(&Presented::raw_key(&server_key), Some(clients));

        let verifier =
            PinnedRawKeyServerVerifier::new(client_provider.clone(), [server_key.pin]).unwrap();
        let config = client_config(
            client_provider.clone(),
            verifier,
            Some(&Presented::raw_key(&client_key)),
        );
        let negotiated =
            handshake(&Arc::new(config), &server).unwrap_or_else(|e| panic!("{name}: {e:?}"));
        assert_eq!(negotiated.version, ProtocolVersion::TLSv1_3, "{name}");

        let verifier =
            PinnedRawKeyServerVerifier::new(client_provider.clone(), [other.pin]).unwrap();
        let config = client_config(
            client_provider.clone(),
            verifier,
            Some(&Presented::raw_key(&client_key)),
        );
        let error = handshake(&Arc::new(config), &server).unwrap_err().client();
        let mismatch = pin_mismatch(&error).unwrap_or_else(|| panic!("{name}: {error:?}"));
        assert_eq!(mismatch.expected(), &[other.pin], "{name}");

        let verifier =
            PinnedRawKeyServerVerifier::new(client_provider.clone(), [server_key.pin]).unwrap();
        let config = client_config(
            client_provider.clone(),
            verifier,
            Some(&Presented::raw_key(&other)),
        );
        let error = handshake(&Arc::new(config), &server).unwrap_err().server();
        assert_eq!(
            pin_mismatch(&error).map(|m| m.peer()),
            Some(Peer::Client),
            "{name}: {error:?}"
        );
    }
}

#[test]
fn webpki_and_pins() {
    let ca = test_ca();
    let leaf = server_cert(KeyType::EcdsaP256);
    let (server, _) = server_config(&Presented::cert(&leaf), None);
    let other_ca = TestCa::new(KeyType::EcdsaP256, "another CA");
    let unrelated = server_cert(KeyType::Ed25519);
    for (name, provider) in providers() {
        for (version_name, version) in VERSIONS {
            let label = format!("{name} {version_name}");
            let client_provider = only(&provider, version);
            let run = |roots: &TestCert, pins: &[Pin]| {
                let verifier = PinnedWebPkiVerifier::new(
                    roots_024(&[roots]),
                    client_provider.clone(),
                    pins.iter().copied(),
                )
                .unwrap();
                let config = client_config(client_provider.clone(), verifier, None);
                handshake(&Arc::new(config), &server)
            };
            run(&ca.cert, &[ca.cert.pin]).unwrap_or_else(|e| panic!("{label}: CA pin: {e:?}"));
            run(&ca.cert, &[leaf.pin]).unwrap_or_else(|e| panic!("{label}: leaf pin: {e:?}"));
            let error = run(&ca.cert, &[unrelated.pin]).unwrap_err().client();
            let mismatch = pin_mismatch(&error).unwrap_or_else(|| panic!("{label}: {error:?}"));
            assert_eq!(
                mismatch.validated_path(),
                Some(&[leaf.pin, ca.cert.pin][..]),
                "{label}"
            );
            let error = run(&other_ca.cert, &[ca.cert.pin]).unwrap_err().client();
            assert_eq!(
                error,
                rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer),
                "{label}"
            );
        }
    }
}

/// The same verifier, with the name checked, refuses a certificate for another name.
#[test]
fn webpki_and_pins_check_the_name() {
    let ca = test_ca();
    let elsewhere = ca.issue(KeyType::EcdsaP256, &["elsewhere.example"]);
    let (server, _) = server_config(&Presented::cert(&elsewhere), None);
    for (name, provider) in providers() {
        let verifier =
            PinnedWebPkiVerifier::new(roots_024(&[&ca.cert]), provider.clone(), [ca.cert.pin])
                .unwrap();
        let config = client_config(provider.clone(), verifier, None);
        let error = handshake(&Arc::new(config), &server).unwrap_err().client();
        assert!(
            matches!(
                error,
                rustls::Error::InvalidCertificate(CertificateError::NotValidForNameContext { .. })
            ),
            "{name}: {error:?}"
        );
    }
}
