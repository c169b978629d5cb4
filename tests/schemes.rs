//! Invariants 1, 2 and 7: advertised schemes are exactly the provider's, each one verifies a real
//! signature, no list is written by hand, and unusable providers are refused at build time.

mod common;

use std::sync::Arc;

use common::*;
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::SignatureVerificationAlgorithm;
use rustls::server::danger::ClientCertVerifier;
use rustls::{SignatureScheme, SupportedProtocolVersion};
use tlspin::danger::{AcceptAnyServerCert, IgnoreServerName};
use tlspin::{Error, PinnedClientVerifier, PinnedServerVerifier};

type Mapping = (
    SignatureScheme,
    &'static [&'static dyn SignatureVerificationAlgorithm],
);

/// `provider` with its signature table cut down to `keep` (the algorithms stay the provider's).
fn cut_down(provider: &CryptoProvider, keep: &[SignatureScheme]) -> Arc<CryptoProvider> {
    let mapping: Vec<Mapping> = provider
        .signature_verification_algorithms
        .mapping
        .iter()
        .filter(|(scheme, _)| keep.contains(scheme))
        .copied()
        .collect();
    assert_eq!(mapping.len(), keep.len(), "provider lacks some of {keep:?}");
    with_mapping(provider, Box::leak(mapping.into_boxed_slice()))
}

fn with_mapping(provider: &CryptoProvider, mapping: &'static [Mapping]) -> Arc<CryptoProvider> {
    Arc::new(CryptoProvider {
        signature_verification_algorithms: WebPkiSupportedAlgorithms {
            all: provider.signature_verification_algorithms.all,
            mapping,
        },
        ..provider.clone()
    })
}

/// The providers under test: each enabled provider, and a cut-down copy of it.
fn providers_and_cut_down() -> Vec<(String, Arc<CryptoProvider>)> {
    providers()
        .into_iter()
        .flat_map(|(name, provider)| {
            let cut = cut_down(
                &provider,
                &[
                    SignatureScheme::ED25519,
                    SignatureScheme::ECDSA_NISTP256_SHA256,
                ],
            );
            [
                (name.to_string(), provider),
                (format!("{name} cut down"), cut),
            ]
        })
        .collect()
}

fn versions_for(scheme: SignatureScheme) -> Vec<&'static SupportedProtocolVersion> {
    let tls13 = !matches!(
        scheme,
        SignatureScheme::RSA_PKCS1_SHA256
            | SignatureScheme::RSA_PKCS1_SHA384
            | SignatureScheme::RSA_PKCS1_SHA512
    );
    let tls12 = !matches!(
        scheme,
        SignatureScheme::ML_DSA_44 | SignatureScheme::ML_DSA_65 | SignatureScheme::ML_DSA_87
    );
    let mut versions = Vec::new();
    if tls12 {
        versions.push(&rustls::version::TLS12);
    }
    if tls13 {
        versions.push(&rustls::version::TLS13);
    }
    versions
}

#[test]
fn every_verifier_advertises_exactly_the_providers_schemes() {
    for (name, provider) in providers_and_cut_down() {
        let expected = provider
            .signature_verification_algorithms
            .supported_schemes();
        let pin = server_cert(KeyType::EcdsaP256).pin;
        for (kind, verifier) in tlspin_verifiers(&provider, pin) {
            assert_eq!(
                verifier.supported_verify_schemes(),
                expected,
                "{name} {kind}"
            );
        }
        let client = PinnedClientVerifier::builder(provider.clone())
            .pin(pin)
            .build()
            .unwrap();
        assert_eq!(
            client.supported_verify_schemes(),
            expected,
            "{name} pinned client"
        );
    }
}

/// Every advertised scheme, in every protocol version that allows it, verifies a real handshake
/// signature made with exactly that scheme, by server verifiers and by the mTLS client verifier.
#[test]
fn every_advertised_scheme_verifies_a_real_signature() {
    for (name, provider) in providers_and_cut_down() {
        for scheme in provider
            .signature_verification_algorithms
            .supported_schemes()
        {
            let cert = server_cert(KeyType::for_scheme(scheme));
            for version in versions_for(scheme) {
                let only = Some(vec![scheme]);
                for (kind, verifier) in tlspin_verifiers(&provider, cert.pin) {
                    let mut server = ServerSetup::new(&provider, &cert);
                    server.versions = vec![version];
                    server.identity.only_schemes = only.clone();
                    let outcome = handshake(
                        client_config(&provider, version, verifier),
                        server.build(),
                        "localhost",
                    );
                    let negotiated = outcome.negotiated();
                    assert_eq!(negotiated.scheme, Some(scheme), "{name} {kind} {version:?}");
                }

                let client_verifier = PinnedClientVerifier::builder(provider.clone())
                    .pin(cert.pin)
                    .build()
                    .unwrap();
                let mut server = ServerSetup::new(&provider, &server_cert(KeyType::Ed25519));
                server.versions = vec![version];
                server.client_verifier = Some(client_verifier);
                let mut identity = Identity::of(&cert);
                identity.only_schemes = only;
                let accept_any = AcceptAnyServerCert::new(provider.clone()).unwrap();
                let (client, client_log) =
                    client_config_with_identity(&provider, version, accept_any, Some(identity));
                let outcome = handshake(client, server.build(), "localhost");
                outcome.negotiated();
                assert_eq!(
                    *client_log.lock().unwrap(),
                    Some(scheme),
                    "{name} client {version:?}"
                );
            }
        }
    }
}

