//! Host-scoped pin sets over WebPKI: matching, union of sets, fallback, expiry, report-only,
//! lints, and a large pattern table.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::*;
use rustls::client::danger::ServerCertVerifier;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, RootCertStore};
use tlspin::{
    host_pins::ExpiredPinSet, host_pins::HostPinSet, host_pins::HostPinnedVerifier,
    host_pins::HostPinsBuilder, host_pins::Lint, host_pins::PinReport, Pin, PinMismatch,
};

struct Pki {
    root: TestCa,
    intermediate: TestCa,
    /// Valid for api.example.com, www.example.com, example.com and 127.0.0.1.
    leaf: TestCert,
}

fn pki() -> Pki {
    let root = TestCa::new(KeyType::EcdsaP256, "host pins root");
    let intermediate = root.issue_ca(KeyType::EcdsaP256, "host pins intermediate");
    let leaf = intermediate.issue(
        KeyType::EcdsaP256,
        &[
            "api.example.com",
            "www.example.com",
            "example.com",
            "127.0.0.1",
        ],
    );
    Pki {
        root,
        intermediate,
        leaf,
    }
}

fn builder(pki: &Pki, provider: &Arc<CryptoProvider>) -> HostPinsBuilder {
    HostPinnedVerifier::builder(roots_of(&[&pki.root.cert]), provider.clone())
}

fn verify_at(
    verifier: &dyn ServerCertVerifier,
    pki: &Pki,
    host: &str,
    now: UnixTime,
) -> Result<(), rustls::Error> {
    verifier
        .verify_server_cert(
            &pki.leaf.der,
            std::slice::from_ref(&pki.intermediate.cert.der),
            &ServerName::try_from(host.to_string()).unwrap(),
            &[],
            now,
        )
        .map(|_| ())
}

fn verify(verifier: &dyn ServerCertVerifier, pki: &Pki, host: &str) -> Result<(), rustls::Error> {
    verify_at(verifier, pki, host, test_time())
}

fn unrelated() -> Pin {
    Pin::from_sha256([0xee; 32])
}

#[test]
fn pinned_hosts_need_a_pin_on_the_path_in_real_handshakes() {
    for (name, provider) in providers() {
        let pki = pki();
        let verifier = builder(&pki, &provider)
            .pin_set(
                HostPinSet::new("api.example.com", [pki.intermediate.cert.pin, unrelated()])
                    .unwrap(),
            )
            .pin_set(
                HostPinSet::new("www.example.com", [unrelated(), Pin::from_sha256([1; 32])])
                    .unwrap(),
            )
            .build()
            .unwrap();
        for (version_name, version) in VERSIONS {
            let run = |host: &str| {
                let mut server = ServerSetup::new(&provider, &pki.leaf);
                server.identity.chain =
                    vec![pki.leaf.der.clone(), pki.intermediate.cert.der.clone()];
                handshake(
                    client_config(&provider, version, verifier.clone()),
                    server.build(),
                    host,
                )
            };
            run("api.example.com").negotiated();
            // No set for example.com: plain WebPKI accepts the valid chain.
            run("example.com").negotiated();
            let outcome = run("www.example.com");
            let mismatch = PinMismatch::from_rustls(outcome.client_error())
                .unwrap_or_else(|| panic!("{name} {version_name}: {:?}", outcome.client));
            assert_eq!(
                mismatch.validated_path(),
                Some(&[pki.leaf.pin, pki.intermediate.cert.pin, pki.root.cert.pin][..])
            );
        }
    }
}

#[test]
fn sets_matching_one_host_add_up() {
    for (_, provider) in providers() {
        let pki = pki();
        let verifier = builder(&pki, &provider)
            .pin_set(HostPinSet::new("*.example.com", [unrelated(), pki.leaf.pin]).unwrap())
            .pin_set(HostPinSet::new("**.example.com", [pki.root.cert.pin, unrelated()]).unwrap())
            .build()
            .unwrap();
        assert_eq!(verifier.policy().sets_for("api.example.com").len(), 2);
        assert_eq!(verifier.policy().sets_for("example.com").len(), 1);
        verify(verifier.as_ref(), &pki, "api.example.com").unwrap();
        verify(verifier.as_ref(), &pki, "example.com").unwrap();
    }
}

