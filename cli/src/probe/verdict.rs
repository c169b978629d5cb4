//! Whether a rustls provider can talk to the scanned server, and why not, in plain words.

use rustls::crypto::CryptoProvider;

use super::catalog::{group_name, scheme_name, suite_kx, suite_mode, suite_name, Kx, Mode};
use super::parse::{TLS12, TLS13};
use super::scan::{version_name, ServerProfile, VersionSupport};
use crate::keytype::{bad_signature, cert_key, curve_group, key_support, CertKey, RSA_RANGE};

/// What the provider would negotiate (`Ok`) or why it cannot (`Err`, one sentence per reason).
pub fn analyse(
    profile: &ServerProfile,
    name: &str,
    provider: &CryptoProvider,
    all: &[(&str, CryptoProvider)],
) -> Result<String, Vec<String>> {
    let usable: Vec<&VersionSupport> = profile
        .versions
        .iter()
        .filter(|v| v.version == TLS13 || v.version == TLS12)
        .collect();
    if usable.is_empty() {
        let seen: Vec<String> = profile
            .versions
            .iter()
            .map(|v| version_name(v.version))
            .collect();
        return Err(vec![if seen.is_empty() {
            "the server accepted none of the probe's ClientHellos (SSL 3.0 to TLS 1.3, with \
             every IANA cipher suite); it may not be a TLS server, or it may require client \
             parameters the probe does not send"
                .to_owned()
        } else {
            format!(
                "the server speaks only {}; rustls implements TLS 1.2 and TLS 1.3 only; enable \
                 TLS 1.2 or TLS 1.3 on the server",
                seen.join(" and ")
            )
        }]);
    }
    // rustls offers TLS 1.3 and 1.2; the server picks the newest version both support and does
    // not fall back to an older one if that fails, so only that version counts.
    let speaks = |version: u16| {
        provider
            .cipher_suites
            .iter()
            .any(|suite| u16::from(suite.version().version) == version)
    };
    let Some(support) = usable.into_iter().find(|v| speaks(v.version)) else {
        return Err(vec![format!(
            "{name} is configured without TLS 1.2 and TLS 1.3 cipher suites the server supports"
        )]);
    };
    let certificate = profile.certificate.as_deref();
    let older = older_versions(profile);
    analyse_version(support, name, provider, all, certificate, &older)
        .map_err(|problem| vec![format!("{}: {problem}", version_name(support.version))])
}

/// When the server also speaks versions below TLS 1.2: a note that rustls cannot use them
/// either (it implements TLS 1.2 and TLS 1.3 only); empty otherwise.
fn older_versions(profile: &ServerProfile) -> String {
    let older: Vec<String> = profile
        .versions
        .iter()
        .filter(|v| v.version < TLS12)
        .map(|v| version_name(v.version))
        .collect();
    if older.is_empty() {
        String::new()
    } else {
        format!(
            " (the server also speaks {}, which rustls does not implement)",
            older.join(" and ")
        )
    }
}

