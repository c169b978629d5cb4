//! SSL 3.0 detection. No peer on this machine serves SSL 3.0 (OpenSSL 3 and GnuTLS removed it),
//! so a loopback listener plays an SSL 3.0-only server: it answers an SSL 3.0 ClientHello with
//! the ServerHello and ServerHelloDone an SSL 3.0 server sends (record and hello version 0x0300,
//! its pick by its own preference), and every TLS ClientHello with a protocol_version alert.

mod common;

use std::io::{Read, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::thread;
use std::time::Duration;

use common::{probe_json, suites, verdict};

/// The fake server's suites, in its order: TLS_RSA_WITH_3DES_EDE_CBC_SHA, TLS_RSA_WITH_RC4_128_SHA,
/// TLS_RSA_WITH_AES_128_CBC_SHA.
const SERVER_SUITES: [u16; 3] = [0x000a, 0x0005, 0x002f];

/// Reads one ClientHello record: (record version, client_version, offered suites).
fn read_client_hello(stream: &mut TcpStream) -> Option<(u16, u16, Vec<u16>)> {
    let mut header = [0u8; 5];
    stream.read_exact(&mut header).ok()?;
    let length = usize::from(u16::from_be_bytes([header[3], header[4]]));
    let mut body = vec![0u8; length];
    stream.read_exact(&mut body).ok()?;
    let record_version = u16::from_be_bytes([header[1], header[2]]);
    // handshake header (4), client_version (2), random (32), session id.
    let client_version = u16::from_be_bytes([body[4], body[5]]);
    let session_id = usize::from(body[38]);
    let at = 39 + session_id;
    let suites_len = usize::from(u16::from_be_bytes([body[at], body[at + 1]]));
    let suites = body[at + 2..at + 2 + suites_len]
        .chunks(2)
        .map(|pair| u16::from_be_bytes([pair[0], pair[1]]))
        .collect();
    Some((record_version, client_version, suites))
}

fn ssl3_server_flight(suite: u16) -> Vec<u8> {
    let mut hello = vec![0x03, 0x00];
    hello.extend_from_slice(&[0x5a; 32]); // random
    hello.push(0); // empty session id
    hello.extend_from_slice(&suite.to_be_bytes());
    hello.push(0); // null compression
    let mut handshake = vec![2, 0, 0, u8::try_from(hello.len()).unwrap()];
    handshake.extend(hello);
    handshake.extend_from_slice(&[14, 0, 0, 0]); // ServerHelloDone
    let mut record = vec![22, 0x03, 0x00];
    record.extend_from_slice(&u16::try_from(handshake.len()).unwrap().to_be_bytes());
    record.extend(handshake);
    record
}

fn alert(version: u16, description: u8) -> Vec<u8> {
    let [high, low] = version.to_be_bytes();
    vec![21, high, low, 0, 2, 2, description]
}

fn serve(mut stream: TcpStream) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let Some((record_version, client_version, offered)) = read_client_hello(&mut stream) else {
        return;
    };
    let reply = if client_version == 0x0300 {
        assert_eq!(
            record_version, 0x0300,
            "an SSL 3.0 hello in an SSL 3.0 record"
        );
        match SERVER_SUITES.iter().find(|suite| offered.contains(suite)) {
            Some(suite) => ssl3_server_flight(*suite),
            None => alert(0x0300, 40), // handshake_failure
        }
    } else {
        alert(0x0300, 70) // protocol_version
    };
    let _ = stream.write_all(&reply);
}

#[test]
fn an_ssl3_only_server_is_reported() {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    let port = listener.local_addr().unwrap().port();
    thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            serve(stream);
        }
    });
    let (code, report) = probe_json(port);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(
        suites(&report, "SSL 3.0"),
        [
            "TLS_RSA_WITH_3DES_EDE_CBC_SHA",
            "TLS_RSA_WITH_RC4_128_SHA",
            "TLS_RSA_WITH_AES_128_CBC_SHA"
        ],
        "{report:#}"
    );
    for version in ["TLS 1.3", "TLS 1.2", "TLS 1.1", "TLS 1.0"] {
        assert!(suites(&report, version).is_empty(), "{version}: {report:#}");
    }
    for provider in ["aws-lc-rs", "ring"] {
        let (compatible, reason) = verdict(&report, provider);
        assert!(!compatible, "{provider}");
        assert!(
            reason.starts_with("the server speaks only SSL 3.0; rustls implements TLS 1.2"),
            "{provider}: {reason}"
        );
    }
}
