//! `--starttls PROTO` through the real `tlspin` binary: real PostgreSQL and MariaDB servers, and
//! for the other protocols loopback servers written here that speak each protocol's greeting and
//! STARTTLS exchange as its RFC (and the common servers) do, then relay the connection to an
//! `openssl s_server`. Pins are compared with what `openssl s_client -starttls PROTO` sees; every
//! hostile peer must end in one line on stderr and exit code 3.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Ipv4Addr, Shutdown, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::daemons::{Daemon, Dovecot, Prosody};
use common::{library_pin, openssl_cert, tlspin, verdict, Run, SServer};

const P256: &[&str] = &["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"];

/// The pin of the leaf certificate `openssl s_client -starttls PROTO` receives from `port`,
/// computed by `tlspin pin -` from the PEM s_client prints.
fn s_client_pin(protocol: &str, port: u16) -> String {
    let connect = format!("127.0.0.1:{port}");
    let mut args = vec!["s_client", "-starttls", protocol, "-connect", &connect];
    args.extend(["-servername", "localhost", "-showcerts"]);
    if protocol.starts_with("xmpp") {
        args.extend(["-xmpphost", "localhost"]);
    }
    let output = Command::new("openssl")
        .args(&args)
        .stdin(Stdio::null())
        .output()
        .expect("openssl s_client runs (install openssl)");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let begin = stdout
        .find("-----BEGIN CERTIFICATE-----")
        .unwrap_or_else(|| {
            panic!(
                "s_client -starttls {protocol} printed no certificate: {stdout}\n{}",
                String::from_utf8_lossy(&output.stderr)
            )
        });
    let end = stdout[begin..]
        .find("-----END CERTIFICATE-----")
        .expect("PEM end")
        + begin;
    let pem = &stdout[begin..end + "-----END CERTIFICATE-----".len()];
    let run = tlspin(&["--json", "pin", "-"], Some(pem.as_bytes()));
    assert_eq!(run.code, 0, "{run:?}");
    run.json()["certificates"][0]["pin"]
        .as_str()
        .expect("pin")
        .to_owned()
}

/// `tlspin pin --starttls PROTO` and `tlspin probe --starttls PROTO` succeed against `port`; the
/// pin is the certificate's and the one s_client sees; the probe finds TLS 1.3 and 1.2 and both
/// providers compatible. `sni` is sent with `--sni` (XMPP's stream header names it); `s_client`
/// says whether `openssl s_client -starttls` can talk to this server.
fn assert_pin_and_probe_as(protocol: &str, port: u16, cert: &Path, sni: &str, s_client: bool) {
    let target = format!("127.0.0.1:{port}");
    let with = |command: &str, json: bool| {
        let mut args = if json {
            vec!["--json", command]
        } else {
            vec![command]
        };
        args.extend(["--sni", sni, "--starttls", protocol, target.as_str()]);
        tlspin(&args, None)
    };
    let run = with("pin", true);
    assert_eq!(run.code, 0, "{run:?}");
    let report = run.json();
    let pin = library_pin(cert).to_string();
    assert_eq!(report["certificates"][0]["pin"], pin.as_str(), "{report:#}");
    assert_eq!(report["starttls"], protocol);
    assert_eq!(
        report["source"],
        format!("{target} (STARTTLS {protocol})").as_str()
    );
    if s_client {
        assert_eq!(
            s_client_pin(protocol, port),
            pin,
            "s_client -starttls {protocol}"
        );
    }

    let text = with("pin", false);
    assert_eq!(text.code, 0, "{text:?}");
    assert!(text.stdout.contains(&pin), "{text:?}");

    let run = with("probe", true);
    assert_eq!(run.code, 0, "{run:?}");
    let report = run.json();
    assert_eq!(report["starttls"], protocol);
    assert_eq!(report["certificate"]["pin"], pin.as_str(), "{report:#}");
    for version in ["TLS 1.3", "TLS 1.2"] {
        let entry = report["versions"]
            .as_array()
            .expect("versions")
            .iter()
            .find(|v| v["version"] == version)
            .expect("version entry");
        assert_eq!(entry["supported"], true, "{version}: {report:#}");
    }
    for provider in ["aws-lc-rs", "ring"] {
        let (compatible, reason) = verdict(&report, provider);
        assert!(compatible, "{provider}: {reason}");
        assert!(
            reason.starts_with("handshake succeeded: TLS 1.3"),
            "{reason}"
        );
    }
}