fn analyse_version(
    support: &VersionSupport,
    name: &str,
    provider: &CryptoProvider,
    all: &[(&str, CryptoProvider)],
    certificate: Option<&[u8]>,
    older: &str,
) -> Result<String, String> {
    let provider_suites: Vec<u16> = provider
        .cipher_suites
        .iter()
        .map(|suite| u16::from(suite.suite()))
        .collect();
    let suite = support
        .suites
        .iter()
        .copied()
        .find(|suite| provider_suites.contains(suite))
        .ok_or_else(|| no_common_suite(support, name, all, older, certificate))?;

    let mut parts = vec![version_name(support.version), suite_name(suite)];
    if support.version == TLS13 || suite_kx(suite) == Kx::Ecdhe {
        let provider_groups: Vec<u16> = provider
            .kx_groups
            .iter()
            .map(|group| u16::from(group.name()))
            .collect();
        if !support.groups.is_empty() {
            let group = support
                .groups
                .iter()
                .copied()
                .find(|group| provider_groups.contains(group))
                .ok_or_else(|| {
                    format!(
                        "the server offers only {} for key exchange; {name} implements {}; \
                         enable x25519 or secp256r1 on the server",
                        names(&support.groups, group_name),
                        names(&provider_groups, group_name)
                    )
                })?;
            parts.push(group_name(group));
        }
    }
    if !support.schemes.is_empty() {
        let verifies = |provider: &CryptoProvider, scheme: u16| {
            provider
                .signature_verification_algorithms
                .mapping
                .iter()
                .any(|(s, _)| u16::from(*s) == scheme)
        };
        let scheme = support
            .schemes
            .iter()
            .copied()
            .find(|scheme| verifies(provider, *scheme))
            .ok_or_else(|| {
                let others: Vec<&str> = all
                    .iter()
                    .filter(|(other, p)| {
                        *other != name && support.schemes.iter().any(|s| verifies(p, *s))
                    })
                    .map(|(other, _)| *other)
                    .collect();
                let who = if others.is_empty() {
                    "which no rustls provider verifies".to_owned()
                } else {
                    format!("which {name} does not verify ({} does)", others.join(", "))
                };
                format!(
                    "the server signs only with {}, {who}; give the server a key {name} \
                     verifies (ECDSA P-256 or P-384, Ed25519, or RSA) and allow SHA-256 or \
                     better signatures",
                    names(&support.schemes, scheme_name)
                )
            })?;
        parts.push(scheme_name(scheme));
    }
    if let Some(der) = certificate {
        check_key(support, der, name, provider, all)?;
    }
    Ok(parts.join(", "))
}

/// Whether `name` can use the server's certificate key `der` at all: in TLS 1.2 an ECDSA key's
/// curve must be one the client lists in supported_groups, and the provider must verify the
/// key's signatures (an RSA key, for instance, only of 2048 to 8192 bits).
fn check_key(
    support: &VersionSupport,
    der: &[u8],
    name: &str,
    provider: &CryptoProvider,
    all: &[(&str, CryptoProvider)],
) -> Result<(), String> {
    let Some(key) = cert_key(der) else {
        return Ok(());
    };
    let verified = key_support(der, all).map(|support| support.verified_by);
    let unverified = verified
        .as_ref()
        .is_some_and(|by| !by.iter().any(|verifier| verifier == name));
    if support.version == TLS12 {
        if let Some(problem) = tls12_curve(support, &key, name, provider, unverified) {
            return Err(problem);
        }
    }
    if !unverified {
        return Ok(());
    }
    let why = match key.rsa_bits {
        Some(bits) if !crate::keytype::RSA_BITS.contains(&bits) => format!(
            "which {name} does not verify: {RSA_RANGE}; give the server an RSA key of 2048 to \
             8192 bits (RSA 2048 or 3072 is usual) or an ECDSA P-256 key"
        ),
        _ => {
            let others: Vec<&str> = verified
                .iter()
                .flatten()
                .map(String::as_str)
                .filter(|other| *other != name)
                .collect();
            let who = if others.is_empty() {
                "which no rustls provider verifies".to_owned()
            } else {
                format!("which {name} does not verify ({} does)", others.join(", "))
            };
            format!(
                "{who}; give the server a key {name} verifies (ECDSA P-256 or P-384, Ed25519, \
                 or RSA of 2048 to 8192 bits)"
            )
        }
    };
    Err(format!(
        "the server's certificate key is {}, {why}",
        key.key_type
    ))
}

/// In TLS 1.2 a server may use an ECDSA certificate only if its curve is one the client lists in
/// supported_groups (RFC 8422 §5.1); rustls lists its provider's `kx_groups`. The problem, when
/// every suite the server and `provider` share needs that certificate and its curve is not
/// among them.
fn tls12_curve(
    support: &VersionSupport,
    key: &CertKey,
    name: &str,
    provider: &CryptoProvider,
    unverified: bool,
) -> Option<String> {
    let curve = key.curve?;
    let shared: Vec<u16> = provider
        .cipher_suites
        .iter()
        .map(|suite| u16::from(suite.suite()))
        .filter(|suite| support.suites.contains(suite))
        .collect();
    let ecdsa_only = !shared.is_empty()
        && shared
            .iter()
            .all(|suite| suite_name(*suite).contains("_ECDSA_"));
    let groups: Vec<u16> = provider
        .kx_groups
        .iter()
        .map(|group| u16::from(group.name()))
        .collect();
    let listed = curve_group(curve).is_some_and(|group| groups.contains(&group));
    if !ecdsa_only || listed {
        return None;
    }
    let fix = if unverified {
        format!(
            "{name} does not verify {curve} signatures in any version either; give the server an \
             ECDSA P-256 or P-384 key"
        )
    } else {
        "give the server an ECDSA P-256 or P-384 key, or enable TLS 1.3 on it (where the curve \
         is part of the signature scheme, not of supported_groups)"
            .to_owned()
    };
    Some(format!(
        "the server's certificate key is {}, and in TLS 1.2 a server may use an ECDSA \
         certificate only on a curve the client lists in supported_groups (RFC 8422 §5.1); \
         {name} lists {} (its kx_groups), not {curve}, so the server has no certificate for \
         the suites it shares with {name} ({}); {fix}",
        key.key_type,
        names(&groups, group_name),
        names(&shared, suite_name)
    ))
}

