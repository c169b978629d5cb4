//! `tlspin pin`: certificate details and pins, from a file, stdin, or a server's chain.

use std::fmt::Write as _;

use rustls::pki_types::{CertificateDer, ServerName};
use serde::Serialize;

use crate::certinfo::{describe, describe_public_key, render, CertInfo, KeyInfo};
use crate::exit::Failure;
use crate::net::{handshake, HandshakeError, Target};
use crate::providers::inspecting_config;

/// What `tlspin pin` found.
#[derive(Debug, Clone, Serialize)]
pub struct PinReport {
    /// The file, `stdin`, or `HOST:PORT` (followed by ` (STARTTLS PROTO)` with `--starttls`).
    pub source: String,
    /// For a server reached with `--starttls`: the protocol.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub starttls: Option<String>,
    /// Each certificate, in input (or chain) order.
    pub certificates: Vec<CertInfo>,
    /// For a server: Rust code that pins its leaf key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rust_snippet: Option<String>,
    /// For a server: a configuration entry holding the pin.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub config_entry: Option<String>,
    /// For a public-key file: the key (and then there are no certificates).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub public_key: Option<KeyInfo>,
}

/// Describes the public key in `bytes`, read from `source`.
pub fn from_public_key(bytes: &[u8], source: &str) -> Result<PinReport, Failure> {
    Ok(PinReport {
        source: source.to_owned(),
        starttls: None,
        certificates: Vec::new(),
        rust_snippet: None,
        config_entry: None,
        public_key: Some(describe_public_key(bytes, source)?),
    })
}

/// Describes every certificate of `certs`, read from `source`.
pub fn from_certificates(certs: &[CertificateDer<'_>], source: &str) -> Result<PinReport, Failure> {
    let certificates = certs
        .iter()
        .enumerate()
        .map(|(index, cert)| describe(cert, index))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|f| Failure::usage(format!("{source}: {}", f.message)))?;
    Ok(PinReport {
        source: source.to_owned(),
        starttls: None,
        certificates,
        rust_snippet: None,
        config_entry: None,
        public_key: None,
    })
}

/// Connects to `target` (after its STARTTLS preamble, if any; accepting any certificate, still verifying the handshake signature with
/// aws-lc-rs) and describes the chain it presents.
pub fn from_server(target: &Target) -> Result<PinReport, Failure> {
    let config = inspecting_config(rustls::crypto::aws_lc_rs::default_provider())?;
    let connection = handshake(target, config).map_err(|error| match error {
        HandshakeError::Network(failure) => failure,
        HandshakeError::Tls(error) => Failure::incompatible(format!(
            "the TLS handshake with {} failed: {error}\n  why: {}",
            target.display(),
            tlspin::explain(&error)
        )),
    })?;
    let chain = connection.peer_certificates().unwrap_or_default();
    if chain.is_empty() {
        return Err(Failure::incompatible(format!(
            "{} completed the handshake without presenting a certificate (expected at least \
             one); there is nothing to pin",
            target.display()
        )));
    }
    let mut report = from_certificates(chain, &target.display())?;
    report.starttls = target.starttls.map(|protocol| protocol.to_string());
    if let Some(leaf) = report.certificates.first() {
        report.rust_snippet = Some(rust_snippet(&leaf.pin));
        report.config_entry = Some(config_entry(&target.server_name, &leaf.pin));
    }
    Ok(report)
}

fn rust_snippet(pin: &str) -> String {
    format!(
        "let pin: tlspin::Pin = \"{pin}\".parse()?;\n\
         let provider = std::sync::Arc::new(rustls::crypto::aws_lc_rs::default_provider());\n\
         let config = tlspin::pinned_client_config(provider, [pin])?;"
    )
}

/// An entry of tlspin's TOML pin configuration (`tlspin::host_pins::PinConfig`) for the name the client
/// connects with.
fn config_entry(server_name: &ServerName<'_>, pin: &str) -> String {
    let host = match server_name {
        ServerName::DnsName(name) => name.as_ref().to_owned(),
        ServerName::IpAddress(ip) => std::net::IpAddr::from(*ip).to_string(),
        other => format!("{other:?}"),
    };
    format!("[hosts.\"{host}\"]\npins = [\"{pin}\"]  # add a backup pin for key rotation")
}

/// The human-readable report.
pub fn render_report(report: &PinReport) -> String {
    let mut out = String::new();
    if let Some(key) = &report.public_key {
        let _ = writeln!(
            out,
            "{}: a public key\n\n  key:          {}\n  pin (OkHttp): {}\n  pin (curl):   {}",
            report.source, key.key_type, key.pin, key.pin_curl
        );
        return out;
    }
    let _ = writeln!(
        out,
        "{}: {} certificate(s)\n",
        report.source,
        report.certificates.len()
    );
    for (index, info) in report.certificates.iter().enumerate() {
        let _ = writeln!(out, "{}", render(info, index));
    }
    if let (Some(snippet), Some(entry)) = (&report.rust_snippet, &report.config_entry) {
        let _ = writeln!(
            out,
            "Pin the leaf key — only after checking, over a channel you trust, that it really is \
             the server's:\n\nRust (tlspin):\n{}\n\nConfig entry:\n{}",
            indent(snippet),
            indent(entry)
        );
    }
    out
}

fn indent(text: &str) -> String {
    text.lines()
        .map(|line| format!("    {line}"))
        .collect::<Vec<_>>()
        .join("\n")
}