/// [`assert_pin_and_probe_as`] with the SNI `localhost` (the test certificates' name) and the
/// comparison with `openssl s_client`.
fn assert_pin_and_probe(protocol: &str, port: u16, cert: &Path) {
    assert_pin_and_probe_as(protocol, port, cert, "localhost", true);
}

/// Runs `tlspin --timeout 1 ARGS` and asserts exit code 3 with one line on stderr containing
/// every `needle`, within `limit`.
fn assert_network_failure(args: &[&str], needles: &[&str], limit: Duration) -> Run {
    let mut all = vec!["--timeout", "1"];
    all.extend(args);
    let started = Instant::now();
    let run = tlspin(&all, None);
    let took = started.elapsed();
    assert_eq!(run.code, 3, "{args:?}: {run:?}");
    assert_eq!(run.stderr.lines().count(), 1, "{args:?}: {run:?}");
    for needle in needles {
        assert!(
            run.stderr.contains(needle),
            "{args:?}: {needle:?} not in {:?}",
            run.stderr
        );
    }
    assert!(took < limit, "{args:?} took {took:?}");
    assert!(!run.stderr.contains("panicked"), "{run:?}");
    run
}

// ---------------------------------------------------------------------------------------------
// Loopback servers that speak a protocol's preamble, then relay to `openssl s_server`.

/// What a scripted server does with each connection.
type Behaviour = Arc<dyn Fn(TcpStream) + Send + Sync>;

/// A loopback listener that runs `behaviour` on each connection, in its own thread.
struct Fake {
    port: u16,
}

impl Fake {
    fn start(behaviour: Behaviour) -> Self {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind loopback");
        let port = listener.local_addr().expect("address").port();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let behaviour = behaviour.clone();
                std::thread::spawn(move || behaviour(stream));
            }
        });
        Self { port }
    }
}

/// Hands `client` to the TLS server on `upstream`: copies bytes both ways until either closes.
/// `pending` are bytes already read from the client (none in a well-behaved exchange).
fn relay(client: TcpStream, pending: &[u8], upstream: u16) {
    let Ok(mut server) = TcpStream::connect((Ipv4Addr::LOCALHOST, upstream)) else {
        return;
    };
    let _ = server.write_all(pending);
    let (Ok(mut server_reader), Ok(mut client_writer)) = (server.try_clone(), client.try_clone())
    else {
        return;
    };
    let back = std::thread::spawn(move || {
        let _ = std::io::copy(&mut server_reader, &mut client_writer);
        let _ = client_writer.shutdown(Shutdown::Both);
    });
    let mut client_reader = client;
    let _ = std::io::copy(&mut client_reader, &mut server);
    let _ = server.shutdown(Shutdown::Both);
    let _ = back.join();
}

/// The reply to one command line, and whether TLS starts after it.
type Respond = fn(&str) -> (String, bool);

/// A line-based protocol: `greeting`, then `respond` to each line, relaying to `upstream` after
/// the reply that starts TLS.
fn line_protocol(greeting: &'static str, respond: Respond, upstream: u16) -> Behaviour {
    Arc::new(move |mut stream: TcpStream| {
        if stream.write_all(greeting.as_bytes()).is_err() {
            return;
        }
        let Ok(clone) = stream.try_clone() else {
            return;
        };
        let mut reader = BufReader::new(clone);
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                return;
            }
            let (reply, tls) = respond(line.trim_end());
            if stream.write_all(reply.as_bytes()).is_err() {
                return;
            }
            if tls {
                let pending = reader.buffer().to_vec();
                relay(stream, &pending, upstream);
                return;
            }
        }
    })
}

fn smtp(line: &str) -> (String, bool) {
    let verb = line
        .split(' ')
        .next()
        .unwrap_or_default()
        .to_ascii_uppercase();
    match verb.as_str() {
        "EHLO" | "LHLO" => (
            "250-mail.lab\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250-STARTTLS\r\n\
             250-ENHANCEDSTATUSCODES\r\n250 8BITMIME\r\n"
                .into(),
            false,
        ),
        "STARTTLS" => ("220 2.0.0 Ready to start TLS\r\n".into(), true),
        _ => ("502 5.5.2 Error: command not recognized\r\n".into(), false),
    }
}

