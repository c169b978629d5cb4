//! Adversarial review (issue 15) of the verifiers' promises (README "What is in the box" and
//! rustdoc). Written by an independent reviewer from the code and the README alone; every test
//! asserts a documented promise and failed on commit 430ae44, before the fixes.

mod common;

use std::sync::{Arc, Mutex};

use common::*;
use rustls::client::danger::ServerCertVerifier;
use rustls::CertificateError;
use tlspin::{
    explain, host_pins::HostPinSet, host_pins::HostPinnedVerifier, host_pins::PinReport,
    CaCertificateAsServer, FailureKind, Pin, PinMismatch, SelfSignedVerifier,
};

fn unrelated(n: u8) -> Pin {
    Pin::from_sha256([n; 32])
}

/// Finding 1. README: "host pin sets (Android `<pin-set>`) | per host pattern, as above; other
/// hosts get the fallback"; `HostPattern` rustdoc: "`192.0.2.7`, `::1` | that address".
///
/// A pin set written for an IPv6 address in any spelling other than the one Rust's `Display`
/// prints (`0:0:0:0:0:0:0:1`, `2001:0db8::1`, `::ffff:7f00:1`) is accepted by
/// `HostPinSet::new`/`PinConfig`, but never matches a connection to that address: the host is
/// looked up by `std::net::IpAddr::to_string()` while the pattern is stored as typed (only
/// lowercased). The pins are silently not enforced, and any certificate valid for the address
/// under the roots is accepted through the plain-WebPKI fallback.
#[test]
fn ipv6_pin_set_in_non_canonical_form_is_enforced() {
    for (name, provider) in providers() {
        // A WebPKI-valid certificate for ::1 whose key is NOT pinned: an impostor's, say.
        let unpinned = test_ca().issue(KeyType::EcdsaP256, &["::1"]);
        for pattern in ["0:0:0:0:0:0:0:1", "0:0::1", "0000::0001"] {
            let verifier = HostPinnedVerifier::builder(test_roots(), provider.clone())
                .pin_set(HostPinSet::new(pattern, [unrelated(1), unrelated(2)]).unwrap())
                .build()
                .unwrap();
            // Both the canonical spelling and the pattern's own spelling are the same address.
            for host in ["::1", pattern] {
                let outcome = handshake(
                    client_config(&provider, &rustls::version::TLS13, verifier.clone()),
                    ServerSetup::new(&provider, &unpinned).build(),
                    host,
                );
                let error = match &outcome.client {
                    Err(e) => e,
                    Ok(_) => panic!(
                        "{name}: pin set {pattern:?} with no matching pin accepted a connection \
                         to {host} (pins not enforced)"
                    ),
                };
                assert!(
                    PinMismatch::from_rustls(error).is_some(),
                    "{name}: {error:?}"
                );
            }
            assert!(
                !verifier.policy().sets_for("::1").is_empty(),
                "{name}: the set for {pattern:?} does not apply to ::1"
            );
        }
    }
}

/// The same, for IPv4-mapped IPv6 addresses written in hex.
#[test]
fn ipv4_mapped_pin_set_in_hex_form_applies() {
    for (_, provider) in providers() {
        let verifier = HostPinnedVerifier::builder(test_roots(), provider.clone())
            .pin_set(HostPinSet::new("::ffff:7f00:1", [unrelated(1), unrelated(2)]).unwrap())
            .pin_set(HostPinSet::new("2001:0db8::0001", [unrelated(3), unrelated(4)]).unwrap())
            .build()
            .unwrap();
        let host = |s: &str| {
            tlspin::host_pins::HostPattern::matches(
                &s.parse::<tlspin::host_pins::HostPattern>().unwrap(),
                &std::net::IpAddr::from(s.parse::<std::net::Ipv6Addr>().unwrap()).to_string(),
            )
        };
        assert!(
            host("::ffff:7f00:1"),
            "pattern ::ffff:7f00:1 does not match its own address"
        );
        assert!(
            host("2001:0db8::0001"),
            "pattern 2001:0db8::0001 does not match its own address"
        );
        assert!(!verifier.policy().sets_for("::ffff:127.0.0.1").is_empty());
        assert!(!verifier.policy().sets_for("2001:db8::1").is_empty());
    }
}

/// Finding 2a. `PinReport::enforced` rustdoc: "`false` in report-only mode: the connection went
/// ahead"; `Display`: "report-only, connection allowed"; `HostPinnedVerifier` rustdoc: "In
/// report-only mode ... pin failures are reported ... WebPKI failures still fail".
///
/// A chain that is valid under the roots but for ANOTHER name is a WebPKI failure for this host.
/// The verifier still files a pin-failure report for it (before the name check), saying the
/// connection was allowed, and then refuses the connection.
#[test]
fn report_only_does_not_report_a_chain_for_another_name_as_allowed() {
    for (name, provider) in providers() {
        let other_name = test_ca().issue(KeyType::EcdsaP256, &["other.example"]);
        let reports: Arc<Mutex<Vec<PinReport>>> = Arc::default();
        let seen = reports.clone();
        let verifier = HostPinnedVerifier::builder(test_roots(), provider.clone())
            .pin_set(HostPinSet::new("localhost", [unrelated(1), unrelated(2)]).unwrap())
            .report_only(true)
            .on_pin_failure(move |report| seen.lock().unwrap().push(report.clone()))
            .build()
            .unwrap();
        let outcome = handshake(
            client_config(&provider, &rustls::version::TLS13, verifier),
            ServerSetup::new(&provider, &other_name).build(),
            "localhost",
        );
        assert!(outcome.client.is_err(), "{name}: wrong name accepted");
        for report in reports.lock().unwrap().iter() {
            assert!(
                report.enforced,
                "{name}: report says the connection went ahead, but it was refused: {report}"
            );
        }
    }
}

