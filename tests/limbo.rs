//! x509-limbo (the C2SP certificate-validation suite): tlspin's WebPKI + pins verifier, with every
//! trusted root pinned, must reach the same verdict as rustls' `WebPkiServerVerifier` on every
//! server-auth case. The cases are in `testdata/x509-limbo/limbo.json`; without them the test
//! fails.

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use common::providers;
use rustls::client::danger::ServerCertVerifier;
use rustls::client::WebPkiServerVerifier;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::RootCertStore;
use serde_json::Value;
use tlspin::{CaCertificateAsServer, PinnedWebPkiVerifier};

fn limbo() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/testdata/x509-limbo/limbo.json"
    );
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| {
        panic!(
            "{path}: {e}; the x509-limbo cases are part of the repository and the crate \
             (testdata/x509-limbo/README.md says where they come from)"
        )
    });
    serde_json::from_str(&text).expect("limbo.json is JSON")
}

fn pem_certs(value: &Value) -> Vec<CertificateDer<'static>> {
    value
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .flat_map(|pem| tlspin::certs_from_pem(pem).unwrap_or_default())
        .collect()
}

/// RFC 3339 as limbo writes it (`2024-01-01T00:00:00+00:00` or `...Z`).
fn time(value: &Value) -> UnixTime {
    let Some(text) = value.as_str() else {
        return UnixTime::now();
    };
    let n = |range: std::ops::Range<usize>| -> i64 { text[range].parse().unwrap() };
    let date = rcgen::date_time_ymd(n(0..4) as i32, n(5..7) as u8, n(8..10) as u8);
    let mut secs = date.unix_timestamp() + n(11..13) * 3600 + n(14..16) * 60 + n(17..19);
    if let Some(offset) = text.get(19..).filter(|o| o.len() == 6) {
        let sign = if offset.starts_with('-') { -1 } else { 1 };
        secs -= sign * (n(20..22) * 3600 + n(23..25) * 60);
    }
    UnixTime::since_unix_epoch(Duration::from_secs(secs as u64))
}

/// Why a case cannot be run through a server verifier, if it cannot.
fn skip_reason(case: &Value) -> Option<String> {
    if case["validation_kind"] != "SERVER" {
        return Some("client-auth case".into());
    }
    if let Some(feature) = case["features"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|f| *f == "has-crl")
    {
        return Some(format!("feature {feature}: neither verifier is given CRLs"));
    }
    match case["expected_peer_name"]["kind"].as_str() {
        Some("DNS") | Some("IP") => None,
        Some(other) => Some(format!("peer name kind {other} is not a TLS server name")),
        None => Some("no expected peer name".into()),
    }
}

#[test]
fn webpki_plus_pins_agrees_with_rustls_on_x509_limbo() {
    let limbo = limbo();
    let cases = limbo["testcases"].as_array().expect("testcases");
    for (provider_name, provider) in providers() {
        let (mut agree, mut disagree) = (0, Vec::new());
        let mut skipped: BTreeMap<String, usize> = BTreeMap::new();
        let mut matches_expected = 0;
        for case in cases {
            let id = case["id"].as_str().unwrap_or("?");
            if let Some(reason) = skip_reason(case) {
                *skipped.entry(reason).or_default() += 1;
                continue;
            }
            let trusted = pem_certs(&case["trusted_certs"]);
            let mut roots = RootCertStore::empty();
            let (_, unusable) = roots.add_parsable_certificates(trusted.iter().cloned());
            if roots.is_empty() || unusable > 0 {
                *skipped
                    .entry("a trusted certificate is not a usable trust anchor".into())
                    .or_default() += 1;
                continue;
            }
            let Ok(server_name) = ServerName::try_from(
                case["expected_peer_name"]["value"]
                    .as_str()
                    .unwrap_or("")
                    .to_string(),
            ) else {
                *skipped
                    .entry("peer name is not a valid server name".into())
                    .or_default() += 1;
                continue;
            };
            let leaf = pem_certs(&Value::Array(vec![case["peer_certificate"].clone()]));
            let Some(leaf) = leaf.first() else {
                *skipped
                    .entry("peer certificate is not PEM".into())
                    .or_default() += 1;
                continue;
            };
            let intermediates = pem_certs(&case["untrusted_intermediates"]);
            let now = time(&case["validation_time"]);
            let roots = Arc::new(roots);

            let stock =
                WebPkiServerVerifier::builder_with_provider(roots.clone(), provider.clone())
                    .build()
                    .unwrap();
            let pins = trusted
                .iter()
                .filter_map(|c| tlspin::Pin::from_cert_der(c).ok());
            let ours = PinnedWebPkiVerifier::builder(roots, provider.clone())
                .pins(pins)
                .build()
                .unwrap();
            let verdict = |v: &dyn ServerCertVerifier| {
                v.verify_server_cert(leaf, &intermediates, &server_name, &[], now)
                    .map(|_| ())
            };
            let (expected, got) = (verdict(stock.as_ref()), verdict(ours.as_ref()));
            let same = match (&expected, &got) {
                (Ok(()), Ok(())) => true,
                // `OtherError` compares by pointer, so compare what the errors say.
                (Err(e), Err(g)) => {
                    format!("{e:?}") == format!("{g:?}")
                        || CaCertificateAsServer::from_rustls(g).is_some()
                }
                _ => false,
            };
            if same {
                agree += 1;
            } else {
                disagree.push(format!("{id}: rustls {expected:?}, tlspin {got:?}"));
            }
            if got.is_ok() == (case["expected_result"] == "SUCCESS") {
                matches_expected += 1;
            }
        }
        let skipped_total: usize = skipped.values().sum();
        println!(
            "x509-limbo, {provider_name}: {agree} agree, {} disagree, {skipped_total} skipped \
             ({matches_expected} of {agree} match limbo's expected result)",
            disagree.len()
        );
        for (reason, count) in &skipped {
            println!("  skipped {count}: {reason}");
        }
        assert!(
            disagree.is_empty(),
            "disagreements:\n{}",
            disagree.join("\n")
        );
        assert!(agree >= 150, "only {agree} cases ran");
    }
}
