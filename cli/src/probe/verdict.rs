//! Whether a rustls provider can talk to the scanned server, and why not, in plain words.

use rustls::crypto::CryptoProvider;

use super::catalog::{group_name, scheme_name, suite_kx, suite_mode, suite_name, Kx, Mode};
use super::parse::{TLS12, TLS13};
use super::scan::{version_name, ServerProfile, VersionSupport};

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
    analyse_version(support, name, provider, all)
        .map_err(|problem| vec![format!("{}: {problem}", version_name(support.version))])
}

fn analyse_version(
    support: &VersionSupport,
    name: &str,
    provider: &CryptoProvider,
    all: &[(&str, CryptoProvider)],
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
        .ok_or_else(|| no_common_suite(support, name, all))?;

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
    Ok(parts.join(", "))
}

fn no_common_suite(support: &VersionSupport, name: &str, all: &[(&str, CryptoProvider)]) -> String {
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
    class("static-RSA key exchange", &|s| suite_kx(s) == Kx::Rsa);
    class("CBC-mode", &|s| {
        suite_kx(s) != Kx::Rsa && suite_mode(s) == Some(Mode::Cbc)
    });
    class("finite-field DHE", &|s| {
        suite_kx(s) == Kx::Dhe && suite_mode(s) == Some(Mode::Aead)
    });
    class("other", &|s| {
        suite_kx(s) != Kx::Rsa
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
    let fix = if support.version == TLS13 {
        "enable TLS_AES_128_GCM_SHA256 or TLS_CHACHA20_POLY1305_SHA256 on the server"
    } else {
        "enable an ECDHE suite with AES-GCM or ChaCha20-Poly1305 on the server (OpenSSL: \
         ECDHE-ECDSA-AES128-GCM-SHA256 or ECDHE-RSA-AES128-GCM-SHA256)"
    };
    format!(
        "the server offers only {}; {who}; {fix}",
        classes.join(" and ")
    )
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
}
