//! Naming a certificate's public key (every key type OpenSSL generates, the post-quantum ones, and
//! any other as its dotted OID), and finding which rustls providers verify signatures from it.

use rustls::crypto::CryptoProvider;
use serde::Serialize;
use x509_parser::der_parser::oid::Oid;
use x509_parser::prelude::{FromDer, X509Certificate};
use x509_parser::x509::SubjectPublicKeyInfo;

/// A certificate's key, and which rustls providers verify signatures from it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeySupport {
    /// The key type, as [`key_type`] names it.
    pub key_type: String,
    /// The providers that verify its signatures ("aws-lc-rs", "ring").
    pub verified_by: Vec<String>,
    /// The same in words, e.g. "Ed448: neither aws-lc-rs nor ring verifies its signatures".
    pub summary: String,
}

/// The key of the DER certificate `cert` and the `providers` that verify its signatures; `None`
/// if the certificate does not parse.
pub fn key_support(cert: &[u8], providers: &[(&str, CryptoProvider)]) -> Option<KeySupport> {
    let (_, parsed) = X509Certificate::from_der(cert).ok()?;
    let spki = parsed.public_key();
    let key_type = key_type(spki);
    let names: Vec<&str> = providers.iter().map(|(name, _)| *name).collect();
    if rsa_bits(spki).is_some_and(|bits| !RSA_BITS.contains(&bits)) {
        // The providers have verifiers for rsaEncryption, but each refuses this modulus size.
        return Some(KeySupport {
            summary: format!("{key_type}: {} ({RSA_RANGE})", nobody_verifies(&names)),
            key_type,
            verified_by: Vec::new(),
        });
    }
    let verified_by = verifying_providers(spki.raw, providers);
    let mut summary = format!("{key_type}: {}", verifiers_sentence(&verified_by, &names));
    if verified_by.is_empty() && is_dsa(spki) {
        summary.push_str(" (rustls verifies no DSA signatures)");
    }
    Some(KeySupport {
        key_type,
        verified_by,
        summary,
    })
}

/// The RSA modulus sizes rustls' providers verify: webpki's RSA algorithms
/// (`RSA_PKCS1_2048_8192_*`, `RSA_PSS_2048_8192_*`) accept moduli of 2048 to 8192 bits.
pub const RSA_BITS: std::ops::RangeInclusive<usize> = 2048..=8192;

/// [`RSA_BITS`] in words.
pub const RSA_RANGE: &str = "rustls' providers accept RSA keys of 2048 to 8192 bits";

/// What the verdict needs to know about a certificate's key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertKey {
    /// The key type, as [`key_type`] names it.
    pub key_type: String,
    /// For an rsaEncryption key: the modulus size in bits.
    pub rsa_bits: Option<usize>,
    /// For an EC key on a named curve: the curve's name as [`key_type`] prints it ("P-521",
    /// "brainpoolP256r1").
    pub curve: Option<&'static str>,
}

/// The key of the DER certificate `cert`; `None` if the certificate does not parse.
pub fn cert_key(cert: &[u8]) -> Option<CertKey> {
    let (_, parsed) = X509Certificate::from_der(cert).ok()?;
    let spki = parsed.public_key();
    Some(CertKey {
        key_type: key_type(spki),
        rsa_bits: rsa_bits(spki),
        curve: named_curve(spki),
    })
}

