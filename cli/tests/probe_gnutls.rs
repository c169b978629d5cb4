//! `tlspin probe` against GnuTLS's `gnutls-serv` on loopback: a second TLS implementation, with
//! its own choices (TLS 1.3 AES-CCM, old versions on by default).

mod common;

use common::{names, openssl_cert, probe_json, suites, verdict, GnutlsServer};

#[test]
fn gnutls_normal_priority_is_compatible() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = openssl_cert(
        dir.path(),
        "p256",
        &["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"],
    );
    let server = GnutlsServer::start(&cert, &key, "NORMAL");
    let (code, report) = probe_json(server.port);
    assert_eq!(code, 0, "{report:#}");
    let tls13 = suites(&report, "TLS 1.3");
    assert!(
        tls13.contains(&"TLS_AES_128_GCM_SHA256".to_owned()),
        "{tls13:?}"
    );
    assert!(
        tls13.contains(&"TLS_AES_128_CCM_SHA256".to_owned()),
        "{tls13:?}"
    );
    let ccm = report["versions"][0]["cipher_suites"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "TLS_AES_128_CCM_SHA256")
        .unwrap();
    assert_eq!(
        ccm["rustls"], false,
        "no default provider implements AES-CCM"
    );
    let tls12 = suites(&report, "TLS 1.2");
    assert!(
        tls12.contains(&"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256".to_owned()),
        "{tls12:?}"
    );
    assert!(names(&report, "TLS 1.3", "groups").contains(&"x25519".to_owned()));
    assert_eq!(
        names(&report, "TLS 1.3", "signature_schemes"),
        ["ecdsa_secp256r1_sha256"]
    );
    for provider in ["aws-lc-rs", "ring"] {
        let (compatible, reason) = verdict(&report, provider);
        assert!(compatible, "{provider}: {reason}");
        assert!(
            reason.starts_with("handshake succeeded: TLS 1.3"),
            "{reason}"
        );
    }
}

#[test]
fn gnutls_static_rsa_only_is_incompatible() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = openssl_cert(dir.path(), "rsa", &["-newkey", "rsa:2048"]);
    let server = GnutlsServer::start(&cert, &key, "NORMAL:-VERS-ALL:+VERS-TLS1.2:-KX-ALL:+RSA");
    let (code, report) = probe_json(server.port);
    assert_eq!(code, 1, "{report:#}");
    assert!(suites(&report, "TLS 1.3").is_empty());
    let tls12 = suites(&report, "TLS 1.2");
    assert!(!tls12.is_empty());
    assert!(
        tls12.iter().all(|s| s.starts_with("TLS_RSA_WITH_")),
        "{tls12:?}"
    );
    for provider in ["aws-lc-rs", "ring"] {
        let (compatible, reason) = verdict(&report, provider);
        assert!(!compatible, "{provider}");
        // GnuTLS follows the client's order, and the probe offers suites by code point.
        assert!(
            reason.starts_with(
                "TLS 1.2: the server offers only static-RSA key exchange (TLS_RSA_WITH_"
            ),
            "{provider}: {reason}"
        );
        for suite in [
            "TLS_RSA_WITH_AES_128_GCM_SHA256",
            "TLS_RSA_WITH_AES_128_CCM",
        ] {
            assert!(
                reason.contains(suite),
                "{provider}: {suite} missing: {reason}"
            );
        }
        assert!(
            reason.contains("rustls implements no such suite"),
            "{reason}"
        );
    }
}
