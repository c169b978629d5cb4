//! `tlspin probe` against servers with odd manners, from the adversarial review of the
//! concurrent probe (each test failed on the reviewed commit): warnings before the ServerHello,
//! servers that act on the probe's abandon alerts, per-client connection limits, optional client
//! certificates, and ServerHellos choosing what was not offered.

mod common;

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{openssl_cert, suites, tlspin, SServer};

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

/// A loopback front for `upstream`: `decide(connection number, first bytes)` says whether to
/// forward the connection (true) or drop it; `Some(reply)` from `refuse` is written instead.
fn front(
    upstream: u16,
    decide: impl Fn(usize, &[u8]) -> Result<(), Option<Vec<u8>>> + Send + Sync + 'static,
) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let count = Arc::new(AtomicUsize::new(0));
    let decide = Arc::new(decide);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut client) = stream else { break };
            let n = count.fetch_add(1, Ordering::SeqCst) + 1;
            let decide = decide.clone();
            std::thread::spawn(move || {
                // Read the ClientHello record, then give anything sent right behind it 50 ms.
                let mut first = Vec::new();
                let mut buffer = [0u8; 16384];
                client
                    .set_read_timeout(Some(Duration::from_millis(50)))
                    .unwrap();
                let start = Instant::now();
                while start.elapsed() < Duration::from_millis(300) {
                    match client.read(&mut buffer) {
                        Ok(0) => break,
                        Ok(k) => first.extend_from_slice(&buffer[..k]),
                        Err(_) if first.len() >= 5 => {
                            let len = 5 + usize::from(u16::from_be_bytes([first[3], first[4]]));
                            if first.len() >= len {
                                break;
                            }
                        }
                        Err(_) => {}
                    }
                }
                client.set_read_timeout(None).unwrap();
                match decide(n, &first) {
                    Err(None) => {}
                    Err(Some(reply)) => {
                        let _ = client.write_all(&reply);
                    }
                    Ok(()) => {
                        let mut server = TcpStream::connect(("127.0.0.1", upstream)).unwrap();
                        server.write_all(&first).unwrap();
                        let (c2, s2) = (client.try_clone().unwrap(), server.try_clone().unwrap());
                        let up = std::thread::spawn(move || pump(c2, s2));
                        pump(server, client);
                        let _ = up.join();
                    }
                }
            });
        }
    });
    port
}

fn p256_server(extra: &[&str]) -> (tempfile::TempDir, SServer) {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = openssl_cert(dir.path(), "srv", P256);
    let server = SServer::start(&cert, &key, extra);
    (dir, server)
}

/// s_server answers a name it does not know with a WARNING unrecognized_name alert and then its
/// ServerHello (TLS 1.2); `openssl s_client -tls1_2 -servername other.lab` negotiates TLS 1.2.
#[test]
fn warning_alert_before_server_hello_is_not_a_refusal() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = openssl_cert(dir.path(), "default", P256);
    let (named_cert, named_key) = openssl_cert(dir.path(), "named", P256);
    let server = SServer::start(
        &cert,
        &key,
        &[
            "-servername",
            "device.lab",
            "-cert2",
            named_cert.to_str().unwrap(),
            "-key2",
            named_key.to_str().unwrap(),
        ],
    );
    let target = format!("127.0.0.1:{}", server.port);
    let report = tlspin(&["--json", "probe", &target, "--sni", "other.lab"], None).json();
    assert!(
        !suites(&report, "TLS 1.2").is_empty(),
        "TLS 1.2 missing: {report:#}"
    );
}

