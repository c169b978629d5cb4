//! Regenerates `fixtures/` and the seed corpora under `corpus/` (see README.md):
//!
//! ```text
//! cargo run --manifest-path fuzz/Cargo.toml --example make_corpus
//! ```
//!
//! Certificates come from rcgen; handshake seeds are the bytes real rustls peers exchanged; the
//! STARTTLS seeds are replies as real servers (Postfix, Dovecot, vsftpd, INN, OpenLDAP, Prosody,
//! PostgreSQL, MySQL) send them. `-- starttls` writes only those, leaving the rest untouched.

use std::path::Path;
use std::sync::Arc;

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName};
use rustls::{ClientConfig, ClientConnection, Connection, ServerConfig, ServerConnection};
use tlspin::{Pin, PinnedClientVerifier, PinnedServerVerifier};

type Error = Box<dyn std::error::Error>;

fn params(names: &[&str], common_name: &str) -> Result<CertificateParams, Error> {
    let mut params =
        CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>())?;
    params
        .distinguished_name
        .push(DnType::CommonName, common_name);
    params.not_before = rcgen::date_time_ymd(2024, 1, 1);
    params.not_after = rcgen::date_time_ymd(2034, 1, 1);
    Ok(params)
}

fn write(root: &Path, relative: &str, bytes: impl AsRef<[u8]>) -> Result<(), Error> {
    let path = root.join(relative);
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(path, bytes)?;
    Ok(())
}

