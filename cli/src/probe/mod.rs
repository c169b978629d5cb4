//! `tlspin probe HOST:PORT`: what the server supports, and whether each rustls provider can talk
//! to it.
//!
//! The server's versions, cipher suites and groups, and its TLS 1.2 signature schemes, come from
//! ClientHellos the probe writes itself ([`wire`]) and the replies it parses ([`parse`]); TLS 1.3
//! signature schemes, which travel encrypted, from rustls handshakes that stop at the server's
//! signature ([`tls13_schemes`]). Each provider's verdict comes from a real rustls handshake with
//! that provider, and its reason from comparing the server's choices with the provider's tables
//! ([`verdict`]), or else from [`tlspin::explain`].

pub mod catalog;
pub mod parse;
pub mod scan;
pub mod tls13_schemes;
pub mod verdict;
pub mod wire;

use std::fmt::Write as _;

use rustls::pki_types::CertificateDer;
use serde::Serialize;

use crate::certinfo::{describe, CertInfo};
use crate::exit::{Exit, Failure};
use crate::net::{handshake, HandshakeError, Target};
use crate::providers::{inspecting_config, providers};
use catalog::{group_name, scheme_name, suite_kx, suite_mode, suite_name, Kx, Mode};
use scan::{scan, version_name, ServerProfile, VERSIONS};

/// The probe's findings.
#[derive(Debug, Clone, Serialize)]
pub struct ProbeReport {
    /// `HOST:PORT` as probed (followed by ` (STARTTLS PROTO)` with `--starttls`).
    pub target: String,
    /// The STARTTLS protocol run before TLS, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub starttls: Option<String>,
    /// The SNI sent (none for an IP address).
    pub server_name: Option<String>,
    /// The leaf certificate the server presented.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub certificate: Option<CertInfo>,
    /// Why the leaf certificate could not be described (or that none was seen).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub certificate_problem: Option<String>,
    /// TLS 1.3 down to TLS 1.0, each supported or not.
    pub versions: Vec<VersionReport>,
    /// One verdict per rustls provider.
    pub providers: Vec<ProviderVerdict>,
}

/// One protocol version's findings.
#[derive(Debug, Clone, Serialize)]
pub struct VersionReport {
    /// "TLS 1.3", "TLS 1.2", ...
    pub version: String,
    /// Whether the server accepted a ClientHello for this version.
    pub supported: bool,
    /// Its cipher suites, in the server's order of preference.
    pub cipher_suites: Vec<SuiteReport>,
    /// Its key-exchange groups (names).
    pub groups: Vec<String>,
    /// The signature schemes it signs with (names).
    pub signature_schemes: Vec<String>,
}

