//! `tlspin probe` against real `openssl s_server` configurations on loopback: each test asserts
//! the suites (and groups or schemes) reported and each provider's verdict.

mod common;

use common::{library_pin, names, openssl_cert, probe_json, suites, tlspin, verdict, SServer};

const P256: &[&str] = &["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"];
const RSA: &[&str] = &["-newkey", "rsa:2048"];

/// (a) Only AES128-GCM-SHA256 (static RSA key exchange) over TLS 1.2.
#[test]
fn static_rsa_only() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = openssl_cert(dir.path(), "rsa", RSA);
    let server = SServer::start(&cert, &key, &["-tls1_2", "-cipher", "AES128-GCM-SHA256"]);
    let (code, report) = probe_json(server.port);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(
        suites(&report, "TLS 1.2"),
        ["TLS_RSA_WITH_AES_128_GCM_SHA256"]
    );
    assert!(suites(&report, "TLS 1.3").is_empty());
    assert_eq!(report["versions"][1]["cipher_suites"][0]["rustls"], false);
    assert!(names(&report, "TLS 1.2", "signature_schemes").is_empty());
    // Read from the plaintext TLS 1.2 Certificate message by the probe's own parser.
    assert_eq!(report["certificate"]["key_type"], "RSA 2048-bit");
    assert_eq!(report["certificate"]["pin"], library_pin(&cert).to_string());
    assert_eq!(
        report["key"]["summary"],
        "RSA 2048-bit: aws-lc-rs and ring verify its signatures"
    );
    assert_eq!(
        report["key"]["verified_by"],
        serde_json::json!(["aws-lc-rs", "ring"])
    );
    for provider in ["aws-lc-rs", "ring"] {
        let (compatible, reason) = verdict(&report, provider);
        assert!(!compatible, "{provider}");
        assert!(
            reason.starts_with(
                "TLS 1.2: the server offers only static-RSA key exchange \
                 (TLS_RSA_WITH_AES_128_GCM_SHA256); rustls implements no such suite; enable an \
                 ECDHE suite"
            ),
            "{provider}: {reason}"
        );
    }
}

/// (b) Only ECDSA+SHA1 signatures (which needs security level 0 in OpenSSL 3).
#[test]
fn ecdsa_sha1_only() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = openssl_cert(dir.path(), "p256", P256);
    let server = SServer::start(
        &cert,
        &key,
        &["-sigalgs", "ECDSA+SHA1", "-cipher", "DEFAULT:@SECLEVEL=0"],
    );
    let (code, report) = probe_json(server.port);
    assert_eq!(code, 1, "{report:#}");
    // TLS 1.3 forbids SHA-1 signatures, so OpenSSL refuses every TLS 1.3 ClientHello.
    assert!(suites(&report, "TLS 1.3").is_empty(), "{report:#}");
    let tls12 = suites(&report, "TLS 1.2");
    assert!(
        tls12.contains(&"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256".to_owned()),
        "{tls12:?}"
    );
    assert!(
        tls12.contains(&"TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA".to_owned()),
        "{tls12:?}"
    );
    assert_eq!(
        names(&report, "TLS 1.2", "signature_schemes"),
        ["ecdsa_sha1"]
    );
    for provider in ["aws-lc-rs", "ring"] {
        let (compatible, reason) = verdict(&report, provider);
        assert!(!compatible, "{provider}");
        assert!(
            reason.starts_with(
                "TLS 1.2: the server signs only with ecdsa_sha1, which no rustls \
                 provider verifies"
            ),
            "{provider}: {reason}"
        );
    }
}

