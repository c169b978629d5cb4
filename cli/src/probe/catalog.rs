//! What the probe offers and how it names what it finds: every cipher suite, signature scheme and
//! group of the IANA TLS registries ([`super::iana`]), with each suite's key exchange and cipher
//! mode, so the probe sees a server whatever it supports, rustls or not.

use rustls::crypto::CryptoProvider;

use super::iana::{CIPHER_SUITES, GROUPS, SIGNATURE_SCHEMES};

/// How a cipher suite agrees on keys (and, for TLS 1.0–1.2, whether the server signs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kx {
    /// TLS 1.3: the suite names no key exchange.
    Tls13,
    /// Elliptic-curve Diffie-Hellman, ephemeral (signed ServerKeyExchange).
    Ecdhe,
    /// Finite-field Diffie-Hellman, ephemeral (signed ServerKeyExchange).
    Dhe,
    /// Static RSA key transport: no forward secrecy, no handshake signature.
    Rsa,
    /// Static ECDH with the certificate's EC key (`ECDH_ECDSA`, `ECDH_RSA`).
    EcdhStatic,
    /// Static finite-field DH with the certificate's DH key (`DH_DSS`, `DH_RSA`).
    DhStatic,
    /// Anonymous finite-field DH: no server authentication.
    DhAnon,
    /// Anonymous ECDH: no server authentication.
    EcdhAnon,
    /// Pre-shared key only.
    Psk,
    /// Pre-shared key with ephemeral finite-field DH.
    DhePsk,
    /// Pre-shared key with ephemeral ECDH.
    EcdhePsk,
    /// Pre-shared key with RSA key transport.
    RsaPsk,
    /// Secure Remote Password (RFC 5054).
    Srp,
    /// Kerberos 5 (RFC 2712).
    Krb5,
    /// Password-authenticated ECC (`ECCPWD`, RFC 8492; TLS 1.2 and 1.3).
    EccPwd,
    /// GOST R 34.10-2012 key exchange (RFC 9189).
    Gost,
    /// Not a negotiable suite: signalling values (`*_SCSV`) and `TLS_NULL_WITH_NULL_NULL`.
    Signal,
    /// A code point the IANA registry does not name.
    Unknown,
}

/// How a cipher suite encrypts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// An AEAD: AES-GCM/CCM/CCM_8, ChaCha20-Poly1305, ARIA/Camellia-GCM, SM4, AEGIS, GOST MGM.
    Aead,
    /// A block cipher in CBC mode with HMAC (AES, 3DES, DES, IDEA, SEED, RC2, ARIA, Camellia).
    Cbc,
    /// RC4, a stream cipher.
    Stream,
    /// GOST counter mode with a separate MAC (`CTR_OMAC`, `CNT_IMIT`).
    Ctr,
    /// No encryption (`NULL` ciphers, integrity-only suites, signalling values).
    Null,
}

/// A cipher suite of the IANA registry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Suite {
    /// The code point.
    pub code: u16,
    /// The IANA name.
    pub name: &'static str,
    /// Its key exchange.
    pub kx: Kx,
    /// Its cipher mode.
    pub mode: Mode,
}

impl Suite {
    /// A table row.
    pub const fn new(code: u16, name: &'static str, kx: Kx, mode: Mode) -> Self {
        Self {
            code,
            name,
            kx,
            mode,
        }
    }
}

fn lookup(code: u16) -> Option<&'static Suite> {
    CIPHER_SUITES.iter().find(|suite| suite.code == code)
}

/// The key exchange of a cipher suite.
pub fn suite_kx(suite: u16) -> Kx {
    lookup(suite).map_or(Kx::Unknown, |s| s.kx)
}

/// The cipher mode of a suite (`None` for code points the registry does not name).
pub fn suite_mode(suite: u16) -> Option<Mode> {
    lookup(suite).map(|s| s.mode)
}

/// The IANA name of a cipher suite, e.g. `TLS_RSA_WITH_AES_128_GCM_SHA256`; an unassigned code
/// point prints as hex, `0x1234`.
pub fn suite_name(suite: u16) -> String {
    lookup(suite).map_or_else(|| hex(suite), |known| known.name.to_owned())
}

/// The IANA name of a group, e.g. `x25519` or `secp256r1`; unknown ones print as hex.
pub fn group_name(group: u16) -> String {
    name_in(&GROUPS, group)
}

/// The IANA name of a signature scheme, e.g. `ecdsa_secp256r1_sha256`; unknown ones print as hex.
pub fn scheme_name(scheme: u16) -> String {
    name_in(&SIGNATURE_SCHEMES, scheme)
}

fn name_in(table: &[(u16, &str)], code: u16) -> String {
    table
        .iter()
        .find(|(known, _)| *known == code)
        .map_or_else(|| hex(code), |(_, name)| (*name).to_owned())
}

fn hex(code: u16) -> String {
    format!("0x{code:04x}")
}

/// Cipher suites to offer in a TLS 1.3 ClientHello: every TLS 1.3 suite of the registry (and
/// ECCPWD, defined for both TLS 1.2 and 1.3).
pub fn tls13_candidates() -> Vec<u16> {
    offered(|kx| matches!(kx, Kx::Tls13 | Kx::EccPwd))
}

/// Cipher suites to offer in a TLS 1.0–1.2 ClientHello: every suite of the registry that is not
/// TLS 1.3-only and not a signalling value.
pub fn legacy_candidates() -> Vec<u16> {
    offered(|kx| !matches!(kx, Kx::Tls13 | Kx::Signal))
}

fn offered(keep: impl Fn(Kx) -> bool) -> Vec<u16> {
    CIPHER_SUITES
        .iter()
        .filter(|suite| keep(suite.kx))
        .map(|suite| suite.code)
        .collect()
}

/// Groups to offer: every group of every provider first (all of them, not just the defaults),
/// then every other group of the registry.
pub fn candidate_groups() -> Vec<u16> {
    let provider_groups = rustls::crypto::aws_lc_rs::ALL_KX_GROUPS
        .iter()
        .chain(rustls::crypto::ring::ALL_KX_GROUPS)
        .map(|group| u16::from(group.name()));
    unique(provider_groups.chain(GROUPS.iter().map(|(code, _)| *code)))
}

/// Signature schemes to offer: every scheme the given providers verify first, then every other
/// scheme of the registry (and the TLS 1.2 hash/signature pairs).
pub fn candidate_schemes(providers: &[(&str, CryptoProvider)]) -> Vec<u16> {
    let provider_schemes = providers.iter().flat_map(|(_, provider)| {
        provider
            .signature_verification_algorithms
            .mapping
            .iter()
            .map(|(scheme, _)| u16::from(*scheme))
    });
    unique(provider_schemes.chain(SIGNATURE_SCHEMES.iter().map(|(code, _)| *code)))
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
