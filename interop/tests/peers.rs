//! tlspin against TLS stacks nobody here wrote: OpenSSL and GnuTLS, as servers (tlspin is the
//! client) and as mTLS clients (tlspin is the server, pinning client certificates).
//!
//! Key types × TLS 1.2/1.3 × the peer's signature algorithms (its defaults, or one allowed
//! scheme), for both providers. Each test prints its matrix as a Markdown table and asserts
//! every cell against the table below it, which was recorded from the real peers (OpenSSL
//! 3.0, GnuTLS 3.7) and checked by hand. The README shows the same tables.

mod common;

use std::io::ErrorKind;
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::contrast::HandWritten;
use common::peers::*;
use common::providers;
use common::record::{RecordingClient, RecordingServer, SchemeLog};
use rustls::client::danger::ServerCertVerifier;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{PrivateKeyDer, ServerName};
use rustls::{ClientConfig, ClientConnection, ServerConfig, ServerConnection, SignatureScheme};
use tlspin::danger::{AcceptAnyServerCert, IgnoreServerName};
use tlspin::{Pin, PinMismatch, PinnedClientVerifier, PinnedServerVerifier, PinnedWebPkiVerifier};

/// The peer configurations: every key type with the peer's default signature algorithms, and
/// restrictions that exercise the corners (a hash that does not match the curve, PKCS#1 in
/// TLS 1.3, SHA-1, RSA-PSS with an `rsaEncryption` key).
const CONFIGS: [(Key, Sigalgs); 12] = [
    (Key::P256, Sigalgs::DEFAULT),
    (
        Key::P256,
        Sigalgs::only(
            "ecdsa_secp384r1_sha384",
            "ecdsa_secp384r1_sha384",
            "+SIGN-ECDSA-SHA384:+SIGN-ECDSA-SECP384R1-SHA384",
            false,
        ),
    ),
    (
        Key::P256,
        Sigalgs::only("ecdsa_sha1", "ECDSA+SHA1", "+SIGN-ECDSA-SHA1", true),
    ),
    (Key::P384, Sigalgs::DEFAULT),
    (Key::P521, Sigalgs::DEFAULT),
    (Key::Ed25519, Sigalgs::DEFAULT),
    (Key::Rsa2048, Sigalgs::DEFAULT),
    (
        Key::Rsa2048,
        Sigalgs::only(
            "rsa_pkcs1_sha256",
            "rsa_pkcs1_sha256",
            "+SIGN-RSA-SHA256",
            false,
        ),
    ),
    (
        Key::Rsa2048,
        Sigalgs::only(
            "rsa_pss_rsae_sha512",
            "rsa_pss_rsae_sha512",
            "+SIGN-RSA-PSS-RSAE-SHA512",
            false,
        ),
    ),
    (
        Key::Rsa2048,
        Sigalgs::only("rsa_pkcs1_sha1", "RSA+SHA1", "+SIGN-RSA-SHA1", true),
    ),
    (Key::RsaPss, Sigalgs::DEFAULT),
    (Key::Ed448, Sigalgs::DEFAULT),
];

/// How a verifier column is built for a server presenting `leaf`.
type VerifierFn = fn(&Arc<CryptoProvider>, &Pki, &Leaf) -> Arc<dyn ServerCertVerifier>;

/// The verifier columns of the client-side matrix.
const VERIFIERS: [(&str, VerifierFn); 4] = [
    ("pinned", |provider, _, leaf| {
        PinnedServerVerifier::builder(provider.clone())
            .pin(leaf.pin)
            .check_server_name(true)
            .build()
            .expect("pinned verifier")
    }),
    ("accept-any", |provider, _, _| {
        AcceptAnyServerCert::new(provider.clone()).expect("accept-any verifier")
    }),
    ("WebPKI (test CA), any name", |provider, pki, _| {
        IgnoreServerName::new(pki.roots(), provider.clone()).expect("WebPKI verifier")
    }),
    ("WebPKI + pins (test CA pinned)", |provider, pki, _| {
        let ca_pin = Pin::from_cert_der(&pki.ca).expect("test CA parses");
        PinnedWebPkiVerifier::builder(pki.roots(), provider.clone())
            .pin(ca_pin)
            .build()
            .expect("WebPKI + pins verifier")
    }),
];

/// The IANA name of a scheme, as OpenSSL and GnuTLS users know it.
fn scheme_name(scheme: SignatureScheme) -> String {
    match scheme {
        SignatureScheme::ECDSA_NISTP256_SHA256 => "ecdsa_secp256r1_sha256".into(),
        SignatureScheme::ECDSA_NISTP384_SHA384 => "ecdsa_secp384r1_sha384".into(),
        SignatureScheme::ECDSA_NISTP521_SHA512 => "ecdsa_secp521r1_sha512".into(),
        SignatureScheme::ECDSA_SHA1_Legacy => "ecdsa_sha1".into(),
        SignatureScheme::ED25519 => "ed25519".into(),
        SignatureScheme::ED448 => "ed448".into(),
        SignatureScheme::RSA_PKCS1_SHA1 => "rsa_pkcs1_sha1".into(),
        SignatureScheme::RSA_PKCS1_SHA256 => "rsa_pkcs1_sha256".into(),
        SignatureScheme::RSA_PKCS1_SHA384 => "rsa_pkcs1_sha384".into(),
        SignatureScheme::RSA_PKCS1_SHA512 => "rsa_pkcs1_sha512".into(),
        SignatureScheme::RSA_PSS_SHA256 => "rsa_pss_rsae_sha256".into(),
        SignatureScheme::RSA_PSS_SHA384 => "rsa_pss_rsae_sha384".into(),
        SignatureScheme::RSA_PSS_SHA512 => "rsa_pss_rsae_sha512".into(),
        other => format!("{other:?}"),
    }
}

/// What one handshake came to: the scheme the peer signed with, or how it failed.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Outcome {
    Ok(Option<SignatureScheme>),
    Failed(String),
}