/// (c) A P-521 certificate: aws-lc-rs verifies it, ring does not.
#[test]
fn p521_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = openssl_cert(
        dir.path(),
        "p521",
        &["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-521"],
    );
    let server = SServer::start(&cert, &key, &[]);
    let (code, report) = probe_json(server.port);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(
        suites(&report, "TLS 1.3"),
        [
            "TLS_AES_128_GCM_SHA256",
            "TLS_AES_256_GCM_SHA384",
            "TLS_CHACHA20_POLY1305_SHA256"
        ]
    );
    assert_eq!(
        names(&report, "TLS 1.3", "signature_schemes"),
        ["ecdsa_secp521r1_sha512"]
    );
    assert_eq!(
        report["key"]["summary"],
        "ECDSA P-521: only aws-lc-rs verifies its signatures"
    );
    let (compatible, reason) = verdict(&report, "aws-lc-rs");
    assert!(compatible, "{reason}");
    assert!(
        reason.starts_with("handshake succeeded: TLS 1.3"),
        "{reason}"
    );
    let (compatible, reason) = verdict(&report, "ring");
    assert!(!compatible);
    assert!(
        reason.starts_with(
            "TLS 1.3: the server signs only with ecdsa_secp521r1_sha512, which ring does not \
             verify (aws-lc-rs does)"
        ),
        "{reason}"
    );
}

/// (d) An Ed448 certificate: no provider verifies Ed448.
#[test]
fn ed448_only() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = openssl_cert(dir.path(), "ed448", &["-newkey", "ed448"]);
    let server = SServer::start(&cert, &key, &[]);
    let (code, report) = probe_json(server.port);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(
        suites(&report, "TLS 1.3"),
        [
            "TLS_AES_128_GCM_SHA256",
            "TLS_AES_256_GCM_SHA384",
            "TLS_CHACHA20_POLY1305_SHA256"
        ]
    );
    let tls12 = suites(&report, "TLS 1.2");
    assert!(
        tls12.contains(&"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256".to_owned()),
        "{tls12:?}"
    );
    assert_eq!(names(&report, "TLS 1.3", "signature_schemes"), ["ed448"]);
    assert_eq!(names(&report, "TLS 1.2", "signature_schemes"), ["ed448"]);
    assert_eq!(report["certificate"]["key_type"], "Ed448");
    assert_eq!(
        report["key"]["summary"],
        "Ed448: neither aws-lc-rs nor ring verifies its signatures"
    );
    assert_eq!(report["key"]["verified_by"], serde_json::json!([]));
    for provider in ["aws-lc-rs", "ring"] {
        let (compatible, reason) = verdict(&report, provider);
        assert!(!compatible, "{provider}");
        assert!(
            reason.starts_with(
                "TLS 1.3: the server signs only with ed448, which no rustls provider verifies"
            ),
            "{provider}: {reason}"
        );
    }
}

/// (e) TLS 1.3 only.
#[test]
fn tls13_only() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = openssl_cert(dir.path(), "p256", P256);
    let server = SServer::start(&cert, &key, &["-tls1_3"]);
    let (code, report) = probe_json(server.port);
    assert_eq!(code, 0, "{report:#}");
    let tls13 = suites(&report, "TLS 1.3");
    assert_eq!(tls13.len(), 3, "{tls13:?}");
    for version in ["TLS 1.2", "TLS 1.1", "TLS 1.0"] {
        assert!(suites(&report, version).is_empty(), "{version}: {report:#}");
    }
    let groups = names(&report, "TLS 1.3", "groups");
    assert!(
        groups.starts_with(&["x25519".to_owned(), "secp256r1".to_owned()]),
        "{groups:?}"
    );
    assert_eq!(
        names(&report, "TLS 1.3", "signature_schemes"),
        ["ecdsa_secp256r1_sha256"]
    );
    for provider in ["aws-lc-rs", "ring"] {
        let (compatible, reason) = verdict(&report, provider);
        assert!(compatible, "{provider}: {reason}");
        assert!(
            reason.starts_with("handshake succeeded: TLS 1.3, TLS_"),
            "{reason}"
        );
    }
}

