//! tlspin's fuzz targets, as plain functions over `&[u8]`.
//!
//! Each `fuzz_targets/<name>.rs` calls the function of the same name; `cargo test --lib` (stable)
//! replays every file of `corpus/<name>/` through it. Besides "no panic", targets assert
//! properties that must hold for every input: pins round-trip, tlspin's pin of a certificate is
//! the SPKI webpki sees, and no WebPKI-based tlspin verifier accepts a chain rustls' own verifier
//! rejects.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use rustls::client::danger::ServerCertVerifier;
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::server::danger::ClientCertVerifier;
use rustls::server::ParsedCertificate;
use rustls::{
    ClientConfig, ClientConnection, Connection, RootCertStore, ServerConfig, ServerConnection,
};
use tlspin::danger::{AcceptAnyServerCert, IgnoreServerName};
use tlspin::{
    host_pins::HostPinSet, host_pins::HostPinnedVerifier, host_pins::PinConfig,
    raw_keys::PinnedRawKeyServerVerifier, tofu::KnownHosts, Pin, PinnedClientVerifier,
    PinnedServerVerifier, PinnedWebPkiVerifier, SelfSignedVerifier,
};

/// Pin syntax: whatever parses must print and re-parse to the same pin, in both forms.
pub fn pin_parse(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(pin) = text.parse::<Pin>() {
        assert_eq!(pin.to_string().parse::<Pin>().ok(), Some(pin), "{text:?}");
        assert_eq!(
            pin.to_curl_string().parse::<Pin>().ok(),
            Some(pin),
            "{text:?}"
        );
    }
}

/// Certificate loading and pin computation, from DER and from PEM. Wherever webpki can parse a
/// certificate, tlspin's pin must be the hash of the SPKI webpki sees.
pub fn cert_pin(data: &[u8]) {
    check_cert_pin(&CertificateDer::from(data));
    if let Ok(certs) = tlspin::certs_from_pem(data) {
        for cert in &certs {
            check_cert_pin(cert);
        }
    }
}

fn check_cert_pin(cert: &CertificateDer<'_>) {
    let ours = Pin::from_cert_der(cert);
    if let Ok(parsed) = ParsedCertificate::try_from(cert) {
        let spki = parsed.subject_public_key_info();
        assert_eq!(
            ours.ok(),
            Some(Pin::from(&spki)),
            "pin differs from webpki's SPKI"
        );
    }
}

/// Every server and client verifier on an arbitrary chain (first byte: server name; then
/// certificates as 16-bit big-endian length + DER).
pub fn verify_chain(data: &[u8]) {
    let Some((&name, rest)) = data.split_first() else {
        return;
    };
    let chain = split_chain(rest);
    let Some((leaf, intermediates)) = chain.split_first() else {
        return;
    };
    let server_name = match name % 3 {
        0 => ServerName::try_from("localhost"),
        1 => ServerName::try_from("other.example"),
        _ => ServerName::try_from("127.0.0.1"),
    }
    .expect("valid name");
    let now = fixtures().now;
    for verifiers in &fixtures().verifiers {
        let verdict = |verifier: &dyn ServerCertVerifier| {
            verifier
                .verify_server_cert(leaf, intermediates, &server_name, &[], now)
                .is_ok()
        };
        let stock = verdict(verifiers.stock.as_ref());
        for (name, verifier) in &verifiers.webpki_based {
            assert!(
                !verdict(verifier.as_ref()) || stock,
                "{name} accepted what rustls rejects"
            );
        }
        let ignore_name =
            verifiers
                .ignore_name
                .verify_server_cert(leaf, intermediates, &server_name, &[], now);
        if stock {
            assert!(
                ignore_name.is_ok(),
                "IgnoreServerName rejected a chain rustls accepts"
            );
        }
        if verdict(verifiers.pinned.as_ref()) {
            assert_eq!(Pin::from_cert_der(leaf).ok(), Some(fixtures().leaf_pin));
        }
        for verifier in [&verifiers.accept_any, &verifiers.raw_key] {
            let _ = verdict(verifier.as_ref());
        }
        let _ = verifiers
            .client
            .verify_client_cert(leaf, intermediates, now);
    }
}

