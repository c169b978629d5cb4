//! `tlspin pin` against files, stdin and a live `openssl s_server`: pins equal the library's
//! `Pin`, fingerprints equal `openssl x509 -fingerprint -sha256`, errors carry their exit codes.

mod common;

use std::path::Path;

use common::{library_pin, openssl, openssl_cert, tlspin, SServer};

/// What `openssl x509 -fingerprint -sha256 -noout` prints after `=`.
fn openssl_fingerprint(cert: &Path) -> String {
    let out = openssl(&[
        "x509",
        "-fingerprint",
        "-sha256",
        "-noout",
        "-in",
        cert.to_str().unwrap(),
    ]);
    let text = String::from_utf8(out).unwrap();
    text.trim().split_once('=').unwrap().1.to_owned()
}

#[test]
fn pem_files_of_every_key_type() {
    let dir = tempfile::tempdir().unwrap();
    let cases: [(&str, &[&str], &str); 6] = [
        (
            "p256",
            &["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"],
            "ECDSA P-256",
        ),
        (
            "p384",
            &["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-384"],
            "ECDSA P-384",
        ),
        (
            "p521",
            &["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-521"],
            "ECDSA P-521",
        ),
        ("ed25519", &["-newkey", "ed25519"], "Ed25519"),
        ("ed448", &["-newkey", "ed448"], "Ed448"),
        ("rsa", &["-newkey", "rsa:2048"], "RSA 2048-bit"),
    ];
    for (name, newkey, key_type) in cases {
        let (cert, _) = openssl_cert(dir.path(), name, newkey);
        let run = tlspin(&["--json", "pin", cert.to_str().unwrap()], None);
        assert_eq!(run.code, 0, "{name}: {run:?}");
        let report = run.json();
        let info = &report["certificates"][0];
        let pin = library_pin(&cert);
        assert_eq!(info["pin"], pin.to_string(), "{name}");
        assert_eq!(info["pin_curl"], pin.to_curl_string(), "{name}");
        assert_eq!(
            info["sha256_fingerprint"],
            openssl_fingerprint(&cert),
            "{name}"
        );
        assert_eq!(info["key_type"], key_type, "{name}");
        assert_eq!(info["subject"], "CN=localhost", "{name}");
        assert_eq!(info["issuer"], "CN=localhost", "{name}");
        assert_eq!(info["sans"], serde_json::json!(["DNS:localhost"]), "{name}");
        assert!(
            report.get("rust_snippet").is_none(),
            "no snippet for a file"
        );

        // The text form shows the same values.
        let text = tlspin(&["pin", cert.to_str().unwrap()], None);
        assert_eq!(text.code, 0);
        assert!(
            text.stdout.contains(&format!("pin (OkHttp): {pin}")),
            "{}",
            text.stdout
        );
        assert!(
            text.stdout.contains(&openssl_fingerprint(&cert)),
            "{}",
            text.stdout
        );
        assert!(
            text.stdout.contains(&format!("key:          {key_type}")),
            "{}",
            text.stdout
        );
    }
}

