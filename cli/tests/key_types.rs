//! `tlspin pin` names the key type of every kind of key `openssl genpkey` makes on this machine:
//! RSA, RSA-PSS (restricted or not), DSA, EC on named curves of every family and with explicit
//! parameters, Ed25519/Ed448, X25519/X448, DH and DHX.

mod common;

use common::{openssl, tlspin};

/// `openssl genpkey` arguments (after `-algorithm`) and the key type `tlspin pin` must print.
const KEYS: [(&[&str], &str); 25] = [
    (&["RSA", "-pkeyopt", "rsa_keygen_bits:1024"], "RSA 1024-bit"),
    (&["RSA", "-pkeyopt", "rsa_keygen_bits:2048"], "RSA 2048-bit"),
    (
        &["RSA-PSS", "-pkeyopt", "rsa_keygen_bits:2048"],
        "RSA-PSS 2048-bit",
    ),
    (
        &[
            "RSA-PSS",
            "-pkeyopt",
            "rsa_keygen_bits:2048",
            "-pkeyopt",
            "rsa_pss_keygen_md:sha384",
        ],
        "RSA-PSS 2048-bit, SHA-384 only",
    ),
    (
        &["EC", "-pkeyopt", "ec_paramgen_curve:P-192"],
        "ECDSA P-192",
    ),
    (
        &["EC", "-pkeyopt", "ec_paramgen_curve:P-224"],
        "ECDSA P-224",
    ),
    (
        &["EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
        "ECDSA P-256",
    ),
    (
        &["EC", "-pkeyopt", "ec_paramgen_curve:P-384"],
        "ECDSA P-384",
    ),
    (
        &["EC", "-pkeyopt", "ec_paramgen_curve:P-521"],
        "ECDSA P-521",
    ),
    (
        &["EC", "-pkeyopt", "ec_paramgen_curve:secp256k1"],
        "EC secp256k1",
    ),
    (
        &["EC", "-pkeyopt", "ec_paramgen_curve:brainpoolP256r1"],
        "EC brainpoolP256r1",
    ),
    (
        &["EC", "-pkeyopt", "ec_paramgen_curve:brainpoolP384t1"],
        "EC brainpoolP384t1",
    ),
    (
        &["EC", "-pkeyopt", "ec_paramgen_curve:sect283k1"],
        "EC sect283k1",
    ),
    (
        &["EC", "-pkeyopt", "ec_paramgen_curve:prime239v1"],
        "EC prime239v1",
    ),
    (
        &["EC", "-pkeyopt", "ec_paramgen_curve:c2pnb163v1"],
        "EC c2pnb163v1",
    ),
    (
        &[
            "EC",
            "-pkeyopt",
            "ec_paramgen_curve:wap-wsg-idm-ecid-wtls12",
        ],
        "EC wap-wsg-idm-ecid-wtls12",
    ),
    (
        &[
            "EC",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-pkeyopt",
            "ec_param_enc:explicit",
        ],
        "EC with explicit parameters",
    ),
    (&["SM2"], "EC SM2"),
    (&["ED25519"], "Ed25519"),
    (&["ED448"], "Ed448"),
    (&["X25519"], "X25519 (key agreement only)"),
    (&["X448"], "X448 (key agreement only)"),
    (&["DH", "-pkeyopt", "group:ffdhe2048"], "DH 2048-bit"),
    (
        &["DHX", "-pkeyopt", "group:ffdhe3072"],
        "DHX (X9.42 DH) 3072-bit",
    ),
    // DSA needs parameters first; see the test.
    (&["DSA"], "DSA 1024-bit"),
];

#[test]
fn every_key_type_openssl_generates_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name).to_str().unwrap().to_owned();
    openssl(&[
        "genpkey",
        "-genparam",
        "-algorithm",
        "DSA",
        "-pkeyopt",
        "dsa_paramgen_bits:1024",
        "-out",
        &path("dsa-params.pem"),
    ]);
    let mut wrong = Vec::new();
    for (index, (algorithm, expected)) in KEYS.iter().enumerate() {
        let key = path(&format!("{index}.key"));
        let mut args = vec!["genpkey"];
        let params = path("dsa-params.pem");
        if algorithm == &["DSA"] {
            args.extend(["-paramfile", &params]);
        } else {
            args.push("-algorithm");
            args.extend(algorithm.iter());
        }
        args.extend(["-out", &key]);
        openssl(&args);
        let public = openssl(&["pkey", "-in", &key, "-pubout"]);
        let run = tlspin(&["--json", "pin", "-"], Some(&public));
        assert_eq!(run.code, 0, "{algorithm:?}: {run:?}");
        let seen = run.json()["public_key"]["key_type"].clone();
        if seen != *expected {
            wrong.push(format!("{algorithm:?}: expected {expected:?}, got {seen}"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// OpenSSL 3.0 cannot make ML-DSA, SLH-DSA or ML-KEM keys, so these are written by hand: a
/// SubjectPublicKeyInfo is the algorithm OID and a BIT STRING, whatever its content.
#[test]
fn post_quantum_and_unknown_algorithms_are_named_by_oid() {
    let spki = |oid: &[u8]| -> Vec<u8> {
        let key = [0u8; 32];
        let mut algorithm = vec![0x06, u8::try_from(oid.len()).unwrap()];
        algorithm.extend_from_slice(oid);
        let mut algorithm_seq = vec![0x30, u8::try_from(algorithm.len()).unwrap()];
        algorithm_seq.extend(algorithm);
        let mut bits = vec![0x03, u8::try_from(key.len() + 1).unwrap(), 0];
        bits.extend_from_slice(&key);
        let mut body = algorithm_seq;
        body.extend(bits);
        let mut der = vec![0x30, u8::try_from(body.len()).unwrap()];
        der.extend(body);
        der
    };
    // 2.16.840.1.101.3.4.3.{17,18,19,20}, 2.16.840.1.101.3.4.4.2, 1.2.3.4.
    let nist = |last: &[u8]| [&[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04][..], last].concat();
    for (oid, expected) in [
        (nist(&[3, 17]), "ML-DSA-44"),
        (nist(&[3, 18]), "ML-DSA-65"),
        (nist(&[3, 19]), "ML-DSA-87"),
        (nist(&[3, 20]), "SLH-DSA-SHA2-128s"),
        (nist(&[4, 2]), "ML-KEM-768 (key encapsulation only)"),
        (vec![0x2a, 0x03, 0x04], "unknown key algorithm 1.2.3.4"),
    ] {
        let run = tlspin(&["--json", "pin", "-"], Some(&spki(&oid)));
        assert_eq!(run.code, 0, "{expected}: {run:?}");
        assert_eq!(run.json()["public_key"]["key_type"], expected, "{run:?}");
    }
}
