//! Adversarial `--starttls` tests (from review 13s): servers that misbehave around the
//! plaintext preamble, each on its own loopback listener, and real Exim and InspIRCd servers
//! with their stock connection limits. They cover: plaintext sent after the final reply, in a
//! later segment, and a MySQL error packet answering the SSLRequest (one line, exit 3, the bytes
//! or the error quoted); replies sent before their command; SMTP lines without the reply code;
//! bytes quoted as sent (ANSI escapes, invalid UTF-8); the whole-preamble deadline named as
//! such; an XMPP `<failure/>` that mentions `<proceed/>`; the EHLO argument (an address
//! literal); a postscreen-like greeting delay (needs `--timeout` above it); and the probe
//! through Exim's `smtp_accept_max = 20` and InspIRCd's `localmax="3"` (busy refusals retried
//! by the pool).

mod common;

use std::fs;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{openssl_cert, tlspin};

const P256: &[&str] = &["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"];

/// A loopback listener running `behaviour` on each connection in its own thread; its port.
fn serve(behaviour: impl Fn(TcpStream) + Send + Sync + 'static) -> u16 {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    let port = listener.local_addr().unwrap().port();
    let behaviour = Arc::new(behaviour);
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let behaviour = behaviour.clone();
            std::thread::spawn(move || behaviour(stream));
        }
    });
    port
}

fn line(reader: &mut BufReader<TcpStream>) -> String {
    let mut text = String::new();
    let _ = reader.read_line(&mut text);
    text
}

/// Keeps the connection open (reading and dropping) for up to `secs`.
fn linger(mut stream: TcpStream, secs: u64) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(secs)));
    let mut sink = [0u8; 4096];
    while matches!(stream.read(&mut sink), Ok(n) if n > 0) {}
}

/// `tlspin --timeout T ARGS`: the run and how long it took.
fn run(timeout: &str, args: &[&str]) -> (common::Run, Duration) {
    let mut all = vec!["--timeout", timeout];
    all.extend(args);
    let started = Instant::now();
    let run = tlspin(&all, None);
    (run, started.elapsed())
}

/// The documented failure shape: exit code 3 and exactly one line on stderr.
fn assert_one_line_network_error(run: &common::Run) {
    assert_eq!(run.code, 3, "{run:?}");
    assert_eq!(run.stderr.lines().count(), 1, "{run:?}");
}

// ---------------------------------------------------------------------------------------------
// Finding: bytes the server sends after the final reply, in a later segment.

