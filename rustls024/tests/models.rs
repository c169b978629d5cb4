//! tlspin's other models under rustls 0.24 (trust on first use, host pin sets, self-signed
//! certificates), and the effects policies defer until the handshake signature has verified,
//! in real handshakes with both provider crates over TLS 1.2 and 1.3.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use common::*;
use rustls::error::CertificateError;
use rustls::pki_types::{FipsStatus, ServerName, UnixTime};
use rustls::RootCertStore;
use tlspin::host_pins::{HostPinSet, PinReport};
use tlspin::policy::{after_handshake_signature, PeerChain, ServerCertPolicy};
use tlspin::tofu::{KnownHosts, Trust};
use tlspin::{NotAGivenCertificate, Pin};
use tlspin_rustls024::{
    known_host_mismatch, pin_mismatch, HostPinnedVerifier, PinnedClientVerifier,
    PinnedServerVerifier, PinnedWebPkiVerifier, SelfSignedVerifier, ServerVerifier, TofuVerifier,
};

fn roots_024(certs: &[&TestCert]) -> RootCertStore {
    let mut roots = RootCertStore::empty();
    for cert in certs {
        roots.add(cert.der.clone()).expect("root parses");
    }
    roots
}

/// Every provider crate over every version, labelled.
fn cases() -> Vec<(String, Arc<rustls::crypto::CryptoProvider>)> {
    providers()
        .into_iter()
        .flat_map(|(name, provider)| {
            VERSIONS.map(|(version_name, version)| {
                (format!("{name} {version_name}"), only(&provider, version))
            })
        })
        .collect()
}

/// A server presenting the pinned `localhost` certificate without its key (a copy of the real
/// server's certificate, signed with a thief's key of the same type).
fn stolen(cert: &TestCert) -> Arc<rustls::ServerConfig> {
    let thief = test_ca().issue(KeyType::EcdsaP256, &["localhost"]);
    server_config(&Presented::chain(vec![cert.der.clone()], &thief), None).0
}

fn connect(
    provider: &Arc<rustls::crypto::CryptoProvider>,
    verifier: Arc<dyn rustls::client::danger::ServerVerifier>,
    server: &Arc<rustls::ServerConfig>,
) -> Result<Negotiated, Failure> {
    handshake(
        &Arc::new(client_config(provider.clone(), verifier, None)),
        server,
    )
}

#[test]
fn tofu_records_a_host_only_after_its_signature_verified_then_pins_it() {
    let real = server_cert(KeyType::EcdsaP256);
    let (server, _) = server_config(&Presented::cert(&real), None);
    let thief_server = stolen(&real);
    let impostor = test_ca().issue(KeyType::EcdsaP256, &["localhost"]);
    let (impostor_server, _) = server_config(&Presented::cert(&impostor), None);
    for (label, provider) in cases() {
        let dir = tempfile::tempdir().unwrap();
        let store = KnownHosts::open(dir.path().join("known_hosts")).unwrap();
        let verifier = TofuVerifier::new(&store, provider.clone(), 443).unwrap();

        // Somebody with a copy of the real certificate but not its key: refused, not recorded.
        let error = connect(&provider, verifier.clone(), &thief_server)
            .unwrap_err()
            .client();
        assert_eq!(
            error,
            rustls::Error::InvalidCertificate(CertificateError::BadSignature),
            "{label}"
        );
        assert_eq!(store.get("localhost", 443).unwrap(), None, "{label}");

        // The real server proves its key: recorded, as first use.
        connect(&provider, verifier.clone(), &server)
            .unwrap_or_else(|e| panic!("{label}: first use: {e:?}"));
        let recorded = store
            .get("localhost", 443)
            .unwrap()
            .unwrap_or_else(|| panic!("{label}: the first use was not recorded"));
        assert_eq!(recorded.pin, real.pin, "{label}");
        assert_eq!(recorded.trust, Trust::FirstUse, "{label}");

        // From then on the host is pinned: by this verifier and by a new one over the store.
        let fresh = TofuVerifier::new(&store, provider.clone(), 443).unwrap();
        for (which, verifier) in [("same", verifier.clone()), ("new", fresh.clone())] {
            let error = connect(&provider, verifier.clone(), &impostor_server)
                .unwrap_err()
                .client();
            let mismatch =
                known_host_mismatch(&error).unwrap_or_else(|| panic!("{label} {which}: {error:?}"));
            assert_eq!(mismatch.stored().pin, real.pin, "{label} {which}");
            assert_eq!(mismatch.presented(), impostor.pin, "{label} {which}");
            connect(&provider, verifier, &server)
                .unwrap_or_else(|e| panic!("{label} {which}: the known key: {e:?}"));
        }
        assert_eq!(store.entries().unwrap().len(), 1, "{label}");
    }
}

