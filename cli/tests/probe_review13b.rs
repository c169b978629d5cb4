//! `tlspin probe` against the servers of the second adversarial review of its fixes (each test
//! failed on the reviewed commit): connection limiters and rustls handshakes, TLS 1.2 groups
//! behind an ECDSA curve a server prefers, required client certificates answered by closing or
//! by decode_error, refusals that depend on the probe's abandon alerts, and servers that refuse
//! by closing.

mod common;

use std::io::{Read, Write};
use std::net::{Ipv4Addr, Shutdown, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{names, openssl_cert, suites, tlspin, verdict, SServer};

const P256: &[&str] = &["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"];

/// Copies `from` to `to` until EOF, then half-closes `to`.
fn pump(mut from: TcpStream, mut to: TcpStream) {
    let mut buffer = [0u8; 16384];
    loop {
        match from.read(&mut buffer) {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                if to.write_all(&buffer[..n]).is_err() {
                    break;
                }
            }
        }
    }
    let _ = to.shutdown(Shutdown::Write);
}

/// Forwards `client` to `upstream`, sending `first` ahead; returns when both directions ended.
fn forward(client: TcpStream, upstream: u16, first: &[u8]) {
    let mut server = TcpStream::connect(("127.0.0.1", upstream)).unwrap();
    server.write_all(first).unwrap();
    let (c2, s2) = (client.try_clone().unwrap(), server.try_clone().unwrap());
    let up = std::thread::spawn(move || pump(c2, s2));
    pump(server, client);
    let _ = up.join();
}

/// Reads the first record from `client`, then whatever arrives within `linger`.
fn first_bytes(client: &mut TcpStream, linger: Duration) -> Vec<u8> {
    let mut first = Vec::new();
    let mut buffer = [0u8; 16384];
    client
        .set_read_timeout(Some(Duration::from_millis(300)))
        .unwrap();
    while first.len() < 5 || first.len() < 5 + usize::from(u16::from_be_bytes([first[3], first[4]]))
    {
        match client.read(&mut buffer) {
            Ok(0) | Err(_) => break,
            Ok(k) => first.extend_from_slice(&buffer[..k]),
        }
    }
    client.set_read_timeout(Some(linger)).unwrap();
    if let Ok(k) = client.read(&mut buffer) {
        first.extend_from_slice(&buffer[..k]);
    }
    client.set_read_timeout(None).unwrap();
    first
}

fn p256_server(extra: &[&str]) -> (tempfile::TempDir, SServer) {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = openssl_cert(dir.path(), "srv", P256);
    let server = SServer::start(&cert, &key, extra);
    (dir, server)
}

fn listener() -> (TcpListener, u16) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    (listener, port)
}

/// A limiter in front of s_server that drops (closes) connections beyond two open at once,
/// counting a connection until the upstream side is done with it (as Exim does). The scan's
/// raw hellos are retried, but the rustls handshakes (verdicts, TLS 1.3 signature schemes,
/// ALPN, SNI) are not: a provider is called INCOMPATIBLE ("closed the connection during the
/// TLS handshake") or TLS 1.3's signature schemes come out empty, with exit 0.
#[test]
fn a_connection_limiter_does_not_change_verdicts_or_tls13_schemes() {
    let (_dir, server) = p256_server(&[]);
    let plain = tlspin(
        &["--json", "probe", &format!("127.0.0.1:{}", server.port)],
        None,
    )
    .json();
    let open = Arc::new(AtomicUsize::new(0));
    let upstream = server.port;
    let (listener, port) = listener();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut client) = stream else { break };
            if open.load(Ordering::SeqCst) >= 2 {
                drop(client);
                continue;
            }
            open.fetch_add(1, Ordering::SeqCst);
            let open = open.clone();
            std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(30));
                let first = first_bytes(&mut client, Duration::from_millis(1));
                forward(client, upstream, &first);
                open.fetch_sub(1, Ordering::SeqCst);
            });
        }
    });
    for _ in 0..3 {
        let run = tlspin(&["--json", "probe", &format!("127.0.0.1:{port}")], None);
        assert_eq!(run.code, 0, "{run:?}");
        let report = run.json();
        for provider in ["aws-lc-rs", "ring"] {
            let (ok, reason) = verdict(&report, provider);
            assert!(ok, "{provider}: {reason}");
        }
        assert_eq!(
            names(&report, "TLS 1.3", "signature_schemes"),
            names(&plain, "TLS 1.3", "signature_schemes"),
            "{report:#}"
        );
    }
}