/// (f) A normal server with an RSA and an ECDSA certificate.
#[test]
fn normal_rsa_and_ecdsa_server() {
    let dir = tempfile::tempdir().unwrap();
    let (rsa_cert, rsa_key) = openssl_cert(dir.path(), "rsa", RSA);
    let (ec_cert, ec_key) = openssl_cert(dir.path(), "p256", P256);
    let server = SServer::start(
        &rsa_cert,
        &rsa_key,
        &[
            "-dcert",
            ec_cert.to_str().unwrap(),
            "-dkey",
            ec_key.to_str().unwrap(),
        ],
    );
    let (code, report) = probe_json(server.port);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(suites(&report, "TLS 1.3").len(), 3);
    let tls12 = suites(&report, "TLS 1.2");
    for suite in [
        "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
        "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
        "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
        "TLS_RSA_WITH_AES_128_GCM_SHA256",
    ] {
        assert!(
            tls12.contains(&suite.to_owned()),
            "{suite} missing from {tls12:?}"
        );
    }
    let schemes13 = names(&report, "TLS 1.3", "signature_schemes");
    for scheme in ["ecdsa_secp256r1_sha256", "rsa_pss_rsae_sha256"] {
        assert!(
            schemes13.contains(&scheme.to_owned()),
            "{scheme} missing from {schemes13:?}"
        );
    }
    let schemes12 = names(&report, "TLS 1.2", "signature_schemes");
    assert!(
        schemes12.contains(&"rsa_pkcs1_sha256".to_owned()),
        "{schemes12:?}"
    );
    for provider in ["aws-lc-rs", "ring"] {
        let (compatible, reason) = verdict(&report, provider);
        assert!(compatible, "{provider}: {reason}");
    }

    // The text report says the same, and marks the suites rustls never implements.
    let run = tlspin(&["probe", &format!("127.0.0.1:{}", server.port)], None);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("TLS 1.3: supported"), "{}", run.stdout);
    assert!(
        run.stdout.contains("certificate: CN=localhost, "),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("\nkey: ECDSA P-256: aws-lc-rs and ring verify its signatures\n")
            || run
                .stdout
                .contains("\nkey: RSA 2048-bit: aws-lc-rs and ring verify its signatures\n"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains(
            "TLS_RSA_WITH_AES_128_GCM_SHA256  (static-RSA key exchange: rustls never implements it)"
        ),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("aws-lc-rs: compatible: handshake succeeded"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("ring: compatible: handshake succeeded"),
        "{}",
        run.stdout
    );
    // No progress output when stderr is not a terminal.
    assert_eq!(run.stderr, "");
}

/// `--sni` reaches the server: an `s_server` that presents a second certificate for
/// `device.local` shows it to the probe (raw ClientHellos and rustls handshakes alike) only when
/// that name is sent.
#[test]
fn sni_selects_the_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let (default_cert, default_key) = openssl_cert(dir.path(), "p256", P256);
    let (named_cert, named_key) = openssl_cert(
        dir.path(),
        "p384",
        &["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-384"],
    );
    for (version, flag) in [("TLS 1.2", "-tls1_2"), ("TLS 1.3", "-tls1_3")] {
        let server = SServer::start(
            &default_cert,
            &default_key,
            &[
                flag,
                "-servername",
                "device.local",
                "-cert2",
                named_cert.to_str().unwrap(),
                "-key2",
                named_key.to_str().unwrap(),
            ],
        );
        let target = format!("127.0.0.1:{}", server.port);
        let with_sni = tlspin(&["--json", "probe", &target, "--sni", "device.local"], None).json();
        assert_eq!(with_sni["server_name"], "device.local");
        assert_eq!(
            with_sni["certificate"]["key_type"], "ECDSA P-384",
            "{version}"
        );
        assert_eq!(
            with_sni["certificate"]["pin"],
            library_pin(&named_cert).to_string()
        );
        let without = tlspin(&["--json", "probe", &target], None).json();
        assert_eq!(without["server_name"], serde_json::Value::Null);
        assert_eq!(
            without["certificate"]["key_type"], "ECDSA P-256",
            "{version}"
        );
        assert!(!suites(&with_sni, version).is_empty(), "{version}");
    }
}