/// Finding 2b. Same promise: a report with `enforced: false` means "the connection went ahead".
///
/// A man in the middle that holds only a public certificate for the host (any WebPKI-valid,
/// unpinned one, e.g. from CT logs) and NOT its private key makes the verifier file a report
/// saying the unpinned key was allowed; the handshake then fails on the signature. The report
/// is filed on the unauthenticated peer's say-so.
#[test]
fn report_only_does_not_report_an_impostor_without_the_key_as_allowed() {
    for (name, provider) in providers() {
        let public_cert = server_cert(KeyType::EcdsaP256); // valid for localhost, not pinned
        let attacker = self_signed_with(KeyType::EcdsaP256, leaf_params(&["localhost"]));
        for (version_name, version) in VERSIONS {
            let reports: Arc<Mutex<Vec<PinReport>>> = Arc::default();
            let seen = reports.clone();
            let verifier = HostPinnedVerifier::builder(test_roots(), provider.clone())
                .pin_set(HostPinSet::new("localhost", [unrelated(1), unrelated(2)]).unwrap())
                .report_only(true)
                .on_pin_failure(move |report| seen.lock().unwrap().push(report.clone()))
                .build()
                .unwrap();
            let outcome = handshake(
                client_config(&provider, version, verifier),
                impostor(&provider, &public_cert, &attacker),
                "localhost",
            );
            assert_eq!(
                outcome.client_error(),
                &rustls::Error::InvalidCertificate(CertificateError::BadSignature),
                "{name} {version_name}"
            );
            for report in reports.lock().unwrap().iter() {
                assert!(
                    report.enforced,
                    "{name} {version_name}: a peer without the private key produced a report \
                     saying its key was allowed: {report}"
                );
            }
        }
    }
}

/// Finding 2c. In enforcing mode, the same wrong-name chain is refused with a `PinMismatch`
/// whose text says "the chain is valid, but no certificate on the validated path ... is pinned"
/// and `explain` advises adding the pin, although the chain is not valid for the host at all
/// (rustls' name error is what every other WebPKI verifier of the crate returns).
#[test]
fn enforced_pin_set_reports_a_wrong_name_as_a_name_error() {
    for (name, provider) in providers() {
        let other_name = test_ca().issue(KeyType::EcdsaP256, &["other.example"]);
        let verifier = HostPinnedVerifier::builder(test_roots(), provider.clone())
            .pin_set(HostPinSet::new("localhost", [unrelated(1), unrelated(2)]).unwrap())
            .build()
            .unwrap();
        let error = verifier
            .verify_server_cert(
                &other_name.der,
                &[],
                &rustls::pki_types::ServerName::try_from("localhost").unwrap(),
                &[],
                test_time(),
            )
            .unwrap_err();
        assert_eq!(
            explain(&error).kind,
            FailureKind::NameMismatch,
            "{name}: {error}"
        );
    }
}

/// Finding 3. README: "Only copy a pin from an error after checking, over a channel you trust,
/// that the key really is the server's — otherwise you have pinned whoever answered." and
/// `explain`'s own advice for pin mismatches ("confirm the new key over a channel you trust").
///
/// Any peer — without any private key, the handshake signature is never reached — that presents
/// a `CA:TRUE` certificate makes every WebPKI-based verifier return `CaCertificateAsServer`,
/// whose text and whose `explain` fix tell the user to pin *that* certificate's key (the pin is
/// printed) with no out-of-band check.
#[test]
fn ca_as_end_entity_advice_does_not_tell_the_user_to_pin_an_unproven_key() {
    for (name, provider) in providers() {
        let real = self_signed_with(KeyType::EcdsaP256, leaf_params(&["localhost"]));
        let mut params = leaf_params(&["localhost"]);
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        let attacker_ca = self_signed_with(KeyType::EcdsaP256, params);
        let signer = self_signed_with(KeyType::EcdsaP256, leaf_params(&["x"]));
        // The user trusts a CA:TRUE certificate; whoever answers presents it without its key,
        // and the refusal comes before the handshake signature could prove anything.
        let _ = &real;
        let verifier =
            SelfSignedVerifier::new([attacker_ca.der.clone()], provider.clone()).unwrap();
        let outcome = handshake(
            client_config(&provider, &rustls::version::TLS13, verifier),
            impostor(&provider, &attacker_ca, &signer),
            "localhost",
        );
        let error = outcome.client_error();
        assert!(
            CaCertificateAsServer::from_rustls(error).is_some(),
            "{name}: {error:?}"
        );
        let explanation = explain(error);
        let pin = attacker_ca.pin.to_string();
        for (what, text) in [
            ("explain fix", explanation.fix.as_str()),
            ("error text", &error.to_string()),
        ] {
            assert!(
                !text.contains(&pin) || text.contains("channel you trust"),
                "{name}: {what} tells the user to pin the unauthenticated peer's key {pin} \
                 without an out-of-band check: {text}"
            );
        }
    }
}
