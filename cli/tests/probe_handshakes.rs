//! `tlspin probe` on what its rustls handshakes show: the ALPN protocols a server selects, its
//! requests for a client certificate, and certificates that depend on the SNI sent; each against
//! a real `openssl s_server` on loopback.

mod common;

use common::{openssl, openssl_cert, probe_json, tlspin, verdict, SServer};

const P256: &[&str] = &["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"];

fn outcome(report: &serde_json::Value, offer: &str) -> (String, String) {
    let answer = &report["alpn"][offer];
    (
        answer["outcome"].as_str().expect("outcome").to_owned(),
        answer["detail"].as_str().unwrap_or_default().to_owned(),
    )
}

#[test]
fn alpn_h2_and_http1_selected() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = openssl_cert(dir.path(), "p256", P256);
    for versions in [&["-tls1_3"][..], &["-tls1_2"][..]] {
        let mut args = vec!["-alpn", "h2,http/1.1"];
        args.extend(versions);
        let server = SServer::start(&cert, &key, &args);
        let (code, report) = probe_json(server.port);
        assert_eq!(code, 0, "{versions:?}: {report:#}");
        assert_eq!(outcome(&report, "both"), ("selected".into(), "h2".into()));
        assert_eq!(outcome(&report, "h2"), ("selected".into(), "h2".into()));
        assert_eq!(
            outcome(&report, "http1"),
            ("selected".into(), "http/1.1".into())
        );
        assert!(report["alpn"].get("notes").is_none(), "{report:#}");
    }
}

#[test]
fn alpn_without_h2_warns_grpc_clients() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = openssl_cert(dir.path(), "p256", P256);
    let server = SServer::start(&cert, &key, &["-alpn", "http/1.1"]);
    let (code, report) = probe_json(server.port);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(
        outcome(&report, "both"),
        ("selected".into(), "http/1.1".into())
    );
    // OpenSSL refuses an offer with no protocol in common (no_application_protocol).
    assert_eq!(outcome(&report, "h2").0, "refused", "{report:#}");
    let notes = report["alpn"]["notes"].to_string();
    assert!(notes.contains("gRPC client (tonic) will fail"), "{notes}");
    let text = tlspin(&["probe", &format!("127.0.0.1:{}", server.port)], None);
    assert!(
        text.stdout
            .contains("ALPN: h2 and http/1.1 offered: selected (http/1.1); h2 alone: refused"),
        "{}",
        text.stdout
    );

    // No ALPN at all.
    let plain = SServer::start(&cert, &key, &[]);
    let (_, report) = probe_json(plain.port);
    for offer in ["both", "h2", "http1"] {
        assert_eq!(outcome(&report, offer).0, "not selected", "{report:#}");
    }
}

/// A CA certificate whose name the server hints in its CertificateRequest.
fn client_ca(dir: &std::path::Path) -> std::path::PathBuf {
    let ca = dir.join("client-ca.pem");
    let key = dir.join("client-ca.key");
    openssl(&[
        "req",
        "-x509",
        "-nodes",
        "-days",
        "30",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-subj",
        "/O=Lab/CN=Client CA",
        "-keyout",
        key.to_str().unwrap(),
        "-out",
        ca.to_str().unwrap(),
    ]);
    ca
}

#[test]
fn client_certificate_required_in_tls13_and_tls12() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = openssl_cert(dir.path(), "p256", P256);
    let ca = client_ca(dir.path());
    for version in ["-tls1_3", "-tls1_2"] {
        let server = SServer::start(
            &cert,
            &key,
            &[version, "-Verify", "1", "-CAfile", ca.to_str().unwrap()],
        );
        let (code, report) = probe_json(server.port);
        assert_eq!(code, 1, "{version}: {report:#}");
        let auth = &report["client_certificate"];
        assert_eq!(auth["required"], true, "{version}: {report:#}");
        assert_eq!(auth["ca_names"][0], "O=Lab, CN=Client CA", "{report:#}");
        assert!(
            !auth["signature_schemes"].as_array().unwrap().is_empty(),
            "{report:#}"
        );
        for provider in ["aws-lc-rs", "ring"] {
            let (compatible, reason) = verdict(&report, provider);
            assert!(!compatible, "{version} {provider}");
            assert!(
                reason.starts_with("the server requires a client certificate")
                    && reason.contains("with_client_auth_cert"),
                "{version} {provider}: {reason}"
            );
        }
    }
}

#[test]
fn client_certificate_requested_but_optional() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = openssl_cert(dir.path(), "p256", P256);
    let ca = client_ca(dir.path());
    for version in ["-tls1_3", "-tls1_2"] {
        let server = SServer::start(
            &cert,
            &key,
            &[version, "-verify", "1", "-CAfile", ca.to_str().unwrap()],
        );
        let (code, report) = probe_json(server.port);
        assert_eq!(code, 0, "{version}: {report:#}");
        assert_eq!(
            report["client_certificate"]["required"], false,
            "{report:#}"
        );
        let (compatible, reason) = verdict(&report, "aws-lc-rs");
        assert!(compatible);
        assert!(
            reason
                .contains("asked for a client certificate and accepted the handshake without one"),
            "{reason}"
        );
    }
    // A server that asks for nothing: no such entry.
    let server = SServer::start(&cert, &key, &[]);
    let (_, report) = probe_json(server.port);
    assert!(report.get("client_certificate").is_none(), "{report:#}");
}

#[test]
fn certificate_chosen_by_sni() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = openssl_cert(dir.path(), "default", P256);
    let (named_cert, named_key) = openssl_cert(dir.path(), "named", P256);
    let server = SServer::start(
        &cert,
        &key,
        &[
            "-servername",
            "device.lab",
            "-cert2",
            named_cert.to_str().unwrap(),
            "-key2",
            named_key.to_str().unwrap(),
        ],
    );
    let target = format!("127.0.0.1:{}", server.port);
    let run = tlspin(&["--json", "probe", &target, "--sni", "device.lab"], None);
    let report = run.json();
    assert_eq!(run.code, 0, "{report:#}");
    let sni = &report["sni"];
    assert_eq!(
        sni["without_sni"]["outcome"], "other certificate",
        "{report:#}"
    );
    assert_eq!(
        sni["other_name"]["outcome"], "other certificate",
        "{report:#}"
    );
    let default_pin = tlspin(&["--json", "pin", cert.to_str().unwrap()], None).json();
    let pin = default_pin["certificates"][0]["pin"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        sni["without_sni"]["detail"]
            .as_str()
            .unwrap()
            .contains(&pin),
        "{report:#}"
    );

    // Without the name, the server shows its default certificate whatever the SNI.
    let (_, report) = probe_json(server.port);
    assert!(
        report["sni"].get("without_sni").is_none(),
        "an IP target sends no SNI"
    );
    assert_eq!(report["sni"]["other_name"]["outcome"], "same certificate");

    // A server that refuses names it does not serve.
    let strict = SServer::start(
        &cert,
        &key,
        &[
            "-servername",
            "device.lab",
            "-servername_fatal",
            "-cert2",
            named_cert.to_str().unwrap(),
            "-key2",
            named_key.to_str().unwrap(),
        ],
    );
    let target = format!("127.0.0.1:{}", strict.port);
    let run = tlspin(&["--json", "probe", &target, "--sni", "device.lab"], None);
    let report = run.json();
    assert_eq!(
        report["sni"]["other_name"]["outcome"], "refused",
        "{report:#}"
    );
}