fn imap(line: &str) -> (String, bool) {
    let (tag, command) = line.split_once(' ').unwrap_or((line, ""));
    match command.to_ascii_uppercase().as_str() {
        "CAPABILITY" => (
            format!(
                "* CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ \
                 STARTTLS LOGINDISABLED\r\n{tag} OK Pre-login capabilities listed, post-login \
                 capabilities have more.\r\n"
            ),
            false,
        ),
        "STARTTLS" => (format!("{tag} OK Begin TLS negotiation now.\r\n"), true),
        _ => (
            format!("{tag} BAD Error in IMAP command received by server.\r\n"),
            false,
        ),
    }
}

fn pop3(line: &str) -> (String, bool) {
    match line.to_ascii_uppercase().as_str() {
        "CAPA" => ("+OK\r\nCAPA\r\nTOP\r\nUIDL\r\nSTLS\r\n.\r\n".into(), false),
        "STLS" => ("+OK Begin TLS negotiation now.\r\n".into(), true),
        _ => ("-ERR Unknown command.\r\n".into(), false),
    }
}

fn ftp(line: &str) -> (String, bool) {
    match line.to_ascii_uppercase().as_str() {
        "AUTH TLS" => ("234 Proceed with negotiation.\r\n".into(), true),
        _ => ("530 Please login with USER and PASS.\r\n".into(), false),
    }
}

fn nntp(line: &str) -> (String, bool) {
    match line.to_ascii_uppercase().as_str() {
        "CAPABILITIES" => (
            "101 Capability list:\r\nVERSION 2\r\nREADER\r\nSTARTTLS\r\n.\r\n".into(),
            false,
        ),
        "STARTTLS" => ("382 Begin TLS negotiation now\r\n".into(), true),
        _ => ("500 What?\r\n".into(), false),
    }
}

fn sieve(line: &str) -> (String, bool) {
    match line.to_ascii_uppercase().as_str() {
        "STARTTLS" => ("OK \"Begin TLS negotiation now.\"\r\n".into(), true),
        _ => ("NO \"Unknown command.\"\r\n".into(), false),
    }
}

fn irc(line: &str) -> (String, bool) {
    match line.split(' ').next().unwrap_or_default() {
        "STARTTLS" => (
            ":irc.lab 670 * :STARTTLS successful, proceed with TLS handshake\r\n".into(),
            true,
        ),
        other => (
            format!(":irc.lab 421 * {other} :Unknown command\r\n"),
            false,
        ),
    }
}

