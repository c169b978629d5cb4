//! Adversarial review, round 3 (issue 12's pin sources and root sources, commit e123340): curl
//! pin lists, public-key files and `roots::native()`. Written by an independent reviewer from the
//! code and the README alone; every test asserts the promised behaviour and failed on e123340.

mod common;

use common::pem;
use rcgen::PublicKeyData as _;
use tlspin::{Error, Pin};

/// An ECDSA P-256 key's DER SubjectPublicKeyInfo, as `openssl pkey -pubout -outform der`
/// writes it (DER, short-form outer length 0x59), and its private key PEM.
fn p256() -> (Vec<u8>, String) {
    let key = rcgen::KeyPair::generate().unwrap();
    let spki = key.subject_public_key_info();
    assert_eq!(&spki[..2], b"\x30\x59", "a P-256 SPKI is 91 bytes");
    (spki, key.serialize_pem())
}

// ---------------------------------------------------------------------------------------------
// 1. Pin::from_curl_list
// ---------------------------------------------------------------------------------------------

/// "Every item must be `sha256//` followed by the base64 of a SHA-256 digest … an item of another
/// form is an Error::InvalidPinList". `sha256//Pz8…` with 43 characters after `sha256//` is not
/// base64 of 32 bytes; it is OkHttp's `sha256/` form of the digest `/Pz8…`. curl compares the
/// text after `sha256//` with the 44-character base64 of the key's digest, so for curl this item
/// never matches anything; `from_curl_list` silently accepts it as the pin `/Pz8…`.
#[test]
fn curl_list_refuses_an_okhttp_form_item_whose_digest_starts_with_a_slash() {
    let pin = Pin::from_sha256([0xfc; 32]);
    let okhttp = pin.to_string(); // "sha256//Pz8…=" : OkHttp form, digest starts with '/'
    assert!(okhttp.starts_with("sha256//P"), "{okhttp}");
    assert_eq!(okhttp.len(), "sha256/".len() + 44);
    let good = "sha256//47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=";
    let list = format!("{good};{okhttp}");
    match Pin::from_curl_list(&list) {
        Err(Error::InvalidPinList { item: 2, .. }) => {}
        other => panic!(
            "{list:?}: item 2 has 43 characters after sha256//, which is not base64 of a \
             SHA-256 digest (curl would never match it); expected InvalidPinList for item 2, \
             got {other:?}"
        ),
    }
}

/// The other edge cases the brief lists hold; kept as a regression net.
#[test]
fn curl_list_edge_cases_that_hold() {
    let a = "sha256//ZHE5n8VWNTRIIRGnbwFXtn8dB4aKRJzKXBWnV3+4Jjg=";
    let digest_a = "ZHE5n8VWNTRIIRGnbwFXtn8dB4aKRJzKXBWnV3+4Jjg=";
    let cases: Vec<(String, usize)> = vec![
        (format!("{a};{a}\u{00a0}"), 2), // NBSP
        (format!("{a};\u{3000}{a}"), 2), // ideographic space
        (format!("{a};{a}\u{2028}"), 2), // line separator
        (format!("{a};{a}\u{200b}"), 2), // zero-width space (not White_Space)
        (format!("\u{feff}{a}"), 1),     // BOM
        (format!("{a};{a}\0"), 2),       // NUL
        (format!("{a};sha256//\0{digest_a}"), 2),
        (format!("{a};sha256//{}", &digest_a[..43]), 2), // missing '='
        (format!("{a};sha256//{digest_a}="), 2),         // extra '='
        (
            format!("{a};sha256//{}\n{}", &digest_a[..20], &digest_a[20..]),
            2,
        ), // newline
        // trailing bits set in the last base64 character ('g' -> 'h')
        (
            format!("{a};sha256//ZHE5n8VWNTRIIRGnbwFXtn8dB4aKRJzKXBWnV3+4Jjh="),
            2,
        ),
        (format!("{a};pin-sha256=\"{digest_a}\""), 2),
        (format!("{a};3 1 1 {}", "00".repeat(32)), 2),
        (format!("{a};sha256//3 1 1 {}", "00".repeat(32)), 2),
        (format!("{a};sha256//pin-sha256=\"{digest_a}\""), 2),
        (format!("{a};sha256//sha256//{digest_a}"), 2),
        (format!("{a};sha256///{digest_a}"), 2),
        (format!("{a};sha256//{digest_a};"), 3),
        (";;".to_string(), 1),
    ];
    for (list, item) in cases {
        match Pin::from_curl_list(&list) {
            Err(Error::InvalidPinList { item: i, .. }) if i == item => {}
            other => panic!("{list:?}: expected InvalidPinList for item {item}, got {other:?}"),
        }
    }
    // A long list is linear, and every item is read.
    let long = vec![a; 100_000].join(";");
    assert_eq!(Pin::from_curl_list(&long).unwrap().len(), 100_000);
}