impl Outcome {
    fn of(result: Result<(), std::io::Error>, log: &SchemeLog) -> Self {
        match result {
            Ok(()) => Outcome::Ok(*log.lock().expect("scheme log")),
            Err(error) => Outcome::Failed(describe(&error)),
        }
    }

    fn cell(&self) -> String {
        match self {
            Outcome::Ok(Some(scheme)) => format!("ok `{}`", scheme_name(*scheme)),
            Outcome::Ok(None) => "ok (no signature checked)".into(),
            Outcome::Failed(why) => why.clone(),
        }
    }
}

/// A short, exact description of a failed handshake.
fn describe(error: &std::io::Error) -> String {
    let Some(rustls) = error
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
    else {
        return format!("connection failed: {:?}", error.kind());
    };
    if PinMismatch::from_rustls(rustls).is_some() {
        return "PinMismatch".into();
    }
    match rustls {
        rustls::Error::AlertReceived(alert) => format!("alert `{alert:?}` received"),
        rustls::Error::PeerMisbehaved(why) => format!("PeerMisbehaved::{why:?}"),
        rustls::Error::PeerIncompatible(why) => format!("PeerIncompatible::{why:?}"),
        // The variant names the problem; its fields (raw OIDs, times) would only clutter a table.
        rustls::Error::InvalidCertificate(why) => {
            let debug = format!("{why:?}");
            let variant = debug.split([' ', '(']).next().unwrap_or_default();
            format!("InvalidCertificate::{variant}")
        }
        rustls::Error::NoCertificatesPresented => "NoCertificatesPresented".into(),
        other => format!("{other:?}"),
    }
}

/// Runs a handshake over `sock` to completion (with I/O timeouts), then closes cleanly.
fn handshake<C, S>(conn: &mut rustls::ConnectionCommon<S>, sock: &mut C) -> std::io::Result<()>
where
    C: std::io::Read + std::io::Write,
    S: rustls::SideData,
{
    while conn.is_handshaking() {
        conn.complete_io(sock)?;
    }
    conn.send_close_notify();
    while conn.wants_write() {
        conn.write_tls(sock)?;
    }
    Ok(())
}

fn with_timeouts(sock: &TcpStream) {
    for result in [
        sock.set_read_timeout(Some(PEER_TIMEOUT)),
        sock.set_write_timeout(Some(PEER_TIMEOUT)),
    ] {
        result.expect("socket timeout");
    }
}

/// tlspin as the client: connects to `port` as `localhost` with `verifier`, only `version`.
fn connect(
    port: u16,
    provider: &Arc<CryptoProvider>,
    version: Tls,
    verifier: Arc<dyn ServerCertVerifier>,
) -> Outcome {
    let log = SchemeLog::default();
    let verifier = Arc::new(RecordingServer {
        inner: verifier,
        log: log.clone(),
    });
    let config = ClientConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(&[version.rustls()])
        .expect("provider supports the version")
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    let mut sock =
        TcpStream::connect_timeout(&(Ipv4Addr::LOCALHOST, port).into(), Duration::from_secs(10))
            .expect("connect to the loopback peer");
    with_timeouts(&sock);
    let name = ServerName::try_from("localhost").expect("name");
    let mut conn = ClientConnection::new(Arc::new(config), name).expect("client connection");
    Outcome::of(handshake(&mut conn, &mut sock), &log)
}

/// Rows of a matrix: the row's label cells and one cell per provider.
type Rows = Vec<(Vec<String>, Vec<String>)>;

fn render(headers: &[&str], rows: &Rows) -> String {
    let mut out = format!("| {} |\n", headers.join(" | "));
    out.push_str(&format!("|{}\n", "---|".repeat(headers.len())));
    for (labels, cells) in rows {
        let all: Vec<&str> = labels.iter().chain(cells).map(String::as_str).collect();
        out.push_str(&format!("| {} |\n", all.join(" | ")));
    }
    out
}

/// Prints `actual` and asserts it equals `expected` row by row, naming every row that differs.
fn assert_table(title: &str, actual: &str, expected: &str) {
    println!("{title}\n\n{actual}");
    let (actual, expected) = (actual.trim(), expected.trim());
    let differences: Vec<String> = actual
        .lines()
        .zip(expected.lines())
        .filter(|(a, e)| a != e)
        .map(|(a, e)| format!("  expected {e}\n  actual   {a}"))
        .collect();
    assert!(
        differences.is_empty() && actual.lines().count() == expected.lines().count(),
        "{title}: {} of {} rows differ from the recorded matrix ({} rows):\n{}",
        differences.len(),
        actual.lines().count(),
        expected.lines().count(),
        differences.join("\n")
    );
}

/// The cell for one provider: the outcome, when every verifier column agrees, or each
/// column's outcome.
fn merge(outcomes: &[(&str, Outcome)]) -> String {
    let first = &outcomes[0].1;
    if outcomes.iter().all(|(_, o)| o == first) {
        first.cell()
    } else {
        outcomes
            .iter()
            .map(|(label, o)| format!("{label}: {}", o.cell()))
            .collect::<Vec<_>>()
            .join("; ")
    }
}

/// Starts each OpenSSL/GnuTLS server configuration once, fills one cell per TLS version and
/// provider with `cell(pki, leaf, port, version, provider)`, prints the table and asserts it.
fn server_matrix(
    title: &str,
    expected: &str,
    cell: impl Fn(&Pki, &Leaf, u16, Tls, &Arc<CryptoProvider>) -> String,
) {
    let pki = Pki::new();
    let mut rows = Rows::new();
    for peer in Peer::ALL {
        for (key, sigalgs) in CONFIGS {
            let leaf = pki.leaf(key);
            let server = PeerServer::start(peer, leaf, sigalgs);
            for version in Tls::ALL {
                let cells = providers()
                    .iter()
                    .map(|(_, provider)| cell(&pki, leaf, server.port, version, provider))
                    .collect();
                rows.push((
                    vec![
                        peer.label(Role::Server).into(),
                        key.label().into(),
                        sigalgs.label.into(),
                        version.label().into(),
                    ],
                    cells,
                ));
            }
        }
    }
    let headers = [
        "server",
        "key",
        "server signs with",
        "TLS",
        "aws-lc-rs",
        "ring",
    ];
    assert_table(title, &render(&headers, &rows), expected);
}