/// Reads one byte at a time until `done(bytes so far)`; `None` if the client closed first.
fn read_until(stream: &mut TcpStream, done: impl Fn(&[u8]) -> bool) -> Option<Vec<u8>> {
    let mut seen = Vec::new();
    let mut byte = [0u8; 1];
    while !done(&seen) {
        if stream.read(&mut byte).ok()? == 0 {
            return None;
        }
        seen.push(byte[0]);
    }
    Some(seen)
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// XMPP (RFC 6120 §5.4.2): the client's stream header, our header and features, the client's
/// `<starttls/>`, `<proceed/>`.
fn xmpp(namespace: &'static str, upstream: u16) -> Behaviour {
    Arc::new(move |mut stream: TcpStream| {
        let header = read_until(&mut stream, |b| {
            contains(b, b"<stream:stream") && b.ends_with(b">")
        });
        let Some(header) = header else { return };
        assert!(
            contains(&header, namespace.as_bytes()),
            "{:?}",
            String::from_utf8_lossy(&header)
        );
        let reply = format!(
            "<?xml version='1.0'?><stream:stream xmlns='{namespace}' \
             xmlns:stream='http://etherx.jabber.org/streams' id='5f3c' from='localhost' \
             version='1.0' xml:lang='en'><stream:features><starttls \
             xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls><mechanisms \
             xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>PLAIN</mechanism></mechanisms>\
             </stream:features>"
        );
        if stream.write_all(reply.as_bytes()).is_err() {
            return;
        }
        if read_until(&mut stream, |b| {
            contains(b, b"<starttls") && b.ends_with(b"/>")
        })
        .is_none()
        {
            return;
        }
        if stream
            .write_all(b"<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")
            .is_ok()
        {
            relay(stream, &[], upstream);
        }
    })
}

/// LDAP (RFC 4511 §4.14): the StartTLS ExtendedRequest, an ExtendedResponse with resultCode
/// `result` (and the responseName OpenLDAP adds); TLS follows success.
fn ldap(result: u8, upstream: u16) -> Behaviour {
    Arc::new(move |mut stream: TcpStream| {
        let mut header = [0u8; 2];
        if stream.read_exact(&mut header).is_err() || header[0] != 0x30 || header[1] > 0x7f {
            return;
        }
        let mut body = vec![0u8; usize::from(header[1])];
        if stream.read_exact(&mut body).is_err() || !contains(&body, b"1.3.6.1.4.1.1466.20037") {
            return;
        }
        // 02 01 id: the request's messageID, echoed.
        let id = body[2];
        let mut response = vec![0x30, 0x24, 0x02, 0x01, id, 0x78, 0x1f, 0x0a, 0x01, result];
        response.extend_from_slice(&[0x04, 0x00, 0x04, 0x00, 0x8a, 0x16]);
        response.extend_from_slice(b"1.3.6.1.4.1.1466.20037");
        if stream.write_all(&response).is_ok() && result == 0 {
            relay(stream, &[], upstream);
        }
    })
}

/// A TLS server for the relays, with its certificate.
fn tls_upstream(dir: &Path) -> (SServer, std::path::PathBuf) {
    let (cert, key) = openssl_cert(dir, "upstream", P256);
    (SServer::start(&cert, &key, &[]), cert)
}

fn relayed(protocol: &str, behaviour: impl FnOnce(u16) -> Behaviour) {
    let dir = tempfile::tempdir().unwrap();
    let (upstream, cert) = tls_upstream(dir.path());
    let fake = Fake::start(behaviour(upstream.port));
    assert_pin_and_probe(protocol, fake.port, &cert);
}

#[test]
fn smtp_relayed() {
    relayed("smtp", |up| {
        line_protocol("220 mail.lab ESMTP Postfix (Debian/GNU)\r\n", smtp, up)
    });
}

#[test]
fn lmtp_relayed() {
    relayed("lmtp", |up| {
        line_protocol("220 mail.lab LMTP Server ready\r\n", smtp, up)
    });
}

#[test]
fn imap_relayed() {
    relayed("imap", |up| {
        line_protocol(
            "* OK [CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ STARTTLS \
             LOGINDISABLED] Dovecot (Debian) ready.\r\n",
            imap,
            up,
        )
    });
}

#[test]
fn pop3_relayed() {
    relayed("pop3", |up| {
        line_protocol("+OK Dovecot (Debian) ready.\r\n", pop3, up)
    });
}

#[test]
fn ftp_relayed() {
    relayed("ftp", |up| {
        line_protocol(
            "220-Welcome to the lab FTP service.\r\n220 (vsFTPd 3.0.3)\r\n",
            ftp,
            up,
        )
    });
}

#[test]
fn nntp_relayed() {
    relayed("nntp", |up| {
        line_protocol(
            "200 news.lab InterNetNews NNRP server INN 2.7.1 ready (posting ok)\r\n",
            nntp,
            up,
        )
    });
}

#[test]
fn sieve_relayed() {
    relayed("sieve", |up| {
        line_protocol(
            "\"IMPLEMENTATION\" \"Dovecot Pigeonhole\"\r\n\"SIEVE\" \"fileinto reject envelope\"\r\n\
             \"NOTIFY\" \"mailto\"\r\n\"SASL\" \"\"\r\n\"STARTTLS\"\r\n\"VERSION\" \"1.0\"\r\n\
             OK \"Dovecot (Debian) ready.\"\r\n",
            sieve,
            up,
        )
    });
}

#[test]
fn irc_relayed() {
    relayed("irc", |up| {
        line_protocol(
            // `openssl s_client -starttls irc` stops at the first line without a numeric, so
            // this server greets with a numeric (RPL_HELLO) rather than NOTICEs; tlspin skips
            // both (unit-tested in cli/src/starttls.rs).
            ":irc.lab 020 * :Please wait while we process your connection.\r\n",
            irc,
            up,
        )
    });
}

#[test]
fn xmpp_relayed() {
    relayed("xmpp", |up| xmpp("jabber:client", up));
}

#[test]
fn xmpp_server_relayed() {
    relayed("xmpp-server", |up| xmpp("jabber:server", up));
}

#[test]
fn ldap_relayed() {
    relayed("ldap", |up| ldap(0, up));
}

// ---------------------------------------------------------------------------------------------
// Real database servers.

/// A real PostgreSQL cluster with `ssl = on`; `--starttls mysql` and `smtp` against it wait for a
/// greeting PostgreSQL never sends, and end at the timeout.
#[test]
fn postgres_real_server() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = openssl_cert(dir.path(), "pg", P256);
    let server = Daemon::postgres(&cert, &key);
    assert_pin_and_probe("postgres", server.port, &cert);
    let target = format!("127.0.0.1:{}", server.port);
    assert_network_failure(
        &["pin", "--starttls", "mysql", &target],
        &[
            "(STARTTLS mysql)",
            "timed out after 1s",
            "expected the initial handshake packet, got nothing",
        ],
        Duration::from_secs(8),
    );
    assert_network_failure(
        &["probe", "--starttls", "smtp", &target],
        &["(STARTTLS smtp)", "timed out", "expected the greeting"],
        Duration::from_secs(8),
    );
}