/// A server that reads ahead, sees the probe's user_canceled alert behind the hello, and refuses
/// with a fatal unexpected_message alert; plain hellos are answered normally.
#[test]
fn a_fatal_answer_to_the_abandon_alerts_falls_back_to_plain_hellos() {
    let (_dir, server) = p256_server(&[]);
    let port = front(server.port, |_, first| {
        let len = 5 + usize::from(u16::from_be_bytes([first[3], first[4]]));
        if first.len() > len {
            Err(Some(vec![21, 3, 3, 0, 2, 2, 10]))
        } else {
            Ok(())
        }
    });
    let run = tlspin(&["--json", "probe", &format!("127.0.0.1:{port}")], None);
    let report = run.json();
    assert!(!suites(&report, "TLS 1.3").is_empty(), "{report:#}");
    assert!(!suites(&report, "TLS 1.2").is_empty(), "{report:#}");
}

/// A server that answers its first 20 connections and closes every later one at once (a
/// per-client connection budget): the report must not silently drop suites with exit 0.
#[test]
fn a_server_that_stops_answering_is_not_reported_as_refusing() {
    let (_dir, server) = p256_server(&[]);
    let port = front(server.port, |n, _| if n <= 20 { Ok(()) } else { Err(None) });
    let run = tlspin(&["--json", "probe", &format!("127.0.0.1:{port}")], None);
    assert_eq!(run.code, 3, "{run:?}");
    assert!(
        run.stderr
            .contains("no longer answers a TLS 1.3 ClientHello it answered before")
            && run.stderr.contains("try --parallel 1"),
        "{}",
        run.stderr
    );
}

/// A front that resets connections beyond four open at once: the probe opens fewer at a time
/// and still reports every suite.
#[test]
fn a_server_that_limits_open_connections_gets_fewer_at_once() {
    let (_dir, server) = p256_server(&[]);
    let plain = tlspin(
        &["--json", "probe", &format!("127.0.0.1:{}", server.port)],
        None,
    )
    .json();
    let open = Arc::new(AtomicUsize::new(0));
    let upstream = server.port;
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(client) = stream else { break };
            if open.load(Ordering::SeqCst) >= 4 {
                drop(client);
                continue;
            }
            open.fetch_add(1, Ordering::SeqCst);
            let open = open.clone();
            std::thread::spawn(move || {
                let server = TcpStream::connect(("127.0.0.1", upstream)).unwrap();
                let (c2, s2) = (client.try_clone().unwrap(), server.try_clone().unwrap());
                let up = std::thread::spawn(move || pump(c2, s2));
                pump(server, client);
                let _ = up.join();
                open.fetch_sub(1, Ordering::SeqCst);
            });
        }
    });
    let run = tlspin(&["--json", "probe", &format!("127.0.0.1:{port}")], None);
    let report = run.json();
    assert_eq!(run.code, 0, "{report:#}");
    for version in ["TLS 1.3", "TLS 1.2"] {
        assert_eq!(
            suites(&report, version),
            suites(&plain, version),
            "{report:#}"
        );
    }
    assert!(report["parallel_now"].as_u64().unwrap() < 16, "{report:#}");
}

/// Optional client certificates (-verify 1) on a one-connection-at-a-time server that sends no
/// session tickets: the default --parallel 16 exits 3, --parallel 1 succeeds.
#[test]
fn optional_client_auth_without_tickets_on_a_serial_server() {
    let (_dir, server) = p256_server(&["-verify", "1", "-num_tickets", "0"]);
    let target = format!("127.0.0.1:{}", server.port);
    let run = tlspin(&["probe", &target], None);
    assert_eq!(run.code, 0, "{run:?}");
}

/// Optional client certificates and a certificate rustls rejects (RSA 1024): the report calls
/// the client certificate "required" and blames it for the failure.
#[test]
fn optional_client_auth_is_not_called_required_when_the_handshake_fails_for_another_reason() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = openssl_cert(dir.path(), "rsa1024", &["-newkey", "rsa:1024"]);
    let server = SServer::start(
        &cert,
        &key,
        &["-cipher", "DEFAULT:@SECLEVEL=0", "-verify", "1"],
    );
    let run = tlspin(
        &["--json", "probe", &format!("127.0.0.1:{}", server.port)],
        None,
    );
    let report = run.json();
    assert_ne!(report["client_certificate"]["required"], true, "{report:#}");
    assert!(
        !report["providers"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("requires a client certificate"),
        "{report:#}"
    );
}

