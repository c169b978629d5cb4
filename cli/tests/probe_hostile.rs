//! `tlspin probe` against hostile or broken servers on loopback: each gets a one-line error and
//! exit code 3 (network error), never a hang, a panic or a report.

mod common;

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::time::Duration;

use common::tlspin;

/// A loopback server that runs `answer` on every connection, each in its own thread, for as long
/// as the test runs.
fn serve(answer: fn(TcpStream)) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { break };
            std::thread::spawn(move || answer(stream));
        }
    });
    port
}

/// Reads the ClientHello (or whatever the client sends first) before answering.
fn read_hello(stream: &mut TcpStream) {
    let mut buffer = [0u8; 4096];
    let _ = stream.read(&mut buffer);
}

fn probe(port: u16) -> common::Run {
    tlspin(
        &["--timeout", "1", "probe", &format!("127.0.0.1:{port}")],
        None,
    )
}

fn assert_network_error(run: &common::Run, needle: &str) {
    assert_eq!(run.code, 3, "{run:?}");
    assert!(run.stdout.is_empty(), "no report: {run:?}");
    assert_eq!(run.stderr.lines().count(), 1, "one line: {run:?}");
    assert!(
        run.stderr.contains(needle),
        "{needle:?} in {:?}",
        run.stderr
    );
}

#[test]
fn garbage_replies() {
    let port = serve(|mut s| {
        read_hello(&mut s);
        let _ = s.write_all(&[0x42; 64]);
    });
    assert_network_error(
        &probe(port),
        "did not answer like a TLS server: expected a TLS record",
    );
}

#[test]
fn a_close_in_the_middle_of_a_record() {
    let port = serve(|mut s| {
        read_hello(&mut s);
        // A handshake record announcing 100 bytes, then 10 of them and the end.
        let _ = s.write_all(&[22, 3, 3, 0, 100]);
        let _ = s.write_all(&[2; 10]);
        let _ = s.shutdown(Shutdown::Write);
    });
    assert_network_error(
        &probe(port),
        "closed the connection in the middle of its reply to a ClientHello, after 15 bytes",
    );
}

#[test]
fn oversized_lengths() {
    // A record of 65535 bytes (TLS allows 18432).
    let port = serve(|mut s| {
        read_hello(&mut s);
        let _ = s.write_all(&[22, 3, 3, 0xff, 0xff]);
    });
    assert_network_error(&probe(port), "a record length of at most 18432");
    // A handshake message of 16 MB.
    let port = serve(|mut s| {
        read_hello(&mut s);
        let _ = s.write_all(&[22, 3, 3, 0, 4, 2, 0xff, 0xff, 0xff]);
    });
    assert_network_error(&probe(port), "a handshake message of at most 262144 bytes");
}

#[test]
fn a_server_that_never_answers() {
    let port = serve(|mut s| {
        read_hello(&mut s);
        std::thread::sleep(Duration::from_secs(30));
    });
    assert_network_error(&probe(port), "timed out after 1s waiting for");
}

#[test]
fn a_server_that_closes_every_connection() {
    let port = serve(|mut s| {
        read_hello(&mut s);
    });
    assert_network_error(
        &probe(port),
        "closed every connection without a byte of answer to the probe's ClientHellos",
    );
    // Resets too: closing with the ClientHello unread makes the kernel send one.
    let port = serve(|s| {
        std::thread::sleep(Duration::from_millis(50));
        drop(s);
    });
    assert_network_error(&probe(port), "closed every connection without a byte");
}