/// A real MariaDB server with TLS; `--starttls postgres` against it reads MySQL's greeting.
#[test]
fn mariadb_real_server() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = openssl_cert(dir.path(), "maria", P256);
    let server = Daemon::mariadb(&cert, &key);
    assert_pin_and_probe("mysql", server.port, &cert);
    let target = format!("127.0.0.1:{}", server.port);
    assert_network_failure(
        &["pin", "--starttls", "postgres", &target],
        &[
            "(STARTTLS postgres)",
            "expected `S`, `N` or an ErrorResponse",
        ],
        Duration::from_secs(8),
    );
}

/// A real Dovecot: IMAP, POP3, ManageSieve and LMTP STARTTLS; `--starttls smtp` against its IMAP port
/// reads the IMAP greeting and says so.
#[test]
fn dovecot_real_server() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = openssl_cert(dir.path(), "dovecot", P256);
    let server = Dovecot::start(&cert, &key);
    assert_pin_and_probe("imap", server.imap, &cert);
    assert_pin_and_probe("pop3", server.pop3, &cert);
    assert_pin_and_probe("sieve", server.sieve, &cert);
    assert_pin_and_probe("lmtp", server.lmtp, &cert);
    assert_network_failure(
        &[
            "pin",
            "--starttls",
            "smtp",
            &format!("127.0.0.1:{}", server.imap),
        ],
        &[
            "(STARTTLS smtp)",
            "three-digit code, got \"* OK [CAPABILITY IMAP4rev1",
        ],
        QUICK,
    );
    assert_network_failure(
        &[
            "pin",
            "--starttls",
            "pop3",
            &format!("127.0.0.1:{}", server.imap),
        ],
        &["expected `+OK` or `-ERR`, got \"* OK"],
        QUICK,
    );
}

/// A real slapd: the StartTLS extended operation against OpenLDAP (on GnuTLS).
#[test]
fn slapd_real_server() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = openssl_cert(dir.path(), "slapd", P256);
    let server = Daemon::slapd(&cert, &key);
    assert_pin_and_probe("ldap", server.port, &cert);
    assert_network_failure(
        &[
            "pin",
            "--starttls",
            "imap",
            &format!("127.0.0.1:{}", server.port),
        ],
        &[
            "(STARTTLS imap)",
            "timed out after 1s: expected the greeting, got nothing",
        ],
        QUICK,
    );
}

/// A real Exim: EHLO, STARTTLS; `--starttls lmtp` gets Exim's answer to LHLO.
#[test]
fn exim_real_server() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = openssl_cert(dir.path(), "exim", P256);
    let server = Daemon::exim(&cert, &key);
    assert_pin_and_probe("smtp", server.port, &cert);
    assert_network_failure(
        &[
            "pin",
            "--starttls",
            "lmtp",
            &format!("127.0.0.1:{}", server.port),
        ],
        &[
            "(STARTTLS lmtp)",
            "expected the reply to LHLO with code 250, got 500",
        ],
        QUICK,
    );
}

/// A real Prosody: client-to-server and server-to-server `<starttls/>` for `localhost` (the SNI
/// name is the stream's `to`); without `--sni` the stream asks for host 127.0.0.1, which Prosody
/// refuses with a stream error.
#[test]
fn prosody_real_server() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = openssl_cert(dir.path(), "prosody", P256);
    let server = Prosody::start(&cert, &key);
    assert_pin_and_probe("xmpp", server.c2s, &cert);
    assert_pin_and_probe("xmpp-server", server.s2s, &cert);
    assert_network_failure(
        &[
            "pin",
            "--starttls",
            "xmpp",
            &format!("127.0.0.1:{}", server.c2s),
        ],
        &[
            "(STARTTLS xmpp)",
            "expected stream features, got a stream error \"<stream:error><host-unknown",
        ],
        QUICK,
    );
}