#[test]
fn tlspin_client_against_openssl_and_gnutls_servers() {
    server_matrix(
        "tlspin as the client (pinned, accept-any, WebPKI with a test CA, WebPKI + pins)",
        CLIENT_MATRIX,
        |pki, leaf, port, version, provider| {
            let outcomes: Vec<(&str, Outcome)> = VERIFIERS
                .iter()
                .map(|(label, build)| {
                    let verifier = build(provider, pki, leaf);
                    (*label, connect(port, provider, version, verifier))
                })
                .collect();
            merge(&outcomes)
        },
    );
}

const CLIENT_MATRIX: &str = r#"
| server | key | server signs with | TLS | aws-lc-rs | ring |
|---|---|---|---|---|---|
| openssl s_server | ECDSA P-256 | default | 1.2 | ok `ecdsa_secp384r1_sha384` | ok `ecdsa_secp384r1_sha384` |
| openssl s_server | ECDSA P-256 | default | 1.3 | ok `ecdsa_secp256r1_sha256` | ok `ecdsa_secp256r1_sha256` |
| openssl s_server | ECDSA P-256 | ecdsa_secp384r1_sha384 | 1.2 | ok `ecdsa_secp384r1_sha384` | ok `ecdsa_secp384r1_sha384` |
| openssl s_server | ECDSA P-256 | ecdsa_secp384r1_sha384 | 1.3 | alert `ProtocolVersion` received | alert `ProtocolVersion` received |
| openssl s_server | ECDSA P-256 | ecdsa_sha1 | 1.2 | alert `HandshakeFailure` received | alert `HandshakeFailure` received |
| openssl s_server | ECDSA P-256 | ecdsa_sha1 | 1.3 | alert `ProtocolVersion` received | alert `ProtocolVersion` received |
| openssl s_server | ECDSA P-384 | default | 1.2 | ok `ecdsa_secp384r1_sha384` | ok `ecdsa_secp384r1_sha384` |
| openssl s_server | ECDSA P-384 | default | 1.3 | ok `ecdsa_secp384r1_sha384` | ok `ecdsa_secp384r1_sha384` |
| openssl s_server | ECDSA P-521 | default | 1.2 | alert `HandshakeFailure` received | alert `HandshakeFailure` received |
| openssl s_server | ECDSA P-521 | default | 1.3 | ok `ecdsa_secp521r1_sha512` | alert `HandshakeFailure` received |
| openssl s_server | Ed25519 | default | 1.2 | ok `ed25519` | ok `ed25519` |
| openssl s_server | Ed25519 | default | 1.3 | ok `ed25519` | ok `ed25519` |
| openssl s_server | RSA-2048 | default | 1.2 | ok `rsa_pss_rsae_sha512` | ok `rsa_pss_rsae_sha512` |
| openssl s_server | RSA-2048 | default | 1.3 | ok `rsa_pss_rsae_sha512` | ok `rsa_pss_rsae_sha512` |
| openssl s_server | RSA-2048 | rsa_pkcs1_sha256 | 1.2 | ok `rsa_pkcs1_sha256` | ok `rsa_pkcs1_sha256` |
| openssl s_server | RSA-2048 | rsa_pkcs1_sha256 | 1.3 | alert `HandshakeFailure` received | alert `HandshakeFailure` received |
| openssl s_server | RSA-2048 | rsa_pss_rsae_sha512 | 1.2 | ok `rsa_pss_rsae_sha512` | ok `rsa_pss_rsae_sha512` |
| openssl s_server | RSA-2048 | rsa_pss_rsae_sha512 | 1.3 | ok `rsa_pss_rsae_sha512` | ok `rsa_pss_rsae_sha512` |
| openssl s_server | RSA-2048 | rsa_pkcs1_sha1 | 1.2 | alert `HandshakeFailure` received | alert `HandshakeFailure` received |
| openssl s_server | RSA-2048 | rsa_pkcs1_sha1 | 1.3 | alert `HandshakeFailure` received | alert `HandshakeFailure` received |
| openssl s_server | RSA-PSS-2048 | default | 1.2 | alert `HandshakeFailure` received | alert `HandshakeFailure` received |
| openssl s_server | RSA-PSS-2048 | default | 1.3 | alert `HandshakeFailure` received | alert `HandshakeFailure` received |
| openssl s_server | Ed448 | default | 1.2 | alert `HandshakeFailure` received | alert `HandshakeFailure` received |
| openssl s_server | Ed448 | default | 1.3 | alert `HandshakeFailure` received | alert `HandshakeFailure` received |
| gnutls-serv | ECDSA P-256 | default | 1.2 | ok `ecdsa_secp384r1_sha384` | ok `ecdsa_secp384r1_sha384` |
| gnutls-serv | ECDSA P-256 | default | 1.3 | ok `ecdsa_secp256r1_sha256` | ok `ecdsa_secp256r1_sha256` |
| gnutls-serv | ECDSA P-256 | ecdsa_secp384r1_sha384 | 1.2 | ok `ecdsa_secp384r1_sha384` | ok `ecdsa_secp384r1_sha384` |
| gnutls-serv | ECDSA P-256 | ecdsa_secp384r1_sha384 | 1.3 | alert `HandshakeFailure` received | alert `HandshakeFailure` received |
| gnutls-serv | ECDSA P-256 | ecdsa_sha1 | 1.2 | alert `HandshakeFailure` received | alert `HandshakeFailure` received |
| gnutls-serv | ECDSA P-256 | ecdsa_sha1 | 1.3 | alert `HandshakeFailure` received | alert `HandshakeFailure` received |
| gnutls-serv | ECDSA P-384 | default | 1.2 | ok `ecdsa_secp384r1_sha384` | ok `ecdsa_secp384r1_sha384` |
| gnutls-serv | ECDSA P-384 | default | 1.3 | ok `ecdsa_secp384r1_sha384` | ok `ecdsa_secp384r1_sha384` |
| gnutls-serv | ECDSA P-521 | default | 1.2 | ok `ecdsa_secp384r1_sha384` | InvalidCertificate::UnsupportedSignatureAlgorithmForPublicKeyContext |
| gnutls-serv | ECDSA P-521 | default | 1.3 | ok `ecdsa_secp521r1_sha512` | alert `HandshakeFailure` received |
| gnutls-serv | Ed25519 | default | 1.2 | ok `ed25519` | ok `ed25519` |
| gnutls-serv | Ed25519 | default | 1.3 | ok `ed25519` | ok `ed25519` |
| gnutls-serv | RSA-2048 | default | 1.2 | ok `rsa_pss_rsae_sha512` | ok `rsa_pss_rsae_sha512` |
| gnutls-serv | RSA-2048 | default | 1.3 | ok `rsa_pss_rsae_sha512` | ok `rsa_pss_rsae_sha512` |
| gnutls-serv | RSA-2048 | rsa_pkcs1_sha256 | 1.2 | ok `rsa_pkcs1_sha256` | ok `rsa_pkcs1_sha256` |
| gnutls-serv | RSA-2048 | rsa_pkcs1_sha256 | 1.3 | alert `HandshakeFailure` received | alert `HandshakeFailure` received |
| gnutls-serv | RSA-2048 | rsa_pss_rsae_sha512 | 1.2 | ok `rsa_pss_rsae_sha512` | ok `rsa_pss_rsae_sha512` |
| gnutls-serv | RSA-2048 | rsa_pss_rsae_sha512 | 1.3 | ok `rsa_pss_rsae_sha512` | ok `rsa_pss_rsae_sha512` |
| gnutls-serv | RSA-2048 | rsa_pkcs1_sha1 | 1.2 | alert `HandshakeFailure` received | alert `HandshakeFailure` received |
| gnutls-serv | RSA-2048 | rsa_pkcs1_sha1 | 1.3 | alert `HandshakeFailure` received | alert `HandshakeFailure` received |
| gnutls-serv | RSA-PSS-2048 | default | 1.2 | alert `HandshakeFailure` received | alert `HandshakeFailure` received |
| gnutls-serv | RSA-PSS-2048 | default | 1.3 | alert `HandshakeFailure` received | alert `HandshakeFailure` received |
| gnutls-serv | Ed448 | default | 1.2 | alert `HandshakeFailure` received | alert `HandshakeFailure` received |
| gnutls-serv | Ed448 | default | 1.3 | alert `HandshakeFailure` received | alert `HandshakeFailure` received |
"#;

