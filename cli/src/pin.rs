//! `tlspin pin`: certificate details and pins, from a file, stdin, or a server's chain.

use std::fmt::Write as _;
use std::sync::{Arc, Mutex};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, SignatureScheme};
use serde::Serialize;
use tlspin::danger::AcceptAnyServerCert;

use crate::certinfo::{describe, describe_public_key, render, CertInfo, KeyInfo};
use crate::exit::Failure;
use crate::keytype::{bad_signature, cert_key, key_support};
use crate::net::{handshake, not_tls, HandshakeError, Target};
use crate::providers::providers;

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

/// Connects to `target` (after its STARTTLS preamble, if any; accepting any certificate, still
/// verifying the handshake signature with aws-lc-rs) and describes the chain it presents. A peer
/// that does not speak TLS is a network failure (exit 3); a failed handshake exit 1, with why.
pub fn from_server(target: &Target) -> Result<PinReport, Failure> {
    let leaf = Arc::new(Mutex::new(None));
    let config = recording_config(rustls::crypto::aws_lc_rs::default_provider(), &leaf)?;
    let connection = handshake(target, config).map_err(|error| match error {
        HandshakeError::Network(failure) => failure,
        HandshakeError::Tls(error) => {
            let seen = leaf.lock().ok().and_then(|leaf| leaf.clone());
            handshake_failure(target, &error, seen.as_deref())
        }
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

/// The failure for a TLS handshake with `target` that ended in `error`; `leaf` is the end-entity
/// certificate the server presented, if it got that far.
fn handshake_failure(target: &Target, error: &rustls::Error, leaf: Option<&[u8]>) -> Failure {
    let display = target.display();
    if not_tls(error) {
        return Failure::network(format!(
            "{display} did not answer like a TLS server: expected a TLS record (content type \
             20 to 23, version 3.x, at most 16 KiB + 2 KiB), rustls read: {error}"
        ));
    }
    let explanation = tlspin::explain(error);
    let unverified = leaf.and_then(|der| {
        let all = providers();
        key_support(der, &all)
            .filter(|support| !support.verified_by.iter().any(|name| name == PIN_PROVIDER))
    });
    let why = match (error, unverified) {
        (rustls::Error::InvalidCertificate(_), Some(key)) => format!(
            "the server's certificate key is {}, so tlspin cannot check the server's handshake \
             signature, and it pins only a key whose holder has proven it holds it; fix: give \
             the server a key rustls verifies (ECDSA P-256 or P-384, Ed25519, or RSA of 2048 to \
             8192 bits); to read this certificate anyway, save it (`openssl s_client -connect \
             HOST:PORT -showcerts`) and give the file to `tlspin pin`",
            key.summary
        ),
        (rustls::Error::InvalidCertificate(rustls::CertificateError::BadSignature), None) => {
            match leaf.and_then(cert_key) {
                Some(key) => bad_signature(&key.key_type),
                None => explanation.cause,
            }
        }
        // Never send the user back to the command that just failed.
        _ if explanation.fix.contains("`tlspin pin") => format!(
            "{}; `tlspin probe HOST:PORT` shows what the server supports and each rustls \
             provider's verdict",
            explanation.cause
        ),
        _ => explanation.to_string(),
    };
    Failure::incompatible(format!(
        "the TLS handshake with {display} failed: {error}\n  why: {why}"
    ))
}

/// The provider `tlspin pin` connects with.
const PIN_PROVIDER: &str = "aws-lc-rs";

/// [`crate::providers::inspecting_config`] for `provider`, whose verifier also stores the
/// end-entity certificate it is shown in `leaf`.
fn recording_config(
    provider: CryptoProvider,
    leaf: &Arc<Mutex<Option<Vec<u8>>>>,
) -> Result<Arc<ClientConfig>, Failure> {
    let provider = Arc::new(provider);
    let inner = AcceptAnyServerCert::new(provider.clone())
        .map_err(|e| Failure::usage(format!("cannot build a verifier: {e}")))?;
    let verifier = Arc::new(Recording {
        inner,
        leaf: leaf.clone(),
    });
    Ok(Arc::new(
        ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| Failure::usage(format!("cannot build a client config: {e}")))?
            .dangerous()
            .with_custom_certificate_verifier(verifier)
            .with_no_client_auth(),
    ))
}

/// [`AcceptAnyServerCert`], noting the end-entity certificate.
#[derive(Debug)]
struct Recording {
    inner: Arc<AcceptAnyServerCert>,
    leaf: Arc<Mutex<Option<Vec<u8>>>>,
}

impl ServerCertVerifier for Recording {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if let Ok(mut leaf) = self.leaf.lock() {
            *leaf = Some(end_entity.as_ref().to_vec());
        }
        self.inner
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }

    fn requires_raw_public_keys(&self) -> bool {
        self.inner.requires_raw_public_keys()
    }
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