/// An RSA-PSS (id-RSASSA-PSS) key signs only with rsa_pss_pss_*, which no provider verifies.
/// Before the probe offered every IANA scheme, OpenSSL found no scheme to sign with in any of its
/// ClientHellos and the server looked as if it supported no TLS version at all.
#[test]
fn rsa_pss_key_only() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = openssl_cert(
        dir.path(),
        "rsa-pss",
        &["-newkey", "rsa-pss", "-pkeyopt", "rsa_keygen_bits:2048"],
    );
    let server = SServer::start(&cert, &key, &[]);
    let (code, report) = probe_json(server.port);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(suites(&report, "TLS 1.3").len(), 3, "{report:#}");
    let pss = [
        "rsa_pss_pss_sha256",
        "rsa_pss_pss_sha384",
        "rsa_pss_pss_sha512",
    ];
    let schemes13 = names(&report, "TLS 1.3", "signature_schemes");
    let schemes12 = names(&report, "TLS 1.2", "signature_schemes");
    for scheme in pss {
        assert!(schemes13.contains(&scheme.to_owned()), "{schemes13:?}");
        assert!(schemes12.contains(&scheme.to_owned()), "{schemes12:?}");
    }
    assert_eq!(
        report["key"]["summary"],
        "RSA-PSS 2048-bit: neither aws-lc-rs nor ring verifies its signatures"
    );
    for provider in ["aws-lc-rs", "ring"] {
        let (compatible, reason) = verdict(&report, provider);
        assert!(!compatible, "{provider}");
        assert!(
            reason.starts_with("TLS 1.3: the server signs only with rsa_pss_pss_sha"),
            "{provider}: {reason}"
        );
    }
}

/// An RSA 1024-bit certificate: both providers have rsaEncryption verifiers, but webpki's RSA
/// algorithms accept moduli of 2048 to 8192 bits only, so neither verifies it, and the verdict
/// says so (instead of sending the user to `tlspin pin`).
#[test]
fn rsa_1024_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = openssl_cert(dir.path(), "rsa1024", &["-newkey", "rsa:1024"]);
    let server = SServer::start(&cert, &key, &["-cipher", "DEFAULT:@SECLEVEL=0"]);
    let (code, report) = probe_json(server.port);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(suites(&report, "TLS 1.3").len(), 3, "{report:#}");
    assert_eq!(
        report["key"]["summary"],
        "RSA 1024-bit: neither aws-lc-rs nor ring verifies it (rustls' providers accept RSA keys \
         of 2048 to 8192 bits)"
    );
    assert_eq!(report["key"]["verified_by"], serde_json::json!([]));
    for provider in ["aws-lc-rs", "ring"] {
        let (compatible, reason) = verdict(&report, provider);
        assert!(!compatible, "{provider}");
        assert_eq!(
            reason,
            format!(
                "TLS 1.3: the server's certificate key is RSA 1024-bit, which {provider} does \
                 not verify: rustls' providers accept RSA keys of 2048 to 8192 bits; give the \
                 server an RSA key of 2048 to 8192 bits (RSA 2048 or 3072 is usual) or an ECDSA \
                 P-256 key"
            )
        );
    }
}