/// The TLS NamedGroup code point of the elliptic curve `curve` (as [`CertKey::curve`] names
/// it), for the curves TLS 1.2 can name in supported_groups (RFC 8422, RFC 7027; `None` for
/// the others, which no TLS client can list).
pub fn curve_group(curve: &str) -> Option<u16> {
    const GROUPS: [(&str, u16); 25] = [
        ("sect163k1", 1),
        ("sect163r1", 2),
        ("sect163r2", 3),
        ("sect193r1", 4),
        ("sect193r2", 5),
        ("sect233k1", 6),
        ("sect233r1", 7),
        ("sect239k1", 8),
        ("sect283k1", 9),
        ("sect283r1", 10),
        ("sect409k1", 11),
        ("sect409r1", 12),
        ("sect571k1", 13),
        ("sect571r1", 14),
        ("secp160k1", 15),
        ("secp160r1", 16),
        ("secp160r2", 17),
        ("secp192k1", 18),
        ("P-192", 19),
        ("secp224k1", 20),
        ("P-224", 21),
        ("secp256k1", 22),
        ("P-256", 23),
        ("P-384", 24),
        ("P-521", 25),
    ];
    const BRAINPOOL: [(&str, u16); 3] = [
        ("brainpoolP256r1", 26),
        ("brainpoolP384r1", 27),
        ("brainpoolP512r1", 28),
    ];
    GROUPS
        .iter()
        .chain(BRAINPOOL.iter())
        .find(|(name, _)| *name == curve)
        .map(|(_, group)| *group)
}

/// Why a handshake signature failed to verify with a certificate key of type `key_type` that the
/// provider does verify: a signature made with another key, or key parameters the provider
/// refuses.
pub fn bad_signature(key_type: &str) -> String {
    format!(
        "the server's handshake signature did not verify with its certificate's {key_type} key: \
         the server signs with another key than its certificate's, corrupts the signature, or \
         the key has parameters rustls refuses (such as an RSA public exponent outside 3 to \
         2^33 - 1); check that the server's certificate and private key belong together"
    )
}

/// "neither aws-lc-rs nor ring verifies it" (for the providers named in `all`).
fn nobody_verifies(all: &[&str]) -> String {
    match all {
        [] => "no provider verifies it".to_owned(),
        [one] => format!("{one} does not verify it"),
        [first, second] => format!("neither {first} nor {second} verifies it"),
        [rest @ .., last] => format!("none of {} and {last} verifies it", rest.join(", ")),
    }
}

/// The modulus size of an rsaEncryption key (not RSA-PSS, which no provider verifies anyway).
fn rsa_bits(spki: &SubjectPublicKeyInfo<'_>) -> Option<usize> {
    let oid = spki.algorithm.algorithm.to_id_string();
    if lookup_algorithm(&oid).is_some_and(|a| matches!(a, Algorithm::Rsa)) {
        first_integer_bits(spki.subject_public_key.data.as_ref())
    } else {
        None
    }
}

fn is_dsa(spki: &SubjectPublicKeyInfo<'_>) -> bool {
    let oid = spki.algorithm.algorithm.to_id_string();
    lookup_algorithm(&oid).is_some_and(|a| matches!(a, Algorithm::Dsa))
}