/// A tlspin-pinned client fed arbitrary bytes as the server's side of a handshake.
pub fn client_handshake(data: &[u8]) {
    let fixtures = fixtures();
    for config in &fixtures.clients {
        let name = ServerName::try_from("localhost").expect("valid name");
        let Ok(client) = ClientConnection::new(config.clone(), name) else {
            continue;
        };
        let mut client = Connection::Client(client);
        // Send the ClientHello first, as a real client would.
        let mut sink = Vec::new();
        let _ = client.write_tls(&mut sink);
        feed(data, &mut client);
    }
}

/// A server requiring pinned client certificates fed arbitrary bytes as the client's side.
pub fn server_handshake(data: &[u8]) {
    for config in &fixtures().servers {
        let Ok(server) = ServerConnection::new(config.clone()) else {
            continue;
        };
        feed(data, &mut Connection::Server(server));
    }
}

/// The known-hosts format: whatever parses must print and re-parse to the same entries.
pub fn known_hosts(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(entries) = KnownHosts::parse(text) {
        let printed: String = entries.iter().map(|e| format!("{e}\n")).collect();
        assert_eq!(KnownHosts::parse(&printed).ok(), Some(entries), "{text:?}");
    }
}

/// The TOML pin configuration.
pub fn pin_config(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(config) = PinConfig::parse(text) {
        assert!(config.sets().iter().all(|set| !set.pins().is_empty()));
    }
}

/// The CLI probe's parser of a server's reply to a ClientHello. A complete reply stays complete,
/// with the same result, when more bytes follow it.
pub fn probe_parse(data: &[u8]) {
    use tlspin_cli::probe::parse::{parse_server_flight, Progress};
    if let Ok(Progress::Done(reply)) = parse_server_flight(data) {
        let mut longer = data.to_vec();
        longer.extend_from_slice(&[22, 3, 3, 0, 0]);
        assert_eq!(
            parse_server_flight(&longer).ok(),
            Some(Progress::Done(reply))
        );
    }
}

/// A STARTTLS reply parser's properties: a complete reply took between 1 byte and all of them,
/// and stays complete, with the same result, when more bytes follow it.
fn starttls_stable<T: PartialEq + std::fmt::Debug>(
    data: &[u8],
    parse: impl Fn(&[u8]) -> tlspin_cli::starttls::ParseResult<T>,
) {
    use tlspin_cli::starttls::Parsed;
    if let Ok(Parsed::Complete(value, used)) = parse(data) {
        assert!(used > 0 && used <= data.len(), "{used} of {}", data.len());
        let mut longer = data.to_vec();
        longer.extend_from_slice(b"250 OK\r\n* OK\r\n\x30\x00");
        assert_eq!(parse(&longer), Ok(Parsed::Complete(value, used)));
    }
}

/// `--starttls smtp|lmtp|ftp|nntp`: a reply with a three-digit code (FTP's lenient multi-line
/// form, and SMTP's with the code on every line, which accepts no more than the lenient one).
pub fn starttls_code_reply(data: &[u8]) {
    use tlspin_cli::starttls::{parse_code_reply, parse_smtp_reply, Parsed};
    starttls_stable(data, parse_code_reply);
    starttls_stable(data, parse_smtp_reply);
    if let Ok(Parsed::Complete(strict, used)) = parse_smtp_reply(data) {
        assert_eq!(parse_code_reply(data), Ok(Parsed::Complete(strict, used)));
    }
}

/// `--starttls imap`: the greeting, and the response to a tagged command.
pub fn starttls_imap(data: &[u8]) {
    use tlspin_cli::starttls::parse_imap;
    starttls_stable(data, |d| parse_imap(d, None));
    starttls_stable(data, |d| parse_imap(d, Some("T1")));
}