// ---------------------------------------------------------------------------------------------
// 2. Pin::from_public_key / from_public_key_file
// ---------------------------------------------------------------------------------------------

/// "The pin of a public key given as … DER SubjectPublicKeyInfo bytes"; the crate promises a pin
/// equals `openssl pkey -pubin -outform der | openssl dgst -sha256`. A BER-encoded SPKI with a
/// non-minimal (long-form) outer length is accepted by OpenSSL, which re-encodes it to DER, and
/// by `from_public_key`, which hashes the non-DER bytes as given: the printed pin matches no
/// server (a server sends DER). It must be refused as not DER, or pinned as its DER encoding.
#[test]
fn public_key_with_a_non_minimal_der_length_is_refused_or_normalised() {
    let (spki, _) = p256();
    let canonical = Pin::from_spki_der(&spki);
    let mut ber = b"\x30\x81".to_vec(); // long form for a length < 128: BER, not DER
    ber.extend_from_slice(&spki[1..]);
    // The same non-minimal length inside: the BIT STRING (0x42 bytes) in long form.
    let mut inner = spki.clone();
    let bit_string = 4 + usize::from(inner[3]); // after the AlgorithmIdentifier
    assert_eq!(inner[bit_string], 0x03);
    assert_eq!(inner[bit_string + 1], 0x42);
    inner.splice(bit_string + 1..bit_string + 2, [0x81, 0x42]);
    inner[1] += 1;
    for (name, bytes) in [
        ("outer long-form DER", ber.clone()),
        ("inner long-form DER", inner.clone()),
        ("outer long-form PEM", pem("PUBLIC KEY", &ber).into_bytes()),
    ] {
        match Pin::from_public_key(&bytes) {
            Err(Error::InvalidPublicKey { .. }) => {}
            Ok(pin) => assert_eq!(
                pin, canonical,
                "{name}: the pin of a BER SPKI is not the pin OpenSSL and every server give \
                 this key"
            ),
            Err(other) => panic!("{name}: {other:?}"),
        }
    }
}

/// Whether `text` shows `secret` as text or as the `Debug` list of its bytes
/// (`[77, 73, 71, …]`, how rustls-pki-types' PEM errors print a line).
fn shows(text: &str, secret: &str) -> bool {
    let as_bytes = format!("{:?}", secret.as_bytes());
    text.contains(secret) || text.contains(as_bytes.trim_start_matches('[').trim_end_matches(']'))
}

/// "never echoing private key material": a private key flattened onto one line (as environment
/// variables, JSON and some secret stores hold PEM) is refused with rustls-pki-types' PEM error,
/// which quotes the line (as a `Debug` byte list) and so the private key, in the message.
#[test]
fn a_one_line_private_key_is_not_echoed_in_the_error() {
    let (_, private_pem) = p256();
    let body: String = private_pem
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect();
    let secret = &body[body.len() - 40..]; // the end of the key (the private scalar's region)
    for (name, flattened) in [
        (
            "newlines as spaces",
            private_pem.replace('\n', " ").trim_end().to_owned(),
        ),
        ("newlines removed", private_pem.replace('\n', "")),
        (
            "header then one line",
            format!("-----BEGIN PRIVATE KEY----- {body}\n"),
        ),
    ] {
        let error = Pin::from_public_key(flattened.as_bytes()).unwrap_err();
        for text in [error.to_string(), format!("{error:?}")] {
            assert!(
                !shows(&text, secret) && !shows(&text, &body[..40]),
                "{name}: the private key is echoed in the error: {text}"
            );
        }
    }
}

