//! The measured operations, built once and shared by the criterion benches, the interleaved A/B
//! report and the callgrind runs, so that every method measures exactly the same work.

use std::hint::black_box;
use std::sync::Arc;

use rustls::client::danger::ServerCertVerifier;
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::hash::Hash;
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::CertificateDer;
use rustls::DigitallySignedStruct;
use tlspin::{
    host_pins::HostPinSet, host_pins::HostPinnedVerifier, Pin, PinnedServerVerifier,
    PinnedWebPkiVerifier,
};

use crate::fixtures::{bench_time, server_name, sign, tls13_message, Certs, Scheme};

/// One measured operation: a name and a closure that does the work once (and panics if the work
/// fails, so a benchmark can never time a rejection).
pub struct Case {
    /// Row name in tables, and the last part of criterion and callgrind ids.
    pub name: String,
    /// Does the work once.
    pub run: Box<dyn FnMut() + Send>,
}

impl Case {
    /// A case named `name` running `run`.
    pub fn new(name: impl Into<String>, run: impl FnMut() + Send + 'static) -> Self {
        Self {
            name: name.into(),
            run: Box::new(run),
        }
    }
}

/// A backup pin that matches nothing, as a real configuration carries.
pub fn backup_pin() -> Pin {
    Pin::from_sha256([0xb4; 32])
}

/// The stock rustls verifier trusting `roots`, with `provider`.
pub fn stock_verifier(
    roots: Arc<rustls::RootCertStore>,
    provider: &Arc<CryptoProvider>,
) -> Arc<dyn ServerCertVerifier> {
    WebPkiServerVerifier::builder_with_provider(roots, provider.clone())
        .build()
        .expect("stock verifier builds")
}

/// tlspin's leaf-pinning verifier pinning `pin` (and a backup).
pub fn pinned_verifier(pin: Pin, provider: &Arc<CryptoProvider>) -> Arc<dyn ServerCertVerifier> {
    PinnedServerVerifier::builder(provider.clone())
        .pins([pin, backup_pin()])
        .build()
        .expect("pinned verifier builds")
}

/// How many other pinned keys a "new key" verifier checks before it is measured: more than the
/// 4 that tlspin's pin sets remember, so that the measured key is hashed and searched for on
/// every call, as on a verifier's first sight of it.
pub const OTHER_KEYS: usize = 8;

/// A leaf-pinning verifier pinning `pin` (and a backup) that has already accepted
/// [`OTHER_KEYS`] other pinned keys, so it no longer remembers new ones: every check of `pin`'s
/// key takes the first-sight path (SHA-256 of the key, binary search).
pub fn pinned_verifier_new_key(
    pins: impl IntoIterator<Item = Pin>,
    provider: &Arc<CryptoProvider>,
) -> Arc<dyn ServerCertVerifier> {
    let others = other_keys();
    let verifier = PinnedServerVerifier::builder(provider.clone())
        .pins(pins)
        .pins(others.iter().map(|cert| cert.pin))
        .build()
        .expect("pinned verifier builds");
    for other in others {
        verifier
            .verify_server_cert(&other.der, &[], &server_name(), &[], bench_time())
            .expect("another pinned key is accepted");
    }
    verifier
}

/// [`OTHER_KEYS`] self-signed P-256 leaves, generated once.
pub fn other_keys() -> &'static [crate::fixtures::Cert] {
    static OTHERS: std::sync::OnceLock<Vec<crate::fixtures::Cert>> = std::sync::OnceLock::new();
    OTHERS.get_or_init(|| Certs::other_leaves(crate::fixtures::KeyKind::P256, OTHER_KEYS))
}

/// The SHA-256 implementation of `provider` (from its first TLS 1.3 SHA-256 suite).
pub fn provider_sha256(provider: &CryptoProvider) -> &'static dyn Hash {
    provider
        .cipher_suites
        .iter()
        .filter_map(|suite| suite.tls13())
        .map(|suite| suite.common.hash_provider)
        .find(|hash| hash.algorithm() == rustls::crypto::hash::HashAlgorithm::SHA256)
        .expect("the provider has a SHA-256 TLS 1.3 suite")
}

/// The handshake-signature check a client makes, exactly as a verifier is asked for it.
#[derive(Clone)]
struct Signed {
    message: Vec<u8>,
    dss: DigitallySignedStruct,
    tls13: bool,
}

impl Signed {
    fn check(&self, verifier: &dyn ServerCertVerifier, leaf: &CertificateDer<'_>) {
        let result = if self.tls13 {
            verifier.verify_tls13_signature(&self.message, leaf, &self.dss)
        } else {
            verifier.verify_tls12_signature(&self.message, leaf, &self.dss)
        };
        result.expect("handshake signature verifies");
    }
}