#[test]
fn bundles_der_and_stdin() {
    let dir = tempfile::tempdir().unwrap();
    let (first, _) = openssl_cert(dir.path(), "a", &["-newkey", "ed25519"]);
    let (second, _) = openssl_cert(
        dir.path(),
        "b",
        &["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"],
    );
    let mut bundle = std::fs::read(&first).unwrap();
    bundle.extend(std::fs::read(&second).unwrap());

    let run = tlspin(&["--json", "pin", "-"], Some(&bundle));
    assert_eq!(run.code, 0, "{run:?}");
    let report = run.json();
    assert_eq!(report["source"], "stdin");
    let pins: Vec<&str> = report["certificates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["pin"].as_str().unwrap())
        .collect();
    let expected = [
        library_pin(&first).to_string(),
        library_pin(&second).to_string(),
    ];
    assert_eq!(pins, expected);

    let der = dir.path().join("cert.der");
    openssl(&[
        "x509",
        "-in",
        second.to_str().unwrap(),
        "-outform",
        "der",
        "-out",
        der.to_str().unwrap(),
    ]);
    let run = tlspin(&["--json", "pin", der.to_str().unwrap()], None);
    assert_eq!(run.code, 0, "{run:?}");
    let report = run.json();
    assert_eq!(report["certificates"].as_array().unwrap().len(), 1);
    assert_eq!(report["certificates"][0]["pin"], expected[1]);
    assert_eq!(
        report["certificates"][0]["sha256_fingerprint"],
        openssl_fingerprint(&second)
    );
}

#[test]
fn input_errors_exit_2_and_say_what_was_expected() {
    let dir = tempfile::tempdir().unwrap();
    let key_only = dir.path().join("key.pem");
    std::fs::write(
        &key_only,
        "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
    )
    .unwrap();
    let garbage = dir.path().join("garbage.der");
    std::fs::write(&garbage, [0x30, 0x82, 0xff, 0xff, 0x00]).unwrap();
    // (arguments, stdin, what the message must say)
    type Case<'a> = (&'a [&'a str], Option<&'a [u8]>, &'a str);
    let cases: [Case; 6] = [
        (
            &["pin", key_only.to_str().unwrap()],
            None,
            "it holds a PRIVATE KEY; expected its public key: `openssl pkey -pubout` writes it",
        ),
        (
            &["pin", garbage.to_str().unwrap()],
            None,
            "certificate [0]: malformed certificate: expected",
        ),
        (&["pin", "-"], Some(b"hello"), "found first byte 0x68"),
        (
            &["pin", "no-such-file"],
            None,
            "expected a certificate or public-key file, `-` for stdin, or HOST:PORT",
        ),
        (
            &["pin", "-", "--sni", "x"],
            Some(b""),
            "--sni applies only when pinning a server",
        ),
        (&["probe", "localhost"], None, "expected HOST:PORT"),
    ];
    for (args, stdin, needle) in cases {
        let run = tlspin(args, stdin);
        assert_eq!(run.code, 2, "{args:?}: {run:?}");
        assert!(run.stderr.contains(needle), "{args:?}: {}", run.stderr);
    }
    // clap's own usage errors use the same code.
    assert_eq!(tlspin(&["pin"], None).code, 2);
    assert_eq!(tlspin(&["frobnicate"], None).code, 2);
    for timeout in ["0", "3601", "soon"] {
        let run = tlspin(&["--timeout", timeout, "probe", "127.0.0.1:1"], None);
        assert_eq!(run.code, 2, "--timeout {timeout}: {run:?}");
        assert!(run.stderr.contains("--timeout <SECONDS>"), "{}", run.stderr);
    }
    // --json reports errors as JSON too.
    let run = tlspin(&["--json", "pin", "no-such-file"], None);
    assert_eq!(run.json()["exit_code"], 2);
}

#[test]
fn help_documents_the_exit_codes() {
    let run = tlspin(&["--help"], None);
    assert_eq!(run.code, 0);
    for line in [
        "0  success",
        "1  `probe`",
        "2  usage or input error",
        "3  network error",
    ] {
        assert!(run.stdout.contains(line), "{line}: {}", run.stdout);
    }
}

#[test]
fn pin_a_live_server() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = openssl_cert(
        dir.path(),
        "p384",
        &["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-384"],
    );
    let server = SServer::start(&cert, &key, &[]);
    let target = format!("127.0.0.1:{}", server.port);
    let pin = library_pin(&cert);

    let run = tlspin(&["--json", "pin", &target, "--sni", "localhost"], None);
    assert_eq!(run.code, 0, "{run:?}");
    let report = run.json();
    assert_eq!(report["source"], target.as_str());
    assert_eq!(report["certificates"][0]["pin"], pin.to_string());
    assert_eq!(
        report["certificates"][0]["sha256_fingerprint"],
        openssl_fingerprint(&cert)
    );
    let snippet = report["rust_snippet"].as_str().unwrap();
    assert!(
        snippet.contains(&format!("let pin: tlspin::Pin = \"{pin}\".parse()?;")),
        "{snippet}"
    );
    assert!(
        snippet.contains("tlspin::pinned_client_config(provider, [pin])?"),
        "{snippet}"
    );
    let entry = report["config_entry"].as_str().unwrap();
    // Keyed by the name the client connects with (the SNI name here).
    assert!(entry.starts_with("[hosts.\"localhost\"]\n"), "{entry}");
    let config = tlspin::host_pins::PinConfig::parse(entry).unwrap();
    assert_eq!(config.sets()[0].pins(), &[pin]);

    let text = tlspin(&["pin", &target], None);
    assert_eq!(text.code, 0);
    assert!(text.stdout.contains("Rust (tlspin):"), "{}", text.stdout);
}

#[test]
fn pin_a_server_rustls_cannot_talk_to_exits_1_with_an_explanation() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = openssl_cert(dir.path(), "rsa", &["-newkey", "rsa:2048"]);
    let server = SServer::start(&cert, &key, &["-tls1_2", "-cipher", "AES128-GCM-SHA256"]);
    let run = tlspin(&["pin", &format!("127.0.0.1:{}", server.port)], None);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr
            .contains("received fatal alert: HandshakeFailure"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("fix: run `tlspin probe HOST:PORT`"),
        "{}",
        run.stderr
    );
}