/// Why `name` shares no cipher suite with the server; `older` is [`older_versions`]' note, and
/// `certificate` the server's leaf certificate, if seen.
fn no_common_suite(
    support: &VersionSupport,
    name: &str,
    all: &[(&str, CryptoProvider)],
    older: &str,
    certificate: Option<&[u8]>,
) -> String {
    let mut classes: Vec<String> = Vec::new();
    let mut class = |label: &str, filter: &dyn Fn(u16) -> bool| {
        let members: Vec<u16> = support
            .suites
            .iter()
            .copied()
            .filter(|s| filter(*s))
            .collect();
        if !members.is_empty() {
            classes.push(format!("{label} ({})", names(&members, suite_name)));
        }
    };
    let classified =
        |s: u16| matches!(suite_kx(s), Kx::Rsa) || certificate_less(suite_kx(s)).is_some();
    class("static-RSA key exchange", &|s| suite_kx(s) == Kx::Rsa);
    class("PSK suites", &|s| {
        certificate_less(suite_kx(s)) == Some(Certless::Psk)
    });
    class("SRP suites", &|s| {
        certificate_less(suite_kx(s)) == Some(Certless::Srp)
    });
    class("anonymous suites", &|s| {
        certificate_less(suite_kx(s)) == Some(Certless::Anonymous)
    });
    class("CBC-mode", &|s| {
        !classified(s) && suite_mode(s) == Some(Mode::Cbc)
    });
    class("finite-field DHE", &|s| {
        suite_kx(s) == Kx::Dhe && suite_mode(s) == Some(Mode::Aead)
    });
    class("other", &|s| {
        !classified(s)
            && suite_mode(s) != Some(Mode::Cbc)
            && !(suite_kx(s) == Kx::Dhe && suite_mode(s) == Some(Mode::Aead))
    });
    let any_provider = all.iter().any(|(_, provider)| {
        provider
            .cipher_suites
            .iter()
            .any(|suite| support.suites.contains(&u16::from(suite.suite())))
    });
    let who = if any_provider {
        format!("{name} implements none of them")
    } else {
        "rustls implements no such suite".to_owned()
    };
    let certless = !support.suites.is_empty()
        && support
            .suites
            .iter()
            .all(|s| certificate_less(suite_kx(*s)).is_some());
    let fix = if support.version == TLS13 {
        format!(
            "{who}; enable TLS_AES_128_GCM_SHA256 or TLS_CHACHA20_POLY1305_SHA256 on the server"
        )
    } else if certless {
        "rustls implements no TLS 1.2 PSK, SRP or anonymous suite: it needs a certificate-based \
         ECDHE suite with AES-GCM or ChaCha20-Poly1305, which requires a certificate; give the \
         server a certificate (if it has none) and enable such a suite (OpenSSL: \
         ECDHE-ECDSA-AES128-GCM-SHA256 or ECDHE-RSA-AES128-GCM-SHA256)"
            .to_owned()
    } else {
        format!(
            "{who}; enable an ECDHE suite with AES-GCM or ChaCha20-Poly1305 on the server \
             (OpenSSL: ECDHE-ECDSA-AES128-GCM-SHA256 or ECDHE-RSA-AES128-GCM-SHA256)"
        )
    };
    // No ECDHE suite signs with DSA (there is no ECDHE_DSS), and rustls verifies no DSA
    // signature: the suites rustls needs need another key.
    let dsa = certificate
        .and_then(cert_key)
        .filter(|key| key.key_type.starts_with("DSA"))
        .map(|key| {
            format!(
                ", with an ECDSA or RSA certificate: the server's certificate key is {}, which no \
                 ECDHE suite signs with and rustls does not verify",
                key.key_type
            )
        })
        .unwrap_or_default();
    format!(
        "the server offers only {}{older}; {fix}{dsa}",
        classes.join(" and ")
    )
}