/// A real InspIRCd: STARTTLS after its NOTICEs, numeric 670. (`openssl s_client -starttls irc`
/// stops at the first line without a numeric, so it gets no certificate from a server that
/// greets with NOTICEs: no comparison with it here; `irc_relayed` makes it.) Without
/// `m_starttls` enabled the server answers 691.
#[test]
fn inspircd_real_server() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = openssl_cert(dir.path(), "inspircd", P256);
    let server = Daemon::inspircd(&cert, &key);
    assert_pin_and_probe_as("irc", server.port, &cert, "localhost", false);
}

/// A real vsftpd: AUTH TLS; `--starttls smtp` reads its 220 greeting, then its answer to EHLO.
#[test]
fn vsftpd_real_server() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = openssl_cert(dir.path(), "vsftpd", P256);
    let server = Daemon::vsftpd(&cert, &key);
    assert_pin_and_probe("ftp", server.port, &cert);
    assert_network_failure(
        &[
            "pin",
            "--starttls",
            "smtp",
            &format!("127.0.0.1:{}", server.port),
        ],
        &[
            "(STARTTLS smtp)",
            "expected the reply to EHLO with code 250, got 530",
        ],
        QUICK,
    );
}

// ---------------------------------------------------------------------------------------------
// Hostile and refusing peers: one line on stderr, exit code 3, never a hang.

/// A server that writes `reply` on connect (and to every line it reads), then keeps the
/// connection open for 30 s or closes it (`close`).
fn scripted(reply: &'static [u8], close: bool) -> Fake {
    Fake::start(Arc::new(move |mut stream: TcpStream| {
        let _ = stream.write_all(reply);
        if close {
            return;
        }
        let _ = stream.set_read_timeout(Some(Duration::from_secs(30)));
        let mut buffer = [0u8; 1024];
        while let Ok(n) = stream.read(&mut buffer) {
            if n == 0 {
                break;
            }
        }
    }))
}

/// A server that sends `steps[0]` at once, then each further step after reading a line (the
/// client's next command): each reply comes after the command it answers.
fn stepped(steps: &'static [&'static [u8]]) -> Fake {
    Fake::start(Arc::new(move |mut stream: TcpStream| {
        let _ = stream.set_read_timeout(Some(Duration::from_secs(30)));
        let mut buffer = [0u8; 1024];
        for (index, step) in steps.iter().enumerate() {
            if index > 0 {
                let mut line = Vec::new();
                while !line.contains(&b'\n') {
                    match stream.read(&mut buffer) {
                        Ok(n) if n > 0 => line.extend_from_slice(&buffer[..n]),
                        _ => return,
                    }
                }
            }
            if stream.write_all(step).is_err() {
                return;
            }
        }
        while let Ok(n) = stream.read(&mut buffer) {
            if n == 0 {
                break;
            }
        }
    }))
}

fn target(fake: &Fake) -> String {
    format!("127.0.0.1:{}", fake.port)
}

const QUICK: Duration = Duration::from_secs(8);

#[test]
fn garbage_and_truncated_replies() {
    let garbage = scripted(b"\x00\xffHTTP/1.1 400 Bad Request\r\n\r\n", false);
    let t = target(&garbage);
    for (protocol, needle) in [
        (
            "smtp",
            "expected a reply line starting with a three-digit code, got \"\\x00\\xffHTTP/1.1 400",
        ),
        ("imap", "expected an IMAP response line"),
        ("pop3", "expected `+OK` or `-ERR`"),
        ("ldap", "expected an LDAPMessage"),
        ("xmpp", "expected an XML stream"),
        ("postgres", "expected `S`, `N` or an ErrorResponse"),
        ("mysql", "expected an initial handshake packet"),
        ("sieve", "expected a quoted capability line"),
        ("irc", "expected an IRC message"),
    ] {
        let shown = format!("(STARTTLS {protocol})");
        assert_network_failure(
            &["pin", "--starttls", protocol, &t],
            &[&shown, needle],
            QUICK,
        );
    }
    let closing = scripted(b"220-mail.lab ESMTP\r\n250-PIPEL", true);
    assert_network_failure(
        &["pin", "--starttls", "smtp", &target(&closing)],
        &["closed the connection; expected the greeting, got \"220-mail.lab ESMTP\\r\\n250-PIPEL\""],
        QUICK,
    );
    assert_network_failure(
        &["probe", "--starttls", "smtp", &target(&closing)],
        &["closed the connection"],
        QUICK,
    );
}