/// Item 1, the floor: a provider's handshake signature check for `scheme` on `leaf`
/// (`verify_tls13_signature`; `verify_tls12_signature` for RSA PKCS#1, which TLS 1.3 forbids).
pub fn floor_case(
    provider: &Arc<CryptoProvider>,
    scheme: Scheme,
    leaf: &crate::fixtures::Cert,
) -> Case {
    let message = tls13_message();
    let dss = sign(provider, leaf, scheme.scheme, &message);
    let algorithms = provider.signature_verification_algorithms;
    let cert = leaf.der.clone();
    let tls13 = scheme.tls13();
    Case::new("floor: handshake signature", move || {
        let result = if tls13 {
            verify_tls13_signature(black_box(&message), &cert, &dss, &algorithms)
        } else {
            verify_tls12_signature(black_box(&message), &cert, &dss, &algorithms)
        };
        result.expect("handshake signature verifies");
    })
}

/// Item 1: SHA-256 of the leaf's SubjectPublicKeyInfo with the provider's hash.
pub fn sha256_case(provider: &Arc<CryptoProvider>, leaf: &crate::fixtures::Cert) -> Case {
    let spki = rustls::server::ParsedCertificate::try_from(&leaf.der)
        .expect("leaf parses")
        .subject_public_key_info()
        .as_ref()
        .to_vec();
    let hash = provider_sha256(provider);
    Case::new("sha256(spki)", move || {
        black_box(hash.hash(black_box(&spki)));
    })
}

fn verification(
    name: &str,
    verifier: Arc<dyn ServerCertVerifier>,
    chain: Vec<CertificateDer<'static>>,
    signed: &Signed,
) -> Case {
    let signed = signed.clone();
    let name_ = server_name();
    let now = bench_time();
    let (leaf, intermediates) = chain.split_first().expect("a leaf");
    let (leaf, intermediates) = (leaf.clone(), intermediates.to_vec());
    // Fail at build time, not in the middle of a measurement.
    verifier
        .verify_server_cert(&leaf, &intermediates, &name_, &[], now)
        .unwrap_or_else(|e| panic!("{name}: the certificate is refused: {e}"));
    Case::new(name, move || {
        verifier
            .verify_server_cert(black_box(&leaf), &intermediates, &name_, &[], now)
            .expect("certificate accepted");
        signed.check(verifier.as_ref(), &leaf);
    })
}

/// Names of the verifier rows, in table order (the floor row comes first).
pub const STOCK_CHAIN3: &str = "rustls WebPkiServerVerifier, chain of 3";
/// See [`STOCK_CHAIN3`].
pub const STOCK_SELF_SIGNED: &str = "rustls WebPkiServerVerifier, self-signed as root";
/// See [`STOCK_CHAIN3`].
pub const PINNED: &str = "tlspin PinnedServerVerifier (leaf pin), chain of 3 sent";
/// See [`STOCK_CHAIN3`].
pub const PINNED_SELF_SIGNED: &str = "tlspin PinnedServerVerifier (leaf pin), self-signed";
/// See [`STOCK_CHAIN3`].
pub const PINNED_NEW_KEY: &str =
    "tlspin PinnedServerVerifier (leaf pin), chain of 3 sent, key not yet remembered";
/// See [`STOCK_CHAIN3`].
pub const WEBPKI_PINS: &str = "tlspin PinnedWebPkiVerifier (root pin), chain of 3";
/// See [`STOCK_CHAIN3`].
pub const HOST_PINS: &str = "tlspin HostPinnedVerifier (*.example.com, root pin), chain of 3";

/// Item 2: per-verification cost (`verify_server_cert` + the handshake signature check) of each
/// verifier on `certs` with `provider`, preceded by the floor for the same scheme.
pub fn verifier_cases(provider: &Arc<CryptoProvider>, scheme: Scheme, certs: &Certs) -> Vec<Case> {
    let message = tls13_message();
    let tls13 = scheme.tls13();
    let chain_signed = Signed {
        dss: sign(provider, &certs.leaf, scheme.scheme, &message),
        message: message.clone(),
        tls13,
    };
    let self_signed = Signed {
        dss: sign(provider, &certs.self_signed, scheme.scheme, &message),
        message,
        tls13,
    };
    let webpki_pins = PinnedWebPkiVerifier::builder(certs.chain3_roots(), provider.clone())
        .pins([certs.root.pin, backup_pin()])
        .build()
        .expect("WebPKI + pins verifier builds");
    let host_pins = HostPinnedVerifier::builder(certs.chain3_roots(), provider.clone())
        .pin_set(
            HostPinSet::new("*.example.com", [certs.root.pin, backup_pin()])
                .expect("valid pin set"),
        )
        .build()
        .expect("host pin verifier builds");
    vec![
        floor_case(provider, scheme, &certs.leaf),
        verification(
            STOCK_CHAIN3,
            stock_verifier(certs.chain3_roots(), provider),
            certs.chain3(),
            &chain_signed,
        ),
        verification(
            STOCK_SELF_SIGNED,
            stock_verifier(certs.self_signed_roots(), provider),
            vec![certs.self_signed.der.clone()],
            &self_signed,
        ),
        verification(
            PINNED,
            pinned_verifier(certs.leaf.pin, provider),
            certs.chain3(),
            &chain_signed,
        ),
        verification(
            PINNED_SELF_SIGNED,
            pinned_verifier(certs.self_signed.pin, provider),
            vec![certs.self_signed.der.clone()],
            &self_signed,
        ),
        verification(
            PINNED_NEW_KEY,
            pinned_verifier_new_key([certs.leaf.pin, backup_pin()], provider),
            certs.chain3(),
            &chain_signed,
        ),
        verification(WEBPKI_PINS, webpki_pins, certs.chain3(), &chain_signed),
        verification(HOST_PINS, host_pins, certs.chain3(), &chain_signed),
    ]
}

