//! Adversarial review, round 3 (commit e123340): `tlspin pin` on public-key files. Written by an
//! independent reviewer from the code and the README alone; every test asserts the promised
//! behaviour and failed on e123340 (the first because the CLI did not build).

mod common;

use common::{pem, tlspin};
use rcgen::PublicKeyData as _;
use tlspin::Pin;

/// A PEM file holding a certificate and a PUBLIC KEY of a *different* key (say a bundle the user
/// appended a key to) is treated as a public-key file because the text contains
/// "-----BEGIN PUBLIC KEY-----": only the key's pin is printed, the certificate is not reported,
/// and nothing says so. The user who ran `tlspin pin` on their certificate bundle copies a pin
/// that is not their server's. Expected: refuse the mixed file (exit 2), or report both.
#[test]
fn a_certificate_file_that_also_holds_a_public_key_is_not_silently_read_as_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let server_key = rcgen::KeyPair::generate().unwrap();
    let cert = rcgen::CertificateParams::new(vec!["server.test".into()])
        .unwrap()
        .self_signed(&server_key)
        .unwrap();
    let cert_pin = Pin::from_spki_der(&server_key.subject_public_key_info());
    let other = rcgen::KeyPair::generate().unwrap();
    let file = dir.path().join("bundle.pem");
    std::fs::write(
        &file,
        format!(
            "{}{}",
            cert.pem(),
            pem("PUBLIC KEY", &other.subject_public_key_info())
        ),
    )
    .unwrap();
    let run = tlspin(&["--json", "pin", file.to_str().unwrap()], None);
    if run.code == 0 {
        let report = run.json();
        assert!(
            report["certificates"]
                .as_array()
                .is_some_and(|c| c.iter().any(|c| c["pin"] == cert_pin.to_string())),
            "the certificate (pin {cert_pin}) in the file is not reported; only the other key \
             is: {report:#}"
        );
    } else {
        assert_eq!(run.code, 2, "{run:?}");
    }
}

/// A DER SPKI with a non-minimal (BER) length: OpenSSL reads it and its pin (`openssl pkey -pubin
/// -outform der | openssl dgst -sha256`) is the DER key's; `tlspin pin` hashes the file's bytes
/// and prints a pin no server will ever match, exit 0.
#[test]
fn a_ber_public_key_file_does_not_print_a_pin_openssl_would_not() {
    let dir = tempfile::tempdir().unwrap();
    let key = rcgen::KeyPair::generate().unwrap();
    let spki = key.subject_public_key_info();
    assert_eq!(&spki[..2], b"\x30\x59");
    let mut ber = b"\x30\x81".to_vec();
    ber.extend_from_slice(&spki[1..]);
    let file = dir.path().join("key.der");
    std::fs::write(&file, &ber).unwrap();
    let openssl_pin = {
        let out = std::process::Command::new("openssl")
            .args(["pkey", "-pubin", "-inform", "der", "-outform", "der", "-in"])
            .arg(&file)
            .output()
            .unwrap();
        assert!(out.status.success(), "openssl reads the BER key: {out:?}");
        Pin::from_spki_der(&out.stdout)
    };
    assert_eq!(openssl_pin, Pin::from_spki_der(&spki));
    let run = tlspin(&["--json", "pin", file.to_str().unwrap()], None);
    if run.code == 0 {
        assert_eq!(
            run.json()["public_key"]["pin"],
            openssl_pin.to_string(),
            "tlspin printed a pin that differs from OpenSSL's for the same key"
        );
    } else {
        assert_eq!(run.code, 2, "{run:?}");
    }
}

/// `tlspin pin key.pem` given a private key flattened onto one line (newlines lost, as in
/// environment variables and JSON secrets) prints the private key back on stderr, in the
/// "expected …-----END…" / "found \"-----BEGIN PRIVATE KEY----- MIG…\"" message.
#[test]
fn a_one_line_private_key_file_is_not_echoed_on_stderr() {
    let dir = tempfile::tempdir().unwrap();
    let key = rcgen::KeyPair::generate().unwrap();
    let private_pem = key.serialize_pem();
    let body: String = private_pem
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect();
    for (name, text) in [
        ("newlines as spaces", private_pem.replace('\n', " ")),
        ("newlines removed", private_pem.replace('\n', "")),
        (
            "header then one line",
            format!("-----BEGIN PRIVATE KEY----- {body}\n"),
        ),
    ] {
        let file = dir.path().join("key.pem");
        std::fs::write(&file, &text).unwrap();
        let run = tlspin(&["pin", file.to_str().unwrap()], None);
        assert_eq!(run.code, 2, "{name}: {run:?}");
        let secret = &body[body.len() - 40..];
        assert!(
            !run.stderr.contains(secret) && !run.stdout.contains(secret),
            "{name}: the private key is printed back: {}",
            run.stderr
        );
    }
}

/// The library refuses a PKCS#1 `RSA PUBLIC KEY` and a private key "with a reason" (how to convert
/// it, `openssl pkey -pubout`), but `tlspin pin` only routes files containing
/// "-----BEGIN PUBLIC KEY-----" to the key path: for these it says only that no CERTIFICATE was
/// found, never that a public key was expected or how to get one.
#[test]
fn key_files_of_the_wrong_kind_get_the_librarys_reason() {
    let dir = tempfile::tempdir().unwrap();
    let rsa = dir.path().join("rsa.pem");
    let pkcs1 = dir.path().join("rsa-pkcs1-pub.pem");
    common::openssl(&["genrsa", "-out", rsa.to_str().unwrap(), "2048"]);
    common::openssl(&[
        "rsa",
        "-in",
        rsa.to_str().unwrap(),
        "-RSAPublicKey_out",
        "-out",
        pkcs1.to_str().unwrap(),
    ]);
    let mut failures = Vec::new();
    for (file, needle) in [(&pkcs1, "-RSAPublicKey_in"), (&rsa, "-pubout")] {
        let run = tlspin(&["pin", file.to_str().unwrap()], None);
        if run.code != 2 || !run.stderr.contains(needle) {
            failures.push(format!(
                "{}: expected exit 2 with the reason ({needle}), got {run:?}",
                file.display()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
