//! `tlspin probe HOST:PORT`: what the server supports, and whether each rustls provider can talk
//! to it.
//!
//! The server's versions, cipher suites and groups, and its TLS 1.2 signature schemes, come from
//! ClientHellos the probe writes itself ([`wire`]) and the replies it parses ([`parse`]); TLS 1.3
//! signature schemes, which travel encrypted, from rustls handshakes that stop at the server's
//! signature ([`tls13_schemes`]). Each provider's verdict comes from a real rustls handshake with
//! that provider, and its reason from comparing the server's choices with the provider's tables
//! ([`verdict`]), or else from [`tlspin::explain`]. Short rustls handshakes ([`handshakes`])
//! show the ALPN protocols the server selects, whether it asks for a client certificate, and
//! whether its certificate depends on the SNI sent.
//!
//! Everything runs concurrently over at most `--parallel` connections at a time ([`pool`]).

pub mod catalog;
pub mod handshakes;
pub mod iana;
pub mod parse;
pub mod pool;
pub mod scan;
pub mod tls13_schemes;
pub mod verdict;
pub mod wire;

use std::fmt::Write as _;

use rustls::pki_types::{CertificateDer, ServerName};
use serde::Serialize;

use std::thread;

use crate::certinfo::{describe, CertInfo};
use crate::exit::{Exit, Failure};
use crate::keytype::{key_support, KeySupport};
use crate::net::{HandshakeError, Target};
use crate::providers::providers;
use catalog::{group_name, scheme_name, suite_kx, suite_mode, suite_name, Kx, Mode};
use handshakes::{observe, with_provider, ClientAuthRequest, Observed, ProviderHandshake};
use parse::TLS13;
use pool::Pool;
use scan::{join, scan, version_name, ServerProfile, VERSIONS};

/// The name the SNI check presents instead of the target's (`.invalid` is reserved: no server
/// has a certificate for it, RFC 6761).
const OTHER_NAME: &str = "tlspin-probe.invalid";

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
    /// The leaf certificate's key and which providers verify its signatures.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<KeySupport>,
    /// Why the leaf certificate could not be described (or that none was seen).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub certificate_problem: Option<String>,
    /// TLS 1.3 down to SSL 3.0, each supported or not.
    pub versions: Vec<VersionReport>,
    /// One verdict per rustls provider.
    pub providers: Vec<ProviderVerdict>,
    /// Which HTTP protocols the server selects through ALPN.
    pub alpn: AlpnReport,
    /// The server's request for a client certificate, if it made one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_certificate: Option<ClientAuthReport>,
    /// Whether the certificate or the acceptance depends on the SNI sent.
    pub sni: SniReport,
    /// How many connections the probe opened.
    pub connections: usize,
    /// How many it kept open at once, at most (`--parallel`).
    pub parallel: usize,
    /// The limit at the end: lower than `parallel` after the server closed connections
    /// unanswered (each such close halves it).
    pub parallel_now: usize,
}