/// Suites that authenticate without a certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Certless {
    /// Plain PSK, DHE-PSK, ECDHE-PSK, RSA-PSK.
    Psk,
    /// Secure Remote Password.
    Srp,
    /// Anonymous DH or ECDH: no authentication at all.
    Anonymous,
}

/// Which certificate-less family a key exchange belongs to, if any. (RSA-PSK does use the
/// server's RSA certificate, but for key transport: it is a PSK suite all the same.)
fn certificate_less(kx: Kx) -> Option<Certless> {
    match kx {
        Kx::Psk | Kx::DhePsk | Kx::EcdhePsk | Kx::RsaPsk => Some(Certless::Psk),
        Kx::Srp => Some(Certless::Srp),
        Kx::DhAnon | Kx::EcdhAnon => Some(Certless::Anonymous),
        _ => None,
    }
}

/// Why a handshake failed that [`analyse`] expected to succeed, when the profile shows the
/// cause; `None` otherwise.
///
/// A server that enables TLS 1.3 but allows only signature schemes TLS 1.3 forbids for its
/// CertificateVerify (RSA PKCS#1, DSA, SHA-1 or SHA-224 ECDSA; RFC 8446 §4.2.3), such as
/// OpenSSL with `-sigalgs RSA+SHA256`, picks TLS 1.3 for any ClientHello that offers it and then
/// refuses the handshake: the probe sees no TLS 1.3 and only such schemes in TLS 1.2, and
/// rustls, which offers TLS 1.3, gets an alert.
///
/// A bad handshake signature from a key the provider verifies (keys it does not verify are
/// [`analyse`]'s) is named with the certificate's key, rather than sending the user to
/// `tlspin pin`, which fails the same way.
pub fn explain_failure(profile: &ServerProfile, error: &rustls::Error) -> Option<String> {
    if matches!(
        error,
        rustls::Error::InvalidCertificate(rustls::CertificateError::BadSignature)
    ) {
        let key = cert_key(profile.certificate.as_deref()?)?;
        return Some(bad_signature(&key.key_type));
    }
    if !matches!(error, rustls::Error::AlertReceived(_)) || profile.version(TLS13).is_some() {
        return None;
    }
    let tls12 = profile.version(TLS12)?;
    if tls12.schemes.is_empty() || tls12.schemes.iter().any(|s| tls13_signs(*s)) {
        return None;
    }
    Some(format!(
        "the server refuses every ClientHello that offers TLS 1.3 (the probe's and rustls'), \
         and in TLS 1.2 it signs only with {}, which TLS 1.3 does not allow in \
         CertificateVerify (RFC 8446 §4.2.3): it seems to have TLS 1.3 enabled with no signature \
         scheme it may use there (as OpenSSL does with `-sigalgs RSA+SHA256`); allow a scheme \
         TLS 1.3 permits on the server (for an RSA key RSA-PSS, OpenSSL: -sigalgs \
         RSA-PSS+SHA256:RSA+SHA256), or disable TLS 1.3 there so that rustls negotiates TLS 1.2 \
         with {}",
        names(&tls12.schemes, scheme_name),
        names(&tls12.schemes, scheme_name)
    ))
}

/// The reason for a failed handshake of `name` that neither [`analyse`] nor [`explain_failure`]
/// explains: [`tlspin::explain`]'s, without its advice to run `tlspin probe`, which is what the
/// user is running.
pub fn fallback(error: &rustls::Error, name: &str) -> String {
    let explanation = tlspin::explain(error);
    if explanation.fix.contains("`tlspin probe") {
        format!(
            "{}; the probe's findings show nothing that {name} lacks (versions, cipher suites, \
             groups, signature schemes, the certificate's key), so the server refuses for a \
             reason the probe does not see",
            explanation.cause
        )
    } else {
        explanation.to_string()
    }
}