#[test]
fn tofu_with_roots_records_a_webpki_valid_first_chain_as_such() {
    let real = server_cert(KeyType::EcdsaP256);
    let (server, _) = server_config(&Presented::cert(&real), None);
    let other = self_signed_with(KeyType::EcdsaP256, leaf_params(&["localhost"]));
    let (self_signed_server, _) = server_config(&Presented::cert(&other), None);
    for (label, provider) in cases() {
        let dir = tempfile::tempdir().unwrap();
        let store = KnownHosts::open(dir.path().join("known_hosts")).unwrap();
        let roots = roots_024(&[&test_ca().cert]);
        let verifier = TofuVerifier::with_roots(&store, provider.clone(), 8443, roots).unwrap();
        connect(&provider, verifier.clone(), &server).unwrap_or_else(|e| panic!("{label}: {e:?}"));
        let recorded = store.get("localhost", 8443).unwrap().unwrap();
        assert_eq!(
            (recorded.pin, recorded.trust),
            (real.pin, Trust::WebPki),
            "{label}"
        );
        let error = connect(&provider, verifier, &self_signed_server)
            .unwrap_err()
            .client();
        assert!(known_host_mismatch(&error).is_some(), "{label}: {error:?}");
    }
}

/// Counts the reports an `on_pin_failure` callback receives.
fn counting() -> (
    Arc<Mutex<Vec<PinReport>>>,
    impl Fn(&PinReport) + Send + Sync,
) {
    let reports = Arc::new(Mutex::new(Vec::new()));
    let sink = reports.clone();
    (reports, move |report: &PinReport| {
        sink.lock().unwrap().push(report.clone())
    })
}

#[test]
fn report_only_pin_failures_are_reported_after_the_signature_only() {
    let real = server_cert(KeyType::EcdsaP256);
    let (server, _) = server_config(&Presented::cert(&real), None);
    let thief_server = stolen(&real);
    let unrelated: Pin = "sha256/47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
        .parse()
        .unwrap();
    for (label, provider) in cases() {
        let (reports, callback) = counting();
        let verifier =
            HostPinnedVerifier::configure(roots_024(&[&test_ca().cert]), provider.clone(), |b| {
                b.pin_set(HostPinSet::new("localhost", [unrelated]).unwrap())
                    .report_only(true)
                    .on_pin_failure(callback)
            })
            .unwrap();
        let error = connect(&provider, verifier.clone(), &thief_server)
            .unwrap_err()
            .client();
        assert_eq!(
            error,
            rustls::Error::InvalidCertificate(CertificateError::BadSignature),
            "{label}"
        );
        assert!(
            reports.lock().unwrap().is_empty(),
            "{label}: reported a chain whose key was never proven"
        );
        connect(&provider, verifier, &server)
            .unwrap_or_else(|e| panic!("{label}: report-only refused: {e:?}"));
        let reports = reports.lock().unwrap();
        assert_eq!(reports.len(), 1, "{label}");
        let report = reports.first().unwrap();
        assert_eq!(report.host, "localhost", "{label}");
        assert!(!report.enforced, "{label}");
        assert_eq!(report.expected, vec![unrelated], "{label}");
    }
}

#[test]
fn host_pin_sets_accept_and_refuse() {
    let ca = test_ca();
    let real = server_cert(KeyType::EcdsaP256);
    let (server, _) = server_config(&Presented::cert(&real), None);
    let untrusted = self_signed_with(KeyType::EcdsaP256, leaf_params(&["localhost"]));
    let (untrusted_server, _) = server_config(&Presented::cert(&untrusted), None);
    let unrelated: Pin = "sha256/47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
        .parse()
        .unwrap();
    for (label, provider) in cases() {
        let build = |pattern: &str, pins: &[Pin]| {
            let set = HostPinSet::new(pattern, pins.iter().copied()).unwrap();
            HostPinnedVerifier::configure(roots_024(&[&ca.cert]), provider.clone(), |b| {
                b.pin_set(set)
            })
            .unwrap()
        };
        connect(&provider, build("localhost", &[ca.cert.pin]), &server)
            .unwrap_or_else(|e| panic!("{label}: CA pin: {e:?}"));
        connect(&provider, build("*.localhost", &[unrelated]), &server)
            .unwrap_or_else(|e| panic!("{label}: no set for the host, WebPKI: {e:?}"));
        let error = connect(&provider, build("localhost", &[unrelated]), &server)
            .unwrap_err()
            .client();
        let mismatch = pin_mismatch(&error).unwrap_or_else(|| panic!("{label}: {error:?}"));
        assert_eq!(
            mismatch.validated_path(),
            Some(&[real.pin, ca.cert.pin][..]),
            "{label}"
        );
        let error = connect(
            &provider,
            build("*.localhost", &[unrelated]),
            &untrusted_server,
        )
        .unwrap_err()
        .client();
        assert_eq!(
            error,
            rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer),
            "{label}: the fallback is WebPKI"
        );
    }
}