/// nginx's `ssl_prefer_server_ciphers on` (OpenSSL -serverpref) makes OpenSSL pick the group by
/// its own order too. A TLS 1.2 client must list the ECDSA certificate's curve (RFC 8422,
/// section 5.1), so a server that ranks that curve first picks it whatever else is offered:
/// the groups it ranks below cannot be seen by any client (`openssl s_client -tls1_2 -groups
/// P-384:P-256` gets P-256). The probe reports what can be seen and says the list may be
/// incomplete, instead of presenting it as complete.
#[test]
fn server_preferred_groups_with_an_ecdsa_certificate_are_all_reported() {
    let (_d1, client_order) = p256_server(&["-no_tls1_3"]);
    let (_d2, server_order) = p256_server(&["-no_tls1_3", "-serverpref"]);
    let all = names(
        &tlspin(
            &[
                "--json",
                "probe",
                &format!("127.0.0.1:{}", client_order.port),
            ],
            None,
        )
        .json(),
        "TLS 1.2",
        "groups",
    );
    let report = tlspin(
        &[
            "--json",
            "probe",
            &format!("127.0.0.1:{}", server_order.port),
        ],
        None,
    )
    .json();
    assert_groups_behind_the_curve(&all, &report);
    // What any client sees: offered P-384 first, the server takes P-256.
    let shown = common::openssl(&[
        "s_client",
        "-connect",
        &format!("127.0.0.1:{}", server_order.port),
        "-tls1_2",
        "-groups",
        "P-384:P-256",
    ]);
    let shown = String::from_utf8_lossy(&shown);
    assert!(
        shown.contains("Server Temp Key: ECDH, prime256v1"),
        "{shown}"
    );
}

/// Groups found are among the client-order server's, at least the curve is found, and the
/// report says the list may be incomplete because of secp256r1.
fn assert_groups_behind_the_curve(all: &[String], report: &serde_json::Value) {
    let found = names(report, "TLS 1.2", "groups");
    assert!(
        found.iter().all(|g| all.contains(g)),
        "{found:?} vs {all:?}"
    );
    assert!(found.contains(&"secp256r1".to_owned()), "{report:#}");
    let tls12 = report["versions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["version"] == "TLS 1.2")
        .unwrap();
    let note = tls12["groups_note"].as_str().unwrap_or_default();
    assert!(
        note.starts_with("the server ranks secp256r1, its ECDSA certificate's curve, above"),
        "{report:#}"
    );
}

/// gnutls-serv on `cert`/`key` with `args`, killed when dropped.
struct Gnutls(Child, u16);

impl Gnutls {
    fn start(cert: &std::path::Path, key: &std::path::Path, args: &[&str]) -> Self {
        let port = listener().1;
        let child = Command::new("gnutls-serv")
            .arg(format!("--port={port}"))
            .arg("--x509certfile")
            .arg(cert)
            .arg("--x509keyfile")
            .arg(key)
            .arg("--x509cafile")
            .arg(cert)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let address = (Ipv4Addr::LOCALHOST, port).into();
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect_timeout(&address, Duration::from_secs(1)).is_err() {
            assert!(Instant::now() < deadline, "gnutls-serv did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        Self(child, port)
    }
}

impl Drop for Gnutls {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// GnuTLS with `--require-client-cert` in TLS 1.2 answers the client's empty Certificate with a
/// fatal decode_error (50) (`openssl s_client -tls1_2` without a certificate gets "alert decode
/// error", with one it connects). The probe says `required: null` and the verdicts say "the
/// handshake failed: received fatal alert: DecodeError; the probe's findings show nothing that
/// aws-lc-rs lacks", not that a client certificate is required.
#[test]
fn gnutls_tls12_required_client_certificate_is_called_required() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = openssl_cert(dir.path(), "srv", P256);
    let server = Gnutls::start(
        &cert,
        &key,
        &["--require-client-cert", "--priority=NORMAL:-VERS-TLS1.3"],
    );
    let report = tlspin(
        &["--json", "probe", &format!("127.0.0.1:{}", server.1)],
        None,
    )
    .json();
    assert_eq!(report["client_certificate"]["required"], true, "{report:#}");
    let (ok, reason) = verdict(&report, "aws-lc-rs");
    assert!(!ok && reason.contains("client certificate"), "{reason}");
}

/// A TLS 1.3 server that requires a client certificate and closes the connection without an
/// alert after the client's Finished (here: s_server -Verify 1 behind a front that forwards
/// only the server's first flight). The probe rightly says `required: null`, but both verdicts
/// say "compatible ... the server asked for a client certificate and accepted the handshake
/// without one", and the probe exits 0.
#[test]
fn a_required_certificate_closed_silently_is_not_called_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = openssl_cert(dir.path(), "srv", P256);
    let server = SServer::start(
        &cert,
        &key,
        &["-Verify", "1", "-CAfile", cert.to_str().unwrap()],
    );
    let upstream = server.port;
    let (listener, port) = listener();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut client) = stream else { break };
            std::thread::spawn(move || {
                let first = first_bytes(&mut client, Duration::from_millis(20));
                let mut server = TcpStream::connect(("127.0.0.1", upstream)).unwrap();
                server.write_all(&first).unwrap();
                let (c2, s2) = (client.try_clone().unwrap(), server.try_clone().unwrap());
                std::thread::spawn(move || pump(c2, s2));
                // The server's first flight only; drop anything after it (alerts, tickets).
                let mut buffer = [0u8; 65536];
                if let Ok(n) = server.read(&mut buffer) {
                    let _ = client.write_all(&buffer[..n]);
                }
                while matches!(server.read(&mut buffer), Ok(n) if n > 0) {}
                let _ = client.shutdown(Shutdown::Both);
            });
        }
    });
    let run = tlspin(&["--json", "probe", &format!("127.0.0.1:{port}")], None);
    let report = run.json();
    let (_, reason) = verdict(&report, "aws-lc-rs");
    assert!(
        !reason.contains("accepted the handshake without one"),
        "required = {}, yet: {reason}",
        report["client_certificate"]["required"]
    );
}