#[test]
fn network_errors_exit_3() {
    // A port nothing listens on: bind one, note it, close it.
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let target = format!("127.0.0.1:{port}");
    for command in ["pin", "probe"] {
        let run = tlspin(&["--timeout", "2", command, &target], None);
        assert_eq!(run.code, 3, "{command}: {run:?}");
        assert!(
            run.stderr.contains(&format!("cannot connect to {target}")),
            "{}",
            run.stderr
        );
    }
}

#[test]
fn a_server_that_never_answers_times_out_with_exit_3() {
    // A loopback listener that accepts connections and never says anything.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().take(4) {
            held.push(stream);
        }
        std::thread::sleep(std::time::Duration::from_secs(30));
    });
    let target = format!("127.0.0.1:{port}");
    let run = tlspin(&["--timeout", "1", "probe", &target], None);
    assert_eq!(run.code, 3, "{run:?}");
    assert!(
        run.stderr.contains(&format!(
            "timed out after 1s waiting for {target} to answer a ClientHello: expected a \
             ServerHello or an alert, received 0 bytes"
        )),
        "{}",
        run.stderr
    );
    let run = tlspin(&["--timeout", "1", "pin", &target], None);
    assert_eq!(run.code, 3, "{run:?}");
    assert!(
        run.stderr
            .contains(&format!("timed out after 1s waiting to read from {target}")),
        "{}",
        run.stderr
    );
}

#[test]
fn a_server_that_is_not_tls_exits_3() {
    // A loopback listener that answers every connection with HTTP text (the probe opens several
    // at once, and stops after the first answer it cannot read).
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        use std::io::Write;
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { break };
            let _ = stream.write_all(b"HTTP/1.1 400 Bad Request\r\n\r\n");
        }
    });
    let run = tlspin(
        &["--timeout", "2", "probe", &format!("127.0.0.1:{port}")],
        None,
    );
    assert_eq!(run.code, 3, "{run:?}");
    assert!(
        run.stderr
            .contains("did not answer like a TLS server: expected a TLS record version"),
        "{}",
        run.stderr
    );
}

/// `tlspin pin` reads public-key files as `openssl pkey -pubout` writes them, PEM and DER, and
/// prints OpenSSL's pin of the key.
#[test]
fn public_key_files() {
    let dir = tempfile::tempdir().unwrap();
    for (name, newkey, key_type) in [
        (
            "p256",
            &["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"][..],
            "ECDSA P-256",
        ),
        ("ed25519", &["-newkey", "ed25519"][..], "Ed25519"),
        ("rsa", &["-newkey", "rsa:2048"][..], "RSA 2048-bit"),
    ] {
        let (cert, key) = openssl_cert(dir.path(), name, newkey);
        let pem = dir.path().join(format!("{name}.pub.pem"));
        let der = dir.path().join(format!("{name}.pub.der"));
        let key = key.to_str().unwrap();
        openssl(&["pkey", "-in", key, "-pubout", "-out", pem.to_str().unwrap()]);
        openssl(&[
            "pkey",
            "-in",
            key,
            "-pubout",
            "-outform",
            "der",
            "-out",
            der.to_str().unwrap(),
        ]);
        let pin = library_pin(&cert);
        for file in [&pem, &der] {
            let run = tlspin(&["--json", "pin", file.to_str().unwrap()], None);
            assert_eq!(run.code, 0, "{name}: {run:?}");
            let report = run.json();
            assert_eq!(report["public_key"]["pin"], pin.to_string(), "{name}");
            assert_eq!(
                report["public_key"]["pin_curl"],
                pin.to_curl_string(),
                "{name}"
            );
            assert_eq!(report["public_key"]["key_type"], key_type, "{name}");
            assert_eq!(report["certificates"], serde_json::json!([]), "{name}");
            let text = tlspin(&["pin", file.to_str().unwrap()], None);
            assert_eq!(text.code, 0);
            assert!(text.stdout.contains("a public key"), "{}", text.stdout);
            assert!(
                text.stdout.contains(&format!("pin (OkHttp): {pin}")),
                "{}",
                text.stdout
            );
        }
    }
}