/// What a verifier with a hand-written scheme list does in a cell, compared with tlspin's
/// verifier with the same certificate policy (accept-any).
fn verdict(provider: &CryptoProvider, tlspin: &Outcome, listed: &Outcome) -> String {
    let verifiable = provider
        .signature_verification_algorithms
        .supported_schemes();
    match (tlspin, listed) {
        (t, l) if t == l => "same".into(),
        (_, Outcome::Ok(Some(scheme))) if !verifiable.contains(scheme) => format!(
            "**unsafe**: accepts `{}`, which this provider cannot verify",
            scheme_name(*scheme)
        ),
        (Outcome::Ok(_), Outcome::Ok(Some(scheme))) => {
            format!("ok, server signs with `{}`", scheme_name(*scheme))
        }
        (Outcome::Ok(_), Outcome::Failed(why)) => format!("**breaks**: {why}"),
        (Outcome::Failed(clean), Outcome::Failed(why)) => {
            format!("**breaks**: {why} instead of {clean}")
        }
        (t, l) => format!("differs: tlspin {}, list {}", t.cell(), l.cell()),
    }
}

/// Issue #5, part 3: the client matrix again with reqwest 0.12's `NoVerifier` list (13 schemes,
/// SHA-1 first, Ed448 last, no signature checked) beside tlspin's accept-any verifier.
#[test]
fn reqwest_0_12_scheme_list_against_the_same_servers() {
    server_matrix(
        "reqwest 0.12's scheme list compared with tlspin (accept-any)",
        REQWEST_LIST_MATRIX,
        |_, _, port, version, provider| {
            let tlspin = AcceptAnyServerCert::new(provider.clone()).expect("accept-any verifier");
            let tlspin = connect(port, provider, version, tlspin);
            let listed = connect(port, provider, version, Arc::new(HandWritten::reqwest()));
            verdict(provider, &tlspin, &listed)
        },
    );
}