/// A TLS 1.2 ServerHello naming a suite the client never offered (TLS_AES_128_GCM_SHA256).
#[test]
fn a_server_hello_with_a_suite_not_offered() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut s) = stream else { break };
            std::thread::spawn(move || {
                let mut b = [0u8; 4096];
                let n = s.read(&mut b).unwrap_or(0);
                // supported_versions (43) in the hello: a TLS 1.3 offer; refuse it.
                let tls13 = extension_types(&b[..n]).contains(&43);
                if n > 10 && b[9..11] == [3, 3] && !tls13 {
                    let mut hello = vec![2, 0, 0, 38, 3, 3];
                    hello.extend_from_slice(&[7u8; 32]);
                    hello.extend_from_slice(&[0, 0x13, 0x01, 0]);
                    hello.extend_from_slice(&[14, 0, 0, 0]);
                    let mut record = vec![22, 3, 3, 0, hello.len() as u8];
                    record.extend_from_slice(&hello);
                    let _ = s.write_all(&record);
                } else {
                    let _ = s.write_all(&[21, 3, 3, 0, 2, 2, 40]);
                }
                std::thread::sleep(Duration::from_millis(200));
            });
        }
    });
    let run = tlspin(&["probe", &format!("127.0.0.1:{port}")], None);
    assert_eq!(run.code, 3, "{run:?}");
    assert!(
        run.stderr.contains(
            "answered a ClientHello with the cipher suite TLS_AES_128_GCM_SHA256, which the \
             hello did not offer"
        ),
        "{}",
        run.stderr
    );
}

/// The extension types of a ClientHello record (empty if it does not parse).
fn extension_types(record: &[u8]) -> Vec<u16> {
    let get = |i: usize| record.get(i).copied().map(usize::from);
    let u16_at = |i: usize| Some(get(i)? << 8 | get(i + 1)?);
    let mut types = Vec::new();
    let Some(mut p) = get(9 + 2 + 32).map(|sid| 9 + 2 + 32 + 1 + sid) else {
        return types;
    };
    let Some(suites) = u16_at(p) else {
        return types;
    };
    p += 2 + suites;
    let Some(comp) = get(p) else { return types };
    p += 1 + comp + 2;
    while let (Some(kind), Some(len)) = (u16_at(p), u16_at(p + 2)) {
        types.push(kind as u16);
        p += 4 + len;
    }
    types
}

/// A TLS 1.3-only server whose only suite no rustls provider has: the certificate is encrypted
/// and no rustls handshake reaches it, which the report says instead of "no certificate".
#[test]
fn a_certificate_no_handshake_could_reach_is_not_called_absent() {
    let (_dir, server) = p256_server(&["-tls1_3", "-ciphersuites", "TLS_AES_128_CCM_SHA256"]);
    let run = tlspin(
        &["--json", "probe", &format!("127.0.0.1:{}", server.port)],
        None,
    );
    let report = run.json();
    assert_eq!(
        suites(&report, "TLS 1.3"),
        ["TLS_AES_128_CCM_SHA256"],
        "{report:#}"
    );
    let problem = report["certificate_problem"].as_str().unwrap();
    assert!(
        problem.starts_with("not seen: TLS 1.3 encrypts it, and no rustls handshake got that far"),
        "{problem}"
    );
}

/// A host that is neither a DNS name nor an IP address is a usage error about HOST, not about
/// a server name the user never gave.
#[test]
fn an_invalid_host_is_named_as_the_host() {
    let run = tlspin(&["probe", "256.1.1.1:443"], None);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr
            .contains("found \"256.1.1.1:443\": the host is neither a DNS name nor an IP address"),
        "{}",
        run.stderr
    );
}
