//! Shared support for the CLI's tests: the library's test helpers (rcgen certificates, the
//! `openssl` binary and `s_server`), a `gnutls-serv` peer, and running the `tlspin` binary.
#![allow(dead_code, unused_imports)]

/// The library's shared test helpers, reused as they are (one copy of `SServer` & co.).
#[path = "../../../tests/common/mod.rs"]
pub mod library;

/// Real PostgreSQL, MariaDB, Dovecot, slapd, Exim, Prosody, InspIRCd and vsftpd servers, shared
/// with the interop tests.
#[path = "../../../tests/common/daemons.rs"]
pub mod daemons;

use std::io::Write;
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

pub use library::openssl_peer::{openssl, req_x509, SServer};
pub use library::pem;

/// What a `tlspin` run printed and returned.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// stdout parsed as JSON; panics with the whole run if it is not JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {self:?}"))
    }
}

/// Runs the `tlspin` binary with `args` (and `stdin`, if given).
pub fn tlspin(args: &[&str], stdin: Option<&[u8]>) -> Run {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tlspin"))
        .args(args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the tlspin binary runs");
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .expect("piped stdin")
            .write_all(input)
            .expect("write stdin");
    }
    let output: Output = child.wait_with_output().expect("tlspin finishes");
    Run {
        code: output.status.code().expect("exit code, not a signal"),
        stdout: String::from_utf8(output.stdout).expect("utf-8 stdout"),
        stderr: String::from_utf8(output.stderr).expect("utf-8 stderr"),
    }
}

/// `tlspin --json probe 127.0.0.1:port`.
pub fn probe_json(port: u16) -> (i32, serde_json::Value) {
    let run = tlspin(&["--json", "probe", &format!("127.0.0.1:{port}")], None);
    (run.code, run.json())
}

/// The names of the cipher suites the probe reports for `version` ("TLS 1.3", ...); empty if
/// unsupported.
pub fn suites(report: &serde_json::Value, version: &str) -> Vec<String> {
    version_entry(report, version)["cipher_suites"]
        .as_array()
        .expect("cipher_suites array")
        .iter()
        .map(|suite| suite["name"].as_str().expect("name").to_owned())
        .collect()
}

/// A list field ("groups", "signature_schemes") of `version`'s entry.
pub fn names(report: &serde_json::Value, version: &str, field: &str) -> Vec<String> {
    version_entry(report, version)[field]
        .as_array()
        .unwrap_or_else(|| panic!("{field} array"))
        .iter()
        .map(|name| name.as_str().expect("string").to_owned())
        .collect()
}

fn version_entry<'a>(report: &'a serde_json::Value, version: &str) -> &'a serde_json::Value {
    report["versions"]
        .as_array()
        .expect("versions array")
        .iter()
        .find(|v| v["version"] == version)
        .unwrap_or_else(|| panic!("no {version} entry in {report:#}"))
}

/// The verdict of `provider` ("ring", "aws-lc-rs"): (compatible, reason).
pub fn verdict(report: &serde_json::Value, provider: &str) -> (bool, String) {
    let entry = report["providers"]
        .as_array()
        .expect("providers array")
        .iter()
        .find(|p| p["provider"] == provider)
        .unwrap_or_else(|| panic!("no verdict for {provider} in {report:#}"));
    (
        entry["compatible"].as_bool().expect("compatible"),
        entry["reason"].as_str().expect("reason").to_owned(),
    )
}

/// The library's pin of the first certificate in a PEM file.
pub fn library_pin(cert: &Path) -> tlspin::Pin {
    tlspin::Pin::from_cert_der(&tlspin::certs_from_pem_file(cert).expect("PEM")[0]).expect("pin")
}

/// A self-signed `localhost` certificate made by `openssl req` under `dir`, named `name`.
pub fn openssl_cert(dir: &Path, name: &str, newkey: &[&str]) -> (PathBuf, PathBuf) {
    let sub = dir.join(name);
    std::fs::create_dir_all(&sub).expect("mkdir");
    req_x509(&sub, newkey)
}

/// A `gnutls-serv` on a loopback port, killed when dropped. (gnutls-serv has no option to bind
/// to one address, so it listens on every interface for the length of the test; the tests only
/// ever connect over loopback.)
pub struct GnutlsServer {
    child: Child,
    pub port: u16,
}

impl GnutlsServer {
    /// Starts `gnutls-serv` with `cert`/`key` and the GnuTLS `priority` string, and waits until
    /// it listens.
    pub fn start(cert: &Path, key: &Path, priority: &str) -> Self {
        Self::start_with(cert, key, priority, &[])
    }

    /// As [`GnutlsServer::start`], with `extra` arguments (e.g. `--pskpasswd FILE`).
    pub fn start_with(cert: &Path, key: &Path, priority: &str, extra: &[&str]) -> Self {
        let port = {
            let probe = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("free port");
            probe.local_addr().expect("address").port()
        };
        let child = Command::new("gnutls-serv")
            .arg(format!("--port={port}"))
            .arg(format!("--priority={priority}"))
            .arg("--x509certfile")
            .arg(cert)
            .arg("--x509keyfile")
            .arg(key)
            .arg("--disable-client-cert")
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("gnutls-serv runs (.ci/run installs gnutls-bin)");
        let mut server = Self { child, port };
        // gnutls-serv block-buffers its "listening" line when stdout is not a terminal, so wait
        // for the port to accept a connection instead.
        let address = (Ipv4Addr::LOCALHOST, port).into();
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect_timeout(&address, Duration::from_secs(1)).is_err() {
            if let Ok(Some(status)) = server.child.try_wait() {
                panic!("gnutls-serv {priority} exited: {status}");
            }
            assert!(
                Instant::now() < deadline,
                "gnutls-serv {priority} did not start listening within 20s"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        server
    }
}

impl Drop for GnutlsServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