const REQWEST_LIST_MATRIX: &str = r#"
| server | key | server signs with | TLS | aws-lc-rs | ring |
|---|---|---|---|---|---|
| openssl s_server | ECDSA P-256 | default | 1.2 | ok, server signs with `ecdsa_secp256r1_sha256` | ok, server signs with `ecdsa_secp256r1_sha256` |
| openssl s_server | ECDSA P-256 | default | 1.3 | same | same |
| openssl s_server | ECDSA P-256 | ecdsa_secp384r1_sha384 | 1.2 | same | same |
| openssl s_server | ECDSA P-256 | ecdsa_secp384r1_sha384 | 1.3 | same | same |
| openssl s_server | ECDSA P-256 | ecdsa_sha1 | 1.2 | **unsafe**: accepts `ecdsa_sha1`, which this provider cannot verify | **unsafe**: accepts `ecdsa_sha1`, which this provider cannot verify |
| openssl s_server | ECDSA P-256 | ecdsa_sha1 | 1.3 | same | same |
| openssl s_server | ECDSA P-384 | default | 1.2 | ok, server signs with `ecdsa_secp256r1_sha256` | ok, server signs with `ecdsa_secp256r1_sha256` |
| openssl s_server | ECDSA P-384 | default | 1.3 | same | same |
| openssl s_server | ECDSA P-521 | default | 1.2 | same | same |
| openssl s_server | ECDSA P-521 | default | 1.3 | same | **unsafe**: accepts `ecdsa_secp521r1_sha512`, which this provider cannot verify |
| openssl s_server | Ed25519 | default | 1.2 | same | same |
| openssl s_server | Ed25519 | default | 1.3 | same | same |
| openssl s_server | RSA-2048 | default | 1.2 | ok, server signs with `rsa_pkcs1_sha256` | ok, server signs with `rsa_pkcs1_sha256` |
| openssl s_server | RSA-2048 | default | 1.3 | ok, server signs with `rsa_pss_rsae_sha256` | ok, server signs with `rsa_pss_rsae_sha256` |
| openssl s_server | RSA-2048 | rsa_pkcs1_sha256 | 1.2 | same | same |
| openssl s_server | RSA-2048 | rsa_pkcs1_sha256 | 1.3 | same | same |
| openssl s_server | RSA-2048 | rsa_pss_rsae_sha512 | 1.2 | same | same |
| openssl s_server | RSA-2048 | rsa_pss_rsae_sha512 | 1.3 | same | same |
| openssl s_server | RSA-2048 | rsa_pkcs1_sha1 | 1.2 | **unsafe**: accepts `rsa_pkcs1_sha1`, which this provider cannot verify | **unsafe**: accepts `rsa_pkcs1_sha1`, which this provider cannot verify |
| openssl s_server | RSA-2048 | rsa_pkcs1_sha1 | 1.3 | same | same |
| openssl s_server | RSA-PSS-2048 | default | 1.2 | same | same |
| openssl s_server | RSA-PSS-2048 | default | 1.3 | same | same |
| openssl s_server | Ed448 | default | 1.2 | **breaks**: PeerMisbehaved::SignedKxWithWrongAlgorithm instead of alert `HandshakeFailure` received | **breaks**: PeerMisbehaved::SignedKxWithWrongAlgorithm instead of alert `HandshakeFailure` received |
| openssl s_server | Ed448 | default | 1.3 | **unsafe**: accepts `ed448`, which this provider cannot verify | **unsafe**: accepts `ed448`, which this provider cannot verify |
| gnutls-serv | ECDSA P-256 | default | 1.2 | **unsafe**: accepts `ecdsa_sha1`, which this provider cannot verify | **unsafe**: accepts `ecdsa_sha1`, which this provider cannot verify |
| gnutls-serv | ECDSA P-256 | default | 1.3 | same | same |
| gnutls-serv | ECDSA P-256 | ecdsa_secp384r1_sha384 | 1.2 | same | same |
| gnutls-serv | ECDSA P-256 | ecdsa_secp384r1_sha384 | 1.3 | same | same |
| gnutls-serv | ECDSA P-256 | ecdsa_sha1 | 1.2 | **unsafe**: accepts `ecdsa_sha1`, which this provider cannot verify | **unsafe**: accepts `ecdsa_sha1`, which this provider cannot verify |
| gnutls-serv | ECDSA P-256 | ecdsa_sha1 | 1.3 | same | same |
| gnutls-serv | ECDSA P-384 | default | 1.2 | **unsafe**: accepts `ecdsa_sha1`, which this provider cannot verify | **unsafe**: accepts `ecdsa_sha1`, which this provider cannot verify |
| gnutls-serv | ECDSA P-384 | default | 1.3 | same | same |
| gnutls-serv | ECDSA P-521 | default | 1.2 | **unsafe**: accepts `ecdsa_sha1`, which this provider cannot verify | **unsafe**: accepts `ecdsa_sha1`, which this provider cannot verify |
| gnutls-serv | ECDSA P-521 | default | 1.3 | same | **unsafe**: accepts `ecdsa_secp521r1_sha512`, which this provider cannot verify |
| gnutls-serv | Ed25519 | default | 1.2 | same | same |
| gnutls-serv | Ed25519 | default | 1.3 | same | same |
| gnutls-serv | RSA-2048 | default | 1.2 | **unsafe**: accepts `rsa_pkcs1_sha1`, which this provider cannot verify | **unsafe**: accepts `rsa_pkcs1_sha1`, which this provider cannot verify |
| gnutls-serv | RSA-2048 | default | 1.3 | ok, server signs with `rsa_pss_rsae_sha256` | ok, server signs with `rsa_pss_rsae_sha256` |
| gnutls-serv | RSA-2048 | rsa_pkcs1_sha256 | 1.2 | same | same |
| gnutls-serv | RSA-2048 | rsa_pkcs1_sha256 | 1.3 | same | same |
| gnutls-serv | RSA-2048 | rsa_pss_rsae_sha512 | 1.2 | same | same |
| gnutls-serv | RSA-2048 | rsa_pss_rsae_sha512 | 1.3 | same | same |
| gnutls-serv | RSA-2048 | rsa_pkcs1_sha1 | 1.2 | **unsafe**: accepts `rsa_pkcs1_sha1`, which this provider cannot verify | **unsafe**: accepts `rsa_pkcs1_sha1`, which this provider cannot verify |
| gnutls-serv | RSA-2048 | rsa_pkcs1_sha1 | 1.3 | same | same |
| gnutls-serv | RSA-PSS-2048 | default | 1.2 | same | same |
| gnutls-serv | RSA-PSS-2048 | default | 1.3 | same | same |
| gnutls-serv | Ed448 | default | 1.2 | **breaks**: PeerMisbehaved::SignedKxWithWrongAlgorithm instead of alert `HandshakeFailure` received | **breaks**: PeerMisbehaved::SignedKxWithWrongAlgorithm instead of alert `HandshakeFailure` received |
| gnutls-serv | Ed448 | default | 1.3 | **unsafe**: accepts `ed448`, which this provider cannot verify | **unsafe**: accepts `ed448`, which this provider cannot verify |
"#;