/// The named curve of an EC key.
fn named_curve(spki: &SubjectPublicKeyInfo<'_>) -> Option<&'static str> {
    if spki.algorithm.algorithm.to_id_string() != OID_EC_PUBLIC_KEY {
        return None;
    }
    let p = spki.algorithm.parameters.as_ref()?;
    if p.header.tag().0 != TAG_NUMBER_OID {
        return None;
    }
    lookup(&CURVES, &Oid::new(p.data.into()).to_id_string())
}

fn lookup_algorithm(oid: &str) -> Option<Algorithm> {
    ALGORITHMS
        .iter()
        .find(|(known, _)| *known == oid)
        .map(|(_, algorithm)| *algorithm)
}

/// Named elliptic curves by OID: every curve `openssl ecparam -list_curves` names (OpenSSL 3.0;
/// the NIST curves by their FIPS names). The Oakley curves have no OID, so their keys carry
/// explicit parameters.
const CURVES: [(&str, &str); 80] = [
    ("1.3.132.0.6", "secp112r1"),
    ("1.3.132.0.7", "secp112r2"),
    ("1.3.132.0.28", "secp128r1"),
    ("1.3.132.0.29", "secp128r2"),
    ("1.3.132.0.9", "secp160k1"),
    ("1.3.132.0.8", "secp160r1"),
    ("1.3.132.0.30", "secp160r2"),
    ("1.3.132.0.31", "secp192k1"),
    ("1.3.132.0.32", "secp224k1"),
    ("1.3.132.0.33", "P-224"),
    ("1.3.132.0.10", "secp256k1"),
    ("1.3.132.0.34", "P-384"),
    ("1.3.132.0.35", "P-521"),
    ("1.2.840.10045.3.1.1", "P-192"),
    ("1.2.840.10045.3.1.2", "prime192v2"),
    ("1.2.840.10045.3.1.3", "prime192v3"),
    ("1.2.840.10045.3.1.4", "prime239v1"),
    ("1.2.840.10045.3.1.5", "prime239v2"),
    ("1.2.840.10045.3.1.6", "prime239v3"),
    ("1.2.840.10045.3.1.7", "P-256"),
    ("1.3.132.0.4", "sect113r1"),
    ("1.3.132.0.5", "sect113r2"),
    ("1.3.132.0.22", "sect131r1"),
    ("1.3.132.0.23", "sect131r2"),
    ("1.3.132.0.1", "sect163k1"),
    ("1.3.132.0.2", "sect163r1"),
    ("1.3.132.0.15", "sect163r2"),
    ("1.3.132.0.24", "sect193r1"),
    ("1.3.132.0.25", "sect193r2"),
    ("1.3.132.0.26", "sect233k1"),
    ("1.3.132.0.27", "sect233r1"),
    ("1.3.132.0.3", "sect239k1"),
    ("1.3.132.0.16", "sect283k1"),
    ("1.3.132.0.17", "sect283r1"),
    ("1.3.132.0.36", "sect409k1"),
    ("1.3.132.0.37", "sect409r1"),
    ("1.3.132.0.38", "sect571k1"),
    ("1.3.132.0.39", "sect571r1"),
    ("1.2.840.10045.3.0.1", "c2pnb163v1"),
    ("1.2.840.10045.3.0.2", "c2pnb163v2"),
    ("1.2.840.10045.3.0.3", "c2pnb163v3"),
    ("1.2.840.10045.3.0.4", "c2pnb176v1"),
    ("1.2.840.10045.3.0.5", "c2tnb191v1"),
    ("1.2.840.10045.3.0.6", "c2tnb191v2"),
    ("1.2.840.10045.3.0.7", "c2tnb191v3"),
    ("1.2.840.10045.3.0.10", "c2pnb208w1"),
    ("1.2.840.10045.3.0.11", "c2tnb239v1"),
    ("1.2.840.10045.3.0.12", "c2tnb239v2"),
    ("1.2.840.10045.3.0.13", "c2tnb239v3"),
    ("1.2.840.10045.3.0.16", "c2pnb272w1"),
    ("1.2.840.10045.3.0.17", "c2pnb304w1"),
    ("1.2.840.10045.3.0.18", "c2tnb359v1"),
    ("1.2.840.10045.3.0.19", "c2pnb368w1"),
    ("1.2.840.10045.3.0.20", "c2tnb431r1"),
    ("2.23.43.1.4.1", "wap-wsg-idm-ecid-wtls1"),
    ("2.23.43.1.4.3", "wap-wsg-idm-ecid-wtls3"),
    ("2.23.43.1.4.4", "wap-wsg-idm-ecid-wtls4"),
    ("2.23.43.1.4.5", "wap-wsg-idm-ecid-wtls5"),
    ("2.23.43.1.4.6", "wap-wsg-idm-ecid-wtls6"),
    ("2.23.43.1.4.7", "wap-wsg-idm-ecid-wtls7"),
    ("2.23.43.1.4.8", "wap-wsg-idm-ecid-wtls8"),
    ("2.23.43.1.4.9", "wap-wsg-idm-ecid-wtls9"),
    ("2.23.43.1.4.10", "wap-wsg-idm-ecid-wtls10"),
    ("2.23.43.1.4.11", "wap-wsg-idm-ecid-wtls11"),
    ("2.23.43.1.4.12", "wap-wsg-idm-ecid-wtls12"),
    ("1.3.36.3.3.2.8.1.1.1", "brainpoolP160r1"),
    ("1.3.36.3.3.2.8.1.1.2", "brainpoolP160t1"),
    ("1.3.36.3.3.2.8.1.1.3", "brainpoolP192r1"),
    ("1.3.36.3.3.2.8.1.1.4", "brainpoolP192t1"),
    ("1.3.36.3.3.2.8.1.1.5", "brainpoolP224r1"),
    ("1.3.36.3.3.2.8.1.1.6", "brainpoolP224t1"),
    ("1.3.36.3.3.2.8.1.1.7", "brainpoolP256r1"),
    ("1.3.36.3.3.2.8.1.1.8", "brainpoolP256t1"),
    ("1.3.36.3.3.2.8.1.1.9", "brainpoolP320r1"),
    ("1.3.36.3.3.2.8.1.1.10", "brainpoolP320t1"),
    ("1.3.36.3.3.2.8.1.1.11", "brainpoolP384r1"),
    ("1.3.36.3.3.2.8.1.1.12", "brainpoolP384t1"),
    ("1.3.36.3.3.2.8.1.1.13", "brainpoolP512r1"),
    ("1.3.36.3.3.2.8.1.1.14", "brainpoolP512t1"),
    ("1.2.156.10197.1.301", "SM2"),
];

/// Public-key algorithms other than EC, by OID.
const ALGORITHMS: [(&str, Algorithm); 32] = [
    ("1.2.840.113549.1.1.1", Algorithm::Rsa),
    ("1.2.840.113549.1.1.10", Algorithm::RsaPss),
    ("1.2.840.10040.4.1", Algorithm::Dsa),
    ("1.3.14.3.2.12", Algorithm::Dsa),
    ("1.2.840.113549.1.3.1", Algorithm::Dh("DH")),
    ("1.2.840.10046.2.1", Algorithm::Dh("DHX (X9.42 DH)")),
    (
        "1.3.101.110",
        Algorithm::Named("X25519 (key agreement only)"),
    ),
    ("1.3.101.111", Algorithm::Named("X448 (key agreement only)")),
    ("1.3.101.112", Algorithm::Named("Ed25519")),
    ("1.3.101.113", Algorithm::Named("Ed448")),
    ("1.2.156.10197.1.301", Algorithm::Named("SM2")),
    ("1.2.643.2.2.19", Algorithm::Named("GOST R 34.10-2001")),
    (
        "1.2.643.7.1.1.1.1",
        Algorithm::Named("GOST R 34.10-2012 256-bit"),
    ),
    (
        "1.2.643.7.1.1.1.2",
        Algorithm::Named("GOST R 34.10-2012 512-bit"),
    ),
    // NIST CSOR: FIPS 204 ML-DSA, FIPS 205 SLH-DSA, FIPS 203 ML-KEM.
    ("2.16.840.1.101.3.4.3.17", Algorithm::Named("ML-DSA-44")),
    ("2.16.840.1.101.3.4.3.18", Algorithm::Named("ML-DSA-65")),
    ("2.16.840.1.101.3.4.3.19", Algorithm::Named("ML-DSA-87")),
    (
        "2.16.840.1.101.3.4.3.20",
        Algorithm::Named("SLH-DSA-SHA2-128s"),
    ),
    (
        "2.16.840.1.101.3.4.3.21",
        Algorithm::Named("SLH-DSA-SHA2-128f"),
    ),
    (
        "2.16.840.1.101.3.4.3.22",
        Algorithm::Named("SLH-DSA-SHA2-192s"),
    ),
    (
        "2.16.840.1.101.3.4.3.23",
        Algorithm::Named("SLH-DSA-SHA2-192f"),
    ),
    (
        "2.16.840.1.101.3.4.3.24",
        Algorithm::Named("SLH-DSA-SHA2-256s"),
    ),
    (
        "2.16.840.1.101.3.4.3.25",
        Algorithm::Named("SLH-DSA-SHA2-256f"),
    ),
    (
        "2.16.840.1.101.3.4.3.26",
        Algorithm::Named("SLH-DSA-SHAKE-128s"),
    ),
    (
        "2.16.840.1.101.3.4.3.27",
        Algorithm::Named("SLH-DSA-SHAKE-128f"),
    ),
    (
        "2.16.840.1.101.3.4.3.28",
        Algorithm::Named("SLH-DSA-SHAKE-192s"),
    ),
    (
        "2.16.840.1.101.3.4.3.29",
        Algorithm::Named("SLH-DSA-SHAKE-192f"),
    ),
    (
        "2.16.840.1.101.3.4.3.30",
        Algorithm::Named("SLH-DSA-SHAKE-256s"),
    ),
    (
        "2.16.840.1.101.3.4.3.31",
        Algorithm::Named("SLH-DSA-SHAKE-256f"),
    ),
    (
        "2.16.840.1.101.3.4.4.1",
        Algorithm::Named("ML-KEM-512 (key encapsulation only)"),
    ),
    (
        "2.16.840.1.101.3.4.4.2",
        Algorithm::Named("ML-KEM-768 (key encapsulation only)"),
    ),
    (
        "2.16.840.1.101.3.4.4.3",
        Algorithm::Named("ML-KEM-1024 (key encapsulation only)"),
    ),
];

/// Hash functions an RSA-PSS key may be restricted to, by OID.
const HASHES: [(&str, &str); 7] = [
    ("1.3.14.3.2.26", "SHA-1"),
    ("2.16.840.1.101.3.4.2.4", "SHA-224"),
    ("2.16.840.1.101.3.4.2.1", "SHA-256"),
    ("2.16.840.1.101.3.4.2.2", "SHA-384"),
    ("2.16.840.1.101.3.4.2.3", "SHA-512"),
    ("2.16.840.1.101.3.4.2.5", "SHA-512/224"),
    ("2.16.840.1.101.3.4.2.6", "SHA-512/256"),
];

#[derive(Debug, Clone, Copy)]
enum Algorithm {
    Rsa,
    RsaPss,
    Dsa,
    /// Finite-field DH, with its display name.
    Dh(&'static str),
    /// A key type named by its OID alone.
    Named(&'static str),
}

const OID_EC_PUBLIC_KEY: &str = "1.2.840.10045.2.1";
const TAG_INTEGER: u8 = 0x02;
const TAG_OID: u8 = 0x06;
const TAG_SEQUENCE: u8 = 0x30;
const TAG_CONTEXT_0: u8 = 0xa0;
/// Tag numbers (without the class and constructed bits), as x509-parser reports parameters'.
const TAG_NUMBER_OID: u32 = 6;
const TAG_NUMBER_SEQUENCE: u32 = 16;

/// The key type of a SubjectPublicKeyInfo, e.g. `RSA 2048-bit`, `ECDSA P-256`,
/// `EC brainpoolP256r1`, `RSA-PSS 2048-bit, SHA-256 only`, `Ed448`, or
/// `unknown key algorithm 1.2.3.4`.
pub fn key_type(spki: &SubjectPublicKeyInfo<'_>) -> String {
    let oid = spki.algorithm.algorithm.to_id_string();
    let parameters = spki.algorithm.parameters.as_ref();
    if oid == OID_EC_PUBLIC_KEY {
        return match parameters {
            Some(p) if p.header.tag().0 == TAG_NUMBER_OID => {
                let curve = Oid::new(p.data.into()).to_id_string();
                match lookup(&CURVES, &curve) {
                    Some(name) if name.starts_with("P-") => format!("ECDSA {name}"),
                    Some(name) => format!("EC {name}"),
                    None => format!("EC on the unnamed curve {curve}"),
                }
            }
            Some(p) if p.header.tag().0 == TAG_NUMBER_SEQUENCE => {
                "EC with explicit parameters".into()
            }
            _ => "EC without curve parameters".into(),
        };
    }
    let Some(algorithm) = lookup_algorithm(&oid) else {
        return format!("unknown key algorithm {oid}");
    };
    let key = spki.subject_public_key.data.as_ref();
    // DSA and DH keys have their prime first in the parameters; RSA keys their modulus first in
    // the key.
    let bits = |der: &[u8]| {
        first_integer_bits(der).map_or_else(|| "unreadable size".to_owned(), |b| format!("{b}-bit"))
    };
    let params = parameters.map(|p| p.data).unwrap_or_default();
    match algorithm {
        Algorithm::Rsa => format!("RSA {}", bits(key)),
        Algorithm::RsaPss => match pss_hash(params) {
            Some(hash) => format!("RSA-PSS {}, {hash} only", bits(key)),
            None => format!("RSA-PSS {}", bits(key)),
        },
        Algorithm::Dsa => format!("DSA {}", bits(params)),
        Algorithm::Dh(name) => format!("{name} {}", bits(params)),
        Algorithm::Named(name) => name.to_owned(),
    }
}

fn lookup(table: &[(&str, &'static str)], oid: &str) -> Option<&'static str> {
    table
        .iter()
        .find(|(known, _)| *known == oid)
        .map(|(_, name)| *name)
}

/// Which of `providers` (name, provider) verify signatures made with the key of `spki_der` (a
/// DER SubjectPublicKeyInfo): those with a verification algorithm for its exact public-key
/// algorithm identifier (e.g. ecPublicKey on P-521; rsaEncryption; Ed25519).
pub fn verifying_providers(spki_der: &[u8], providers: &[(&str, CryptoProvider)]) -> Vec<String> {
    let Some(algorithm) = spki_algorithm(spki_der) else {
        return Vec::new();
    };
    providers
        .iter()
        .filter(|(_, provider)| {
            provider
                .signature_verification_algorithms
                .all
                .iter()
                .any(|verifier| verifier.public_key_alg_id().as_ref() == algorithm)
        })
        .map(|(name, _)| (*name).to_owned())
        .collect()
}

/// "aws-lc-rs and ring verify its signatures", "only aws-lc-rs verifies its signatures", "neither
/// aws-lc-rs nor ring verifies its signatures" (for the providers named in `all`).
pub fn verifiers_sentence(verifiers: &[String], all: &[&str]) -> String {
    let list = |names: &[&str], joiner: &str| match names {
        [] => String::new(),
        [one] => (*one).to_owned(),
        [rest @ .., last] => format!("{} {joiner} {last}", rest.join(", ")),
    };
    let yes: Vec<&str> = verifiers.iter().map(String::as_str).collect();
    if yes.is_empty() {
        let both = if all.len() == 2 { "neither" } else { "none of" };
        format!("{both} {} verifies its signatures", list(all, "nor"))
    } else if yes.len() == all.len() {
        format!("{} verify its signatures", list(&yes, "and"))
    } else {
        let verb = if yes.len() == 1 { "verifies" } else { "verify" };
        format!("only {} {verb} its signatures", list(&yes, "and"))
    }
}

/// The content of the SubjectPublicKeyInfo's AlgorithmIdentifier SEQUENCE (OID and parameters),
/// the form rustls' `public_key_alg_id` uses.
fn spki_algorithm(spki_der: &[u8]) -> Option<&[u8]> {
    let (tag, spki, _) = tlv(spki_der)?;
    if tag != TAG_SEQUENCE {
        return None;
    }
    let (tag, algorithm, _) = tlv(spki)?;
    (tag == TAG_SEQUENCE).then_some(algorithm)
}

/// The hash an RSA-PSS key's parameters restrict it to (`hashAlgorithm [0]`), if any.
fn pss_hash(params: &[u8]) -> Option<String> {
    let (tag, hash_field, _) = tlv(params)?;
    if tag != TAG_CONTEXT_0 {
        return None;
    }
    let (_, algorithm, _) = tlv(hash_field)?;
    let (tag, oid, _) = tlv(algorithm)?;
    if tag != TAG_OID {
        return None;
    }
    let oid = Oid::new(oid.into()).to_id_string();
    Some(lookup(&HASHES, &oid).map_or(oid, str::to_owned))
}

/// The bit length of the first INTEGER inside the SEQUENCE `der` (or inside the SEQUENCE's
/// content, when `der` is that content already).
fn first_integer_bits(der: &[u8]) -> Option<usize> {
    let (tag, content, _) = tlv(der)?;
    let content = if tag == TAG_SEQUENCE {
        let (tag, integer, _) = tlv(content)?;
        if tag != TAG_INTEGER {
            return None;
        }
        integer
    } else if tag == TAG_INTEGER {
        content
    } else {
        return None;
    };
    let significant = content.iter().position(|byte| *byte != 0)?;
    let rest = content.get(significant..)?;
    let top = *rest.first()?;
    Some((rest.len() - 1) * 8 + (8 - top.leading_zeros() as usize))
}

/// One DER tag-length-value: (tag, content, the bytes after it). Only single-byte tags.
fn tlv(der: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = der.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (length, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let count = usize::from(first & 0x7f);
        if count == 0 || count > 4 {
            return None;
        }
        let bytes = rest.get(..count)?;
        let length = bytes
            .iter()
            .fold(0usize, |acc, byte| (acc << 8) | usize::from(*byte));
        (length, rest.get(count..)?)
    };
    Some((tag, rest.get(..length)?, rest.get(length..)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tlv_never_panics_and_reads_long_lengths() {
        assert_eq!(tlv(&[]), None);
        assert_eq!(tlv(&[0x30]), None);
        assert_eq!(tlv(&[0x30, 0x85, 1, 1, 1, 1, 1]), None);
        assert_eq!(
            tlv(&[0x30, 0x81, 2, 5, 6, 7]),
            Some((0x30, &[5u8, 6][..], &[7u8][..]))
        );
        assert_eq!(first_integer_bits(&[0x02, 3, 0, 0x80, 0]), Some(16));
        assert_eq!(first_integer_bits(&[0x30, 3, 0x02, 1, 1]), Some(1));
        assert_eq!(first_integer_bits(&[0x02, 1, 0]), None);
    }

    #[test]
    fn sentences() {
        let all = ["aws-lc-rs", "ring"];
        let s = |v: &[&str]| {
            let v: Vec<String> = v.iter().map(|s| (*s).to_owned()).collect();
            verifiers_sentence(&v, &all)
        };
        assert_eq!(s(&[]), "neither aws-lc-rs nor ring verifies its signatures");
        assert_eq!(s(&["aws-lc-rs"]), "only aws-lc-rs verifies its signatures");
        assert_eq!(
            s(&["aws-lc-rs", "ring"]),
            "aws-lc-rs and ring verify its signatures"
        );
    }

    #[test]
    fn curves_tls_can_name() {
        assert_eq!(curve_group("P-256"), Some(0x0017));
        assert_eq!(curve_group("P-521"), Some(0x0019));
        assert_eq!(curve_group("brainpoolP384r1"), Some(0x001b));
        assert_eq!(curve_group("brainpoolP384t1"), None);
        assert_eq!(curve_group("SM2"), None);
    }

    #[test]
    fn nobody_sentences() {
        assert_eq!(
            nobody_verifies(&["aws-lc-rs", "ring"]),
            "neither aws-lc-rs nor ring verifies it"
        );
        assert_eq!(nobody_verifies(&["ring"]), "ring does not verify it");
        assert_eq!(nobody_verifies(&[]), "no provider verifies it");
    }
}