/// Whether TLS 1.3 allows `scheme` in a CertificateVerify: not RSA PKCS#1 or DSA (signature
/// byte 1 or 2 with a hash byte of 1 to 6), nor ECDSA with MD5, SHA-1 or SHA-224.
fn tls13_signs(scheme: u16) -> bool {
    let [hash, signature] = scheme.to_be_bytes();
    let legacy_hash = (1..=6).contains(&hash);
    !(legacy_hash && (signature == 1 || signature == 2 || (signature == 3 && hash <= 3)))
}

fn names(codes: &[u16], name: fn(u16) -> String) -> String {
    codes
        .iter()
        .map(|code| name(*code))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::providers;

    fn profile(version: u16, suites: &[u16], groups: &[u16], schemes: &[u16]) -> ServerProfile {
        ServerProfile {
            versions: vec![VersionSupport {
                version,
                suites: suites.to_vec(),
                groups: groups.to_vec(),
                schemes: schemes.to_vec(),
                server_order: false,
                groups_hidden_by: None,
            }],
            certificate: None,
        }
    }

    #[test]
    fn static_rsa_only_is_explained() {
        let all = providers();
        let server = profile(TLS12, &[0x009c], &[], &[]);
        for (name, provider) in &all {
            let problems = analyse(&server, name, provider, &all).unwrap_err();
            assert_eq!(
                problems,
                ["TLS 1.2: the server offers only static-RSA key exchange \
                  (TLS_RSA_WITH_AES_128_GCM_SHA256); rustls implements no such suite; enable an \
                  ECDHE suite with AES-GCM or ChaCha20-Poly1305 on the server (OpenSSL: \
                  ECDHE-ECDSA-AES128-GCM-SHA256 or ECDHE-RSA-AES128-GCM-SHA256)"]
            );
        }
    }

    #[test]
    fn p521_is_provider_specific() {
        let all = providers();
        let server = profile(TLS13, &[0x1301], &[0x001d], &[0x0603]);
        let (ring_name, ring) = &all[1];
        let problems = analyse(&server, ring_name, ring, &all).unwrap_err();
        assert!(
            problems[0].contains("which ring does not verify (aws-lc-rs does)"),
            "{problems:?}"
        );
        let (aws_name, aws) = &all[0];
        assert_eq!(
            analyse(&server, aws_name, aws, &all).unwrap(),
            "TLS 1.3, TLS_AES_128_GCM_SHA256, x25519, ecdsa_secp521r1_sha512"
        );
    }

    #[test]
    fn old_versions_only() {
        let all = providers();
        let server = profile(0x0301, &[0x002f], &[], &[]);
        let problems = analyse(&server, "ring", &all[1].1, &all).unwrap_err();
        assert!(problems[0].contains("speaks only TLS 1.0"), "{problems:?}");
    }

    #[test]
    fn tls13_forbids_pkcs1_dsa_and_weak_ecdsa() {
        for forbidden in [
            0x0201, 0x0401, 0x0501, 0x0601, 0x0301, 0x0202, 0x0402, 0x0203, 0x0303,
        ] {
            assert!(!tls13_signs(forbidden), "{forbidden:#06x}");
        }
        for allowed in [
            0x0403, 0x0503, 0x0603, 0x0804, 0x0809, 0x0807, 0x0808, 0x081a,
        ] {
            assert!(tls13_signs(allowed), "{allowed:#06x}");
        }
    }

    #[test]
    fn refused_tls13_is_explained_only_by_pkcs1_only_schemes_and_an_alert() {
        let alert = rustls::Error::AlertReceived(rustls::AlertDescription::HandshakeFailure);
        let pkcs1 = profile(TLS12, &[0xc02f], &[0x001d], &[0x0401]);
        let reason = explain_failure(&pkcs1, &alert).unwrap();
        assert!(
            reason.contains("signs only with rsa_pkcs1_sha256"),
            "{reason}"
        );
        // Not for another error, a TLS 1.3 server, or a scheme TLS 1.3 allows.
        assert_eq!(explain_failure(&pkcs1, &rustls::Error::DecryptError), None);
        let tls13 = ServerProfile {
            versions: vec![
                profile(TLS13, &[0x1301], &[0x001d], &[0x0804])
                    .versions
                    .remove(0),
                pkcs1.versions[0].clone(),
            ],
            certificate: None,
        };
        assert_eq!(explain_failure(&tls13, &alert), None);
        let pss = profile(TLS12, &[0xc02f], &[0x001d], &[0x0401, 0x0804]);
        assert_eq!(explain_failure(&pss, &alert), None);
    }

    #[test]
    fn psk_srp_and_anonymous_suites_are_named() {
        let all = providers();
        // TLS_PSK_WITH_AES_128_GCM_SHA256, TLS_ECDHE_PSK_WITH_CHACHA20_POLY1305_SHA256,
        // TLS_SRP_SHA_WITH_AES_128_CBC_SHA, TLS_DH_anon_WITH_AES_128_GCM_SHA256.
        let server = profile(TLS12, &[0x00a8, 0xccac, 0xc01d, 0x00a6], &[], &[]);
        let problems = analyse(&server, "ring", &all[1].1, &all).unwrap_err();
        assert_eq!(
            problems,
            [
                "TLS 1.2: the server offers only PSK suites (TLS_PSK_WITH_AES_128_GCM_SHA256, \
              TLS_ECDHE_PSK_WITH_CHACHA20_POLY1305_SHA256) and SRP suites \
              (TLS_SRP_SHA_WITH_AES_128_CBC_SHA) and anonymous suites \
              (TLS_DH_anon_WITH_AES_128_GCM_SHA256); rustls implements no TLS 1.2 PSK, SRP or \
              anonymous suite: it needs a certificate-based ECDHE suite with AES-GCM or \
              ChaCha20-Poly1305, which requires a certificate; give the server a certificate \
              (if it has none) and enable such a suite (OpenSSL: ECDHE-ECDSA-AES128-GCM-SHA256 \
              or ECDHE-RSA-AES128-GCM-SHA256)"
            ]
        );
    }

    #[test]
    fn older_versions_are_noted_for_suite_problems() {
        let all = providers();
        let mut server = profile(TLS12, &[0x009c], &[], &[]);
        server.versions.push(VersionSupport {
            version: 0x0301,
            suites: vec![0x002f],
            groups: Vec::new(),
            schemes: Vec::new(),
            server_order: false,
            groups_hidden_by: None,
        });
        let problems = analyse(&server, "ring", &all[1].1, &all).unwrap_err();
        assert!(
            problems[0].starts_with(
                "TLS 1.2: the server offers only static-RSA key exchange \
                 (TLS_RSA_WITH_AES_128_GCM_SHA256) (the server also speaks TLS 1.0, which rustls \
                 does not implement); rustls implements no such suite"
            ),
            "{problems:?}"
        );
    }

    #[test]
    fn a_bad_signature_from_a_verifiable_key_names_the_key() {
        let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
        let mut server = profile(TLS13, &[0x1301], &[0x001d], &[0x0403]);
        let bad = rustls::Error::InvalidCertificate(rustls::CertificateError::BadSignature);
        assert_eq!(explain_failure(&server, &bad), None);
        server.certificate = Some(cert.cert.der().to_vec());
        let reason = explain_failure(&server, &bad).unwrap();
        assert!(
            reason.starts_with(
                "the server's handshake signature did not verify with its certificate's ECDSA \
                 P-256 key"
            ),
            "{reason}"
        );
        assert!(!reason.contains("tlspin"), "{reason}");
    }

    #[test]
    fn the_fallback_never_advises_running_the_probe() {
        let alert = rustls::Error::AlertReceived(rustls::AlertDescription::HandshakeFailure);
        let reason = fallback(&alert, "ring");
        assert!(
            reason.starts_with("the peer refused the handshake (handshake_failure alert)"),
            "{reason}"
        );
        assert!(reason.contains("nothing that ring lacks"), "{reason}");
        assert!(!reason.contains("tlspin probe"), "{reason}");
        let other = fallback(&rustls::Error::DecryptError, "ring");
        assert!(!other.contains("tlspin probe"), "{other}");
    }
}