/// "Fails … if the bytes hold … something else (a certificate, a private key …)". A PEM file
/// holding a PUBLIC KEY and also a PRIVATE KEY (or a certificate of another key) is accepted:
/// the other blocks are silently skipped.
#[test]
fn a_pem_holding_a_public_key_and_something_else_is_refused() {
    let (spki, private_pem) = p256();
    let other = rcgen::KeyPair::generate().unwrap();
    let cert = rcgen::CertificateParams::new(vec!["example.test".into()])
        .unwrap()
        .self_signed(&other)
        .unwrap();
    let mut failures = Vec::new();
    for (name, text) in [
        (
            "private key first",
            format!("{private_pem}{}", pem("PUBLIC KEY", &spki)),
        ),
        (
            "private key after",
            format!("{}{private_pem}", pem("PUBLIC KEY", &spki)),
        ),
        (
            "certificate of another key",
            format!("{}{}", cert.pem(), pem("PUBLIC KEY", &spki)),
        ),
    ] {
        match Pin::from_public_key(text.as_bytes()) {
            Err(Error::InvalidPublicKey { .. }) => {}
            other => failures.push(format!(
                "{name}: the input also holds something that is not the public key; expected \
                 InvalidPublicKey, got {other:?}"
            )),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// What held up for public keys: trailing bytes, indefinite lengths, certificates, PKCS#1.
#[test]
fn public_key_refusals_that_hold() {
    let (spki, _) = p256();
    let mut trailing = spki.clone();
    trailing.push(0);
    let mut indefinite = b"\x30\x80".to_vec();
    indefinite.extend_from_slice(&spki[2..]);
    indefinite.extend_from_slice(b"\0\0");
    let other = rcgen::KeyPair::generate().unwrap();
    let cert = rcgen::CertificateParams::new(vec!["example.test".into()])
        .unwrap()
        .self_signed(&other)
        .unwrap();
    for (name, bytes) in [
        ("trailing byte", trailing),
        ("indefinite length", indefinite),
        ("DER certificate", cert.der().to_vec()),
        ("PEM certificate", cert.pem().into_bytes()),
        ("two public keys", {
            let mut two = pem("PUBLIC KEY", &spki);
            two.push_str(&pem("PUBLIC KEY", &other.subject_public_key_info()));
            two.into_bytes()
        }),
    ] {
        assert!(
            matches!(
                Pin::from_public_key(&bytes),
                Err(Error::InvalidPublicKey { .. })
            ),
            "{name}"
        );
    }
    // PEM with text around is the same key.
    let around = format!("subject=CN=x\n{}trailing text\n", pem("PUBLIC KEY", &spki));
    assert_eq!(
        Pin::from_public_key(around.as_bytes()).unwrap(),
        Pin::from_spki_der(&spki)
    );
    // A directory is an Io error, not a hang.
    let dir = tempfile::tempdir().unwrap();
    assert!(matches!(
        Pin::from_public_key_file(dir.path()),
        Err(Error::Io { .. })
    ));
}

// ---------------------------------------------------------------------------------------------
// 3. roots::native()
// ---------------------------------------------------------------------------------------------

#[cfg(feature = "native-roots")]
fn write(path: &std::path::Path, bytes: impl AsRef<[u8]>) {
    std::fs::write(path, bytes).unwrap();
}

/// All env-var cases in one test (they share the process environment).
///
/// Promise (src/roots.rs): "Fails with Error::NativeRoots naming where it looked and what those
/// variables held, if any file or directory there cannot be read or parsed, or if no root
/// certificate was found: never an empty store."
#[cfg(feature = "native-roots")]
#[test]
fn native_roots_report_every_unreadable_or_unparsable_file() {
    use std::path::Path;

    let dir = tempfile::tempdir().unwrap();
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let ca = params.self_signed(&ca_key).unwrap();
    let good = ca.pem();

    let failures = std::cell::RefCell::new(Vec::<String>::new());
    let check = |name: &str, file: Option<&Path>, dirs: Option<&str>, expect_err: bool| {
        match file {
            Some(f) => std::env::set_var("SSL_CERT_FILE", f),
            None => std::env::remove_var("SSL_CERT_FILE"),
        }
        match dirs {
            Some(d) => std::env::set_var("SSL_CERT_DIR", d),
            None => std::env::remove_var("SSL_CERT_DIR"),
        }
        let result = tlspin::roots::native();
        match (&result, expect_err) {
            (Err(Error::NativeRoots { .. }), true) => {
                eprintln!("{name}: {}", result.as_ref().unwrap_err());
            }
            (Ok(store), true) => failures.borrow_mut().push(format!(
                "{name}: expected Error::NativeRoots, got a store of {} roots",
                store.len()
            )),
            (Ok(store), false) if !store.is_empty() => {}
            (other, _) => failures
                .borrow_mut()
                .push(format!("{name}: unexpected {other:?}")),
        }
        result
    };

    // (a) SSL_CERT_FILE="" : rustls-native-certs reads the path "" (and fails); the error must
    // not claim the platform's store was read.
    if let Err(error) = check("SSL_CERT_FILE empty", Some(Path::new("")), None, true) {
        let shown = error.to_string();
        if shown.contains("platform's store was read") {
            failures.borrow_mut().push(format!(
                "SSL_CERT_FILE empty: the error says the platform's store was read, but \
                 rustls-native-certs read only the path \"\": {shown}"
            ));
        }
    }

    // (b) A bundle with one good CA and one CERTIFICATE block that is not a certificate.
    let garbage_block = pem("CERTIFICATE", b"this is not DER at all, just bytes");
    let mixed = dir.path().join("mixed.pem");
    write(&mixed, format!("{good}{garbage_block}"));
    let _ = check(
        "bundle: good + unparsable CERTIFICATE",
        Some(&mixed),
        None,
        true,
    );

    // (c) A directory with a good CA and a file that is not PEM (a DER certificate).
    let with_der = dir.path().join("with-der");
    std::fs::create_dir(&with_der).unwrap();
    write(&with_der.join("ca.pem"), &good);
    write(&with_der.join("other.crt"), ca.der());
    let _ = check(
        "dir: good + DER file",
        None,
        Some(with_der.to_str().unwrap()),
        true,
    );

    // (d) A directory with a good CA and a dangling symlink (an unreadable file).
    #[cfg(unix)]
    {
        let with_link = dir.path().join("with-link");
        std::fs::create_dir(&with_link).unwrap();
        write(&with_link.join("ca.pem"), &good);
        std::os::unix::fs::symlink(dir.path().join("gone.pem"), with_link.join("abcd1234.0"))
            .unwrap();
        let _ = check(
            "dir: good + dangling symlink",
            None,
            Some(with_link.to_str().unwrap()),
            true,
        );
    }

    // (e) A directory with a good CA and a PEM file whose base64 is broken: an error (holds),
    // and the error should name the broken file, not only the directory.
    let with_bad = dir.path().join("with-bad");
    std::fs::create_dir(&with_bad).unwrap();
    write(&with_bad.join("ca.pem"), &good);
    write(
        &with_bad.join("broken-one.pem"),
        "-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n",
    );
    if let Err(error) = check(
        "dir: good + broken base64",
        None,
        Some(with_bad.to_str().unwrap()),
        true,
    ) {
        let shown = error.to_string();
        if !shown.contains("broken-one.pem") {
            failures.borrow_mut().push(format!(
                "dir: good + broken base64: the error does not name the file that failed: {shown}"
            ));
        }
    }

    // (f) Holds: a bundle with only a private key; a good bundle; a dir with an empty component.
    let only_key = dir.path().join("only-key.pem");
    write(&only_key, ca_key.serialize_pem());
    let _ = check("bundle: only a private key", Some(&only_key), None, true);
    let good_file = dir.path().join("good.pem");
    write(&good_file, &good);
    let _ = check("bundle: good", Some(&good_file), None, false);
    let only_good = dir.path().join("only-good");
    std::fs::create_dir(&only_good).unwrap();
    write(&only_good.join("ca.pem"), &good);
    let _ = check(
        "dir with empty components",
        None,
        Some(&format!(":{}:", only_good.display())),
        false,
    );

    std::env::remove_var("SSL_CERT_FILE");
    std::env::remove_var("SSL_CERT_DIR");
    let failures = failures.into_inner();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