/// Accepts one connection on `listener` (waiting at most [`PEER_TIMEOUT`]).
fn accept(listener: &TcpListener) -> Option<TcpStream> {
    let deadline = Instant::now() + PEER_TIMEOUT;
    loop {
        match listener.accept() {
            Ok((sock, _)) => {
                sock.set_nonblocking(false).expect("blocking socket");
                return Some(sock);
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock && Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(2));
            }
            Err(_) => return None,
        }
    }
}

/// A tlspin mTLS server on a loopback port: presents `cert`, requires a client certificate
/// whose key has one of `pins`, and records the scheme the client signed with.
struct MtlsServer {
    listener: TcpListener,
    config: Arc<ServerConfig>,
    log: SchemeLog,
}

impl MtlsServer {
    fn new(
        provider: &Arc<CryptoProvider>,
        cert: &Leaf,
        pins: impl IntoIterator<Item = tlspin::Pin>,
    ) -> Self {
        let log = SchemeLog::default();
        let verifier = PinnedClientVerifier::builder(provider.clone())
            .pins(pins)
            .build()
            .expect("pinned client verifier");
        let verifier = Arc::new(RecordingClient {
            inner: verifier,
            log: log.clone(),
        });
        let key = provider
            .key_provider
            .load_private_key(
                PrivateKeyDer::from_pem_file(&cert.key).expect("openssl wrote a PKCS#8 key"),
            )
            .expect("the provider loads the server key");
        let certified = rustls::sign::CertifiedKey::new(vec![cert.der.clone()], key);
        let config = ServerConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .expect("versions")
            .with_client_cert_verifier(verifier)
            .with_cert_resolver(Arc::new(rustls::sign::SingleCertAndKey::from(certified)));
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind loopback");
        listener.set_nonblocking(true).expect("non-blocking accept");
        Self {
            listener,
            config: Arc::new(config),
            log,
        }
    }

    /// Runs `peer` as a client against this server and returns the server's outcome.
    fn serve(&self, peer: Peer, leaf: &Leaf, sigalgs: Sigalgs, version: Tls) -> Outcome {
        *self.log.lock().expect("scheme log") = None;
        let port = self.listener.local_addr().expect("address").port();
        let client = spawn_client(peer, port, leaf, sigalgs, version);
        let Some(mut sock) = accept(&self.listener) else {
            let stderr = finish_client(client);
            panic!("{peer:?} client never connected: {stderr}");
        };
        with_timeouts(&sock);
        let mut conn = ServerConnection::new(self.config.clone()).expect("server connection");
        let outcome = Outcome::of(handshake(&mut conn, &mut sock), &self.log);
        drop(sock);
        finish_client(client);
        outcome
    }
}

#[test]
fn tlspin_mtls_server_against_openssl_and_gnutls_clients() {
    let pki = Pki::new();
    // Ed25519, which every restricted client below still accepts (see `spawn_client`).
    let server_cert = pki.leaf(Key::Ed25519);
    // Per provider: a server pinning every client key of the PKI, and one pinning another key.
    let servers: Vec<(MtlsServer, MtlsServer)> = providers()
        .iter()
        .map(|(_, provider)| {
            let pins = Key::ALL.map(|key| pki.leaf(key).pin);
            (
                MtlsServer::new(provider, server_cert, pins),
                MtlsServer::new(provider, server_cert, [common::wrong_pin()]),
            )
        })
        .collect();
    let mut rows = Rows::new();
    for peer in Peer::ALL {
        for (key, sigalgs) in CONFIGS {
            let leaf = pki.leaf(key);
            for version in Tls::ALL {
                let cells = servers
                    .iter()
                    .map(|(pinned, wrong)| {
                        let pinned = pinned.serve(peer, leaf, sigalgs, version);
                        let wrong = wrong.serve(peer, leaf, sigalgs, version);
                        format!("{}; wrong pin: {}", pinned.cell(), wrong.cell())
                    })
                    .collect();
                rows.push((
                    vec![
                        peer.label(Role::Client).into(),
                        key.label().into(),
                        sigalgs.label.into(),
                        version.label().into(),
                    ],
                    cells,
                ));
            }
        }
    }
    let table = render(
        &[
            "client",
            "key",
            "client signs with",
            "TLS",
            "aws-lc-rs",
            "ring",
        ],
        &rows,
    );
    assert_table(
        "tlspin as the mTLS server (pinned client certificates)",
        &table,
        SERVER_MATRIX,
    );
}