#[test]
fn huge_length_fields() {
    // A MySQL packet header announcing 16 MiB - 1.
    let mysql = scripted(b"\xff\xff\xff\x00\x0a5.7.0\x00", false);
    assert_network_failure(
        &["pin", "--starttls", "mysql", &target(&mysql)],
        &["packet length of 16777215"],
        QUICK,
    );
    // An LDAPMessage announcing 2^31 bytes.
    let ldap = scripted(b"\x30\x84\x80\x00\x00\x00\x02\x01\x01", false);
    assert_network_failure(
        &["probe", "--starttls", "ldap", &target(&ldap)],
        &["BER length of 2147483648"],
        QUICK,
    );
    // A PostgreSQL ErrorResponse announcing 2^31 - 1 bytes.
    let postgres = scripted(b"E\x7f\xff\xff\xffSFATAL", false);
    assert_network_failure(
        &["pin", "--starttls", "postgres", &target(&postgres)],
        &["length of 2147483647"],
        QUICK,
    );
    // An EHLO reply that never ends: cut at 16 KiB.
    let flood = Fake::start(Arc::new(|mut stream: TcpStream| {
        let _ = stream.write_all(b"220 mail.lab\r\n");
        let mut line = [0u8; 64];
        let _ = stream.read(&mut line);
        let chunk =
            b"250-XFLOODXFLOODXFLOODXFLOODXFLOODXFLOODXFLOODXFLOODXFLOODXFLOOD\r\n".repeat(64);
        for _ in 0..1024 {
            if stream.write_all(&chunk).is_err() {
                return;
            }
        }
    }));
    assert_network_failure(
        &["pin", "--starttls", "smtp", &target(&flood)],
        &["expected the reply to EHLO within 16384 bytes"],
        QUICK,
    );
}

#[test]
fn wrong_dialects() {
    let dir = tempfile::tempdir().unwrap();
    let (upstream, _cert) = tls_upstream(dir.path());
    let imap_server = Fake::start(line_protocol(
        "* OK Dovecot ready.\r\n",
        imap,
        upstream.port,
    ));
    assert_network_failure(
        &["pin", "--starttls", "smtp", &target(&imap_server)],
        &[
            "(STARTTLS smtp)",
            "three-digit code, got \"* OK Dovecot ready.\"",
        ],
        QUICK,
    );
    let smtp_server = Fake::start(line_protocol("220 mail.lab ESMTP\r\n", smtp, upstream.port));
    assert_network_failure(
        &["pin", "--starttls", "imap", &target(&smtp_server)],
        &[
            "(STARTTLS imap)",
            "expected an IMAP response line",
            "\"220 mail.lab ESMTP\"",
        ],
        QUICK,
    );
    assert_network_failure(
        &["probe", "--starttls", "xmpp", &target(&smtp_server)],
        &["expected an XML stream, got \"220 mail.lab ESMTP\\r\\n\""],
        QUICK,
    );
    // A plain TLS server waits for a ClientHello; the client waits for a greeting.
    let plain = format!("127.0.0.1:{}", upstream.port);
    assert_network_failure(
        &["pin", "--starttls", "smtp", &plain],
        &["timed out after 1s: expected the greeting, got nothing"],
        QUICK,
    );
    // PostgreSQL's SSLRequest to a plain TLS server: OpenSSL answers garbage with an alert.
    let run = assert_network_failure(
        &["pin", "--starttls", "postgres", &plain],
        &["(STARTTLS postgres)"],
        QUICK,
    );
    assert!(
        run.stderr.contains("expected `S`") || run.stderr.contains("closed the connection"),
        "{run:?}"
    );
}

#[test]
fn silent_and_dripping_servers_end_at_the_deadline() {
    let silent = scripted(b"", false);
    for protocol in ["smtp", "mysql", "xmpp", "postgres"] {
        let started = Instant::now();
        assert_network_failure(
            &["pin", "--starttls", protocol, &target(&silent)],
            &["timed out after 1s"],
            QUICK,
        );
        assert!(started.elapsed() >= Duration::from_millis(900));
    }
    assert_network_failure(
        &["probe", "--starttls", "ldap", &target(&silent)],
        &["timed out after 1s"],
        QUICK,
    );
    // One byte every 0.5 s, never a whole line: the total deadline (4 × the timeout) ends it.
    let drip = Fake::start(Arc::new(|mut stream: TcpStream| {
        for _ in 0..60 {
            if stream.write_all(b"2").is_err() {
                return;
            }
            std::thread::sleep(Duration::from_millis(500));
        }
    }));
    assert_network_failure(
        &["pin", "--starttls", "smtp", &target(&drip)],
        &["the preamble did not finish within 4s (4 x --timeout): expected the greeting, got \"2222"],
        QUICK,
    );
}