/// `--starttls pop3`: `+OK` / `-ERR`.
pub fn starttls_pop3(data: &[u8]) {
    starttls_stable(data, tlspin_cli::starttls::parse_pop3);
}

/// `--starttls sieve`: capability lines and a status line.
pub fn starttls_sieve(data: &[u8]) {
    starttls_stable(data, tlspin_cli::starttls::parse_sieve);
}

/// `--starttls irc`: messages up to the answer to STARTTLS.
pub fn starttls_irc(data: &[u8]) {
    starttls_stable(data, tlspin_cli::starttls::parse_irc);
}

/// `--starttls ldap`: the BER ExtendedResponse (lengths bounded before anything is read).
pub fn starttls_ldap(data: &[u8]) {
    starttls_stable(data, tlspin_cli::starttls::parse_ldap);
}

/// `--starttls xmpp`: the stream header and features. (Not prefix-stable: a stream error after
/// the features is reported, so only "no panic, bounded consumption" is checked.)
pub fn starttls_xmpp_features(data: &[u8]) {
    use tlspin_cli::starttls::{parse_xmpp_features, Parsed};
    if let Ok(Parsed::Complete(_, used)) = parse_xmpp_features(data) {
        assert!(used > 0 && used <= data.len());
    }
}

/// `--starttls xmpp`: `<proceed/>` or `<failure/>` (checked like the features).
pub fn starttls_xmpp_proceed(data: &[u8]) {
    use tlspin_cli::starttls::{parse_xmpp_proceed, xmpp_busy, Parsed};
    if let Ok(Parsed::Complete(_, used)) = parse_xmpp_proceed(data) {
        assert!(used > 0 && used <= data.len());
    }
    // Busy stream errors are errors: never a complete answer.
    if xmpp_busy(data) {
        assert!(parse_xmpp_proceed(data).is_err());
    }
}

/// `--starttls postgres`: the answer to SSLRequest.
pub fn starttls_postgres(data: &[u8]) {
    starttls_stable(data, tlspin_cli::starttls::parse_postgres);
}

/// `--starttls mysql`: the initial handshake or error packet; whenever it parses as a
/// handshake, the SSLRequest built from it is 36 bytes and asks for TLS.
pub fn starttls_mysql(data: &[u8]) {
    use tlspin_cli::starttls::{
        mysql_ssl_request, parse_mysql_greeting, MysqlGreeting, Parsed, CLIENT_SSL,
    };
    starttls_stable(data, parse_mysql_greeting);
    // The bytes a server sends instead of TLS after the preamble: one line, whatever they are.
    let described =
        tlspin_cli::starttls::describe_plaintext(tlspin_cli::starttls::Starttls::Mysql, data);
    assert!(!described.contains('\n'), "{described}");
    if let Ok(Parsed::Complete(
        MysqlGreeting::Handshake {
            capabilities,
            charset,
            ..
        },
        _,
    )) = parse_mysql_greeting(data)
    {
        let request = mysql_ssl_request(capabilities, charset.unwrap_or(0));
        assert_eq!(request.len(), 36);
        let flags = request
            .get(4..8)
            .map(|f| u32::from_le_bytes([f[0], f[1], f[2], f[3]]));
        assert!(flags.is_some_and(|f| f & CLIENT_SSL != 0));
    }
}

/// The CLI's certificate reader and describer (`tlspin pin FILE`): its pin must be tlspin's.
pub fn cert_info(data: &[u8]) {
    let Ok(certs) = tlspin_cli::certinfo::read_certificates(data, "fuzz input") else {
        return;
    };
    for (index, cert) in certs.iter().enumerate() {
        if let Ok(info) = tlspin_cli::certinfo::describe(cert, index) {
            let pin = Pin::from_cert_der(cert).map(|pin| pin.to_string()).ok();
            assert_eq!(
                Some(info.pin),
                pin,
                "tlspin pin describes another key than tlspin"
            );
        }
    }
}