#[test]
fn webpki_failures_are_not_hidden_by_pins() {
    for (_, provider) in providers() {
        let pki = pki();
        let verifier = builder(&pki, &provider)
            .pin_set(HostPinSet::new("**.example.com", [pki.leaf.pin, unrelated()]).unwrap())
            .build()
            .unwrap();
        // Pinned leaf, but the name is not in the certificate.
        let error = verify(verifier.as_ref(), &pki, "other.example.com").unwrap_err();
        assert!(
            matches!(
                error,
                rustls::Error::InvalidCertificate(CertificateError::NotValidForNameContext { .. })
            ),
            "{error:?}"
        );
        // Pinned leaf, but not chained to the roots.
        let stranger = self_signed_with(KeyType::EcdsaP256, leaf_params(&["api.example.com"]));
        let verifier = builder(&pki, &provider)
            .pin_set(HostPinSet::new("api.example.com", [stranger.pin, unrelated()]).unwrap())
            .build()
            .unwrap();
        let error = verifier
            .verify_server_cert(
                &stranger.der,
                &[],
                &ServerName::try_from("api.example.com").unwrap(),
                &[],
                test_time(),
            )
            .unwrap_err();
        assert_eq!(
            error,
            rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer)
        );
    }
}

#[test]
fn ip_address_hosts_match_exactly() {
    for (_, provider) in providers() {
        let pki = pki();
        let verifier = builder(&pki, &provider)
            .pin_set(
                HostPinSet::new("127.0.0.1", [unrelated(), Pin::from_sha256([2; 32])]).unwrap(),
            )
            .build()
            .unwrap();
        let error = verify(verifier.as_ref(), &pki, "127.0.0.1").unwrap_err();
        assert!(PinMismatch::from_rustls(&error).is_some(), "{error:?}");
        verify(verifier.as_ref(), &pki, "api.example.com").unwrap();
    }
}

#[test]
fn an_expired_set_is_skipped_loudly() {
    for (_, provider) in providers() {
        let pki = pki();
        let expired_at = UnixTime::since_unix_epoch(Duration::from_secs(1_735_689_600)); // 2025-01-01
        let notices: Arc<Mutex<Vec<ExpiredPinSet>>> = Arc::default();
        let seen = notices.clone();
        let verifier = builder(&pki, &provider)
            .pin_set(
                HostPinSet::new("**.example.com", [unrelated(), Pin::from_sha256([3; 32])])
                    .unwrap()
                    .expires(expired_at),
            )
            .on_expired(move |notice| seen.lock().unwrap().push(notice.clone()))
            .build()
            .unwrap();
        // Expired at the test time (2026): plain WebPKI applies, and the skip is reported.
        verify(verifier.as_ref(), &pki, "api.example.com").unwrap();
        let notices = notices.lock().unwrap().clone();
        assert_eq!(notices.len(), 1);
        assert_eq!(notices[0].host, "api.example.com");
        assert_eq!(notices[0].pattern, "**.example.com");
        assert_eq!(notices[0].expired_at, expired_at);
        assert!(
            notices[0]
                .to_string()
                .contains("expired at 2025-01-01T00:00:00Z"),
            "{}",
            notices[0]
        );

        // Before it expired, it was enforced.
        let before = UnixTime::since_unix_epoch(Duration::from_secs(1_720_000_000)); // 2024-07
        let error = verify_at(verifier.as_ref(), &pki, "api.example.com", before).unwrap_err();
        assert!(PinMismatch::from_rustls(&error).is_some(), "{error:?}");
    }
}