/// A server that sends its EHLO reply with its greeting, before EHLO: refused as sent before it
/// was asked for, not taken as the reply to EHLO.
#[test]
fn replies_before_their_command_are_refused() {
    let server = scripted(b"220 mail.lab\r\n250-mail.lab\r\n250 STARTTLS\r\n", false);
    assert_network_failure(
        &["pin", "--starttls", "smtp", &target(&server)],
        &["expected nothing more before sending EHLO, got \"250-mail.lab\\r\\n250 STARTTLS"],
        QUICK,
    );
}

#[test]
fn servers_that_say_no() {
    // Each reply is sent after the command it answers (replies sent before their command are
    // refused as such: `replies_before_their_command_are_refused`).
    let cases: [(&str, &'static [&'static [u8]], &str); 8] = [
        ("postgres", &[b"N"], "got `N`: the server does not accept TLS"),
        ("smtp", &[b"220 mail.lab\r\n", b"250-mail.lab\r\n250 8BITMIME\r\n"], "expected STARTTLS among the EHLO extensions, got \"mail.lab | 8BITMIME\""),
        ("imap", &[b"* OK ready\r\n", b"T1 NO [PRIVACYREQUIRED] TLS not available\r\n"], "expected `T1 OK` in reply to STARTTLS, got NO"),
        ("imap", &[b"* BYE Too many connections\r\n"], "expected the greeting `* OK`, got `* BYE`"),
        ("pop3", &[b"+OK ready\r\n", b"-ERR TLS not configured\r\n"], "got `-ERR` \"TLS not configured\""),
        ("ftp", &[b"220 ready\r\n", b"534 Local policy on server does not allow TLS\r\n"], "expected the reply to AUTH TLS with code 234, got 534"),
        ("xmpp", &[b"<?xml version='1.0'?><stream:stream xmlns:stream='http://etherx.jabber.org/streams'><stream:features><mechanisms/></stream:features>"], "expected <starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/> among the stream features"),
        ("mysql", &[b"\x4a\x00\x00\x00\x0a8.0.36\x00\x08\x00\x00\x00abcdefgh\x00\xff\xf7\xff\x02\x00\xff\xdf\x15\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00ijklmnopqrst\x00caching_sha2_password\x00"], "expected the CLIENT_SSL capability"),
    ];
    for (protocol, reply, needle) in cases {
        let server = stepped(reply);
        let shown = format!("(STARTTLS {protocol})");
        assert_network_failure(
            &["pin", "--starttls", protocol, &target(&server)],
            &[&shown, needle],
            QUICK,
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let (upstream, _cert) = tls_upstream(dir.path());
    let ldap_refusing = Fake::start(ldap(2, upstream.port));
    assert_network_failure(
        &["probe", "--starttls", "ldap", &target(&ldap_refusing)],
        &["expected resultCode 0 (success) for message 1, got resultCode 2"],
        QUICK,
    );
}

#[test]
fn usage_errors() {
    let run = tlspin(&["pin", "--starttls", "gopher", "127.0.0.1:1"], None);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr.contains("postgres") && run.stderr.contains("gopher"),
        "{run:?}"
    );
    let dir = tempfile::tempdir().unwrap();
    let (cert, _key) = openssl_cert(dir.path(), "file", P256);
    let run = tlspin(&["pin", "--starttls", "smtp", cert.to_str().unwrap()], None);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr
            .contains("--starttls applies only when pinning a server"),
        "{run:?}"
    );
    let help = tlspin(&["probe", "--help"], None);
    for protocol in [
        "postgres",
        "mysql",
        "smtp",
        "imap",
        "pop3",
        "ftp",
        "ldap",
        "xmpp",
        "xmpp-server",
        "lmtp",
        "nntp",
        "sieve",
        "irc",
    ] {
        assert!(
            help.stdout.contains(protocol),
            "{protocol}: {}",
            help.stdout
        );
    }
}
