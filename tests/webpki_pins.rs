//! WebPKI plus pins: any certificate of the validated path may be pinned, nothing merely
//! presented counts, cross-signed chains find the pinned path, and nothing plain WebPKI rejects
//! is ever accepted.

mod common;

use std::sync::Arc;

use common::*;
use rustls::client::danger::ServerCertVerifier;
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName};
use rustls::RootCertStore;
use tlspin::{CaCertificateAsServer, PinMismatch, PinnedWebPkiVerifier};

/// root -> intermediate -> leaf("localhost").
struct Pki {
    root: TestCa,
    intermediate: TestCa,
    leaf: TestCert,
}

fn pki() -> Pki {
    let root = TestCa::new(KeyType::EcdsaP384, "tlspin root");
    let intermediate = root.issue_ca(KeyType::EcdsaP256, "tlspin intermediate");
    let leaf = intermediate.issue(KeyType::Ed25519, &["localhost"]);
    Pki {
        root,
        intermediate,
        leaf,
    }
}

fn verify(
    verifier: &dyn ServerCertVerifier,
    chain: &[&TestCert],
    name: &str,
) -> Result<(), rustls::Error> {
    let ders: Vec<CertificateDer<'static>> = chain.iter().map(|c| c.der.clone()).collect();
    let (leaf, rest) = ders.split_first().unwrap();
    verifier
        .verify_server_cert(
            leaf,
            rest,
            &ServerName::try_from(name.to_string()).unwrap(),
            &[],
            test_time(),
        )
        .map(|_| ())
}

fn pinned(
    roots: Arc<RootCertStore>,
    provider: &Arc<CryptoProvider>,
    pins: &[tlspin::Pin],
) -> Arc<PinnedWebPkiVerifier> {
    PinnedWebPkiVerifier::builder(roots, provider.clone())
        .pins(pins.iter().copied())
        .build()
        .unwrap()
}

#[test]
fn a_pin_on_any_certificate_of_the_validated_path_is_accepted_in_a_handshake() {
    for (name, provider) in providers() {
        let pki = pki();
        let roots = roots_of(&[&pki.root.cert]);
        for (what, pin) in [
            ("leaf", pki.leaf.pin),
            ("intermediate", pki.intermediate.cert.pin),
            ("root", pki.root.cert.pin),
        ] {
            for (version_name, version) in VERSIONS {
                let mut server = ServerSetup::new(&provider, &pki.leaf);
                server.identity.chain =
                    vec![pki.leaf.der.clone(), pki.intermediate.cert.der.clone()];
                let verifier = pinned(roots.clone(), &provider, &[pin]);
                let outcome = handshake(
                    client_config(&provider, version, verifier),
                    server.build(),
                    "localhost",
                );
                assert_eq!(
                    outcome.negotiated().version,
                    version.version,
                    "{name} {what} {version_name}"
                );
            }
        }
    }
}

#[test]
fn an_unpinned_path_is_refused_with_the_path_in_the_error() {
    for (name, provider) in providers() {
        let pki = pki();
        let other = tlspin::Pin::from_sha256([5; 32]);
        let verifier = pinned(roots_of(&[&pki.root.cert]), &provider, &[other]);
        for (version_name, version) in VERSIONS {
            let mut server = ServerSetup::new(&provider, &pki.leaf);
            server.identity.chain = vec![pki.leaf.der.clone(), pki.intermediate.cert.der.clone()];
            let outcome = handshake(
                client_config(&provider, version, verifier.clone()),
                server.build(),
                "localhost",
            );
            let error = outcome.client_error();
            let mismatch = PinMismatch::from_rustls(error)
                .unwrap_or_else(|| panic!("{name} {version_name}: {error:?}"));
            assert_eq!(
                mismatch.validated_path(),
                Some(&[pki.leaf.pin, pki.intermediate.cert.pin, pki.root.cert.pin][..])
            );
            assert_eq!(mismatch.expected(), &[other]);
            let shown = error.to_string();
            assert!(
                shown.contains("no certificate on the validated path"),
                "{shown}"
            );
            assert!(
                shown.contains(&format!("{} (root)", pki.root.cert.pin)),
                "{shown}"
            );
        }
    }
}