/// "leftover bytes after the final reply are an error" / "garbage ... end in one line that
/// names the protocol ... and exit code 3". A server that answers STARTTLS with `220` and then,
/// 200 ms later, a plaintext line: `pin` exits 1 ("the TLS handshake ... failed: received
/// corrupt message of type InvalidContentType") with a second `why:/fix:` line.
#[test]
fn late_plaintext_after_the_final_reply_is_a_preamble_error() {
    let port = serve(|stream| {
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        let mut w = stream;
        let _ = w.write_all(b"220 mail.lab ESMTP\r\n");
        line(&mut reader);
        let _ = w.write_all(b"250-mail.lab\r\n250 STARTTLS\r\n");
        line(&mut reader);
        let _ = w.write_all(b"220 go ahead\r\n");
        std::thread::sleep(Duration::from_millis(200));
        let _ = w.write_all(b"EXTRA plaintext\r\n");
        linger(w, 5);
    });
    let target = format!("127.0.0.1:{port}");
    let (run, _) = run("2", &["pin", "--starttls", "smtp", &target]);
    assert_one_line_network_error(&run);
    assert!(run.stderr.contains("(STARTTLS smtp)"), "{run:?}");
    assert!(
        run.stderr.contains("EXTRA"),
        "the bytes seen are quoted: {run:?}"
    );
    assert!(
        run.stderr
            .contains("after the STARTTLS preamble the server sent plaintext instead of TLS"),
        "{run:?}"
    );
    // The probe's raw exchange says the same.
    let probe = tlspin(
        &["--timeout", "2", "probe", "--starttls", "smtp", &target],
        None,
    );
    assert_one_line_network_error(&probe);
    assert!(
        probe.stderr.contains("plaintext instead of TLS"),
        "{probe:?}"
    );
    assert!(
        probe.stderr.contains("\"EXTRA plaintext\\r\\n\""),
        "{probe:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// Finding: replies that arrive before their command are taken as its answer.

/// A server that sends `220`, `250 STARTTLS` and `220 go` all at once, before reading EHLO:
/// tlspin takes the pipelined `250 STARTTLS` as the EHLO reply and `220 go` as the STARTTLS
/// reply, and starts TLS (here: times out "during the TLS handshake"); the "leaves the socket
/// exactly where the ClientHello starts" check only looks at the end.
#[test]
fn replies_before_their_command_are_not_its_answer() {
    let port = serve(|mut stream| {
        let _ = stream.write_all(b"220 hi\r\n250 STARTTLS\r\n220 go\r\n");
        linger(stream, 5);
    });
    let target = format!("127.0.0.1:{port}");
    let (run, _) = run("1", &["pin", "--starttls", "smtp", &target]);
    assert_one_line_network_error(&run);
    assert!(
        !run.stderr.contains("during the TLS handshake"),
        "the preamble should have refused the unsolicited replies: {run:?}"
    );
}

/// SMTP (RFC 5321 §4.2.1) has a code on every line; a line without one ("STARTTLS") in the
/// middle of a `250-` reply with a `500` line is read as an extension, and STARTTLS is sent.
#[test]
fn smtp_lines_without_the_code_are_not_extensions() {
    let port = serve(|stream| {
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        let mut w = stream;
        let _ = w.write_all(b"220 hi\r\n");
        line(&mut reader);
        let _ = w.write_all(b"250-mail.lab\r\n500 garbage\r\nSTARTTLS\r\n250 SIZE 1\r\n");
        line(&mut reader);
        let _ = w.write_all(b"220 go\r\n");
        linger(w, 5);
    });
    let target = format!("127.0.0.1:{port}");
    let (run, _) = run("1", &["pin", "--starttls", "smtp", &target]);
    assert_one_line_network_error(&run);
    assert!(!run.stderr.contains("during the TLS handshake"), "{run:?}");
}

// ---------------------------------------------------------------------------------------------
// Finding: what was seen is misquoted / the reason is cut / the timeout is misnamed.

/// "what was seen (escaped, truncated)": bytes 0xff 0xfe are quoted as
/// `\xef\xbf\xbd\xef\xbf\xbd` (the UTF-8 of U+FFFD twice), bytes the server never sent.
#[test]
fn invalid_utf8_is_quoted_as_sent() {
    let port = serve(|mut stream| {
        let _ = stream.write_all(b"421 \x1b[31mRED\x1b[0m \xff\xfe evil\r\n");
        linger(stream, 5);
    });
    let target = format!("127.0.0.1:{port}");
    let (run, _) = run("2", &["pin", "--starttls", "smtp", &target]);
    assert_one_line_network_error(&run);
    assert!(run.stderr.contains("\\x1b[31m"), "ANSI is escaped: {run:?}");
    assert!(run.stderr.contains("\\xff\\xfe"), "{run:?}");
}

/// "each read by --timeout, the whole preamble by 4x that": a server dripping one byte every
/// 0.5 s is cut at 4 s, and the message says "timed out after 1s".
#[test]
fn the_whole_preamble_deadline_is_named_as_such() {
    let port = serve(|mut stream| {
        for byte in b"220-".iter().chain([b'x'; 100].iter()) {
            if stream.write_all(&[*byte]).is_err() {
                return;
            }
            std::thread::sleep(Duration::from_millis(500));
        }
    });
    let target = format!("127.0.0.1:{port}");
    let (run, took) = run("1", &["pin", "--starttls", "smtp", &target]);
    assert_one_line_network_error(&run);
    assert!(took < Duration::from_secs(6), "bounded: {took:?}");
    assert!(
        !run.stderr.contains("timed out after 1s"),
        "4 s passed; the 1 s per-read limit was never hit: {run:?}"
    );
}

/// `<failure/>` whose text mentions `<proceed/>`: reported as "expected nothing more before
/// TLS, got \" for you</text></failure>\"" instead of "got <failure/>".
#[test]
fn xmpp_failure_is_reported_as_failure() {
    let port = serve(|mut stream| {
        let mut buffer = [0u8; 4096];
        let _ = stream.read(&mut buffer);
        let _ = stream.write_all(
            b"<?xml version='1.0'?><stream:stream xmlns:stream='http://etherx.jabber.org/streams' \
              xmlns='jabber:client' version='1.0'><stream:features><starttls \
              xmlns='urn:ietf:params:xml:ns:xmpp-tls'/></stream:features>",
        );
        let _ = stream.read(&mut buffer);
        let _ = stream.write_all(
            b"<failure xmlns='urn:ietf:params:xml:ns:xmpp-tls'><text>no <proceed/> for \
              you</text></failure>",
        );
        linger(stream, 5);
    });
    let target = format!("127.0.0.1:{port}");
    let (run, _) = run("2", &["pin", "--starttls", "xmpp", &target]);
    assert_one_line_network_error(&run);
    assert!(run.stderr.contains("<failure/>"), "{run:?}");
}

// ---------------------------------------------------------------------------------------------
// Finding: the probe through real servers' stock connection limits.

struct Server {
    child: Child,
    signal: &'static str,
    _dir: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args([self.signal, &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn wait_listening(port: u16) {
    let started = Instant::now();
    while TcpStream::connect((Ipv4Addr::LOCALHOST, port)).is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "no listener on {port}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Exim as `common::daemons::Daemon::exim` starts it, but WITHOUT `smtp_accept_max = 0`, i.e.
/// with Exim's (and Debian's) default of 20. Like it, with `helo_lookup_domains =` (default `@ :
/// @[]`): tlspin's `EHLO [127.0.0.1]` names one of the server's own addresses on loopback, for
/// which Exim looks the client's name up in the DNS, and this sandbox has no DNS (each lookup
/// waits 5 s).
fn stock_exim(cert: &Path, key: &Path) -> (Server, u16) {
    let dir = tempfile::tempdir().unwrap();
    fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o755)).unwrap();
    let d = dir.path().display();
    fs::copy(cert, dir.path().join("cert.pem")).unwrap();
    fs::copy(key, dir.path().join("key.pem")).unwrap();
    fs::set_permissions(
        dir.path().join("key.pem"),
        fs::Permissions::from_mode(0o644),
    )
    .unwrap();
    for sub in ["spool", "log"] {
        let path = dir.path().join(sub);
        fs::create_dir(&path).unwrap();
        let _ = Command::new("chown").arg("Debian-exim").arg(&path).status();
    }
    let port = free_port();
    let conf = format!(
        "primary_hostname = mail.lab\nspool_directory = {d}/spool\n\
         log_file_path = {d}/log/%slog\ndaemon_smtp_ports = {port}\n\
         local_interfaces = 127.0.0.1\ntls_advertise_hosts = *\n\
         tls_certificate = {d}/cert.pem\ntls_privatekey = {d}/key.pem\nkeep_environment =\n\
         helo_lookup_domains =\n"
    );
    fs::write(dir.path().join("exim.conf"), conf).unwrap();
    let child = Command::new("exim")
        .arg("-C")
        .arg(dir.path().join("exim.conf"))
        .arg("-bdf")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("exim");
    wait_listening(port);
    (
        Server {
            child,
            signal: "-TERM",
            _dir: dir,
        },
        port,
    )
}

/// Exim reaps its children ~0.5 s after each connection, so even `--parallel 1` meets its `421`
/// about 0.2 s into the probe (the review found a stock Exim could not be probed at all); the
/// 421 is a busy refusal, which the pool retries after a pause.
#[test]
fn probe_stock_exim_even_one_connection_at_a_time() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = openssl_cert(dir.path(), "exim", P256);
    let (_exim, port) = stock_exim(&cert, &key);
    let target = format!("127.0.0.1:{port}");
    let run = tlspin(
        &["probe", "--parallel", "1", "--starttls", "smtp", &target],
        None,
    );
    assert_eq!(run.code, 0, "{run:?}");
}

/// The same stock Exim at the default `--parallel 16`: its 421s are busy refusals, so the pool
/// halves its limit, pauses 300 ms x attempt and retries each refused connection up to 4 times.
#[test]
fn probe_stock_exim_at_the_default_parallelism() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = openssl_cert(dir.path(), "exim", P256);
    let (_exim, port) = stock_exim(&cert, &key);
    let target = format!("127.0.0.1:{port}");
    let run = tlspin(&["probe", "--starttls", "smtp", &target], None);
    assert_eq!(run.code, 0, "{run:?}");
}

/// InspIRCd with the connect class of Debian's /etc/inspircd/inspircd.conf and the upstream
/// example (`localmax="3" globalmax="3"`).
fn stock_inspircd(cert: &Path, key: &Path) -> (Server, u16) {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().display();
    let port = free_port();
    let conf = format!(
        "<server name=\"irc.lab\" description=\"t\" network=\"lab\">\n\
         <admin name=\"a\" nick=\"a\" email=\"a@irc.lab\">\n\
         <bind address=\"127.0.0.1\" port=\"{port}\" type=\"clients\">\n\
         <connect allow=\"*\" timeout=\"60\" localmax=\"3\" globalmax=\"3\">\n\
         <class name=\"main\" commands=\"*\">\n\
         <path configdir=\"{d}\" datadir=\"{d}\" logdir=\"{d}\" \
         moduledir=\"/usr/lib/inspircd/modules\">\n<pid file=\"{d}/inspircd.pid\">\n\
         <sslprofile name=\"main\" provider=\"gnutls\" certfile=\"{}\" keyfile=\"{}\" dhfile=\"\">\n\
         <module name=\"ssl_gnutls\">\n<module name=\"starttls\">\n<starttls provider=\"main\">\n",
        cert.display(),
        key.display()
    );
    fs::write(dir.path().join("inspircd.conf"), conf).unwrap();
    let child = Command::new("inspircd")
        .arg("--config")
        .arg(dir.path().join("inspircd.conf"))
        .args(["--nofork", "--runasroot"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("inspircd");
    wait_listening(port);
    (
        Server {
            child,
            signal: "-KILL",
            _dir: dir,
        },
        port,
    )
}

/// The review found the default probe (16 at a time, and also `--parallel 3`) refused with
/// `ERROR :Closing link: ... [No more connecti…` (the reason cut at 60 bytes), exit 3. The
/// `ERROR` is now a busy refusal: the pool halves its limit and retries, and the probe succeeds.
#[test]
fn probe_inspircd_with_its_stock_connect_class() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = openssl_cert(dir.path(), "irc", P256);
    let (_irc, port) = stock_inspircd(&cert, &key);
    let target = format!("127.0.0.1:{port}");
    let run = tlspin(
        &["probe", "--sni", "localhost", "--starttls", "irc", &target],
        None,
    );
    assert_eq!(run.code, 0, "{run:?}");
}

/// A MySQL server that offers CLIENT_SSL but answers the SSLRequest with an error packet
/// (`ERR 1043 #08S01 Bad handshake`): `pin` exits 1 with "the TLS handshake ... failed:
/// received corrupt message of type UnknownProtocolVersion" and a `why:/fix:` line; the
/// server's refusal is never quoted.
#[test]
fn mysql_error_after_the_ssl_request_is_a_preamble_refusal() {
    let port = serve(|mut stream| {
        let mut payload =
            b"\x0a5.7.1\x00\x01\x00\x00\x00abcdefgh\x00\xff\xff\x21\x02\x00\xff\x81".to_vec();
        let mut packet = vec![payload.len() as u8, 0, 0, 0];
        packet.append(&mut payload);
        let _ = stream.write_all(&packet);
        let mut request = [0u8; 36];
        let _ = stream.read_exact(&mut request);
        let error = b"\xff\x13\x04#08S01Bad handshake";
        let mut packet = vec![error.len() as u8, 0, 0, 2];
        packet.extend_from_slice(error);
        let _ = stream.write_all(&packet);
        linger(stream, 5);
    });
    let target = format!("127.0.0.1:{port}");
    let (run, _) = run("2", &["pin", "--starttls", "mysql", &target]);
    assert_one_line_network_error(&run);
    assert!(run.stderr.contains("Bad handshake"), "{run:?}");
}

/// RFC 5321 §4.1.1.1: the EHLO argument is "the fully-qualified domain name of the SMTP
/// client" or an address literal; tlspin sends `EHLO tlspin` (openssl s_client sends `EHLO
/// mail.example.com`). A server enforcing it (Postfix `reject_non_fqdn_helo_hostname` with
/// `smtpd_delay_reject = no`, Exim HELO ACLs) refuses tlspin but not s_client.
#[test]
fn ehlo_argument_is_a_domain_or_address_literal() {
    let (sender, seen) = std::sync::mpsc::channel();
    let sender = std::sync::Mutex::new(sender);
    let port = serve(move |stream| {
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        let mut w = stream;
        let _ = w.write_all(b"220 mail.lab\r\n");
        let _ = sender.lock().unwrap().send(line(&mut reader));
        let _ = w.write_all(b"504 5.5.2 need fully-qualified hostname\r\n");
    });
    let target = format!("127.0.0.1:{port}");
    let _ = run("2", &["pin", "--starttls", "smtp", &target]);
    let ehlo = seen.recv_timeout(Duration::from_secs(5)).unwrap();
    let argument = ehlo
        .trim_end()
        .strip_prefix("EHLO ")
        .unwrap_or_default()
        .to_owned();
    assert!(
        argument.contains('.') || argument.starts_with('['),
        "EHLO argument {argument:?}"
    );
}

/// Postfix postscreen's default `postscreen_greet_wait` (6 s) sends `220-` and the rest of the
/// banner 6 s later, to new clients; with the default `--timeout 5`, `pin` times out on the
/// greeting, and the README says to raise `--timeout` above such a delay: with `--timeout 8` the
/// preamble gets past the greeting.
#[test]
fn postscreen_like_greeting_delay_needs_a_longer_timeout() {
    let port = serve(|stream| {
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        let mut w = stream;
        let _ = w.write_all(b"220-mx.lab ESMTP\r\n");
        std::thread::sleep(Duration::from_secs(6));
        let _ = w.write_all(b"220 mx.lab ESMTP\r\n");
        line(&mut reader);
        let _ = w.write_all(b"250-mx.lab\r\n250 STARTTLS\r\n");
        line(&mut reader);
        let _ = w.write_all(b"454 4.7.0 TLS not available\r\n");
    });
    let target = format!("127.0.0.1:{port}");
    // The default --timeout (5 s) is below the delay: the greeting times out, as the README
    // says; a --timeout above the delay gets past it.
    let run = tlspin(&["pin", "--starttls", "smtp", &target], None);
    assert_one_line_network_error(&run);
    assert!(
        run.stderr
            .contains("timed out after 5s: expected the greeting, got \"220-mx.lab ESMTP"),
        "{run:?}"
    );
    let run = tlspin(
        &["--timeout", "8", "pin", "--starttls", "smtp", &target],
        None,
    );
    assert!(
        run.stderr.contains("454 \"4.7.0 TLS not available\""),
        "the preamble got past the greeting: {run:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// Refusals that mean "not now": one line naming the protocol and what was seen; the probe
// retries them, then says the server limits connections.

/// Each protocol's "too many connections" refusal, sent at once: `pin` (one connection) reports
/// it as a refusal for now, quoting the cause.
#[test]
fn busy_refusals_are_named_as_such() {
    let cases: [(&str, &'static [u8], &str); 10] = [
        ("smtp", b"421 4.3.2 Too many concurrent SMTP connections; please try again later\r\n", "got 421 \"4.3.2 Too many concurrent SMTP connections; please try again later\""),
        ("ftp", b"421 Too many users, try again later\r\n", "got 421 \"Too many users"),
        ("nntp", b"421 Too many connections\r\n", "got 421 \"Too many connections\""),
        ("imap", b"* BYE Too many connections from your IP\r\n", "got `* BYE` \"Too many connections from your IP\""),
        ("pop3", b"-ERR [IN-USE] Too many connections\r\n", "got `-ERR` \"[IN-USE] Too many connections\""),
        ("irc", b"ERROR :Closing link: (unknown@127.0.0.1) [No more connections allowed from your host via this connect class (local)]\r\n", "[No more connections allowed from your host via this connect class (local)]"),
        ("mysql", b"\x1d\x00\x00\x00\xff\x10\x04#08004Too many connections", "got error 1040: \"Too many connections\""),
        ("postgres", b"E\x00\x00\x00\x34SFATAL\x00C53300\x00Msorry, too many clients already\x00\x00", "got error 53300: \"sorry, too many clients already\""),
        ("ldap", b"\x30\x10\x02\x01\x01\x78\x0b\x0a\x01\x33\x04\x00\x04\x04busy", "got resultCode 51"),
        ("xmpp", b"<?xml version='1.0'?><stream:stream xmlns:stream='http://etherx.jabber.org/streams' version='1.0'><stream:error><resource-constraint xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error></stream:stream>", "<resource-constraint"),
    ];
    for (protocol, reply, needle) in cases {
        let port = serve(move |mut stream| {
            let _ = stream.write_all(reply);
            linger(stream, 5);
        });
        let target = format!("127.0.0.1:{port}");
        let (run, _) = run("2", &["pin", "--starttls", protocol, &target]);
        assert_one_line_network_error(&run);
        for wanted in [
            &format!("(STARTTLS {protocol})"),
            needle,
            "refuses connections for now",
        ] {
            assert!(
                run.stderr.contains(wanted),
                "{protocol}: {wanted:?} in {run:?}"
            );
        }
    }
}

/// A server that always answers `421`: the probe retries each refused connection 4 times with
/// growing pauses, then stops with exit code 3 and the hint.
#[test]
fn a_server_that_is_always_busy_ends_the_probe_with_the_hint() {
    let port = serve(|mut stream| {
        let _ = stream.write_all(b"421 4.3.2 Too many connections\r\n");
    });
    let target = format!("127.0.0.1:{port}");
    let (run, took) = run("2", &["probe", "--starttls", "smtp", &target]);
    assert_one_line_network_error(&run);
    assert!(run.stderr.contains("refused 5 times"), "{run:?}");
    assert!(
        run.stderr.contains("limits connections per client"),
        "{run:?}"
    );
    assert!(
        took >= Duration::from_millis(2900),
        "paused 0.3 + 0.6 + 0.9 + 1.2 s: {took:?}"
    );
}