/// TLS 1.2 only, with a P-521 or brainpoolP256r1 certificate: a TLS 1.2 server may use an ECDSA
/// certificate only on a curve the client lists in supported_groups (RFC 8422 §5.1), and neither
/// provider lists these, so OpenSSL refuses the handshake.
#[test]
fn tls12_ecdsa_certificate_on_a_curve_the_client_does_not_list() {
    let dir = tempfile::tempdir().unwrap();
    for (curve, key_type) in [
        ("P-521", "ECDSA P-521"),
        ("brainpoolP256r1", "EC brainpoolP256r1"),
    ] {
        let (cert, key) = openssl_cert(
            dir.path(),
            curve,
            &[
                "-newkey",
                "ec",
                "-pkeyopt",
                &format!("ec_paramgen_curve:{curve}"),
            ],
        );
        let server = SServer::start(&cert, &key, &["-tls1_2"]);
        let (code, report) = probe_json(server.port);
        assert_eq!(code, 1, "{report:#}");
        assert!(suites(&report, "TLS 1.3").is_empty(), "{report:#}");
        assert_eq!(report["certificate"]["key_type"], key_type);
        for provider in ["aws-lc-rs", "ring"] {
            let (compatible, reason) = verdict(&report, provider);
            assert!(!compatible, "{curve} {provider}");
            assert!(
                reason.starts_with(&format!(
                    "TLS 1.2: the server's certificate key is {key_type}, and in TLS 1.2 a \
                     server may use an ECDSA certificate only on a curve the client lists in \
                     supported_groups (RFC 8422 §5.1); {provider} lists "
                )),
                "{curve} {provider}: {reason}"
            );
            assert!(
                reason.contains(&format!(
                    "(its kx_groups), not {curve}, so the server has no"
                )),
                "{curve} {provider}: {reason}"
            );
            // TLS 1.3 helps only where the provider verifies the curve's signatures: P-521
            // under aws-lc-rs.
            let tls13 = reason.ends_with(
                "give the server an ECDSA P-256 or P-384 key, or enable TLS 1.3 on it (where \
                 the curve is part of the signature scheme, not of supported_groups)",
            );
            assert_eq!(
                tls13,
                curve == "P-521" && provider == "aws-lc-rs",
                "{curve} {provider}: {reason}"
            );
            if !tls13 {
                assert!(
                    reason.ends_with(&format!(
                        "{provider} does not verify {curve} signatures in any version either; \
                         give the server an ECDSA P-256 or P-384 key"
                    )),
                    "{curve} {provider}: {reason}"
                );
            }
            assert!(!reason.contains("tlspin"), "{curve} {provider}: {reason}");
        }
    }
}

/// `-sigalgs RSA+SHA256` with TLS 1.3 enabled: TLS 1.3 forbids RSA PKCS#1 in CertificateVerify,
/// so OpenSSL refuses every ClientHello offering TLS 1.3, rustls' included; the probe sees no
/// TLS 1.3 and only rsa_pkcs1_sha256 in TLS 1.2, and the verdict names that.
#[test]
fn rsa_pkcs1_only_with_tls13_enabled() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = openssl_cert(dir.path(), "rsa", RSA);
    let server = SServer::start(&cert, &key, &["-sigalgs", "RSA+SHA256"]);
    let (code, report) = probe_json(server.port);
    assert_eq!(code, 1, "{report:#}");
    assert!(suites(&report, "TLS 1.3").is_empty(), "{report:#}");
    assert_eq!(
        names(&report, "TLS 1.2", "signature_schemes"),
        ["rsa_pkcs1_sha256"]
    );
    for provider in ["aws-lc-rs", "ring"] {
        let (compatible, reason) = verdict(&report, provider);
        assert!(!compatible, "{provider}");
        assert!(
            reason.starts_with(
                "the server refuses every ClientHello that offers TLS 1.3 (the probe's and \
                 rustls'), and in TLS 1.2 it signs only with rsa_pkcs1_sha256, which TLS 1.3 \
                 does not allow in CertificateVerify (RFC 8446 §4.2.3)"
            ),
            "{provider}: {reason}"
        );
        assert!(
            reason.ends_with(
                "or disable TLS 1.3 there so that rustls negotiates TLS 1.2 with rsa_pkcs1_sha256"
            ),
            "{provider}: {reason}"
        );
    }
    // With TLS 1.3 disabled, rustls does negotiate TLS 1.2 with that scheme.
    let server = SServer::start(&cert, &key, &["-sigalgs", "RSA+SHA256", "-no_tls1_3"]);
    let (code, report) = probe_json(server.port);
    assert_eq!(code, 0, "{report:#}");
}

