//! Driving the real `openssl` binary: key and certificate generation, and `s_server` as a peer.
//! Independent of the rustls version, so the rustls 0.24 member's tests share it.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::net::{Ipv4Addr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// Runs `openssl` with `args`, panicking with its stderr if it fails; returns stdout.
pub fn openssl(args: &[&str]) -> Vec<u8> {
    let output = Command::new("openssl")
        .args(args)
        .output()
        .expect("the openssl binary is installed (.ci/run installs it)");
    assert!(
        output.status.success(),
        "openssl {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output.stdout
}

/// Runs a shell pipeline and returns its trimmed stdout.
pub fn shell(script: &str) -> String {
    let output = Command::new("sh")
        .args(["-c", script])
        .output()
        .expect("sh runs");
    assert!(
        output.status.success(),
        "{script} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout)
        .expect("utf-8")
        .trim()
        .to_owned()
}

/// A self-signed certificate made by `openssl req -x509` with its default extensions
/// (basicConstraints CA:TRUE), written as `cert.pem` and `key.pem` under `dir`.
pub fn req_x509(dir: &Path, newkey: &[&str]) -> (PathBuf, PathBuf) {
    let cert = dir.join("cert.pem");
    let key = dir.join("key.pem");
    let mut args = vec![
        "req",
        "-x509",
        "-nodes",
        "-days",
        "3650",
        "-subj",
        "/CN=localhost",
    ];
    args.extend(["-addext", "subjectAltName=DNS:localhost"]);
    args.extend(newkey);
    args.extend(["-keyout", key.to_str().expect("utf-8 path")]);
    args.extend(["-out", cert.to_str().expect("utf-8 path")]);
    openssl(&args);
    (cert, key)
}

/// An `openssl s_server` on a loopback port, killed when dropped.
pub struct SServer {
    child: Child,
    pub port: u16,
}

impl SServer {
    /// Starts `openssl s_server` with `cert`/`key` and `extra` arguments, and waits until it
    /// accepts connections.
    pub fn start(cert: &Path, key: &Path, extra: &[&str]) -> Self {
        let port = {
            let probe = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("free port");
            probe.local_addr().expect("address").port()
        };
        let accept = format!("127.0.0.1:{port}");
        let mut child = Command::new("openssl")
            .args(["s_server", "-accept", &accept, "-cert"])
            .arg(cert)
            .arg("-key")
            .arg(key)
            .args(extra)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("openssl s_server starts");
        let stdout = child.stdout.take().expect("piped stdout");
        let (ready_tx, ready_rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if line.contains("ACCEPT") {
                    let _ = ready_tx.send(());
                }
            }
        });
        let mut server = Self { child, port };
        if ready_rx.recv_timeout(Duration::from_secs(20)).is_err() {
            let status = server.child.try_wait();
            panic!("openssl s_server {extra:?} did not start listening: {status:?}");
        }
        server
    }
}

impl Drop for SServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
