//! What the probe offers: cipher-suite code points with their key exchange and cipher mode, and
//! the candidate groups and signature schemes (the rustls providers' own, plus the ones no
//! provider implements, so the probe can see a server that uses only those).

use rustls::crypto::CryptoProvider;
use rustls::{CipherSuite, NamedGroup, SignatureScheme};

/// How a cipher suite agrees on keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kx {
    /// TLS 1.3: the suite names no key exchange.
    Tls13,
    /// Elliptic-curve Diffie-Hellman (forward secret, signed ServerKeyExchange).
    Ecdhe,
    /// Finite-field Diffie-Hellman (forward secret, signed ServerKeyExchange).
    Dhe,
    /// Static RSA key transport: no forward secrecy, no handshake signature.
    Rsa,
    /// A code point this table does not know.
    Unknown,
}

/// How a cipher suite encrypts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// AES-GCM, AES-CCM or ChaCha20-Poly1305.
    Aead,
    /// A block cipher in CBC mode with HMAC.
    Cbc,
}

/// A TLS 1.0–1.2 cipher suite the probe offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LegacySuite {
    /// The code point.
    pub code: u16,
    /// The IANA name (rustls' `CipherSuite` prints only the suites it implements by name).
    pub name: &'static str,
    /// Its key exchange.
    pub kx: Kx,
    /// Its cipher mode.
    pub mode: Mode,
}

const fn suite(code: u16, name: &'static str, kx: Kx, mode: Mode) -> LegacySuite {
    LegacySuite {
        code,
        name,
        kx,
        mode,
    }
}

/// TLS 1.3 cipher suites.
pub const TLS13_SUITES: [u16; 5] = [0x1301, 0x1302, 0x1303, 0x1304, 0x1305];

/// TLS 1.0–1.2 cipher suites the probe offers: ECDHE, DHE and static RSA, AEAD and CBC.
pub const LEGACY_SUITES: [LegacySuite; 29] = [
    suite(
        0xc02b,
        "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
        Kx::Ecdhe,
        Mode::Aead,
    ),
    suite(
        0xc02c,
        "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
        Kx::Ecdhe,
        Mode::Aead,
    ),
    suite(
        0xcca9,
        "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
        Kx::Ecdhe,
        Mode::Aead,
    ),
    suite(
        0xc02f,
        "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
        Kx::Ecdhe,
        Mode::Aead,
    ),
    suite(
        0xc030,
        "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
        Kx::Ecdhe,
        Mode::Aead,
    ),
    suite(
        0xcca8,
        "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
        Kx::Ecdhe,
        Mode::Aead,
    ),
    suite(
        0xc009,
        "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA",
        Kx::Ecdhe,
        Mode::Cbc,
    ),
    suite(
        0xc00a,
        "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA",
        Kx::Ecdhe,
        Mode::Cbc,
    ),
    suite(
        0xc023,
        "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256",
        Kx::Ecdhe,
        Mode::Cbc,
    ),
    suite(
        0xc024,
        "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384",
        Kx::Ecdhe,
        Mode::Cbc,
    ),
    suite(
        0xc013,
        "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA",
        Kx::Ecdhe,
        Mode::Cbc,
    ),
    suite(
        0xc014,
        "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA",
        Kx::Ecdhe,
        Mode::Cbc,
    ),
    suite(
        0xc027,
        "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256",
        Kx::Ecdhe,
        Mode::Cbc,
    ),
    suite(
        0xc028,
        "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384",
        Kx::Ecdhe,
        Mode::Cbc,
    ),
    suite(
        0x009e,
        "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256",
        Kx::Dhe,
        Mode::Aead,
    ),
    suite(
        0x009f,
        "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384",
        Kx::Dhe,
        Mode::Aead,
    ),
    suite(
        0xccaa,
        "TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
        Kx::Dhe,
        Mode::Aead,
    ),
    suite(
        0x0033,
        "TLS_DHE_RSA_WITH_AES_128_CBC_SHA",
        Kx::Dhe,
        Mode::Cbc,
    ),
    suite(
        0x0039,
        "TLS_DHE_RSA_WITH_AES_256_CBC_SHA",
        Kx::Dhe,
        Mode::Cbc,
    ),
    suite(
        0x0067,
        "TLS_DHE_RSA_WITH_AES_128_CBC_SHA256",
        Kx::Dhe,
        Mode::Cbc,
    ),
    suite(
        0x006b,
        "TLS_DHE_RSA_WITH_AES_256_CBC_SHA256",
        Kx::Dhe,
        Mode::Cbc,
    ),
    suite(
        0x009c,
        "TLS_RSA_WITH_AES_128_GCM_SHA256",
        Kx::Rsa,
        Mode::Aead,
    ),
    suite(
        0x009d,
        "TLS_RSA_WITH_AES_256_GCM_SHA384",
        Kx::Rsa,
        Mode::Aead,
    ),
    suite(0x002f, "TLS_RSA_WITH_AES_128_CBC_SHA", Kx::Rsa, Mode::Cbc),
    suite(0x0035, "TLS_RSA_WITH_AES_256_CBC_SHA", Kx::Rsa, Mode::Cbc),
    suite(
        0x003c,
        "TLS_RSA_WITH_AES_128_CBC_SHA256",
        Kx::Rsa,
        Mode::Cbc,
    ),
    suite(
        0x003d,
        "TLS_RSA_WITH_AES_256_CBC_SHA256",
        Kx::Rsa,
        Mode::Cbc,
    ),
    suite(0x000a, "TLS_RSA_WITH_3DES_EDE_CBC_SHA", Kx::Rsa, Mode::Cbc),
    suite(
        0xc012,
        "TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA",
        Kx::Ecdhe,
        Mode::Cbc,
    ),
];