/// One ALPN offer's outcome.
#[derive(Debug, Clone, Serialize)]
pub struct AlpnAnswer {
    /// "selected", "selected another" (only for the offer of both), "not selected" (the server
    /// ignores ALPN or offers none of them), "refused" (an alert), or "unknown" (the handshake
    /// failed before the server could say).
    pub outcome: String,
    /// The protocol selected, or the refusal.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// What the server does with ALPN.
#[derive(Debug, Clone, Serialize)]
pub struct AlpnReport {
    /// Offered `h2` then `http/1.1`, as reqwest and browsers do.
    pub both: AlpnAnswer,
    /// Offered `h2` alone, as a gRPC client (tonic) does.
    pub h2: AlpnAnswer,
    /// Offered `http/1.1` alone.
    pub http1: AlpnAnswer,
    /// What follows for a client, e.g. that tonic will fail.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// The server's CertificateRequest.
#[derive(Debug, Clone, Serialize)]
pub struct ClientAuthReport {
    /// Whether it rejected the handshake without a certificate (`None`: could not be told).
    pub required: Option<bool>,
    /// The CA names it hints at (RFC 4514 strings; may be empty).
    pub ca_names: Vec<String>,
    /// The signature schemes it accepts from a client's key.
    pub signature_schemes: Vec<String>,
}

/// Whether the server's answer depends on the SNI.
#[derive(Debug, Clone, Serialize)]
pub struct SniReport {
    /// The answer with no SNI at all (`None` when the target's own handshake sends none, as for
    /// an IP address).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub without_sni: Option<SniAnswer>,
    /// The answer with SNI `tlspin-probe.invalid`.
    pub other_name: SniAnswer,
}

/// One SNI variant's outcome compared with the target's own handshake.
#[derive(Debug, Clone, Serialize)]
pub struct SniAnswer {
    /// "same certificate", "other certificate", "refused", or "unknown" (the baseline
    /// handshake itself did not get a certificate).
    pub outcome: String,
    /// The other certificate's subject and pin, or the refusal.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// One protocol version's findings.
#[derive(Debug, Clone, Serialize)]
pub struct VersionReport {
    /// "TLS 1.3", "TLS 1.2", ...
    pub version: String,
    /// Whether the server accepted a ClientHello for this version.
    pub supported: bool,
    /// Its cipher suites: in the server's order of preference if it imposes one
    /// (`server_order`); otherwise the one it picks when offered all of them first, then the
    /// rest in the order the probe offers them (a modern client's: AEAD, then CBC, ...).
    pub cipher_suites: Vec<SuiteReport>,
    /// Whether the server picks suites by its own order rather than the client's.
    pub server_order: bool,
    /// Its key-exchange groups (names).
    pub groups: Vec<String>,
    /// Why `groups` may be incomplete (TLS 1.2, an ECDSA certificate, and a server that ranks
    /// its curve above other groups).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub groups_note: Option<String>,
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

/// Probes `target` over at most `parallel` connections at a time, reporting steps to
/// `progress`.
pub fn probe(
    target: &Target,
    parallel: usize,
    progress: &(dyn Fn(&str) + Sync),
) -> Result<ProbeReport, Failure> {
    let all = providers();
    let pool = Pool::new(target, parallel);
    let alpn_offers: [&[&[u8]]; 3] = [&[b"h2", b"http/1.1"], &[b"h2"], &[b"http/1.1"]];
    let (profile, handshakes, alpn, sni) = thread::scope(|s| {
        let handshakes: Vec<_> = all
            .iter()
            .map(|(_, provider)| s.spawn(|| with_provider(&pool, provider)))
            .collect();
        let alpn: Vec<_> = alpn_offers
            .iter()
            .map(|offer| s.spawn(|| observe(&pool, offer, Some(target.server_name.clone()))))
            .collect();
        let without_sni = target
            .sni()
            .is_some()
            .then(|| s.spawn(|| observe(&pool, alpn_offers[0], None)));
        let other = s.spawn(|| {
            let name = ServerName::try_from(OTHER_NAME).map(|n| n.to_owned()).ok();
            observe(&pool, alpn_offers[0], name)
        });
        let profile = scan(&pool, &all, progress);
        progress("handshakes");
        (
            profile,
            handshakes.into_iter().map(join).collect::<Vec<_>>(),
            alpn.into_iter().map(join).collect::<Vec<_>>(),
            (without_sni.map(join), join(other)),
        )
    });
    let profile = profile?;
    let verdicts = all
        .iter()
        .zip(&handshakes)
        .map(|((name, provider), handshake)| {
            provider_verdict(
                name,
                verdict::analyse(&profile, name, provider, &all),
                handshake,
                &profile,
            )
        })
        .collect();
    let client_certificate = handshakes
        .iter()
        .find_map(|h| h.client_auth.as_ref())
        .map(client_auth_report);
    let (certificate, certificate_problem) = match &profile.certificate {
        Some(der) => match describe(&CertificateDer::from(der.as_slice()), 0) {
            Ok(info) => (Some(info), None),
            Err(failure) => (None, Some(failure.message)),
        },
        None if profile.versions.iter().all(|v| v.version == TLS13)
            && !profile.versions.is_empty() =>
        {
            (
                None,
                Some(
                    "not seen: TLS 1.3 encrypts it, and no rustls handshake got that far (the \
                 server's TLS 1.3 suites or groups are ones rustls does not have)"
                        .to_owned(),
                ),
            )
        }
        None => (
            None,
            Some("the server presented no certificate to the probe".to_owned()),
        ),
    };
    let baseline = alpn.first();
    let sni = SniReport {
        without_sni: sni
            .0
            .as_ref()
            .map(|observed| compare_sni(baseline, observed)),
        other_name: compare_sni(baseline, &sni.1),
    };
    Ok(ProbeReport {
        target: target.display(),
        starttls: target.starttls.map(|protocol| protocol.to_string()),
        server_name: target.sni().map(str::to_owned),
        certificate,
        key: profile
            .certificate
            .as_deref()
            .and_then(|der| key_support(der, &all)),
        certificate_problem,
        versions: version_reports(&profile, &all),
        providers: verdicts,
        alpn: alpn_report(&alpn, target.starttls.is_none()),
        client_certificate,
        sni,
        connections: pool.connections(),
        parallel: pool.parallel(),
        parallel_now: pool.limit(),
    })
}

fn provider_verdict(
    name: &str,
    analysis: Result<String, Vec<String>>,
    handshake: &ProviderHandshake,
    profile: &ServerProfile,
) -> ProviderVerdict {
    let required = handshake
        .client_auth
        .as_ref()
        .is_some_and(|request| request.required == Some(true));
    match &handshake.result {
        Ok(negotiated) => {
            let mut reason = "handshake succeeded".to_owned();
            if let Some(version) = negotiated.version {
                let _ = write!(reason, ": {}", version_name(version));
            }
            if let Some(suite) = negotiated.suite {
                let _ = write!(reason, ", {}", suite_name(suite));
            }
            if let Some(group) = negotiated.group {
                let _ = write!(reason, ", {}", group_name(group));
            }
            match handshake.client_auth.as_ref().map(|a| a.required) {
                Some(Some(false)) => reason.push_str(
                    "; the server asked for a client certificate and accepted the handshake \
                     without one",
                ),
                Some(_) => reason.push_str(
                    "; the server asked for a client certificate; whether it accepts a client \
                     without one could not be told (after the handshake it neither sent an \
                     alert nor went on speaking TLS)",
                ),
                None => {}
            }
            ProviderVerdict {
                provider: name.to_owned(),
                compatible: true,
                reason,
                rustls_error: None,
            }
        }
        Err(error) => {
            let (rustls_error, fallback) = match error {
                HandshakeError::Tls(e) => (
                    Some(e.to_string()),
                    verdict::explain_failure(profile, e)
                        .unwrap_or_else(|| verdict::fallback(e, name)),
                ),
                HandshakeError::Network(f) => (None, f.message.clone()),
            };
            let reason = if required {
                "the server requires a client certificate and rejected the handshake without one: \
                 build the rustls ClientConfig with `with_client_auth_cert(chain, key)` (a \
                 certificate the server trusts)"
                    .to_owned()
            } else {
                match analysis {
                    Err(problems) => problems.join("; "),
                    Ok(_) => fallback,
                }
            };
            ProviderVerdict {
                provider: name.to_owned(),
                compatible: false,
                reason,
                rustls_error,
            }
        }
    }
}

fn client_auth_report(request: &ClientAuthRequest) -> ClientAuthReport {
    ClientAuthReport {
        required: request.required,
        ca_names: request
            .ca_names
            .iter()
            .map(|name| dn_string(name))
            .collect(),
        signature_schemes: request.schemes.iter().map(|s| scheme_name(*s)).collect(),
    }
}

/// A DER distinguished name as an RFC 4514 string (or hex, if it does not parse).
fn dn_string(der: &[u8]) -> String {
    use x509_parser::prelude::FromDer;
    match x509_parser::x509::X509Name::from_der(der) {
        Ok(([], name)) => name.to_string(),
        _ => format!(
            "(unparsable name: {})",
            der.iter().map(|b| format!("{b:02x}")).collect::<String>()
        ),
    }
}

fn alpn_answer(observed: &Observed, only: Option<&[u8]>) -> AlpnAnswer {
    let answer = |outcome: &str, detail: Option<String>| AlpnAnswer {
        outcome: outcome.to_owned(),
        detail,
    };
    match observed {
        Observed::Certificate { alpn: Some(p), .. } => {
            let protocol = String::from_utf8_lossy(p).into_owned();
            match only {
                Some(only) if only != p.as_slice() => answer("selected another", Some(protocol)),
                _ => answer("selected", Some(protocol)),
            }
        }
        Observed::Certificate { alpn: None, .. } => answer("not selected", None),
        Observed::Refused(reason) if reason.contains("NoApplicationProtocol") => {
            answer("refused", Some(reason.clone()))
        }
        Observed::Refused(reason) | Observed::Failed(reason) => {
            answer("unknown", Some(reason.clone()))
        }
    }
}

/// `http`: whether the port may serve HTTP (not behind a STARTTLS protocol), so that notes on
/// HTTP clients apply.
fn alpn_report(observed: &[Observed], http: bool) -> AlpnReport {
    let get = |i: usize, only: Option<&[u8]>| match observed.get(i) {
        Some(o) => alpn_answer(o, only),
        None => AlpnAnswer {
            outcome: "unknown".into(),
            detail: None,
        },
    };
    let both = get(0, None);
    let h2 = get(1, Some(b"h2"));
    let http1 = get(2, Some(b"http/1.1"));
    let mut notes = Vec::new();
    if http && h2.outcome != "selected" && h2.outcome != "unknown" {
        notes.push(
            "a gRPC client (tonic) will fail: the server does not select h2 through ALPN, and \
             tonic requires it (\"HTTP/2 was not negotiated\")"
                .to_owned(),
        );
    }
    AlpnReport {
        both,
        h2,
        http1,
        notes,
    }
}

fn compare_sni(baseline: Option<&Observed>, observed: &Observed) -> SniAnswer {
    let answer = |outcome: &str, detail: Option<String>| SniAnswer {
        outcome: outcome.to_owned(),
        detail,
    };
    match (baseline, observed) {
        (Some(Observed::Certificate { leaf: base, .. }), Observed::Certificate { leaf, .. }) => {
            if base == leaf {
                answer("same certificate", None)
            } else {
                let detail = match describe(&CertificateDer::from(leaf.as_slice()), 0) {
                    Ok(info) => format!("{}, pin {}", info.subject, info.pin),
                    Err(failure) => failure.message,
                };
                answer("other certificate", Some(detail))
            }
        }
        (Some(Observed::Certificate { .. }), Observed::Refused(reason)) => {
            answer("refused", Some(reason.clone()))
        }
        (Some(Observed::Certificate { .. }), Observed::Failed(reason)) => {
            answer("unknown", Some(format!("the connection failed: {reason}")))
        }
        (_, _) => answer(
            "unknown",
            Some("the handshake presenting the target's own name got no certificate".into()),
        ),
    }
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
                server_order: support.is_some_and(|s| s.server_order),
                groups_note: support.and_then(|s| s.groups_hidden_by).map(|curve| {
                    format!(
                        "the server ranks {}, its ECDSA certificate's curve, above other groups, \
                         and a TLS 1.2 client must list that curve: groups it ranks below {0} \
                         cannot be seen, so this list may be incomplete",
                        group_name(curve)
                    )
                }),
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
        (Kx::DhAnon | Kx::EcdhAnon, _) => {
            "anonymous key exchange, no server authentication: rustls never implements it".into()
        }
        (_, Some(Mode::Null)) => "no encryption: rustls never implements it".into(),
        (_, Some(Mode::Stream)) => "RC4: rustls never implements it".into(),
        (_, Some(Mode::Cbc)) => "CBC mode: rustls never implements it".into(),
        (Kx::Psk | Kx::DhePsk | Kx::EcdhePsk | Kx::RsaPsk, _) => {
            "pre-shared-key suite: rustls' providers implement none".into()
        }
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
    if let Some(key) = &report.key {
        let _ = writeln!(out, "key: {}", key.summary);
    }
    for version in &report.versions {
        if !version.supported {
            let _ = writeln!(out, "\n{}: not supported", version.version);
            continue;
        }
        let _ = writeln!(out, "\n{}: supported", version.version);
        let order = if version.server_order {
            "the server's order of preference"
        } else if version.cipher_suites.len() > 1 {
            "the server follows the client's order"
        } else {
            "one suite"
        };
        let _ = writeln!(out, "  cipher suites ({order}):");
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
        if let Some(note) = &version.groups_note {
            let _ = writeln!(out, "                     ({note})");
        }
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
    render_extras(report, &mut out);
    out
}

fn render_extras(report: &ProbeReport, out: &mut String) {
    let answer = |a: &AlpnAnswer| match &a.detail {
        Some(detail) => format!("{} ({detail})", a.outcome),
        None => a.outcome.clone(),
    };
    let alpn = &report.alpn;
    let all_unknown = [&alpn.both, &alpn.h2, &alpn.http1]
        .iter()
        .all(|a| a.outcome == "unknown" && a.detail == alpn.both.detail);
    if all_unknown {
        let _ = writeln!(
            out,
            "\nALPN: unknown: no handshake got as far as the server's choice ({})",
            alpn.both.detail.as_deref().unwrap_or("no reason given")
        );
    } else {
        let _ = writeln!(
            out,
            "\nALPN: h2 and http/1.1 offered: {}; h2 alone: {}; http/1.1 alone: {}",
            answer(&alpn.both),
            answer(&alpn.h2),
            answer(&alpn.http1)
        );
    }
    for note in &alpn.notes {
        let _ = writeln!(out, "  {note}");
    }
    if let Some(auth) = &report.client_certificate {
        let how = match auth.required {
            Some(true) => "required",
            Some(false) => "requested (optional)",
            None => "requested",
        };
        let names = if auth.ca_names.is_empty() {
            "no CA names hinted".to_owned()
        } else {
            format!("CA names hinted: {}", auth.ca_names.join("; "))
        };
        let _ = writeln!(out, "client certificate: {how}; {names}");
        if auth.required == Some(true) {
            let _ = writeln!(
                out,
                "  a rustls client needs one: ClientConfig::builder()...with_client_auth_cert(chain, key)"
            );
        }
    }
    let sni = |a: &SniAnswer| match &a.detail {
        Some(detail) => format!("{} ({detail})", a.outcome),
        None => a.outcome.clone(),
    };
    let mut line = String::from("SNI: ");
    if let Some(without) = &report.sni.without_sni {
        let _ = write!(line, "without SNI: {}; ", sni(without));
    }
    let _ = write!(line, "as {OTHER_NAME}: {}", sni(&report.sni.other_name));
    let _ = writeln!(out, "{line}");
    let _ = write!(
        out,
        "\n{} connections, at most {} at a time",
        report.connections, report.parallel
    );
    if report.parallel_now < report.parallel {
        let _ = write!(
            out,
            " (then {}: the server closed or refused connections)",
            report.parallel_now
        );
    }
    out.push('\n');
}