/// A server offering only PSK suites (TLS 1.0 to 1.2), or only anonymous ones (TLS 1.2): named
/// as such, with why rustls cannot use them, and not called CBC-mode or "other".
#[test]
fn psk_and_anonymous_suites_only() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = openssl_cert(dir.path(), "rsa", RSA);
    let why = "rustls implements no TLS 1.2 PSK, SRP or anonymous suite: it needs a \
               certificate-based ECDHE suite with AES-GCM or ChaCha20-Poly1305, which requires a \
               certificate; give the server a certificate (if it has none) and enable such a suite";
    let psk = SServer::start(
        &cert,
        &key,
        &[
            "-psk",
            "0123456789abcdef",
            "-no_tls1_3",
            "-cipher",
            "PSK:@SECLEVEL=0",
        ],
    );
    let (code, report) = probe_json(psk.port);
    assert_eq!(code, 1, "{report:#}");
    let tls12 = suites(&report, "TLS 1.2");
    assert!(
        tls12.contains(&"TLS_PSK_WITH_AES_128_GCM_SHA256".to_owned()),
        "{tls12:?}"
    );
    assert!(!suites(&report, "TLS 1.0").is_empty(), "{report:#}");
    for provider in ["aws-lc-rs", "ring"] {
        let (_, reason) = verdict(&report, provider);
        assert!(
            reason.starts_with("TLS 1.2: the server offers only PSK suites (TLS_PSK_WITH_"),
            "{provider}: {reason}"
        );
        assert!(
            reason.contains(
                ") (the server also speaks TLS 1.1 and TLS 1.0, which rustls does not \
                 implement); "
            ),
            "{provider}: {reason}"
        );
        assert!(reason.contains(why), "{provider}: {reason}");
        assert!(!reason.contains("CBC-mode"), "{provider}: {reason}");
    }
    drop(psk);
    let anonymous = SServer::start(
        &cert,
        &key,
        &["-tls1_2", "-cipher", "aNULL:-eNULL:@SECLEVEL=0"],
    );
    let (code, report) = probe_json(anonymous.port);
    assert_eq!(code, 1, "{report:#}");
    for provider in ["aws-lc-rs", "ring"] {
        let (_, reason) = verdict(&report, provider);
        assert!(
            reason.starts_with("TLS 1.2: the server offers only anonymous suites (TLS_DH_anon_"),
            "{provider}: {reason}"
        );
        assert!(!reason.contains("also speaks"), "{provider}: {reason}");
        assert!(reason.contains(why), "{provider}: {reason}");
        assert!(!reason.contains("CBC-mode"), "{provider}: {reason}");
    }
}

/// A DSA certificate (TLS 1.2, DHE-DSS suites only): no provider verifies DSA, and the suites
/// rustls needs cannot use that key, so the advice asks for an ECDSA or RSA certificate too.
#[test]
fn dsa_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let params = dir.path().join("dsa-params.pem");
    common::openssl(&[
        "genpkey",
        "-genparam",
        "-algorithm",
        "DSA",
        "-pkeyopt",
        "dsa_paramgen_bits:2048",
        "-out",
        params.to_str().unwrap(),
    ]);
    let (cert, key) = openssl_cert(
        dir.path(),
        "dsa",
        &["-newkey", &format!("dsa:{}", params.to_str().unwrap())],
    );
    let server = SServer::start(
        &cert,
        &key,
        &[
            "-tls1_2",
            "-cipher",
            "DSS:@SECLEVEL=0",
            "-sigalgs",
            "DSA+SHA256",
        ],
    );
    let (code, report) = probe_json(server.port);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(
        report["key"]["summary"],
        "DSA 2048-bit: neither aws-lc-rs nor ring verifies its signatures (rustls verifies no \
         DSA signatures)"
    );
    for provider in ["aws-lc-rs", "ring"] {
        let (compatible, reason) = verdict(&report, provider);
        assert!(!compatible, "{provider}");
        assert!(
            reason.starts_with("TLS 1.2: the server offers only CBC-mode (TLS_DHE_DSS_WITH_"),
            "{provider}: {reason}"
        );
        assert!(
            reason.ends_with(
                "ECDHE-RSA-AES128-GCM-SHA256), with an ECDSA or RSA certificate: the server's \
                 certificate key is DSA 2048-bit, which no ECDHE suite signs with and rustls \
                 does not verify"
            ),
            "{provider}: {reason}"
        );
    }
}