/// One cipher suite the server accepts.
#[derive(Debug, Clone, Serialize)]
pub struct SuiteReport {
    /// The IANA name.
    pub name: String,
    /// Whether any rustls provider implements it.
    pub rustls: bool,
    /// Why rustls does not, if it does not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// Whether one provider can talk to the server.
#[derive(Debug, Clone, Serialize)]
pub struct ProviderVerdict {
    /// "aws-lc-rs" or "ring".
    pub provider: String,
    /// Whether a rustls handshake with this provider's defaults succeeded.
    pub compatible: bool,
    /// What was negotiated, or why the handshake fails, in plain words.
    pub reason: String,
    /// The rustls error of the failed handshake, if it got that far.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rustls_error: Option<String>,
}

impl ProbeReport {
    /// Exit code: success only if every provider is compatible.
    pub fn exit(&self) -> Exit {
        if self.providers.iter().all(|p| p.compatible) {
            Exit::Success
        } else {
            Exit::Incompatible
        }
    }
}

/// Probes `target`, reporting each step to `progress`.
pub fn probe(target: &Target, progress: &mut dyn FnMut(&str)) -> Result<ProbeReport, Failure> {
    let all = providers();
    let profile = scan(target, &all, progress)?;
    let mut verdicts = Vec::new();
    for (name, provider) in &all {
        progress(&format!("handshake with {name}"));
        let analysis = verdict::analyse(&profile, name, provider, &all);
        let config = inspecting_config(provider.clone())?;
        verdicts.push(match handshake(target, config) {
            Ok(connection) => {
                let mut reason = "handshake succeeded".to_owned();
                if let Some(version) = connection.protocol_version() {
                    let _ = write!(reason, ": {}", version_name(u16::from(version)));
                }
                if let Some(suite) = connection.negotiated_cipher_suite() {
                    let _ = write!(reason, ", {}", suite_name(u16::from(suite.suite())));
                }
                if let Some(group) = connection.negotiated_key_exchange_group() {
                    let _ = write!(reason, ", {}", group_name(u16::from(group.name())));
                }
                ProviderVerdict {
                    provider: (*name).to_owned(),
                    compatible: true,
                    reason,
                    rustls_error: None,
                }
            }
            Err(error) => {
                let (rustls_error, fallback) = match &error {
                    HandshakeError::Tls(e) => (Some(e.to_string()), tlspin::explain(e).to_string()),
                    HandshakeError::Network(f) => (None, f.message.clone()),
                };
                ProviderVerdict {
                    provider: (*name).to_owned(),
                    compatible: false,
                    reason: match analysis {
                        Err(problems) => problems.join("; "),
                        Ok(_) => fallback,
                    },
                    rustls_error,
                }
            }
        });
    }
    let (certificate, certificate_problem) = match &profile.certificate {
        Some(der) => match describe(&CertificateDer::from(der.as_slice()), 0) {
            Ok(info) => (Some(info), None),
            Err(failure) => (None, Some(failure.message)),
        },
        None => (
            None,
            Some("the server presented no certificate to the probe".to_owned()),
        ),
    };
    Ok(ProbeReport {
        target: target.display(),
        starttls: target.starttls.map(|protocol| protocol.to_string()),
        server_name: target.sni().map(str::to_owned),
        certificate,
        certificate_problem,
        versions: version_reports(&profile, &all),
        providers: verdicts,
    })
}

fn version_reports(
    profile: &ServerProfile,
    all: &[(&str, rustls::crypto::CryptoProvider)],
) -> Vec<VersionReport> {
    let implemented = |suite: u16| {
        all.iter().any(|(_, provider)| {
            provider
                .cipher_suites
                .iter()
                .any(|s| u16::from(s.suite()) == suite)
        })
    };
    VERSIONS
        .iter()
        .map(|version| {
            let support = profile.version(*version);
            VersionReport {
                version: version_name(*version),
                supported: support.is_some(),
                cipher_suites: support
                    .map(|s| s.suites.as_slice())
                    .unwrap_or_default()
                    .iter()
                    .map(|suite| SuiteReport {
                        name: suite_name(*suite),
                        rustls: implemented(*suite),
                        note: (!implemented(*suite)).then(|| not_implemented_note(*suite)),
                    })
                    .collect(),
                groups: support
                    .map(|s| s.groups.iter().map(|g| group_name(*g)).collect())
                    .unwrap_or_default(),
                signature_schemes: support
                    .map(|s| s.schemes.iter().map(|g| scheme_name(*g)).collect())
                    .unwrap_or_default(),
            }
        })
        .collect()
}

fn not_implemented_note(suite: u16) -> String {
    match (suite_kx(suite), suite_mode(suite)) {
        (Kx::Rsa, _) => "static-RSA key exchange: rustls never implements it".into(),
        (_, Some(Mode::Cbc)) => "CBC mode: rustls never implements it".into(),
        (Kx::Dhe, _) => "finite-field DHE: not in rustls' default providers".into(),
        _ => "not in rustls' default providers".into(),
    }
}

/// The human-readable report.
pub fn render(report: &ProbeReport) -> String {
    let mut out = String::new();
    let sni = report.server_name.as_deref().unwrap_or("none, IP address");
    let _ = writeln!(out, "{} (SNI: {sni})", report.target);
    match (&report.certificate, &report.certificate_problem) {
        (Some(cert), _) => {
            let _ = writeln!(
                out,
                "certificate: {}, {}, issued by {}, pin {}",
                cert.subject, cert.key_type, cert.issuer, cert.pin
            );
        }
        (None, Some(problem)) => {
            let _ = writeln!(out, "certificate: {problem}");
        }
        (None, None) => {}
    }
    for version in &report.versions {
        if !version.supported {
            let _ = writeln!(out, "\n{}: not supported", version.version);
            continue;
        }
        let _ = writeln!(out, "\n{}: supported", version.version);
        let _ = writeln!(out, "  cipher suites:");
        for suite in &version.cipher_suites {
            match &suite.note {
                Some(note) => {
                    let _ = writeln!(out, "    {}  ({note})", suite.name);
                }
                None => {
                    let _ = writeln!(out, "    {}", suite.name);
                }
            }
        }
        if version.version != "TLS 1.3" && version.version != "TLS 1.2" {
            continue;
        }
        let list = |items: &[String], empty: &str| {
            if items.is_empty() {
                empty.to_owned()
            } else {
                items.join(", ")
            }
        };
        let (no_groups, no_schemes) = if version.version == "TLS 1.3" {
            ("(not discovered)", "(not discovered)")
        } else {
            (
                "(none: no ECDHE suite)",
                "(none: no ECDHE or DHE suite; static-RSA key exchange signs nothing)",
            )
        };
        let _ = writeln!(
            out,
            "  groups:            {}",
            list(&version.groups, no_groups)
        );
        let _ = writeln!(
            out,
            "  signature schemes: {}",
            list(&version.signature_schemes, no_schemes)
        );
    }
    let _ = writeln!(out, "\nrustls providers:");
    for verdict in &report.providers {
        let status = if verdict.compatible {
            "compatible"
        } else {
            "INCOMPATIBLE"
        };
        let _ = writeln!(out, "  {}: {status}: {}", verdict.provider, verdict.reason);
        if let Some(error) = &verdict.rustls_error {
            let _ = writeln!(out, "    (rustls error: {error})");
        }
    }
    out
}
