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
/// ECCPWD, defined for both TLS 1.2 and 1.3), by code point.
pub fn tls13_candidates() -> Vec<u16> {
    offered(|kx| matches!(kx, Kx::Tls13 | Kx::EccPwd))
}

/// Cipher suites to offer in a TLS 1.0–1.2 ClientHello: every suite of the registry that is not
/// TLS 1.3-only and not a signalling value. Many servers pick by the client's order, which then
/// becomes the order the probe reports, so the offer runs as a modern client's would: AEAD, then
/// CBC, then the rest, and within each ECDHE, DHE, static RSA, then the rest.
pub fn legacy_candidates() -> Vec<u16> {
    let mut suites: Vec<&Suite> = CIPHER_SUITES
        .iter()
        .filter(|suite| !matches!(suite.kx, Kx::Tls13 | Kx::Signal))
        .collect();
    suites.sort_by_key(|suite| {
        let mode = match suite.mode {
            Mode::Aead => 0,
            Mode::Cbc => 1,
            _ => 2,
        };
        let kx = match suite.kx {
            Kx::Ecdhe => 0,
            Kx::Dhe => 1,
            Kx::Rsa => 2,
            _ => 3,
        };
        (mode, kx)
    });
    suites.iter().map(|suite| suite.code).collect()
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_suite_is_offered_once_in_the_right_hello() {
        let legacy = legacy_candidates();
        let tls13 = tls13_candidates();
        // 352 registry suites: 15 TLS 1.3-only, 3 signalling values, 4 ECCPWD in both hellos.
        assert_eq!(CIPHER_SUITES.len(), 352);
        assert_eq!(legacy.len(), 352 - 15 - 3);
        assert_eq!(tls13.len(), 15 + 4);
        assert_eq!(unique(legacy.iter().copied()).len(), legacy.len());
        for code in [0x0000, 0x00ff, 0x5600] {
            assert!(
                !legacy.contains(&code) && !tls13.contains(&code),
                "{code:#06x}"
            );
        }
        for code in [0x1301, 0x1305, 0x00c6, 0x00c7, 0xc103, 0xc0b4] {
            assert!(
                tls13.contains(&code) && !legacy.contains(&code),
                "{code:#06x}"
            );
        }
        assert_eq!(legacy.first(), Some(&0xc02b), "ECDHE AEAD first");
        assert_eq!(
            suite_name(0xc02b),
            "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"
        );
        assert_eq!(suite_name(0x00fe), "0x00fe");
        assert_eq!(suite_kx(0x00fe), Kx::Unknown);
        assert_eq!(suite_kx(0xc100), Kx::Gost);
        assert_eq!(suite_mode(0x0004), Some(Mode::Stream));
        assert_eq!(suite_kx(0xc0aa), Kx::DhePsk);
    }

    #[test]
    fn every_scheme_and_group_is_offered_and_named() {
        let schemes = candidate_schemes(&crate::providers::providers());
        assert_eq!(schemes.len(), SIGNATURE_SCHEMES.len());
        for (code, name) in [
            (0x0808, "ed448"),
            (0x081a, "ecdsa_brainpoolP256r1tls13_sha256"),
            (0x0708, "sm2sig_sm3"),
            (0x0904, "mldsa44"),
            (0x0101, "rsa_pkcs1_md5"),
            (0x0302, "dsa_sha224"),
        ] {
            assert!(schemes.contains(&code), "{name}");
            assert_eq!(scheme_name(code), name);
        }
        let groups = candidate_groups();
        assert_eq!(groups.len(), GROUPS.len());
        for (code, name) in [
            (0x11ec, "X25519MLKEM768"),
            (0x0201, "MLKEM768"),
            (0x0029, "curveSM2"),
            (0xff01, "arbitrary_explicit_prime_curves"),
        ] {
            assert!(groups.contains(&code), "{name}");
            assert_eq!(group_name(code), name);
        }
        assert_eq!(scheme_name(0xfefe), "0xfefe");
    }
}