fn chain_seed(name: u8, certs: &[&CertificateDer<'_>]) -> Vec<u8> {
    let mut out = vec![name];
    for cert in certs {
        out.extend_from_slice(&(cert.len() as u16).to_be_bytes());
        out.extend_from_slice(cert);
    }
    out
}

/// Runs a handshake in memory and returns (client-to-server, server-to-client) bytes.
fn record(client: ClientConfig, server: ServerConfig) -> Result<(Vec<u8>, Vec<u8>), Error> {
    let name = ServerName::try_from("localhost")?;
    let mut client = Connection::Client(ClientConnection::new(Arc::new(client), name)?);
    let mut server = Connection::Server(ServerConnection::new(Arc::new(server))?);
    let (mut to_server, mut to_client) = (Vec::new(), Vec::new());
    for _ in 0..20 {
        let (mut a, mut b) = (Vec::new(), Vec::new());
        while client.wants_write() {
            client.write_tls(&mut a)?;
        }
        server.read_tls(&mut &a[..])?;
        server.process_new_packets()?;
        while server.wants_write() {
            server.write_tls(&mut b)?;
        }
        client.read_tls(&mut &b[..])?;
        client.process_new_packets()?;
        to_server.extend(a);
        to_client.extend(b);
    }
    if client.is_handshaking() || server.is_handshaking() {
        return Err("handshake did not complete".into());
    }
    Ok((to_server, to_client))
}

/// (target, file, bytes) of the STARTTLS reply parsers' seeds.
const STARTTLS_SEEDS: &[(&str, &str, &[u8])] = &[
    (
        "starttls_code_reply",
        "postfix_greeting",
        b"220 mail.lab ESMTP Postfix (Debian/GNU)\r\n",
    ),
    (
        "starttls_code_reply",
        "postfix_ehlo",
        b"250-mail.lab\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250-VRFY\r\n250-ETRN\r\n\
          250-STARTTLS\r\n250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n250-DSN\r\n\
          250 CHUNKING\r\n",
    ),
    (
        "starttls_code_reply",
        "vsftpd_greeting",
        b"220-Welcome\r\n free text\r\n220 (vsFTPd 3.0.3)\r\n",
    ),
    (
        "starttls_code_reply",
        "inn_starttls",
        b"382 Begin TLS negotiation now\r\n",
    ),
    (
        "starttls_imap",
        "dovecot_greeting",
        b"* OK [CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ STARTTLS \
          LOGINDISABLED] Dovecot (Debian) ready.\r\n",
    ),
    (
        "starttls_imap",
        "dovecot_starttls",
        b"* CAPABILITY IMAP4rev1 STARTTLS\r\nT1 OK Begin TLS negotiation now.\r\n",
    ),
    (
        "starttls_pop3",
        "dovecot_greeting",
        b"+OK Dovecot (Debian) ready.\r\n",
    ),
    (
        "starttls_pop3",
        "refusal",
        b"-ERR [SYS/PERM] TLS not configured\r\n",
    ),
    (
        "starttls_sieve",
        "pigeonhole_greeting",
        b"\"IMPLEMENTATION\" \"Dovecot Pigeonhole\"\r\n\"SIEVE\" \"fileinto reject\"\r\n\
          \"STARTTLS\"\r\n\"VERSION\" \"1.0\"\r\nOK \"Dovecot (Debian) ready.\"\r\n",
    ),
    (
        "starttls_irc",
        "starttls_ok",
        b":irc.lab NOTICE * :*** Looking up your hostname...\r\n:irc.lab 670 * :STARTTLS \
          successful, proceed with TLS handshake\r\n",
    ),
    (
        "starttls_ldap",
        "openldap_success",
        b"\x30\x24\x02\x01\x01\x78\x1f\x0a\x01\x00\x04\x00\x04\x00\x8a\x16\
          1.3.6.1.4.1.1466.20037",
    ),
    (
        "starttls_ldap",
        "long_length",
        b"\x30\x84\x00\x00\x00\x0c\x02\x01\x01\x78\x07\x0a\x01\x02\x04\x00\x04\x00",
    ),
    (
        "starttls_xmpp_features",
        "prosody",
        b"<?xml version='1.0'?><stream:stream xmlns='jabber:client' \
          xmlns:stream='http://etherx.jabber.org/streams' id='5f3c' from='lab' version='1.0'>\
          <stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/>\
          </starttls></stream:features>",
    ),
    (
        "starttls_xmpp_proceed",
        "proceed",
        b"<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>",
    ),
    (
        "starttls_xmpp_proceed",
        "failure",
        b"<failure xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>",
    ),
    ("starttls_postgres", "accepted", b"S"),
    (
        "starttls_postgres",
        "error",
        b"E\x00\x00\x00\x54SFATAL\x00VFATAL\x00C0A000\x00Munsupported frontend protocol \
          1234.5679\x00Fpostmaster.c\x00L2100\x00RProcessStartupPacket\x00\x00",
    ),
    (
        "starttls_mysql",
        "mysql8_greeting",
        b"\x4a\x00\x00\x00\x0a8.0.36\x00\x08\x00\x00\x00abcdefgh\x00\xff\xff\xff\x02\x00\
          \xff\xdf\x15\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00ijklmnopqrst\x00\
          caching_sha2_password\x00",
    ),
    (
        "starttls_mysql",
        "blocked",
        b"\x3f\x00\x00\x00\xff\x69\x04#HY000Host '10.0.0.7' is blocked because of many \
          connection errors",
    ),
];

fn main() -> Result<(), Error> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for (target, file, bytes) in STARTTLS_SEEDS {
        write(root, &format!("corpus/{target}/{file}"), bytes)?;
    }
    if std::env::args().nth(1).as_deref() == Some("starttls") {
        return Ok(());
    }

    let ca_key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)?;
    let mut ca_params = params(&[], "tlspin fuzz CA")?;
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = ca_params.self_signed(&ca_key)?;
    let issuer = Issuer::new(ca_params, ca_key);
    let leaf_key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)?;
    let leaf = params(&["localhost", "127.0.0.1"], "localhost")?.signed_by(&leaf_key, &issuer)?;
    let client_key = KeyPair::generate_for(&rcgen::PKCS_ED25519)?;
    let client = params(&["client"], "client")?.self_signed(&client_key)?;

    write(root, "fixtures/ca.der", ca.der())?;
    write(root, "fixtures/leaf.der", leaf.der())?;
    write(root, "fixtures/leaf.key", leaf_key.serialize_der())?;
    write(root, "fixtures/client.der", client.der())?;
    write(root, "fixtures/client.key", client_key.serialize_der())?;

    let leaf_pin = Pin::from_cert_der(leaf.der())?;
    let client_pin = Pin::from_cert_der(client.der())?;
    let hex: String = leaf_pin
        .as_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let b64 = leaf_pin.to_string().replace("sha256/", "");
    for (i, form) in [
        leaf_pin.to_string(),
        leaf_pin.to_curl_string(),
        format!("pin-sha256=\"{b64}\""),
        format!("SPKI-SHA256-BASE64: {b64}"),
        format!("<key>SPKI-SHA256-BASE64</key><string>{b64}</string>"),
        format!("_443._tcp.localhost. IN TLSA 3 1 1 {hex}"),
        "sha1/TnTBo4Lmr3J9dSm0bOyEfJ7xTls=".to_string(),
    ]
    .iter()
    .enumerate()
    {
        write(root, &format!("corpus/pin_parse/form{i}"), form)?;
    }

    write(root, "corpus/probe_parse/alert", [21, 3, 3, 0, 2, 2, 40])?;
    write(root, "corpus/cert_info/leaf.der", leaf.der())?;
    write(
        root,
        "corpus/cert_info/bundle.pem",
        leaf.pem() + &ca.pem() + &client.pem(),
    )?;
    write(root, "corpus/cert_pin/leaf.der", leaf.der())?;
    write(root, "corpus/cert_pin/ca.der", ca.der())?;
    write(root, "corpus/cert_pin/leaf.pem", leaf.pem() + &ca.pem())?;

    for (i, seed) in [
        chain_seed(0, &[leaf.der(), ca.der()]),
        chain_seed(1, &[leaf.der(), ca.der()]),
        chain_seed(2, &[leaf.der()]),
        chain_seed(0, &[ca.der()]),
        chain_seed(0, &[client.der(), leaf.der()]),
    ]
    .iter()
    .enumerate()
    {
        write(root, &format!("corpus/verify_chain/chain{i}"), seed)?;
    }

    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let server_key = || PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der()));
    let client_key_der =
        || PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(client_key.serialize_der()));
    for (label, version) in [
        ("tls12", &rustls::version::TLS12),
        ("tls13", &rustls::version::TLS13),
    ] {
        let client_builder = || -> Result<_, Error> {
            Ok(ClientConfig::builder_with_provider(provider.clone())
                .with_protocol_versions(&[version])?
                .dangerous()
                .with_custom_certificate_verifier(
                    PinnedServerVerifier::builder(provider.clone())
                        .pin(leaf_pin)
                        .build()?,
                ))
        };
        let server_builder = || -> Result<_, Error> {
            Ok(ServerConfig::builder_with_provider(provider.clone())
                .with_protocol_versions(&[version])?)
        };
        let chain = vec![leaf.der().clone(), ca.der().clone()];

        let (_, to_client) = record(
            client_builder()?.with_no_client_auth(),
            server_builder()?
                .with_no_client_auth()
                .with_single_cert(chain.clone(), server_key())?,
        )?;
        write(
            root,
            &format!("corpus/client_handshake/{label}"),
            &to_client,
        )?;
        write(root, &format!("corpus/probe_parse/{label}"), &to_client)?;

        let (to_server, _) = record(
            client_builder()?
                .with_client_auth_cert(vec![client.der().clone()], client_key_der())?,
            server_builder()?
                .with_client_cert_verifier(
                    PinnedClientVerifier::builder(provider.clone())
                        .pin(client_pin)
                        .build()?,
                )
                .with_single_cert(chain, server_key())?,
        )?;
        write(root, &format!("corpus/server_handshake/{label}"), to_server)?;
    }

    write(
        root,
        "corpus/known_hosts/sample",
        format!(
            "# comment\ndevice.lan:443 {leaf_pin} tofu 2026-01-01T00:00:00Z\n\
             [::1]:8443 {client_pin} webpki 2026-01-02T03:04:05Z\n"
        ),
    )?;
    write(
        root,
        "corpus/pin_config/sample.toml",
        format!(
            "report_only = true\n\n[hosts.\"api.example.com\"]\npins = [\"{leaf_pin}\", \"{}\"]\n\
             expires = 2027-06-30\n\n[hosts.\"**.internal.example\"]\npins = [\"3 1 1 {hex}\"]\n",
            client_pin.to_curl_string()
        ),
    )?;
    println!("wrote fixtures/ and corpus/ under {}", root.display());
    Ok(())
}