/// A scheme outside a cut-down table is not advertised, so a server that can only sign with it
/// fails the handshake cleanly instead of signing with a scheme the client cannot check.
#[test]
fn cut_down_provider_fails_cleanly_for_schemes_it_lacks() {
    for (name, provider) in providers() {
        let cut = cut_down(&provider, &[SignatureScheme::ED25519]);
        let cert = server_cert(KeyType::EcdsaP256);
        for (kind, verifier) in tlspin_verifiers(&cut, cert.pin) {
            for (version_name, version) in VERSIONS {
                let mut server = ServerSetup::new(&provider, &cert);
                server.versions = vec![version];
                let outcome = handshake(
                    client_config(&cut, version, verifier.clone()),
                    server.build(),
                    "localhost",
                );
                // rustls as a server sends a handshake_failure alert in TLS 1.3, and in TLS 1.2
                // drops the connection; either way the client never sees a signature it
                // cannot check.
                let (client, server) = if version == &rustls::version::TLS13 {
                    (
                        rustls::Error::AlertReceived(rustls::AlertDescription::HandshakeFailure),
                        rustls::Error::PeerIncompatible(
                            rustls::PeerIncompatible::NoSignatureSchemesInCommon,
                        ),
                    )
                } else {
                    (
                        rustls::Error::General(PEER_HUNG_UP.into()),
                        rustls::Error::General("incompatible signing key".into()),
                    )
                };
                assert_eq!(
                    outcome.client_error(),
                    &client,
                    "{name} {kind} {version_name}"
                );
                assert_eq!(
                    outcome.server_error(),
                    &server,
                    "{name} {kind} {version_name}"
                );
            }
        }
    }
}

fn assert_unusable(result: Result<impl Sized, Error>, needle: &str, what: &str) {
    match result {
        Err(Error::UnusableProvider { problem }) => {
            assert!(problem.contains(needle), "{what}: {problem}")
        }
        Err(other) => panic!("{what}: expected UnusableProvider, got {other}"),
        Ok(_) => panic!("{what}: an unusable provider was accepted"),
    }
}

fn assert_every_builder_refuses(provider: Arc<CryptoProvider>, needle: &str) {
    let pin = tlspin::Pin::from_sha256([1; 32]);
    assert_unusable(
        PinnedServerVerifier::builder(provider.clone())
            .pin(pin)
            .build(),
        needle,
        "pinned server",
    );
    assert_unusable(
        PinnedClientVerifier::builder(provider.clone())
            .pin(pin)
            .build(),
        needle,
        "pinned client",
    );
    assert_unusable(
        AcceptAnyServerCert::new(provider.clone()),
        needle,
        "accept-any",
    );
    assert_unusable(
        IgnoreServerName::new(test_roots(), provider.clone()),
        needle,
        "ignore-name",
    );
    assert_unusable(
        tlspin::pinned_client_config(provider, [pin]),
        needle,
        "pinned_client_config",
    );
}

#[test]
fn empty_signature_table_is_refused_at_build_time() {
    for (_, provider) in providers() {
        assert_every_builder_refuses(with_mapping(&provider, &[]), "mapping is empty");
    }
}

#[test]
fn scheme_mapped_to_no_algorithm_is_refused_at_build_time() {
    static MAPPING: [Mapping; 1] = [(SignatureScheme::ED25519, &[])];
    for (_, provider) in providers() {
        assert_every_builder_refuses(with_mapping(&provider, &MAPPING), "maps ED25519 to no");
    }
}

#[test]
fn certificate_algorithms_missing_is_refused_for_webpki() {
    for (_, provider) in providers() {
        let no_algorithms = Arc::new(CryptoProvider {
            signature_verification_algorithms: WebPkiSupportedAlgorithms {
                all: &[],
                mapping: provider.signature_verification_algorithms.mapping,
            },
            ..(*provider).clone()
        });
        assert_unusable(
            IgnoreServerName::new(test_roots(), no_algorithms),
            "all is empty",
            "ignore-name",
        );
    }
}

/// Invariant 2: `src/` names no signature scheme, so no list can be written by hand there.
#[test]
fn no_signature_scheme_is_named_in_src() {
    let mut offenders = Vec::new();
    let mut dirs = vec![std::path::PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/src"
    ))];
    let mut files = 0;
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files += 1;
                let text = std::fs::read_to_string(&path).unwrap();
                for (n, line) in text.lines().enumerate() {
                    if line.contains("SignatureScheme::") {
                        offenders.push(format!("{}:{}: {}", path.display(), n + 1, line.trim()));
                    }
                }
            }
        }
    }
    assert!(files > 5, "scanned only {files} files");
    assert!(
        offenders.is_empty(),
        "hand-written schemes in src/:\n{}",
        offenders.join("\n")
    );
}