/// A server that answers hellos correctly when they arrive alone, and with a fatal decode_error
/// when the probe's abandon alerts arrive in the same read (timing-dependent on a real network;
/// here every other connection). The first hellos confirm `abandon_works`; later refusals of
/// abandoned hellos are trusted: TLS 1.1/1.0 suites go missing, exit 0.
#[test]
fn a_refusal_only_when_abandoned_after_confirmation_loses_no_suites() {
    let (_dir, server) = p256_server(&["-cipher", "ALL:@SECLEVEL=0"]);
    let plain = tlspin(
        &["--json", "probe", &format!("127.0.0.1:{}", server.port)],
        None,
    )
    .json();
    let upstream = server.port;
    let count = Arc::new(AtomicUsize::new(0));
    let (listener, port) = listener();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut client) = stream else { break };
            let n = count.fetch_add(1, Ordering::SeqCst) + 1;
            std::thread::spawn(move || {
                let first = first_bytes(&mut client, Duration::from_millis(50));
                let record = 5 + usize::from(u16::from_be_bytes([first[3], first[4]]));
                if n.is_multiple_of(2) && first.len() > record {
                    let _ = client.write_all(&[21, 3, 3, 0, 2, 2, 50]);
                    return;
                }
                forward(client, upstream, &first);
            });
        }
    });
    let report = tlspin(&["--json", "probe", &format!("127.0.0.1:{port}")], None).json();
    for version in ["TLS 1.3", "TLS 1.2", "TLS 1.1", "TLS 1.0"] {
        assert_eq!(
            suites(&report, version),
            suites(&plain, version),
            "{version}: {report:#}"
        );
    }
}

/// A server that refuses by closing without an alert (as Schannel/IIS and many appliances do),
/// 100 ms away: every refusal used to halve the open-connection limit for good (down to one at
/// a time). The same suites as through a front that passes the alerts, and the limit restored.
#[test]
fn silent_refusals_do_not_serialise_the_scan() {
    let (_dir, server) = p256_server(&["-cipher", "ALL:@SECLEVEL=0"]);
    let upstream = server.port;
    let front = |silent: bool| {
        let (listener, port) = listener();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut client) = stream else { break };
                std::thread::spawn(move || {
                    let first = first_bytes(&mut client, Duration::from_millis(1));
                    std::thread::sleep(Duration::from_millis(100));
                    let mut server = TcpStream::connect(("127.0.0.1", upstream)).unwrap();
                    server.write_all(&first).unwrap();
                    let (c2, s2) = (client.try_clone().unwrap(), server.try_clone().unwrap());
                    std::thread::spawn(move || pump(c2, s2));
                    let mut buffer = [0u8; 16384];
                    match server.read(&mut buffer) {
                        Ok(n) if n > 0 && !(silent && buffer[0] == 21) => {
                            let _ = client.write_all(&buffer[..n]);
                            pump(server, client);
                        }
                        _ => {
                            let _ = client.shutdown(Shutdown::Both);
                            let _ = server.shutdown(Shutdown::Both);
                        }
                    }
                });
            }
        });
        port
    };
    let probe = |port: u16| tlspin(&["--json", "probe", &format!("127.0.0.1:{port}")], None).json();
    let (alerting, silent) = (probe(front(false)), probe(front(true)));
    for version in ["TLS 1.3", "TLS 1.2", "TLS 1.1", "TLS 1.0"] {
        assert_eq!(
            suites(&silent, version),
            suites(&alerting, version),
            "{version}"
        );
    }
    // Refusals by closing are refusals: the limit is back where it was.
    assert_eq!(silent["parallel_now"], 16, "{silent:#}");
}

/// The same with GnuTLS's `%SERVER_PRECEDENCE` (its groups start with SECP256R1).
#[test]
fn gnutls_server_precedence_groups_with_an_ecdsa_certificate_are_all_reported() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = openssl_cert(dir.path(), "srv", P256);
    let client_order = common::GnutlsServer::start(&cert, &key, "NORMAL:-VERS-TLS1.3");
    let server_order =
        common::GnutlsServer::start(&cert, &key, "NORMAL:-VERS-TLS1.3:%SERVER_PRECEDENCE");
    let all = names(
        &tlspin(
            &[
                "--json",
                "probe",
                &format!("127.0.0.1:{}", client_order.port),
            ],
            None,
        )
        .json(),
        "TLS 1.2",
        "groups",
    );
    let report = tlspin(
        &[
            "--json",
            "probe",
            &format!("127.0.0.1:{}", server_order.port),
        ],
        None,
    )
    .json();
    assert_groups_behind_the_curve(&all, &report);
}