const SERVER_MATRIX: &str = r#"
| client | key | client signs with | TLS | aws-lc-rs | ring |
|---|---|---|---|---|---|
| openssl s_client | ECDSA P-256 | default | 1.2 | ok `ecdsa_secp384r1_sha384`; wrong pin: PinMismatch | ok `ecdsa_secp384r1_sha384`; wrong pin: PinMismatch |
| openssl s_client | ECDSA P-256 | default | 1.3 | ok `ecdsa_secp256r1_sha256`; wrong pin: PinMismatch | ok `ecdsa_secp256r1_sha256`; wrong pin: PinMismatch |
| openssl s_client | ECDSA P-256 | ecdsa_secp384r1_sha384 | 1.2 | ok `ecdsa_secp384r1_sha384`; wrong pin: PinMismatch | ok `ecdsa_secp384r1_sha384`; wrong pin: PinMismatch |
| openssl s_client | ECDSA P-256 | ecdsa_secp384r1_sha384 | 1.3 | NoCertificatesPresented; wrong pin: NoCertificatesPresented | NoCertificatesPresented; wrong pin: NoCertificatesPresented |
| openssl s_client | ECDSA P-256 | ecdsa_sha1 | 1.2 | NoCertificatesPresented; wrong pin: NoCertificatesPresented | NoCertificatesPresented; wrong pin: NoCertificatesPresented |
| openssl s_client | ECDSA P-256 | ecdsa_sha1 | 1.3 | NoCertificatesPresented; wrong pin: NoCertificatesPresented | NoCertificatesPresented; wrong pin: NoCertificatesPresented |
| openssl s_client | ECDSA P-384 | default | 1.2 | ok `ecdsa_secp384r1_sha384`; wrong pin: PinMismatch | ok `ecdsa_secp384r1_sha384`; wrong pin: PinMismatch |
| openssl s_client | ECDSA P-384 | default | 1.3 | ok `ecdsa_secp384r1_sha384`; wrong pin: PinMismatch | ok `ecdsa_secp384r1_sha384`; wrong pin: PinMismatch |
| openssl s_client | ECDSA P-521 | default | 1.2 | ok `ecdsa_secp384r1_sha384`; wrong pin: PinMismatch | InvalidCertificate::UnsupportedSignatureAlgorithmForPublicKeyContext; wrong pin: PinMismatch |
| openssl s_client | ECDSA P-521 | default | 1.3 | ok `ecdsa_secp521r1_sha512`; wrong pin: PinMismatch | NoCertificatesPresented; wrong pin: NoCertificatesPresented |
| openssl s_client | Ed25519 | default | 1.2 | ok `ed25519`; wrong pin: PinMismatch | ok `ed25519`; wrong pin: PinMismatch |
| openssl s_client | Ed25519 | default | 1.3 | ok `ed25519`; wrong pin: PinMismatch | ok `ed25519`; wrong pin: PinMismatch |
| openssl s_client | RSA-2048 | default | 1.2 | ok `rsa_pss_rsae_sha512`; wrong pin: PinMismatch | ok `rsa_pss_rsae_sha512`; wrong pin: PinMismatch |
| openssl s_client | RSA-2048 | default | 1.3 | ok `rsa_pss_rsae_sha512`; wrong pin: PinMismatch | ok `rsa_pss_rsae_sha512`; wrong pin: PinMismatch |
| openssl s_client | RSA-2048 | rsa_pkcs1_sha256 | 1.2 | ok `rsa_pkcs1_sha256`; wrong pin: PinMismatch | ok `rsa_pkcs1_sha256`; wrong pin: PinMismatch |
| openssl s_client | RSA-2048 | rsa_pkcs1_sha256 | 1.3 | NoCertificatesPresented; wrong pin: NoCertificatesPresented | NoCertificatesPresented; wrong pin: NoCertificatesPresented |
| openssl s_client | RSA-2048 | rsa_pss_rsae_sha512 | 1.2 | ok `rsa_pss_rsae_sha512`; wrong pin: PinMismatch | ok `rsa_pss_rsae_sha512`; wrong pin: PinMismatch |
| openssl s_client | RSA-2048 | rsa_pss_rsae_sha512 | 1.3 | ok `rsa_pss_rsae_sha512`; wrong pin: PinMismatch | ok `rsa_pss_rsae_sha512`; wrong pin: PinMismatch |
| openssl s_client | RSA-2048 | rsa_pkcs1_sha1 | 1.2 | NoCertificatesPresented; wrong pin: NoCertificatesPresented | NoCertificatesPresented; wrong pin: NoCertificatesPresented |
| openssl s_client | RSA-2048 | rsa_pkcs1_sha1 | 1.3 | NoCertificatesPresented; wrong pin: NoCertificatesPresented | NoCertificatesPresented; wrong pin: NoCertificatesPresented |
| openssl s_client | RSA-PSS-2048 | default | 1.2 | NoCertificatesPresented; wrong pin: NoCertificatesPresented | NoCertificatesPresented; wrong pin: NoCertificatesPresented |
| openssl s_client | RSA-PSS-2048 | default | 1.3 | NoCertificatesPresented; wrong pin: NoCertificatesPresented | NoCertificatesPresented; wrong pin: NoCertificatesPresented |
| openssl s_client | Ed448 | default | 1.2 | NoCertificatesPresented; wrong pin: NoCertificatesPresented | NoCertificatesPresented; wrong pin: NoCertificatesPresented |
| openssl s_client | Ed448 | default | 1.3 | NoCertificatesPresented; wrong pin: NoCertificatesPresented | NoCertificatesPresented; wrong pin: NoCertificatesPresented |
| gnutls-cli | ECDSA P-256 | default | 1.2 | ok `ecdsa_secp384r1_sha384`; wrong pin: PinMismatch | ok `ecdsa_secp384r1_sha384`; wrong pin: PinMismatch |
| gnutls-cli | ECDSA P-256 | default | 1.3 | ok `ecdsa_secp256r1_sha256`; wrong pin: PinMismatch | ok `ecdsa_secp256r1_sha256`; wrong pin: PinMismatch |
| gnutls-cli | ECDSA P-256 | ecdsa_secp384r1_sha384 | 1.2 | ok `ecdsa_secp384r1_sha384`; wrong pin: PinMismatch | ok `ecdsa_secp384r1_sha384`; wrong pin: PinMismatch |
| gnutls-cli | ECDSA P-256 | ecdsa_secp384r1_sha384 | 1.3 | NoCertificatesPresented; wrong pin: NoCertificatesPresented | NoCertificatesPresented; wrong pin: NoCertificatesPresented |
| gnutls-cli | ECDSA P-256 | ecdsa_sha1 | 1.2 | alert `HandshakeFailure` received; wrong pin: alert `HandshakeFailure` received | alert `HandshakeFailure` received; wrong pin: alert `HandshakeFailure` received |
| gnutls-cli | ECDSA P-256 | ecdsa_sha1 | 1.3 | NoCertificatesPresented; wrong pin: NoCertificatesPresented | NoCertificatesPresented; wrong pin: NoCertificatesPresented |
| gnutls-cli | ECDSA P-384 | default | 1.2 | ok `ecdsa_secp384r1_sha384`; wrong pin: PinMismatch | ok `ecdsa_secp384r1_sha384`; wrong pin: PinMismatch |
| gnutls-cli | ECDSA P-384 | default | 1.3 | ok `ecdsa_secp384r1_sha384`; wrong pin: PinMismatch | ok `ecdsa_secp384r1_sha384`; wrong pin: PinMismatch |
| gnutls-cli | ECDSA P-521 | default | 1.2 | ok `ecdsa_secp384r1_sha384`; wrong pin: PinMismatch | InvalidCertificate::UnsupportedSignatureAlgorithmForPublicKeyContext; wrong pin: PinMismatch |
| gnutls-cli | ECDSA P-521 | default | 1.3 | ok `ecdsa_secp521r1_sha512`; wrong pin: PinMismatch | NoCertificatesPresented; wrong pin: NoCertificatesPresented |
| gnutls-cli | Ed25519 | default | 1.2 | ok `ed25519`; wrong pin: PinMismatch | ok `ed25519`; wrong pin: PinMismatch |
| gnutls-cli | Ed25519 | default | 1.3 | ok `ed25519`; wrong pin: PinMismatch | ok `ed25519`; wrong pin: PinMismatch |
| gnutls-cli | RSA-2048 | default | 1.2 | ok `rsa_pss_rsae_sha512`; wrong pin: PinMismatch | ok `rsa_pss_rsae_sha512`; wrong pin: PinMismatch |
| gnutls-cli | RSA-2048 | default | 1.3 | ok `rsa_pss_rsae_sha512`; wrong pin: PinMismatch | ok `rsa_pss_rsae_sha512`; wrong pin: PinMismatch |
| gnutls-cli | RSA-2048 | rsa_pkcs1_sha256 | 1.2 | ok `rsa_pkcs1_sha256`; wrong pin: PinMismatch | ok `rsa_pkcs1_sha256`; wrong pin: PinMismatch |
| gnutls-cli | RSA-2048 | rsa_pkcs1_sha256 | 1.3 | NoCertificatesPresented; wrong pin: NoCertificatesPresented | NoCertificatesPresented; wrong pin: NoCertificatesPresented |
| gnutls-cli | RSA-2048 | rsa_pss_rsae_sha512 | 1.2 | ok `rsa_pss_rsae_sha512`; wrong pin: PinMismatch | ok `rsa_pss_rsae_sha512`; wrong pin: PinMismatch |
| gnutls-cli | RSA-2048 | rsa_pss_rsae_sha512 | 1.3 | ok `rsa_pss_rsae_sha512`; wrong pin: PinMismatch | ok `rsa_pss_rsae_sha512`; wrong pin: PinMismatch |
| gnutls-cli | RSA-2048 | rsa_pkcs1_sha1 | 1.2 | alert `HandshakeFailure` received; wrong pin: alert `HandshakeFailure` received | alert `HandshakeFailure` received; wrong pin: alert `HandshakeFailure` received |
| gnutls-cli | RSA-2048 | rsa_pkcs1_sha1 | 1.3 | NoCertificatesPresented; wrong pin: NoCertificatesPresented | NoCertificatesPresented; wrong pin: NoCertificatesPresented |
| gnutls-cli | RSA-PSS-2048 | default | 1.2 | alert `HandshakeFailure` received; wrong pin: alert `HandshakeFailure` received | alert `HandshakeFailure` received; wrong pin: alert `HandshakeFailure` received |
| gnutls-cli | RSA-PSS-2048 | default | 1.3 | NoCertificatesPresented; wrong pin: NoCertificatesPresented | NoCertificatesPresented; wrong pin: NoCertificatesPresented |
| gnutls-cli | Ed448 | default | 1.2 | alert `HandshakeFailure` received; wrong pin: alert `HandshakeFailure` received | alert `HandshakeFailure` received; wrong pin: alert `HandshakeFailure` received |
| gnutls-cli | Ed448 | default | 1.3 | NoCertificatesPresented; wrong pin: NoCertificatesPresented | NoCertificatesPresented; wrong pin: NoCertificatesPresented |
"#;