/// Splits `16-bit length + bytes` records; a short last record takes what is left.
fn split_chain(mut data: &[u8]) -> Vec<CertificateDer<'_>> {
    let mut certs = Vec::new();
    while let [hi, lo, rest @ ..] = data {
        let len = usize::from(u16::from_be_bytes([*hi, *lo])).min(rest.len());
        let (cert, tail) = rest.split_at(len);
        certs.push(CertificateDer::from(cert));
        data = tail;
    }
    certs
}

/// Hands `data` to `conn` as it reads it, processing after each read, until an error.
fn feed(mut data: &[u8], conn: &mut Connection) {
    while !data.is_empty() {
        match conn.read_tls(&mut data) {
            Ok(0) | Err(_) => return,
            Ok(_) => {
                if conn.process_new_packets().is_err() {
                    return;
                }
            }
        }
    }
}

struct Verifiers {
    stock: Arc<WebPkiServerVerifier>,
    webpki_based: Vec<(&'static str, Arc<dyn ServerCertVerifier>)>,
    ignore_name: Arc<IgnoreServerName>,
    pinned: Arc<PinnedServerVerifier>,
    accept_any: Arc<dyn ServerCertVerifier>,
    raw_key: Arc<dyn ServerCertVerifier>,
    client: Arc<PinnedClientVerifier>,
}

struct Fixtures {
    now: UnixTime,
    leaf_pin: Pin,
    verifiers: Vec<Verifiers>,
    clients: Vec<Arc<ClientConfig>>,
    servers: Vec<Arc<ServerConfig>>,
}

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e} (see fuzz/README.md)"))
}

fn fixtures() -> &'static Fixtures {
    static FIXTURES: OnceLock<Fixtures> = OnceLock::new();
    FIXTURES.get_or_init(|| {
        let ca = CertificateDer::from(fixture("ca.der"));
        let leaf = CertificateDer::from(fixture("leaf.der"));
        let leaf_key = fixture("leaf.key");
        let client_cert = CertificateDer::from(fixture("client.der"));
        let leaf_pin = Pin::from_cert_der(&leaf).expect("fixture parses");
        let ca_pin = Pin::from_cert_der(&ca).expect("fixture parses");
        let client_pin = Pin::from_cert_der(&client_cert).expect("fixture parses");
        let mut roots = RootCertStore::empty();
        roots.add(ca.clone()).expect("fixture CA");
        let roots = Arc::new(roots);
        let providers: [Arc<CryptoProvider>; 2] = [
            Arc::new(rustls::crypto::aws_lc_rs::default_provider()),
            Arc::new(rustls::crypto::ring::default_provider()),
        ];
        let verifiers = providers
            .iter()
            .map(|provider| build_verifiers(provider, &roots, &ca, leaf_pin, ca_pin, client_pin))
            .collect();
        let clients = providers
            .iter()
            .map(|provider| {
                let verifier = PinnedServerVerifier::builder(provider.clone())
                    .pin(leaf_pin)
                    .build()
                    .expect("verifier");
                Arc::new(
                    ClientConfig::builder_with_provider(provider.clone())
                        .with_safe_default_protocol_versions()
                        .expect("versions")
                        .dangerous()
                        .with_custom_certificate_verifier(verifier)
                        .with_no_client_auth(),
                )
            })
            .collect();
        let servers = providers
            .iter()
            .map(|provider| {
                let key = PrivateKeyDer::try_from(leaf_key.clone()).expect("fixture key");
                Arc::new(
                    ServerConfig::builder_with_provider(provider.clone())
                        .with_safe_default_protocol_versions()
                        .expect("versions")
                        .with_client_cert_verifier(
                            PinnedClientVerifier::builder(provider.clone())
                                .pin(client_pin)
                                .build()
                                .expect("verifier"),
                        )
                        .with_single_cert(vec![leaf.clone(), ca.clone()], key)
                        .expect("fixture key matches"),
                )
            })
            .collect();
        Fixtures {
            now: UnixTime::since_unix_epoch(Duration::from_secs(1_767_225_600)), // 2026-01-01
            leaf_pin,
            verifiers,
            clients,
            servers,
        }
    })
}