/// A server holding a certificate mis-issued under a trusted root, through another
/// intermediate, appends the pinned intermediate to its chain. It is not on the validated path,
/// so it does not count.
#[test]
fn a_pinned_certificate_that_is_only_presented_does_not_count() {
    for (name, provider) in providers() {
        let pki = pki();
        let rogue_intermediate = pki.root.issue_ca(KeyType::EcdsaP256, "rogue intermediate");
        let rogue_leaf = rogue_intermediate.issue(KeyType::EcdsaP256, &["localhost"]);
        let verifier = pinned(
            roots_of(&[&pki.root.cert]),
            &provider,
            &[pki.intermediate.cert.pin],
        );
        let error = verify(
            verifier.as_ref(),
            &[
                &rogue_leaf,
                &rogue_intermediate.cert,
                &pki.intermediate.cert,
            ],
            "localhost",
        )
        .unwrap_err();
        let mismatch =
            PinMismatch::from_rustls(&error).unwrap_or_else(|| panic!("{name}: {error:?}"));
        assert_eq!(
            mismatch.validated_path(),
            Some(
                &[
                    rogue_leaf.pin,
                    rogue_intermediate.cert.pin,
                    pki.root.cert.pin
                ][..]
            )
        );
        assert_eq!(mismatch.presented()[2], Some(pki.intermediate.cert.pin));
        // The genuine chain passes.
        verify(
            verifier.as_ref(),
            &[&pki.leaf, &pki.intermediate.cert],
            "localhost",
        )
        .unwrap();
    }
}

/// An intermediate cross-signed by two roots: whichever root is pinned, webpki finds the path
/// through it, even when the other path is tried first.
#[test]
fn cross_signed_chains_find_the_pinned_path() {
    for (name, provider) in providers() {
        let root_a = TestCa::new(KeyType::EcdsaP256, "root A");
        let root_b = TestCa::new(KeyType::EcdsaP384, "root B");
        let key = KeyType::EcdsaP256.generate();
        let key_der = key.serialize_der();
        let via_a = root_a.issue_ca_with_key(ca_params("cross-signed"), key);
        let via_b = root_b.issue_ca_with_key(
            ca_params("cross-signed"),
            rcgen::KeyPair::try_from(key_der.as_slice()).unwrap(),
        );
        assert_eq!(via_a.cert.pin, via_b.cert.pin, "one key, two certificates");
        let leaf = via_a.issue(KeyType::Ed25519, &["localhost"]);
        let roots = roots_of(&[&root_a.cert, &root_b.cert]);

        for chain in [
            [&leaf, &via_a.cert, &via_b.cert],
            [&leaf, &via_b.cert, &via_a.cert],
        ] {
            for root in [&root_a, &root_b] {
                let verifier = pinned(roots.clone(), &provider, &[root.cert.pin]);
                verify(verifier.as_ref(), &chain, "localhost").unwrap_or_else(|e| {
                    panic!("{name}: pinned {:?} refused: {e:?}", root.cert.pin)
                });
            }
            let verifier = pinned(
                roots.clone(),
                &provider,
                &[tlspin::Pin::from_sha256([1; 32])],
            );
            let error = verify(verifier.as_ref(), &chain, "localhost").unwrap_err();
            assert!(
                PinMismatch::from_rustls(&error).is_some(),
                "{name}: {error:?}"
            );
        }
    }
}