/// The aws-lc-rs algorithm webpki uses for `scheme`'s handshake signatures.
fn aws_lc_algorithm(scheme: Scheme) -> &'static dyn aws_lc_rs::signature::VerificationAlgorithm {
    use aws_lc_rs::signature;
    use rustls::SignatureScheme as S;
    match scheme.scheme {
        S::ECDSA_NISTP256_SHA256 => &signature::ECDSA_P256_SHA256_ASN1,
        S::ECDSA_NISTP384_SHA384 => &signature::ECDSA_P384_SHA384_ASN1,
        S::ED25519 => &signature::ED25519,
        S::RSA_PSS_SHA256 => &signature::RSA_PSS_2048_8192_SHA256,
        S::RSA_PKCS1_SHA256 => &signature::RSA_PKCS1_2048_8192_SHA256,
        other => panic!("no aws-lc-rs algorithm mapped for {other:?}"),
    }
}

/// The contents of the subjectPublicKey BIT STRING of a DER SubjectPublicKeyInfo: what webpki
/// hands to a signature algorithm.
fn subject_public_key(spki: &[u8]) -> Vec<u8> {
    // SEQUENCE { SEQUENCE algorithm, BIT STRING subjectPublicKey }
    fn header(der: &[u8]) -> (u8, usize, usize) {
        let tag = der[0];
        let first = usize::from(der[1]);
        if first < 0x80 {
            return (tag, 2, first);
        }
        let count = first & 0x7f;
        let length = der[2..2 + count]
            .iter()
            .fold(0, |acc, b| (acc << 8) | usize::from(*b));
        (tag, 2 + count, length)
    }
    let (tag, outer_header, _) = header(spki);
    assert_eq!(tag, 0x30, "SPKI is a SEQUENCE");
    let inner = &spki[outer_header..];
    let (_, alg_header, alg_length) = header(inner);
    let rest = &inner[alg_header + alg_length..];
    let (tag, bits_header, bits_length) = header(rest);
    assert_eq!(tag, 0x03, "subjectPublicKey is a BIT STRING");
    // Skip the unused-bits byte.
    rest[bits_header + 1..bits_header + bits_length].to_vec()
}

/// Item 7's experiment (aws-lc-rs only): verifying the handshake signature with aws-lc-rs
/// directly, parsing the key from its bytes on every call (what webpki does through the provider
/// today) against a key parsed once (`ParsedPublicKey`), which a pinned verifier could keep.
pub fn parse_once_cases(scheme: Scheme, leaf: &crate::fixtures::Cert) -> Vec<Case> {
    use aws_lc_rs::signature::{ParsedPublicKey, UnparsedPublicKey};
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let message = tls13_message();
    let dss = sign(&provider, leaf, scheme.scheme, &message);
    let signature = dss.signature().to_vec();
    let spki = rustls::server::ParsedCertificate::try_from(&leaf.der)
        .expect("leaf parses")
        .subject_public_key_info()
        .as_ref()
        .to_vec();
    let key = subject_public_key(&spki);
    let algorithm = aws_lc_algorithm(scheme);
    let parsed = ParsedPublicKey::new(algorithm, &key).expect("aws-lc-rs parses the key");
    let (m1, s1) = (message.clone(), signature.clone());
    vec![
        floor_case(&provider, scheme, leaf),
        Case::new(
            "aws-lc-rs UnparsedPublicKey::verify (key parsed per call)",
            move || {
                UnparsedPublicKey::new(algorithm, &key)
                    .verify(black_box(&m1), &s1)
                    .expect("verifies");
            },
        ),
        Case::new(
            "aws-lc-rs ParsedPublicKey::verify_sig (key parsed once)",
            move || {
                parsed
                    .verify_sig(black_box(&message), &signature)
                    .expect("verifies");
            },
        ),
    ]
}