#[test]
fn report_only_reports_and_connects_enforced_reports_and_refuses() {
    for (name, provider) in providers() {
        let pki = pki();
        for report_only in [true, false] {
            let reports: Arc<Mutex<Vec<PinReport>>> = Arc::default();
            let seen = reports.clone();
            let verifier = builder(&pki, &provider)
                .pin_set(
                    HostPinSet::new("api.example.com", [unrelated(), Pin::from_sha256([4; 32])])
                        .unwrap(),
                )
                .report_only(report_only)
                .on_pin_failure(move |report| seen.lock().unwrap().push(report.clone()))
                .build()
                .unwrap();
            let mut server = ServerSetup::new(&provider, &pki.leaf);
            server.identity.chain = vec![pki.leaf.der.clone(), pki.intermediate.cert.der.clone()];
            let outcome = handshake(
                client_config(&provider, &rustls::version::TLS13, verifier),
                server.build(),
                "api.example.com",
            );
            assert_eq!(
                outcome.client.is_ok(),
                report_only,
                "{name} report_only={report_only}"
            );

            let reports = reports.lock().unwrap().clone();
            assert_eq!(reports.len(), 1, "{name}");
            let report = &reports[0];
            assert_eq!(report.enforced, !report_only);
            let json: serde_json::Value = serde_json::from_str(&report.to_json()).unwrap();
            assert_eq!(json["host"], "api.example.com");
            assert_eq!(json["patterns"][0], "api.example.com");
            assert_eq!(json["enforced"], !report_only);
            assert_eq!(json["validated_path"][2], pki.root.cert.pin.to_string());
            assert_eq!(json["presented"][1], pki.intermediate.cert.pin.to_string());
            assert_eq!(json["expected"].as_array().unwrap().len(), 2);
            assert_eq!(json["time"], "2026-01-01T00:00:00Z");
        }
    }
}

#[test]
fn report_only_still_fails_webpki_errors() {
    for (_, provider) in providers() {
        let pki = pki();
        let verifier = builder(&pki, &provider)
            .pin_set(
                HostPinSet::new("**.example.com", [unrelated(), Pin::from_sha256([5; 32])])
                    .unwrap(),
            )
            .report_only(true)
            .build()
            .unwrap();
        let error = verify(verifier.as_ref(), &pki, "other.example.com").unwrap_err();
        assert!(
            matches!(error, rustls::Error::InvalidCertificate(_)),
            "{error:?}"
        );
    }
}

#[test]
fn fallback_policy_serves_hosts_without_a_set() {
    for (_, provider) in providers() {
        let pki = pki();
        let device = self_signed_with(KeyType::Ed25519, leaf_params(&["device.lan"]));
        let verifier = builder(&pki, &provider)
            .pin_set(HostPinSet::new("api.example.com", [pki.root.cert.pin, unrelated()]).unwrap())
            .fallback(tlspin::danger::AcceptAnyCert)
            .build()
            .unwrap();
        verifier
            .verify_server_cert(
                &device.der,
                &[],
                &ServerName::try_from("device.lan").unwrap(),
                &[],
                test_time(),
            )
            .unwrap();
        verify(verifier.as_ref(), &pki, "api.example.com").unwrap();
    }
}

#[test]
fn lints_flag_missing_backups_and_pins_that_match_nothing() {
    for (_, provider) in providers() {
        let pki = pki();
        let builder = builder(&pki, &provider)
            .pin_set(HostPinSet::new("api.example.com", [pki.leaf.pin]).unwrap())
            .pin_set(
                HostPinSet::new("**.example.com", [pki.intermediate.cert.pin, unrelated()])
                    .unwrap(),
            );
        let lints = builder.lints();
        assert_eq!(
            lints,
            vec![Lint::NoBackupPin {
                pattern: "api.example.com".into(),
                pin: pki.leaf.pin
            }]
        );
        assert!(lints[0].to_string().contains("no backup"), "{}", lints[0]);
        let verifier = builder.build().unwrap();
        let chain: Vec<CertificateDer<'static>> =
            vec![pki.leaf.der.clone(), pki.intermediate.cert.der.clone()];
        let lints = verifier.policy().lint_chain("api.example.com", &chain);
        assert_eq!(
            lints,
            vec![Lint::PinMatchesNothing {
                pattern: "**.example.com".into(),
                pin: unrelated()
            }]
        );
    }
}