/// With the root pinned, the verdict and the error are exactly those of rustls'
/// `WebPkiServerVerifier` on chains that are valid, expired, misnamed, unknown, of the wrong
/// purpose, or a CA used as a leaf.
#[test]
fn never_accepts_what_plain_webpki_rejects() {
    for (name, provider) in providers() {
        let pki = pki();
        let roots = roots_of(&[&pki.root.cert]);
        let stock = WebPkiServerVerifier::builder_with_provider(roots.clone(), provider.clone())
            .build()
            .unwrap();
        let ours = pinned(roots.clone(), &provider, &[pki.root.cert.pin]);

        let mut expired = leaf_params(&["localhost"]);
        expired.not_after = rcgen::date_time_ymd(2025, 1, 1);
        let expired = pki.intermediate.issue_with(KeyType::EcdsaP256, expired);
        let mut client_only = leaf_params(&["localhost"]);
        client_only.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ClientAuth];
        let client_only = pki.intermediate.issue_with(KeyType::EcdsaP256, client_only);
        let stranger = self_signed_with(KeyType::EcdsaP256, leaf_params(&["localhost"]));
        let sub_ca = pki.intermediate.issue_ca(KeyType::EcdsaP256, "localhost");

        let cases: Vec<(&str, Vec<&TestCert>, &str)> = vec![
            (
                "valid",
                vec![&pki.leaf, &pki.intermediate.cert],
                "localhost",
            ),
            (
                "wrong name",
                vec![&pki.leaf, &pki.intermediate.cert],
                "other.example",
            ),
            ("missing intermediate", vec![&pki.leaf], "localhost"),
            (
                "expired",
                vec![&expired, &pki.intermediate.cert],
                "localhost",
            ),
            (
                "client-auth EKU",
                vec![&client_only, &pki.intermediate.cert],
                "localhost",
            ),
            ("unknown issuer", vec![&stranger], "localhost"),
            (
                "CA as leaf",
                vec![&sub_ca.cert, &pki.intermediate.cert],
                "localhost",
            ),
        ];
        for (case, chain, server_name) in cases {
            let expected = verify(stock.as_ref(), &chain, server_name);
            let got = verify(ours.as_ref(), &chain, server_name);
            match (&expected, &got) {
                (Ok(()), Ok(())) => assert_eq!(case, "valid"),
                (Err(e), Err(g)) if CaCertificateAsServer::from_rustls(g).is_some() => {
                    assert_eq!(case, "CA as leaf", "{name}: {e:?}");
                    let source =
                        std::error::Error::source(CaCertificateAsServer::from_rustls(g).unwrap());
                    assert_eq!(
                        source.and_then(|s| s.downcast_ref::<webpki::Error>()),
                        Some(&webpki::Error::CaUsedAsEndEntity)
                    );
                    assert!(e.to_string().contains("CaUsedAsEndEntity"), "{e}");
                }
                (Err(e), Err(g)) => assert_eq!(e, g, "{name} {case}"),
                _ => panic!("{name} {case}: stock {expected:?}, tlspin {got:?}"),
            }
            assert_ne!(case == "valid", got.is_err(), "{name} {case}: {got:?}");
        }
    }
}

#[test]
fn builder_errors() {
    for (_, provider) in providers() {
        let pki = pki();
        let err = PinnedWebPkiVerifier::builder(roots_of(&[&pki.root.cert]), provider.clone())
            .build()
            .unwrap_err();
        assert!(matches!(err, tlspin::Error::NoPins), "{err}");
        let err = PinnedWebPkiVerifier::builder(RootCertStore::empty(), provider.clone())
            .pin(pki.root.cert.pin)
            .build()
            .unwrap_err();
        assert!(matches!(err, tlspin::Error::NoRootCertificates), "{err}");
    }
}

#[test]
fn a_path_pin_among_many_is_found_and_a_missing_one_is_not() {
    // 1,000 pins spread over the digest space, so that the real pin sorts among them.
    let filler: Vec<tlspin::Pin> = (0..1000u16)
        .map(|i| {
            let mut digest = [0xa5; 32];
            digest[..2].copy_from_slice(&(i.wrapping_mul(65)).to_be_bytes());
            tlspin::Pin::from_sha256(digest)
        })
        .collect();
    for (name, provider) in providers() {
        let pki = pki();
        let roots = roots_of(&[&pki.root.cert]);
        let chain = [&pki.leaf, &pki.intermediate.cert];
        let mut pins = filler.clone();
        pins.push(pki.intermediate.cert.pin);
        let found = verify(
            &*pinned(roots.clone(), &provider, &pins),
            &chain,
            "localhost",
        );
        assert_eq!(found, Ok(()), "{name}");
        let error = verify(&*pinned(roots, &provider, &filler), &chain, "localhost").unwrap_err();
        assert!(
            PinMismatch::from_rustls(&error).is_some(),
            "{name}: {error}"
        );
    }
}