/// The seed bug in today's reqwest: reqwest 0.13's own `tls_danger_accept_invalid_certs(true)`
/// verifier advertises a hand-written scheme list including Ed448, which neither the provider
/// nor any TLS 1.2 cipher suite can use, so `openssl s_server -tls1_2` with an Ed448 certificate
/// signs with it and rustls ends the handshake with `PeerMisbehaved(SignedKxWithWrongAlgorithm)`. tlspin's `AcceptAnyServerCert`, given to
/// the same reqwest with `tls_backend_preconfigured`, advertises only what the provider
/// verifies and gets the server's clean `handshake_failure` alert. The day reqwest changes, this
/// test says so.
#[test]
fn reqwest_0_13_accept_invalid_certs_against_an_ed448_tls12_server() {
    let pki = Pki::new();
    let server = PeerServer::start(Peer::OpenSsl, pki.leaf(Key::Ed448), Sigalgs::DEFAULT);
    let url = format!("https://127.0.0.1:{}/", server.port);

    let reqwests_own = reqwest::blocking::Client::builder()
        .tls_danger_accept_invalid_certs(true)
        .tls_version_max(reqwest::tls::Version::TLS_1_2)
        .no_proxy()
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap();
    let error = reqwests_own.get(&url).send().unwrap_err();
    assert_eq!(
        tlspin_interop::rustls_error(&error),
        Some(&rustls::Error::PeerMisbehaved(
            rustls::PeerMisbehaved::SignedKxWithWrongAlgorithm
        )),
        "{error:?}"
    );

    for (name, provider) in providers() {
        let config = ClientConfig::builder_with_provider(provider.clone())
            .with_protocol_versions(&[&rustls::version::TLS12])
            .unwrap()
            .dangerous()
            .with_custom_certificate_verifier(AcceptAnyServerCert::new(provider).unwrap())
            .with_no_client_auth();
        let client = tlspin_interop::reqwest_client::blocking_client(config).unwrap();
        let error = client.get(&url).send().unwrap_err();
        assert_eq!(
            tlspin_interop::rustls_error(&error),
            Some(&rustls::Error::AlertReceived(
                rustls::AlertDescription::HandshakeFailure
            )),
            "{name}: {error:?}"
        );
    }
}