/// `tlspin pin` against an RSA 1024-bit server: the handshake signature cannot be checked, and
/// the error says why (the key size) instead of advising to run `tlspin pin` again.
#[test]
fn pin_a_server_whose_key_rustls_cannot_verify_names_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = openssl_cert(dir.path(), "rsa1024", &["-newkey", "rsa:1024"]);
    let server = SServer::start(&cert, &key, &["-cipher", "DEFAULT:@SECLEVEL=0"]);
    let run = tlspin(&["pin", &format!("127.0.0.1:{}", server.port)], None);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr.contains(
            "why: the server's certificate key is RSA 1024-bit: neither aws-lc-rs nor ring \
             verifies it (rustls' providers accept RSA keys of 2048 to 8192 bits), so tlspin \
             cannot check the server's handshake signature"
        ),
        "{}",
        run.stderr
    );
    assert!(
        !run.stderr.contains("tlspin pin HOST:PORT"),
        "{}",
        run.stderr
    );
}

/// `tlspin pin` against a port that answers with HTTP text: exit 3 (not a TLS server), one line.
#[test]
fn pin_a_server_that_is_not_tls_exits_3() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        use std::io::Write;
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { break };
            let _ = stream.write_all(b"HTTP/1.1 400 Bad Request\r\n\r\n");
        }
    });
    let target = format!("127.0.0.1:{port}");
    let run = tlspin(&["--timeout", "2", "pin", &target], None);
    assert_eq!(run.code, 3, "{run:?}");
    assert_eq!(
        run.stderr.trim_end(),
        format!(
            "tlspin: error: {target} did not answer like a TLS server: expected a TLS record \
             (content type 20 to 23, version 3.x, at most 16 KiB + 2 KiB), rustls read: \
             received corrupt message of type InvalidContentType"
        )
    );
}

/// A rustls server on loopback that presents one key's certificate and signs its handshakes with
/// another key (both P-256): its handshake signature is bad although the providers verify P-256.
/// Returns the port; the server runs for the rest of the test process.
fn server_signing_with_another_key() -> u16 {
    use std::sync::Arc;

    #[derive(Debug)]
    struct Mismatched(Arc<rustls::sign::CertifiedKey>);
    impl rustls::server::ResolvesServerCert for Mismatched {
        fn resolve(
            &self,
            _hello: rustls::server::ClientHello<'_>,
        ) -> Option<Arc<rustls::sign::CertifiedKey>> {
            Some(self.0.clone())
        }
    }

    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let certified = rcgen::KeyPair::generate().unwrap();
    let cert = rcgen::CertificateParams::new(vec!["localhost".into()])
        .unwrap()
        .self_signed(&certified)
        .unwrap();
    let signing = rcgen::KeyPair::generate().unwrap();
    let key = provider
        .key_provider
        .load_private_key(rustls::pki_types::PrivateKeyDer::Pkcs8(
            signing.serialize_der().into(),
        ))
        .unwrap();
    let certified_key = rustls::sign::CertifiedKey::new(vec![cert.der().clone()], key);
    let config = Arc::new(
        rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_cert_resolver(Arc::new(Mismatched(Arc::new(certified_key)))),
    );
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { break };
            let config = config.clone();
            std::thread::spawn(move || {
                let Ok(mut connection) = rustls::ServerConnection::new(config) else {
                    return;
                };
                let _ = stream.set_read_timeout(Some(std::time::Duration::from_secs(5)));
                while connection.is_handshaking() {
                    if connection.complete_io(&mut stream).is_err() {
                        break;
                    }
                }
            });
        }
    });
    port
}

/// A bad handshake signature from a key rustls verifies: `pin` and `probe` name the key and the
/// likely causes, and neither sends the user to the other command.
#[test]
fn a_server_signing_with_another_key_than_its_certificates() {
    let port = server_signing_with_another_key();
    let target = format!("127.0.0.1:{port}");
    let expected = "the server's handshake signature did not verify with its certificate's \
                    ECDSA P-256 key: the server signs with another key than its certificate's";
    let run = tlspin(&["pin", &target], None);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr
            .contains("invalid peer certificate: BadSignature"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains(expected), "{}", run.stderr);
    assert!(!run.stderr.contains("`tlspin"), "{}", run.stderr);
    let run = tlspin(&["--json", "probe", &target], None);
    assert_eq!(run.code, 1, "{run:?}");
    let report = run.json();
    for provider in report["providers"].as_array().unwrap() {
        let reason = provider["reason"].as_str().unwrap();
        assert!(reason.starts_with(expected), "{reason}");
        assert!(!reason.contains("`tlspin"), "{reason}");
    }
}