#[test]
fn self_signed_accepts_exactly_the_given_certificates() {
    let device = self_signed_with(KeyType::EcdsaP256, leaf_params(&["localhost"]));
    let (server, _) = server_config(&Presented::cert(&device), None);
    let other = self_signed_with(KeyType::EcdsaP256, leaf_params(&["localhost"]));
    let (other_server, _) = server_config(&Presented::cert(&other), None);
    for (label, provider) in cases() {
        let verifier = SelfSignedVerifier::new([device.der.clone()], provider.clone()).unwrap();
        connect(&provider, verifier.clone(), &server).unwrap_or_else(|e| panic!("{label}: {e:?}"));
        let error = connect(&provider, verifier.clone(), &other_server)
            .unwrap_err()
            .client();
        let not_given = match &error {
            rustls::Error::InvalidCertificate(CertificateError::Other(other)) => {
                std::error::Error::source(other)
                    .and_then(|e| e.downcast_ref::<NotAGivenCertificate>())
            }
            _ => None,
        };
        assert!(not_given.is_some(), "{label}: {error:?}");
        // The given certificate without its key.
        let (thief, _) = server_config(&Presented::chain(vec![device.der.clone()], &other), None);
        let error = connect(&provider, verifier, &thief).unwrap_err().client();
        assert_eq!(
            error,
            rustls::Error::InvalidCertificate(CertificateError::BadSignature),
            "{label}"
        );
    }
}

/// Accepts one key and counts, through `after_handshake_signature`, the servers that proved it.
#[derive(Debug)]
struct CountingPin {
    pin: Pin,
    proven: Arc<AtomicUsize>,
}

impl ServerCertPolicy for CountingPin {
    fn check_server_cert(
        &self,
        chain: PeerChain<'_>,
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> Result<(), rustls023::Error> {
        let presented = Pin::from_cert_der(chain.end_entity)
            .map_err(|_| rustls023::CertificateError::BadEncoding)?;
        if presented != self.pin {
            return Err(rustls023::CertificateError::UnknownIssuer.into());
        }
        let proven = self.proven.clone();
        after_handshake_signature("a count of proven servers", move || {
            proven.fetch_add(1, Ordering::Relaxed);
            Ok(())
        });
        Ok(())
    }
}

#[test]
fn custom_policies_effects_run_after_the_signature_only() {
    let real = server_cert(KeyType::EcdsaP256);
    let (server, _) = server_config(&Presented::cert(&real), None);
    let thief_server = stolen(&real);
    for (label, provider) in cases() {
        let proven = Arc::new(AtomicUsize::new(0));
        let policy = CountingPin {
            pin: real.pin,
            proven: proven.clone(),
        };
        let verifier = Arc::new(ServerVerifier::with_policy(&provider, policy));
        connect(&provider, verifier.clone(), &thief_server).unwrap_err();
        assert_eq!(proven.load(Ordering::Relaxed), 0, "{label}");
        connect(&provider, verifier.clone(), &server).unwrap();
        connect(&provider, verifier, &server).unwrap();
        assert_eq!(proven.load(Ordering::Relaxed), 2, "{label}");
    }
}

/// No verifier here claims FIPS: the providers' tables are not FIPS-validated builds, and
/// without tlspin's `fips` feature its pin digests do not run in the FIPS module either.
#[test]
fn fips_is_claimed_only_when_provider_and_digests_both_are() {
    let cert = server_cert(KeyType::EcdsaP256);
    let dir = tempfile::tempdir().unwrap();
    let store = KnownHosts::open(dir.path().join("known_hosts")).unwrap();
    assert!(!tlspin::policy::pin_digests_in_fips_module());
    for (name, provider) in providers() {
        let roots = || roots_024(&[&test_ca().cert]);
        let statuses = [
            PinnedServerVerifier::new(provider.clone(), [cert.pin])
                .unwrap()
                .fips(),
            PinnedClientVerifier::new(provider.clone(), [cert.pin])
                .unwrap()
                .fips(),
            PinnedWebPkiVerifier::new(roots(), provider.clone(), [cert.pin])
                .unwrap()
                .fips(),
            HostPinnedVerifier::configure(roots(), provider.clone(), |b| b)
                .unwrap()
                .fips(),
            SelfSignedVerifier::new([cert.der.clone()], provider.clone())
                .unwrap()
                .fips(),
            TofuVerifier::new(&store, provider.clone(), 443)
                .unwrap()
                .fips(),
        ];
        for status in statuses {
            assert_eq!(status, FipsStatus::Unvalidated, "{name}");
        }
    }
}

/// A builder for another rustls version has no rustls 0.23 provider: `build` says so instead of
/// guessing one, and `into_policy` is the way out.
#[test]
fn a_policy_only_host_pins_builder_refuses_to_build_a_rustls_023_verifier() {
    let mut roots = rustls023::RootCertStore::empty();
    roots.add(test_ca().cert.der.clone()).unwrap();
    let roots = Arc::new(roots);
    let algorithms: Arc<[_]> = rustls_ring::DEFAULT_PROVIDER
        .signature_verification_algorithms
        .mapping()
        .iter()
        .flat_map(|(_, algorithms)| algorithms.iter().copied())
        .collect();
    let builder = || tlspin::host_pins::HostPins::builder(roots.clone(), algorithms.clone());
    match builder().build() {
        Err(tlspin::Error::UnusableProvider { problem }) => {
            assert!(problem.contains("into_policy"), "{problem}")
        }
        other => panic!("expected UnusableProvider, got {other:?}"),
    }
    assert!(builder().into_policy().is_ok());
}