/// Groups no rustls provider implements, offered so that a server using only them is seen.
const GROUPS_NO_PROVIDER_HAS: [NamedGroup; 5] = [
    NamedGroup::secp521r1,
    NamedGroup::X448,
    NamedGroup::FFDHE2048,
    NamedGroup::FFDHE3072,
    NamedGroup::FFDHE4096,
];

/// Signature schemes no rustls provider verifies, offered so that a server that signs only with
/// them is seen.
const SCHEMES_NO_PROVIDER_HAS: [SignatureScheme; 3] = [
    SignatureScheme::ED448,
    SignatureScheme::ECDSA_SHA1_Legacy,
    SignatureScheme::RSA_PKCS1_SHA1,
];

/// The key exchange of a cipher suite.
pub fn suite_kx(suite: u16) -> Kx {
    if TLS13_SUITES.contains(&suite) {
        return Kx::Tls13;
    }
    legacy(suite).map_or(Kx::Unknown, |s| s.kx)
}

/// The cipher mode of a TLS 1.0–1.2 suite (`None` for TLS 1.3 and unknown suites).
pub fn suite_mode(suite: u16) -> Option<Mode> {
    legacy(suite).map(|s| s.mode)
}

/// The IANA name of a cipher suite, e.g. `TLS_RSA_WITH_AES_128_GCM_SHA256`.
pub fn suite_name(suite: u16) -> String {
    match legacy(suite) {
        Some(known) => known.name.to_owned(),
        None => format!("{:?}", CipherSuite::from(suite)),
    }
}

fn legacy(code: u16) -> Option<&'static LegacySuite> {
    LEGACY_SUITES.iter().find(|suite| suite.code == code)
}

/// The IANA name of a group, e.g. `X25519` or `secp256r1`.
pub fn group_name(group: u16) -> String {
    format!("{:?}", NamedGroup::from(group))
}

/// The rustls name of a signature scheme, e.g. `ECDSA_NISTP256_SHA256`.
pub fn scheme_name(scheme: u16) -> String {
    format!("{:?}", SignatureScheme::from(scheme))
}

/// Groups to offer: every group of every provider (all of them, not just the defaults), then the
/// ones no provider has.
pub fn candidate_groups() -> Vec<u16> {
    let provider_groups = rustls::crypto::aws_lc_rs::ALL_KX_GROUPS
        .iter()
        .chain(rustls::crypto::ring::ALL_KX_GROUPS)
        .map(|group| group.name());
    unique(provider_groups.chain(GROUPS_NO_PROVIDER_HAS).map(u16::from))
}

/// Signature schemes to offer: every scheme the given providers verify, then the ones no
/// provider verifies.
pub fn candidate_schemes(providers: &[(&str, CryptoProvider)]) -> Vec<u16> {
    let provider_schemes = providers.iter().flat_map(|(_, provider)| {
        provider
            .signature_verification_algorithms
            .mapping
            .iter()
            .map(|(scheme, _)| *scheme)
    });
    unique(
        provider_schemes
            .chain(SCHEMES_NO_PROVIDER_HAS)
            .map(u16::from),
    )
}

fn unique(items: impl Iterator<Item = u16>) -> Vec<u16> {
    let mut out: Vec<u16> = Vec::new();
    for item in items {
        if !out.contains(&item) {
            out.push(item);
        }
    }
    out
}