fn build_verifiers(
    provider: &Arc<CryptoProvider>,
    roots: &Arc<RootCertStore>,
    ca: &CertificateDer<'static>,
    leaf_pin: Pin,
    ca_pin: Pin,
    client_pin: Pin,
) -> Verifiers {
    let stock = WebPkiServerVerifier::builder_with_provider(roots.clone(), provider.clone())
        .build()
        .expect("stock verifier");
    let webpki_pins = PinnedWebPkiVerifier::builder(roots.clone(), provider.clone())
        .pins([leaf_pin, ca_pin])
        .build()
        .expect("verifier");
    let host_pins = HostPinnedVerifier::builder(roots.clone(), provider.clone())
        .pin_set(HostPinSet::new("localhost", [ca_pin, leaf_pin]).expect("set"))
        .pin_set(HostPinSet::new("**.example", [leaf_pin, client_pin]).expect("set"))
        .build()
        .expect("verifier");
    let self_signed = SelfSignedVerifier::new([ca.clone()], provider.clone()).expect("verifier");
    Verifiers {
        stock,
        webpki_based: vec![
            ("PinnedWebPkiVerifier", webpki_pins),
            ("HostPinnedVerifier", host_pins),
            ("SelfSignedVerifier", self_signed),
        ],
        ignore_name: IgnoreServerName::new(roots.clone(), provider.clone()).expect("verifier"),
        pinned: PinnedServerVerifier::builder(provider.clone())
            .pin(leaf_pin)
            .check_server_name(true)
            .build()
            .expect("verifier"),
        accept_any: AcceptAnyServerCert::new(provider.clone()).expect("verifier"),
        raw_key: PinnedRawKeyServerVerifier::new(provider.clone(), [leaf_pin]).expect("verifier"),
        client: PinnedClientVerifier::builder(provider.clone())
            .pin(client_pin)
            .build()
            .expect("verifier"),
    }
}

#[cfg(test)]
mod replay {
    /// Replays every checked-in corpus file through its target, so `cargo test` catches
    /// regressions without nightly or libFuzzer.
    #[test]
    fn every_corpus_file_replays() {
        type Target = fn(&[u8]);
        let targets: [(&str, Target); 19] = [
            ("pin_parse", super::pin_parse),
            ("cert_pin", super::cert_pin),
            ("verify_chain", super::verify_chain),
            ("client_handshake", super::client_handshake),
            ("server_handshake", super::server_handshake),
            ("known_hosts", super::known_hosts),
            ("pin_config", super::pin_config),
            ("probe_parse", super::probe_parse),
            ("cert_info", super::cert_info),
            ("starttls_code_reply", super::starttls_code_reply),
            ("starttls_imap", super::starttls_imap),
            ("starttls_pop3", super::starttls_pop3),
            ("starttls_sieve", super::starttls_sieve),
            ("starttls_irc", super::starttls_irc),
            ("starttls_ldap", super::starttls_ldap),
            ("starttls_xmpp_features", super::starttls_xmpp_features),
            ("starttls_xmpp_proceed", super::starttls_xmpp_proceed),
            ("starttls_postgres", super::starttls_postgres),
            ("starttls_mysql", super::starttls_mysql),
        ];
        for (name, target) in targets {
            let dir = format!("{}/corpus/{name}", env!("CARGO_MANIFEST_DIR"));
            let entries = std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{dir}: {e}"));
            let mut replayed = 0;
            for entry in entries {
                let path = entry.unwrap().path();
                target(&std::fs::read(&path).unwrap());
                replayed += 1;
            }
            assert!(replayed > 0, "{dir} is empty");
            println!("{name}: replayed {replayed} files");
        }
    }
}
