//! Adversarial review, round 4 (issue 12's `platform::PlatformPinnedVerifier` and `fips()`,
//! commits 485845e and 50fd954). Written by an independent reviewer from the code and the README;
//! every test asserts a promise of the README or the rustdoc.

mod common;

use common::*;
use rustls::pki_types::{ServerName, UnixTime};
use tlspin::host_pins::{HostPinSet, HostPinnedVerifier};
use tlspin::policy::{PeerChain, ServerCertPolicy};

// ---------------------------------------------------------------------------------------------
// 1. fips(): a verifier is FIPS only if the cryptography of everything it runs is
// ---------------------------------------------------------------------------------------------

/// A policy that does cryptography of its own outside any FIPS module (say, it asks the
/// operating system, as `PlatformPins` does on macOS and Windows) and says so.
#[derive(Debug)]
struct NotFipsPolicy;

impl ServerCertPolicy for NotFipsPolicy {
    fn check_server_cert(
        &self,
        _chain: PeerChain<'_>,
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<(), rustls::Error> {
        Ok(())
    }

    fn fips(&self) -> bool {
        false
    }
}

/// `ServerVerifier::fips` promises "the policy does no cryptography of its own outside it
/// (`ServerCertPolicy::fips`)". `HostPinsBuilder::fallback` takes any `ServerCertPolicy` and runs
/// it for every host without an active pin set, but `HostPins` does not override
/// `ServerCertPolicy::fips`, so it answers the default `true` whatever its fallback answers: a
/// `HostPinnedVerifier` whose fallback is not FIPS reports `fips() == true` in a `fips` build
/// with the FIPS provider. In this (non-`fips`) build the whole `fips()` is `false` because of the
/// digests, so the test asserts on the policy's own answer, which is the term that is wrong.
#[test]
fn host_pins_policy_is_not_fips_when_its_fallback_is_not() {
    for (name, provider) in providers() {
        let verifier = HostPinnedVerifier::builder(test_roots(), provider.clone())
            .pin_set(HostPinSet::new("pinned.example", [test_ca().cert.pin]).unwrap())
            .fallback(NotFipsPolicy)
            .build()
            .unwrap();
        assert!(
            !verifier.policy().fips(),
            "{name}: HostPins::fips() ignores its fallback policy, which does cryptography \
             outside the FIPS module (NotFipsPolicy::fips() == false)"
        );
    }
}

/// The same, through the verifier's own `fips()`, in a `fips` build with rustls' FIPS provider:
/// the signature algorithms and the pin digests are FIPS, the fallback is not.
#[cfg(feature = "fips")]
#[test]
fn host_pinned_verifier_with_a_non_fips_fallback_is_not_fips() {
    let fips = std::sync::Arc::new(rustls::crypto::default_fips_provider());
    let verifier = HostPinnedVerifier::builder(test_roots(), fips)
        .pin_set(HostPinSet::new("pinned.example", [test_ca().cert.pin]).unwrap())
        .fallback(NotFipsPolicy)
        .build()
        .unwrap();
    assert!(
        !verifier.fips(),
        "a HostPinnedVerifier whose fallback does non-FIPS cryptography reports fips() == true"
    );
}

/// Control: without the `fips` feature, no verifier claims FIPS, whatever the provider.
#[cfg(not(feature = "fips"))]
#[test]
fn nothing_is_fips_without_the_fips_feature() {
    for (name, provider) in providers() {
        let pin = server_cert(KeyType::EcdsaP256).pin;
        assert!(!tlspin::PinnedServerVerifier::builder(provider.clone())
            .pin(pin)
            .build()
            .unwrap()
            .fips());
        assert!(
            !tlspin::PinnedWebPkiVerifier::builder(test_roots(), provider.clone())
                .pin(pin)
                .build()
                .unwrap()
                .fips(),
            "{name}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// 2. PlatformPinnedVerifier (feature `platform`): OS trust, plus a pin on the leaf or on a path
//    that webpki validates to the native roots.
// ---------------------------------------------------------------------------------------------

#[cfg(feature = "platform")]
mod platform {
    use super::*;

    use rcgen::KeyPair;
    use rustls::client::danger::ServerCertVerifier;
    use rustls::pki_types::CertificateDer;
    use rustls::CertificateError;
    use tlspin::platform::PlatformPinnedVerifier;
    use tlspin::{Pin, PinMismatch};

    fn run(
        provider: &std::sync::Arc<rustls::crypto::CryptoProvider>,
        verifier: std::sync::Arc<dyn ServerCertVerifier>,
        presented: &TestCert,
        chain: Vec<CertificateDer<'static>>,
        name: &str,
    ) -> Outcome {
        let mut server = ServerSetup::new(provider, presented);
        server.identity.chain = chain;
        handshake(
            client_config(provider, &rustls::version::TLS13, verifier),
            server.build(),
            name,
        )
    }

    fn is_pin_mismatch(outcome: &Outcome) -> bool {
        PinMismatch::from_rustls(outcome.client_error()).is_some()
    }

    fn bundle(dir: &std::path::Path, file: &str, roots: &[&TestCert]) -> std::path::PathBuf {
        let path = dir.join(file);
        let pem: String = roots.iter().map(|r| r.pem.as_str()).collect();
        std::fs::write(&path, pem).unwrap();
        path
    }

    /// One test, because it changes this process's environment (`SSL_CERT_FILE`).
    #[test]
    fn platform_pins_on_the_edges_and_with_roots_the_platform_verifier_loads() {
        let dir = tempfile::tempdir().unwrap();
        std::env::remove_var("SSL_CERT_DIR");

        // Two roots; one intermediate key cross-signed by both.
        let r1 = TestCa::new(KeyType::EcdsaP256, "review root 1");
        let r2 = TestCa::new(KeyType::EcdsaP256, "review root 2");
        let key = KeyType::EcdsaP256.generate();
        let key_der = key.serialize_der();
        let i1 = r1.issue_ca_with_key(
            ca_params("review cross-signed intermediate"),
            KeyPair::try_from(key_der.as_slice()).unwrap(),
        );
        let i2 = r2.issue_ca_with_key(
            ca_params("review cross-signed intermediate"),
            KeyPair::try_from(key_der.as_slice()).unwrap(),
        );
        assert_eq!(
            i1.cert.pin, i2.cert.pin,
            "the cross-signed pair shares a key"
        );
        let leaf = i1.issue(KeyType::EcdsaP256, &["localhost"]);
        let unrelated = Pin::from_sha256([7; 32]);

        // --- Only root 1 is trusted by the OS. ---
        std::env::set_var("SSL_CERT_FILE", bundle(dir.path(), "r1.pem", &[&r1.cert]));
        for (name, provider) in providers() {
            let verifier = |pins: &[Pin]| -> std::sync::Arc<dyn ServerCertVerifier> {
                PlatformPinnedVerifier::new(provider.clone(), pins.iter().copied()).unwrap()
            };
            // The platform validates leaf <- I1 <- R1. R2 is on no path to the native roots:
            // its pin must not count, even when R2's cross-certificate and R2 itself are sent.
            for chain in [
                vec![leaf.der.clone(), i2.cert.der.clone(), i1.cert.der.clone()],
                vec![
                    leaf.der.clone(),
                    i2.cert.der.clone(),
                    r2.cert.der.clone(),
                    i1.cert.der.clone(),
                ],
            ] {
                let outcome = run(
                    &provider,
                    verifier(&[r2.cert.pin]),
                    &leaf,
                    chain.clone(),
                    "localhost",
                );
                assert!(
                    is_pin_mismatch(&outcome),
                    "{name}: a pin on an untrusted cross-signing root was accepted: {outcome:?}"
                );
                // The trusted root and the shared intermediate key are on the validated path.
                for pins in [[r1.cert.pin, unrelated], [i1.cert.pin, unrelated]] {
                    run(
                        &provider,
                        verifier(&pins),
                        &leaf,
                        chain.clone(),
                        "localhost",
                    )
                    .negotiated();
                }
            }
        }

        // --- Both roots trusted: a pinned path through R2 exists, though R1's comes first. ---
        std::env::set_var(
            "SSL_CERT_FILE",
            bundle(dir.path(), "r1r2.pem", &[&r1.cert, &r2.cert]),
        );
        for (name, provider) in providers() {
            let verifier =
                PlatformPinnedVerifier::new(provider.clone(), [r2.cert.pin, unrelated]).unwrap();
            let outcome = run(
                &provider,
                verifier,
                &leaf,
                vec![leaf.der.clone(), i1.cert.der.clone(), i2.cert.der.clone()],
                "localhost",
            );
            assert!(outcome.client.is_ok(), "{name}: {outcome:?}");
        }

        // --- The tests' CA trusted. ---
        std::env::set_var(
            "SSL_CERT_FILE",
            bundle(dir.path(), "ca.pem", &[&test_ca().cert]),
        );
        let intermediate = test_ca().issue_ca(KeyType::EcdsaP256, "review intermediate");
        let via_intermediate = intermediate.issue(KeyType::EcdsaP256, &["localhost"]);
        let direct = server_cert(KeyType::EcdsaP256);
        let wrong_name = test_ca().issue(KeyType::EcdsaP256, &["other.example"]);
        let mut expired_params = leaf_params(&["localhost"]);
        expired_params.not_after = rcgen::date_time_ymd(2025, 1, 1);
        let expired = test_ca().issue_with(KeyType::EcdsaP256, expired_params);
        let ip_leaf = test_ca().issue(KeyType::EcdsaP256, &["127.0.0.1"]);
        for (name, provider) in providers() {
            let verifier = |pins: &[Pin]| -> std::sync::Arc<dyn ServerCertVerifier> {
                PlatformPinnedVerifier::new(provider.clone(), pins.iter().copied()).unwrap()
            };
            // A CA pin at the root or at the intermediate of leaf <- I <- CA.
            let chain = vec![via_intermediate.der.clone(), intermediate.cert.der.clone()];
            for pin in [
                test_ca().cert.pin,
                intermediate.cert.pin,
                via_intermediate.pin,
            ] {
                run(
                    &provider,
                    verifier(&[pin]),
                    &via_intermediate,
                    chain.clone(),
                    "localhost",
                )
                .negotiated();
            }
            // A pinned intermediate sent but not used (the leaf is issued by the root itself).
            let outcome = run(
                &provider,
                verifier(&[intermediate.cert.pin]),
                &direct,
                vec![direct.der.clone(), intermediate.cert.der.clone()],
                "localhost",
            );
            assert!(is_pin_mismatch(&outcome), "{name}: {outcome:?}");
            // A pinned leaf with the wrong name: the platform refuses it, and nothing else
            // accepts it.
            let outcome = run(
                &provider,
                verifier(&[wrong_name.pin]),
                &wrong_name,
                vec![wrong_name.der.clone()],
                "localhost",
            );
            assert!(
                matches!(
                    outcome.client_error(),
                    rustls::Error::InvalidCertificate(
                        CertificateError::NotValidForName
                            | CertificateError::NotValidForNameContext { .. }
                    )
                ),
                "{name}: {outcome:?}"
            );
            // An expired pinned leaf.
            let outcome = run(
                &provider,
                verifier(&[expired.pin]),
                &expired,
                vec![expired.der.clone()],
                "localhost",
            );
            assert!(
                matches!(
                    outcome.client_error(),
                    rustls::Error::InvalidCertificate(
                        CertificateError::Expired | CertificateError::ExpiredContext { .. }
                    )
                ),
                "{name}: {outcome:?}"
            );
            // A server name that is an IP address: the IP SAN matches, a DNS SAN does not.
            run(
                &provider,
                verifier(&[test_ca().cert.pin]),
                &ip_leaf,
                vec![ip_leaf.der.clone()],
                "127.0.0.1",
            )
            .negotiated();
            let outcome = run(
                &provider,
                verifier(&[direct.pin]),
                &direct,
                vec![direct.der.clone()],
                "127.0.0.1",
            );
            assert!(
                matches!(
                    outcome.client_error(),
                    rustls::Error::InvalidCertificate(
                        CertificateError::NotValidForName
                            | CertificateError::NotValidForNameContext { .. }
                    )
                ),
                "{name}: {outcome:?}"
            );
            // No FIPS claim without the `fips` feature (and never with ring).
            let platform = PlatformPinnedVerifier::new(provider.clone(), [direct.pin]).unwrap();
            assert_eq!(
                platform.fips(),
                cfg!(feature = "fips") && name != "ring",
                "{name}"
            );
        }

        // --- Roots the platform verifier loads, tlspin's constructor refuses. ---
        // `SSL_CERT_FILE` names a good bundle; `SSL_CERT_DIR` also holds one file that is not PEM
        // (the tests' CA in DER, as `c_rehash` directories and Android's cacerts hold them).
        // rustls-platform-verifier (reqwest 0.13's default) skips it and trusts the bundle; the
        // docs say "the platform verifier decides trust", and "a leaf pin does not depend on path
        // building", yet PlatformPinnedVerifier::new fails with NativeRoots, even for a leaf pin.
        let certs_dir = dir.path().join("certs");
        std::fs::create_dir(&certs_dir).unwrap();
        std::fs::write(certs_dir.join("ca.der"), test_ca().cert.der.as_ref()).unwrap();
        std::env::set_var("SSL_CERT_DIR", &certs_dir);
        for (name, provider) in providers() {
            let os = rustls_platform_verifier::Verifier::new(provider.clone());
            let os = os.expect("the platform verifier loads these roots");
            // ... and accepts the pinned server through them.
            run(
                &provider,
                std::sync::Arc::new(os),
                &direct,
                vec![direct.der.clone()],
                "localhost",
            )
            .negotiated();
            let outcome = PlatformPinnedVerifier::new(provider.clone(), [direct.pin])
                .map(|v| run(&provider, v, &direct, vec![direct.der.clone()], "localhost").client);
            assert!(
                matches!(outcome, Ok(Ok(_))),
                "{name}: the platform trusts this leaf and it is pinned, but: {outcome:?}"
            );
        }
        std::env::remove_var("SSL_CERT_DIR");
        std::env::remove_var("SSL_CERT_FILE");
    }
}