#[test]
fn set_and_builder_errors() {
    let err = HostPinSet::new("api.example.com", []).unwrap_err();
    assert!(
        matches!(err, tlspin::Error::PinSetWithoutPins { .. }),
        "{err}"
    );
    let err = HostPinSet::new("a.*.example.com", [unrelated()]).unwrap_err();
    assert!(
        matches!(err, tlspin::Error::InvalidHostPattern { .. }),
        "{err}"
    );
    for (_, provider) in providers() {
        let err = HostPinnedVerifier::builder(RootCertStore::empty(), provider)
            .build()
            .unwrap_err();
        assert!(matches!(err, tlspin::Error::NoRootCertificates), "{err}");
    }
}

/// 100,000 patterns of every kind: each lookup finds exactly the sets that match.
#[test]
fn a_hundred_thousand_patterns() {
    let (_, provider) = providers().remove(0);
    let pki = pki();
    let mut builder = builder(&pki, &provider);
    for i in 0..100_000u32 {
        let pattern = match i % 3 {
            0 => format!("host{i}.example.net"),
            1 => format!("*.zone{i}.example.net"),
            _ => format!("**.deep{i}.example.net"),
        };
        let pins = [Pin::from_sha256([(i % 251) as u8; 32]), unrelated()];
        builder = builder.pin_set(HostPinSet::new(&pattern, pins).unwrap());
    }
    builder = builder
        .pin_set(HostPinSet::new("**.example.net", [unrelated(), pki.root.cert.pin]).unwrap());
    let verifier = builder.build().unwrap();
    let policy = verifier.policy();
    let patterns = |host: &str| -> Vec<String> {
        policy
            .sets_for(host)
            .iter()
            .map(|set| set.pattern().to_string())
            .collect()
    };
    assert_eq!(
        patterns("host3.example.net"),
        ["host3.example.net", "**.example.net"]
    );
    assert_eq!(
        patterns("x.zone4.example.net"),
        ["*.zone4.example.net", "**.example.net"]
    );
    assert_eq!(
        patterns("a.b.deep5.example.net"),
        ["**.deep5.example.net", "**.example.net"]
    );
    assert_eq!(patterns("a.b.zone4.example.net"), ["**.example.net"]);
    assert_eq!(patterns("host3.example.org"), Vec::<String>::new());
}

/// `expires = 2025-06-30` in a pin configuration enforces the set through that whole day (UTC),
/// as the README says, and stops at 00:00 UTC of the next day.
#[cfg(feature = "config")]
#[test]
fn a_configured_expiry_date_is_the_last_day_enforced() {
    for (name, provider) in providers() {
        let pki = pki();
        let config = tlspin::host_pins::PinConfig::parse(&format!(
            "[hosts.\"api.example.com\"]\npins = [\"{}\", \"{}\"]\nexpires = 2025-06-30\n",
            unrelated(),
            Pin::from_sha256([3; 32])
        ))
        .unwrap();
        let verifier = builder(&pki, &provider).config(&config).build().unwrap();
        let at = |secs: u64| UnixTime::since_unix_epoch(Duration::from_secs(secs));
        let day_starts = 1_751_241_600; // 2025-06-30T00:00:00Z
        for enforced in [day_starts, day_starts + 12 * 3600, day_starts + 86_399] {
            let error = verify_at(verifier.as_ref(), &pki, "api.example.com", at(enforced))
                .expect_err(&format!("{name}: enforced at {enforced}"));
            assert!(
                PinMismatch::from_rustls(&error).is_some(),
                "{name}: {error:?}"
            );
        }
        verify_at(
            verifier.as_ref(),
            &pki,
            "api.example.com",
            at(day_starts + 86_400),
        )
        .unwrap_or_else(|e| panic!("{name}: not enforced from 2025-07-01T00:00:00Z: {e:?}"));
    }
}
